/**
 * nfctl plan / apply / status / destroy end to end: the binary, in a lab
 * namespace, on the real kernel, with traffic where behaviour changes.
 */
import t from "tap";
import { createLab, ADDR, type Lab } from "../../scripts/test-lab.js";
import { udpExchange } from "../../scripts/traffic.js";
import { attachedXdp, requireKernel, eventually, newPrograms } from "../helpers/kernel.js";
import { jsonOutput, nfctl, statusJson, writeConfig, type NfSpec } from "../helpers/cli.js";
import type { Plan, StatusReport } from "../../src/reconcile/index.js";
import { listIds } from "../../src/native/index.js";

requireKernel();

const BLOCK = `blocklist_v4:\n  ${ADDR.blocked}/32: 1`;
const bl: NfSpec = { name: "blocklist", nf: "blocklist", maps: BLOCK };
const c1: NfSpec = { name: "c1", nf: "counter" };
const c2: NfSpec = { name: "c2", nf: "counter" };

function statusOf(lab: Lab): StatusReport {
  return statusJson(lab);
}

function progIds(lab: Lab): number[] {
  return statusOf(lab).hooks.flatMap((h) => h.nfs.map((n) => n.progId!));
}

function planOf(lab: Lab, file: string): Plan {
  const r = nfctl(lab, ["plan", "-f", file, "-o", "json"]);
  if (r.code !== 0) throw new Error(`plan failed: ${r.stderr}`);
  return jsonOutput<Plan>(r.stdout, "Plan", "plan");
}

t.test("apply, re-apply, reorder, map change, disable, remove an interface, destroy", async (t) => {
  const before = listIds("prog");
  const lab = createLab();
  t.teardown(lab.cleanup);
  const dir = t.testdir();

  // apply
  const first = writeConfig(dir, "first.yaml", { xdp: [c1, bl, c2], tcEgress: [{ name: "out", nf: "counter" }] });
  const plan1 = nfctl(lab, ["plan", "-f", first, "--detailed-exitcode"]);
  t.equal(plan1.code, 2, "plan --detailed-exitcode: 2 when there are changes");
  t.match(plan1.stdout, /\+ start +c1 +in the config, not running/);
  t.match(plan1.stdout, /^Plan: 4 to start, 0 to update, 0 to reorder, 0 to reconfigure, 0 to stop\.$/m);
  const apply1 = nfctl(lab, ["apply", "-f", first]);
  t.equal(apply1.code, 0, apply1.stderr);
  t.match(apply1.stdout, /veth-b xdp: generation 1 attached/);
  t.match(apply1.stdout, /veth-b tc-egress: generation 1 attached/);
  t.same(await udpExchange(lab, [ADDR.allowed, ADDR.blocked], 50), { [ADDR.allowed]: 50, [ADDR.blocked]: 0 }, "the blocklist filters");
  let status = statusOf(lab);
  const xdp = () => status.hooks.find((h) => h.hook === "xdp")!;
  t.same(
    xdp().nfs.map((n) => n.name),
    ["c1", "blocklist", "c2"],
  );
  t.equal(xdp().generation, 1);
  t.equal(xdp().source?.path, first, "status says where the chain came from");
  t.ok(xdp().nfs[0]!.counters!.seen.packets >= 100, "status shows counters");
  t.equal(xdp().nfs[1]!.counters!.dropped.packets, 50, "the blocklist's drops");
  t.same(xdp().drift, []);

  // re-apply: nothing to do, nothing loaded
  const ids = progIds(lab);
  const again = nfctl(lab, ["plan", "-f", first, "--detailed-exitcode"]);
  t.equal(again.code, 0, "plan --detailed-exitcode: 0 when converged");
  t.match(again.stdout, /No changes\. The kernel matches the configuration\./);
  const reapply = nfctl(lab, ["apply", "-f", first]);
  t.equal(reapply.code, 0);
  t.match(reapply.stdout, /No changes/);
  t.same(progIds(lab), ids, "no program IDs changed");

  // reorder
  const reordered = writeConfig(dir, "reordered.yaml", { xdp: [c2, bl, c1], tcEgress: [{ name: "out", nf: "counter" }] });
  const p2 = planOf(lab, reordered);
  t.same(
    p2.hooks.flatMap((h) => h.actions.map((a) => a.kind)),
    ["reorder"],
  );
  t.match(nfctl(lab, ["plan", "-f", reordered]).stdout, /↕ reorder.*\n\s+before: c1 -> blocklist -> c2\n\s+after: +c2 -> blocklist -> c1/);
  t.equal(nfctl(lab, ["apply", "-f", reordered]).code, 0);
  status = statusOf(lab);
  t.same(
    xdp().nfs.map((n) => n.name),
    ["c2", "blocklist", "c1"],
  );
  t.equal(xdp().generation, 2, "a reorder is a new generation");

  // map change: reconfigure in place, no new generation
  const remapped = writeConfig(dir, "remapped.yaml", {
    xdp: [c2, { ...bl, maps: `blocklist_v4:\n  ${ADDR.allowed}/32: 1` }, c1],
    tcEgress: [{ name: "out", nf: "counter" }],
  });
  const p3 = nfctl(lab, ["plan", "-f", remapped]);
  t.match(p3.stdout, /~ reconfigure blocklist/);
  t.match(
    p3.stdout,
    /--- blocklist_v4 \(kernel\)\n\s+\+\+\+ blocklist_v4 \(config\)\n\s+@@ -1,1 \+1,1 @@\n\s+-198\.18\.0\.3\/32: 1\n\s+\+198\.18\.0\.1\/32: 1/,
  );
  t.match(p3.stdout, /Plan: 0 to start, 0 to update, 0 to reorder, 1 to reconfigure, 0 to stop\./);
  const idsBefore = progIds(lab);
  const a3 = nfctl(lab, ["apply", "-f", remapped]);
  t.match(a3.stdout, /veth-b xdp: maps of generation 2 written in place/);
  status = statusOf(lab);
  t.equal(xdp().generation, 2, "no new generation");
  t.same(progIds(lab), idsBefore, "no program reloaded");
  t.same(await udpExchange(lab, [ADDR.allowed, ADDR.blocked], 30), { [ADDR.allowed]: 0, [ADDR.blocked]: 30 }, "the new blocklist entry is in force");

  // disable
  const disabled = writeConfig(dir, "disabled.yaml", {
    xdp: [c2, { ...bl, enabled: false, maps: `blocklist_v4:\n  ${ADDR.allowed}/32: 1` }, c1],
    tcEgress: [{ name: "out", nf: "counter" }],
  });
  t.match(nfctl(lab, ["plan", "-f", disabled]).stdout, /- stop +blocklist +disabled in the config/);
  t.equal(nfctl(lab, ["apply", "-f", disabled]).code, 0);
  t.same(
    statusOf(lab)
      .hooks.find((h) => h.hook === "xdp")!
      .nfs.map((n) => n.name),
    ["c2", "c1"],
  );
  t.same(await udpExchange(lab, [ADDR.allowed, ADDR.blocked], 30), { [ADDR.allowed]: 30, [ADDR.blocked]: 30 }, "nothing is filtered");

  // remove the interface from the config (the TC hook goes; a config with only another interface's hooks)
  const other = writeConfig(dir, "other.yaml", { ifname: "lo", xdp: [c1] });
  const p5 = planOf(lab, other);
  t.same(
    p5.hooks.map((h) => [h.ifname, h.hook, h.commit]),
    [
      ["lo", "xdp", "create"],
      ["veth-b", "xdp", "detach"],
      ["veth-b", "tc-egress", "detach"],
    ],
  );
  t.same(p5.hooks[1]!.actions[0]!.reason, { code: "interface-not-in-config" });
  t.equal(nfctl(lab, ["apply", "-f", other]).code, 0);
  t.same(
    statusOf(lab).hooks.map((h) => `${h.ifname}/${h.hook}`),
    ["lo/xdp"],
  );

  // destroy
  const d = nfctl(lab, ["destroy"]);
  t.equal(d.code, 0, d.stderr);
  t.match(d.stdout, /lo xdp: detached, pins removed/);
  t.same(statusOf(lab).hooks, []);
  t.match(nfctl(lab, ["status"]).stdout, /nfctl manages nothing in this network namespace/);
  // The kernel frees programs after an RCU grace period: on a loaded machine that takes seconds.
  t.ok(await eventually(() => newPrograms(before).length === 0, 15_000), "every program nfctl loaded is gone");
});

