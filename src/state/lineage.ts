/**
 * The state's lineage and serial, as Terraform keeps them: the lineage is
 * a random UUID made by the first apply that commits anything, and the
 * serial counts the applies that committed. A saved plan records both and
 * is refused where either changed (reconcile/changes/precondition.ts): a
 * plan made for another host's state, or before another apply, no longer
 * describes what it would change.
 *
 * They live in the records map under a reserved key, so that a reboot,
 * which clears bpffs, clears them with the generations they count.
 *
 * @example
 *     const now = readStateMeta(records);      // undefined before the first apply
 *     writeStateMeta(records, nextStateMeta(now)); // { lineage: "6f1c…", serial: 1 }
 */
import { randomUUID } from "node:crypto";
import { decodeJsonValue, encodeJsonValue, RESERVED_KEY_PREFIX, type RecordStore } from "./records.js";

export const STATE_META_KEY = `${RESERVED_KEY_PREFIX}state`;
export const STATE_META_FORMAT_VERSION = 1;

export interface StateMeta {
  /** Made once, at the first committed apply; another lineage is another state. */
  lineage: string;
  /** 1 after the first committed apply, one more after each. */
  serial: number;
}

/** The state's lineage and serial; undefined when nothing was ever applied (or no records map exists). */
export function readStateMeta(records: RecordStore | undefined): StateMeta | undefined {
  const value = records?.getValue(STATE_META_KEY);
  if (!value) return undefined;
  const meta = decodeJsonValue(value) as { formatVersion?: unknown; lineage?: unknown; serial?: unknown };
  if (meta.formatVersion !== STATE_META_FORMAT_VERSION) {
    throw new Error(`the state's lineage record has format version ${String(meta.formatVersion)}; this nfctl reads version ${STATE_META_FORMAT_VERSION}`);
  }
  if (typeof meta.lineage !== "string" || typeof meta.serial !== "number" || !Number.isSafeInteger(meta.serial) || meta.serial < 1) {
    throw new Error(`the state's lineage record is corrupt: ${JSON.stringify(meta)}`);
  }
  return { lineage: meta.lineage, serial: meta.serial };
}

/** What the state is after one more committed apply: the same lineage (a new one at the first), the serial one higher. */
export function nextStateMeta(current: StateMeta | undefined, newLineage: () => string = randomUUID): StateMeta {
  return current ? { lineage: current.lineage, serial: current.serial + 1 } : { lineage: newLineage(), serial: 1 };
}

export function writeStateMeta(records: RecordStore, meta: StateMeta): void {
  records.putValue(STATE_META_KEY, encodeJsonValue(JSON.stringify({ formatVersion: STATE_META_FORMAT_VERSION, ...meta }), "the state's lineage record"));
}
