/**
 * `nfctl watch --git` on a local bare repository: a pushed commit is
 * applied and its revision (main@sha1:<sha>) recorded with the chain; a bad
 * commit, a commit that deletes the config's path, and a commit that is
 * unsigned or signed by a key outside the keyring change nothing in the
 * kernel and show in the status; the next good commit applies.
 */
import t from "tap";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createLab, inNetns, ADDR, type Lab } from "../../scripts/test-lab.js";
import { udpExchange } from "../../scripts/traffic.js";
import { attachedXdp, firstHookPaths, requireKernel, type TapTest } from "../helpers/kernel.js";
import { BUILD } from "../../scripts/nfs.js";
import { detachLink, openPinned, setProgramSlot, withHandle } from "../../src/native/index.js";
import {
  chainOf,
  conditionOf,
  loopJson,
  nfctl,
  startNfctl,
  statusJson,
  untilLoop,
  untilTrue,
  writeConfig,
  type NfSpec,
  type StartedNfctl,
} from "../helpers/cli.js";
import type { LoopStatus } from "../../src/controller/index.js";
import { gpgKey, makeRemote, type Remote } from "../sources/helpers/git-fixtures.js";
import { httpGet } from "../../scripts/netns-http.js";

requireKernel();

const bl: NfSpec = { name: "bl", nf: "blocklist", maps: `blocklist_v4:\n  ${ADDR.blocked}/32: 1` };
const c1: NfSpec = { name: "c1", nf: "counter" };

/** `cacheDir`: not t.testdir(), which empties the test's directory each time it is called. */
function watchGit(t: TapTest, lab: Lab, remote: Remote, cacheDir: string, extra: string[] = []): StartedNfctl {
  const args = ["watch", "--git", remote.url, "--path", "hosts", "--interval", "1s", "--cache-dir", cacheDir];
  return startNfctl(t, lab, [...args, "--retry-interval", "500ms", "--listen", "127.0.0.1:0", ...extra]);
}

/** Commits the chain `nfs` on veth-b's XDP hook as hosts/edge.yaml and pushes it; returns the revision. */
function pushChain(remote: Remote, nfs: NfSpec[], options: Parameters<Remote["commit"]>[1] = {}): string {
  mkdirSync(join(remote.work, "hosts"), { recursive: true });
  writeConfig(join(remote.work, "hosts"), "edge.yaml", { xdp: nfs });
  return pushed(remote, remote.commit({}, options));
}

function pushed(remote: Remote, sha: string): string {
  remote.push("main");
  return `main@sha1:${sha}`;
}

const progIds = (lab: Lab) => statusJson(lab).hooks.flatMap((h) => h.nfs.map((n) => n.progId));

