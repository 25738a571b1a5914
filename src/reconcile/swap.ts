/**
 * The swap: make one hook run exactly a given chain, in one atomic step,
 * split into the phases an apply over several hooks needs:
 *
 * - prepare: remove stale generations; load every NF of a new generation
 *   beside the live one (data maps reused from their pins, a fresh nf_next
 *   each); wire and pin it; write the caller's map entries (remembering what
 *   they held) and the generation's record. The hook still runs the live
 *   generation.
 * - commit: one bpf_link_update (or create and pin the link; or, for an
 *   empty chain, detach). Packets see the old chain or the new one.
 * - finalize: unpin the previous generation, its record and unused maps.
 *
 * Until finalize, a committed change can be reverted (the hook switched
 * back to the previous generation, still pinned) and a prepared one aborted
 * (its generation unpinned, map contents restored). setChain runs the three
 * phases for one hook.
 */
import {
  buildGeneration,
  commitToHook,
  currentNetns,
  detachFromHook,
  ensureRoot,
  hookPaths,
  inspectObject,
  listDirs,
  observeHook,
  openRecords,
  readDataMap,
  recordKey,
  removeEmptyDirs,
  removeForeignProgram,
  removeGeneration,
  removeTree,
  syncDataMap,
  netnsDir,
  decodeName,
  findIfIndex,
  RECORD_FORMAT_VERSION,
  type Attachment,
  type BuiltGeneration,
  type GenerationRecord,
  type Hook,
  type HookAddress,
  type MapEntry,
  type NfInstance,
  type ObjectSummary,
  type ObservedHook,
  type RecordStore,
  type XdpMode,
  type LibbpfLogSink,
} from "../state/index.js";

export interface ChainNf extends NfInstance {
  version?: string;
  proceedOn?: string[];
  /** Exact contents for the named data maps, written before the commit. */
  maps?: Record<string, MapEntry[]>;
  mapsDigest?: string;
}

export interface ChainTarget {
  ifname: string;
  hook: Hook;
  /** XDP attach mode; "auto" when omitted. */
  mode?: XdpMode;
  /** How a TC chain attaches; "auto" prefers TCX. "tc-legacy" forces clsact. */
  attachment?: Attachment | "auto";
}

export interface SwapOptions {
  root: string;
  source?: GenerationRecord["source"];
  /** Remove programs other tools attached to the hook (nfctl --force). */
  force?: boolean;
  /** Called after every step that changes bpffs or the kernel (see test-hooks.ts). */
  onStep?: (label: string) => void;
  /** Receives libbpf's messages while objects are opened and loaded. */
  log?: LibbpfLogSink;
}

export interface SwapResult {
  address: HookAddress;
  /** The generation now live; undefined after emptying the hook. */
  generation?: number;
  previous?: number;
  /** "updated": one bpf_link_update; "created": a new link; "reattached": detached and attached again (XDP mode change, defunct link); "detached": emptied. */
  commit: "created" | "updated" | "reattached" | "detached" | "none";
  removedStale: number[];
}

/** An error a user can cause: named, explained, and raised before any change. */
export class ChainError extends Error {
  override readonly name = "ChainError";
}

/** One hook's change between prepare and finalize. */
export interface HookChange {
  readonly address: HookAddress;
  /** Switches the hook to the new generation (or detaches it). */
  commit(): void;
  /** Undoes commit(): the hook runs the previous generation again. */
  revert(): void;
  /** Unpins the previous generation; the change can no longer be undone. */
  finalize(): SwapResult;
  /** Undoes prepare (after revert, if committed): unpins the new generation, restores maps. */
  abort(): void;
}

function describe(addr: HookAddress): string {
  return `${addr.ifname} ${addr.hook}`;
}

