/**
 * src/reconcile: desired state, the planner, the executor and the one
 * reconcile unit the CLI (and the watch loop) call.
 */
export * from "./plan.js";
export * from "./desired.js";
export { planChanges, planDestroy, type ObservedMapContents, type PlanOptions } from "./planner.js";
export { executePlan, ApplyError, PlanRefusedError, type ApplyResult, type ApplyProgress, type ExecuteOptions } from "./execute.js";
export type { HookOutcome } from "./changes/hook-change.js";
export { StalePlanError, StateMismatchError, checkState, readCheckedObjects } from "./changes/precondition.js";
export { saveLoopStatus, loadLoopStatus } from "./loop-record.js";
export { reconcileOnce, planOnce, type ReconcileRequest, type ReconcileOptions, type ReconcileOutcome } from "./reconcile.js";
export { stepHook } from "./test-hooks.js";
export { setChain, ChainError, type ChainNf, type ChainTarget, type SetChainOptions } from "./set-chain.js";
export {
  status,
  describeStatus,
  STATS_MAP,
  type StatusReport,
  type StatusReads,
  type HookStatus,
  type NfStatus,
  type MapStatus,
  type InterfaceStatus,
  type Counter,
} from "./status.js";
export { ConfigErrors, loadDesired, loadDesiredYielding, type LoadDesiredOptions } from "./load-desired.js";
export { resolveHost, parseLabel, parseLabelsFile, LABEL_KEY, LABEL_VALUE, type Host, type HostOptions, type HostNameSource } from "./host.js";
export { formatConfigError, readable, describeFsError, BUNDLED_OBJECTS, objectRoots, type ConfigError, type ConfigErrorCode } from "./config/index.js";
export { checkPlanShape, type PlanShapeResult } from "./plan-shape.js";
export { checkStatusShape, type StatusShapeResult } from "./status-shape.js";
export { observationFromStatus } from "./observed-snapshot.js";
export { convergedObservation } from "./converged-observation.js";
// The state layer's entry points the commands need.
export {
  resolveRoot,
  NativeError,
  LibraryError,
  type Drift,
  type DriftKind,
  type ForeignProgram,
  type LibbpfLogSink,
  type StateMeta,
  type CodeResolver,
  type CodeOrigin,
  type CodeSource,
  type ResolvedCode,
} from "../state/index.js";
