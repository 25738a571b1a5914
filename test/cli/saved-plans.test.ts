/**
 * Saved plans end to end: `nfctl plan --out FILE`, then `nfctl apply FILE`
 * carries out exactly that plan, and refuses it (exit 1, nothing changed)
 * when the state's lineage or serial, the kernel, or an object changed
 * since it was made. The state's serial counts committed applies only.
 */
import t from "tap";
import { copyFileSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createLab, type Lab } from "../../scripts/test-lab.js";
import { BUILD } from "../../scripts/nfs.js";
import { requireKernel, pinTree, type TapTest } from "../helpers/kernel.js";
import { copiedNf, jsonOutput, nfctl, statusJson, writeConfig, type NfSpec } from "../helpers/cli.js";
import type { ApplyResult, Plan } from "../../src/reconcile/index.js";

requireKernel();

const c1: NfSpec = { name: "c1", nf: "counter" };
const c2: NfSpec = { name: "c2", nf: "counter" };

/** The kernel's side of a lab: every pin, and what each hook runs. */
function snapshot(lab: Lab): unknown {
  return { pins: pinTree(lab.root), hooks: statusJson(lab).hooks.map((h) => [h.ifname, h.hook, h.generation, h.nfs.map((n) => n.progId)]) };
}

/** One error line, exit 1, no stack trace. */
function refused(t: TapTest, r: { code: number; stdout: string; stderr: string }, message: RegExp): void {
  t.equal(r.code, 1, r.stderr);
  // One line and its newline; the pattern is of the line.
  t.match(r.stderr.replace(/\n$/, ""), message);
  t.equal(r.stderr.trim().split("\n").length, 1, `one line: ${r.stderr}`);
  t.notMatch(r.stderr, /^\s+at /m, "no stack trace");
}

t.test("plan --out, then apply FILE: exactly the saved plan, counted in the state's serial", async (t) => {
  const lab = createLab();
  t.teardown(lab.cleanup);
  const dir = t.testdir();
  const file = writeConfig(dir, "a.yaml", { xdp: [c1, c2] });
  const saved = join(dir, "plan.json");

  const planned = nfctl(lab, ["plan", "-f", file, "--out", saved, "--detailed-exitcode"]);
  t.equal(planned.code, 2, planned.stderr);
  t.match(planned.stderr, `nfctl: saved the plan to ${saved}; apply exactly it with: nfctl apply ${saved}`);
  const plan = jsonOutput<Plan>(readFileSync(saved, "utf8"), "Plan", "plan");
  t.equal(plan.state, undefined, "planned before the first apply: no state");
  t.equal(statusJson(lab).state, undefined, "no state before the first apply");

  // The config changes after the plan was saved: the saved plan is what is applied.
  writeConfig(dir, "a.yaml", { xdp: [c2] });
  const applied = nfctl(lab, ["apply", saved]);
  t.equal(applied.code, 0, applied.stderr);
  t.match(applied.stdout, /^Plan: 2 to start/m, "the plan is printed");
  t.match(applied.stdout, /veth-b xdp: generation 1 attached/);
  const after = statusJson(lab);
  t.same(
    after.hooks[0]!.nfs.map((n) => n.name),
    ["c1", "c2"],
    "the saved plan's chain, not the config's",
  );
  t.match(after.state, { serial: 1, lineage: /^[0-9a-f-]{36}$/ }, "the first apply makes the lineage, at serial 1");

  const again = nfctl(lab, ["apply", saved]);
  refused(t, again, /^nfctl: the plan is stale: it was made before the first apply \(no state yet\), the state is now at serial 1; plan again$/);

  const converged = nfctl(lab, ["apply", "-f", writeConfig(dir, "b.yaml", { xdp: [c1, c2] })]);
  t.equal(converged.code, 0, converged.stderr);
  t.same(statusJson(lab).state, after.state, "an apply that changes nothing is not counted");

  const json = nfctl(lab, ["plan", "-f", writeConfig(dir, "c.yaml", { xdp: [c2, c1] }), "--out", saved, "-o", "json"]);
  t.equal(json.code, 0, json.stderr);
  t.same(jsonOutput<Plan>(json.stdout, "Plan", "plan"), jsonOutput<Plan>(readFileSync(saved, "utf8"), "Plan", "plan"), "the file holds what -o json prints");
  const reordered = nfctl(lab, ["apply", saved, "-o", "json"]);
  t.equal(reordered.code, 0, reordered.stderr);
  t.same(jsonOutput<ApplyResult>(reordered.stdout, "ApplyResult", "result").state, { lineage: after.state!.lineage, serial: 2 });

  t.equal(nfctl(lab, ["destroy"]).code, 0);
  t.same(statusJson(lab).state, { lineage: after.state!.lineage, serial: 3 }, "destroy is an apply too; the lineage outlives it");
});

