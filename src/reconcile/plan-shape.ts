/**
 * Whether a value read back from a file (a saved plan) is a Plan of the
 * format this nfctl applies. A plan file's author is not trusted: a plan
 * edited by hand, cut short or written by another program must be refused
 * before the lock is taken, with the field that is wrong, not end in a
 * TypeError or a kernel error half way through an apply. So every field the
 * executor uses is checked for its value as strictly as the config is
 * (names by the config schema's own rules, object paths absolute and
 * normalised, IDs and sizes in range), and a plan that removes other
 * tools' programs must say it was made with --force.
 *
 * Fields this nfctl does not know are allowed: a minor change of the
 * format adds fields (see PLAN_FORMAT_VERSION).
 *
 * @example
 *     checkPlanShape({ formatVersion: 3, netns: 1, force: false, hooks: "eth1" })
 *     // { ok: false, problem: "plan.hooks must be a list" }
 */
import { hookId, PLAN_FORMAT_VERSION, unforcedRemoval, type ActionKind, type CommitKind, type NfChange, type Plan, type Reason } from "./plan.js";
import type { Hook } from "../state/index.js";
import { INTERFACE_NAME, MAP_NAME, MAX_CHAIN_LENGTH, NF_NAME, PROGRAM_NAME, TC_VERDICTS, XDP_VERDICTS } from "./config/schema-rules.js";
import {
  absolutePath,
  codeOrigin,
  drift,
  flag,
  foreignProgram,
  hexBytes,
  hook,
  isObject,
  line,
  list,
  matching,
  object,
  oneOf,
  sha256,
  text,
  variant,
  whole,
  wholeIn,
  type Shape,
} from "./shape.js";

// Records over the union types' tags (and `satisfies` below), so that a new tag is a compile error here until it is listed.
const ACTION_KINDS: Record<ActionKind, true> = { start: true, stop: true, update: true, reorder: true, reconfigure: true, repair: true };
const COMMIT_KINDS: Record<CommitKind, true> = { create: true, update: true, reattach: true, "in-place": true, detach: true, cleanup: true, none: true };
const CHANGE_FIELDS: Record<NfChange["field"], true> = { digest: true, program: true, version: true, proceedOn: true };
const MODES = ["native", "generic", "auto"] as const;

/** Kernel object IDs (programs, links) and generation numbers are u32s; an ifindex is a positive int. */
const U32_MAX = 0xffff_ffff;
const kernelId = wholeIn(1, U32_MAX);
const generation = wholeIn(1, U32_MAX);
const ifindex = wholeIn(1, 0x7fff_ffff);
/** The largest key or value of a map entry: the config's are integers of up to 8 bytes and LPM keys of up to 20 (IPv6). */
const MAX_ENTRY_BYTES = 64;
/** Strings that are only printed or recorded (versions, map lines, program names of other tools). */
const printed = line(256);

const nfName = matching(NF_NAME);

/** An interface name by the config's rule, and at most 15 bytes as the kernel counts them (IFNAMSIZ), not characters. */
const interfaceName: Shape = (v, at) =>
  matching(INTERFACE_NAME)(v, at) ?? (Buffer.byteLength(v as string) > 15 ? `${at} must be at most 15 bytes (IFNAMSIZ - 1)` : undefined);

/** Another tool's program, by its kernel ID (what the executor detaches) and name (what is printed). */
const otherProgram = object({ id: kernelId, name: printed });

/**
 * A revision as the sources make it: a directory's "sha256:<64 hex>", or a
 * git checkout's "<ref>@sha1:<40 hex>" ("sha1:<40 hex>" for a sha ref). It
 * cannot be verified offline, but it is recorded with each generation.
 */
// eslint-disable-next-line no-control-regex
const REVISION = /^(?:sha256:[0-9a-f]{64}|(?:[^\s\x00-\x1f\x7f~^:?*[\\]{1,255}@)?sha1:[0-9a-f]{40})$/u;
const revision: Shape = (v, at) => (typeof v === "string" && REVISION.test(v) ? undefined : `${at} must be "sha256:<64 hex>" or "<ref>@sha1:<40 hex>"`);

/** The config's paths (-f), or a git URL as redactUrl shows it: the user info of any scheme only as "***". */
const sourcePath: Shape = (v, at) =>
  line(65536)(v, at) ??
  (/^[a-z][a-z0-9+.-]*:\/\/(?!\*\*\*@)[^/@]*@/iu.test(v as string) ? `${at} must not hold a URL's user or password (only "***@")` : undefined);

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
    nf: nfName,
    changes: list(object({ field: oneOf(Object.keys(CHANGE_FIELDS)) }, { originFrom: codeOrigin, originTo: codeOrigin })),
    maps: list(object({ map: matching(MAP_NAME), before: list(printed), after: list(printed) })),
  },
);