t.test("commits are applied as they are pushed; a bad commit and a deleted path change nothing", async (t) => {
  const lab = createLab();
  t.teardown(lab.cleanup);
  const remote = makeRemote(t);
  const first = pushChain(remote, [c1, bl]);
  const run = watchGit(t, lab, remote, join(t.testdir(), "cache"));
  await untilTrue(t, "the first commit is applied", () => loopJson(lab)?.lastAppliedRevision === first, run);
  t.same(chainOf(lab), ["c1", "bl"]);
  t.same(statusJson(lab).hooks[0]!.source, { path: remote.url, revision: first }, "the generation records the commit it runs");
  t.same(await udpExchange(lab, [ADDR.allowed, ADDR.blocked], 20), { [ADDR.allowed]: 20, [ADDR.blocked]: 0 });

  const second = pushChain(remote, [c1]);
  const pushedAt = Date.now();
  await untilTrue(t, "the second commit is applied", () => loopJson(lab)?.lastAppliedRevision === second, run);
  t.comment(`push to applied: ${Date.now() - pushedAt} ms with --interval 1s`);
  t.same(chainOf(lab), ["c1"]);
  t.same(await udpExchange(lab, [ADDR.blocked], 20), { [ADDR.blocked]: 20 });

  const serving = progIds(lab);
  writeFileSync(join(remote.work, "hosts", "edge.yaml"), "apiVersion: nfctl.io/v1alpha1\nkind: NetworkFunctions\nspec:\n  interfaces: 7\n");
  const bad = pushed(remote, remote.commit({}, { message: "a bad config" }));
  let loop = (await untilLoop(t, "the bad commit is refused", lab, run, (l) => conditionOf(l, "Ready") === "False/ConfigInvalid"))!;
  t.equal(loop.lastAttemptedRevision, bad);
  t.equal(loop.lastAppliedRevision, second, "the last good commit is still the applied one");
  t.match(
    loop.conditions.find((c) => c.type === "Ready")?.message,
    /hosts\/edge\.yaml:4:15: spec\.interfaces: must be a list/,
    "the status names the file, line and field",
  );
  t.same(progIds(lab), serving, "the kernel runs what it ran");

  const deleted = pushed(remote, remote.commit({ hosts: null }, { message: "delete the hosts directory" }));
  loop = (await untilLoop(t, "the deleted path is refused", lab, run, (l) => conditionOf(l, "Ready") === "False/EmptyRefused"))!;
  t.equal(loop.lastAttemptedRevision, deleted);
  t.match(loop.conditions.find((c) => c.type === "Ready")?.message, /configures no network function; .*--allow-empty/);
  t.same(progIds(lab), serving, "nothing was detached");
  t.same(await udpExchange(lab, [ADDR.blocked], 10), { [ADDR.blocked]: 10 });

  const fixed = pushChain(remote, [c1, bl]);
  await untilTrue(t, "the fix is applied", () => loopJson(lab)?.lastAppliedRevision === fixed, run);
  await untilTrue(t, "the loop is Ready", () => conditionOf(loopJson(lab), "Ready") === "True/ReconciliationSucceeded", run);
  t.same(await udpExchange(lab, [ADDR.allowed, ADDR.blocked], 20), { [ADDR.allowed]: 20, [ADDR.blocked]: 0 });
  run.child.kill("SIGTERM");
  t.equal(await run.exited, 0);
});

t.test("--verify-signatures: only commits signed by a key of the keyring are applied", async (t) => {
  const lab = createLab();
  t.teardown(lab.cleanup);
  const signer = gpgKey(t, "nfctl signer <signer@nfctl.invalid>");
  const stranger = gpgKey(t, "someone else <else@nfctl.invalid>");
  const dir = t.testdir();
  const keyring = signer.exportTo(join(dir, "keyring.asc"), true);
  const remote = makeRemote(t);
  const signed = pushChain(remote, [c1, bl], { key: signer });
  const run = watchGit(t, lab, remote, join(dir, "cache"), ["--verify-signatures", keyring]);
  await untilTrue(t, "the signed commit is applied", () => loopJson(lab)?.lastAppliedRevision === signed, run);
  t.same(chainOf(lab), ["c1", "bl"]);
  const serving = progIds(lab);

  const unsigned = pushChain(remote, [c1]);
  const readyOf = (loop: LoopStatus | undefined) => loop?.conditions.find((c) => c.type === "Ready");
  let refused = await untilLoop(t, "the unsigned commit is refused", lab, run, (loop) => conditionOf(loop, "Ready") === "False/VerificationFailed");
  t.equal(readyOf(refused)?.message, `commit ${unsigned.slice(-40, -33)} on main of ${remote.url} is not signed; enforcing the last good revision ${signed}`);
  t.equal(refused?.enforcedRevision, signed);
  t.same(progIds(lab), serving, "the kernel runs the signed commit's chain");
  t.same(await udpExchange(lab, [ADDR.blocked], 10), { [ADDR.blocked]: 0 }, "the blocklist still drops");

  const foreign = pushChain(remote, [c1], { key: stranger });
  refused = await untilLoop(t, "the foreign signature is refused", lab, run, (loop) => /signed by key/.test(readyOf(loop)?.message ?? ""));
  t.equal(readyOf(refused)?.reason, "VerificationFailed");
  t.equal(
    readyOf(refused)?.message,
    `commit ${foreign.slice(-40, -33)} on main of ${remote.url} is signed by key ${stranger.keyId} which is not in the keyring ${keyring}; enforcing the last good revision ${signed}`,
  );
  t.equal(refused?.lastAppliedRevision, signed);
  t.same(progIds(lab), serving);

  const next = pushChain(remote, [c1], { key: signer });
  await untilTrue(t, "the next signed commit is applied", () => loopJson(lab)?.lastAppliedRevision === next, run);
  t.same(chainOf(lab), ["c1"]);
  t.same(await udpExchange(lab, [ADDR.blocked], 10), { [ADDR.blocked]: 10 });
  run.child.kill("SIGTERM");
  t.equal(await run.exited, 0);
});

