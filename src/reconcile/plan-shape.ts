/**
 * Whether a value read back from a file (a saved plan) is a Plan of the
 * format this nfctl applies. The executor trusts a Plan's fields: a plan
 * file edited by hand, cut short or written by another program must be
 * refused before the lock is taken, with the field that is wrong, not end
 * in a TypeError half way through an apply.
 *
 * Fields this nfctl does not know are allowed: a minor change of the
 * format adds fields (see PLAN_FORMAT_VERSION).
 *
 * @example
 *     checkPlanShape({ formatVersion: 2, netns: 1, hooks: "eth1" })
 *     // { ok: false, problem: "plan.hooks must be a list" }
 */
import { HOOKS, type DriftKind } from "../state/index.js";
import { hookId, PLAN_FORMAT_VERSION, type ActionKind, type CommitKind, type NfChange, type Plan, type Reason } from "./plan.js";

/** A check of one value at a field path: the problem, or undefined. */
type Shape = (value: unknown, at: string) => string | undefined;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

const text: Shape = (v, at) => (typeof v === "string" ? undefined : `${at} must be a string`);
const flag: Shape = (v, at) => (typeof v === "boolean" ? undefined : `${at} must be true or false`);
const whole: Shape = (v, at) => (typeof v === "number" && Number.isSafeInteger(v) && v >= 0 ? undefined : `${at} must be a whole number`);
const hex: Shape = (v, at) => (typeof v === "string" && /^(?:[0-9a-f]{2})*$/.test(v) ? undefined : `${at} must be bytes in lowercase hex`);
const sha256: Shape = (v, at) => (typeof v === "string" && /^[0-9a-f]{64}$/.test(v) ? undefined : `${at} must be a sha256 in hex`);

function oneOf(values: readonly unknown[]): Shape {
  return (v, at) => (values.includes(v) ? undefined : `${at} must be one of: ${values.map((x) => JSON.stringify(x)).join(", ")}`);
}

function list(item: Shape): Shape {
  return (v, at) => {
    if (!Array.isArray(v)) return `${at} must be a list`;
    for (let i = 0; i < v.length; i++) {
      const problem = item(v[i], `${at}[${i}]`);
      if (problem) return problem;
    }
    return undefined;
  };
}

/** An object with these required and optional fields (others are allowed). */
function object(required: Record<string, Shape>, optional: Record<string, Shape> = {}): Shape {
  return (v, at) => {
    if (!isObject(v)) return `${at} must be an object`;
    for (const [field, shape] of Object.entries(required)) {
      if (v[field] === undefined) return `${at}.${field} is missing`;
      const problem = shape(v[field], `${at}.${field}`);
      if (problem) return problem;
    }
    for (const [field, shape] of Object.entries(optional)) {
      const problem = v[field] === undefined ? undefined : shape(v[field], `${at}.${field}`);
      if (problem) return problem;
    }
    return undefined;
  };
}

// Records over the union types' tags, so that a new code is a compile error here until it is listed.
const ACTION_KINDS: Record<ActionKind, true> = { start: true, stop: true, update: true, reorder: true, reconfigure: true, repair: true };
const COMMIT_KINDS: Record<CommitKind, true> = { create: true, update: true, reattach: true, "in-place": true, detach: true, cleanup: true, none: true };
const REASON_CODES: Record<Reason["code"], true> = {
  "not-running": true,
  "added-to-chain": true,
  "removed-from-config": true,
  "disabled-in-config": true,
  "hook-not-in-config": true,
  "interface-not-in-config": true,
  destroy: true,
  "nf-changed": true,
  "maps-differ": true,
  "order-changed": true,
  "mode-changed": true,
  drift: true,
  "stale-generation": true,
  "foreign-program": true,
};
const DRIFT_KINDS: Record<DriftKind, true> = {
  "interface-missing": true,
  "link-missing": true,
  "link-defunct": true,
  "unknown-program-attached": true,
  "program-missing": true,
  wiring: true,
  "record-missing": true,
  "record-mismatch": true,
  "interface-recreated": true,
  "foreign-program": true,
};
const CHANGE_FIELDS: Record<NfChange["field"], true> = { digest: true, program: true, version: true, proceedOn: true };
const MODES = ["native", "generic", "auto"] as const;