t.test("a saved plan made before another apply is stale: refused, nothing changed", async (t) => {
  const lab = createLab();
  t.teardown(lab.cleanup);
  const dir = t.testdir();
  t.equal(nfctl(lab, ["apply", "-f", writeConfig(dir, "a.yaml", { xdp: [c1] })]).code, 0);
  const saved = join(dir, "plan.json");
  t.equal(nfctl(lab, ["plan", "-f", writeConfig(dir, "b.yaml", { xdp: [c1, c2] }), "--out", saved]).code, 0);
  t.equal(nfctl(lab, ["apply", "-f", writeConfig(dir, "c.yaml", { tcEgress: [c1] })]).code, 0, "meanwhile, another apply");
  const before = snapshot(lab);
  refused(t, nfctl(lab, ["apply", saved]), /^nfctl: the plan is stale: it was made at state serial 1, the state is now at serial 2; plan again$/);
  t.same(snapshot(lab), before, "nothing changed");
  t.equal(statusJson(lab).state?.serial, 2, "a refused apply is not counted");
});

t.test("a saved plan for another state's lineage is refused, nothing changed", async (t) => {
  const lab = createLab();
  t.teardown(lab.cleanup);
  // A second bpffs root in the same network namespace: another state, another lineage.
  const other: Lab = { ...lab, root: `${lab.root}-other` };
  t.teardown(() => rmSync(other.root, { recursive: true, force: true }));
  const dir = t.testdir();
  t.equal(nfctl(lab, ["apply", "-f", writeConfig(dir, "a.yaml", { xdp: [c1] })]).code, 0);
  t.equal(nfctl(other, ["apply", "-f", writeConfig(dir, "o.yaml", { tcIngress: [c1] })]).code, 0);
  const saved = join(dir, "plan.json");
  t.equal(nfctl(lab, ["plan", "-f", writeConfig(dir, "b.yaml", { xdp: [c1, c2] }), "--out", saved]).code, 0);
  const mine = statusJson(lab).state!;
  const theirs = statusJson(other).state!;
  t.not(mine.lineage, theirs.lineage);
  const before = snapshot(other);
  refused(
    t,
    nfctl(other, ["apply", saved]),
    new RegExp(
      `^nfctl: the plan was made for state lineage ${mine.lineage}, but this host's state is lineage ${theirs.lineage}; a saved plan applies only to the state it was made from: plan again here$`,
    ),
  );
  t.same(snapshot(other), before, "nothing changed in the other state");
  // A reboot clears bpffs, and the state with it.
  rmSync(join(lab.root, "records"));
  const cleared = snapshot(lab);
  refused(t, nfctl(lab, ["apply", saved]), /^nfctl: the plan was made for state lineage [0-9a-f-]{36}, but this host has no nfctl state /);
  t.same(snapshot(lab), cleared, "nothing changed");
});

t.test("a saved plan whose object changed, or whose hook changed behind nfctl's back, is refused", async (t) => {
  const lab = createLab();
  t.teardown(lab.cleanup);
  const dir = t.testdir();
  const { object, nf: mine } = copiedNf(dir, "mine", "counter.o", "tc_counter");
  const saved = join(dir, "plan.json");
  t.equal(nfctl(lab, ["plan", "-f", writeConfig(dir, "m.yaml", { tcEgress: [c1, mine] }), "--out", saved]).code, 0);
  copyFileSync(join(BUILD, "test/counter_v2.o"), object);
  refused(
    t,
    nfctl(lab, ["apply", saved]),
    /^nfctl: object \S+mine\.o of NF "mine" changed since the plan was made \(sha256 [0-9a-f]{64}, the plan has [0-9a-f]{64}\); plan again$/,
  );
  t.same(pinTree(lab.root), [], "nothing was pinned");

  t.equal(nfctl(lab, ["apply", "-f", writeConfig(dir, "a.yaml", { xdp: [c1] })]).code, 0);
  t.equal(nfctl(lab, ["plan", "-f", writeConfig(dir, "b.yaml", { xdp: [c2, c1] }), "--out", saved]).code, 0);
  const status = statusJson(lab);
  rmSync(join(lab.root, String(status.netns), "veth-b", "xdp", "link"));
  const before = snapshot(lab);
  refused(t, nfctl(lab, ["apply", saved]), /^nfctl: the kernel changed since the plan was made: veth-b xdp: /);
  t.same(snapshot(lab), before, "nothing changed");
});

