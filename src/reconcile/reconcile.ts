/**
 * One reconcile: the whole recipe of `nfctl apply` (and `destroy`), so that
 * the CLI and the watch loop run the same thing. Ensure the bpffs root,
 * take the lock, observe the kernel, check the interfaces, plan, tell the
 * caller the plan (before the first change: the CLI prints it), ask the
 * caller's approval (the CLI may ask the user, and holds signals once
 * approved), carry it out, unlock.
 *
 * A saved plan (`nfctl apply plan.json`) takes the same road without the
 * planning: it is carried out exactly as it was saved, or refused.
 *
 * `planOnce` is its read-only half, for `nfctl plan`: no lock, and it
 * refuses to read the kernel without the capabilities that takes.
 *
 * @example
 *     const { plan, result } = await reconcileOnce({ desired }, { root, lockTimeout: 30_000 });
 *     if (!result) console.log("No changes.");
 *     await reconcileOnce({ plan: savedPlan }, { root, lockTimeout: 30_000 });
 */
import { ensureRoot, lockRoot, missingOwnCapabilities, type Capability, type LibbpfLogSink, type ObservedState } from "../state/index.js";
import { interfaceMissing } from "./chain-rules.js";
import type { ConfigError } from "./config/index.js";
import { EMPTY_DESIRED, type DesiredState } from "./desired.js";
import { checkPlanTarget, executePlan, type ApplyResult, type ExecuteOptions } from "./execute.js";
import { gather, nothingObserved } from "./gather.js";
import { ConfigErrors } from "./load-desired.js";
import { isEmptyPlan, hookId, type Plan } from "./plan.js";
import { planChanges, planDestroy, type PlanOptions } from "./planner.js";
import { observationFromStatus } from "./observed-snapshot.js";
import { convergedObservation } from "./converged-observation.js";
import { desiredInScope } from "./scope.js";
import type { StatusReport } from "./status.js";

/**
 * What to converge on: a desired state, or nothing (destroy: everything, or
 * one interface's hooks); or a plan made before (a saved plan), to carry
 * out as it is.
 */
export type ReconcileRequest = { desired: DesiredState } | { destroy: { interface?: string } } | { plan: Plan };

export interface ReconcileOptions {
  root: string;
  /** How long to wait for another nfctl's lock, in ms. */
  lockTimeout: number;
  /** Remove programs other tools attached to managed hooks. */
  force?: boolean;
  /** Plan only. */
  dryRun?: boolean;
  /** Plan for these interfaces only (--interface): the hooks of every other interface are left as they are. */
  interfaces?: string[];
  /** Told the plan once it is made and before the first change; not told an empty or dry-run plan. */
  onPlan?: (plan: Plan) => void;
  /**
   * Asked after onPlan, with the lock held and before the first change,
   * whether to carry the plan out: false declines, and nothing is changed
   * (the outcome says `declined`). Absent: approved.
   */
  approve?: (plan: Plan) => Promise<boolean>;
  /** Called after every step that changes bpffs or the kernel. */
  onStep?: (label: string) => void;
  /** Told how many hooks are prepared, then committed, of how many (for a progress line). */
  onProgress?: ExecuteOptions["onProgress"];
  /** Where libbpf's own messages go. */
  log?: LibbpfLogSink;
  /** Object bytes the caller holds, by path: an apply loads these rather than the files (see readCheckedObjects). */
  objects?: ReadonlyMap<string, Buffer>;
  /**
   * A config interface that does not exist: "error" (the default) refuses
   * the whole reconcile; "wait" leaves its hooks out, as if not yet
   * configured, and names it in `waitingFor` (the watch loop, which is
   * told when it appears).
   */
  missingInterfaces?: "error" | "wait";
}

export interface ReconcileOutcome {
  plan: Plan;
  /** What apply did; undefined when nothing was applied (no changes, a dry run, or declined). */
  result?: ApplyResult;
  /** The plan was not approved (ReconcileOptions.approve), and nothing was changed. */
  declined?: true;
  /** Interfaces the config names that do not exist yet (missingInterfaces "wait"). */
  waitingFor: string[];
}

/** The interfaces the config puts NFs on that do not exist in this network namespace, each with the hook that names it first. */
function missingInterfaces(desired: DesiredState, observed: ObservedState): Map<string, DesiredState["hooks"][number]> {
  const byId = new Map(observed.hooks.map((h) => [hookId(h.address.ifname, h.address.hook), h]));
  const missing = new Map<string, DesiredState["hooks"][number]>();
  for (const d of desired.hooks) {
    const enabled = d.chain.filter((nf) => nf.enabled).length;
    if (interfaceMissing(enabled, byId.get(hookId(d.ifname, d.hook))?.ifindex) && !missing.has(d.ifname)) missing.set(d.ifname, d);
  }
  return missing;
}

/** Every interface the config puts NFs on must exist in this network namespace (`where`: or the one a status was taken in). */
function checkInterfaces(desired: DesiredState, observed: ObservedState, where = "in this network namespace"): void {
  const missing = missingInterfaces(desired, observed);
  const errors = [...missing.values()].map((d): ConfigError => ({
    ...d.source,
    path: "",
    code: "interface-not-found",
    message: `interface "${d.ifname}" does not exist ${where}`,
  }));
  if (errors.length > 0) throw new ConfigErrors(errors);
}

