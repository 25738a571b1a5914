/**
 * Blocked packets that bypass a blocklist while its chain is reordered under
 * traffic: the naive way (l3afd's) against nfctl's swap, in the same run.
 *
 *     node dist/bench/naive-relink.js [--changes N] [--rate PPS]
 *
 * A lab network (two namespaces, a veth pair) carries UDP at --rate packets
 * per second, half from an allowed and half from a blocked source
 * (test/harness). On veth-b's XDP hook runs the chain blocklist -> c1 -> c2;
 * it is reordered --changes times, the blocklist moving between first and
 * second place:
 *
 *  - naive: the way l3afd chains NFs. One program instance per NF, each with
 *    its own one-slot nf_next, attached through a link. A reorder rewires
 *    the live chain in place, one nf_next write (or link update) at a time,
 *    in the order of l3afd's MoveToLocation (kf/nfconfig.go: each NF whose
 *    seq_id changed is unlinked, moved, and linked again, by
 *    PutNextProgFDFromID / RemoveNextProgFD). No new generation is built.
 *    Two variants of what points at the first NF:
 *      - "root = link": the link attaches the first NF and is updated in
 *        place when the first NF changes;
 *      - "root program": as l3afd itself, a root program (bpf/bench/hop.o,
 *        which only tail-calls its nf_next) is attached by the link and
 *        never changes; its nf_next is rewritten like every other.
 *  - nfctl: setChain, which builds a new generation beside the live one and
 *    switches to it with one bpf_link_update.
 *
 * Blocked packets that reach the sink went past the blocklist: they are the
 * bypasses. Everything (namespaces, bpffs root, pins, processes) is removed
 * at the end, also on failure or Ctrl-C.
 */
import { performance } from "node:perf_hooks";
import { intOption, runBenchmark, type Section } from "./report.js";
import { rmSync } from "node:fs";
import { createLab, inNetns, ADDR, type Lab } from "../scripts/test-lab.js";
import { blocklist, counter, BUILD, PROCEED_ON_PASS } from "../scripts/nfs.js";
import { startTraffic, type RunningTraffic, type TrafficReport } from "../scripts/traffic-harness.js";
import { setChain, type ChainNf, type ChainTarget } from "../src/reconcile/set-chain.js";
import { buildGeneration, currentNetns, ensureRoot, hookPaths, syncDataMap, findIfIndex, type HookAddress } from "../src/state/index.js";
import {
  clearProgramSlot,
  createXdpLink,
  detachLink,
  linkInfo,
  openById,
  openPinned,
  pinObject,
  programInSlot,
  setProgramSlot,
  updateLink,
  withHandle,
  type LinkHandle,
} from "../src/native/index.js";

const TARGET: ChainTarget = { ifname: "veth-b", hook: "xdp" };
/** Traffic before the first and after the last reorder. */
const SETTLE_MS = 300;

const CHANGES = intOption("--changes", 100);
const RATE = intOption("--rate", 110_000);

/** The chain in its two orders; the blocklist moves between first and second place. */
const ORDERS = [
  ["bl", "c1", "c2"],
  ["c1", "bl", "c2"],
] as const;

const NFS: Record<string, ChainNf> = {
  /** l3afd's root program: passes every packet on to its nf_next. */
  root: { name: "root", object: `${BUILD}/bench/hop.o`, program: "xdp_hop", proceedMask: PROCEED_ON_PASS.xdp },
  bl: blocklist("bl", "xdp", [ADDR.blocked]),
  c1: counter("c1", "xdp"),
  c2: counter("c2", "xdp"),
};

/**
 * A chain wired the l3afd way, reordered in place. `list` mirrors l3afd's
 * per-interface list: the root (here: the link) first, then the NFs, each
 * with the seq_id it was last given.
 */
class NaiveChain {
  private readonly list: Array<{ name: string; seq: number }>;
  /** nf_next writes and link updates made. */
  operations = 0;

  /**
   * `nextPin` has the nf_next of every NF, and of "root" when a root program
   * heads the chain; without one, the link is the root's slot.
   */
  constructor(
    private readonly linkPin: string,
    private readonly nextPin: Record<string, string>,
    private readonly progId: Record<string, number>,
    order: readonly string[],
  ) {
    this.list = [{ name: "root", seq: 0 }, ...order.map((name, i) => ({ name, seq: i + 1 }))];
  }

  /** l3afd LinkBPFPrograms(left, right) -> left.PutNextProgFDFromID(right's prog ID). */
  private link(left: string, right: string): void {
    this.operations += 1;
    withHandle(openById("prog", this.progId[right]!), (prog) => {
      const mapPin = this.nextPin[left];
      if (mapPin === undefined) withHandle(openPinned("link", this.linkPin), (link) => updateLink(link, prog, undefined, "naive link"));
      else withHandle(openPinned("map", mapPin), (next) => setProgramSlot(next, 0, prog, `nf_next of ${left}`));
    });
  }

