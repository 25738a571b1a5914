/**
 * All or nothing per apply: whatever fails, and wherever in the apply, the
 * previous state keeps serving traffic, nothing of the failed apply stays
 * pinned or loaded, and the error says what happened.
 */
import t from "tap";
import { execFileSync } from "node:child_process";
import { createLab, inNetns, ipIn, ADDR, type Lab } from "../../scripts/test-lab.js";
import { BUILD } from "../../scripts/nfs.js";
import { currentNetns, hookPaths } from "../../src/state/index.js";
import {
  BpfObject,
  createXdpLink,
  detachLink,
  ifNameToIndex,
  openPinned,
  withHandle,
  xdpAttachProgram,
  xdpAttachedPrograms,
  type LinkHandle,
  type ProgramHandle,
} from "../../src/native/index.js";
import { udpExchange } from "../../scripts/traffic.js";
import { attachedXdp, requireKernel, pinTree, type TapTest } from "../helpers/kernel.js";
import { nfctl, startNfctl, statusJson, untilPaused, writeConfigFor, type InterfaceSpec, type NfSpec } from "../helpers/cli.js";
import { baseline, settledResidue } from "../helpers/residue.js";
import type { StatusReport } from "../../src/reconcile/index.js";

requireKernel();

const bl: NfSpec = { name: "bl", nf: "blocklist", maps: `blocklist_v4:\n  ${ADDR.blocked}/32: 1` };
const c1: NfSpec = { name: "c1", nf: "counter" };
const c2: NfSpec = { name: "c2", nf: "counter" };
const UNDONE = "nfctl: apply failed and was undone: every hook runs what it ran before, and nothing of this apply is left pinned\n";

/** A lab whose server namespace also has a second veth pair, x0/x1. */
function labWithX0(t: TapTest): Lab {
  const lab = createLab();
  t.teardown(lab.cleanup);
  ipIn(lab.nsB, "link", "add", "x0", "type", "veth", "peer", "name", "x1");
  ipIn(lab.nsB, "link", "set", "x0", "up");
  ipIn(lab.nsB, "link", "set", "x1", "up");
  return lab;
}

function status(lab: Lab): StatusReport {
  return statusJson(lab);
}

/** What must not change: the pins, and per hook the generation and program IDs. */
function state(lab: Lab): string {
  return JSON.stringify({
    pins: pinTree(lab.root),
    hooks: status(lab).hooks.map((h) => [h.ifname, h.hook, h.generation, h.nfs.map((n) => n.progId)]),
  });
}

async function applyBase(t: TapTest, lab: Lab, interfaces: InterfaceSpec[]): Promise<{ before: ReturnType<typeof baseline>; snapshot: string }> {
  const before = baseline();
  const r = nfctl(lab, ["apply", "-f", writeConfigFor(t.testdir(), "base.yaml", interfaces)]);
  t.equal(r.code, 0, `base apply: ${r.stderr}`);
  return { before, snapshot: state(lab) };
}

async function stillServing(t: TapTest, lab: Lab): Promise<void> {
  t.same(await udpExchange(lab, [ADDR.allowed, ADDR.blocked], 30), { [ADDR.allowed]: 30, [ADDR.blocked]: 0 }, "the previous chain still filters");
}

t.test("a verifier rejection in the third NF of the second hook changes nothing", async (t) => {
  const lab = labWithX0(t);
  const { before, snapshot } = await applyBase(t, lab, [{ ifname: "veth-b", xdp: [c1, bl] }]);
  const bad: NfSpec = { name: "bad", object: "test/bad_verifier.o", program: "xdp_bad" };
  const file = writeConfigFor(t.testdir(), "next.yaml", [
    { ifname: "veth-b", xdp: [bl, c1] },
    { ifname: "x0", xdp: [c1, c2, bad] },
  ]);
  const r = nfctl(lab, ["apply", "-f", file]);
  t.equal(r.code, 1);
  t.match(r.stderr, /^nfctl: bpf_object__load\(.*bad_verifier\.o, program xdp_bad\): Permission denied \(EACCES\)\nverifier log:\n/);
  t.ok(r.stderr.endsWith(UNDONE), r.stderr);
  t.equal(state(lab), snapshot, "same pins, generations and programs");
  t.same(await settledResidue(lab.root, before), { prog: [], map: [], link: [] }, "no residue");
  await stillServing(t, lab);
});

