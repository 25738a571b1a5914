/**
 * `nfctl watch -f DIR` on the real kernel: it converges at start, follows
 * every change of the directory (a Kubernetes ConfigMap's ..data swap
 * included), keeps the last good state serving when the config turns bad
 * or empty, re-attaches when an interface is deleted and created again,
 * reconciles on SIGHUP, and on SIGTERM exits 0 leaving every NF running.
 * Traffic proves what the kernel does; the loop's status says why.
 */
import t from "tap";
import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createLab, ipIn, ADDR, type Lab } from "../../scripts/test-lab.js";
import { udpExchange } from "../../scripts/traffic.js";
import { attachedXdp, firstHookPaths, requireKernel, type TapTest } from "../helpers/kernel.js";
import { openPinned, setProgramSlot, withHandle } from "../../src/native/index.js";
import {
  chainOf,
  untilPaused,
  conditionOf,
  loopJson,
  startNfctl,
  statusJson,
  untilTrue,
  writeConfig,
  writeConfigFor,
  type NfSpec,
  type StartedNfctl,
} from "../helpers/cli.js";

requireKernel();

const bl: NfSpec = { name: "bl", nf: "blocklist", maps: `blocklist_v4:\n  ${ADDR.blocked}/32: 1` };
const c1: NfSpec = { name: "c1", nf: "counter" };
const FAST = ["--listen", "127.0.0.1:0", "--resync", "60s", "--debounce", "100ms", "--retry-interval", "200ms"];

function watch(t: TapTest, lab: Lab, dir: string, extra: string[] = []): StartedNfctl {
  return startNfctl(t, lab, ["watch", "-f", dir, ...FAST, ...extra]);
}

t.test("a directory: converge, follow changes, keep the last good state on bad and empty input, exit 0 on SIGTERM", async (t) => {
  const lab = createLab();
  t.teardown(lab.cleanup);
  const dir = join(t.testdir(), "config");
  mkdirSync(dir);
  writeConfig(dir, "edge.yaml", { xdp: [c1, bl] });
  const run = watch(t, lab, dir);
  await untilTrue(t, "the first reconcile is applied", () => conditionOf(loopJson(lab), "Ready") === "True/ReconciliationSucceeded", run);
  t.same(chainOf(lab), ["c1", "bl"]);
  t.same(await udpExchange(lab, [ADDR.allowed, ADDR.blocked], 20), { [ADDR.allowed]: 20, [ADDR.blocked]: 0 }, "the blocklist drops");
  const first = loopJson(lab)!;
  t.match(first.lastAppliedRevision, /^sha256:[0-9a-f]{64}$/, "a directory's revision is its content digest");
  t.same(first.source, { kind: "directory", paths: [dir] });

  writeConfig(dir, "edge.yaml", { xdp: [c1] });
  await untilTrue(t, "the change is applied", () => chainOf(lab).join() === "c1", run);
  t.not(loopJson(lab)!.lastAppliedRevision, first.lastAppliedRevision, "a new revision");
  t.same(await udpExchange(lab, [ADDR.blocked], 20), { [ADDR.blocked]: 20 }, "without the blocklist the blocked source passes");
  t.match(statusJson(lab).hooks[0]!.source?.revision, /^sha256:/, "the generation records the revision it came from");

  const progIds = () => statusJson(lab).hooks.flatMap((h) => h.nfs.map((n) => n.progId));
  const serving = progIds();
  writeFileSync(join(dir, "edge.yaml"), "apiVersion: nfctl.io/v1alpha1\nkind: NetworkFunctions\nspec: [\n");
  await untilTrue(t, "the bad config is refused", () => conditionOf(loopJson(lab), "Ready") === "False/ConfigInvalid", run);
  const bad = loopJson(lab)!;
  t.equal(conditionOf(bad, "Stalled"), "True/ConfigInvalid", "bad input needs a human");
  t.match(bad.lastError, /edge\.yaml:\d+:\d+: /, "the error names the file, line and column");
  t.same(progIds(), serving, "the kernel runs what it ran");
  t.equal(run.child.exitCode, null, "the loop goes on");

  writeConfig(dir, "edge.yaml", { xdp: [c1, bl] });
  await untilTrue(t, "the fixed config is applied", () => chainOf(lab).join() === "c1,bl", run);
  await untilTrue(t, "the loop is Ready again", () => conditionOf(loopJson(lab), "Ready") === "True/ReconciliationSucceeded", run);

  rmSync(join(dir, "edge.yaml"));
  await untilTrue(t, "the empty source is refused", () => conditionOf(loopJson(lab), "Ready") === "False/EmptyRefused", run);
  t.same(chainOf(lab), ["c1", "bl"], "an empty source does not detach every hook");
  t.same(await udpExchange(lab, [ADDR.allowed, ADDR.blocked], 20), { [ADDR.allowed]: 20, [ADDR.blocked]: 0 }, "still filtering");

  writeConfig(dir, "edge.yaml", { xdp: [c1, bl] });
  await untilTrue(t, "the config is back", () => conditionOf(loopJson(lab), "Ready") === "True/ReconciliationSucceeded", run);
  const before = loopJson(lab)!.reconciles;
  run.child.kill("SIGHUP");
  await untilTrue(t, "SIGHUP reconciles", () => loopJson(lab)!.reconciles > before, run);

  run.child.kill("SIGTERM");
  t.equal(await run.exited, 0, "SIGTERM: exit 0");
  t.same(chainOf(lab), ["c1", "bl"], "every NF keeps running");
  t.same(await udpExchange(lab, [ADDR.allowed, ADDR.blocked], 20), { [ADDR.allowed]: 20, [ADDR.blocked]: 0 });
});

