/**
 * `nfctl apply`: plan under the lock, print the plan, carry it out, print
 * what was done.
 */
import { applyPlan, ensureRoot, gather, isEmptyPlan, loadDesired, lockRoot, planChanges, checkInterfaces, resolveRoot, stepHook } from "../reconcile/index.js";
import type { Context } from "./main.js";
import { colorsFor } from "./colors.js";
import { renderApplyResult, renderPlan } from "./render-plan.js";

export interface ApplyOptions {
  file: string[];
  output: "text" | "json";
  dryRun?: boolean;
  force?: boolean;
  lockTimeout: number;
}

export async function applyCommand(opts: ApplyOptions, context: Context): Promise<number> {
  const desired = loadDesired(opts.file, { log: context.libbpfLog });
  const root = resolveRoot(context.bpffs);
  const colors = colorsFor(process.stdout);
  ensureRoot(root);
  const unlock = await lockRoot(root, opts.lockTimeout);
  try {
    const { observed, contents } = gather(root, desired);
    checkInterfaces(desired, observed);
    const plan = planChanges(desired, observed, contents, { ...(opts.force && { force: true }) });
    if (opts.dryRun || isEmptyPlan(plan)) {
      process.stdout.write(opts.output === "json" ? `${JSON.stringify({ plan, applied: false }, null, 2)}\n` : renderPlan(plan, colors));
      return 0;
    }
    if (opts.output === "text") process.stdout.write(`${renderPlan(plan, colors)}\n`);
    context.interrupts.hold();
    const result = applyPlan(plan, desired, { root, onStep: stepHook(context.logger), log: context.libbpfLog, ...(opts.force && { force: true }) });
    process.stdout.write(opts.output === "json" ? `${JSON.stringify({ plan, applied: true, result }, null, 2)}\n` : renderApplyResult(result, colors));
    return 0;
  } finally {
    unlock();
  }
}
