/**
 * Reads what the planner compares the config with: every hook nfctl manages
 * in this network namespace, every hook the config names (managed or not),
 * and the contents of the live data maps the config sets.
 */
import { existsSync } from "node:fs";
import {
  currentNetns,
  observe,
  observeHook,
  openRecords,
  readDataMap,
  hookPaths,
  type ObservedState,
} from "../state/index.js";
import type { DesiredState } from "./desired.js";
import { mapContentsKey, type ObservedMapContents } from "./planner.js";

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
    for (const d of desired.hooks) {
      if (!observed.hooks.some((h) => h.address.ifname === d.ifname && h.address.hook === d.hook)) {
        observed.hooks.push(observeHook(root, { netns, ifname: d.ifname, hook: d.hook }, records));
      }
    }
  } finally {
    records?.close();
  }
  const contents: ObservedMapContents = {};
  for (const d of desired.hooks) {
    const hook = observed.hooks.find((h) => h.address.ifname === d.ifname && h.address.hook === d.hook)!;
    for (const nf of d.chain) {
      if (!hook.live?.nfs.some((n) => n.name === nf.name)) continue;
      for (const map of nf.maps) {
        if (!existsSync(hookPaths(root, hook.address).dataMap(nf.name, map.name))) continue;
        const { entries } = readDataMap(root, hook.address, nf.name, map.name);
        contents[mapContentsKey(d.ifname, d.hook, nf.name, map.name)] = entries.map((e) => ({ key: e.key, value: e.values[0]! }));
      }
    }
  }
  return { observed, contents };
}

/** An empty observation, for planning where the kernel cannot be read. */
export function nothingObserved(): Observation {
  return { observed: { root: "", netns: 0, hooks: [] }, contents: {} };
}