t.test("a write 20 ms after another is applied too, not left for the resync (chokidar reports only the first)", async (t) => {
  const lab = createLab();
  t.teardown(lab.cleanup);
  const dir = join(t.testdir(), "config");
  mkdirSync(dir);
  writeConfig(dir, "edge.yaml", { xdp: [c1, bl] });
  const run = startNfctl(t, lab, ["watch", "-f", dir, "--listen", "127.0.0.1:0", "--resync", "1h", "--debounce", "1ms"]);
  await untilTrue(t, "the first reconcile is applied", () => chainOf(lab).join() === "c1,bl", run);
  for (let i = 0; i < 3; i++) {
    writeConfig(dir, "edge.yaml", { xdp: [c1] });
    await new Promise((resolve) => setTimeout(resolve, 20));
    writeConfig(dir, "edge.yaml", { xdp: [bl, c1] });
    await untilTrue(t, `the second of two quick writes is applied (${i + 1} of 3)`, () => chainOf(lab).join() === "bl,c1", run);
    writeConfig(dir, "edge.yaml", { xdp: [c1, bl] });
    await untilTrue(t, "the next write is applied", () => chainOf(lab).join() === "c1,bl", run);
  }
  t.same(await udpExchange(lab, [ADDR.allowed, ADDR.blocked], 20), { [ADDR.allowed]: 20, [ADDR.blocked]: 0 }, "the last config serves");
});

t.test("--allow-empty: an empty source detaches every hook", async (t) => {
  const lab = createLab();
  t.teardown(lab.cleanup);
  const dir = join(t.testdir(), "config");
  mkdirSync(dir);
  writeConfig(dir, "edge.yaml", { xdp: [c1] });
  const run = watch(t, lab, dir, ["--allow-empty"]);
  await untilTrue(t, "applied", () => chainOf(lab).join() === "c1", run);
  t.equal(attachedXdp(lab.nsB, "veth-b"), statusJson(lab).hooks[0]?.nfs[0]?.progId, "the kernel runs c1 on veth-b");
  rmSync(join(dir, "edge.yaml"));
  await untilTrue(t, "detached", () => statusJson(lab).hooks.length === 0, run);
  t.equal(attachedXdp(lab.nsB, "veth-b"), undefined, "the kernel runs nothing on veth-b's XDP hook");
  await untilTrue(t, "the loop is Ready", () => conditionOf(loopJson(lab), "Ready") === "True/ReconciliationSucceeded", run);
  run.child.kill("SIGTERM");
  t.equal(await run.exited, 0);
});