t.test("destroy --interface removes that interface's hooks only", async (t) => {
  const lab = createLab();
  t.teardown(lab.cleanup);
  const dir = t.testdir();
  writeConfig(dir, "a.yaml", { xdp: [c1] });
  writeConfig(dir, "b.yaml", { ifname: "lo", xdp: [c2] });
  t.equal(nfctl(lab, ["apply", "-f", dir]).code, 0, "a directory of configs merges");
  const first = (ifname: string) => statusOf(lab).hooks.find((h) => h.ifname === ifname)?.nfs[0]?.progId;
  const vethB = first("veth-b");
  t.same([attachedXdp(lab.nsB, "lo"), attachedXdp(lab.nsB, "veth-b")], [first("lo"), vethB], "the kernel runs c2 on lo and c1 on veth-b");
  const r = nfctl(lab, ["destroy", "--interface", "lo"]);
  t.equal(r.code, 0);
  t.same(
    statusOf(lab).hooks.map((h) => `${h.ifname}/${h.hook}`),
    ["veth-b/xdp"],
  );
  t.equal(attachedXdp(lab.nsB, "lo"), undefined, "the kernel runs nothing on lo's XDP hook");
  t.equal(attachedXdp(lab.nsB, "veth-b"), vethB, "and still the same c1 on veth-b");
  t.match(nfctl(lab, ["destroy", "--interface", "nosuch"]).stdout, /No changes/);
});

t.test("stdin config, JSON output, and plan --offline without a kernel", async (t) => {
  const lab = createLab();
  t.teardown(lab.cleanup);
  const dir = t.testdir();
  const file = writeConfig(dir, "c.yaml", { xdp: [c1] });
  const { readFileSync } = await import("node:fs");
  const r = nfctl(lab, ["apply", "-f", "-", "-o", "json"], { stdin: readFileSync(file, "utf8") });
  t.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { formatVersion: number; kind: string; plan: Plan; applied: boolean; result: { hooks: unknown[] } };
  t.equal(out.formatVersion, 1);
  t.equal(out.kind, "ApplyResult");
  t.equal(out.plan.formatVersion, 3);
  t.equal(out.applied, true);
  t.equal(out.result.hooks.length, 1);
  const offline = nfctl(lab, ["plan", "-f", file, "--offline", "--detailed-exitcode"]);
  t.equal(offline.code, 2, "offline, everything is to start");
  t.match(offline.stdout, /Plan: 1 to start/);
});
