/**
 * Writing a hook's data maps so that a failed apply can put them back:
 * every write first remembers what the map held.
 */
import { readDataMap, syncDataMap, type HookAddress, type MapEntry } from "../../state/index.js";
import type { PlannedMap } from "../plan.js";

/** What a map held before nfctl wrote it. */
export interface MapSnapshot {
  nf: string;
  map: string;
  entries: MapEntry[];
}

/** The entries of a planned map as bytes. */
export function plannedEntries(map: PlannedMap): MapEntry[] {
  return map.entries.map((e) => ({ key: Buffer.from(e.key, "hex"), value: Buffer.from(e.value, "hex") }));
}

function snapshotMap(root: string, addr: HookAddress, nf: string, map: string): MapSnapshot {
  const { entries } = readDataMap(root, addr, nf, map);
  return { nf, map, entries: entries.map((e) => ({ key: e.key, value: e.values[0]! })) };
}

/**
 * Makes the map hold exactly the planned entries. With `snapshots`, first
 * appends what it held, for restoreMaps.
 */
export function writeMap(root: string, addr: HookAddress, nf: string, map: PlannedMap, snapshots?: MapSnapshot[]): void {
  if (snapshots) snapshots.push(snapshotMap(root, addr, nf, map.name));
  syncDataMap(root, addr, nf, map.name, plannedEntries(map));
}

/** Puts back what the snapshots hold, newest first. */
export function restoreMaps(root: string, addr: HookAddress, snapshots: readonly MapSnapshot[]): void {
  for (let i = snapshots.length - 1; i >= 0; i--) {
    const s = snapshots[i]!;
    syncDataMap(root, addr, s.nf, s.map, s.entries);
  }
}
