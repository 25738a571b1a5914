/**
 * `nfctl apply`: reconcile once, printing the plan before the first change
 * and what was done after it.
 */
import { loadDesired, reconcileOnce, resolveRoot, stepHook } from "../reconcile/index.js";
import type { Context } from "./main.js";
import { colorsFor } from "./colors.js";
import { renderApplyResult, renderPlan } from "./views/plan-text.js";
import { toJson } from "./views/json.js";

export interface ApplyOptions {
  file: string[];
  output: "text" | "json";
  dryRun?: boolean;
  force?: boolean;
  lockTimeout: number;
}

export async function applyCommand(opts: ApplyOptions, context: Context): Promise<number> {
  const desired = loadDesired(opts.file, { log: context.libbpfLog });
  const colors = colorsFor(process.stdout);
  const { plan, result } = await reconcileOnce(
    { desired },
    {
      root: resolveRoot(context.bpffs),
      lockTimeout: opts.lockTimeout,
      log: context.libbpfLog,
      onStep: stepHook(context.logger),
      ...(opts.force && { force: true }),
      ...(opts.dryRun && { dryRun: true }),
      onPlan: (planned) => {
        if (opts.output === "text") process.stdout.write(`${renderPlan(planned, colors)}\n`);
        context.interrupts.hold();
      },
    },
  );
  if (opts.output === "json") process.stdout.write(toJson("ApplyResult", { applied: result !== undefined, plan, ...(result && { result }) }));
  else process.stdout.write(result ? renderApplyResult(result, colors) : renderPlan(plan, colors));
  return 0;
}
