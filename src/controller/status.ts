/**
 * The watch loop's status, as a value: what `nfctl status` shows of the loop
 * and what GET /status serves. Types only; the loop fills them in.
 *
 * Conditions follow Flux (kustomize-controller's Kustomization status):
 * Ready says whether the last reconcile brought the kernel to the desired
 * state; Reconciling is True while one runs (or retries); Stalled is True
 * when only a person can fix what is wrong (a bad config, a refused plan).
 */

export type ConditionType = "Ready" | "Reconciling" | "Stalled";

export interface Condition {
  type: ConditionType;
  status: "True" | "False" | "Unknown";
  /** A CamelCase code, e.g. ReconciliationSucceeded, BuildFailed. */
  reason: string;
  /** For a person; may be empty. */
  message: string;
  /** ISO 8601: when status last changed. */
  lastTransitionTime: string;
}

export interface LoopStatus {
  formatVersion: 1;
  source: { kind: "directory"; paths: string[] } | { kind: "git"; url: string; ref?: string; path?: string };
  conditions: Condition[];
  /** The revision the kernel runs (`main@sha1:<sha>`, `sha256:<digest>`). */
  lastAppliedRevision?: string;
  /** The revision of the last reconcile, whatever its result. */
  lastAttemptedRevision?: string;
  /** While the source cannot be used: the last good revision the loop keeps in force instead (absent once a reconcile of the source succeeds). */
  enforcedRevision?: string;
  lastError?: string;
  lastReconcile?: { startedAt: string; durationSeconds: number; result: "applied" | "unchanged" | "failed" | "refused" };
  /** ISO 8601: the end of the last reconcile that left the kernel as desired. */
  lastSuccessAt?: string;
  /** Reconciles run since the loop started. */
  reconciles: number;
  pid: number;
  /** ISO 8601: when the loop stopped (SIGTERM, SIGINT); absent while it runs, or when it was killed. */
  stoppedAt?: string;
}