function validate(addr: HookAddress, nfs: ChainNf[], log: LibbpfLogSink | undefined): ObjectSummary[] {
  const seen = new Set<string>();
  for (const nf of nfs) {
    if (seen.has(nf.name)) throw new ChainError(`NF name "${nf.name}" appears twice in the chain of ${describe(addr)}`);
    seen.add(nf.name);
  }
  return nfs.map((nf, i) => {
    let summary: ObjectSummary;
    try {
      summary = inspectObject(nf.object, { log });
    } catch (err) {
      throw new ChainError(`NF "${nf.name}": cannot open object ${nf.object}: ${(err as Error).message}`);
    }
    if (!summary.programs.some((p) => p.name === nf.program)) {
      const have = summary.programs.map((p) => p.name).join(", ") || "none";
      throw new ChainError(`NF "${nf.name}": object ${nf.object} has no program named "${nf.program}" (it has: ${have})`);
    }
    if (!summary.chainAware && i < nfs.length - 1) {
      throw new ChainError(
        `NF "${nf.name}" (${nf.object}) is chain-unaware (it has no nf_next map), so it can only be the last NF of a chain; it is at position ${i + 1} of ${nfs.length} on ${describe(addr)}`,
      );
    }
    if (nf.proceedMask !== undefined && !summary.hasProceedMask) {
      throw new ChainError(`NF "${nf.name}": object ${nf.object} has no nf_proceed_mask constant, so proceedOn cannot be set for it`);
    }
    for (const map of Object.keys(nf.maps ?? {})) {
      if (!summary.maps.some((m) => m.name === map)) {
        throw new ChainError(`NF "${nf.name}": object ${nf.object} has no map named "${map}"`);
      }
    }
    return summary;
  });
}

function nextGenerationNumber(observed: ObservedHook): number {
  const numbers = [observed.live, ...observed.stale].filter((g) => g !== undefined).map((g) => g!.number);
  return numbers.length === 0 ? 1 : Math.max(...numbers) + 1;
}

/** Removes the data maps of NFs that are not in `keep`. */
function pruneDataMaps(root: string, addr: HookAddress, keep: string[]): void {
  const paths = hookPaths(root, addr);
  for (const dir of listDirs(paths.maps)) {
    if (!keep.includes(decodeName(dir))) removeTree(paths.dataMaps(decodeName(dir)));
  }
}

function removeGenerationAndRecord(root: string, addr: HookAddress, number: number, records: RecordStore): void {
  removeGeneration(root, addr, number);
  records.delete(recordKey(addr, number));
}

/** What a map held before nfctl wrote it, to put back on failure. */
export interface MapSnapshot {
  nf: string;
  map: string;
  entries: MapEntry[];
}

export function snapshotMap(root: string, addr: HookAddress, nf: string, map: string): MapSnapshot {
  const { entries } = readDataMap(root, addr, nf, map);
  return { nf, map, entries: entries.map((e) => ({ key: e.key, value: e.values[0]! })) };
}

export function restoreMaps(root: string, addr: HookAddress, snapshots: MapSnapshot[]): void {
  for (const s of [...snapshots].reverse()) syncDataMap(root, addr, s.nf, s.map, s.entries);
}

function record(addr: HookAddress, ifindex: number, number: number, nfs: ChainNf[], summaries: ObjectSummary[], mode: XdpMode, attachment: Attachment, source: SwapOptions["source"]): GenerationRecord {
  return {
    formatVersion: RECORD_FORMAT_VERSION,
    netns: addr.netns,
    ifname: addr.ifname,
    ifindex,
    hook: addr.hook,
    generation: number,
    attachment,
    ...(addr.hook === "xdp" && { mode }),
    nfs: nfs.map((nf, i) => ({
      name: nf.name,
      object: nf.object,
      digest: summaries[i]!.digest,
      program: nf.program,
      ...(nf.version !== undefined && { version: nf.version }),
      ...(nf.proceedOn !== undefined && { proceedOn: nf.proceedOn }),
      ...(nf.proceedMask !== undefined && { proceedMask: nf.proceedMask }),
      ...(nf.mapsDigest !== undefined && { mapsDigest: nf.mapsDigest }),
    })),
    ...(source && { source }),
    createdAt: new Date().toISOString(),
  };
}