t.test("a saved plan with no changes applies only to its own state", async (t) => {
  const lab = createLab();
  t.teardown(lab.cleanup);
  const dir = t.testdir();
  const file = writeConfig(dir, "a.yaml", { xdp: [c1] });
  t.equal(nfctl(lab, ["apply", "-f", file]).code, 0);
  const saved = join(dir, "plan.json");
  t.equal(nfctl(lab, ["plan", "-f", file, "--out", saved]).code, 0);
  const current = nfctl(lab, ["apply", saved]);
  t.equal(current.code, 0, current.stderr);
  t.match(current.stdout, /No changes/);
  t.equal(nfctl(lab, ["apply", "-f", writeConfig(dir, "b.yaml", { xdp: [c2] })]).code, 0);
  refused(t, nfctl(lab, ["apply", saved]), /^nfctl: the plan is stale: it was made at state serial 1, the state is now at serial 2; plan again$/);
});

t.test("a file that is not a saved plan, or one given with -f, is one line and changes nothing", async (t) => {
  const lab = createLab();
  t.teardown(lab.cleanup);
  const dir = t.testdir();
  const file = writeConfig(dir, "a.yaml", { xdp: [c1] });
  t.equal(nfctl(lab, ["apply", "-f", file]).code, 0);
  const before = snapshot(lab);
  const saved = join(dir, "plan.json");
  t.equal(nfctl(lab, ["plan", "-f", writeConfig(dir, "b.yaml", { xdp: [c2] }), "--out", saved]).code, 0);
  const text = readFileSync(saved, "utf8");

  writeFileSync(join(dir, "cut.json"), text.slice(0, text.length / 2));
  refused(t, nfctl(lab, ["apply", join(dir, "cut.json")]), /^nfctl: \S+cut\.json is not a saved nfctl plan \(nfctl plan --out\): it is not JSON /);
  writeFileSync(join(dir, "status.json"), nfctl(lab, ["status", "-o", "json"]).stdout);
  refused(
    t,
    nfctl(lab, ["apply", join(dir, "status.json")]),
    /^nfctl: \S+status\.json is not a saved nfctl plan \(nfctl plan --out\): it is a "Status" output$/,
  );
  writeFileSync(join(dir, "old.json"), text.replace('"formatVersion": 3', '"formatVersion": 1'));
  refused(t, nfctl(lab, ["apply", join(dir, "old.json")]), /^nfctl: \S+old\.json is not a plan this nfctl can apply: the plan has format version 1; /);
  writeFileSync(join(dir, "edited.json"), text.replace(/"stale": \[\]/, '"stale": "none"'));
  refused(
    t,
    nfctl(lab, ["apply", join(dir, "edited.json")]),
    /^nfctl: \S+edited\.json is not a plan this nfctl can apply: plan\.hooks\[0\]\.precondition\.stale must be a list$/,
  );
  refused(t, nfctl(lab, ["apply", join(dir, "missing.json")]), /^nfctl: cannot read the saved plan \S+missing\.json: no such file or directory$/);
  refused(t, nfctl(lab, ["apply", saved, "-f", file]), /^nfctl: give a saved plan \(\S+\) or -f, not both/);
  refused(t, nfctl(lab, ["apply"]), /^nfctl: apply needs -f /);
  const offline = join(dir, "offline.json");
  refused(
    t,
    nfctl(lab, ["plan", "--offline", "-f", writeConfig(dir, "c.yaml", { xdp: [c2] }), "--out", offline]),
    /^nfctl: --out saves a plan for the host it was made against, and --offline plans against no host; /,
  );
  writeFileSync(offline, text.replace('"kind": "kernel"', '"kind": "empty"'));
  refused(
    t,
    nfctl(lab, ["apply", offline]),
    /^nfctl: \S+offline\.json is not a plan this nfctl can apply: plan\.basis says the plan was made offline against no host, /,
  );
  t.same(snapshot(lab), before, "nothing changed");
});
