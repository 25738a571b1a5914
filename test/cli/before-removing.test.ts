/**
 * Seeing before removing, end to end on the real kernel: on a terminal (a
 * pseudo-terminal from util-linux's `script`) apply and destroy ask before
 * they stop NFs or detach hooks, and a "no" leaves the kernel as it was;
 * without a terminal they ask nothing, as before. `--interface` limits an
 * apply to some interfaces; `destroy --dry-run` changes nothing; a long
 * apply shows its progress on a terminal and nothing in a pipe.
 */
import t from "tap";
import { createLab, ADDR, type Lab } from "../../scripts/test-lab.js";
import { requireKernel } from "../helpers/kernel.js";
import { chainOf, jsonOutput, nfctl, nfctlInTerminal, statusJson, writeConfig, writeConfigFor, type NfSpec } from "../helpers/cli.js";
import type { Plan } from "../../src/reconcile/index.js";

requireKernel();

const bl: NfSpec = { name: "blocklist", nf: "blocklist", maps: `blocklist_v4:\n  ${ADDR.blocked}/32: 1` };
const c1: NfSpec = { name: "c1", nf: "counter" };
const c2: NfSpec = { name: "c2", nf: "counter" };

/** Each hook's generation and program IDs: what changes when nfctl changes a hook. */
function kernelState(lab: Lab): Record<string, { generation: number | undefined; progIds: Array<number | undefined> }> {
  return Object.fromEntries(statusJson(lab).hooks.map((h) => [`${h.ifname}/${h.hook}`, { generation: h.generation, progIds: h.nfs.map((n) => n.progId) }]));
}

const QUESTION =
  "Do you want to perform these actions?\r\n  nfctl will stop 1 network function.\r\n  Only 'yes' will be accepted to approve.\r\n\r\n  Enter a value: ";

t.test("on a terminal, apply asks before stopping an NF; no (or Ctrl-C) changes nothing, yes applies", async (t) => {
  const lab = createLab();
  t.teardown(lab.cleanup);
  const dir = t.testdir();
  const both = writeConfig(dir, "both.yaml", { xdp: [c1, bl] });
  const one = writeConfig(dir, "one.yaml", { xdp: [c1] });

  const first = await nfctlInTerminal(lab, ["apply", "-f", both]);
  t.equal(first.code, 0, first.output);
  t.notOk(first.asked, "an apply that only starts NFs does not ask");
  const before = kernelState(lab);

  const no = await nfctlInTerminal(lab, ["apply", "-f", one], { answer: "no" });
  t.ok(no.asked);
  t.match(no.output, /- stop +blocklist +removed from the config/, "the plan is shown before the question");
  t.ok(no.output.includes(QUESTION), no.output);
  t.match(no.output, /\r\nnfctl: apply cancelled; nothing was changed\r\n/);
  t.equal(no.code, 1);
  t.same(kernelState(lab), before, "the kernel is unchanged: same generation, same programs");
  t.same(chainOf(lab), ["c1", "blocklist"], "the blocklist still runs");

  const interrupted = await nfctlInTerminal(lab, ["apply", "-f", one], { answer: "\x03" });
  t.ok(interrupted.asked);
  t.equal(interrupted.code, 1, "Ctrl-C at the question declines");
  t.match(interrupted.output, /nfctl: apply cancelled; nothing was changed/);
  t.same(kernelState(lab), before);

  const y = await nfctlInTerminal(lab, ["apply", "-f", one], { answer: "y" });
  t.equal(y.code, 1, "only 'yes' approves");
  t.same(kernelState(lab), before);

  const yes = await nfctlInTerminal(lab, ["apply", "-f", one], { answer: "yes" });
  t.ok(yes.asked);
  t.equal(yes.code, 0, yes.output);
  t.match(yes.output, /veth-b xdp: generation 2 switched with one link update/);
  t.same(chainOf(lab), ["c1"]);
});

t.test("--auto-approve, and no terminal, do not ask", async (t) => {
  const lab = createLab();
  t.teardown(lab.cleanup);
  const dir = t.testdir();
  const both = writeConfig(dir, "both.yaml", { xdp: [c1, bl] });
  const one = writeConfig(dir, "one.yaml", { xdp: [c1] });
  t.equal(nfctl(lab, ["apply", "-f", both]).code, 0);

  const auto = await nfctlInTerminal(lab, ["apply", "-f", one, "--auto-approve"]);
  t.notOk(auto.asked, "--auto-approve does not ask");
  t.equal(auto.code, 0, auto.output);
  t.same(chainOf(lab), ["c1"]);

  t.equal(nfctl(lab, ["apply", "-f", both]).code, 0);
  const piped = nfctl(lab, ["apply", "-f", one]);
  t.equal(piped.code, 0, "without a terminal, apply removes as it always did");
  t.notMatch(piped.stdout, /Enter a value/);
  t.same(chainOf(lab), ["c1"]);
});

t.test("on a terminal, destroy asks too; a no leaves everything running", async (t) => {
  const lab = createLab();
  t.teardown(lab.cleanup);
  const dir = t.testdir();
  t.equal(nfctl(lab, ["apply", "-f", writeConfig(dir, "c.yaml", { xdp: [c1] })]).code, 0);
  const before = kernelState(lab);
  const no = await nfctlInTerminal(lab, ["destroy"], { answer: "no" });
  t.ok(no.output.includes("nfctl will stop 1 network function and detach 1 hook.\r\n"), no.output);
  t.equal(no.code, 1);
  t.match(no.output, /nfctl: destroy cancelled; nothing was changed/);
  t.same(kernelState(lab), before);
  const yes = await nfctlInTerminal(lab, ["destroy"], { answer: "yes" });
  t.equal(yes.code, 0, yes.output);
  t.match(yes.output, /veth-b xdp: detached, pins removed/);
  t.same(statusJson(lab).hooks, []);
});