  /** l3afd RemoveNextProgFD: `name` becomes the tail. */
  private removeNext(name: string): void {
    if (name === "root") throw new Error("the root's slot cannot be emptied in a reorder");
    this.operations += 1;
    withHandle(openPinned("map", this.nextPin[name]!), (next) => clearProgramSlot(next, 0, `nf_next of ${name}`));
  }

  /** l3afd MoveToLocation(element, list), step for step. */
  private moveToLocation(index: number): void {
    const el = this.list[index]!;
    const prev = () => this.list[this.list.indexOf(el) - 1]?.name;
    const next = () => this.list[this.list.indexOf(el) + 1]?.name;
    const target = this.list.findIndex((e) => e.seq >= el.seq && e.name !== el.name);
    if (target >= 0) {
      const before = this.list[target]!;
      if (next() !== undefined && prev() !== undefined) this.link(prev()!, next()!);
      else if (next() === undefined && prev() !== undefined) this.removeNext(prev()!);
      this.list.splice(this.list.indexOf(el), 1);
      this.list.splice(this.list.indexOf(before), 0, el); // MoveBefore(element, e)
      this.link(prev()!, el.name);
      if (next() !== undefined) this.link(el.name, next()!);
      return;
    }
    if (next() !== undefined && prev() !== undefined) this.link(prev()!, next()!);
    this.list.splice(this.list.indexOf(el), 1);
    this.list.push(el); // MoveToBack(element)
    if (prev() !== undefined) this.link(prev()!, el.name);
    if (next() === undefined) this.removeNext(el.name);
  }

  /** l3afd Deploy -> VerifyNUpdateBPFProgram for each NF of the request, in request order: a changed seq_id moves it. */
  reorder(order: readonly string[]): void {
    order.forEach((name, i) => {
      const index = this.list.findIndex((e) => e.name === name);
      if (this.list[index]!.seq !== i + 1) {
        this.list[index]!.seq = i + 1;
        this.moveToLocation(index);
      }
    });
  }

  /** The NFs the kernel runs now, in order: from the link's program along each nf_next (a root program left out). */
  running(): string[] {
    const byId = new Map(Object.entries(this.progId).map(([name, id]) => [id, name]));
    const out: string[] = [];
    let id: number | undefined = withHandle(openPinned("link", this.linkPin), linkInfo).progId;
    while (id !== undefined && out.length <= Object.keys(this.progId).length) {
      const name: string = byId.get(id) ?? `prog ${id}`;
      out.push(name);
      id = this.nextPin[name] ? withHandle(openPinned("map", this.nextPin[name]), (next) => programInSlot(next, 0, name)) : undefined;
    }
    return out.filter((name) => name !== "root");
  }
}

interface Phase {
  report: TrafficReport;
  changes: number;
  /** Time spent in the reorders themselves. */
  changesMs: number;
  operations?: number;
}

/** Runs CHANGES reorders under traffic; `check` runs after each, outside the timed part. */
async function underTraffic(
  lab: Lab,
  track: (t: RunningTraffic | undefined) => void,
  reorder: (order: readonly string[]) => void,
  check: (order: readonly string[]) => void = () => undefined,
): Promise<Omit<Phase, "operations">> {
  const traffic = await startTraffic(lab, { rate: RATE });
  track(traffic);
  try {
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    let changesMs = 0;
    for (let i = 1; i <= CHANGES; i++) {
      const order = ORDERS[i % 2]!;
      const t0 = performance.now();
      reorder(order);
      changesMs += performance.now() - t0;
      check(order);
    }
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    return { report: await traffic.stop(), changes: CHANGES, changesMs };
  } finally {
    traffic.kill();
    track(undefined);
  }
}