t.test("one-shot apply --git applies the commit once and records it, as the loop does", async (t) => {
  const lab = createLab();
  t.teardown(lab.cleanup);
  const remote = makeRemote(t);
  const revision = pushChain(remote, [c1, bl]);
  const cache = join(t.testdir(), "cache");
  const r = nfctl(lab, ["apply", "--git", remote.url, "--path", "hosts", "--cache-dir", cache]);
  t.equal(r.code, 0, r.stderr);
  t.same(chainOf(lab), ["c1", "bl"]);
  t.same(statusJson(lab).hooks[0]!.source, { path: remote.url, revision }, "the generation records the commit");
  t.same(await udpExchange(lab, [ADDR.allowed, ADDR.blocked], 10), { [ADDR.allowed]: 10, [ADDR.blocked]: 0 });
  const again = nfctl(lab, ["plan", "--git", remote.url, "--path", "hosts", "--cache-dir", cache, "--detailed-exitcode"]);
  t.equal(again.code, 0, "converged: the same commit plans no change");
});

t.test("while the newest commit is bad, the last good one is enforced: drift is repaired within a resync, with the same code", async (t) => {
  const lab = createLab();
  t.teardown(lab.cleanup);
  const remote = makeRemote(t);
  // The blocklist's object in the repository: the bad commit deletes it, so only the bytes nfctl kept can repair with it.
  mkdirSync(join(remote.work, "nfs"), { recursive: true });
  copyFileSync(join(BUILD, "blocklist.o"), join(remote.work, "nfs", "blocklist.o"));
  mkdirSync(join(remote.work, "hosts"), { recursive: true });
  const file = writeConfig(join(remote.work, "hosts"), "edge.yaml", { xdp: [c1, bl, { name: "c2", nf: "counter" }] });
  writeFileSync(file, readFileSync(file, "utf8").replace(`${BUILD}/blocklist.o`, "../nfs/blocklist.o"));
  const good = pushed(remote, remote.commit({}));
  const run = watchGit(t, lab, remote, join(t.testdir(), "cache"), ["--resync", "2s"]);
  await untilTrue(t, "the good commit is applied", () => loopJson(lab)?.lastAppliedRevision === good, run);
  const blocklist = statusJson(lab).hooks[0]!.nfs.find((nf) => nf.name === "bl")!;
  t.same(await udpExchange(lab, [ADDR.allowed, ADDR.blocked], 20), { [ADDR.allowed]: 20, [ADDR.blocked]: 0 });

  writeFileSync(file, "apiVersion: nfctl.io/v1alpha1\nkind: NetworkFunctions\nspec:\n  interfaces: 7\n");
  const bad = pushed(remote, remote.commit({ "nfs/blocklist.o": null }, { message: "a bad config, and the object gone" }));
  const loop = (await untilLoop(
    t,
    "the bad commit is refused",
    lab,
    run,
    (l) => l.lastAttemptedRevision === bad && conditionOf(l, "Ready") === "False/ConfigInvalid",
  ))!;
  t.equal(loop.enforcedRevision, good, "the status names the revision enforced meanwhile");
  t.match(
    loop.conditions.find((c) => c.type === "Ready")?.message,
    `hosts/edge.yaml:4:15: spec.interfaces: must be a list; enforcing the last good revision ${good}`,
  );

  inNetns(lab.nsB, () => withHandle(openPinned("link", firstHookPaths(lab).paths.link), (link) => detachLink(link, "test")));
  const detachedAt = Date.now();
  t.same(await udpExchange(lab, [ADDR.blocked], 10), { [ADDR.blocked]: 10 }, "detached: nothing filters");
  await untilTrue(
    t,
    "the link is attached again",
    () => statusJson(lab).hooks[0]!.drift.length === 0 && attachedXdp(lab.nsB, "veth-b") !== undefined,
    run,
    10_000,
  );
  t.ok(Date.now() - detachedAt < 6_000, `repaired ${Date.now() - detachedAt} ms after the detach, within a resync of 2 s (and a reconcile)`);
  t.same(await udpExchange(lab, [ADDR.allowed, ADDR.blocked], 20), { [ADDR.allowed]: 20, [ADDR.blocked]: 0 }, "the blocked source is dropped again");

  // Drift that needs the code again: nf_next rewritten to skip the blocklist, whose file the bad commit deleted.
  const { hook, paths } = firstHookPaths(lab);
  const generation = paths.generation(hook.live!.number);
  withHandle(openPinned("map", generation.nf(0, "c1").next), (next) =>
    withHandle(openPinned("prog", generation.nf(2, "c2").prog), (c2prog) => setProgramSlot(next, 0, c2prog, "the test's drift")),
  );
  // The repair builds a new generation, loading the blocklist from the bytes kept (its file is gone); the
  // resync may come before any traffic could show the skip, so the new generation is what proves the repair.
  const skipped = hook.live!.number;
  await untilTrue(
    t,
    "the chain is whole again, in a new generation",
    () => {
      const now = statusJson(lab).hooks[0]!;
      return now.drift.length === 0 && now.generation !== skipped;
    },
    run,
    10_000,
  );
  t.same(await udpExchange(lab, [ADDR.allowed, ADDR.blocked], 20), { [ADDR.allowed]: 20, [ADDR.blocked]: 0 }, "dropped again");
  const repaired = statusJson(lab).hooks[0]!.nfs.find((nf) => nf.name === "bl")!;
  t.equal(repaired.digest, blocklist.digest, "the blocklist runs the same object, by digest");
  t.same(repaired.maps, blocklist.maps, "with the same map contents");
  const still = loopJson(lab)!;
  t.equal(conditionOf(still, "Ready"), "False/ConfigInvalid", "the source is still bad, and still said to be");
  t.equal(still.enforcedRevision, good);
  run.child.kill("SIGTERM");
  t.equal(await run.exited, 0);
});

