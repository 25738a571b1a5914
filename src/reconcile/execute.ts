/**
 * The executor: carries out exactly the plan it is given, all or nothing.
 * It never plans again: it checks each hook's precondition (the kernel
 * still runs what the plan was made against) and each object's sha256,
 * and asserts the chain rules, all before the first change; then:
 *
 * 1. prepares every hook: new generations are built and pinned beside the
 *    live ones, map contents written (their old contents kept);
 * 2. commits every hook: one link update each (or a new link, a detach, or
 *    map writes for map-only changes);
 * 3. finalizes every hook: unpins the previous generations;
 * 4. counts the apply: the state's serial goes up by one (the first apply
 *    makes the lineage). Only an apply that finalized every hook counts,
 *    so a saved plan made before it is refused as stale after it.
 *
 * If anything fails before step 3, the hooks already committed are switched
 * back to their previous generations (still pinned), foreign programs that
 * --force removed are attached again, everything prepared is unpinned and
 * old map contents are restored: the apply changed nothing, or the error
 * names what could not be undone.
 */
import { currentNetns, nextStateMeta, openRecords, readStateMeta, writeStateMeta, type StateMeta } from "../state/index.js";
import { duplicateNames, unawareNotLast } from "./chain-rules.js";
import { buildsGeneration, unforcedRemoval, type CommitKind, type HookPlan, type Plan } from "./plan.js";
import { describeHook, type ChangeContext, type HookChange, type HookOutcome } from "./changes/hook-change.js";
import { checkPrecondition, checkState, readCheckedObjects } from "./changes/precondition.js";
import { prepareSwap } from "./changes/swap.js";
import { prepareInPlace } from "./changes/in-place.js";
import { prepareDetach } from "./changes/detach.js";
import { prepareCleanup } from "./changes/cleanup.js";

export interface ApplyResult {
  hooks: HookOutcome[];
  /** The state's lineage and serial after the apply (the serial one higher than the plan's). */
  state?: StateMeta;
}

/** How far an apply is: `done` of `total` hooks prepared, or committed. */
export interface ApplyProgress {
  phase: "prepared" | "committed";
  done: number;
  total: number;
}

export interface ExecuteOptions {
  root: string;
  /** Called after every step that changes bpffs or the kernel. */
  onStep?: (label: string) => void;
  /** Called before the first change (0 prepared), after each hook is prepared, and after each is committed: counts only, the CLI renders them. */
  onProgress?: (progress: ApplyProgress) => void;
  log?: ChangeContext["log"];
  /** Object bytes the caller holds, by path, loaded instead of the files (their digests are checked all the same). */
  objects?: ReadonlyMap<string, Buffer>;
}