/** Every entry of a map has the key and value sizes of the map's first: the kernel's map has one of each. */
const sameSizes: Shape = (v, at) => {
  const entries = v as Array<{ key: string; value: string }>;
  const i = entries.findIndex((e) => e.key.length !== entries[0]!.key.length || e.value.length !== entries[0]!.value.length);
  return i < 0 ? undefined : `${at}[${i}] must have the key and value sizes of ${at}[0]`;
};
const entries: Shape = (v, at) => list(object({ key: hexBytes(MAX_ENTRY_BYTES), value: hexBytes(MAX_ENTRY_BYTES) }))(v, at) ?? sameSizes(v, at);

/** One NF of a chain on `hookName`: what the executor opens, checks, loads and writes. */
function plannedNf(hookName: Hook): Shape {
  const verdicts = hookName === "xdp" ? XDP_VERDICTS : TC_VERDICTS;
  return object(
    {
      name: nfName,
      object: absolutePath,
      digest: sha256,
      program: matching(PROGRAM_NAME),
      chainAware: flag,
      mapsDigest: sha256,
      maps: list(object({ name: matching(MAP_NAME), entries })),
    },
    { proceedMask: wholeIn(0, U32_MAX), proceedOn: list(oneOf(verdicts)), version: printed, origin: codeOrigin },
  );
}

const precondition = object({ stale: list(generation) }, { ifindex, generation, firstProgId: kernelId, linkId: kernelId, linkDefunct: oneOf([true]) });

const hookPlan: Shape = (v, at) =>
  object(
    {
      id: text,
      ifname: interfaceName,
      hook,
      attachment: oneOf(["auto", "link", "tc-legacy"]),
      before: list(nfName, MAX_CHAIN_LENGTH),
      after: list(nfName, MAX_CHAIN_LENGTH),
      commit: oneOf(Object.keys(COMMIT_KINDS)),
      precondition,
      removeForeign: list(otherProgram),
      actions: list(action),
      warnings: list(object({ code: oneOf(["foreign-program"]), program: foreignProgram, ifname: interfaceName, hook, blocksApply: flag })),
    },
    { mode: oneOf(MODES), generation, nextGeneration: generation },
  )(v, at) ??
  // The chain's verdicts depend on the hook, checked above.
  object({ chain: list(plannedNf((v as { hook: Hook }).hook), MAX_CHAIN_LENGTH) })(v, at) ??
  // The executor finds a hook by ifname and hook, renderers by id: they must agree.
  (isObject(v) && v.id !== hookId(v.ifname as string, v.hook as Hook) ? `${at}.id must be "${String(v.ifname)}/${String(v.hook)}"` : undefined);

const summary = object({ start: whole, update: whole, reorder: whole, reconfigure: whole, stop: whole, repair: whole });

/** A lineage is a random UUID (state/lineage.ts). */
const lineage = matching({
  pattern: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/u,
  rule: "must be a UUID in lowercase hex",
});

/**
 * A plan made against the kernel or a host's status is for that host; one
 * made against no host (--offline) or an assumed one (--base-ref) is for
 * none, and refused however it was saved.
 */
const basis: Shape = (v, at) =>
  object({ kind: oneOf(["kernel", "empty", "observed", "base"]) })(v, at) ??
  (["empty", "base"].includes((v as { kind: string }).kind)
    ? `${at} says the plan was made offline against ${(v as { kind: string }).kind === "empty" ? "no host" : "an assumed host (--base-ref)"}, which no host can apply: plan on the host, or against its status with --observed`
    : undefined);

const plan = object(
  {
    netns: whole,
    force: flag,
    hooks: list(hookPlan),
    blockers: list(object({ code: oneOf(["foreign-program-occupies-hook"]), programs: list(foreignProgram), ifname: interfaceName, hook })),
    summary,
  },
  {
    source: object({}, { path: sourcePath, revision }),
    state: object({ lineage, serial: wholeIn(1, Number.MAX_SAFE_INTEGER) }),
    scope: object({ interfaces: list(interfaceName) }),
    basis,
  },
);

/** Only a plan made with --force removes other tools' programs: a hand edit that lists one to remove is refused. */
function removesWithoutForce(value: Plan): string | undefined {
  const removal = unforcedRemoval(value);
  return removal && `plan.hooks[${removal.index}].removeForeign lists programs of other tools to remove, but the plan was not made with --force`;
}

export type PlanShapeResult = { ok: true; plan: Plan } | { ok: false; problem: string };

/** `value` as a Plan, or the first thing wrong with it (its format version first). */
export function checkPlanShape(value: unknown): PlanShapeResult {
  if (!isObject(value)) return { ok: false, problem: "plan must be an object" };
  if (value.formatVersion !== PLAN_FORMAT_VERSION) {
    const version = typeof value.formatVersion === "number" ? `format version ${value.formatVersion}` : "no format version";
    return { ok: false, problem: `the plan has ${version}; this nfctl applies plans of format version ${PLAN_FORMAT_VERSION}: plan again with it` };
  }
  const problem = plan(value, "plan") ?? removesWithoutForce(value as unknown as Plan);
  return problem ? { ok: false, problem } : { ok: true, plan: value as unknown as Plan };
}
