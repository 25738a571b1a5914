/**
 * The thread that walks the kernel for the watch loop's endpoint (see
 * status-reader.ts): a walk of 1,500 hooks takes over a second of
 * synchronous FFI, which on the main thread would stall the loop and
 * /healthz. Each message asks for one status of the bpffs root it names;
 * the answer is the report, or the walk's error as one line.
 */
import { parentPort } from "node:worker_threads";
import { status } from "../reconcile/index.js";

export type StatusAnswer = { report: ReturnType<typeof status> } | { error: string };

parentPort?.on("message", (root: string) => {
  let answer: StatusAnswer;
  try {
    answer = { report: status(root) };
  } catch (err) {
    answer = { error: err instanceof Error ? err.message : String(err) };
  }
  parentPort?.postMessage(answer);
});
