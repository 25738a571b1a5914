/**
 * Only removing the generations an interrupted run left on a hook (commit
 * kind cleanup): nothing is loaded, nothing attached, and the live chain
 * runs on untouched. Done at finalize, once nothing can be undone.
 */
import type { HookPlan } from "../plan.js";
import { addressOf, type ChangeContext, type HookChange } from "./hook-change.js";
import { removeStale } from "./generations.js";

export function prepareCleanup(plan: HookPlan, ctx: ChangeContext): HookChange {
  const addr = addressOf(plan, ctx.netns);
  return {
    address: addr,
    commit() {},
    revert: () => [],
    abort() {},
    finalize() {
      removeStale(ctx.root, addr, plan.precondition.stale, ctx.records, ctx.step);
      return {
        ifname: addr.ifname,
        hook: addr.hook,
        commit: "cleanup",
        ...(plan.generation !== undefined && { generation: plan.generation }),
        removedStale: plan.precondition.stale,
      };
    },
  };
}
