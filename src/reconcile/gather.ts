/**
 * Reads what the planner compares the config with: every hook nfctl manages
 * in this network namespace, every hook the config names (managed or not),
 * and the contents of the live data maps the config sets.
 */
import { existsSync } from "node:fs";
import { currentNetns, observe, observeHook, openRecords, readDataMap, hookPaths, type ObservedState } from "../state/index.js";
import type { DesiredState } from "./desired.js";
import type { ObservedMapContents } from "./planner.js";
import { hookId, type HookId } from "./plan.js";
import type { MapEntry } from "../state/index.js";

export interface Observation {
  observed: ObservedState;
  contents: ObservedMapContents;
}

/** Observes the kernel for planning `desired` (which may be empty, e.g. for destroy). */
export function gather(root: string, desired: DesiredState): Observation {
  const netns = currentNetns();
  const observed = observe(root, netns);
  const records = existsSync(root) ? openRecords(root, { create: false }) : undefined;
  try {
    const managed = new Set(observed.hooks.map((h) => hookId(h.address.ifname, h.address.hook)));
    for (const d of desired.hooks) {
      if (!managed.has(hookId(d.ifname, d.hook))) observed.hooks.push(observeHook(root, { netns, ifname: d.ifname, hook: d.hook }, records));
    }
  } finally {
    records?.close();
  }
  const byId = new Map(observed.hooks.map((h) => [hookId(h.address.ifname, h.address.hook), h]));
  const contents = new Map<HookId, Record<string, Record<string, MapEntry[]>>>();
  for (const d of desired.hooks) {
    const id = hookId(d.ifname, d.hook);
    const hook = byId.get(id)!;
    const live = new Set(hook.live?.nfs.map((n) => n.name) ?? []);
    const maps: Record<string, Record<string, MapEntry[]>> = {};
    for (const nf of d.chain) {
      if (!live.has(nf.name)) continue;
      for (const map of nf.maps) {
        if (!existsSync(hookPaths(root, hook.address).dataMap(nf.name, map.name))) continue;
        const { entries } = readDataMap(root, hook.address, nf.name, map.name);
        (maps[nf.name] ??= {})[map.name] = entries.map((e) => ({ key: e.key, value: e.values[0]! }));
      }
    }
    contents.set(id, maps);
  }
  return { observed, contents };
}

/** An empty observation, for planning where the kernel cannot be read. */
export function nothingObserved(): Observation {
  return { observed: { root: "", netns: 0, hooks: [] }, contents: new Map() };
}
