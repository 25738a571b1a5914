/**
 * `nfctl destroy`: take down what nfctl manages (all of it, or one
 * interface's hooks) and nothing else.
 */
import { reconcileOnce, resolveRoot, stepHook } from "../reconcile/index.js";
import type { Context } from "./main.js";
import { colorsFor } from "./colors.js";
import { renderApplyResult, renderPlan } from "./views/plan-text.js";
import { toJson } from "./views/json.js";

export interface DestroyOptions {
  interface?: string;
  output: "text" | "json";
  lockTimeout: number;
}

export async function destroyCommand(opts: DestroyOptions, context: Context): Promise<number> {
  const colors = colorsFor(process.stdout);
  const { plan, result } = await reconcileOnce(
    { destroy: { ...(opts.interface !== undefined && { interface: opts.interface }) } },
    {
      root: resolveRoot(context.bpffs),
      lockTimeout: opts.lockTimeout,
      log: context.libbpfLog,
      onStep: stepHook(context.logger),
      onPlan: () => context.interrupts.hold(),
    },
  );
  if (opts.output === "json") process.stdout.write(toJson("DestroyResult", { applied: result !== undefined, plan, ...(result && { result }) }));
  else process.stdout.write(`${renderPlan(plan, colors)}\n${renderApplyResult(result ?? { hooks: [] }, colors)}`);
  return 0;
}
