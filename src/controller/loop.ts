/**
 * The watch loop, level-triggered after controller-runtime: a trigger
 * (start, a file event, a new commit, the resync timer, a link event,
 * SIGHUP) only marks a reconcile as wanted. One reconcile runs at a time
 * and reads everything afresh (the source's snapshot, the kernel);
 * triggers that arrive meanwhile coalesce into exactly one more. Bad input
 * and failed applies leave the kernel as it was (the executor guarantees
 * it) and become conditions; the loop never ends on them. A transient
 * failure is retried with backoff, never later than the resync interval.
 * A poll (a git repository's --interval) is the one trigger that first
 * reads the source and reconciles only when its snapshot is not the one
 * the last reconcile read: an unchanged commit costs one ls-remote, not a
 * reconcile (drift is the resync's to repair).
 *
 * A source that cannot be used (it fails to fetch or verify, its config is
 * invalid, or it suddenly configures nothing) does not stop enforcement:
 * after reporting it, the run enforces the last config that applied
 * (enforceLastGood), so the resync and link events go on repairing drift
 * against it. Ready stays False with the source's reason, and the status
 * names the revision enforced meanwhile (enforcedRevision).
 *
 * @example
 *     const loop = startLoop({ snapshot, step, resyncMs: 60_000, retryMs: 5_000, source, onStatus, logger });
 *     process.on("SIGHUP", () => loop.trigger("SIGHUP"));
 *     process.on("SIGTERM", () => void loop.stop());
 *     await loop.stopped;
 */
import type { Logger } from "pino";
import type { Snapshot } from "../sources/snapshot.js";
import { SourceError } from "../sources/snapshot.js";
import { conditionsAfter, initialConditions } from "./conditions.js";
import type { LoopStatus } from "./status.js";

/** What one reconcile of a snapshot came to. */
export type StepResult =
  | { result: "applied" | "unchanged"; revision: string; hooksChanged: number; driftRepaired: number; waitingFor: string[] }
  | { result: "failed" | "refused"; revision?: string; reason: string; message: string; transient: boolean };

export interface LoopOptions {
  /** Reads the source; throws SourceError. */
  snapshot(): Promise<Snapshot>;
  /** Reconciles the kernel to a snapshot. */
  step(snapshot: Snapshot): Promise<StepResult>;
  /** Reconciles the kernel to the last snapshot that applied, unchanged; undefined when none has. */
  enforceLastGood?(): Promise<StepResult | undefined>;
  resyncMs: number;
  /** The first retry's delay; it doubles per failure, up to resyncMs. */
  retryMs: number;
  source: LoopStatus["source"];
  /** Told every new status (persist it, export it). */
  onStatus(status: LoopStatus): void;
  /** Told each source fetch's duration and outcome (for metrics). */
  onFetch?(durationSeconds: number, error: boolean): void;
  /** Told each reconcile's outcome and duration (for metrics). */
  onReconciled?(outcome: StepResult, durationSeconds: number): void;
  /** Run once no reconcile has been wanted for `afterMs` since the last one ended (the watcher gives back its memory then). */
  whenIdle?: { afterMs: number; run(): void };
  logger: Logger;
}

export interface Loop {
  /** Marks a reconcile as wanted; `reason` is logged. */
  trigger(reason: string): void;
  /** Reads the source and reconciles only if its snapshot changed since the last reconcile (or a trigger came too). */
  poll(): void;
  /** Lets the reconcile in flight run to its end, then stops; resolves when stopped. */
  stop(): Promise<void>;
  status(): LoopStatus;
  /** Resolves once the loop has stopped. */
  readonly stopped: Promise<void>;
}

/** The status is stored in a record of 32 KiB: a longer error is cut. */
const MAX_ERROR_CHARS = 4000;

export function succeeded(outcome: StepResult): outcome is Extract<StepResult, { result: "applied" | "unchanged" }> {
  return outcome.result === "applied" || outcome.result === "unchanged";
}

/** The reasons that say the source, not the kernel, is what failed: the last good config is enforced meanwhile. */
const SOURCE_UNUSABLE = new Set(["SourceFailed", "VerificationFailed", "ConfigInvalid", "EmptyRefused"]);

/** What enforcing the last good config came to, said after the source's own failure. */
function enforcementNote(enforced: StepResult): string {
  if (!succeeded(enforced)) return `; the last good revision ${enforced.revision ?? "(unknown)"} could not be enforced: ${enforced.message}`;
  const repaired = enforced.hooksChanged > 0 ? ` (drift repaired on ${enforced.hooksChanged} hooks)` : "";
  return `; enforcing the last good revision ${enforced.revision}${repaired}`;
}

/** The delay before retry number `failures` (1, 2, ...): doubling from retryMs, capped at resyncMs. */
export function retryDelay(failures: number, retryMs: number, resyncMs: number): number {
  return Math.min(resyncMs, retryMs * 2 ** Math.min(failures - 1, 30));
}

