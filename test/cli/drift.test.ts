/**
 * Drift: changes other tools make behind nfctl's back. plan reports each
 * with a reason; apply repairs what nfctl owns; a foreign program is never
 * removed unless --force is given.
 */
import t from "tap";
import { rmSync } from "node:fs";
import { createLab, inNetns, ADDR, type Lab } from "../../scripts/test-lab.js";
import { udpExchange } from "../../scripts/traffic.js";
import { firstHookPaths as paths, requireKernel, type TapTest } from "../helpers/kernel.js";
import { nfctl, writeConfig } from "../helpers/cli.js";
import { BUILD } from "../../scripts/nfs.js";
import {
  BpfObject,
  createTcxLink,
  detachLink,
  ifNameToIndex,
  openPinned,
  setProgramSlot,
  withHandle,
  xdpAttachProgram,
  xdpAttachedPrograms,
} from "../../src/native/index.js";

requireKernel();

const CONFIG = {
  xdp: [
    { name: "c1", nf: "counter" as const },
    { name: "bl", nf: "blocklist" as const, maps: `blocklist_v4:\n  ${ADDR.blocked}/32: 1` },
    { name: "c2", nf: "counter" as const },
  ],
};

function applied(t: TapTest): { lab: Lab; file: string } {
  const lab = createLab();
  t.teardown(lab.cleanup);
  const file = writeConfig(t.testdir(), "c.yaml", CONFIG);
  t.equal(nfctl(lab, ["apply", "-f", file]).code, 0);
  return { lab, file };
}

async function filters(t: TapTest, lab: Lab, what: string): Promise<void> {
  t.same(await udpExchange(lab, [ADDR.allowed, ADDR.blocked], 20), { [ADDR.allowed]: 20, [ADDR.blocked]: 0 }, what);
}

/** plan reports the drift (exit 2), apply repairs it, and then all is converged and filtering. */
async function repairs(t: TapTest, lab: Lab, file: string, reason: RegExp): Promise<void> {
  const plan = nfctl(lab, ["plan", "-f", file, "--detailed-exitcode"]);
  t.equal(plan.code, 2, "plan sees changes");
  t.match(plan.stdout, reason, "plan names the drift");
  t.match(plan.stdout, /to repair\./);
  const apply = nfctl(lab, ["apply", "-f", file]);
  t.equal(apply.code, 0, apply.stderr);
  t.equal(nfctl(lab, ["plan", "-f", file, "--detailed-exitcode"]).code, 0, "converged");
  await filters(t, lab, "filtering again");
}

t.test("a link detached by another tool", async (t) => {
  const { lab, file } = applied(t);
  inNetns(lab.nsB, () => withHandle(openPinned("link", paths(lab).paths.link), (link) => detachLink(link, "test")));
  t.same(await udpExchange(lab, [ADDR.blocked], 10), { [ADDR.blocked]: 10 }, "with the link detached, nothing filters");
  await repairs(t, lab, file, /! repair +link \d+ is no longer attached to veth-b \(detached, or the interface was deleted\)/);
});

t.test("a link pin removed by hand (the link is gone with it)", async (t) => {
  const { lab, file } = applied(t);
  rmSync(paths(lab).paths.link);
  await repairs(t, lab, file, /! repair +the chain is not attached to veth-b xdp \(its link is gone\)/);
});

t.test("an nf_next rewritten by hand to skip the blocklist", async (t) => {
  const { lab, file } = applied(t);
  const { hook, paths: p } = paths(lab);
  const gen = p.generation(hook.live!.number);
  withHandle(openPinned("map", gen.nf(0, "c1").next), (next) =>
    withHandle(openPinned("prog", gen.nf(2, "c2").prog), (c2) => setProgramSlot(next, 0, c2, "test")),
  );
  t.same(await udpExchange(lab, [ADDR.blocked], 10), { [ADDR.blocked]: 10 }, "the blocklist is bypassed");
  await repairs(t, lab, file, /! repair +nf_next of NF "c1" holds program \d+, expected program \d+ \(NF "bl"\)/);
});

t.test("a foreign XDP program on a managed interface is removed only with --force", async (t) => {
  const { lab, file } = applied(t);
  inNetns(lab.nsB, () => withHandle(openPinned("link", paths(lab).paths.link), (link) => detachLink(link, "test")));
  // Another tool attaches its program the pre-link way (netlink), as `ip link set ... xdpgeneric` does.
  const obj = BpfObject.open(`${BUILD}/test/unaware.o`);
  t.teardown(() => obj.close());
  obj.selectProgram("xdp_unaware");
  obj.load();
  inNetns(lab.nsB, () => xdpAttachProgram(obj.programHandle("xdp_unaware"), ifNameToIndex("veth-b"), "generic"));
  const foreign = inNetns(lab.nsB, () => xdpAttachedPrograms(ifNameToIndex("veth-b")))[0]!;

  const plan = nfctl(lab, ["plan", "-f", file]);
  t.match(
    plan.stdout,
    new RegExp(
      `Warning: program ${foreign.id} \\(xdp_unaware\\) on veth-b xdp was not attached by nfctl and occupies the hook; nfctl leaves it alone, so apply will fail unless run with --force`,
    ),
  );
  const refused = nfctl(lab, ["apply", "-f", file]);
  t.equal(refused.code, 1);
  t.match(
    refused.stderr,
    new RegExp(
      `^nfctl: program ${foreign.id} \\(xdp_unaware\\) occupies the XDP hook of veth-b; nfctl does not remove programs it did not attach unless --force is given\\n`,
    ),
  );
  t.same(
    inNetns(lab.nsB, () => xdpAttachedPrograms(ifNameToIndex("veth-b"))),
    [foreign],
    "the foreign program is still there",
  );

  const forcedPlan = nfctl(lab, ["plan", "-f", file, "--force"]);
  t.match(forcedPlan.stdout, new RegExp(`! repair +program ${foreign.id} \\(xdp_unaware\\) was not attached by nfctl; --force removes it`));
  const forced = nfctl(lab, ["apply", "-f", file, "--force"]);
  t.equal(forced.code, 0, forced.stderr);
  const now = inNetns(lab.nsB, () => xdpAttachedPrograms(ifNameToIndex("veth-b")));
  t.equal(now.length, 1);
  t.not(now[0]!.id, foreign.id, "the foreign program is gone");
  t.equal(nfctl(lab, ["plan", "-f", file, "--detailed-exitcode"]).code, 0, "converged");
  await filters(t, lab, "nfctl's chain filters");
});

t.test("a foreign TCX program beside a managed chain is left alone, and said so", async (t) => {
  const lab = createLab();
  t.teardown(lab.cleanup);
  const file = writeConfig(t.testdir(), "c.yaml", { tcEgress: [{ name: "c1", nf: "counter" }] });
  t.equal(nfctl(lab, ["apply", "-f", file]).code, 0);
  const obj = BpfObject.open(`${BUILD}/test/unaware.o`);
  t.teardown(() => obj.close());
  obj.selectProgram("tc_unaware");
  obj.load();
  const link = inNetns(lab.nsB, () => createTcxLink(obj.programHandle("tc_unaware"), ifNameToIndex("veth-b"), "egress", "test"));
  t.teardown(() => link.close());
  const plan = nfctl(lab, ["plan", "-f", file, "--detailed-exitcode"]);
  t.equal(plan.code, 0, "nothing for nfctl to change");
  t.match(plan.stdout, /Warning: program \d+ \(tc_unaware\) on veth-b tc-egress was not attached by nfctl; it is left alone \(--force removes it\)/);
});
