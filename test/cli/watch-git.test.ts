/**
 * `nfctl watch --git` on a local bare repository: a pushed commit is
 * applied and its revision (main@sha1:<sha>) recorded with the chain; a bad
 * commit changes nothing in the kernel and shows in the status; the next
 * good commit applies.
 */
import t from "tap";
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createLab, ADDR, type Lab } from "../../scripts/test-lab.js";
import { udpExchange } from "../../scripts/traffic.js";
import { requireKernel, eventually, type TapTest } from "../helpers/kernel.js";
import { conditionOf, loopJson, startNfctl, statusJson, writeConfig, type NfSpec, type StartedNfctl } from "../helpers/cli.js";

requireKernel();

const bl: NfSpec = { name: "bl", nf: "blocklist", maps: `blocklist_v4:\n  ${ADDR.blocked}/32: 1` };
const c1: NfSpec = { name: "c1", nf: "counter" };

function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", ["-c", "user.name=nfctl test", "-c", "user.email=test@nfctl.invalid", "-c", "commit.gpgsign=false", ...args], {
    cwd,
    encoding: "utf8",
  }).trim();
}

/** A bare repository and a clone to commit from; returns the file:// URL and a commit-and-push function. */
function repository(dir: string): { url: string; work: string; push(message: string): string } {
  const bare = join(dir, "nfs.git");
  const work = join(dir, "work");
  execFileSync("git", ["init", "-q", "--bare", "-b", "main", bare]);
  execFileSync("git", ["init", "-q", "-b", "main", work]);
  git(work, "remote", "add", "origin", bare);
  return {
    url: `file://${bare}`,
    work,
    push(message) {
      git(work, "add", "-A");
      git(work, "commit", "-q", "-m", message);
      git(work, "push", "-q", "origin", "main");
      return git(work, "rev-parse", "HEAD");
    },
  };
}

function chainOf(lab: Lab): string[] {
  return (
    statusJson(lab)
      .hooks.find((h) => h.hook === "xdp")
      ?.nfs.map((n) => n.name) ?? []
  );
}

async function waitFor(t: TapTest, what: string, probe: () => boolean, run: StartedNfctl, ms = 15_000): Promise<void> {
  if (!(await eventually(probe, ms))) t.fail(`timed out waiting until ${what}; nfctl's log:\n${run.stderr().slice(-3000)}`);
}

t.test("commits are applied as they are pushed; a bad commit changes nothing", async (t) => {
  const lab = createLab();
  t.teardown(lab.cleanup);
  const dir = t.testdir();
  const repo = repository(dir);
  const hosts = join(repo.work, "hosts");
  mkdirSync(hosts);
  writeConfig(hosts, "edge.yaml", { xdp: [c1, bl] });
  const first = repo.push("c1 and the blocklist");
  const run = startNfctl(t, lab, [
    "watch",
    "--git",
    repo.url,
    "--path",
    "hosts",
    "--interval",
    "1s",
    "--cache-dir",
    join(dir, "cache"),
    "--retry-interval",
    "500ms",
    "--listen",
    "127.0.0.1:0",
  ]);
  await waitFor(t, "the first commit is applied", () => loopJson(lab)?.lastAppliedRevision === `main@sha1:${first}`, run);
  t.same(chainOf(lab), ["c1", "bl"]);
  t.same(statusJson(lab).hooks[0]!.source, { path: repo.url, revision: `main@sha1:${first}` }, "the generation records the commit it runs");
  t.same(await udpExchange(lab, [ADDR.allowed, ADDR.blocked], 20), { [ADDR.allowed]: 20, [ADDR.blocked]: 0 });

  writeConfig(hosts, "edge.yaml", { xdp: [c1] });
  const second = repo.push("drop the blocklist");
  const pushedAt = Date.now();
  await waitFor(t, "the second commit is applied", () => loopJson(lab)?.lastAppliedRevision === `main@sha1:${second}`, run);
  t.comment(`push to applied: ${Date.now() - pushedAt} ms with --interval 1s`);
  t.same(chainOf(lab), ["c1"]);
  t.same(await udpExchange(lab, [ADDR.blocked], 20), { [ADDR.blocked]: 20 });

  const progIds = statusJson(lab).hooks.flatMap((h) => h.nfs.map((n) => n.progId));
  writeFileSync(join(hosts, "edge.yaml"), "apiVersion: nfctl.io/v1alpha1\nkind: NetworkFunctions\nspec:\n  interfaces: 7\n");
  const bad = repo.push("a bad config");
  await waitFor(t, "the bad commit is refused", () => loopJson(lab)?.lastAttemptedRevision === `main@sha1:${bad}`, run);
  await waitFor(t, "the refusal shows", () => conditionOf(loopJson(lab), "Ready") === "False/ConfigInvalid", run);
  const loop = loopJson(lab)!;
  t.equal(loop.lastAppliedRevision, `main@sha1:${second}`, "the last good commit is still the applied one");
  t.same(
    statusJson(lab).hooks.flatMap((h) => h.nfs.map((n) => n.progId)),
    progIds,
    "the kernel runs what it ran",
  );

  writeConfig(hosts, "edge.yaml", { xdp: [c1, bl] });
  const fixed = repo.push("the blocklist again");
  await waitFor(t, "the fix is applied", () => loopJson(lab)?.lastAppliedRevision === `main@sha1:${fixed}`, run);
  t.equal(conditionOf(loopJson(lab), "Ready"), "True/ReconciliationSucceeded");
  t.same(await udpExchange(lab, [ADDR.allowed, ADDR.blocked], 20), { [ADDR.allowed]: 20, [ADDR.blocked]: 0 });
  run.child.kill("SIGTERM");
  t.equal(await run.exited, 0);
});
