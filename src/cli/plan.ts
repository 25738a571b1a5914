/**
 * `nfctl plan`: what apply would change, and why. Changes nothing.
 */
import { isEmptyPlan, loadDesired, planOnce, resolveRoot } from "../reconcile/index.js";
import type { Context } from "./main.js";
import { colorsFor } from "./colors.js";
import { renderPlan } from "./views/plan-text.js";
import { toJson } from "./views/json.js";

export interface PlanOptions {
  file: string[];
  output: "text" | "json";
  detailedExitcode?: boolean;
  offline?: boolean;
  force?: boolean;
}

export async function planCommand(opts: PlanOptions, context: Context): Promise<number> {
  const desired = loadDesired(opts.file, { log: context.libbpfLog });
  const { plan, note } = planOnce(desired, { root: resolveRoot(context.bpffs), ...(opts.offline && { offline: true }), ...(opts.force && { force: true }) });
  if (note) process.stderr.write(`nfctl: ${note}\n`);
  process.stdout.write(opts.output === "json" ? toJson("Plan", { plan }) : renderPlan(plan, colorsFor(process.stdout)));
  return opts.detailedExitcode && !isEmptyPlan(plan) ? 2 : 0;
}
