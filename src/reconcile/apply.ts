/**
 * The executor: carries out a Plan, all or nothing.
 *
 * 1. Prepare every hook: new generations are built and pinned beside the
 *    live ones, map contents written (their old contents kept).
 * 2. Commit every hook: one link update each (or a detach, or map writes
 *    for map-only changes).
 * 3. Finalize every hook: unpin the previous generations.
 *
 * If anything fails before step 3, the hooks already committed are switched
 * back to their previous generations (still pinned), everything prepared is
 * unpinned and old map contents are restored: the apply changed nothing.
 */
import { openRecords, recordKey, syncDataMap, type HookAddress, type LibbpfLogSink, type RecordStore } from "../state/index.js";
import type { DesiredHook, DesiredNf, DesiredState } from "./desired.js";
import type { HookPlan, Plan } from "./plan.js";
import { prepareChain, prepareCleanup, restoreMaps, snapshotMap, type ChainNf, type HookChange, type MapSnapshot, type SwapResult } from "./swap.js";

export interface HookOutcome {
  ifname: string;
  hook: HookPlan["hook"];
  execution: HookPlan["execution"];
  /** The generation live afterwards (swap), or the one written in place. */
  generation?: number;
  /** For swaps: how the hook was switched. */
  commit?: SwapResult["commit"];
}

export interface ApplyResult {
  hooks: HookOutcome[];
}

export interface ApplyOptions {
  root: string;
  /** Remove programs other tools attached to managed hooks. */
  force?: boolean;
  /** Called after every step that changes bpffs or the kernel. */
  onStep?: (label: string) => void;
  /** Receives libbpf's messages while objects are opened and loaded. */
  log?: LibbpfLogSink;
}

/** An apply that failed and was undone. */
export class ApplyError extends Error {
  override readonly name = "ApplyError";
  constructor(
    /** What made the apply fail. */
    override readonly cause: unknown,
    /** Undo steps that failed in turn: the state they leave is named here. */
    readonly rollbackFailures: string[],
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

function chainNf(nf: DesiredNf): ChainNf {
  return {
    name: nf.name,
    object: nf.object,
    program: nf.program,
    ...(nf.proceedMask !== undefined && { proceedMask: nf.proceedMask }),
    ...(nf.proceedOn !== undefined && { proceedOn: nf.proceedOn }),
    ...(nf.version !== undefined && { version: nf.version }),
    maps: Object.fromEntries(nf.maps.map((m) => [m.name, m.entries])),
    mapsDigest: nf.mapsDigest,
  };
}

/** Map-only changes: written into the live generation's maps at commit. */
function prepareMapWrites(root: string, addr: HookAddress, generation: number, desired: DesiredHook, plan: HookPlan, records: RecordStore, step: (label: string) => void): HookChange {
  const writes = plan.actions.flatMap((action) => {
    const nf = desired.chain.find((n) => n.name === action.nf)!;
    return nf.maps.filter((m) => action.maps?.some((c) => c.map === m.name)).map((map) => ({ nf, map }));
  });
  const snapshots: MapSnapshot[] = [];
  const key = recordKey(addr, generation);
  const before = records.get(key);
  const outcome: SwapResult = { address: addr, generation, commit: "none", removedStale: [] };
  return {
    address: addr,
    commit() {
      for (const { nf, map } of writes) {
        snapshots.push(snapshotMap(root, addr, nf.name, map.name));
        syncDataMap(root, addr, nf.name, map.name, map.entries);
        step(`${addr.ifname} ${addr.hook}: wrote map ${map.name} of ${nf.name} in place`);
      }
      if (before) {
        const nfs = before.nfs.map((r) => {
          const mapsDigest = desired.chain.find((n) => n.name === r.name)?.mapsDigest ?? r.mapsDigest;
          return mapsDigest === undefined ? r : { ...r, mapsDigest };
        });
        records.put(key, { ...before, nfs });
      }
    },
    revert() {
      restoreMaps(root, addr, snapshots);
      if (before) records.put(key, before);
    },
    finalize: () => outcome,
    abort() {},
  };
}

function prepare(hp: HookPlan, plan: Plan, desired: DesiredState, records: RecordStore, options: ApplyOptions, step: (label: string) => void): HookChange {
  const d = desired.hooks.find((h) => h.ifname === hp.ifname && h.hook === hp.hook);
  const addr: HookAddress = { netns: plan.netns, ifname: hp.ifname, hook: hp.hook };
  if (hp.execution === "in-place") return prepareMapWrites(options.root, addr, hp.generation!, d!, hp, records, step);
  const target = { ifname: hp.ifname, hook: hp.hook, ...(hp.mode && { mode: hp.mode }) };
  if (hp.execution === "cleanup") return prepareCleanup(target, records, { root: options.root, onStep: step });
  const nfs = hp.execution === "detach" ? [] : d!.chain.filter((nf) => nf.enabled).map(chainNf);
  return prepareChain(target, nfs, records, {
    root: options.root,
    onStep: step,
    ...(options.force && { force: true }),
    log: options.log,
    ...(desired.source && { source: desired.source }),
  });
}

/** Undoes what was done, newest first; returns what could not be undone. */
function rollBack(committed: HookChange[], prepared: HookChange[]): string[] {
  const failures: string[] = [];
  for (const change of [...committed].reverse()) {
    try {
      change.revert();
    } catch (err) {
      failures.push(`${change.address.ifname} ${change.address.hook} could not be switched back: ${(err as Error).message}`);
    }
  }
  for (const change of [...prepared].reverse()) {
    try {
      change.abort();
    } catch (err) {
      failures.push(`${change.address.ifname} ${change.address.hook}: the new generation could not be removed: ${(err as Error).message}`);
    }
  }
  return failures;
}

/**
 * Applies `plan`, made from `desired` against the kernel as observed under
 * the lock the caller still holds. All or nothing: throws ApplyError after
 * undoing everything if any hook fails.
 */
export function applyPlan(plan: Plan, desired: DesiredState, options: ApplyOptions): ApplyResult {
  const step = options.onStep ?? (() => undefined);
  const todo = plan.hooks.filter((h) => h.execution !== "none");
  const records = openRecords(options.root);
  try {
    const prepared: HookChange[] = [];
    const committed: HookChange[] = [];
    try {
      for (const hp of todo) prepared.push(prepare(hp, plan, desired, records, options, step));
      for (const change of prepared) {
        committed.push(change);
        change.commit();
      }
    } catch (err) {
      throw new ApplyError(err, rollBack(committed, prepared));
    }
    const hooks = prepared.map((change, i): HookOutcome => {
      const result = change.finalize();
      const hp = todo[i]!;
      return {
        ifname: hp.ifname,
        hook: hp.hook,
        execution: hp.execution,
        ...(result.generation !== undefined && { generation: result.generation }),
        ...(hp.execution !== "in-place" && { commit: result.commit }),
      };
    });
    return { hooks };
  } finally {
    records.close();
  }
}
