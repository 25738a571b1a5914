/**
 * Zero disruption: under 100,000+ packets per second, 100 consecutive changes
 * of one chain (reorder, insert, remove, update, proceed-on, round and round),
 * each made with setChain, let no blocked packet through and lose no allowed
 * packet. Once on an XDP chain, once on a TC (tc-ingress) chain.
 */
import t from "tap";
import { performance } from "node:perf_hooks";
import { createLab, inNetns, ADDR, type Lab } from "../../scripts/test-lab.js";
import { requireKernel, packets, type TapTest } from "../helpers/kernel.js";
import { counter, blocklist, PROCEED_ON_PASS, type HookKind } from "../../scripts/nfs.js";
import { setChain, type ChainNf, type ChainTarget } from "../../src/reconcile/set-chain.js";
import { currentNetns, observe, type HookAddress } from "../../src/state/index.js";
import { startTraffic, describeReport } from "../../scripts/traffic-harness.js";

requireKernel();

const CHANGES = 100;
/** What must be achieved, and what is asked for: a margin for a busy machine. */
const MIN_PPS = 100_000;
const RATE = 110_000;
/** Traffic before the first change and after the last one. */
const SETTLE_MS = 300;

type ChangeKind = "reorder" | "insert" | "remove" | "update" | "proceed-on";
const KINDS: ChangeKind[] = ["reorder", "insert", "remove", "update", "proceed-on"];

/** Proceed-on masks of the counter c1: on pass, or on pass and one more verdict it never returns (XDP_TX; TC_ACT_UNSPEC). */
const WIDER_MASK: Record<HookKind, number> = { xdp: PROCEED_ON_PASS.xdp | (1 << 3), tc: PROCEED_ON_PASS.tc | (1 << 0) };

/** The chain as the changes leave it. The blocklist is always in it; it only ever proceeds on pass. */
interface ChainState {
  /** NF names in chain order. */
  order: string[];
  /** c2 runs test/counter_v2.o instead of counter.o. */
  c2v2: boolean;
  /** c1 proceeds on the wider mask. */
  c1Wide: boolean;
  inserts: number;
}

function nfsOf(kind: HookKind, s: ChainState): ChainNf[] {
  const specs: Record<string, ChainNf> = {
    c1: { ...counter("c1", kind), proceedMask: s.c1Wide ? WIDER_MASK[kind] : PROCEED_ON_PASS[kind] },
    bl: blocklist("bl", kind, [ADDR.blocked]),
    c2: counter("c2", kind, s.c2v2 ? "test/counter_v2.o" : "counter.o"),
    c3: counter("c3", kind),
  };
  return s.order.map((name) => specs[name]!);
}

function next(s: ChainState, change: ChangeKind): ChainState {
  switch (change) {
    case "reorder": // rotate: the blocklist moves through first, middle and last place
      return { ...s, order: [...s.order.slice(1), s.order[0]!] };
    case "insert": {
      const at = s.inserts % (s.order.length + 1);
      return { ...s, order: [...s.order.slice(0, at), "c3", ...s.order.slice(at)], inserts: s.inserts + 1 };
    }
    case "remove":
      return { ...s, order: s.order.filter((n) => n !== "c3") };
    case "update":
      return { ...s, c2v2: !s.c2v2 };
    case "proceed-on":
      return { ...s, c1Wide: !s.c1Wide };
  }
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function underTraffic(t: TapTest, kind: HookKind, target: ChainTarget): Promise<void> {
  const lab: Lab = createLab();
  t.teardown(lab.cleanup);
  const apply = (nfs: ChainNf[]) => inNetns(lab.nsB, () => setChain(target, nfs, { root: lab.root }));
  const addr: HookAddress = { netns: inNetns(lab.nsB, currentNetns), ifname: target.ifname, hook: target.hook };

  let state: ChainState = { order: ["c1", "bl", "c2"], c2v2: false, c1Wide: false, inserts: 0 };
  const first = apply(nfsOf(kind, state));
  t.equal(first.commit, "create", "the chain is attached");
  t.equal(first.generation, 1, "as generation 1");

  const traffic = await startTraffic(lab, { rate: RATE });
  t.teardown(traffic.kill);
  await new Promise((r) => setTimeout(r, SETTLE_MS));

  const generations: number[] = [];
  const commits = new Set<string>();
  const ms: number[] = [];
  const positions = new Set<number>();
  const done: Record<ChangeKind, number> = { reorder: 0, insert: 0, remove: 0, update: 0, "proceed-on": 0 };
  const started = performance.now();
  for (let i = 0; i < CHANGES; i++) {
    const change = KINDS[i % KINDS.length]!;
    state = next(state, change);
    const nfs = nfsOf(kind, state);
    const t0 = performance.now();
    const result = apply(nfs);
    ms.push(performance.now() - t0);
    generations.push(result.generation!);
    commits.add(result.commit);
    positions.add(state.order.indexOf("bl"));
    done[change] += 1;
  }
  const changesMs = performance.now() - started;
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  const report = await traffic.stop();

  const mean = ms.reduce((a, b) => a + b, 0) / ms.length;
  t.comment(
    `${target.ifname} ${target.hook}: ${CHANGES} changes (${Object.entries(done)
      .map(([k, n]) => `${n} ${k}`)
      .join(", ")}) in ${changesMs.toFixed(0)} ms`,
  );
  t.comment(`time per change: mean ${mean.toFixed(1)} ms, median ${median(ms).toFixed(1)} ms, max ${Math.max(...ms).toFixed(1)} ms`);
  t.comment(describeReport(report));

  t.same(
    generations,
    Array.from({ length: CHANGES }, (_, i) => i + 2),
    `all ${CHANGES} changes happened, each a new generation (2..${CHANGES + 1})`,
  );
  t.same([...commits], ["update"], "each committed by one bpf_link_update of the same link");
  t.same([...positions].sort(), [0, 1, 2, 3], "the blocklist ran in every position of the chain, first to last");
  t.ok(report.pps >= MIN_PPS, `traffic ran at ${MIN_PPS} pps or more (${Math.round(report.pps)})`);
  t.ok(report.durationMs >= changesMs, `and throughout the changes (${report.durationMs.toFixed(0)} ms of traffic, ${changesMs.toFixed(0)} ms of changes)`);
  t.equal(report.bypassed, 0, "no blocked packet got through");
  t.equal(report.lost, 0, "no allowed packet was lost");
  t.equal(report.reordered, 0, "nothing reordered");
  t.equal(report.duplicates, 0, "nothing duplicated");
  t.equal(
    packets(lab.root, addr, "bl", 1),
    BigInt(report.sent.blocked),
    "the blocklist (its counters kept across all generations) dropped every blocked packet",
  );

  const hook = inNetns(lab.nsB, () => observe(lab.root, currentNetns())).hooks.find((h) => h.address.hook === target.hook)!;
  t.equal(hook.live?.number, CHANGES + 1, "the live generation is the last one");
  t.same(
    hook.live?.nfs.map((n) => n.name),
    state.order,
    "running the chain of the last change",
  );
  t.same(hook.stale, [], "no other generation left");
  t.same(hook.drift, [], "no drift");
}

t.test(`${CHANGES} changes of an XDP chain under traffic: nothing bypasses the blocklist, nothing is lost`, (t) =>
  underTraffic(t, "xdp", { ifname: "veth-b", hook: "xdp" }),
);

t.test(`${CHANGES} changes of a TC chain under traffic: nothing bypasses the blocklist, nothing is lost`, (t) =>
  underTraffic(t, "tc", { ifname: "veth-b", hook: "tc-ingress" }),
);