t.test("a map value the kernel refuses: in a swap, and in place after another hook was written", async (t) => {
  const lab = labWithX0(t);
  const tiny = (entries: number[]): NfSpec => ({
    name: "tiny",
    object: "test/tinymap.o",
    program: "xdp_tiny",
    maps: `tiny:\n${entries.map((k) => `  ${k}: 1`).join("\n")}`,
  });
  const { before, snapshot } = await applyBase(t, lab, [
    { ifname: "veth-b", xdp: [c1, bl] },
    { ifname: "x0", xdp: [tiny([1, 2])] },
  ]);

  const swap = writeConfigFor(t.testdir(), "swap.yaml", [
    { ifname: "veth-b", xdp: [bl, c1] },
    { ifname: "x0", xdp: [c1, tiny([1, 2, 3])] },
  ]);
  const r1 = nfctl(lab, ["apply", "-f", swap]);
  t.equal(r1.code, 1);
  t.match(r1.stderr, /^nfctl: bpf_map_update_elem\(.*\/maps\/tiny\/tiny\): Argument list too long \(E2BIG\)\n/);
  t.ok(r1.stderr.endsWith(UNDONE));
  t.equal(state(lab), snapshot);

  // In place: veth-b's blocklist is rewritten first (its hook sorts first), then x0's tiny fails.
  const inPlace = writeConfigFor(t.testdir(), "in-place.yaml", [
    { ifname: "veth-b", xdp: [c1, { ...bl, maps: `blocklist_v4:\n  ${ADDR.allowed}/32: 1` }] },
    { ifname: "x0", xdp: [tiny([3, 4, 5])] },
  ]);
  const plan = nfctl(lab, ["plan", "-f", inPlace]);
  t.match(plan.stdout, /# veth-b xdp \(mode auto\): maps of generation 1 are written in place/);
  const r2 = nfctl(lab, ["apply", "-f", inPlace]);
  t.equal(r2.code, 1);
  t.match(r2.stderr, /E2BIG/);
  t.ok(r2.stderr.endsWith(UNDONE));
  t.equal(state(lab), snapshot);
  const base = writeConfigFor(t.testdir(), "base.yaml", [
    { ifname: "veth-b", xdp: [c1, bl] },
    { ifname: "x0", xdp: [tiny([1, 2])] },
  ]);
  const again = nfctl(lab, ["plan", "-f", base, "--detailed-exitcode"]);
  t.equal(again.code, 0, `map contents are back as they were: ${again.stdout}`);
  t.same(await settledResidue(lab.root, before), { prog: [], map: [], link: [] });
  await stillServing(t, lab);
});

t.test("an interface deleted in the middle of an apply: the hooks already switched are switched back", async (t) => {
  const lab = labWithX0(t);
  const { before } = await applyBase(t, lab, [
    { ifname: "veth-b", xdp: [c1, bl] },
    { ifname: "x0", xdp: [c1] },
  ]);
  const xdpBefore = status(lab).hooks.find((h) => h.ifname === "veth-b")!;
  const file = writeConfigFor(t.testdir(), "next.yaml", [
    { ifname: "veth-b", xdp: [bl, c1] },
    { ifname: "x0", xdp: [c1, c2] },
  ]);
  const run = startNfctl(t, lab, ["apply", "-f", file], { NFCTL_TEST_PAUSE_AT: "veth-b xdp: committed" });
  await untilPaused(run);
  t.match(run.stderr(), /nfctl: test hook: paused after step \d+ \(veth-b xdp: committed generation 2\)/);
  const paused = status(lab).hooks.find((h) => h.ifname === "veth-b")!;
  t.equal(paused.generation, 2, "while paused, veth-b already runs the new generation");
  t.equal(attachedXdp(lab.nsB, "veth-b"), paused.nfs[0]!.progId, "the kernel's XDP hook runs its first program");
  t.not(paused.nfs[0]!.progId, xdpBefore.nfs[0]!.progId, "a program of its own, not one of generation 1");
  ipIn(lab.nsB, "link", "del", "x0");
  run.child.kill("SIGCONT");
  t.equal(await run.exited, 1);
  t.match(run.stderr(), /nfctl: bpf_link_update\(link .*x0\/xdp\/link\): .*\n/);
  t.ok(run.stderr().endsWith(UNDONE), run.stderr());
  const after = status(lab).hooks.find((h) => h.ifname === "veth-b")!;
  t.equal(after.generation, 1, "veth-b runs its previous generation again");
  t.same(
    after.nfs.map((n) => n.progId),
    xdpBefore.nfs.map((n) => n.progId),
    "the very same programs",
  );
  t.equal(attachedXdp(lab.nsB, "veth-b"), xdpBefore.nfs[0]!.progId, "the kernel's XDP hook runs generation 1's first program again");
  t.same(after.drift, []);
  await stillServing(t, lab);
  const converge = nfctl(lab, ["apply", "-f", writeConfigFor(t.testdir(), "no-x0.yaml", [{ ifname: "veth-b", xdp: [c1, bl] }])]);
  t.equal(converge.code, 0, converge.stderr);
  t.same(await settledResidue(lab.root, before), { prog: [], map: [], link: [] }, "the deleted interface's leftovers are cleaned up");
});

t.test("a bpffs root that is not writable: a clear error and nothing changed", async (t) => {
  const lab = createLab();
  t.teardown(lab.cleanup);
  execFileSync("mount", ["-t", "bpf", "bpf", lab.root]);
  t.teardown(() => execFileSync("umount", [lab.root]));
  const { snapshot } = await applyBase(t, lab, [{ ifname: "veth-b", xdp: [c1, bl] }]);
  execFileSync("mount", ["-o", "remount,ro", lab.root]);
  const r = nfctl(lab, ["apply", "-f", writeConfigFor(t.testdir(), "next.yaml", [{ ifname: "veth-b", xdp: [bl, c1] }])]);
  t.equal(r.code, 1);
  t.equal(r.stderr, `nfctl: bpffs root ${lab.root} is not writable: it is on a read-only mount\n`);
  execFileSync("mount", ["-o", "remount,rw", lab.root]);
  t.equal(state(lab), snapshot);
  await stillServing(t, lab);
});

/**
 * A foreign XDP program on veth-b (nfctl's link there detached by another
 * tool), removed by --force, then x0 deleted after veth-b was switched: the
 * undo must put the foreign program back, or say it could not.
 */
async function forcedThenFailed(
  t: TapTest,
  attachForeign: (lab: Lab, prog: ProgramHandle) => void,
): Promise<{ lab: Lab; foreignId: number; run: ReturnType<typeof startNfctl> }> {
  const lab = labWithX0(t);
  await applyBase(t, lab, [
    { ifname: "veth-b", xdp: [c1, bl] },
    { ifname: "x0", xdp: [c1] },
  ]);
  const linkPin = hookPaths(lab.root, { netns: inNetns(lab.nsB, currentNetns), ifname: "veth-b", hook: "xdp" }).link;
  inNetns(lab.nsB, () => withHandle(openPinned("link", linkPin), (link) => detachLink(link, "test")));
  const obj = BpfObject.open(`${BUILD}/test/unaware.o`);
  obj.selectProgram("xdp_unaware");
  obj.load();
  attachForeign(lab, obj.programHandle("xdp_unaware"));
  // Only the attachment keeps the program now, as after `ip link set dev veth-b xdpgeneric obj ...`.
  obj.close();
  const foreignId = inNetns(lab.nsB, () => xdpAttachedPrograms(ifNameToIndex("veth-b")))[0]!.id;
  const file = writeConfigFor(t.testdir(), "next.yaml", [
    { ifname: "veth-b", xdp: [c1, bl] },
    { ifname: "x0", xdp: [c1, c2] },
  ]);
  const run = startNfctl(t, lab, ["apply", "-f", file, "--force"], { NFCTL_TEST_PAUSE_AT: "veth-b xdp: committed" });
  await untilPaused(run);
  t.not(inNetns(lab.nsB, () => xdpAttachedPrograms(ifNameToIndex("veth-b")))[0]?.id, foreignId, "while paused, --force has removed the foreign program");
  ipIn(lab.nsB, "link", "del", "x0");
  run.child.kill("SIGCONT");
  t.equal(await run.exited, 1);
  return { lab, foreignId, run };
}

t.test("--force then a failure: a foreign program attached by netlink is attached again", async (t) => {
  const { lab, foreignId, run } = await forcedThenFailed(t, (lab, fd) => inNetns(lab.nsB, () => xdpAttachProgram(fd, ifNameToIndex("veth-b"), "generic")));
  t.ok(run.stderr().endsWith(UNDONE), run.stderr());
  t.same(
    inNetns(lab.nsB, () => xdpAttachedPrograms(ifNameToIndex("veth-b"))),
    [{ id: foreignId, mode: "generic" }],
    "veth-b runs the foreign program again, as before the apply",
  );
});

t.test("--force then a failure: a foreign bpf_link cannot be attached again, and the error says so", async (t) => {
  let link: LinkHandle | undefined;
  t.teardown(() => link?.close());
  const { lab, foreignId, run } = await forcedThenFailed(t, (lab, fd) => {
    link = inNetns(lab.nsB, () => createXdpLink(fd, ifNameToIndex("veth-b"), "generic", "test"));
  });
  t.match(
    run.stderr(),
    new RegExp(
      `nfctl: apply failed, and undoing it failed too:\\n  veth-b xdp: foreign program ${foreignId} could not be attached again: program ${foreignId} was attached by another tool's bpf_link, which cannot be attached again once detached\\nRun nfctl status`,
    ),
  );
  t.notMatch(run.stderr(), /every hook runs what it ran before/, "the outcome does not claim a full undo");
  t.same(
    inNetns(lab.nsB, () => xdpAttachedPrograms(ifNameToIndex("veth-b"))),
    [],
    "nothing runs on veth-b, as the error says",
  );
});
