/**
 * observe() reports what the kernel really runs and every way it disagrees
 * with what nfctl made.
 */
import t from "tap";
import { rmSync } from "node:fs";
import { createLab, inNetns, ipIn, ADDR, type Lab } from "../../scripts/test-lab.js";
import { requireKernel, type TapTest } from "../helpers/kernel.js";
import { counter, blocklist, BUILD } from "../../scripts/nfs.js";
import { setChain, type ChainTarget } from "../../src/reconcile/set-chain.js";
import { describeDrift } from "../../src/cli/views/words.js";
import { observe, currentNetns, hookPaths, type ObservedHook, type DriftKind } from "../../src/state/index.js";
import {
  BpfObject,
  createTcxLink,
  createXdpLink,
  openPinned,
  withHandle,
  setProgramSlot,
  clearProgramSlot,
  ifNameToIndex,
  detachLink,
  xdpAttachedPrograms,
  type ProgramHandle,
} from "../../src/native/index.js";

requireKernel();

const XDP: ChainTarget = { ifname: "veth-b", hook: "xdp" };

function setup(t: TapTest, target: ChainTarget = XDP, ns: "nsA" | "nsB" = "nsB"): Lab {
  const lab = createLab();
  t.teardown(lab.cleanup);
  const kind = target.hook === "xdp" ? "xdp" : "tc";
  inNetns(lab[ns], () => setChain(target, [counter("c1", kind), blocklist("bl", kind, [ADDR.blocked]), counter("c2", kind)], { root: lab.root }));
  return lab;
}

function hookOf(lab: Lab, ns: string): ObservedHook {
  return inNetns(ns, () => observe(lab.root, currentNetns())).hooks[0]!;
}

function kinds(hook: ObservedHook): DriftKind[] {
  return hook.drift.map((d) => d.kind);
}

/** Loads a stand-alone program, as another tool would; the caller closes the object. */
function foreignProgram(program: string): { obj: BpfObject; prog: ProgramHandle } {
  const obj = BpfObject.open(`${BUILD}/test/unaware.o`);
  obj.selectProgram(program);
  obj.load();
  return { obj, prog: obj.programHandle(program) };
}

t.test("a clean chain: live generation, wiring and record agree", async (t) => {
  const lab = setup(t);
  const hook = hookOf(lab, lab.nsB);
  t.same(hook.drift, []);
  t.same(hook.foreign, []);
  const nfs = hook.live!.nfs;
  t.equal(nfs[0]!.nextProgId, nfs[1]!.progId, "c1 -> bl");
  t.equal(nfs[1]!.nextProgId, nfs[2]!.progId, "bl -> c2");
  t.equal(nfs[2]!.nextProgId, undefined, "c2 ends the chain");
  t.match(nfs[0]!.tag, /^[0-9a-f]{16}$/);
});

t.test("wiring rewritten by hand is drift, naming the NF and both programs", async (t) => {
  const lab = setup(t);
  const live = hookOf(lab, lab.nsB).live!;
  const paths = hookPaths(lab.root, hookOf(lab, lab.nsB).address).generation(live.number);
  // Skip the blocklist: c1 -> c2 directly, as a naive relink might leave it.
  withHandle(openPinned("map", paths.nf(0, "c1").next), (next) =>
    withHandle(openPinned("prog", paths.nf(2, "c2").prog), (c2) => setProgramSlot(next, 0, c2, "test")),
  );
  let hook = hookOf(lab, lab.nsB);
  t.same(kinds(hook), ["wiring"]);
  t.equal(describeDrift(hook.drift[0]!), `nf_next of NF "c1" holds program ${live.nfs[2]!.progId}, expected program ${live.nfs[1]!.progId} (NF "bl")`);

  withHandle(openPinned("map", paths.nf(0, "c1").next), (next) => clearProgramSlot(next, 0, "test"));
  hook = hookOf(lab, lab.nsB);
  t.equal(describeDrift(hook.drift[0]!), `nf_next of NF "c1" holds an empty slot, expected program ${live.nfs[1]!.progId} (NF "bl")`);
});

t.test("a link whose pin was removed is a missing link", async (t) => {
  const lab = setup(t);
  const hook = hookOf(lab, lab.nsB);
  rmSync(hookPaths(lab.root, hook.address).link);
  const after = hookOf(lab, lab.nsB);
  t.same(kinds(after), ["link-missing"]);
  t.equal(after.live, undefined, "no generation is live");
  t.same(
    after.stale.map((g) => g.number),
    [hook.live!.number],
  );
});

