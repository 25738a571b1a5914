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
import { hookId, PLAN_FORMAT_VERSION, type ActionKind, type CommitKind, type NfChange, type Plan, type Reason } from "./plan.js";
import type { Hook } from "../state/index.js";
import { drift, flag, foreignProgram, hook, isObject, list, mapEntries, object, oneOf, sha256, text, variant, whole, type Shape } from "./shape.js";

// Records over the union types' tags (and `satisfies` below), so that a new tag is a compile error here until it is listed.
const ACTION_KINDS: Record<ActionKind, true> = { start: true, stop: true, update: true, reorder: true, reconfigure: true, repair: true };
const COMMIT_KINDS: Record<CommitKind, true> = { create: true, update: true, reattach: true, "in-place": true, detach: true, cleanup: true, none: true };
const CHANGE_FIELDS: Record<NfChange["field"], true> = { digest: true, program: true, version: true, proceedOn: true };
const MODES = ["native", "generic", "auto"] as const;

/** Reasons are only rendered: each code with the fields its words need. */
const bare = object({});
const reason = variant("code", {
  "not-running": bare,
  "added-to-chain": bare,
  "removed-from-config": bare,
  "disabled-in-config": bare,
  "hook-not-in-config": bare,
  "interface-not-in-config": bare,
  destroy: object({}, { interface: text }),
  "nf-changed": bare,
  "maps-differ": bare,
  "order-changed": bare,
  "mode-changed": object({ from: oneOf(MODES), to: oneOf(MODES) }),
  drift: object({ drift }),
  "stale-generation": object({ generation: whole }),
  "foreign-program": object({ program: foreignProgram }),
} satisfies Record<Reason["code"], Shape>);

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
    maps: list(object({ name: text, entries: mapEntries })),
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
  (isObject(v) && v.id !== hookId(v.ifname as string, v.hook as Hook) ? `${at}.id must be "${String(v.ifname)}/${String(v.hook)}"` : undefined);

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
