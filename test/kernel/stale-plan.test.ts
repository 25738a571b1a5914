/**
 * The executor carries out exactly the plan it is given: when another
 * apply came between (the state's serial), the kernel changed behind
 * nfctl's back, or an object file changed since the plan was made, it
 * refuses before any change, rather than plan again. And it loads the
 * bytes it checked, whatever happens to the file meanwhile.
 */
import t from "tap";
import { copyFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { createLab, inNetns } from "../../scripts/test-lab.js";
import { BUILD } from "../../scripts/nfs.js";
import { loadedProgramInfo, requireKernel, pinTree } from "../helpers/kernel.js";
import { copiedNf, nfctl, statusJson, writeConfig, type NfSpec } from "../helpers/cli.js";
import { executePlan, loadDesired, planOnce, StalePlanError, type Plan } from "../../src/reconcile/index.js";
import { currentNetns, hookPaths } from "../../src/state/index.js";
import { openById, programInfo, withHandle } from "../../src/native/index.js";

requireKernel();

const c1: NfSpec = { name: "c1", nf: "counter" };
const c2: NfSpec = { name: "c2", nf: "counter" };

t.test("a plan made before another apply is refused, and changes nothing", async (t) => {
  const lab = createLab();
  t.teardown(lab.cleanup);
  const dir = t.testdir();
  t.equal(nfctl(lab, ["apply", "-f", writeConfig(dir, "a.yaml", { xdp: [c1, c2] })]).code, 0);
  const plan: Plan = inNetns(lab.nsB, () => planOnce(loadDesired([writeConfig(dir, "b.yaml", { xdp: [c2, c1] })]), { root: lab.root }).plan);
  t.equal(plan.hooks[0]!.precondition.generation, 1, "planned against generation 1");
  t.equal(plan.state?.serial, 1, "planned at serial 1");
  t.equal(nfctl(lab, ["apply", "-f", writeConfig(dir, "c.yaml", { xdp: [c1] })]).code, 0, "meanwhile, another apply");
  const pins = pinTree(lab.root);
  const before = statusJson(lab).hooks.map((h) => [h.generation, h.nfs.map((n) => n.progId)]);
  t.throws(() => inNetns(lab.nsB, () => executePlan(plan, { root: lab.root })), {
    name: "StalePlanError",
    message: "the plan is stale: it was made at state serial 1, the state is now at serial 2; plan again",
  });
  t.same(pinTree(lab.root), pins, "no pin changed");
  t.same(
    statusJson(lab).hooks.map((h) => [h.generation, h.nfs.map((n) => n.progId)]),
    before,
    "the hook runs the same programs",
  );
});

t.test("a plan made before the kernel changed behind nfctl's back is refused, and changes nothing", async (t) => {
  const lab = createLab();
  t.teardown(lab.cleanup);
  const dir = t.testdir();
  t.equal(nfctl(lab, ["apply", "-f", writeConfig(dir, "a.yaml", { tcEgress: [c1, c2] })]).code, 0);
  const plan: Plan = inNetns(lab.nsB, () => planOnce(loadDesired([writeConfig(dir, "b.yaml", { tcEgress: [c2, c1] })]), { root: lab.root }).plan);
  // Another tool removes nfctl's link pin: the state's serial stays, the kernel changed.
  const netns = inNetns(lab.nsB, currentNetns);
  rmSync(hookPaths(lab.root, { netns, ifname: "veth-b", hook: "tc-egress" }).link);
  const pins = pinTree(lab.root);
  t.throws(() => inNetns(lab.nsB, () => executePlan(plan, { root: lab.root })), {
    name: "StalePlanError",
    message: /^the kernel changed since the plan was made: veth-b tc-egress: /,
  });
  t.same(pinTree(lab.root), pins, "no pin changed");
  t.equal(statusJson(lab).state?.serial, 1, "the refused apply was not counted");
});

t.test("an object file that changed after the plan is refused before any change", async (t) => {
  const lab = createLab();
  t.teardown(lab.cleanup);
  const dir = t.testdir();
  const { object, nf: mine } = copiedNf(dir, "mine", "counter.o", "tc_counter");
  const plan = inNetns(lab.nsB, () => planOnce(loadDesired([writeConfig(dir, "m.yaml", { tcEgress: [c1, mine] })]), { root: lab.root }).plan);
  copyFileSync(join(BUILD, "test/counter_v2.o"), object);
  let error: unknown;
  try {
    inNetns(lab.nsB, () => executePlan(plan, { root: lab.root }));
  } catch (err) {
    error = err;
  }
  // The object by its normalised path, as the plan carries it.
  const named = object.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  t.ok(error instanceof StalePlanError, String(error));
  t.match(
    (error as Error).message,
    new RegExp(`^object ${named} of NF "mine" changed since the plan was made \\(sha256 [0-9a-f]{64}, the plan has [0-9a-f]{64}\\); plan again$`),
  );
  t.same(pinTree(lab.root), [], "nothing was pinned");
  t.same(statusJson(lab).hooks, [], "nothing is attached");
});

t.test("an object file replaced in the middle of an apply: the bytes checked against the plan are the bytes loaded", async (t) => {
  const lab = createLab();
  t.teardown(lab.cleanup);
  const dir = t.testdir();
  const first = copiedNf(dir, "first", "counter.o", "xdp_counter");
  const second = copiedNf(dir, "second", "counter.o", "xdp_counter");
  const plan = inNetns(lab.nsB, () => planOnce(loadDesired([writeConfig(dir, "two.yaml", { xdp: [first.nf, second.nf] })]), { root: lab.root }).plan);
  // Once the first NF is loaded, the second's file is no longer what the plan hashed.
  const swapped: string[] = [];
  const onStep = (label: string) => {
    if (label !== "veth-b xdp: loaded and pinned first of generation 1") return;
    copyFileSync(join(BUILD, "test/counter_v2.o"), second.object);
    swapped.push(label);
  };
  inNetns(lab.nsB, () => executePlan(plan, { root: lab.root, onStep }));
  t.same(swapped, ["veth-b xdp: loaded and pinned first of generation 1"], "the file was replaced while the apply ran");
  const tagOf = (object: string) => loadedProgramInfo(object, "xdp_counter").tag;
  t.not(tagOf("counter.o"), tagOf("test/counter_v2.o"), "the two objects' programs differ");
  const loaded = statusJson(lab).hooks[0]!.nfs.map((nf) => withHandle(openById("prog", nf.progId!), programInfo).tag);
  t.same(loaded, [tagOf("counter.o"), tagOf("counter.o")], "both NFs run the program of the object the plan hashed");
});