t.test("nfctl's own program on a link that lost its pin is never foreign", async (t) => {
  // The kernel frees a link whose last pin and fd are gone asynchronously:
  // for a moment the hook still runs nfctl's program with no link pin to
  // account for it. Holding an fd on the link makes that moment last.
  const lab = setup(t);
  const hook = hookOf(lab, lab.nsB);
  const linkPin = hookPaths(lab.root, hook.address).link;
  const held = openPinned("link", linkPin);
  t.teardown(() => held.close());
  rmSync(linkPin);
  t.same(
    inNetns(lab.nsB, () => xdpAttachedPrograms(ifNameToIndex("veth-b"))).map((p) => p.id),
    [hook.live!.nfs[0]!.progId],
    "the link, unpinned, still holds the hook",
  );
  const after = hookOf(lab, lab.nsB);
  t.same(kinds(after), ["link-missing"]);
  t.same(after.foreign, []);
});

t.test("removing a link pin and observing at once, 100 times: always a missing link, never a foreign program", async (t) => {
  const lab = setup(t);
  const chain = [counter("c1", "xdp")];
  let caught = 0;
  const wrong: string[] = [];
  for (let i = 0; i < 100; i++) {
    inNetns(lab.nsB, () => setChain(XDP, chain, { root: lab.root }));
    const address = hookOf(lab, lab.nsB).address;
    rmSync(hookPaths(lab.root, address).link);
    const after = hookOf(lab, lab.nsB);
    if (inNetns(lab.nsB, () => xdpAttachedPrograms(ifNameToIndex("veth-b"))).length > 0) caught += 1;
    if (kinds(after).join(",") !== "link-missing" || after.foreign.length > 0) wrong.push(`round ${i}: drift ${JSON.stringify(after.drift)}`);
  }
  t.ok(caught > 0, `the released link still held the hook when observed in ${caught} of 100 rounds (else no round tested the race)`);
  t.same(wrong, [], "every round: exactly link-missing, no foreign program");
});

t.test("a link detached by another tool is defunct", async (t) => {
  const lab = setup(t);
  const hook = hookOf(lab, lab.nsB);
  inNetns(lab.nsB, () => withHandle(openPinned("link", hookPaths(lab.root, hook.address).link), (link) => detachLink(link, "test")));
  t.same(kinds(hookOf(lab, lab.nsB)), ["link-defunct"]);
});

t.test("a foreign XDP program on a managed interface is reported", async (t) => {
  const lab = setup(t);
  const hook = hookOf(lab, lab.nsB);
  rmSync(hookPaths(lab.root, hook.address).link);
  const { obj, prog } = foreignProgram("xdp_unaware");
  t.teardown(() => obj.close());
  const link = inNetns(lab.nsB, () => createXdpLink(prog, ifNameToIndex("veth-b"), "auto", "test"));
  t.teardown(() => link.close());
  const after = hookOf(lab, lab.nsB);
  t.same(kinds(after), ["link-missing", "foreign-program"]);
  t.same(
    after.foreign.map((p) => p.name),
    ["xdp_unaware"],
  );
  t.match(describeDrift(after.drift[1]!), /^program \d+ \(xdp_unaware\) on veth-b xdp was not attached by nfctl$/);
});

t.test("a foreign TCX program beside nfctl's chain is reported", async (t) => {
  const lab = setup(t, { ifname: "veth-a", hook: "tc-egress" }, "nsA");
  const { obj, prog } = foreignProgram("tc_unaware");
  t.teardown(() => obj.close());
  const link = inNetns(lab.nsA, () => createTcxLink(prog, ifNameToIndex("veth-a"), "egress", "test"));
  t.teardown(() => link.close());
  const hook = hookOf(lab, lab.nsA);
  t.same(kinds(hook), ["foreign-program"]);
  t.same(
    hook.foreign.map((p) => p.name),
    ["tc_unaware"],
  );
  t.ok(hook.live, "nfctl's own chain is still live");
});

t.test("a deleted interface is reported", async (t) => {
  const lab = setup(t);
  ipIn(lab.nsB, "link", "del", "veth-b");
  const hook = hookOf(lab, lab.nsB);
  t.ok(kinds(hook).includes("interface-missing"));
  t.ok(kinds(hook).includes("link-defunct"));
});
