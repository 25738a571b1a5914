/**
 * The swap: make one hook run exactly a given chain, in one atomic step.
 *
 * 1. Load every NF of a new generation beside the live one (data maps reused
 *    from their pins, a fresh nf_next each). On failure, unpin what was made;
 *    the live chain was never touched.
 * 2. Wire nf_next i -> i+1 and pin programs and nf_next maps.
 * 3. Write the caller's map entries and the generation's record.
 * 4. Commit: one bpf_link_update (or create and pin the link).
 * 5. Unpin the previous generation and its record.
 *
 * Generations that are neither live nor new are garbage of an interrupted
 * run and are removed first. An empty chain detaches the hook and removes
 * every pin of it.
 *
 * The caller holds the root's lock (lockRoot) around a swap.
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
  recordKey,
  removeEmptyDirs,
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
}

export interface SwapResult {
  address: HookAddress;
  /** The generation now live; undefined after emptying the hook. */
  generation?: number;
  previous?: number;
  /** "updated": one bpf_link_update; "created": a new link; "reattached": detached and attached again (XDP mode change). */
  commit: "created" | "updated" | "reattached" | "detached" | "none";
  removedStale: number[];
}

/** An error a user can cause: named, explained, and raised before any change. */
export class ChainError extends Error {
  override readonly name = "ChainError";
}

function describe(addr: HookAddress): string {
  return `${addr.ifname} ${addr.hook}`;
}

function validate(addr: HookAddress, nfs: ChainNf[]): ObjectSummary[] {
  const seen = new Set<string>();
  for (const nf of nfs) {
    if (seen.has(nf.name)) throw new ChainError(`NF name "${nf.name}" appears twice in the chain of ${describe(addr)}`);
    seen.add(nf.name);
  }
  return nfs.map((nf, i) => {
    let summary: ObjectSummary;
    try {
      summary = inspectObject(nf.object);
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

/**
 * Makes the hook `target` run exactly `nfs`, in order. Returns what it did.
 * Throws ChainError for bad input (before any change in the kernel) and
 * NativeError for kernel refusals (after undoing what it had made).
 */
export function setChain(target: ChainTarget, nfs: ChainNf[], options: SwapOptions): SwapResult {
  const { root } = options;
  const netns = currentNetns();
  const addr: HookAddress = { netns, ifname: target.ifname, hook: target.hook };
  const ifindex = findIfIndex(target.ifname);
  if (ifindex === undefined && nfs.length > 0) {
    throw new ChainError(`interface ${target.ifname} does not exist in network namespace ${netns}`);
  }
  const summaries = validate(addr, nfs);

  ensureRoot(root);
  const records = openRecords(root);
  try {
    const observed = observeHook(root, addr, records);
    const number = nextGenerationNumber(observed);
    const live = observed.live;
    const removedStale = observed.stale.map((g) => g.number);
    for (const n of removedStale) removeGenerationAndRecord(root, addr, n, records);

    if (nfs.length === 0) {
      detachFromHook(root, addr, observed.attachment ?? "link", ifindex);
      if (live) removeGenerationAndRecord(root, addr, live.number, records);
      const paths = hookPaths(root, addr);
      removeTree(paths.maps);
      removeEmptyDirs(paths.dir, netnsDir(root, netns));
      removeEmptyDirs(netnsDir(root, netns), root);
      return { address: addr, ...(live && { previous: live.number }), commit: live || observed.attachment ? "detached" : "none", removedStale };
    }

    // After a failure, only the live chain's data maps (if any) stay pinned.
    const keepLiveDataMaps = () => {
      pruneDataMaps(root, addr, live ? live.nfs.map((nf) => nf.name) : []);
      removeEmptyDirs(hookPaths(root, addr).maps, root);
    };
    let built: BuiltGeneration;
    try {
      built = buildGeneration(root, addr, number, nfs);
    } catch (err) {
      keepLiveDataMaps();
      throw err;
    }
    try {
      try {
        for (const nf of nfs) {
          for (const [map, entries] of Object.entries(nf.maps ?? {})) syncDataMap(root, addr, nf.name, map, entries);
        }
        const mode = target.mode ?? "auto";
        const attachment = observed.attachment ?? target.attachment ?? "auto";
        const record: GenerationRecord = {
          formatVersion: RECORD_FORMAT_VERSION,
          netns,
          ifname: addr.ifname,
          ifindex: ifindex!,
          hook: addr.hook,
          generation: number,
          attachment: attachment === "tc-legacy" ? "tc-legacy" : "link",
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
          ...(options.source && { source: options.source }),
          createdAt: new Date().toISOString(),
        };
        records.put(recordKey(addr, number), record);

        // A defunct link (its interface was deleted) or an XDP mode change
        // needs a new link; everything else is one bpf_link_update.
        const reattach =
          observed.drift.some((d) => d.kind === "link-defunct") ||
          (addr.hook === "xdp" && observed.link !== undefined && live?.record?.mode !== undefined && live.record.mode !== mode);
        if (reattach) detachFromHook(root, addr, "link", ifindex);
        const attached = commitToHook(root, addr, {
          ifindex: ifindex!,
          progFd: built.nfs[0]!.progFd,
          mode,
          attachment: record.attachment === "tc-legacy" ? "tc-legacy" : attachment,
          ...(live && !reattach && { expectedProgPin: hookPaths(root, addr).generation(live.number).nf(0, live.nfs[0]!.name).prog }),
        });
        if (attached !== record.attachment) records.put(recordKey(addr, number), { ...record, attachment: attached });
        const commitKind = reattach ? "reattached" : observed.link || observed.attachment === "tc-legacy" ? "updated" : "created";

        if (live) removeGenerationAndRecord(root, addr, live.number, records);
        pruneDataMaps(root, addr, nfs.map((nf) => nf.name));
        return { address: addr, generation: number, ...(live && { previous: live.number }), commit: commitKind, removedStale };
      } catch (err) {
        built.discard();
        records.delete(recordKey(addr, number));
        keepLiveDataMaps();
        throw err;
      }
    } finally {
      built.close();
    }
  } finally {
    records.close();
  }
}