/**
 * Prepares making the hook `target` run exactly `nfs` (an empty list
 * empties it). Throws ChainError for bad input before any change, and
 * NativeError for kernel refusals after undoing what it had made.
 */
export function prepareChain(target: ChainTarget, nfs: ChainNf[], records: RecordStore, options: SwapOptions): HookChange {
  const { root } = options;
  const step = options.onStep ?? (() => undefined);
  const netns = currentNetns();
  const addr: HookAddress = { netns, ifname: target.ifname, hook: target.hook };
  const ifindex = findIfIndex(target.ifname);
  if (ifindex === undefined && nfs.length > 0) {
    throw new ChainError(`interface ${target.ifname} does not exist in network namespace ${netns}`);
  }
  const summaries = validate(addr, nfs, options.log);
  ensureRoot(root);
  const observed = observeHook(root, addr, records);
  const live = observed.live;
  const livePin = live && hookPaths(root, addr).generation(live.number).nf(0, live.nfs[0]!.name).prog;
  const mode = target.mode ?? "auto";
  const attachment = observed.attachment ?? target.attachment ?? "auto";
  const foreign = ifindex === undefined ? [] : observed.foreign;
  // A defunct link (its interface was deleted) or an XDP mode change needs
  // a new link; so does a hook nfctl has not attached yet.
  const reattach =
    observed.drift.some((d) => d.kind === "link-defunct") ||
    (addr.hook === "xdp" && observed.link !== undefined && live?.record?.mode !== undefined && live.record.mode !== mode);
  const needsNewLink = reattach || observed.attachedProgId === undefined;
  if (nfs.length > 0 && addr.hook === "xdp" && needsNewLink && foreign.length > 0 && !options.force) {
    const names = foreign.map((p) => `program ${p.id} (${p.name})`).join(", ");
    throw new ChainError(`${names} occupies the XDP hook of ${addr.ifname}; nfctl does not remove programs it did not attach unless --force is given`);
  }

  const removedStale = observed.stale.map((g) => g.number);
  for (const n of removedStale) {
    removeGenerationAndRecord(root, addr, n, records);
    step(`${describe(addr)}: removed stale generation ${n}`);
  }
  const removeForeign = () => {
    if (!options.force || ifindex === undefined) return;
    for (const p of foreign) {
      removeForeignProgram(addr, ifindex, p.id);
      step(`${describe(addr)}: removed foreign program ${p.id}`);
    }
  };

  if (nfs.length === 0) {
    const paths = hookPaths(root, addr);
    let detached = false;
    return {
      address: addr,
      commit() {
        detachFromHook(root, addr, observed.attachment ?? "link", ifindex);
        detached = true;
        step(`${describe(addr)}: detached`);
      },
      revert() {
        if (!detached || !livePin || ifindex === undefined) return;
        commitToHook(root, addr, { ifindex, program: { pin: livePin }, mode: live?.record?.mode ?? "auto", attachment: observed.attachment ?? "auto" });
      },
      finalize() {
        if (live) removeGenerationAndRecord(root, addr, live.number, records);
        removeTree(paths.maps);
        removeEmptyDirs(paths.dir, netnsDir(root, netns));
        removeEmptyDirs(netnsDir(root, netns), root);
        step(`${describe(addr)}: removed its pins`);
        return { address: addr, ...(live && { previous: live.number }), commit: live || observed.attachment ? "detached" : "none", removedStale };
      },
      abort() {},
    };
  }

  // After a failure, only the live chain's data maps (if any) stay pinned.
  const keepLiveDataMaps = () => {
    pruneDataMaps(root, addr, live ? live.nfs.map((nf) => nf.name) : []);
    removeEmptyDirs(hookPaths(root, addr).maps, root);
  };
  const number = nextGenerationNumber(observed);
  let built: BuiltGeneration;
  try {
    built = buildGeneration(root, addr, number, nfs, { onStep: (label) => step(`${describe(addr)}: ${label}`), log: options.log });
  } catch (err) {
    keepLiveDataMaps();
    throw err;
  }
  const snapshots: MapSnapshot[] = [];
  const key = recordKey(addr, number);
  const abort = () => {
    restoreMaps(root, addr, snapshots);
    built.discard();
    records.delete(key);
    keepLiveDataMaps();
  };
  let attached: Attachment = attachment === "tc-legacy" ? "tc-legacy" : "link";
  try {
    const liveNames = new Set(live?.nfs.map((nf) => nf.name) ?? []);
    for (const nf of nfs) {
      for (const [map, entries] of Object.entries(nf.maps ?? {})) {
        if (liveNames.has(nf.name)) snapshots.push(snapshotMap(root, addr, nf.name, map));
        syncDataMap(root, addr, nf.name, map, entries);
        step(`${describe(addr)}: wrote map ${map} of ${nf.name}`);
      }
    }
    records.put(key, record(addr, ifindex!, number, nfs, summaries, mode, attached, options.source));
    step(`${describe(addr)}: recorded generation ${number}`);
  } catch (err) {
    abort();
    throw err;
  }

  let committed = false;
  let oldDetached = false;
  return {
    address: addr,
    commit() {
      removeForeign();
      if (reattach) {
        detachFromHook(root, addr, "link", ifindex);
        oldDetached = true;
      }
      attached = commitToHook(root, addr, {
        ifindex: ifindex!,
        program: { pin: built.nfs[0]!.progPin },
        mode,
        attachment,
        ...(livePin && !reattach && { expected: { pin: livePin } }),
      });
      committed = true;
      step(`${describe(addr)}: committed generation ${number}`);
    },
    revert() {
      if (committed && (!livePin || reattach)) detachFromHook(root, addr, attached, ifindex);
      if (livePin && reattach && oldDetached) {
        commitToHook(root, addr, { ifindex: ifindex!, program: { pin: livePin }, mode: live?.record?.mode ?? "auto", attachment });
      } else if (livePin && committed) {
        commitToHook(root, addr, { ifindex: ifindex!, program: { pin: livePin }, mode, attachment: attached, expected: { pin: built.nfs[0]!.progPin } });
      }
      committed = false;
      oldDetached = false;
    },
    finalize() {
      const rec = records.get(key);
      if (rec && rec.attachment !== attached) records.put(key, { ...rec, attachment: attached });
      if (live) {
        removeGenerationAndRecord(root, addr, live.number, records);
        step(`${describe(addr)}: removed generation ${live.number}`);
      }
      pruneDataMaps(root, addr, nfs.map((nf) => nf.name));
      built.finalize();
      return {
        address: addr,
        generation: number,
        ...(live && { previous: live.number }),
        commit: reattach ? "reattached" : observed.attachedProgId !== undefined ? "updated" : "created",
        removedStale,
      };
    },
    abort,
  };
}

