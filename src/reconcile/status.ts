/**
 * What nfctl manages in this network namespace, as a value: per hook, the
 * chain the kernel really runs, where it came from, its counters and drift.
 *
 * It is also a host's snapshot for planning elsewhere (`nfctl plan
 * --observed FILE`, observed-snapshot.ts): beside what a person reads, it
 * holds what the planner compares a config with and nothing more: each
 * NF's record (object, digest, program, proceed mask, maps digest), the
 * contents of the data maps a config can set, the program each hook runs,
 * and the namespace's interfaces with the programs other tools attached to
 * hooks nfctl does not manage.
 *
 * @example
 *     const report = status("/sys/fs/bpf/nfctl");
 *     report.hooks[0].nfs.map((nf) => nf.name) // ["blocklist", "counter"]
 */
import { existsSync, readdirSync } from "node:fs";
import {
  currentNetns,
  decodeName,
  HOOKS,
  hookPaths,
  listInterfaces,
  MapType,
  observe,
  observeHook,
  readDataMap,
  type CodeOrigin,
  type Drift,
  type ForeignProgram,
  type Hook,
  type HookAddress,
  type ObservedState,
  type StateMeta,
  type XdpMode,
} from "../state/index.js";
import { isSettableMap } from "./config/index.js";
import { hookId, plannedEntries, type PlannedEntry } from "./plan.js";

export const STATUS_FORMAT_VERSION = 1;

/** The per-CPU counters the bundled NFs keep in a map of this name (bpf/include/nfstats.h). */
export const STATS_MAP = "nf_stats";

export interface Counter {
  packets: number;
  bytes: number;
}

/** One data map's contents, as a plan holds them: hex keys and values. */
export interface MapStatus {
  name: string;
  entries: PlannedEntry[];
}

export interface NfStatus {
  position: number;
  name: string;
  progId?: number;
  progName?: string;
  tag?: string;
  object?: string;
  digest?: string;
  /** The artifact or image the object came from, from the generation's record. */
  origin?: CodeOrigin;
  version?: string;
  proceedOn?: string[];
  /** From the generation's record: the program's name in the object, the proceed mask set, the digest of the configured maps. */
  program?: string;
  proceedMask?: number;
  mapsDigest?: string;
  /**
   * The data maps a config can set (integer and prefix maps), as the kernel
   * holds them: per-CPU maps as CPU 0 holds them, array maps without their
   * zeroed indices (a plan counts those as absent).
   */
  maps?: MapStatus[];
  /** From the NF's nf_stats map, where it has one. */
  counters?: { seen: Counter; dropped: Counter };
}

export interface HookStatus {
  ifname: string;
  hook: Hook;
  ifindex?: number;
  attachment?: "link" | "tc-legacy";
  mode?: XdpMode;
  linkId?: number;
  /** The program nfctl's link or filter runs. */
  attachedProgId?: number;
  generation?: number;
  appliedAt?: string;
  source?: { path?: string; revision?: string };
  nfs: NfStatus[];
  /** Generations that are not live (left by an interrupted run). */
  stale: number[];
  foreign: ForeignProgram[];
  drift: Drift[];
}

/** An interface of the namespace, and the programs of other tools on its hooks that nfctl does not manage. */
export interface InterfaceStatus {
  name: string;
  ifindex: number;
  /** By hook; hooks nfctl manages are under `hooks` instead, and hooks running nothing are left out. */
  foreign: Partial<Record<Hook, ForeignProgram[]>>;
}

export interface StatusReport {
  formatVersion: typeof STATUS_FORMAT_VERSION;
  netns: number;
  root: string;
  /** The state's lineage and serial; absent before the first apply. */
  state?: StateMeta;
  hooks: HookStatus[];
  /** Every interface of the network namespace, sorted by name. */
  interfaces: InterfaceStatus[];
}

/** What the status reads from the kernel beyond the observation: counters, data maps, interfaces. */
export interface StatusReads {
  counters(addr: HookAddress, nf: string): NfStatus["counters"];
  dataMaps(addr: HookAddress, nf: string): MapStatus[];
  interfaces: InterfaceStatus[];
}

