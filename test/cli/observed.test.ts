/**
 * `nfctl plan --offline --observed FILE` end to end: a host's `nfctl
 * status -o json`, taken after an apply, lets an unprivileged user (nobody,
 * as in CI) make the plan the host would make: "No changes" for the
 * applied config, the same plan as a live `nfctl plan` for a changed one,
 * and a plan the host can apply as saved.
 */
import t from "tap";
import { spawnSync } from "node:child_process";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createLab, ADDR } from "../../scripts/test-lab.js";
import { requireKernel } from "../helpers/kernel.js";
import { jsonOutput, nfctl, statusJson, writeConfig, type CliResult, type NfSpec } from "../helpers/cli.js";
import type { Plan } from "../../src/reconcile/index.js";

requireKernel();

const NFCTL = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

const c1: NfSpec = { name: "c1", nf: "counter" };
const bl = (addresses: string[]): NfSpec => ({ name: "bl", nf: "blocklist", maps: `blocklist_v4:\n${addresses.map((a) => `  ${a}/32: 1`).join("\n")}` });

/** nfctl as user nobody, outside the lab's namespace: it reads files only. */
function asNobody(args: string[]): CliResult {
  // `env -i`: without the hooks the test runner adds to every child's environment (they write where nobody may not).
  const user = ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "env", "-i", `PATH=${process.env.PATH ?? ""}`, "NO_COLOR=1"];
  const r = spawnSync("setpriv", [...user, process.execPath, NFCTL, ...args], { encoding: "utf8" });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

t.test("a host's status: no changes offline for the applied config, the live plan for a changed one", async (t) => {
  const lab = createLab();
  t.teardown(lab.cleanup);
  const dir = t.testdir();
  chmodSync(dir, 0o755);
  const applied = writeConfig(dir, "a.yaml", { xdp: [c1, bl([ADDR.blocked])], tcEgress: [c1] });
  t.equal(nfctl(lab, ["apply", "-f", applied]).code, 0);
  const snapshot = join(dir, "edge.json");
  const status = nfctl(lab, ["status", "-o", "json"]);
  t.equal(status.code, 0, status.stderr);
  writeFileSync(snapshot, status.stdout);
  chmodSync(snapshot, 0o644);

  const same = asNobody(["plan", "--offline", "--observed", snapshot, "-f", applied, "--detailed-exitcode"]);
  t.equal(same.code, 0, same.stderr);
  t.match(same.stdout, /^No changes\. The configuration matches the host status in \S+edge\.json \(network namespace \d+\)\./);
  t.equal(same.stderr, "", "no note: the plan is against the host's state, not an empty one");
  const markdown = asNobody(["plan", "--offline", "--observed", snapshot, "-f", applied, "-o", "markdown"]);
  t.match(markdown.stdout, /^### No changes\.\n\nThe configuration matches the host status in \S+edge\.json \(network namespace \d+\)\.\n$/);

  // A reorder, a map change, a hook removed and one added.
  const changed = writeConfig(dir, "b.yaml", { xdp: [bl([ADDR.blocked, ADDR.allowed]), c1], tcIngress: [c1] });
  const live = nfctl(lab, ["plan", "-f", changed, "-o", "json", "--detailed-exitcode"]);
  t.equal(live.code, 2, live.stderr);
  const offline = asNobody(["plan", "--offline", "--observed", snapshot, "-f", changed, "-o", "json", "--detailed-exitcode"]);
  t.equal(offline.code, 2, offline.stderr);
  const plan = jsonOutput<Plan>(offline.stdout, "Plan", "plan");
  t.same(plan, { ...jsonOutput<Plan>(live.stdout, "Plan", "plan"), basis: { kind: "observed", file: snapshot, netns: plan.netns } }, "the plan the host makes");
  t.same(
    plan.hooks.map((h) => [h.id, h.commit]),
    [
      ["veth-b/xdp", "update"],
      ["veth-b/tc-ingress", "create"],
      ["veth-b/tc-egress", "detach"],
    ],
  );
  t.same(plan.state, statusJson(lab).state, "made against the host's lineage and serial");
  t.equal(
    asNobody(["plan", "--offline", "--observed", snapshot, "-f", changed]).stdout,
    `Planned offline, against the host status in ${snapshot} (network namespace ${plan.netns}).\n${nfctl(lab, ["plan", "-f", changed]).stdout.replaceAll("(kernel)", "(observed)")}`,
    "and shown the same, but for what it planned against",
  );

  // Planned in CI, applied on the host as saved.
  const saved = join(dir, "plan.json");
  t.equal(nfctl(lab, ["plan", "--offline", "--observed", snapshot, "-f", changed, "--out", saved]).code, 0);
  const apply = nfctl(lab, ["apply", saved]);
  t.equal(apply.code, 0, apply.stderr);
  t.same(
    statusJson(lab).hooks.map((h) => [h.hook, h.nfs.map((n) => n.name)]),
    [
      ["xdp", ["bl", "c1"]],
      ["tc-ingress", ["c1"]],
    ],
  );
});

t.test("offline against a status: a missing interface and a bad file are one line each, exit 1", async (t) => {
  const lab = createLab();
  t.teardown(lab.cleanup);
  const dir = t.testdir();
  chmodSync(dir, 0o755);
  t.equal(nfctl(lab, ["apply", "-f", writeConfig(dir, "a.yaml", { xdp: [c1] })]).code, 0);
  const snapshot = join(dir, "edge.json");
  writeFileSync(snapshot, nfctl(lab, ["status", "-o", "json"]).stdout);
  chmodSync(snapshot, 0o644);
  const netns = statusJson(lab).netns;

  const elsewhere = asNobody(["plan", "--offline", "--observed", snapshot, "-f", writeConfig(dir, "b.yaml", { ifname: "eth-nowhere", xdp: [c1] })]);
  t.equal(elsewhere.code, 1);
  t.match(
    elsewhere.stderr,
    new RegExp(`^nfctl: \\S+b\\.yaml:\\d+:\\d+: interface "eth-nowhere" does not exist on the host of \\S+edge\\.json \\(network namespace ${netns}\\)\\n$`),
  );

  const plan = join(dir, "plan.json");
  t.equal(nfctl(lab, ["plan", "-f", writeConfig(dir, "c.yaml", { xdp: [c1] }), "--out", plan]).code, 0);
  chmodSync(plan, 0o644);
  const wrongKind = asNobody(["plan", "--offline", "--observed", plan, "-f", join(dir, "c.yaml")]);
  t.equal(wrongKind.code, 1);
  t.match(wrongKind.stderr, /^nfctl: \S+plan\.json is not nfctl's status as JSON \(nfctl status -o json\): it is a "Plan" output\n$/);
  const report = JSON.parse(readFileSync(snapshot, "utf8")) as { status: Record<string, unknown> };
  delete report.status.interfaces;
  writeFileSync(join(dir, "old.json"), JSON.stringify({ formatVersion: 1, kind: "Status", status: report.status }));
  chmodSync(join(dir, "old.json"), 0o644);
  const old = asNobody(["plan", "--offline", "--observed", join(dir, "old.json"), "-f", join(dir, "c.yaml")]);
  t.equal(old.code, 1);
  t.match(old.stderr, /^nfctl: \S+old\.json is not a status this nfctl can plan against: the status has no interfaces: /);
  t.notMatch(old.stderr, /^\s+at /m, "no stack trace");
});
