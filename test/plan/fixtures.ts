/**
 * Hand-made DesiredState and ObservedState values for planner tests.
 */
import type { DesiredHook, DesiredMap, DesiredNf } from "../../src/reconcile/desired.js";
import { hookId, planChanges, type Plan } from "../../src/reconcile/index.js";
import { MapType, type Drift, type Hook, type ObservedHook, type MapSpec } from "../../src/state/index.js";

export const NETNS = 4026532000;
const here = { file: "edge.yaml", line: 1, column: 1 };

export const PORTS_SPEC: MapSpec = { name: "ports", type: MapType.HASH, keySize: 2, valueSize: 4, maxEntries: 1024, flags: 0, internal: false };

export function port(p: number, v = 1): { key: Buffer; value: Buffer } {
  const key = Buffer.alloc(2);
  key.writeUInt16LE(p);
  const value = Buffer.alloc(4);
  value.writeUInt32LE(v);
  return { key, value };
}

export function portsMap(...ports: number[]): DesiredMap {
  return { name: "ports", spec: PORTS_SPEC, entries: ports.map((p) => port(p)), source: here };
}

export function nf(name: string, over: Partial<DesiredNf> = {}): DesiredNf {
  return {
    name,
    object: `/objs/${name}.o`,
    digest: `${name}`.padEnd(64, "0"),
    program: `xdp_${name}`,
    chainAware: true,
    proceedMask: 4,
    maps: [],
    mapsDigest: "d".repeat(64),
    enabled: true,
    source: here,
    ...over,
  };
}

export function desiredHook(ifname: string, hook: Hook, chain: DesiredNf[], mode?: DesiredHook["mode"]): DesiredHook {
  return { ifname, hook, chain, source: here, ...(mode && { mode }) };
}

/** An observed hook running `chain` as generation `generation`, with records matching `nf()` defaults unless given. */
export function liveHook(
  ifname: string,
  hook: Hook,
  chain: DesiredNf[],
  options: { generation?: number; drift?: Drift[]; stale?: number[]; mode?: "native" | "generic" | "auto"; foreign?: Array<{ id: number; name: string }> } = {},
): ObservedHook {
  const generation = options.generation ?? 1;
  return {
    address: { netns: NETNS, ifname, hook },
    ifindex: 7,
    attachment: "link",
    link: { id: 3, progId: 100, ifindex: 7 },
    attachedProgId: 100,
    live: {
      number: generation,
      nfs: chain.map((n, i) => ({
        position: i,
        name: n.name,
        progId: 100 + i,
        progName: n.program,
        tag: "ab".repeat(8),
        hasNext: true,
        ...(i + 1 < chain.length && { nextProgId: 101 + i }),
      })),
      record: {
        formatVersion: 1,
        netns: NETNS,
        ifname,
        ifindex: 7,
        hook,
        generation,
        attachment: "link",
        ...(hook === "xdp" && { mode: options.mode ?? "auto" }),
        nfs: chain.map((n) => ({
          name: n.name,
          object: n.object,
          digest: n.digest,
          ...(n.origin && { origin: n.origin }),
          program: n.program,
          ...(n.version !== undefined && { version: n.version }),
          ...(n.proceedOn !== undefined && { proceedOn: n.proceedOn }),
          ...(n.proceedMask !== undefined && { proceedMask: n.proceedMask }),
          mapsDigest: n.mapsDigest,
        })),
        createdAt: "2026-11-22T10:00:00.000Z",
      },
    },
    stale: (options.stale ?? []).map((number) => ({ number, nfs: [] })),
    foreign: options.foreign ?? [],
    setAside: [],
    drift: options.drift ?? [],
  };
}

/** A hook the config names on an interface nfctl has never touched. */
export function untouchedHook(ifname: string, hook: Hook): ObservedHook {
  return { address: { netns: NETNS, ifname, hook }, ifindex: 7, stale: [], foreign: [], setAside: [], drift: [] };
}

/** A plan with a bit of everything: a start with maps, an update, a stop, a state, a source. */
export function samplePlan(): Plan {
  return planChanges(
    {
      files: ["edge.yaml"],
      hooks: [desiredHook("eth1", "xdp", [nf("b", { maps: [portsMap(22, 80)] }), nf("a", { version: "2" })]), desiredHook("eth2", "tc-egress", [nf("a")])],
      source: { path: "https://***@git.example.com/edge.git", revision: `main@sha1:${"ab".repeat(20)}` },
    },
    {
      root: "/sys/fs/bpf/nfctl",
      netns: NETNS,
      hooks: [liveHook("eth1", "xdp", [nf("a"), nf("c")], { generation: 4, stale: [2] }), untouchedHook("eth2", "tc-egress")],
      state: { lineage: "7d0c6c1e-0b0a-4f5e-9a51-3f1f0c9b2d11", serial: 5 },
    },
    new Map([[hookId("eth1", "xdp"), { a: { ports: [port(22)] } }]]),
  );
}
