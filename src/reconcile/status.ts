/**
 * What nfctl manages in this network namespace, as a value: per hook, the
 * chain the kernel really runs, where it came from, its counters and drift.
 */
import { existsSync } from "node:fs";
import {
  currentNetns,
  hookPaths,
  observe,
  readDataMap,
  type Drift,
  type ForeignProgram,
  type Hook,
  type HookAddress,
  type StateMeta,
  type XdpMode,
} from "../state/index.js";

export const STATUS_FORMAT_VERSION = 1;

/** The per-CPU counters the bundled NFs keep in a map of this name (bpf/include/nfstats.h). */
export const STATS_MAP = "nf_stats";

export interface Counter {
  packets: number;
  bytes: number;
}

export interface NfStatus {
  position: number;
  name: string;
  progId?: number;
  progName?: string;
  tag?: string;
  object?: string;
  digest?: string;
  version?: string;
  proceedOn?: string[];
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
  generation?: number;
  appliedAt?: string;
  source?: { path?: string; revision?: string };
  nfs: NfStatus[];
  /** Generations that are not live (left by an interrupted run). */
  stale: number[];
  foreign: ForeignProgram[];
  drift: Drift[];
}

export interface StatusReport {
  formatVersion: typeof STATUS_FORMAT_VERSION;
  netns: number;
  root: string;
  /** The state's lineage and serial; absent before the first apply. */
  state?: StateMeta;
  hooks: HookStatus[];
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

export function status(root: string): StatusReport {
  const netns = currentNetns();
  const observed = observe(root, netns);
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
      ...(live && { generation: live.number }),
      ...(record && { appliedAt: record.createdAt }),
      ...(record?.source && { source: record.source }),
      nfs: (live?.nfs ?? []).map((nf) => {
        const r = record?.nfs.find((n) => n.name === nf.name);
        const c = counters(root, h.address, nf.name);
        return {
          position: nf.position,
          name: nf.name,
          ...(nf.progId !== undefined && { progId: nf.progId, progName: nf.progName!, tag: nf.tag! }),
          ...(r && { object: r.object, digest: r.digest }),
          ...(r?.version !== undefined && { version: r.version }),
          ...(r?.proceedOn !== undefined && { proceedOn: r.proceedOn }),
          ...(c && { counters: c }),
        };
      }),
      stale: h.stale.map((g) => g.number),
      foreign: h.foreign,
      drift: h.drift,
    };
  });
  return { formatVersion: STATUS_FORMAT_VERSION, netns, root, ...(observed.state && { state: observed.state }), hooks };
}
