/**
 * src/reconcile: desired state, the planner, the executor and the swap. The
 * CLI talks to this layer only.
 */
export * from "./plan.js";
export * from "./desired.js";
export { planChanges, mapContentsKey, type ObservedMapContents } from "./planner.js";
export { gather, nothingObserved, type Observation } from "./gather.js";
export { applyPlan, ApplyError, type ApplyResult, type ApplyOptions, type HookOutcome } from "./apply.js";
export { stepHook } from "./test-hooks.js";
export { setChain, ChainError, type ChainNf, type ChainTarget, type SwapResult } from "./swap.js";
export { status, STATS_MAP, type StatusReport, type HookStatus, type NfStatus, type Counter } from "./status.js";
export { ConfigErrors, EMPTY_DESIRED, loadDesired, observeForPlan, checkInterfaces, destroyPlan } from "./operations.js";
export { formatConfigError, type ConfigError } from "./config/index.js";
// The state layer's entry points the commands need.
export { resolveRoot, ensureRoot, lockRoot, NativeError, LibraryError, type LibbpfLogSink } from "../state/index.js";
