/**
 * Plans are values. A Plan says, per hook, what apply will do and why; it is
 * JSON with a format version, in a stable order, and carries everything a
 * renderer needs to explain each action.
 */
import type { Hook, XdpMode } from "../state/index.js";

export const PLAN_FORMAT_VERSION = 1;

export type ActionKind = "start" | "stop" | "update" | "reorder" | "reconfigure" | "repair";

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
  reason: string;
  /** update: what changed, one line each ("object sha256 72973fdc… -> 8ab1e20f…"). */
  changes?: string[];
  /** reconfigure: the maps whose contents change. */
  maps?: MapChange[];
  /** repair of a leftover generation: its number. */
  generation?: number;
}

/**
 * How apply carries out a hook's plan:
 * - swap: build a new generation and switch to it with one link update;
 * - in-place: write map contents into the live generation's maps;
 * - detach: take the chain off the hook and unpin everything of it;
 * - cleanup: only unpin generations an interrupted run left behind;
 * - none: nothing to do.
 */
export type Execution = "swap" | "in-place" | "detach" | "cleanup" | "none";

export interface HookPlan {
  ifname: string;
  hook: Hook;
  /** XDP mode after apply (xdp hook only). */
  mode?: XdpMode;
  /** The live generation before apply, if any. */
  generation?: number;
  /** NF names of the live chain, in order (empty when none is live). */
  before: string[];
  /** NF names of the chain after apply, in order. */
  after: string[];
  execution: Execution;
  actions: Action[];
  /** Things apply will not change but the operator should know (foreign programs). */
  warnings: string[];
}

export interface PlanSummary {
  start: number;
  update: number;
  reorder: number;
  reconfigure: number;
  stop: number;
  repair: number;
}

export interface Plan {
  formatVersion: typeof PLAN_FORMAT_VERSION;
  /** Network namespace (inode) the plan is for. */
  netns: number;
  /** Every hook in the config or managed in the kernel, sorted by interface then hook. */
  hooks: HookPlan[];
  summary: PlanSummary;
}

/** True when applying the plan would change nothing. */
export function isEmptyPlan(plan: Plan): boolean {
  return plan.hooks.every((h) => h.execution === "none");
}

export function summarize(hooks: HookPlan[]): PlanSummary {
  const summary: PlanSummary = { start: 0, update: 0, reorder: 0, reconfigure: 0, stop: 0, repair: 0 };
  for (const action of hooks.flatMap((h) => h.actions)) summary[action.kind] += 1;
  return summary;
}
