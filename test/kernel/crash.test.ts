/**
 * Crash safety: for every kind of transition, an apply over two hooks is
 * killed (SIGKILL) after each of its steps in turn. After every kill, the
 * next `nfctl apply` converges, a plan then shows no changes, nothing of
 * nfctl's is left over in the kernel, and the recovered chains run: every
 * NF of them counts the traffic, and the blocklist drops. All the while,
 * under traffic, no blocked packet ever got past the blocklist and no
 * allowed packet was lost.
 */
import t from "tap";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createLab, inNetns, ADDR, type Lab } from "../../scripts/test-lab.js";
import { requireKernel, eventually, packets, type TapTest } from "../helpers/kernel.js";
import { nfctl, statusJson, writeConfigFor, type InterfaceSpec, type NfSpec } from "../helpers/cli.js";
import { baseline, settledResidue } from "../helpers/residue.js";
import { startTraffic, describeReport } from "../../scripts/traffic-harness.js";
import { currentNetns, type HookAddress } from "../../src/state/index.js";

requireKernel();

const NFCTL = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));
const bl = (extra = ""): NfSpec => ({ name: "bl", nf: "blocklist", maps: `blocklist_v4:\n  ${ADDR.blocked}/32: 1${extra}` });
const c1: NfSpec = { name: "c1", nf: "counter" };
const c2: NfSpec = { name: "c2", nf: "counter" };
const c2v2: NfSpec = { name: "c2", object: "test/counter_v2.o", program: "xdp_counter" };
const pf: NfSpec = { name: "pf", nf: "portfilter", maps: "ports:\n  7: 1" };
const t1: NfSpec = { name: "t1", nf: "counter" };
const t2: NfSpec = { name: "t2", nf: "counter" };

/** Two hooks on veth-b: XDP (the blocklist always in it) and TC ingress. */
function hooks(xdp: NfSpec[], tcIngress?: NfSpec[]): InterfaceSpec[] {
  return [{ ifname: "veth-b", xdp, ...(tcIngress && { tcIngress }) }];
}

const TRANSITIONS: Array<[string, InterfaceSpec[], InterfaceSpec[]]> = [
  ["start a hook", hooks([bl(), c1]), hooks([bl(), c1], [t1, t2])],
  ["reorder", hooks([bl(), c1, c2], [t1, t2]), hooks([c1, bl(), c2], [t2, t1])],
  ["insert", hooks([bl(), c2], [t1]), hooks([c1, pf, bl(), c2], [t1, t2])],
  ["remove", hooks([c1, pf, bl(), c2], [t1, t2]), hooks([bl(), c2], [t2])],
  ["update", hooks([c1, bl(), c2], [t1]), hooks([c1, bl(), c2v2], [{ ...t1, program: "tc_counter", object: "test/counter_v2.o" }])],
  ["reconfigure", hooks([bl(), pf], [t1]), hooks([bl("\n  198.18.9.0/24: 1"), { ...pf, maps: "ports:\n  7: 1\n  8: 1" }], [t1])],
  ["stop a hook", hooks([bl(), c1], [t1, t2]), hooks([bl(), c1])],
];

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

function applyCrashingAt(lab: Lab, file: string, step: number): Run {
  const r = spawnSync("nsenter", [`--net=/run/netns/${lab.nsB}`, process.execPath, NFCTL, "--bpffs", lab.root, "apply", "-f", file], {
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1", NFCTL_TEST_CRASH_AT: String(step) },
  });
  return { code: r.status, signal: r.signal, stderr: r.stderr };
}

function progIds(lab: Lab): number[] {
  return statusJson(lab).hooks.flatMap((h) => h.nfs.map((n) => n.progId!));
}

const HOOKS = { xdp: "xdp", tcIngress: "tc-ingress" } as const;

/**
 * What the traffic must move in the chains of `spec`, each counter as
 * [label, read]: every NF's packets seen (nf_stats[0]) and the blocklist's
 * drops (nf_stats[1]). The blocked source's packets never reach TC
 * ingress, the XDP blocklist having dropped them; the allowed source's
 * pass every NF.
 */
