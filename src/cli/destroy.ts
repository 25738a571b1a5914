/**
 * `nfctl destroy`: take down what nfctl manages (all of it, or one
 * interface's hooks) and nothing else. On a terminal it asks first, as
 * apply does before removing (approval.ts); --dry-run only shows what it
 * would remove.
 */
import { reconcileOnce, resolveRoot, stepHook } from "../reconcile/index.js";
import type { Context } from "./main.js";
import { colorsFor } from "./colors.js";
import { renderApplyResult, renderPlan } from "./views/plan-text.js";
import { toJson } from "./views/json.js";
import { approver } from "./approval.js";
import { progressLine } from "./progress.js";

export interface DestroyOptions {
  interface?: string;
  output: "text" | "json";
  lockTimeout: number;
  /** Show what would be removed; change nothing. */
  dryRun?: boolean;
  /** Do not ask. */
  autoApprove?: boolean;
}

export async function destroyCommand(opts: DestroyOptions, context: Context): Promise<number> {
  const colors = colorsFor(process.stdout);
  const progress = progressLine(process.stderr);
  // The plan is printed before the question (and the first change), the result after.
  let shown = false;
  const { plan, result, declined } = await reconcileOnce(
    { destroy: { ...(opts.interface !== undefined && { interface: opts.interface }) } },
    {
      root: resolveRoot(context.bpffs),
      lockTimeout: opts.lockTimeout,
      log: context.libbpfLog,
      onStep: stepHook(context.logger),
      onProgress: progress.report,
      ...(opts.dryRun && { dryRun: true }),
      onPlan: (planned) => {
        if (opts.output !== "text") return;
        process.stdout.write(`${renderPlan(planned, colors)}\n`);
        shown = true;
      },
      approve: approver({ autoApprove: opts.autoApprove === true, json: opts.output === "json", interrupts: context.interrupts }),
    },
  ).finally(progress.done);
  if (declined) throw new Error("destroy cancelled; nothing was changed");
  if (opts.output === "json") process.stdout.write(toJson("DestroyResult", { applied: result !== undefined, plan, ...(result && { result }) }));
  else if (opts.dryRun) process.stdout.write(renderPlan(plan, colors));
  else process.stdout.write(`${shown ? "" : `${renderPlan(plan, colors)}\n`}${renderApplyResult(result ?? { hooks: [] }, colors)}`);
  return 0;
}
