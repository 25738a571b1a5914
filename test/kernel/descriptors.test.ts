/**
 * A long-running nfctl must not leak: 1,000 plan-and-apply cycles inside
 * one process leave as many descriptors open as the first 100 did, and an
 * apply holds a bounded number of descriptors whatever the size of the
 * change (500 interfaces x 3 hooks x 4 NFs under `ulimit -n 1024`).
 */
import t from "tap";
import { openSync, closeSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createLab, ipIn, type Lab } from "../../scripts/test-lab.js";
import { requireKernel, pinTree } from "../helpers/kernel.js";
import { baseline, settledResidue } from "../helpers/residue.js";
import { nfctl, statusJson, writeConfig, writeConfigFor, type InterfaceSpec, type NfSpec } from "../helpers/cli.js";
import { loadDesired, planOnce, reconcileOnce, isEmptyPlan } from "../../src/reconcile/index.js";
import { enterNetns, openHandleCount } from "../../src/native/index.js";

requireKernel();

const c = (name: string): NfSpec => ({ name, nf: "counter" });

function openDescriptors(): number {
  return readdirSync("/proc/self/fd").length;
}

/**
 * Runs `fn` with the process in namespace `ns` until its promise settles.
 * (tap runs one test at a time, and nothing else in this process runs
 * meanwhile, so the whole async call acts in `ns`.)
 */
async function inNetnsAsync<T>(ns: string, fn: () => Promise<T>): Promise<T> {
  const home = openSync("/proc/self/ns/net", "r");
  const target = openSync(`/run/netns/${ns}`, "r");
  try {
    enterNetns(target, ns);
    try {
      return await fn();
    } finally {
      enterNetns(home, "the test's own namespace");
    }
  } finally {
    closeSync(target);
    closeSync(home);
  }
}

t.test("1,000 plan-and-apply cycles in one process: no descriptor is left behind", async (t) => {
  const lab = createLab();
  t.teardown(lab.cleanup);
  const dir = t.testdir();
  const files = [writeConfig(dir, "a.yaml", { tcEgress: [c("c1"), c("c2")] }), writeConfig(dir, "b.yaml", { tcEgress: [c("c2"), c("c1")] })];
  const counts: number[] = [];
  const handlesBefore = openHandleCount();
  const changed = await inNetnsAsync(lab.nsB, async () => {
    let applied = 0;
    for (let i = 0; i < 1000; i++) {
      const desired = loadDesired([files[i % 2]!]);
      if (isEmptyPlan(planOnce(desired, { root: lab.root }).plan)) throw new Error(`cycle ${i}: the plan shows no change`);
      const { result } = await reconcileOnce({ desired }, { root: lab.root, lockTimeout: 1000 });
      if (result?.hooks[0]?.commit === "update") applied += 1;
      if (i === 99 || i === 999) counts.push(openDescriptors());
    }
    return applied;
  });
  t.equal(changed, 999, "every cycle but the first switched the chain with one link update");
  t.equal(openHandleCount(), handlesBefore, "every handle the cycles opened is closed");
  t.equal(counts[1], counts[0], `open descriptors after 100 cycles: ${counts[0]}, after 1,000: ${counts[1]}`);
  t.same(
    statusJson(lab).hooks.map((h) => [h.hook, h.nfs.map((n) => n.name)]),
    [["tc-egress", ["c2", "c1"]]],
    "the last cycle's chain runs",
  );
});

t.test("500 interfaces x 3 hooks x 4 NFs apply under ulimit -n 1024", async (t) => {
  const lab: Lab = createLab();
  t.teardown(lab.cleanup);
  const before = baseline();
  const count = 500;
  const batch = Array.from({ length: count }, (_, i) => `link add s${i} type veth peer name p${i}\nlink set s${i} up\nlink set p${i} up`).join("\n");
  ipIn(lab.nsB, "-batch", writeBatch(t.testdir(), batch));
  const chain = [c("c1"), c("c2"), c("c3"), c("c4")];
  const interfaces: InterfaceSpec[] = Array.from({ length: count }, (_, i) => ({ ifname: `s${i}`, xdp: chain, tcIngress: chain, tcEgress: chain }));
  const file = writeConfigFor(t.testdir(), "scale.yaml", interfaces);
  const started = Date.now();
  const r = nfctl(lab, ["apply", "-f", file], { maxOpenFiles: 1024 });
  t.equal(r.code, 0, r.stderr);
  t.comment(`applied ${count * 3} hooks, ${count * 12} NFs in ${Date.now() - started} ms under ulimit -n 1024`);
  const hooks = statusJson(lab).hooks;
  t.equal(hooks.length, count * 3, "every hook is attached");
  t.ok(
    hooks.every((h) => h.nfs.length === 4 && h.nfs.every((n) => n.progId !== undefined) && h.drift.length === 0),
    "every hook runs its four NFs, without drift",
  );
  const again = nfctl(lab, ["plan", "-f", file, "--detailed-exitcode"], { maxOpenFiles: 1024 });
  t.equal(again.code, 0, `converged: ${again.stderr}`);
  const destroyed = nfctl(lab, ["destroy"], { maxOpenFiles: 1024 });
  t.equal(destroyed.code, 0, destroyed.stderr);
  t.same(pinTree(lab.root), ["records"], "destroy unpinned every hook: only the records map is left");
  // 6,000 programs are freed after an RCU grace period each: seconds on a loaded machine.
  t.same(await settledResidue(lab.root, before, 15_000), { prog: [], map: [], link: [] }, "no program, map or link of the test remains in the kernel");
});

function writeBatch(dir: string, text: string): string {
  const path = join(dir, "links.batch");
  writeFileSync(path, `${text}\n`);
  return path;
}