export async function reconcileOnce(request: ReconcileRequest, options: ReconcileOptions): Promise<ReconcileOutcome> {
  const { root } = options;
  ensureRoot(root);
  const unlock = await lockRoot(root, options.lockTimeout);
  try {
    let plan: Plan;
    let waitingFor: string[] = [];
    if ("desired" in request) {
      const { observed, contents } = gather(root, request.desired);
      let desired = request.desired;
      if (options.missingInterfaces === "wait") {
        const missing = missingInterfaces(desired, observed);
        waitingFor = [...missing.keys()];
        desired = { ...desired, hooks: desired.hooks.filter((h) => !missing.has(h.ifname)) };
      } else {
        checkInterfaces(desiredInScope(desired, options.interfaces), observed);
      }
      plan = planChanges(desired, observed, contents, planOptions(options));
    } else if ("destroy" in request) {
      plan = planDestroy(gather(root, EMPTY_DESIRED).observed, request.destroy.interface);
    } else {
      plan = request.plan;
      // "No changes" from a saved plan holds only for the state it was made against.
      if (!options.dryRun && isEmptyPlan(plan)) checkPlanTarget(plan, root);
    }
    if (options.dryRun || isEmptyPlan(plan)) return { plan, waitingFor };
    options.onPlan?.(plan);
    if (options.approve && !(await options.approve(plan))) return { plan, waitingFor, declined: true };
    const result = executePlan(plan, {
      root,
      ...(options.onStep && { onStep: options.onStep }),
      ...(options.onProgress && { onProgress: options.onProgress }),
      ...(options.log && { log: options.log }),
      ...(options.objects && { objects: options.objects }),
    });
    return { plan, result, waitingFor };
  } finally {
    unlock();
  }
}

/**
 * What reading the kernel takes: bpf(2) on the pins (CAP_BPF), the by-ID
 * look-ups of what a hook really runs (CAP_SYS_ADMIN, which also grants
 * CAP_BPF's), and the TC and XDP queries (CAP_NET_ADMIN), as
 * deploy/systemd's unit grants them.
 */
const PLAN_CAPABILITIES: readonly Capability[] = ["CAP_BPF", "CAP_NET_ADMIN", "CAP_SYS_ADMIN"];

/** The capabilities `plan` lacks to read the kernel; CAP_SYS_ADMIN stands in for CAP_BPF. */
function missingForPlan(missing: readonly Capability[]): Capability[] {
  return missing.includes("CAP_SYS_ADMIN") ? [...missing] : missing.filter((cap) => cap !== "CAP_BPF");
}

export interface PlanOnceOptions {
  root: string;
  /** Do not read the kernel: plan against an empty state, or against `observed`. */
  offline?: boolean;
  /** A host's status (`nfctl status -o json` taken there) to plan against instead of the kernel; `name` says where it came from. */
  observed?: { status: StatusReport; name: string };
  /** A config the hosts are assumed converged on (`plan --base-ref REF`): plan against the observation of it instead of the kernel. */
  base?: { desired: DesiredState; ref: string };
  force?: boolean;
  /** Plan for these interfaces only (--interface). */
  interfaces?: string[];
}

/** The planner's options of a reconcile or a plan. */
function planOptions(options: { force?: boolean; interfaces?: string[] }): PlanOptions {
  return { ...(options.force && { force: true }), ...(options.interfaces && { interfaces: options.interfaces }) };
}

/**
 * Plans `desired` against the kernel, changing nothing; offline, against
 * an empty state; given a host's status, against it, as that host would;
 * given a base config, against a host converged on it. The plan's `basis`
 * says which. Reading the kernel without the capabilities it takes is
 * refused, naming them: an empty state in its place would be a plan of a
 * host nobody has.
 *
 * @example
 *     planOnce(desired, { root: "/sys/fs/bpf/nfctl", offline: true }).plan.basis // { kind: "empty" }
 */
export function planOnce(desired: DesiredState, options: PlanOnceOptions): { plan: Plan } {
  if (options.base) {
    const { observed, contents } = convergedObservation(options.base.desired);
    const revision = options.base.desired.source?.revision;
    return {
      plan: {
        ...planChanges(desired, observed, contents, planOptions(options)),
        basis: { kind: "base", ref: options.base.ref, ...(revision !== undefined && { revision }) },
      },
    };
  }
  if (options.observed) {
    const { status, name } = options.observed;
    const observation = observationFromStatus(status, desired);
    checkInterfaces(desiredInScope(desired, options.interfaces), observation.observed, `on the host of ${name} (network namespace ${status.netns})`);
    return {
      plan: {
        ...planChanges(desired, observation.observed, observation.contents, planOptions(options)),
        basis: { kind: "observed", file: name, netns: status.netns },
      },
    };
  }
  if (options.offline) {
    const { observed, contents } = nothingObserved();
    return { plan: { ...planChanges(desired, observed, contents, planOptions(options)), basis: { kind: "empty" } } };
  }
  const missing = missingForPlan(missingOwnCapabilities(PLAN_CAPABILITIES));
  if (missing.length > 0) {
    throw new Error(
      `plan needs CAP_BPF, CAP_NET_ADMIN and CAP_SYS_ADMIN to read the kernel (missing: ${missing.join(", ")}); run it as root, or with --offline to plan without a kernel`,
    );
  }
  const observation = gather(options.root, desired);
  checkInterfaces(desiredInScope(desired, options.interfaces), observation.observed);
  return { plan: { ...planChanges(desired, observation.observed, observation.contents, planOptions(options)), basis: { kind: "kernel" } } };
}
