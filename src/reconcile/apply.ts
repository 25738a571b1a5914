/**
 * The executor: carries out a Plan, hook by hook, through the swap (new
 * generation, one link update) or, for map-only changes, by writing the live
 * maps in place.
 */
import { openRecords, recordKey, syncDataMap, type HookAddress } from "../state/index.js";
import type { DesiredHook, DesiredNf, DesiredState } from "./desired.js";
import type { HookPlan, Plan } from "./plan.js";
import { setChain, type ChainNf, type SwapResult } from "./swap.js";

export interface HookOutcome {
  ifname: string;
  hook: HookPlan["hook"];
  execution: HookPlan["execution"];
  /** The generation live afterwards (swap), or the one written in place. */
  generation?: number;
  /** For swaps: how the hook was switched. */
  commit?: SwapResult["commit"];
}

export interface ApplyResult {
  hooks: HookOutcome[];
}

function chainNf(nf: DesiredNf): ChainNf {
  return {
    name: nf.name,
    object: nf.object,
    program: nf.program,
    ...(nf.proceedMask !== undefined && { proceedMask: nf.proceedMask }),
    ...(nf.proceedOn !== undefined && { proceedOn: nf.proceedOn }),
    ...(nf.version !== undefined && { version: nf.version }),
    maps: Object.fromEntries(nf.maps.map((m) => [m.name, m.entries])),
    mapsDigest: nf.mapsDigest,
  };
}

/** Writes the configured maps of a live generation and notes their digest in its record. */
function reconfigure(root: string, addr: HookAddress, generation: number, desired: DesiredHook, plan: HookPlan): void {
  for (const action of plan.actions) {
    const nf = desired.chain.find((n) => n.name === action.nf)!;
    for (const map of nf.maps) {
      if (action.maps?.some((m) => m.map === map.name)) syncDataMap(root, addr, nf.name, map.name, map.entries);
    }
  }
  const records = openRecords(root);
  try {
    const key = recordKey(addr, generation);
    const record = records.get(key);
    if (record) {
      records.put(key, {
        ...record,
        nfs: record.nfs.map((r) => ({ ...r, mapsDigest: desired.chain.find((n) => n.name === r.name)?.mapsDigest ?? r.mapsDigest })),
      });
    }
  } finally {
    records.close();
  }
}

/**
 * Applies `plan`, made from `desired` against the kernel as observed under
 * the lock the caller still holds.
 */
export function applyPlan(plan: Plan, desired: DesiredState, options: { root: string }): ApplyResult {
  const { root } = options;
  const hooks: HookOutcome[] = [];
  for (const hp of plan.hooks) {
    if (hp.execution === "none") continue;
    const d = desired.hooks.find((h) => h.ifname === hp.ifname && h.hook === hp.hook);
    const target = { ifname: hp.ifname, hook: hp.hook, ...(hp.mode && { mode: hp.mode }) };
    if (hp.execution === "in-place") {
      const generation = hp.generation!;
      reconfigure(root, { netns: plan.netns, ifname: hp.ifname, hook: hp.hook }, generation, d!, hp);
      hooks.push({ ifname: hp.ifname, hook: hp.hook, execution: "in-place", generation });
      continue;
    }
    const nfs = hp.execution === "detach" ? [] : d!.chain.filter((nf) => nf.enabled).map(chainNf);
    const result = setChain(target, nfs, { root, ...(desired.source && { source: desired.source }) });
    hooks.push({
      ifname: hp.ifname,
      hook: hp.hook,
      execution: hp.execution,
      ...(result.generation !== undefined && { generation: result.generation }),
      commit: result.commit,
    });
  }
  return { hooks };
}
