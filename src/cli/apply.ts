/**
 * `nfctl apply`: plan under the lock, print the plan, carry it out, print
 * what was done.
 */
import { applyPlan, ensureRoot, gather, isEmptyPlan, loadDesired, lockRoot, planChanges, checkInterfaces, resolveRoot } from "../reconcile/index.js";
import type { GlobalOptions } from "./main.js";
import { colorsFor } from "./colors.js";
import { renderApplyResult, renderPlan } from "./render-plan.js";

export interface ApplyOptions {
  file: string[];
  output: "text" | "json";
  dryRun?: boolean;
  lockTimeout: number;
}

export async function applyCommand(opts: ApplyOptions, global: GlobalOptions): Promise<number> {
  const desired = loadDesired(opts.file);
  const root = resolveRoot(global.bpffs);
  const colors = colorsFor(process.stdout);
  ensureRoot(root);
  const unlock = await lockRoot(root, opts.lockTimeout);
  try {
    const { observed, contents } = gather(root, desired);
    checkInterfaces(desired, observed);
    const plan = planChanges(desired, observed, contents);
    if (opts.dryRun || isEmptyPlan(plan)) {
      process.stdout.write(opts.output === "json" ? `${JSON.stringify({ plan, applied: false }, null, 2)}\n` : renderPlan(plan, colors));
      return 0;
    }
    if (opts.output === "text") process.stdout.write(`${renderPlan(plan, colors)}\n`);
    const result = applyPlan(plan, desired, { root });
    process.stdout.write(opts.output === "json" ? `${JSON.stringify({ plan, applied: true, result }, null, 2)}\n` : renderApplyResult(result, colors));
    return 0;
  } finally {
    unlock();
  }
}
