/**
 * Whether a value read back from a file (`nfctl status -o json`, taken on
 * a host) is a status a plan can be made against: this format, and the
 * fields the planner reads (observed-snapshot.ts). Counters and other
 * fields for people are not checked.
 *
 * @example
 *     checkStatusShape({ formatVersion: 1, netns: 1, root: "/sys/fs/bpf/nfctl", hooks: [] })
 *     // { ok: false, problem: "the status has no interfaces: it was taken by an nfctl older than this one; take it again" }
 */
import { codeOrigin, drift, foreignProgram, hook, isObject, list, mapEntries, object, oneOf, sha256, text, whole, type Shape } from "./shape.js";
import { STATUS_FORMAT_VERSION, type StatusReport } from "./status.js";

const nfStatus = object(
  { position: whole, name: text },
  {
    progId: whole,
    progName: text,
    tag: text,
    object: text,
    digest: sha256,
    origin: codeOrigin,
    program: text,
    version: text,
    proceedOn: list(text),
    proceedMask: whole,
    mapsDigest: text,
    maps: list(object({ name: text, entries: mapEntries })),
  },
);

const hookStatus = object(
  { ifname: text, hook, nfs: list(nfStatus), stale: list(whole), foreign: list(foreignProgram), drift: list(drift) },
  {
    ifindex: whole,
    attachment: oneOf(["link", "tc-legacy"]),
    mode: oneOf(["native", "generic", "auto"]),
    linkId: whole,
    attachedProgId: whole,
    generation: whole,
    appliedAt: text,
    source: object({}, { path: text, revision: text }),
  },
);

const foreignByHook: Shape = (v, at) => object({}, { xdp: list(foreignProgram), "tc-ingress": list(foreignProgram), "tc-egress": list(foreignProgram) })(v, at);

const status = object(
  { netns: whole, root: text, hooks: list(hookStatus), interfaces: list(object({ name: text, ifindex: whole, foreign: foreignByHook })) },
  { state: object({ lineage: text, serial: whole }) },
);

export type StatusShapeResult = { ok: true; status: StatusReport } | { ok: false; problem: string };

/** `value` as a StatusReport, or the first thing wrong with it. */
export function checkStatusShape(value: unknown): StatusShapeResult {
  if (!isObject(value)) return { ok: false, problem: "status must be an object" };
  if (value.formatVersion !== STATUS_FORMAT_VERSION) {
    return { ok: false, problem: `the status has format version ${String(value.formatVersion)}; this nfctl reads version ${STATUS_FORMAT_VERSION}` };
  }
  if (value.interfaces === undefined) {
    return { ok: false, problem: "the status has no interfaces: it was taken by an nfctl older than this one; take it again (nfctl status -o json)" };
  }
  const problem = status(value, "status");
  return problem ? { ok: false, problem } : { ok: true, status: value as unknown as StatusReport };
}
