/**
 * Plans are values, and the whole instruction for apply (Terraform's rule:
 * the actions during apply are described entirely by the plan). A Plan
 * says, per hook:
 *
 * - the resolved chain: each NF's object path and sha256, program,
 *   constants and exact map contents;
 * - the kind of commit (create, update, reattach, in-place, detach,
 *   cleanup, none);
 * - the precondition: what the kernel ran when the plan was made (the live
 *   generation, its first program, the link). The executor checks it and
 *   refuses when the kernel changed, instead of planning again;
 * - typed actions with typed reasons, and typed warnings and blockers.
 *
 * It is JSON with a format version and holds no English: renderers write
 * the words (src/cli/views).
 */
import type { Hook } from "../state/layout.js";
import type { Drift, ForeignProgram } from "../state/drift.js";
import type { CodeOrigin, StateMeta, XdpMode } from "../state/index.js";

/**
 * 3: a plan records whether it was made with --force, and only such a plan
 * removes other tools' programs. A plan of version 2 is refused (plan
 * again): it does not say, and its removeForeign would otherwise be trusted.
 */
export const PLAN_FORMAT_VERSION = 3;

/** One hook of one interface: "eth1/xdp". The key of every per-hook map. */
export type HookId = `${string}/${Hook}`;

export function hookId(ifname: string, hook: Hook): HookId {
  return `${ifname}/${hook}`;
}

export type ActionKind = "start" | "stop" | "update" | "reorder" | "reconfigure" | "repair";

/** Why an action is planned. */
export type Reason =
  | { code: "not-running" }
  | { code: "added-to-chain" }
  | { code: "removed-from-config" }
  | { code: "disabled-in-config" }
  | { code: "hook-not-in-config" }
  | { code: "interface-not-in-config" }
  | { code: "destroy"; interface?: string }
  | { code: "nf-changed" }
  | { code: "maps-differ" }
  | { code: "order-changed" }
  | { code: "mode-changed"; from: XdpMode; to: XdpMode }
  | { code: "drift"; drift: Drift }
  | { code: "stale-generation"; generation: number }
  | { code: "foreign-program"; program: ForeignProgram };

/** One property of an NF that an update changes. */
export type NfChange =
  | { field: "digest"; from: string; to: string; objectFrom: string; objectTo: string; originFrom?: CodeOrigin; originTo?: CodeOrigin }
  | { field: "program"; from: string; to: string }
  | { field: "version"; from?: string; to?: string }
  | { field: "proceedOn"; from?: string[]; fromMask?: number; to?: string[]; toMask?: number };

/** A data map whose contents change, in canonical text lines ("10.0.0.0/8: 1"). */
export interface MapChange {
  map: string;
  before: string[];
  after: string[];
}

export interface Action {
  kind: ActionKind;
  /** The NF the action concerns; absent for hook-wide actions (reorder, mode change, most repairs). */
  nf?: string;
  reason: Reason;
  /** update: what changed. */
  changes?: NfChange[];
  /** start, reconfigure: the maps whose contents change. */
  maps?: MapChange[];
}

/** Something apply leaves alone but the operator should know. */
export type Warning = { code: "foreign-program"; program: ForeignProgram; ifname: string; hook: Hook; blocksApply: boolean };

/** Why apply refuses the plan before any change. */
export type Blocker = { code: "foreign-program-occupies-hook"; programs: ForeignProgram[]; ifname: string; hook: Hook };

/**
 * How apply commits a hook:
 * - create: build a generation and attach it (the hook runs nothing of nfctl's);
 * - update: build a generation and switch to it with one bpf_link_update (or netlink replace);
 * - reattach: build a generation, detach the hook and attach again (XDP mode change, defunct link): not atomic;
 * - in-place: write map contents into the live generation's maps;
 * - detach: take the chain off the hook and unpin everything of it;
 * - cleanup: only unpin generations an interrupted run left behind;
 * - none: nothing to do.
 */
export type CommitKind = "create" | "update" | "reattach" | "in-place" | "detach" | "cleanup" | "none";

/**
 * The first hook of `plan` that removes other tools' programs although the
 * plan was not made with --force (a hand edit), or undefined: such a plan
 * is refused, when read back and by the executor.
 */
export function unforcedRemoval(plan: Pick<Plan, "force" | "hooks">): { index: number; hook: HookPlan } | undefined {
  if (plan.force) return undefined;
  const index = plan.hooks.findIndex((h) => h.removeForeign.length > 0);
  return index < 0 ? undefined : { index, hook: plan.hooks[index]! };
}

/** Whether a commit of this kind loads a new generation (create, update, reattach). */
export function buildsGeneration(kind: CommitKind): kind is "create" | "update" | "reattach" {
  return kind === "create" || kind === "update" || kind === "reattach";
}

/** Whether a commit of this kind attaches a new XDP link, which another program on the hook prevents. */
export function needsNewLink(kind: CommitKind): boolean {
  return kind === "create" || kind === "reattach";
}

/** Map entries as the hex a plan holds. */
export function plannedEntries(entries: ReadonlyArray<{ key: Buffer; value: Buffer }>): PlannedEntry[] {
  return entries.map((e) => ({ key: e.key.toString("hex"), value: e.value.toString("hex") }));
}

/** A map entry as hex bytes: the exact key and value the kernel will hold. */
export interface PlannedEntry {
  key: string;
  value: string;
}

