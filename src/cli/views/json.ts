/**
 * Every `-o json` output, in one versioned envelope per kind:
 *
 *     { "formatVersion": 1, "kind": "Plan", "plan": { ... } }
 *     { "formatVersion": 1, "kind": "ApplyResult", "applied": true, "plan": { ... }, "result": { ... } }
 *     { "formatVersion": 1, "kind": "DestroyResult", "applied": true, "plan": { ... }, "result": { ... } }
 *     { "formatVersion": 1, "kind": "Status", "status": { ... }, "loop": { ... } }   (loop: where `nfctl watch` ran)
 *     { "formatVersion": 1, "kind": "Validation", "valid": false, "files": [ ... ], "diagnostics": [ ... ] }   (nfctl validate)
 *     { "formatVersion": 1, "kind": "Error", "diagnostics": [ ... ] }   (any command that failed; diagnostics.ts)
 *     { "formatVersion": 1, "kind": "Version", "version": { "nfctl": { ... }, "libbpf": { ... }, "kernel": "...", "node": "..." } }
 *     { "formatVersion": 1, "kind": "Image", "image": { "ref": "...", "digest": "sha256:...", "format": "bpfman", ... } }   (nfctl image inspect)
 *
 * formatVersion is the envelope's: a minor change adds fields, a change of
 * this number breaks readers. The plan and status inside carry their own
 * formatVersion as well. No field holds English: reasons, drift and
 * warnings are codes with fields. Diagnostics alone carry a message, for
 * people, beside their code, for machines.
 *
 * nfctl reads two of them back: a saved plan (`plan --out`, for `apply
 * FILE`) and a host's status (`plan --observed FILE`).
 */
import type { ApplyResult, Plan, StatusReport } from "../../reconcile/index.js";
import type { LoopStatus } from "../../controller/index.js";
import type { Diagnostic } from "../diagnostics.js";
import type { VersionInfo } from "../version.js";
import type { ImageInspection } from "../../sources/artifacts/inspect-image.js";

export const JSON_FORMAT_VERSION = 1;

export type JsonOutput =
  | { formatVersion: typeof JSON_FORMAT_VERSION; kind: "Plan"; plan: Plan }
  | { formatVersion: typeof JSON_FORMAT_VERSION; kind: "ApplyResult"; applied: boolean; plan: Plan; result?: ApplyResult }
  | { formatVersion: typeof JSON_FORMAT_VERSION; kind: "DestroyResult"; applied: boolean; plan: Plan; result?: ApplyResult }
  | { formatVersion: typeof JSON_FORMAT_VERSION; kind: "Status"; status: StatusReport; loop?: LoopStatus }
  | { formatVersion: typeof JSON_FORMAT_VERSION; kind: "Validation"; valid: boolean; files: string[]; diagnostics: Diagnostic[] }
  | { formatVersion: typeof JSON_FORMAT_VERSION; kind: "Error"; diagnostics: Diagnostic[] }
  | { formatVersion: typeof JSON_FORMAT_VERSION; kind: "Version"; version: VersionInfo }
  | { formatVersion: typeof JSON_FORMAT_VERSION; kind: "Image"; image: ImageInspection };

type Body<K extends JsonOutput["kind"]> = Omit<Extract<JsonOutput, { kind: K }>, "formatVersion" | "kind">;

/** One output as a value (what GET /status of `nfctl watch` serves). */
export function jsonOutput<K extends JsonOutput["kind"]>(kind: K, body: Body<K>): JsonOutput {
  return { formatVersion: JSON_FORMAT_VERSION, kind, ...body } as unknown as JsonOutput;
}

/** The JSON text of one output, with a final newline. */
export function toJson<K extends JsonOutput["kind"]>(kind: K, body: Body<K>): string {
  return `${JSON.stringify(jsonOutput(kind, body), null, 2)}\n`;
}

/**
 * The body of one output read back from `file`, its envelope checked:
 * JSON, this envelope version, the kind wanted. Throws one line that names
 * the file and what it is not. The body's own shape is the reader's to check.
 *
 * @example
 *     const body = parseJsonOutput("Plan", readFileSync("plan.json", "utf8"), "plan.json"); // { plan: {...} }
 */
export function parseJsonOutput(kind: JsonOutput["kind"], text: string, file: string): Record<string, unknown> {
  const what = kind === "Plan" ? "a saved nfctl plan (nfctl plan --out)" : "nfctl's status as JSON (nfctl status -o json)";
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file} is not ${what}: it is not JSON (${(err as Error).message})`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error(`${file} is not ${what}: it is not a JSON object`);
  const envelope = value as Record<string, unknown>;
  if (envelope.kind !== kind) {
    const found = typeof envelope.kind === "string" ? `a "${envelope.kind}" output` : "not one of nfctl's JSON outputs";
    throw new Error(`${file} is not ${what}: it is ${found}`);
  }
  if (envelope.formatVersion !== JSON_FORMAT_VERSION) {
    throw new Error(`${file} was written in nfctl's JSON format version ${String(envelope.formatVersion)}; this nfctl reads version ${JSON_FORMAT_VERSION}`);
  }
  return envelope;
}
