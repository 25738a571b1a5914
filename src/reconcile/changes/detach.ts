/**
 * Emptying a hook (commit kind detach): at commit the chain is taken off
 * the hook; at finalize every pin of the hook is removed. Revert attaches
 * the live generation again, which stays pinned until finalize.
 */
import { commitToHook, detachFromHook, hookPaths, netnsDir, recordKey, removeEmptyDirs, removeTree } from "../../state/index.js";
import type { HookPlan } from "../plan.js";
import { addressOf, describeHook, type ChangeContext, type HookChange } from "./hook-change.js";
import { removeGenerationAndRecord, removeStale } from "./generations.js";

export function prepareDetach(plan: HookPlan, ctx: ChangeContext): HookChange {
  const { root, records } = ctx;
  const addr = addressOf(plan, ctx.netns);
  const paths = hookPaths(root, addr);
  const ifindex = plan.precondition.ifindex;
  const attachment = plan.attachment === "tc-legacy" ? "tc-legacy" : "link";
  const livePin = plan.generation !== undefined ? paths.generation(plan.generation).nf(0, plan.before[0]!).prog : undefined;
  const liveMode = plan.generation !== undefined ? records.get(recordKey(addr, plan.generation))?.mode : undefined;
  let detached = false;
  return {
    address: addr,
    commit() {
      detachFromHook(root, addr, attachment, ifindex);
      detached = true;
      ctx.step(`${describeHook(addr)}: detached`);
    },
    revert() {
      if (detached && livePin && ifindex !== undefined) {
        commitToHook(root, addr, { ifindex, program: { pin: livePin }, mode: liveMode ?? "auto", attachment: plan.attachment });
      }
      detached = false;
      return [];
    },
    abort() {},
    finalize() {
      removeStale(root, addr, plan.precondition.stale, records, ctx.step);
      if (plan.generation !== undefined) removeGenerationAndRecord(root, addr, plan.generation, records);
      removeTree(paths.maps);
      removeEmptyDirs(paths.dir, netnsDir(root, addr.netns));
      removeEmptyDirs(netnsDir(root, addr.netns), root);
      ctx.step(`${describeHook(addr)}: removed its pins`);
      return {
        ifname: addr.ifname,
        hook: addr.hook,
        commit: "detach",
        ...(plan.generation !== undefined && { previous: plan.generation }),
        removedStale: plan.precondition.stale,
      };
    },
  };
}