t.test("a ConfigMap volume: the ..data symlink swap is followed, through the symlinks", async (t) => {
  const lab = createLab();
  t.teardown(lab.cleanup);
  const volume = join(t.testdir(), "volume");
  mkdirSync(volume);
  // What kubelet's atomic writer does: files in a timestamped directory,
  // ..data pointing at it, and each file a link through ..data.
  const publish = (stamp: string, nfs: NfSpec[]) => {
    const data = join(volume, `..${stamp}`);
    mkdirSync(data);
    writeConfig(data, "edge.yaml", { xdp: nfs });
    symlinkSync(`..${stamp}`, join(volume, "..data_tmp"));
    renameSync(join(volume, "..data_tmp"), join(volume, "..data"));
  };
  publish("2026_12_01_10_00_00.000000001", [c1, bl]);
  symlinkSync("..data/edge.yaml", join(volume, "edge.yaml"));
  const run = watch(t, lab, volume);
  await untilTrue(t, "the first version is applied", () => chainOf(lab).join() === "c1,bl", run);
  publish("2026_12_01_10_05_00.000000002", [c1]);
  await untilTrue(t, "the swapped version is applied", () => chainOf(lab).join() === "c1", run);
  t.same(await udpExchange(lab, [ADDR.blocked], 20), { [ADDR.blocked]: 20 }, "the new chain serves");
  run.child.kill("SIGTERM");
  t.equal(await run.exited, 0);
});

t.test("an interface deleted and created again is attached again within seconds, not at the resync", async (t) => {
  const lab = createLab();
  t.teardown(lab.cleanup);
  const addPair = () => {
    ipIn(lab.nsB, "link", "add", "x0", "type", "veth", "peer", "name", "x1");
    ipIn(lab.nsB, "link", "set", "x0", "up");
    ipIn(lab.nsB, "link", "set", "x1", "up");
  };
  const dir = join(t.testdir(), "config");
  mkdirSync(dir);
  writeConfigFor(dir, "edge.yaml", [{ ifname: "x0", xdp: [c1] }]);
  const run = watch(t, lab, dir);
  await untilTrue(
    t,
    "the loop waits for x0",
    () => /waiting for interfaces x0/.test(loopJson(lab)?.conditions.find((c) => c.type === "Ready")?.message ?? ""),
    run,
  );
  t.equal(conditionOf(loopJson(lab), "Ready"), "True/ReconciliationSucceeded", "a missing interface does not block the rest");
  addPair();
  const attached = () => {
    const hook = statusJson(lab).hooks.find((h) => h.ifname === "x0");
    return hook !== undefined && hook.nfs.length === 1 && hook.drift.length === 0;
  };
  let started = Date.now();
  await untilTrue(t, "x0 is attached", attached, run, 5000);
  t.comment(`x0 appeared: attached after ${Date.now() - started} ms`);
  ipIn(lab.nsB, "link", "del", "x0");
  addPair();
  started = Date.now();
  await untilTrue(
    t,
    "x0 is attached again",
    () => {
      const hook = statusJson(lab).hooks.find((h) => h.ifname === "x0");
      return hook !== undefined && attached() && hook.ifindex !== undefined && hook.linkId !== undefined;
    },
    run,
    5000,
  );
  t.ok(Date.now() - started < 5000, `x0 created again: attached after ${Date.now() - started} ms (the resync is 60 s)`);
  const x0 = statusJson(lab).hooks.find((h) => h.ifname === "x0");
  t.equal(x0?.ifindex, (JSON.parse(ipIn(lab.nsB, "-j", "link", "show", "dev", "x0")) as Array<{ ifindex: number }>)[0]!.ifindex, "the hook is on the new x0");
  t.equal(attachedXdp(lab.nsB, "x0"), x0?.nfs[0]?.progId, "and the kernel runs c1 there");
  run.child.kill("SIGTERM");
  t.equal(await run.exited, 0);
});