/**
 * Only removes the generations an interrupted run left on a hook (plans
 * whose execution is "cleanup"): nothing is loaded, nothing attached.
 */
export function prepareCleanup(target: ChainTarget, records: RecordStore, options: SwapOptions): HookChange {
  const addr: HookAddress = { netns: currentNetns(), ifname: target.ifname, hook: target.hook };
  const observed = observeHook(options.root, addr, records);
  const stale = observed.stale.map((g) => g.number);
  return {
    address: addr,
    commit() {},
    revert() {},
    finalize() {
      for (const n of stale) {
        removeGenerationAndRecord(options.root, addr, n, records);
        options.onStep?.(`${describe(addr)}: removed stale generation ${n}`);
      }
      return { address: addr, ...(observed.live && { generation: observed.live.number }), commit: "none", removedStale: stale };
    },
    abort() {},
  };
}

/**
 * Makes the hook `target` run exactly `nfs`, in order: prepare, commit and
 * finalize one hook. Returns what it did.
 */
export function setChain(target: ChainTarget, nfs: ChainNf[], options: SwapOptions): SwapResult {
  const records = openRecords(options.root);
  try {
    const change = prepareChain(target, nfs, records, options);
    try {
      change.commit();
    } catch (err) {
      change.abort();
      throw err;
    }
    return change.finalize();
  } finally {
    records.close();
  }
}
