/**
 * The watch loop's status, after Flux's: conditions Ready, Reconciling and
 * Stalled with reasons, the revisions applied and attempted, the last
 * error and the last reconcile. The loop fills it; `nfctl status` and
 * /status show it.
 */

export type ConditionType = "Ready" | "Reconciling" | "Stalled";

export interface Condition {
  type: ConditionType;
  status: "True" | "False" | "Unknown";
  reason: string;
  message: string;
  lastTransitionTime: string;
}

export interface LoopStatus {
  formatVersion: 1;
  source: { kind: "directory"; paths: string[] } | { kind: "git"; url: string; ref?: string; path?: string };
  conditions: Condition[];
  lastAppliedRevision?: string;
  lastAttemptedRevision?: string;
  lastError?: string;
  lastReconcile?: { startedAt: string; durationSeconds: number; result: "applied" | "unchanged" | "failed" | "refused" };
  lastSuccessAt?: string;
  reconciles: number;
  pid: number;
}