export function startLoop(options: LoopOptions): Loop {
  const { logger } = options;
  let status: LoopStatus = {
    formatVersion: 1,
    source: options.source,
    conditions: initialConditions(new Date()),
    reconciles: 0,
    pid: process.pid,
  };
  /** What the next run does: nothing, a poll of the source, or a whole reconcile. */
  let wanted: "none" | "poll" | "reconcile" = "none";
  /** The snapshot the last reconcile read (undefined after a failed read): a poll that reads it again has nothing to do. */
  let lastRead: { revision: string; digest: string } | undefined;
  let running: Promise<void> | undefined;
  let stopping = false;
  let failures = 0;
  let timer: NodeJS.Timeout | undefined;
  let idleTimer: NodeJS.Timeout | undefined;
  let resolveStopped: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (resolveStopped = resolve));

  const publish = (next: LoopStatus) => {
    status = next;
    try {
      options.onStatus(status);
    } catch (err) {
      logger.error({ err }, "could not record the loop's status");
    }
  };

  const schedule = (ms: number, reason: string) => {
    clearTimeout(timer);
    timer = setTimeout(() => trigger(reason), ms);
  };

  /** The source's snapshot, or the StepResult of a failed read. */
  const read = async (): Promise<Snapshot | StepResult> => {
    const fetchStart = performance.now();
    try {
      const snapshot = await options.snapshot();
      options.onFetch?.((performance.now() - fetchStart) / 1000, false);
      return snapshot;
    } catch (err) {
      options.onFetch?.((performance.now() - fetchStart) / 1000, true);
      if (!(err instanceof SourceError)) throw err;
      return { result: "failed", reason: err.reason, message: err.message, transient: err.reason === "SourceFailed" };
    }
  };

  const reconcile = async (read: Snapshot | StepResult): Promise<StepResult> => {
    if (!("digest" in read)) {
      lastRead = undefined;
      return read;
    }
    lastRead = { revision: read.revision, digest: read.digest };
    publish({ ...status, lastAttemptedRevision: read.revision });
    return options.step(read);
  };

  /** A poll: the snapshot when it differs from the last reconcile's (or cannot be read), else undefined. */
  const changedSnapshot = async (): Promise<Snapshot | StepResult | undefined> => {
    const snapshot = await read();
    if ("digest" in snapshot && lastRead !== undefined && snapshot.revision === lastRead.revision && snapshot.digest === lastRead.digest) {
      logger.debug({ revision: snapshot.revision }, "the source is unchanged");
      return undefined;
    }
    return snapshot;
  };

  const runOnce = async (mode: "poll" | "reconcile") => {
    let polled: Snapshot | StepResult | undefined;
    if (mode === "poll") {
      try {
        polled = await changedSnapshot();
      } catch (err) {
        polled = { result: "failed", reason: "ReconciliationFailed", message: err instanceof Error ? err.message : String(err), transient: true };
      }
      if (polled === undefined) return;
    }
    const started = new Date();
    publish({ ...status, conditions: conditionsAfter(status.conditions, { kind: "progressing", retrying: failures > 0 }, started) });
    let outcome: StepResult;
    let enforced: StepResult | undefined;
    try {
      outcome = await reconcile(polled ?? (await read()));
      if (!succeeded(outcome) && SOURCE_UNUSABLE.has(outcome.reason)) enforced = await options.enforceLastGood?.();
    } catch (err) {
      outcome = { result: "failed", reason: "ReconciliationFailed", message: err instanceof Error ? err.message : String(err), transient: true };
    }
    if (enforced !== undefined && !succeeded(outcome)) outcome = { ...outcome, message: `${outcome.message}${enforcementNote(enforced)}` };
    const finished = new Date();
    const durationSeconds = (finished.getTime() - started.getTime()) / 1000;
    const next: LoopStatus = {
      ...status,
      lastReconcile: { startedAt: started.toISOString(), durationSeconds, result: outcome.result },
      reconciles: status.reconciles + 1,
    };
    let retry = false;
    delete next.enforcedRevision;
    if (succeeded(outcome)) {
      failures = 0;
      next.conditions = conditionsAfter(status.conditions, { kind: "succeeded", outcome }, finished);
      next.lastAppliedRevision = outcome.revision;
      next.lastSuccessAt = finished.toISOString();
      delete next.lastError;
      logger.info({ revision: outcome.revision, result: outcome.result, hooksChanged: outcome.hooksChanged, durationSeconds }, "reconciled");
    } else {
      failures += 1;
      // A last good config that could not be enforced is retried, however the source failed.
      retry = outcome.transient || (enforced !== undefined && !succeeded(enforced) && enforced.transient);
      if (enforced !== undefined && succeeded(enforced)) next.enforcedRevision = enforced.revision;
      next.conditions = conditionsAfter(status.conditions, { kind: "failed", outcome }, finished);
      next.lastError = outcome.message.length > MAX_ERROR_CHARS ? `${outcome.message.slice(0, MAX_ERROR_CHARS)}…` : outcome.message;
      logger.error({ reason: outcome.reason, revision: outcome.revision, durationSeconds }, outcome.message);
    }
    publish(next);
    options.onReconciled?.(outcome, durationSeconds);
    if (stopping) return;
    if (retry) schedule(retryDelay(failures, options.retryMs, options.resyncMs), "retry");
    else schedule(options.resyncMs, "resync");
  };

  const drain = async () => {
    clearTimeout(idleTimer);
    while (wanted !== "none" && !stopping) {
      const mode = wanted;
      wanted = "none";
      await runOnce(mode);
    }
    running = undefined;
    if (!stopping && options.whenIdle !== undefined) idleTimer = setTimeout(runIdle, options.whenIdle.afterMs);
  };

  const runIdle = () => {
    try {
      options.whenIdle?.run();
    } catch (err) {
      logger.error({ err }, "the idle task failed");
    }
  };

  const trigger = (reason: string) => {
    if (stopping) return;
    logger.debug({ reason }, "reconcile wanted");
    wanted = "reconcile";
    running ??= drain();
  };

  trigger("start");
  return {
    trigger,
    poll() {
      if (stopping) return;
      if (wanted === "none") wanted = "poll";
      running ??= drain();
    },
    status: () => status,
    stopped,
    async stop() {
      stopping = true;
      clearTimeout(timer);
      clearTimeout(idleTimer);
      await running;
      publish({ ...status, stoppedAt: new Date().toISOString() });
      resolveStopped();
    },
  };
}
