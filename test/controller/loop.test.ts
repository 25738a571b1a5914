/**
 * The loop's scheduling, with a fake source and a fake reconcile: triggers
 * coalesce, reconciles never overlap, failures retry with backoff capped at
 * the resync interval, stop waits for the reconcile in flight, and the
 * conditions say what happened. No kernel: the reconcile is a function.
 */
import t from "tap";
import { pino } from "pino";
import { retryDelay, startLoop, type StepResult } from "../../src/controller/loop.js";
import { SourceError, type Snapshot } from "../../src/sources/snapshot.js";
import type { LoopStatus } from "../../src/controller/status.js";

const logger = pino({ level: "silent" });
const snap = (revision = "sha256:aa"): Snapshot => ({ inputs: ["/cfg"], revision, digest: "aa", roots: ["/cfg"] });
const applied = (revision = "sha256:aa"): StepResult => ({ result: "applied", revision, hooksChanged: 1, driftRepaired: 0, waitingFor: [] });

async function until(what: string, condition: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function condition(status: LoopStatus, type: string): string {
  const c = status.conditions.find((x) => x.type === type)!;
  return `${c.status}/${c.reason}`;
}

t.test("retry delays double from the retry interval and never pass the resync interval", async (t) => {
  t.same(
    [1, 2, 3, 4, 5, 6].map((n) => retryDelay(n, 1000, 10_000)),
    [1000, 2000, 4000, 8000, 10_000, 10_000],
  );
  t.equal(retryDelay(500, 1000, 60_000), 60_000, "no overflow for many failures");
});

t.test("triggers during a reconcile coalesce into exactly one more; two never overlap", async (t) => {
  let active = 0;
  let maxActive = 0;
  let runs = 0;
  let release: () => void = () => undefined;
  const loop = startLoop({
    snapshot: async () => snap(),
    step: async () => {
      runs += 1;
      active += 1;
      maxActive = Math.max(maxActive, active);
      if (runs === 1) await new Promise<void>((r) => (release = r));
      active -= 1;
      return applied();
    },
    resyncMs: 60_000,
    retryMs: 1000,
    source: { kind: "directory", paths: ["/cfg"] },
    onStatus: () => undefined,
    logger,
  });
  await until("the first reconcile to start", () => runs === 1);
  for (let i = 0; i < 10; i++) loop.trigger(`event ${i}`);
  release();
  await until("two reconciles", () => loop.status().reconciles === 2);
  await new Promise((r) => setTimeout(r, 50));
  t.equal(runs, 2, "ten triggers during the first reconcile made one more");
  t.equal(maxActive, 1, "never two at once");
  await loop.stop();
});

t.test("a transient failure retries with backoff; success resets it; conditions follow", async (t) => {
  const results: StepResult[] = [
    { result: "failed", revision: "sha256:bb", reason: "ApplyFailed", message: "bpf_link_update(...): EBUSY", transient: true },
    { result: "failed", revision: "sha256:bb", reason: "ApplyFailed", message: "bpf_link_update(...): EBUSY", transient: true },
    applied("sha256:bb"),
  ];
  const times: number[] = [];
  const statuses: LoopStatus[] = [];
  const loop = startLoop({
    snapshot: async () => snap("sha256:bb"),
    step: async () => {
      times.push(Date.now());
      return results.shift() ?? applied("sha256:bb");
    },
    resyncMs: 400,
    retryMs: 100,
    source: { kind: "directory", paths: ["/cfg"] },
    onStatus: (s) => statuses.push(s),
    logger,
  });
  await until("three reconciles", () => loop.status().reconciles === 3);
  const gaps = [times[1]! - times[0]!, times[2]! - times[1]!];
  t.ok(gaps[0]! >= 95 && gaps[1]! >= 195, `retried after ~100 then ~200 ms (${gaps.join(", ")})`);
  const failed = statuses.find((s) => s.lastError !== undefined)!;
  t.equal(condition(failed, "Ready"), "False/ApplyFailed");
  t.equal(condition(failed, "Reconciling"), "True/ProgressingWithRetry");
  t.equal(condition(failed, "Stalled"), "False/ApplyFailed");
  const now = loop.status();
  t.equal(condition(now, "Ready"), "True/ReconciliationSucceeded");
  t.equal(now.lastAppliedRevision, "sha256:bb");
  t.equal(now.lastAttemptedRevision, "sha256:bb");
  t.equal(now.lastError, undefined, "a success clears the last error");
  t.equal(now.lastReconcile?.result, "applied");
  const resyncAt = Date.now();
  await until("the resync", () => loop.status().reconciles === 4);
  t.ok(Date.now() - resyncAt >= 300, "after a success the next reconcile waits for the resync interval");
  await loop.stop();
});

t.test("bad input stalls without retries; a source failure is transient", async (t) => {
  let calls = 0;
  const loop = startLoop({
    snapshot: async () => {
      calls += 1;
      if (calls === 1) throw new SourceError("SourceFailed", "git fetch of https://example.invalid/r.git (main) timed out after 60000 ms");
      return snap("main@sha1:" + "1".repeat(40));
    },
    step: async (s) => ({ result: "refused", revision: s.revision, reason: "ConfigInvalid", message: "edge.yaml:3:1: spec: ...", transient: false }),
    resyncMs: 300,
    retryMs: 50,
    source: { kind: "git", url: "https://example.invalid/r.git" },
    onStatus: () => undefined,
    logger,
  });
  await until("the source failure", () => loop.status().reconciles === 1);
  t.equal(condition(loop.status(), "Ready"), "False/SourceFailed");
  t.equal(loop.status().lastAttemptedRevision, undefined, "nothing was fetched");
  const failedAt = Date.now();
  await until("the retry", () => loop.status().reconciles === 2);
  t.ok(Date.now() - failedAt < 250, "a source failure is retried after the retry interval");
  t.equal(condition(loop.status(), "Ready"), "False/ConfigInvalid");
  t.equal(condition(loop.status(), "Stalled"), "True/ConfigInvalid");
  t.equal(condition(loop.status(), "Reconciling"), "False/ConfigInvalid");
  t.equal(loop.status().lastAttemptedRevision, `main@sha1:${"1".repeat(40)}`);
  const stalledAt = Date.now();
  await until("the resync", () => loop.status().reconciles === 3);
  t.ok(Date.now() - stalledAt >= 250, "bad input waits for the resync (or a trigger), not the retry interval");
  await loop.stop();
});

t.test("stop waits for the reconcile in flight, and no reconcile starts after it", async (t) => {
  let release: () => void = () => undefined;
  let finished = false;
  let runs = 0;
  const loop = startLoop({
    snapshot: async () => snap(),
    step: async () => {
      runs += 1;
      await new Promise<void>((r) => (release = r));
      finished = true;
      return applied();
    },
    resyncMs: 10,
    retryMs: 10,
    source: { kind: "directory", paths: ["/cfg"] },
    onStatus: () => undefined,
    logger,
  });
  await until("the reconcile to start", () => runs === 1);
  loop.trigger("more");
  const stopped = loop.stop();
  let done = false;
  void stopped.then(() => (done = true));
  await new Promise((r) => setTimeout(r, 30));
  t.notOk(done, "stop waits");
  release();
  await stopped;
  t.ok(finished, "the reconcile in flight ran to its end");
  await new Promise((r) => setTimeout(r, 50));
  t.equal(runs, 1, "the coalesced trigger and the resync do not run after stop");
  t.match(loop.status().stoppedAt, /^\d{4}-\d\d-\d\dT/, "the last status says when the loop stopped");
});

t.test("a poll reconciles only a snapshot that changed, or after a failed read", async (t) => {
  let source: Snapshot | Error = snap("main@sha1:1");
  let reads = 0;
  const steps: string[] = [];
  const loop = startLoop({
    snapshot: async () => {
      reads += 1;
      if (source instanceof Error) throw source;
      return source;
    },
    step: async (s) => {
      steps.push(s.revision);
      return applied(s.revision);
    },
    resyncMs: 60_000,
    retryMs: 60_000,
    source: { kind: "git", url: "file:///repo" },
    onStatus: () => undefined,
    logger,
  });
  await until("the first reconcile", () => loop.status().reconciles === 1);
  loop.poll();
  await until("the poll's read", () => reads === 2);
  await new Promise((r) => setTimeout(r, 20));
  t.same(steps, ["main@sha1:1"], "an unchanged commit is read, not reconciled");
  t.equal(loop.status().reconciles, 1, "nor counted");

  source = { ...snap("main@sha1:2"), digest: "bb" };
  loop.poll();
  await until("the new commit's reconcile", () => loop.status().reconciles === 2);
  t.same(steps, ["main@sha1:1", "main@sha1:2"], "a new commit is reconciled, read once");
  t.equal(reads, 3);

  source = new SourceError("SourceFailed", "cannot reach the remote");
  loop.poll();
  await until("the failed read is a reconcile", () => loop.status().reconciles === 3);
  t.equal(condition(loop.status(), "Ready"), "False/SourceFailed");
  source = { ...snap("main@sha1:2"), digest: "bb" };
  loop.poll();
  await until("the same commit, read again after the failure, is reconciled", () => loop.status().reconciles === 4);
  t.equal(condition(loop.status(), "Ready"), "True/ReconciliationSucceeded");

  loop.trigger("SIGHUP");
  await until("a trigger always reconciles", () => loop.status().reconciles === 5);
  t.same(steps, ["main@sha1:1", "main@sha1:2", "main@sha1:2", "main@sha1:2"]);
  await loop.stop();
});

t.test("the idle task runs once the loop has been quiet for its delay, not while reconciles keep coming, and not after stop", async (t) => {
  const idleAt: number[] = [];
  let lastEnd = 0;
  const loop = startLoop({
    snapshot: async () => snap(),
    step: async () => {
      await new Promise((r) => setTimeout(r, 5));
      lastEnd = performance.now();
      return applied();
    },
    resyncMs: 60_000,
    retryMs: 60_000,
    source: { kind: "directory", paths: ["/cfg"] },
    onStatus: () => undefined,
    whenIdle: { afterMs: 100, run: () => idleAt.push(performance.now()) },
    logger,
  });
  await until("the first reconcile", () => loop.status().reconciles === 1);
  for (let i = 0; i < 6; i++) {
    await new Promise((r) => setTimeout(r, 40));
    loop.trigger(`event ${i}`);
  }
  await until("six more reconciles", () => loop.status().reconciles === 7);
  t.same(idleAt, [], "a reconcile every 40 ms keeps the loop busy");
  await until("the idle task", () => idleAt.length === 1);
  t.ok(idleAt[0]! - lastEnd >= 95, `it ran ${(idleAt[0]! - lastEnd).toFixed(0)} ms after the last reconcile ended`);
  await new Promise((r) => setTimeout(r, 250));
  t.equal(idleAt.length, 1, "once per quiet spell");

  loop.trigger("one more");
  await until("the reconcile", () => loop.status().reconciles === 8);
  await loop.stop();
  await new Promise((r) => setTimeout(r, 200));
  t.equal(idleAt.length, 1, "not after stop");
});

t.test("while the source cannot be used, the last good config is enforced, and the status says both", async (t) => {
  const results: StepResult[] = [
    applied("sha256:aa"),
    { result: "refused", revision: "sha256:bb", reason: "ConfigInvalid", message: "edge.yaml:3:1: spec: bad", transient: false },
    { result: "failed", revision: "sha256:cc", reason: "ApplyFailed", message: "the verifier refused it", transient: true },
  ];
  let reads = 0;
  const enforcements: string[] = [];
  let enforcement: StepResult = { result: "applied", revision: "sha256:aa", hooksChanged: 2, driftRepaired: 2, waitingFor: [] };
  const loop = startLoop({
    snapshot: async () => {
      reads += 1;
      if (reads === 3) throw new SourceError("VerificationFailed", "commit 1eab6f2 on main of https://example.invalid/r.git is not signed");
      return snap(`sha256:${reads}`);
    },
    step: async () => results.shift() ?? applied("sha256:dd"),
    enforceLastGood: async () => {
      enforcements.push(`after read ${reads}`);
      return enforcement;
    },
    resyncMs: 60_000,
    retryMs: 60_000,
    source: { kind: "directory", paths: ["/cfg"] },
    onStatus: () => undefined,
    logger,
  });
  await until("the first apply", () => loop.status().reconciles === 1);
  t.same(enforcements, [], "a success enforces nothing else");

  loop.trigger("test");
  await until("the invalid config", () => loop.status().reconciles === 2);
  t.same(enforcements, ["after read 2"], "an invalid config: the last good one is enforced");
  const invalid = loop.status();
  t.equal(condition(invalid, "Ready"), "False/ConfigInvalid");
  t.equal(
    invalid.conditions.find((c) => c.type === "Ready")!.message,
    "edge.yaml:3:1: spec: bad; enforcing the last good revision sha256:aa (drift repaired on 2 hooks)",
  );
  t.equal(invalid.enforcedRevision, "sha256:aa");
  t.equal(invalid.lastAppliedRevision, "sha256:aa");

  enforcement = { result: "unchanged", revision: "sha256:aa", hooksChanged: 0, driftRepaired: 0, waitingFor: [] };
  loop.trigger("test");
  await until("the unverified commit", () => loop.status().reconciles === 3);
  t.same(enforcements, ["after read 2", "after read 3"], "a source that fails to verify: the last good one is enforced");
  t.equal(condition(loop.status(), "Ready"), "False/VerificationFailed");
  t.equal(loop.status().lastError, "commit 1eab6f2 on main of https://example.invalid/r.git is not signed; enforcing the last good revision sha256:aa");

  loop.trigger("test");
  await until("the failed apply", () => loop.status().reconciles === 4);
  t.same(enforcements, ["after read 2", "after read 3"], "a failed apply is the kernel's failure, not the source's: nothing more is enforced");
  t.equal(loop.status().enforcedRevision, undefined, "and no revision is said to be enforced");

  enforcement = { result: "failed", revision: "sha256:aa", reason: "ApplyFailed", message: "bpf_link_create: EBUSY", transient: true };
  results.unshift({
    result: "refused",
    revision: "sha256:ee",
    reason: "EmptyRefused",
    message: "revision sha256:ee configures no network function",
    transient: false,
  });
  loop.trigger("test");
  await until("the empty config", () => loop.status().reconciles === 5);
  t.equal(
    loop.status().lastError,
    "revision sha256:ee configures no network function; the last good revision sha256:aa could not be enforced: bpf_link_create: EBUSY",
  );
  t.equal(loop.status().enforcedRevision, undefined);
  t.equal(condition(loop.status(), "Reconciling"), "False/EmptyRefused");

  loop.trigger("test");
  await until("a good config again", () => loop.status().reconciles === 6);
  t.equal(condition(loop.status(), "Ready"), "True/ReconciliationSucceeded");
  t.equal(loop.status().enforcedRevision, undefined);
  t.equal(enforcements.length, 3);
  await loop.stop();
});
