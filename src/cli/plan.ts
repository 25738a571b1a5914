/**
 * `nfctl plan`: what apply would change, and why. Changes nothing.
 */
import { loadDesired, observeForPlan, planChanges, isEmptyPlan, resolveRoot } from "../reconcile/index.js";
import type { Context } from "./main.js";
import { colorsFor } from "./colors.js";
import { renderPlan } from "./render-plan.js";

export interface PlanOptions {
  file: string[];
  output: "text" | "json";
  detailedExitcode?: boolean;
  offline?: boolean;
  force?: boolean;
}

export async function planCommand(opts: PlanOptions, context: Context): Promise<number> {
  const desired = loadDesired(opts.file, { log: context.libbpfLog });
  const { observation, note } = observeForPlan(resolveRoot(context.bpffs), desired, { offline: opts.offline === true });
  if (note) process.stderr.write(`nfctl: ${note}\n`);
  const plan = planChanges(desired, observation.observed, observation.contents, { ...(opts.force && { force: true }) });
  process.stdout.write(opts.output === "json" ? `${JSON.stringify(plan, null, 2)}\n` : renderPlan(plan, colorsFor(process.stdout)));
  return opts.detailedExitcode && !isEmptyPlan(plan) ? 2 : 0;
}
