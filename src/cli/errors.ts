/**
 * Errors as a person reads them: one clear message, the verifier's verdict
 * when a load failed, never a stack trace.
 */
import { ApplyError, ChainError, ConfigErrors, NativeError, formatConfigError } from "../reconcile/index.js";

/** What an apply that failed and was rolled back leaves: said as text here, and as a diagnostic by diagnostics.ts. */
export const APPLY_UNDONE = "apply failed and was undone: every hook runs what it ran before, and nothing of this apply is left pinned";

/** Lines of the verifier log shown; the end holds the reason. */
const VERIFIER_TAIL = 20;

export function reportError(err: unknown): string {
  if (err instanceof ApplyError) {
    const outcome =
      err.rollbackFailures.length === 0
        ? `nfctl: ${APPLY_UNDONE}\n`
        : `nfctl: apply failed, and undoing it failed too:\n${err.rollbackFailures.map((f) => `  ${f}\n`).join("")}Run nfctl status to see the state, and nfctl apply again to converge.\n`;
    return reportError(err.cause) + outcome;
  }
  if (err instanceof ConfigErrors) return `${err.errors.map((e) => `nfctl: ${formatConfigError(e)}`).join("\n")}\n`;
  if (err instanceof NativeError) {
    let text = `nfctl: ${err.message}\n`;
    if (err.verifierLog) {
      const lines = err.verifierLog.split("\n");
      const tail = lines.slice(-VERIFIER_TAIL);
      text += `verifier log${lines.length > VERIFIER_TAIL ? ` (last ${VERIFIER_TAIL} of ${lines.length} lines)` : ""}:\n${tail.map((l) => `  ${l}`).join("\n")}\n`;
    }
    return text;
  }
  if (err instanceof ChainError) return `nfctl: ${err.message}\n`;
  return `nfctl: ${err instanceof Error ? err.message : String(err)}\n`;
}