/** An apply that failed and was undone (or, where rollbackFailures says so, not quite). */
export class ApplyError extends Error {
  override readonly name = "ApplyError";
  constructor(
    /** What made the apply fail. */
    override readonly cause: unknown,
    /** What could not be undone, one sentence each. */
    readonly rollbackFailures: string[],
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

/** A plan that cannot be carried out as it stands (blocked, or not made by the planner). */
export class PlanRefusedError extends Error {
  override readonly name = "PlanRefusedError";
}

const PREPARE: Record<Exclude<CommitKind, "none">, (plan: HookPlan, ctx: ChangeContext) => HookChange> = {
  create: prepareSwap,
  update: prepareSwap,
  reattach: prepareSwap,
  "in-place": prepareInPlace,
  detach: prepareDetach,
  cleanup: prepareCleanup,
};

/** A plan is made for one network namespace: the one nfctl runs in. */
function checkNetns(plan: Plan): void {
  if (plan.netns === 0)
    throw new PlanRefusedError("the plan was made --offline, against no host's state; plan on this host (or against its status, --observed) to apply");
  const netns = currentNetns();
  if (netns !== plan.netns) throw new PlanRefusedError(`the plan was made for network namespace ${plan.netns}; nfctl runs in network namespace ${netns}`);
}

/**
 * Refuses a plan made for another network namespace or another state
 * (lineage, serial), reading only: for a saved plan with nothing to
 * change, which executePlan is not given, yet must not pass for current.
 */
export function checkPlanTarget(plan: Plan, root: string): void {
  checkNetns(plan);
  const records = openRecords(root, { create: false });
  try {
    checkState(plan.state, readStateMeta(records));
  } finally {
    records?.close();
  }
}

/** The chain rules hold for every chain the planner makes; a plan that breaks one was edited. */
function assertChainRules(hook: HookPlan): void {
  if (!buildsGeneration(hook.commit)) return;
  const bad = [
    ...duplicateNames(hook.chain.map((nf) => nf.name)).map(({ index }) => `NF name "${hook.chain[index]!.name}" appears twice`),
    ...unawareNotLast(hook.chain).map((i) => `NF "${hook.chain[i]!.name}" is chain-unaware but not last`),
    ...(hook.precondition.ifindex === undefined ? ["its interface did not exist"] : []),
    ...(hook.nextGeneration === undefined ? ["it names no generation to build"] : []),
  ];
  if (bad.length > 0) throw new PlanRefusedError(`the plan for ${describeHook(hook)} cannot be applied: ${bad.join("; ")}`);
}

/** Undoes what was done, newest first; returns what could not be undone. */
function rollBack(committed: HookChange[], prepared: HookChange[]): string[] {
  const failures: string[] = [];
  for (const change of [...committed].reverse()) {
    try {
      failures.push(...change.revert());
    } catch (err) {
      failures.push(`${describeHook(change.address)} could not be switched back: ${(err as Error).message}`);
    }
  }
  for (const change of [...prepared].reverse()) {
    try {
      change.abort();
    } catch (err) {
      failures.push(`${describeHook(change.address)}: the new generation could not be removed: ${(err as Error).message}`);
    }
  }
  return failures;
}

/**
 * Carries out `plan` under the lock the caller holds. Throws
 * PlanRefusedError, StateMismatchError or StalePlanError before any
 * change, and ApplyError after undoing everything if any hook fails.
 */
export function executePlan(plan: Plan, options: ExecuteOptions): ApplyResult {
  const blocker = plan.blockers[0];
  if (blocker) {
    const names = blocker.programs.map((p) => `program ${p.id} (${p.name})`).join(", ");
    throw new PlanRefusedError(`${names} occupies the XDP hook of ${blocker.ifname}; nfctl does not remove programs it did not attach unless --force is given`);
  }
  // Defence in depth: a saved plan read back is checked for this, but a Plan from anywhere must not remove other tools' programs unasked.
  const removal = unforcedRemoval(plan);
  if (removal)
    throw new PlanRefusedError(
      `the plan removes programs of other tools from ${describeHook(removal.hook)} but was not made with --force; plan again with --force`,
    );
  checkNetns(plan);
  const todo = plan.hooks.filter((h) => h.commit !== "none");
  for (const hook of todo) assertChainRules(hook);
  // The checks read the records but must not create them: a refused plan changes nothing in bpffs.
  const existing = openRecords(options.root, { create: false });
  let state: StateMeta | undefined;
  try {
    state = readStateMeta(existing);
    checkState(plan.state, state);
    for (const hook of todo) checkPrecondition(options.root, { netns: plan.netns, ifname: hook.ifname, hook: hook.hook }, hook, existing);
  } finally {
    existing?.close();
  }
  const objects = readCheckedObjects(
    todo.flatMap((hook) => (buildsGeneration(hook.commit) ? hook.chain : [])),
    options.objects,
  );
  const records = openRecords(options.root);
  try {
    const ctx: ChangeContext = {
      root: options.root,
      netns: plan.netns,
      records,
      step: options.onStep ?? (() => undefined),
      objects,
      ...(options.log && { log: options.log }),
      ...(plan.source && { source: plan.source }),
    };
    const prepared: HookChange[] = [];
    const committed: HookChange[] = [];
    const progress = (phase: ApplyProgress["phase"], done: number) => options.onProgress?.({ phase, done, total: todo.length });
    try {
      progress("prepared", 0);
      for (const hook of todo) {
        prepared.push(PREPARE[hook.commit as Exclude<CommitKind, "none">](hook, ctx));
        progress("prepared", prepared.length);
      }
      for (const change of prepared) {
        committed.push(change);
        change.commit();
        progress("committed", committed.length);
      }
    } catch (err) {
      throw new ApplyError(err, rollBack(committed, prepared));
    }
    const hooks = prepared.map((change) => change.finalize());
    if (hooks.length === 0) return { hooks };
    const after = nextStateMeta(state);
    writeStateMeta(records, after);
    ctx.step(`counted the apply: state lineage ${after.lineage}, serial ${after.serial}`);
    return { hooks, state: after };
  } finally {
    records.close();
  }
}
