/**
 * `nfctl status`: what nfctl manages in this network namespace.
 */
import { loadLoopStatus, resolveRoot, status } from "../reconcile/index.js";
import type { LoopStatus } from "../controller/index.js";
import type { Context } from "./main.js";
import { colorsFor } from "./colors.js";
import { renderStatus } from "./views/status-text.js";
import { toJson } from "./views/json.js";

export interface StatusOptions {
  output: "text" | "json";
}

/** Whether process `pid` exists (EPERM: it does, as another user's). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

export async function statusCommand(opts: StatusOptions, context: Context): Promise<number> {
  const root = resolveRoot(context.bpffs);
  const report = status(root);
  // Written by `nfctl watch` (src/controller), stored as it wrote it.
  const loop = loadLoopStatus(root) as LoopStatus | undefined;
  process.stdout.write(
    opts.output === "json" ? toJson("Status", { status: report, ...(loop && { loop }) }) : renderStatus(report, colorsFor(process.stdout), loop, processAlive),
  );
  return 0;
}
