/**
 * Reads `nfctl status` of the kernel off the main thread, for the watch
 * loop's endpoint: one worker thread (status-worker.ts), started at the
 * first read and ended by close(), walks the kernel while the main thread
 * goes on reconciling and answering /healthz. The reader asks one walk at a
 * time (the endpoint's scrape cache never asks two at once); a worker that
 * dies is replaced at the next read.
 *
 * @example
 *     const reader = statusReader("/sys/fs/bpf/nfctl");
 *     const report = await reader.read(); // the StatusReport of every hook
 *     await reader.close();
 */
import { Worker } from "node:worker_threads";
import type { StatusReport } from "../reconcile/index.js";
import type { StatusAnswer } from "./status-worker.js";

export interface StatusReader {
  /** The status of the kernel's hooks under the bpffs root; rejects with the walk's error. */
  read(): Promise<StatusReport>;
  /** Ends the worker; resolves once it has exited. */
  close(): Promise<void>;
}

const WORKER = new URL("./status-worker.js", import.meta.url);

export function statusReader(root: string): StatusReader {
  let worker: Worker | undefined;
  let pending: { resolve(report: StatusReport): void; reject(err: Error): void } | undefined;
  const settle = (fn: (p: NonNullable<typeof pending>) => void) => {
    const waiting = pending;
    pending = undefined;
    // An idle worker does not keep the process alive; one that is asked does, until it answers.
    worker?.unref();
    if (waiting) fn(waiting);
  };
  const start = (): Worker => {
    // The walk closes bpf and netlink descriptors with fs.closeSync, which fs did not open: Node's tracking of a
    // worker's descriptors would warn on stderr (the log) at each. Every handle is closed by its owner (native/handle.ts).
    const started = new Worker(WORKER, { trackUnmanagedFds: false });
    started.on("message", (answer: StatusAnswer) => settle((p) => ("report" in answer ? p.resolve(answer.report) : p.reject(new Error(answer.error)))));
    started.on("error", (err) => settle((p) => p.reject(err)));
    started.on("exit", (code) => {
      if (worker === started) worker = undefined;
      settle((p) => p.reject(new Error(`the status worker exited (code ${code}) before it answered`)));
    });
    return started;
  };
  return {
    read() {
      if (pending) return Promise.reject(new Error("a status read is already under way"));
      worker ??= start();
      const asked = worker;
      asked.ref();
      return new Promise<StatusReport>((resolve, reject) => {
        pending = { resolve, reject };
        asked.postMessage(root);
      });
    },
    async close() {
      const running = worker;
      worker = undefined;
      if (running) await running.terminate();
    },
  };
}
