/**
 * The watch loop's status, kept with the rest of nfctl's state (in the
 * records map under bpffs, under a reserved key per network namespace), so
 * that `nfctl status` in another process shows it. The value is the
 * controller's; this layer only stores it.
 */
import { currentNetns, decodeJsonValue, encodeJsonValue, ensureRoot, openRecords, RESERVED_KEY_PREFIX } from "../state/index.js";

function key(netns: number): string {
  return `${RESERVED_KEY_PREFIX}loop/${netns}`;
}

/** Stores the loop status of this network namespace. */
export function saveLoopStatus(root: string, status: unknown): void {
  ensureRoot(root);
  const records = openRecords(root);
  try {
    records.putValue(key(currentNetns()), encodeJsonValue(JSON.stringify(status), "the watch loop's status"));
  } finally {
    records.close();
  }
}

/** The loop status of this network namespace, or undefined when no loop ever ran here. */
export function loadLoopStatus(root: string): unknown {
  const records = openRecords(root, { create: false });
  try {
    const value = records?.getValue(key(currentNetns()));
    return value && decodeJsonValue(value);
  } finally {
    records?.close();
  }
}