function counters(root: string, addr: HookAddress, nf: string): NfStatus["counters"] {
  if (!existsSync(hookPaths(root, addr).dataMap(nf, STATS_MAP))) return undefined;
  const { entries } = readDataMap(root, addr, nf, STATS_MAP);
  const sum = (index: number): Counter => {
    const values = entries.find((e) => e.key.readUInt32LE(0) === index)?.values ?? [];
    return {
      packets: Number(values.reduce((n, v) => n + v.readBigUInt64LE(0), 0n)),
      bytes: Number(values.reduce((n, v) => n + (v.length >= 16 ? v.readBigUInt64LE(8) : 0n), 0n)),
    };
  };
  return { seen: sum(0), dropped: sum(1) };
}

/** The NF's pinned data maps that a config can set, read as the planner reads them (gather.ts). */
function dataMaps(root: string, addr: HookAddress, nf: string): MapStatus[] {
  const dir = hookPaths(root, addr).dataMaps(nf);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => decodeName(entry.name))
    .sort()
    .flatMap((name) => {
      const { info, entries } = readDataMap(root, addr, nf, name);
      if (!isSettableMap({ ...info, name, internal: false })) return [];
      const array = info.type === MapType.ARRAY || info.type === MapType.PERCPU_ARRAY;
      const held = entries.map((e) => ({ key: e.key, value: e.values[0]! })).filter((e) => !array || e.value.some((byte) => byte !== 0));
      return [{ name, entries: plannedEntries(held) }];
    });
}

/** The interfaces, with what other tools run on the hooks nfctl does not manage (as observeHook sees them). */
function interfaces(root: string, observed: ObservedState): InterfaceStatus[] {
  const managed = new Set(observed.hooks.map((h) => hookId(h.address.ifname, h.address.hook)));
  return listInterfaces().map(({ name, ifindex }) => {
    const foreign: InterfaceStatus["foreign"] = {};
    for (const hook of HOOKS) {
      if (managed.has(hookId(name, hook))) continue;
      const programs = observeHook(root, { netns: observed.netns, ifname: name, hook }).foreign;
      if (programs.length > 0) foreign[hook] = programs;
    }
    return { name, ifindex, foreign };
  });
}

/**
 * The status of an observation, given what else the kernel holds. Pure:
 * tests describe a hand-made observation.
 */
export function describeStatus(observed: ObservedState, reads: StatusReads): StatusReport {
  const hooks = observed.hooks.map((h): HookStatus => {
    const live = h.live;
    const record = live?.record;
    return {
      ifname: h.address.ifname,
      hook: h.address.hook,
      ...(h.ifindex !== undefined && { ifindex: h.ifindex }),
      ...(h.attachment && { attachment: h.attachment }),
      ...(record?.mode && { mode: record.mode }),
      ...(h.link && { linkId: h.link.id }),
      ...(h.attachedProgId !== undefined && { attachedProgId: h.attachedProgId }),
      ...(live && { generation: live.number }),
      ...(record && { appliedAt: record.createdAt }),
      ...(record?.source && { source: record.source }),
      nfs: (live?.nfs ?? []).map((nf): NfStatus => {
        const r = record?.nfs.find((n) => n.name === nf.name);
        const c = reads.counters(h.address, nf.name);
        const maps = reads.dataMaps(h.address, nf.name);
        return {
          position: nf.position,
          name: nf.name,
          ...(nf.progId !== undefined && { progId: nf.progId, progName: nf.progName!, tag: nf.tag! }),
          ...(r && { object: r.object, digest: r.digest, program: r.program }),
          ...(r?.origin && { origin: r.origin }),
          ...(r?.version !== undefined && { version: r.version }),
          ...(r?.proceedOn !== undefined && { proceedOn: r.proceedOn }),
          ...(r?.proceedMask !== undefined && { proceedMask: r.proceedMask }),
          ...(r?.mapsDigest !== undefined && { mapsDigest: r.mapsDigest }),
          ...(maps.length > 0 && { maps }),
          ...(c && { counters: c }),
        };
      }),
      stale: h.stale.map((g) => g.number),
      foreign: h.foreign,
      drift: h.drift,
    };
  });
  return {
    formatVersion: STATUS_FORMAT_VERSION,
    netns: observed.netns,
    root: observed.root,
    ...(observed.state && { state: observed.state }),
    hooks,
    interfaces: reads.interfaces,
  };
}

export function status(root: string): StatusReport {
  const observed = observe(root, currentNetns());
  return describeStatus(observed, {
    counters: (addr, nf) => counters(root, addr, nf),
    dataMaps: (addr, nf) => dataMaps(root, addr, nf),
    interfaces: interfaces(root, observed),
  });
}
