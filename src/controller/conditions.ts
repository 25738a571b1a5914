/**
 * The loop's conditions, after Flux's Kustomization status:
 *
 * - Reconciling: True while a reconcile runs (reason Progressing, or
 *   ProgressingWithRetry after a failure) and while a transient failure
 *   waits for its retry;
 * - Ready: Unknown while reconciling, True after a success
 *   (ReconciliationSucceeded), False after a failure with its reason
 *   (ConfigInvalid, ApplyFailed, SourceFailed, VerificationFailed,
 *   EmptyRefused, ...);
 * - Stalled: True when the failure needs a human (it is not retried
 *   before the config or the source changes), else False.
 *
 * lastTransitionTime moves only when a condition's status changes.
 */
import type { StepResult } from "./loop.js";
import type { Condition, ConditionType } from "./status.js";

export type LoopEvent =
  | { kind: "progressing"; retrying: boolean }
  | { kind: "succeeded"; outcome: Extract<StepResult, { result: "applied" | "unchanged" }> }
  | { kind: "failed"; outcome: Extract<StepResult, { result: "failed" | "refused" }> };

type Wanted = Omit<Condition, "lastTransitionTime">;

export function initialConditions(now: Date): Condition[] {
  return [
    { type: "Ready", status: "Unknown", reason: "Progressing", message: "the first reconcile has not finished", lastTransitionTime: now.toISOString() },
    { type: "Reconciling", status: "True", reason: "Progressing", message: "the first reconcile is starting", lastTransitionTime: now.toISOString() },
    { type: "Stalled", status: "False", reason: "Progressing", message: "", lastTransitionTime: now.toISOString() },
  ];
}

function wantedConditions(event: LoopEvent): Record<ConditionType, Wanted> {
  switch (event.kind) {
    case "progressing": {
      const reason = event.retrying ? "ProgressingWithRetry" : "Progressing";
      return {
        Ready: { type: "Ready", status: "Unknown", reason, message: "reconciliation in progress" },
        Reconciling: { type: "Reconciling", status: "True", reason, message: "reconciliation in progress" },
        Stalled: { type: "Stalled", status: "False", reason, message: "" },
      };
    }
    case "succeeded": {
      const { outcome } = event;
      const done = outcome.result === "applied" ? `applied revision ${outcome.revision}` : `revision ${outcome.revision} is in force; no changes`;
      const message = outcome.waitingFor.length > 0 ? `${done}; waiting for interfaces ${outcome.waitingFor.join(", ")} to appear` : done;
      return {
        Ready: { type: "Ready", status: "True", reason: "ReconciliationSucceeded", message },
        Reconciling: { type: "Reconciling", status: "False", reason: "ReconciliationSucceeded", message },
        Stalled: { type: "Stalled", status: "False", reason: "ReconciliationSucceeded", message: "" },
      };
    }
    case "failed": {
      const { outcome } = event;
      return {
        Ready: { type: "Ready", status: "False", reason: outcome.reason, message: outcome.message },
        Reconciling: outcome.transient
          ? { type: "Reconciling", status: "True", reason: "ProgressingWithRetry", message: `retrying: ${outcome.message}` }
          : { type: "Reconciling", status: "False", reason: outcome.reason, message: outcome.message },
        Stalled: outcome.transient
          ? { type: "Stalled", status: "False", reason: outcome.reason, message: "" }
          : { type: "Stalled", status: "True", reason: outcome.reason, message: outcome.message },
      };
    }
  }
}

/** The conditions after `event`, keeping each one's lastTransitionTime unless its status changed. */
export function conditionsAfter(previous: readonly Condition[], event: LoopEvent, now: Date): Condition[] {
  const wanted = wantedConditions(event);
  return (["Ready", "Reconciling", "Stalled"] as const).map((type) => {
    const before = previous.find((c) => c.type === type);
    const lastTransitionTime = before && before.status === wanted[type].status ? before.lastTransitionTime : now.toISOString();
    return { ...wanted[type], lastTransitionTime };
  });
}