async function naivePhase(lab: Lab, track: (t: RunningTraffic | undefined) => void, rootProgram: boolean): Promise<Phase> {
  const root = `${lab.root}/naive`;
  ensureRoot(root);
  const addr: HookAddress = { netns: inNetns(lab.nsB, currentNetns), ifname: TARGET.ifname, hook: TARGET.hook };
  const paths = hookPaths(root, addr);
  // One program instance per NF, each with its own nf_next, wired in the first order.
  const names = rootProgram ? ["root", ...ORDERS[0]] : [...ORDERS[0]];
  const gen = buildGeneration(
    root,
    addr,
    1,
    names.map((name) => NFS[name]!),
  );
  let link: LinkHandle | undefined;
  try {
    syncDataMap(root, addr, "bl", "blocklist_v4", NFS.bl!.maps!.blocklist_v4!);
    link = inNetns(lab.nsB, () =>
      withHandle(openPinned("prog", gen.nfs[0]!.progPin), (prog) => createXdpLink(prog, findIfIndex(TARGET.ifname)!, "auto", "naive chain")),
    );
    pinObject(link, paths.link);
    const chain = new NaiveChain(
      paths.link,
      Object.fromEntries(names.map((name, pos) => [name, paths.generation(1).nf(pos, name).next])),
      Object.fromEntries(gen.nfs.map((nf) => [nf.name, nf.progId])),
      ORDERS[0],
    );
    if (chain.running().join() !== ORDERS[0].join()) throw new Error(`the naive chain runs ${chain.running().join()}, not ${ORDERS[0].join()}`);
    let wrong = 0;
    const phase = await underTraffic(
      lab,
      track,
      (order) => chain.reorder(order),
      (order) => {
        if (chain.running().join() !== order.join()) wrong += 1;
      },
    );
    if (wrong > 0) throw new Error(`the naive reorder left a wrong chain ${wrong} times (a bug in this benchmark)`);
    return { ...phase, operations: chain.operations };
  } finally {
    if (link !== undefined) {
      detachLink(link, "naive chain");
      link.close();
    }
    rmSync(root, { recursive: true, force: true });
  }
}

async function nfctlPhase(lab: Lab, track: (t: RunningTraffic | undefined) => void): Promise<Phase> {
  const apply = (order: readonly string[]) =>
    inNetns(lab.nsB, () =>
      setChain(
        TARGET,
        order.map((name) => NFS[name]!),
        { root: lab.root },
      ),
    );
  apply(ORDERS[0]);
  let generations = 0;
  try {
    const phase = await underTraffic(lab, track, (order) => {
      if (apply(order).commit !== "update") throw new Error("setChain did not update the link in place");
      generations += 1;
    });
    if (generations !== CHANGES) throw new Error(`${generations} of ${CHANGES} swaps happened`);
    return phase;
  } finally {
    apply([]);
  }
}

async function disruption(): Promise<Section> {
  let traffic: RunningTraffic | undefined;
  const track = (t: RunningTraffic | undefined) => (traffic = t);
  const lab = createLab();
  const interrupted = (signal: NodeJS.Signals) => {
    traffic?.kill();
    lab.cleanup();
    process.stderr.write(`naive-relink: ${signal}, cleaned up\n`);
    process.exit(130);
  };
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
  try {
    const naiveLink = await naivePhase(lab, track, false);
    const naiveRoot = await naivePhase(lab, track, true);
    const nfctl = await nfctlPhase(lab, track);
    const rows: Array<[string, Phase]> = [
      ["naive, root = link: nf_next writes + link update in place", naiveLink],
      ["naive, root program (l3afd): nf_next writes only", naiveRoot],
      ["nfctl: new generation + one bpf_link_update", nfctl],
    ];
    const per100 = (n: number, p: Phase) => ((n * 100) / p.changes).toFixed(1);
    const notes = rows.flatMap(([name, p]) =>
      p.report.duplicates || p.report.reordered || p.report.socketDrops
        ? [`${name}: duplicates ${p.report.duplicates}, reordered ${p.report.reordered}, socket drops ${p.report.socketDrops}.`]
        : [],
    );
    return {
      title: "Disruption during changes",
      command: `node dist/bench/naive-relink.js --changes ${CHANGES} --rate ${RATE}`,
      method: [
        `The chain blocklist -> c1 -> c2 on a veth's XDP hook is reordered ${CHANGES} times each way (the blocklist first, then second), under UDP at ${RATE.toLocaleString("en")} pps, half of it from a blocked source (test/harness/nftraffic, sequence-numbered).`,
        "Bypassed: blocked packets that reached the sink. Lost: allowed packets sent that never arrived.",
        "naive: l3afd's way, the live chain rewired in place in the order of its MoveToLocation; nfctl: setChain, a new generation switched with one bpf_link_update.",
      ],
      tables: [
        {
          caption: "Per 100 changes:",
          columns: ["way", "bypassed", "lost", "ms per change", "pps"],
          rows: rows.map(([name, p]) => [
            name,
            per100(p.report.bypassed, p),
            per100(p.report.lost, p),
            (p.changesMs / p.changes).toFixed(3),
            Math.round(p.report.pps),
          ]),
        },
      ],
      goals: [
        {
          goal: "nfctl: 0 bypassed and 0 lost",
          measured: `${nfctl.report.bypassed} bypassed, ${nfctl.report.lost} lost in ${nfctl.changes} changes`,
          met: nfctl.report.bypassed === 0 && nfctl.report.lost === 0,
        },
      ],
      findings: notes,
    };
  } finally {
    traffic?.kill();
    lab.cleanup();
  }
}

await runBenchmark(import.meta.url, disruption);
