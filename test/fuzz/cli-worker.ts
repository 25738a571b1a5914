/**
 * A worker thread of the CLI fuzz stage: runs nfctl (test/helpers/cli.ts)
 * for each message it gets and posts the result back, so that two runs
 * (plan and apply of one case) share the machine's two CPUs.
 */
import { parentPort, workerData } from "node:worker_threads";
import { nfctl, type CliResult } from "../helpers/cli.js";
import type { Lab } from "../../scripts/test-lab.js";

export interface CliRequest {
  id: number;
  args: string[];
  stdin?: string;
}

export interface CliReply {
  id: number;
  result: CliResult;
}

// nfctl() reads only the namespace and the bpffs root of the lab; cleanup stays with the main thread.
const lab = { ...(workerData as Pick<Lab, "nsA" | "nsB" | "root">), remove() {}, cleanup() {} } satisfies Lab;

/**
 * tap's process-info hook, loaded into a test through NODE_OPTIONS, wraps
 * child_process so that every process a test starts loads it too: nfctl
 * would then cost about 0.8 CPU seconds a run instead of 0.45. This worker
 * runs without tap's hooks (execArgv: [], see cli-lab.ts), and nfctl gets
 * no NODE_OPTIONS: it runs as a user's would. (Coverage is off here.)
 */
const env = { NODE_OPTIONS: "" };

parentPort!.on("message", (request: CliRequest) => {
  const result = nfctl(lab, request.args, { env, ...(request.stdin !== undefined && { stdin: request.stdin }) });
  parentPort!.postMessage({ id: request.id, result } satisfies CliReply);
});
