/**
 * `nfctl destroy`: take down what nfctl manages (all of it, or one
 * interface's hooks) and nothing else.
 */
import { applyPlan, destroyPlan, ensureRoot, gather, lockRoot, resolveRoot, stepHook, EMPTY_DESIRED } from "../reconcile/index.js";
import type { Context } from "./main.js";
import { colorsFor } from "./colors.js";
import { renderApplyResult, renderPlan } from "./render-plan.js";

export interface DestroyOptions {
  interface?: string;
  output: "text" | "json";
  lockTimeout: number;
}

export async function destroyCommand(opts: DestroyOptions, context: Context): Promise<number> {
  const root = resolveRoot(context.bpffs);
  const colors = colorsFor(process.stdout);
  ensureRoot(root);
  const unlock = await lockRoot(root, opts.lockTimeout);
  try {
    const plan = destroyPlan(gather(root, EMPTY_DESIRED), opts.interface);
    context.interrupts.hold();
    const result = applyPlan(plan, EMPTY_DESIRED, { root, onStep: stepHook(context.logger), log: context.libbpfLog });
    process.stdout.write(opts.output === "json" ? `${JSON.stringify({ plan, result }, null, 2)}\n` : `${renderPlan(plan, colors)}\n${renderApplyResult(result, colors)}`);
    return 0;
  } finally {
    unlock();
  }
}
