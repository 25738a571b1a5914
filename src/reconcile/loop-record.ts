/**
 * The watch loop's status, kept with the rest of nfctl's state (in the
 * records map under bpffs), one per network namespace, so that
 * `nfctl status` in another process shows it. The value is the
 * controller's; this layer only stores it.
 */
import { currentNetns, ensureRoot, openRecords } from "../state/index.js";

function name(netns: number): string {
  return `loop/${netns}`;
}

/** Stores the loop status of this network namespace. */
export function saveLoopStatus(root: string, status: unknown): void {
  ensureRoot(root);
  const records = openRecords(root);
  try {
    records.putMeta(name(currentNetns()), status);
  } finally {
    records.close();
  }
}

/** The loop status of this network namespace, or undefined when no loop ever ran here. */
export function loadLoopStatus(root: string): unknown {
  const records = openRecords(root, { create: false });
  try {
    return records?.getMeta(name(currentNetns()));
  } finally {
    records?.close();
  }
}