const hook = oneOf(HOOKS);
const foreignProgram = object({ id: whole, name: text });

/** Reasons and changes are only rendered: their tags must be known, so that every one has its words. */
const reason: Shape = (v, at) =>
  object({ code: oneOf(Object.keys(REASON_CODES)) })(v, at) ??
  (isObject(v) && v.code === "drift" ? object({ drift: object({ kind: oneOf(Object.keys(DRIFT_KINDS)) }) })(v, at) : undefined) ??
  (isObject(v) && v.code === "foreign-program" ? object({ program: foreignProgram })(v, at) : undefined);

const action = object(
  { kind: oneOf(Object.keys(ACTION_KINDS)), reason },
  {
    nf: text,
    changes: list(object({ field: oneOf(Object.keys(CHANGE_FIELDS)) })),
    maps: list(object({ map: text, before: list(text), after: list(text) })),
  },
);

const plannedNf = object(
  {
    name: text,
    object: text,
    digest: sha256,
    program: text,
    chainAware: flag,
    mapsDigest: text,
    maps: list(object({ name: text, entries: list(object({ key: hex, value: hex })) })),
  },
  { proceedMask: whole, proceedOn: list(text), version: text },
);

const precondition = object({ stale: list(whole) }, { ifindex: whole, generation: whole, firstProgId: whole, linkId: whole, linkDefunct: oneOf([true]) });

const hookPlan: Shape = (v, at) =>
  object(
    {
      id: text,
      ifname: text,
      hook,
      attachment: oneOf(["auto", "link", "tc-legacy"]),
      before: list(text),
      after: list(text),
      commit: oneOf(Object.keys(COMMIT_KINDS)),
      precondition,
      chain: list(plannedNf),
      removeForeign: list(foreignProgram),
      actions: list(action),
      warnings: list(object({ code: oneOf(["foreign-program"]), program: foreignProgram, ifname: text, hook, blocksApply: flag })),
    },
    { mode: oneOf(MODES), generation: whole, nextGeneration: whole },
  )(v, at) ??
  // The executor finds a hook by ifname and hook, renderers by id: they must agree.
  (isObject(v) && v.id !== hookId(v.ifname as string, v.hook as (typeof HOOKS)[number])
    ? `${at}.id must be "${String(v.ifname)}/${String(v.hook)}"`
    : undefined);

const summary = object({ start: whole, update: whole, reorder: whole, reconfigure: whole, stop: whole, repair: whole });

const plan = object(
  {
    netns: whole,
    hooks: list(hookPlan),
    blockers: list(object({ code: oneOf(["foreign-program-occupies-hook"]), programs: list(foreignProgram), ifname: text, hook })),
    summary,
  },
  { source: object({}, { path: text, revision: text }), state: object({ lineage: text, serial: whole }) },
);

export type PlanShapeResult = { ok: true; plan: Plan } | { ok: false; problem: string };

/** `value` as a Plan, or the first thing wrong with it (its format version first). */
export function checkPlanShape(value: unknown): PlanShapeResult {
  if (!isObject(value)) return { ok: false, problem: "plan must be an object" };
  if (value.formatVersion !== PLAN_FORMAT_VERSION) {
    const version = typeof value.formatVersion === "number" ? `format version ${value.formatVersion}` : "no format version";
    return { ok: false, problem: `the plan has ${version}; this nfctl applies plans of format version ${PLAN_FORMAT_VERSION}: plan again with it` };
  }
  const problem = plan(value, "plan");
  return problem ? { ok: false, problem } : { ok: true, plan: value as unknown as Plan };
}