t.test("SIGTERM during an apply in flight: the apply runs to its end, then the loop exits 0", async (t) => {
  const lab = createLab();
  t.teardown(lab.cleanup);
  const dir = join(t.testdir(), "config");
  mkdirSync(dir);
  writeConfig(dir, "edge.yaml", { xdp: [bl, c1], tcEgress: [c1] });
  // Stopped after the XDP hook switched, before the TC hook did.
  const run = startNfctl(t, lab, ["watch", "-f", dir, ...FAST], { NFCTL_TEST_PAUSE_AT: "veth-b xdp: committed" });
  await untilPaused(run);
  run.child.kill("SIGTERM");
  run.child.kill("SIGCONT");
  t.equal(await run.exited, 0, "the loop exits 0");
  const hooks = statusJson(lab).hooks.map((h) => `${h.hook}:${h.nfs.map((n) => n.name).join(",")}`);
  t.same(hooks.sort(), ["tc-egress:c1", "xdp:bl,c1"], "both hooks were switched: the apply ran to its end");
  t.same(await udpExchange(lab, [ADDR.allowed, ADDR.blocked], 10), { [ADDR.allowed]: 10, [ADDR.blocked]: 0 }, "and serves after the loop ended");
  t.match(loopJson(lab)?.stoppedAt, /^\d{4}-/, "the status says the loop stopped");
});

t.test("--resync repairs drift without any event: an nf_next rewritten behind nfctl's back to skip the blocklist", async (t) => {
  const lab = createLab();
  t.teardown(lab.cleanup);
  const dir = join(t.testdir(), "config");
  mkdirSync(dir);
  const c2: NfSpec = { name: "c2", nf: "counter" };
  writeConfig(dir, "edge.yaml", { xdp: [c1, bl, c2] });
  const run = startNfctl(t, lab, ["watch", "-f", dir, "--listen", "127.0.0.1:0", "--resync", "2s"]);
  const applies = () => run.stderr().match(/"result":"applied"[^\n]*"msg":"reconciled"/g)?.length ?? 0;
  await untilTrue(t, "the first reconcile is applied and logged", () => applies() === 1, run);
  t.same(chainOf(lab), ["c1", "bl", "c2"]);
  // A map update: no file changes and no netlink event, so only the resync can find it.
  const { hook, paths } = firstHookPaths(lab);
  const generation = paths.generation(hook.live!.number);
  withHandle(openPinned("map", generation.nf(0, "c1").next), (next) =>
    withHandle(openPinned("prog", generation.nf(2, "c2").prog), (c2prog) => setProgramSlot(next, 0, c2prog, "the test's drift")),
  );
  t.equal(applies(), 1, "one apply so far: the first");
  await untilTrue(t, "a resync applies the repair", () => applies() === 2, run, 20_000);
  t.equal(statusJson(lab).hooks[0]!.drift.length, 0, "no drift left");
  t.same(await udpExchange(lab, [ADDR.allowed, ADDR.blocked], 10), { [ADDR.allowed]: 10, [ADDR.blocked]: 0 }, "the blocklist drops again");
  run.child.kill("SIGTERM");
  t.equal(await run.exited, 0);
});

t.test("a path that cannot be watched fails the start: one line, exit 1, nothing applied, nothing left running", async (t) => {
  const lab = createLab();
  t.teardown(lab.cleanup);
  const base = t.testdir();
  const dir = join(base, "config");
  mkdirSync(dir);
  writeConfig(dir, "edge.yaml", { xdp: [c1] });
  const missing = join(base, "missing");
  const run = startNfctl(t, lab, ["watch", "-f", dir, "-f", missing, ...FAST]);
  t.equal(await run.exited, 1, "the command ends instead of looping without its watch");
  t.equal(
    run
      .stderr()
      .split("\n")
      .filter((l) => l.startsWith("nfctl: "))
      .join("\n"),
    `nfctl: cannot read ${missing}: no such file or directory`,
  );
  t.same(statusJson(lab).hooks, [], "nothing was applied, not even the readable directory's chain");
});
