/**
 * Removing a generation together with its record, and the data maps of
 * NFs a hook no longer runs.
 */
import { describeHook } from "./hook-change.js";
import { decodeName, hookPaths, listDirs, recordKey, removeGeneration, removeTree, type HookAddress, type RecordStore } from "../../state/index.js";

export function removeGenerationAndRecord(root: string, addr: HookAddress, number: number, records: RecordStore): void {
  removeGeneration(root, addr, number);
  records.delete(recordKey(addr, number));
}

/** Removes the data maps of NFs that are not in `keep`. */
export function pruneDataMaps(root: string, addr: HookAddress, keep: readonly string[]): void {
  const paths = hookPaths(root, addr);
  for (const dir of listDirs(paths.maps)) {
    const nf = decodeName(dir);
    if (!keep.includes(nf)) removeTree(paths.dataMaps(nf));
  }
}

/** Removes the generations an interrupted run left, as the plan lists them. */
export function removeStale(root: string, addr: HookAddress, stale: readonly number[], records: RecordStore, step: (label: string) => void): void {
  for (const n of stale) {
    removeGenerationAndRecord(root, addr, n, records);
    step(`${describeHook(addr)}: removed stale generation ${n}`);
  }
}