export interface PlannedMap {
  name: string;
  /** The exact contents after apply, sorted by key bytes. */
  entries: PlannedEntry[];
}

/** One NF as apply loads it. */
export interface PlannedNf {
  name: string;
  /** Absolute path of the ELF object. */
  object: string;
  /** sha256 of the object file, hex: apply refuses a file that no longer has it. */
  digest: string;
  /** The artifact or image the object came from (its reference and digest); absent for an `object:` NF. */
  origin?: CodeOrigin;
  program: string;
  /** Has a one-slot nf_next program array: it can pass packets on. */
  chainAware: boolean;
  /** nf_proceed_mask written to .rodata before load; absent: the object's own value. */
  proceedMask?: number;
  proceedOn?: string[];
  version?: string;
  mapsDigest: string;
  /** Data maps apply writes (a swap: all the config sets; in-place: only those that differ). */
  maps: PlannedMap[];
}

/**
 * What the kernel ran when the plan was made. Apply checks each field
 * against the kernel and refuses if one differs.
 */
export interface Precondition {
  /** The interface's index; absent when it did not exist. */
  ifindex?: number;
  /** The live generation; absent when none was live. */
  generation?: number;
  /** ID of the live generation's first program (what the hook ran). */
  firstProgId?: number;
  /** ID of nfctl's pinned link; absent when there was none. */
  linkId?: number;
  /** nfctl's link was no longer attached (another tool detached it, or its interface went): the hook ran none of nfctl's programs. */
  linkDefunct?: true;
  /** Generations under the hook that were not live. */
  stale: number[];
}

export interface HookPlan {
  id: HookId;
  ifname: string;
  hook: Hook;
  /** XDP mode after apply (xdp hook, non-empty chain only). */
  mode?: XdpMode;
  /** How a TC chain is attached: "auto" prefers TCX and falls back to clsact. */
  attachment: "auto" | "link" | "tc-legacy";
  /** The live generation before apply, if any. */
  generation?: number;
  /** The generation apply builds (create, update, reattach). */
  nextGeneration?: number;
  /** NF names of the live chain, in order (empty when none is live). */
  before: string[];
  /** NF names of the chain after apply, in order. */
  after: string[];
  commit: CommitKind;
  precondition: Precondition;
  /** create/update/reattach: the whole chain to build; in-place: the NFs whose maps are written. */
  chain: PlannedNf[];
  /** Programs of other tools apply removes from the hook (--force). */
  removeForeign: ForeignProgram[];
  actions: Action[];
  warnings: Warning[];
}

export interface PlanSummary {
  start: number;
  update: number;
  reorder: number;
  reconfigure: number;
  stop: number;
  repair: number;
}

/**
 * What `nfctl plan` planned against: this host's kernel, or, offline, an
 * empty host (--offline), a host's status (--observed FILE), or hosts
 * assumed converged on the config at a git ref (--base-ref REF). Only a
 * plan made against the kernel can be applied.
 */
export type PlanBasis =
  | { kind: "kernel" }
  | { kind: "empty" }
  /** `file`: the status as named on the command line; `netns`: the network namespace it was taken in. */
  | { kind: "observed"; file: string; netns: number }
  /** `revision`: what the ref resolved to, as the sources record it ("main@sha1:<sha>"), when known. */
  | { kind: "base"; ref: string; revision?: string };

/**
 * The host an offline plan of a fleet config (one with host selectors)
 * assumed when nobody named one: the name and labels its selectors were
 * matched against.
 */
export interface AssumedHost {
  name: string;
  labels: Readonly<Record<string, string>>;
}

export interface Plan {
  formatVersion: typeof PLAN_FORMAT_VERSION;
  /** What the plan was made against; absent in the plans apply makes (the kernel). */
  basis?: PlanBasis;
  /** Offline, for a config with host selectors, when no --hostname (or its environment) named the host. */
  assumedHost?: AssumedHost;
  /** Network namespace (inode) the plan is for. */
  netns: number;
  /** Made with --force: only then may a hook's removeForeign list programs, and apply remove them. */
  force: boolean;
  /** Where the config came from, recorded with each generation. */
  source?: { path?: string; revision?: string };
  /**
   * The state's lineage and serial the plan was made against; absent when
   * there was no state yet (nothing applied). Apply refuses the plan when
   * the state's are not these (a saved plan made for another host, or
   * before another apply).
   */
  state?: StateMeta;
  /**
   * Made with --interface: only hooks of these interfaces were planned, and
   * every other interface is left as it is (a saved plan, too, is applied
   * on them alone). Absent: the plan covers the whole network namespace.
   */
  scope?: { interfaces: string[] };
  /** Every hook in the config or managed in the kernel (of the scope's interfaces), sorted by interface then hook. */
  hooks: HookPlan[];
  /** Why apply would refuse this plan; empty when it can be applied. */
  blockers: Blocker[];
  summary: PlanSummary;
}

/** True when applying the plan would change nothing. */
export function isEmptyPlan(plan: Plan): boolean {
  return plan.hooks.every((h) => h.commit === "none");
}

export function summarize(hooks: HookPlan[]): PlanSummary {
  const summary: PlanSummary = { start: 0, update: 0, reorder: 0, reconfigure: 0, stop: 0, repair: 0 };
  for (const hook of hooks) for (const action of hook.actions) summary[action.kind] += 1;
  return summary;
}
