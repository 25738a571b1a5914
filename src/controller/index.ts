/**
 * src/controller: the watch loop (triggers, coalescing, backoff,
 * conditions), one reconcile of a snapshot, and link events.
 */
export { startLoop, retryDelay, type Loop, type LoopOptions, type StepResult } from "./loop.js";
export { reconcileStep, type StepOptions } from "./reconcile-step.js";
export { watchLinks, linkEventName, type LinkWatch } from "./link-events.js";
export type { Condition, ConditionType, LoopStatus } from "./status.js";
export { createMetrics, type LoopMetrics, type NfCounter } from "./metrics.js";
export { startHttpEndpoint, parseListen, DEFAULT_LISTEN, type HttpEndpoint, type Scrape } from "./http.js";