t.test("--interface: only the named interface changes, though the config changes both", async (t) => {
  const lab = createLab();
  t.teardown(lab.cleanup);
  const dir = t.testdir();
  const initial = writeConfigFor(dir, "initial.yaml", [
    { ifname: "veth-b", xdp: [c1] },
    { ifname: "lo", xdp: [c2] },
  ]);
  t.equal(nfctl(lab, ["apply", "-f", initial]).code, 0);
  const before = kernelState(lab);

  const changed = writeConfigFor(dir, "changed.yaml", [
    { ifname: "veth-b", xdp: [c1, bl] },
    { ifname: "lo", xdp: [c1, c2] },
  ]);
  const plan = nfctl(lab, ["plan", "-f", changed, "--interface", "veth-b", "-o", "json"]);
  t.equal(plan.code, 0, plan.stderr);
  const planned = jsonOutput<Plan>(plan.stdout, "Plan", "plan");
  t.same(
    planned.hooks.map((h) => h.id),
    ["veth-b/xdp"],
  );
  t.same(planned.scope, { interfaces: ["veth-b"] });

  const r = nfctl(lab, ["apply", "-f", changed, "--interface", "veth-b"]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /Planned for interface veth-b only; other interfaces are left as they are\./);
  t.same(chainOf(lab, "veth-b"), ["c1", "blocklist"]);
  t.same(kernelState(lab)["lo/xdp"], before["lo/xdp"], "lo: same generation, same programs");

  // A config without lo at all: with --interface veth-b, lo's NF is not stopped.
  const alone = writeConfig(dir, "alone.yaml", { xdp: [c1] });
  t.equal(nfctl(lab, ["apply", "-f", alone, "--interface", "veth-b"]).code, 0);
  t.same(kernelState(lab)["lo/xdp"], before["lo/xdp"]);

  const unknown = nfctl(lab, ["apply", "-f", alone, "--interface", "eth9"]);
  t.equal(unknown.code, 1);
  t.equal(unknown.stderr, "nfctl: --interface eth9: not in the configuration and not managed here\n");

  // A saved plan made with --interface is applied on that interface alone, and takes no --interface of its own.
  const saved = `${dir}/plan.json`;
  t.equal(nfctl(lab, ["plan", "-f", changed, "--interface", "lo", "--out", saved]).code, 0);
  const refused = nfctl(lab, ["apply", saved, "--interface", "veth-b"]);
  t.equal(refused.code, 1);
  t.match(refused.stderr, /^nfctl: the interfaces are chosen when the plan is made/);
  const applied = nfctl(lab, ["apply", saved]);
  t.equal(applied.code, 0, applied.stderr);
  t.same(chainOf(lab, "lo"), ["c1", "c2"]);
  t.same(chainOf(lab, "veth-b"), ["c1"], "veth-b is left as it was");
});

t.test("destroy --dry-run shows what it would remove and changes nothing", async (t) => {
  const lab = createLab();
  t.teardown(lab.cleanup);
  const dir = t.testdir();
  t.equal(nfctl(lab, ["apply", "-f", writeConfig(dir, "c.yaml", { xdp: [c1, bl] })]).code, 0);
  const before = kernelState(lab);
  const r = nfctl(lab, ["destroy", "--dry-run"]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /- stop +c1 +nfctl destroy/);
  t.match(r.stdout, /Plan: 0 to start, 0 to update, 0 to reorder, 0 to reconfigure, 2 to stop\./);
  t.notMatch(r.stdout, /detached, pins removed/);
  const json = nfctl(lab, ["destroy", "--dry-run", "-o", "json"]);
  t.equal(json.code, 0);
  t.equal((JSON.parse(json.stdout) as { applied: boolean }).applied, false);
  const terminal = await nfctlInTerminal(lab, ["destroy", "--dry-run"]);
  t.notOk(terminal.asked, "a dry run asks nothing, on a terminal either");
  t.same(kernelState(lab), before);
});

t.test("a long apply shows its progress on a terminal, and nothing in a pipe", async (t) => {
  const lab = createLab();
  t.teardown(lab.cleanup);
  const dir = t.testdir();
  // Every step takes 150 ms longer: two hooks of three NFs take seconds.
  const env = { NFCTL_TEST_STEP_DELAY: "150" };
  const config = writeConfigFor(dir, "c.yaml", [
    { ifname: "veth-b", xdp: [c1, bl, c2] },
    { ifname: "lo", xdp: [c1, c2] },
  ]);
  const terminal = await nfctlInTerminal(lab, ["apply", "-f", config], { env });
  t.equal(terminal.code, 0, terminal.output);
  t.ok(terminal.output.includes("\r\x1b[Khooks committed 2/2\r\x1b[K"), "the line, rewritten in place and cleared at the end");
  t.match(terminal.output, /Apply complete: 2 hooks changed\./);

  t.equal(nfctl(lab, ["destroy"]).code, 0);
  const piped = nfctl(lab, ["apply", "-f", config], { env });
  t.equal(piped.code, 0, piped.stderr);
  t.notMatch(piped.stderr, /hooks (prepared|committed)/);
  t.notOk(piped.stderr.includes("\x1b[K"), "no line to clear either");
});
