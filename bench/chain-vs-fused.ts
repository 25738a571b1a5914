/**
 * ns/packet of a three-NF XDP chain (blocklist -> portfilter -> counter,
 * joined by nf_next tail calls) against one hand-fused program doing the
 * same work, both measured with BPF_PROG_TEST_RUN in this run. Also the cost
 * of a hop: chains of pass-through NFs of growing length.
 *
 *     npm run bench            (as root)
 *
 * The chain is built exactly as nfctl builds a generation (buildGeneration),
 * in a bpffs root of its own that is removed at the end.
 */
import { resolve } from "node:path";
import { rmSync } from "node:fs";
import { BpfObject, testRun, update, withHandle, openPinned, type MapHandle, type ProgramHandle } from "../src/native/index.js";
import { buildGeneration, ensureRoot, hookPaths, type BuiltGeneration, type HookAddress, type NfInstance } from "../src/state/index.js";

const BUILD = resolve("bpf/build");
const ROUNDS = 7;
const REPEAT = 2_000_000;
const PASS = 1 << 2;

/** Ethernet + IPv4 + UDP from 198.18.0.1:40000 to 198.18.0.2:53, 64-byte frame. */
function udpFrame(): Buffer {
  const f = Buffer.alloc(64);
  f.writeUInt16BE(0x0800, 12);
  f.writeUInt8(0x45, 14);
  f.writeUInt16BE(50, 16);
  f.writeUInt8(64, 22);
  f.writeUInt8(17, 23);
  Buffer.from([198, 18, 0, 1]).copy(f, 26);
  Buffer.from([198, 18, 0, 2]).copy(f, 30);
  f.writeUInt16BE(40000, 34);
  f.writeUInt16BE(53, 36);
  f.writeUInt16BE(30, 38);
  return f;
}

/** 1000 blocked /24s and 100 blocked ports, none matching the frame: every NF does its full work. */
function fill(mapOf: (name: string) => MapHandle): void {
  const one = Buffer.alloc(4);
  one.writeUInt32LE(1);
  for (let i = 0; i < 1000; i++) {
    const key = Buffer.alloc(8);
    key.writeUInt32LE(24, 0);
    Buffer.from([10, (i >> 8) & 255, i & 255, 0]).copy(key, 4);
    update(mapOf("blocklist_v4"), key, one, "blocklist_v4");
  }
  for (let port = 1000; port < 1100; port++) {
    const key = Buffer.alloc(2);
    key.writeUInt16LE(port);
    update(mapOf("ports"), key, one, "ports");
  }
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Median ns/packet over ROUNDS runs of each program, rounds interleaved so drift hits all alike. */
function measure(programs: Record<string, ProgramHandle>, frame: Buffer): Record<string, number> {
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(programs).map((k) => [k, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, prog] of Object.entries(programs)) {
      const { retval, durationNs } = testRun(prog, frame, REPEAT);
      if (retval !== 2) throw new Error(`${name} returned ${retval}, expected XDP_PASS (2)`);
      samples[name]!.push(durationNs);
    }
  }
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
}

function main(): void {
  const root = `/sys/fs/bpf/nfctl-bench-${process.pid}`;
  const objects: BpfObject[] = [];
  /** The first programs of the chains, opened from their pins. */
  const chainPrograms: ProgramHandle[] = [];
  const firstProgram = (gen: BuiltGeneration): ProgramHandle => {
    const prog = openPinned("prog", gen.nfs[0]!.progPin);
    chainPrograms.push(prog);
    return prog;
  };
  ensureRoot(root);
  try {
    const chainAddr: HookAddress = { netns: 0, ifname: "bench", hook: "xdp" };
    const nf = (name: string, object: string, program: string): NfInstance => ({ name, object: `${BUILD}/${object}`, program, proceedMask: PASS });
    const chain = buildGeneration(root, chainAddr, 1, [
      nf("blocklist", "blocklist.o", "xdp_blocklist"),
      nf("portfilter", "portfilter.o", "xdp_portfilter"),
      nf("counter", "counter.o", "xdp_counter"),
    ]);
    const paths = hookPaths(root, chainAddr);
    withHandle(openPinned("map", paths.dataMap("blocklist", "blocklist_v4")), (blocklistMap) =>
      withHandle(openPinned("map", paths.dataMap("portfilter", "ports")), (portsMap) => fill((name) => (name === "ports" ? portsMap : blocklistMap))),
    );

    const fused = BpfObject.open(`${BUILD}/bench/fused.o`);
    objects.push(fused);
    fused.selectProgram("xdp_fused");
    fused.load();
    fill((name) => fused.mapHandle(name));

    const single = BpfObject.open(`${BUILD}/counter.o`);
    objects.push(single);
    single.selectProgram("xdp_counter");
    single.load();

    const hops: Record<string, ProgramHandle> = {};
    for (const length of [1, 2, 4, 8, 16]) {
      const gen = buildGeneration(
        root,
        { netns: 0, ifname: `hop${length}`, hook: "xdp" },
        1,
        Array.from({ length }, (_, i) => nf(`hop${i}`, "bench/hop.o", "xdp_hop")),
      );
      hops[`hop x${length}`] = firstProgram(gen);
    }

    const frame = udpFrame();
    const ns = measure(
      {
        "chain: blocklist -> portfilter -> counter": firstProgram(chain),
        "fused: one program, same work": fused.programHandle("xdp_fused"),
        "counter alone": single.programHandle("xdp_counter"),
        ...hops,
      },
      frame,
    );
    const chainNs = ns["chain: blocklist -> portfilter -> counter"]!;
    const fusedNs = ns["fused: one program, same work"]!;
    const width = Math.max(...Object.keys(ns).map((k) => k.length));
    console.log(`BPF_PROG_TEST_RUN, 64-byte UDP frame that passes every NF; median of ${ROUNDS} rounds x ${REPEAT} runs`);
    for (const [name, value] of Object.entries(ns)) console.log(`  ${name.padEnd(width)}  ${String(value).padStart(4)} ns/packet`);
    console.log(`  chain / fused: ${(chainNs / fusedNs).toFixed(2)}x (${chainNs - fusedNs} ns more per packet)`);
    const perHop = (ns["hop x16"]! - ns["hop x1"]!) / 15;
    console.log(`  cost of one hop (hop x16 - hop x1) / 15: ${perHop.toFixed(1)} ns`);
  } finally {
    chainPrograms.forEach((prog) => prog.close());
    objects.forEach((o) => o.close());
    rmSync(root, { recursive: true, force: true });
  }
}

main();
