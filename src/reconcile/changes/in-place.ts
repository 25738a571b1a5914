/**
 * Map-only changes (commit kind in-place): the planned contents are written
 * into the live generation's maps at commit, and put back on revert. No
 * program is loaded and the hook is not switched.
 */
import { recordKey } from "../../state/index.js";
import type { HookPlan } from "../plan.js";
import { addressOf, describeHook, type ChangeContext, type HookChange } from "./hook-change.js";
import { restoreMaps, writeMap, type MapSnapshot } from "./maps.js";

export function prepareInPlace(plan: HookPlan, ctx: ChangeContext): HookChange {
  const { root, records } = ctx;
  const addr = addressOf(plan, ctx.netns);
  const generation = plan.generation!;
  const key = recordKey(addr, generation);
  const before = records.get(key);
  const digests = new Map(plan.chain.map((nf) => [nf.name, nf.mapsDigest]));
  const snapshots: MapSnapshot[] = [];
  return {
    address: addr,
    commit() {
      for (const nf of plan.chain) {
        for (const map of nf.maps) {
          writeMap(root, addr, nf.name, map, snapshots);
          ctx.step(`${describeHook(addr)}: wrote map ${map.name} of ${nf.name} in place`);
        }
      }
      if (before) {
        const nfs = before.nfs.map((r) => {
          const mapsDigest = digests.get(r.name) ?? r.mapsDigest;
          return mapsDigest === undefined ? r : { ...r, mapsDigest };
        });
        records.put(key, { ...before, nfs });
      }
    },
    revert() {
      restoreMaps(root, addr, snapshots);
      snapshots.length = 0;
      if (before) records.put(key, before);
      return [];
    },
    abort() {},
    finalize: () => ({ ifname: addr.ifname, hook: addr.hook, commit: "in-place", generation, removedStale: [] }),
  };
}
