/**
 * A swap: the hook is to run a new generation of its chain (commit kinds
 * create, update and reattach).
 *
 * - prepare: remove the stale generations the plan names; load every NF
 *   of the new generation beside the live one (data maps reused from their
 *   pins, a fresh nf_next each), wire and pin it; write the planned map
 *   contents (remembering what they held) and the generation's record.
 *   The hook still runs the live generation.
 * - commit: remove foreign programs (--force), then one bpf_link_update
 *   (update), a new link (create), or detach and attach again (reattach).
 * - revert: switch back to the live generation, still pinned, and attach
 *   again the foreign programs that can be.
 * - finalize: unpin the previous generation, its record and unused maps.
 */
import {
  buildGeneration,
  commitToHook,
  detachFromHook,
  hookPaths,
  recordKey,
  removeEmptyDirs,
  removeForeignProgram,
  RECORD_FORMAT_VERSION,
  type Attachment,
  type BuiltGeneration,
  type GenerationRecord,
  type HookAddress,
  type RemovedProgram,
} from "../../state/index.js";
import type { HookPlan } from "../plan.js";
import { addressOf, describeHook, type ChangeContext, type HookChange } from "./hook-change.js";
import { restoreMaps, writeMap, type MapSnapshot } from "./maps.js";
import { pruneDataMaps, removeGenerationAndRecord, removeStale } from "./generations.js";

function record(
  addr: HookAddress,
  plan: HookPlan,
  ifindex: number,
  number: number,
  built: BuiltGeneration,
  attachment: Attachment,
  source: ChangeContext["source"],
): GenerationRecord {
  return {
    formatVersion: RECORD_FORMAT_VERSION,
    netns: addr.netns,
    ifname: addr.ifname,
    ifindex,
    hook: addr.hook,
    generation: number,
    attachment,
    ...(plan.mode && { mode: plan.mode }),
    nfs: plan.chain.map((nf, i) => ({
      name: nf.name,
      object: nf.object,
      digest: nf.digest,
      ...(nf.origin && { origin: nf.origin }),
      program: nf.program,
      progId: built.nfs[i]!.progId,
      ...(nf.version !== undefined && { version: nf.version }),
      ...(nf.proceedOn !== undefined && { proceedOn: nf.proceedOn }),
      ...(nf.proceedMask !== undefined && { proceedMask: nf.proceedMask }),
      mapsDigest: nf.mapsDigest,
    })),
    ...(source && { source }),
    createdAt: new Date().toISOString(),
  };
}

/** The bytes the executor checked for `object`; every object of a generation to build was. */
function checkedBytes(ctx: ChangeContext, object: string): Buffer {
  const bytes = ctx.objects.get(object);
  if (bytes === undefined) throw new Error(`internal error: object ${object} was not read and checked before the build`);
  return bytes;
}

export function prepareSwap(plan: HookPlan, ctx: ChangeContext): HookChange {
  const { root, records } = ctx;
  const addr = addressOf(plan, ctx.netns);
  const where = describeHook(addr);
  const step = (label: string) => ctx.step(`${where}: ${label}`);
  const ifindex = plan.precondition.ifindex!;
  const number = plan.nextGeneration!;
  const livePin = plan.generation !== undefined ? hookPaths(root, addr).generation(plan.generation).nf(0, plan.before[0]!).prog : undefined;
  const mode = plan.mode ?? "auto";
  const reattach = plan.commit === "reattach";
  // A defunct link ran nothing: undoing a reattach from it must not attach the old generation.
  const wasRunning = plan.precondition.linkDefunct !== true;

  removeStale(root, addr, plan.precondition.stale, records, ctx.step);
  // After a failure, only the live chain's data maps (if any) stay pinned.
  const keepLiveDataMaps = () => {
    pruneDataMaps(root, addr, plan.before);
    removeEmptyDirs(hookPaths(root, addr).maps, root);
  };
  let built: BuiltGeneration;
  try {
    const nfs = plan.chain.map((nf) => ({ ...nf, bytes: checkedBytes(ctx, nf.object) }));
    built = buildGeneration(root, addr, number, nfs, { onStep: step, ...(ctx.log && { log: ctx.log }) });
  } catch (err) {
    keepLiveDataMaps();
    throw err;
  }
  const snapshots: MapSnapshot[] = [];
  const key = recordKey(addr, number);
  const undoPrepare = () => {
    restoreMaps(root, addr, snapshots);
    built.discard();
    records.delete(key);
    keepLiveDataMaps();
  };
  let attached: Attachment = plan.attachment === "tc-legacy" ? "tc-legacy" : "link";
  try {
    const running = new Set(plan.before);
    for (const nf of plan.chain) {
      for (const map of nf.maps) {
        writeMap(root, addr, nf.name, map, running.has(nf.name) ? snapshots : undefined);
        step(`wrote map ${map.name} of ${nf.name}`);
      }
    }
    records.put(key, record(addr, plan, ifindex, number, built, attached, ctx.source));
    step(`recorded generation ${number}`);
  } catch (err) {
    undoPrepare();
    throw err;
  }

  let committed = false;
  let oldDetached = false;
  const removed: RemovedProgram[] = [];
  return {
    address: addr,
    commit() {
      for (const p of plan.removeForeign) {
        removed.push(removeForeignProgram(addr, ifindex, p.id));
        step(`removed foreign program ${p.id}`);
      }
      if (reattach) {
        detachFromHook(root, addr, "link", ifindex);
        oldDetached = true;
      }
      attached = commitToHook(root, addr, {
        ifindex,
        program: { pin: built.nfs[0]!.progPin },
        mode,
        attachment: plan.attachment,
        ...(livePin && !reattach && { expected: { pin: livePin } }),
      });
      committed = true;
      step(`committed generation ${number}`);
    },
    revert() {
      if (reattach || !livePin) {
        if (committed) detachFromHook(root, addr, attached, ifindex);
        if (livePin && oldDetached && wasRunning) {
          commitToHook(root, addr, {
            ifindex,
            program: { pin: livePin },
            mode: records.get(recordKey(addr, plan.generation!))?.mode ?? "auto",
            attachment: plan.attachment,
          });
        }
      } else if (committed) {
        commitToHook(root, addr, { ifindex, program: { pin: livePin }, mode, attachment: attached, expected: { pin: built.nfs[0]!.progPin } });
      }
      committed = false;
      oldDetached = false;
      const lost: string[] = [];
      for (const p of removed.reverse()) {
        try {
          p.restore();
        } catch (err) {
          lost.push(`${where}: foreign program ${p.progId} could not be attached again: ${(err as Error).message}`);
        } finally {
          p.release();
        }
      }
      removed.length = 0;
      return lost;
    },
    abort: undoPrepare,
    finalize() {
      for (const p of removed) p.release();
      const rec = records.get(key);
      if (rec && rec.attachment !== attached) records.put(key, { ...rec, attachment: attached });
      if (plan.generation !== undefined) {
        removeGenerationAndRecord(root, addr, plan.generation, records);
        step(`removed generation ${plan.generation}`);
      }
      pruneDataMaps(root, addr, plan.after);
      built.finalize();
      return {
        ifname: addr.ifname,
        hook: addr.hook,
        commit: plan.commit,
        generation: number,
        ...(plan.generation !== undefined && { previous: plan.generation }),
        removedStale: plan.precondition.stale,
      };
    },
  };
}
