/**
 * Every `-o json` output, in one versioned envelope per kind:
 *
 *     { "formatVersion": 1, "kind": "Plan", "plan": { ... } }
 *     { "formatVersion": 1, "kind": "ApplyResult", "applied": true, "plan": { ... }, "result": { ... } }
 *     { "formatVersion": 1, "kind": "DestroyResult", "applied": true, "plan": { ... }, "result": { ... } }
 *     { "formatVersion": 1, "kind": "Status", "status": { ... }, "loop": { ... } }   (loop: where `nfctl watch` ran)
 *
 * formatVersion is the envelope's: a minor change adds fields, a change of
 * this number breaks readers. The plan and status inside carry their own
 * formatVersion as well. No field holds English: reasons, drift and
 * warnings are codes with fields.
 */
import type { ApplyResult, Plan, StatusReport } from "../../reconcile/index.js";
import type { LoopStatus } from "../../controller/index.js";

export const JSON_FORMAT_VERSION = 1;

export type JsonOutput =
  | { formatVersion: typeof JSON_FORMAT_VERSION; kind: "Plan"; plan: Plan }
  | { formatVersion: typeof JSON_FORMAT_VERSION; kind: "ApplyResult"; applied: boolean; plan: Plan; result?: ApplyResult }
  | { formatVersion: typeof JSON_FORMAT_VERSION; kind: "DestroyResult"; applied: boolean; plan: Plan; result?: ApplyResult }
  | { formatVersion: typeof JSON_FORMAT_VERSION; kind: "Status"; status: StatusReport; loop?: LoopStatus };

type Body<K extends JsonOutput["kind"]> = Omit<Extract<JsonOutput, { kind: K }>, "formatVersion" | "kind">;

/** The JSON text of one output, with a final newline. */
export function toJson<K extends JsonOutput["kind"]>(kind: K, body: Body<K>): string {
  return `${JSON.stringify({ formatVersion: JSON_FORMAT_VERSION, kind, ...body }, null, 2)}\n`;
}
