/**
 * How far a long apply or destroy is, on a terminal: one line on stderr,
 * rewritten in place ("hooks prepared 3/10", then "hooks committed 5/10")
 * and cleared at the end. Nothing for an apply that ends within a second,
 * and nothing at all when stderr is not a terminal (a pipe, a log file).
 *
 * The executor runs synchronously from its first change to its last, so
 * no timer could fire in between: the line is drawn when the executor
 * reports a count, once a second has passed since its first report.
 *
 * @example
 *     const progress = progressLine(process.stderr);
 *     try { await reconcileOnce(request, { ...options, onProgress: progress.report }); } finally { progress.done(); }
 */
import type { ApplyProgress } from "../reconcile/index.js";

/** How long an apply runs before its progress is shown. */
export const PROGRESS_DELAY_MS = 1000;

/** Back to the start of the line, and erase it (ANSI: CR, then EL). */
const CLEAR_LINE = "\r\x1b[K";

export interface ProgressLine {
  /** The executor's count (reconcileOnce's onProgress). */
  report: (progress: ApplyProgress) => void;
  /** Clears the line, if one was drawn. */
  done: () => void;
}

export function progressLine(stream: NodeJS.WritableStream & { isTTY?: boolean }, clock: () => number = Date.now): ProgressLine {
  if (stream.isTTY !== true) return { report: () => undefined, done: () => undefined };
  let started: number | undefined;
  let drawn = false;
  return {
    report({ phase, done, total }) {
      const now = clock();
      started ??= now;
      if (now - started < PROGRESS_DELAY_MS) return;
      stream.write(`${CLEAR_LINE}hooks ${phase} ${done}/${total}`);
      drawn = true;
    },
    done() {
      if (drawn) stream.write(CLEAR_LINE);
      drawn = false;
    },
  };
}