function chainCounters(lab: Lab, spec: InterfaceSpec[]): Array<[string, () => bigint]> {
  const netns = inNetns(lab.nsB, currentNetns);
  return spec.flatMap((i) =>
    (Object.keys(HOOKS) as Array<keyof typeof HOOKS>).flatMap((key) => {
      const addr: HookAddress = { netns, ifname: i.ifname, hook: HOOKS[key] };
      return (i[key] ?? []).flatMap((nf): Array<[string, () => bigint]> => [
        [`${addr.hook} ${nf.name} seen`, () => packets(lab.root, addr, nf.name, 0)],
        ...(nf.nf === "blocklist" ? [[`${addr.hook} ${nf.name} dropped`, () => packets(lab.root, addr, nf.name, 1)] as [string, () => bigint]] : []),
      ]);
    }),
  );
}

/** The counters of `counters` that the running traffic has not moved within 2 s; [] when all moved. */
async function unmoved(counters: Array<[string, () => bigint]>): Promise<string[]> {
  const start = counters.map(([, read]) => read());
  const still = () => counters.filter(([, read], i) => read() <= start[i]!).map(([label]) => label);
  await eventually(() => still().length === 0, 2000);
  return still();
}

/** More steps than any transition has: reaching it means the test stopped short. */
const MAX_STEPS = 200;

async function crashEverywhere(t: TapTest, name: string, from: InterfaceSpec[], to: InterfaceSpec[]): Promise<void> {
  const lab = createLab();
  t.teardown(lab.cleanup);
  const before = baseline();
  const dir = t.testdir();
  const fromFile = writeConfigFor(dir, "from.yaml", from);
  const toFile = writeConfigFor(dir, "to.yaml", to);
  t.equal(nfctl(lab, ["apply", "-f", fromFile]).code, 0, "the starting state applies");

  const traffic = await startTraffic(lab, { rate: 50_000 });
  t.teardown(() => traffic.kill());
  const recovered = chainCounters(lab, to);
  let crashes = 0;
  let completed = false;
  for (let step = 1; step <= MAX_STEPS; step++) {
    const reset = nfctl(lab, ["apply", "-f", fromFile]);
    if (reset.code !== 0) t.fail(`reset before step ${step}: ${reset.stderr}`);
    const run = applyCrashingAt(lab, toFile, step);
    if (run.signal !== "SIGKILL") {
      t.equal(run.code, 0, `with no step ${step} to crash at, the apply completes: ${run.stderr}`);
      completed = true;
      break;
    }
    crashes += 1;
    const recover = nfctl(lab, ["apply", "-f", toFile]);
    if (recover.code !== 0) t.fail(`killed after step ${step}: the next apply fails: ${recover.stderr}`);
    const plan = nfctl(lab, ["plan", "-f", toFile, "--detailed-exitcode"]);
    if (plan.code !== 0) t.fail(`killed after step ${step}: not converged after one apply:\n${plan.stdout}${plan.stderr}`);
    const left = await settledResidue(lab.root, before);
    if (left.prog.length + left.map.length + left.link.length > 0) t.fail(`killed after step ${step}: residue ${JSON.stringify(left)}`);
    const idle = await unmoved(recovered);
    if (idle.length > 0) t.fail(`killed after step ${step}: after recovery, traffic moved no packet through ${idle.join(", ")}`);
  }
  const report = await traffic.stop();
  t.ok(completed, `${name}: the apply ran to its end within ${MAX_STEPS} steps (else the crash test stopped short of its last steps)`);
  t.ok(crashes >= 2, `${name}: killed after each of ${crashes} steps`);
  t.comment(`${name}: ${crashes} crashes; ${describeReport(report)}`);
  t.ok(report.sent.allowed > 0 && report.sent.blocked > 0, `traffic was sent from both sources throughout: ${describeReport(report)}`);
  t.equal(report.bypassed, 0, "no blocked packet got through");
  t.equal(report.received.allowed, report.sent.allowed, "every allowed packet arrived (nothing lost to a crash, a recovery or a reset)");
  t.equal(report.socketDrops, 0, "and the sink's socket dropped none (else a loss would be the harness's, not nfctl's)");

  const ids = progIds(lab);
  const again = nfctl(lab, ["apply", "-f", toFile]);
  t.match(again.stdout, /No changes/, "a converged state applies as no change");
  t.same(progIds(lab), ids, "and loads nothing");
}

for (const [name, from, to] of TRANSITIONS) {
  t.test(`killed at every step: ${name}`, (t) => crashEverywhere(t, name, from, to));
}