t.test("a token in the URL shows nowhere: not in the log, the status, /status or /metrics", async (t) => {
  const lab = createLab();
  t.teardown(lab.cleanup);
  const token = "glpat-w4tch-T0KEN";
  // Nothing listens on port 9 of the lab's loopback: the source fails, and says so everywhere nfctl speaks.
  const url = `https://nfctl:${token}@127.0.0.1:9/net/nfs.git`;
  const shown = "https://***@127.0.0.1:9/net/nfs.git";
  const run = startNfctl(t, lab, [
    "--log-level",
    "debug",
    "watch",
    "--git",
    url,
    "--interval",
    "1s",
    "--retry-interval",
    "500ms",
    "--cache-dir",
    join(t.testdir(), "cache"),
    "--listen",
    "127.0.0.1:0",
  ]);
  const failed = await untilLoop(t, "the source's failure is in the status", lab, run, (l) => conditionOf(l, "Ready").startsWith("False/"));
  const listening = () => /"listen":"127\.0\.0\.1:(\d+)"/.exec(run.stderr())?.[1];
  await untilTrue(t, "nfctl says where it listens", () => listening() !== undefined, run);
  // The log is read as it arrives, between the test's awaits: wait for the failure's line.
  await untilTrue(t, "the log names the source without its credentials", () => run.stderr().includes(`cannot list the HEAD of ${shown}`), run);
  const base = `http://127.0.0.1:${listening()!}`;
  const said = {
    log: run.stderr(),
    "status -o json": nfctl(lab, ["status", "-o", "json"]).stdout,
    status: nfctl(lab, ["status"]).stdout,
    "/status": (await httpGet(`${base}/status`, lab.nsB)).body,
    "/metrics": (await httpGet(`${base}/metrics`, lab.nsB)).body,
  };
  t.match(JSON.stringify(failed), shown, "the status names the source without its credentials");
  for (const [where, text] of Object.entries(said)) {
    t.ok(text.length > 0, `${where}: something was said`);
    t.notOk(text.includes(token), `${where}: no token`);
    t.notOk(text.includes("nfctl:glpat"), `${where}: no user:token pair`);
  }
  run.child.kill("SIGTERM");
  t.equal(await run.exited, 0);
});
