/**
 * `nfctl status`: what nfctl manages in this network namespace.
 */
import { resolveRoot, status } from "../reconcile/index.js";
import type { Context } from "./main.js";
import { colorsFor } from "./colors.js";
import { renderStatus } from "./views/status-text.js";
import { toJson } from "./views/json.js";

export interface StatusOptions {
  output: "text" | "json";
}

export async function statusCommand(opts: StatusOptions, context: Context): Promise<number> {
  const report = status(resolveRoot(context.bpffs));
  process.stdout.write(opts.output === "json" ? toJson("Status", { status: report }) : renderStatus(report, colorsFor(process.stdout)));
  return 0;
}
