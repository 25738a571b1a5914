/**
 * setChain: make one hook run exactly a given chain, now, without a config
 * file. It checks the chain rules, observes the hook, makes the one-hook
 * plan of a new generation (or of emptying the hook) and runs it through
 * the executor, so it takes the same path as `nfctl apply`. Tests,
 * benchmarks and the lab use it to build chains directly.
 *
 * @example
 *     setChain({ ifname: "eth1", hook: "xdp" }, [{ name: "c", object: "/bpf/counter.o", program: "xdp_counter" }], { root });
 */
import {
  ensureRoot,
  currentNetns,
  findIfIndex,
  inspectObject,
  observeHook,
  openRecords,
  readStateMeta,
  type Attachment,
  type Hook,
  type MapEntry,
  type ObjectSummary,
  type XdpMode,
} from "../state/index.js";
import { duplicateNames, proceedOnAllowed, programProblem, unawareNotLast } from "./chain-rules.js";
import { ApplyError, executePlan } from "./execute.js";
import { describeHook, type HookOutcome } from "./changes/hook-change.js";
import { buildCommitKind, nextGenerationNumber, precondition } from "./planner.js";
import { buildsGeneration, hookId, needsNewLink, plannedEntries, summarize, PLAN_FORMAT_VERSION, type HookPlan, type Plan, type PlannedNf } from "./plan.js";

export interface ChainNf {
  /** The NF's name in the chain; names its data maps. */
  name: string;
  /** Absolute path of the ELF object. */
  object: string;
  program: string;
  /** Written to nf_proceed_mask before load; undefined leaves the object's default. */
  proceedMask?: number;
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
  /** How a TC chain attaches when the hook has nothing yet; "auto" prefers TCX. "tc-legacy" forces clsact. */
  attachment?: Attachment | "auto";
}

export interface SetChainOptions {
  root: string;
  source?: { path?: string; revision?: string };
  /** Remove programs other tools attached to the hook (nfctl --force). */
  force?: boolean;
  /** Called after every step that changes bpffs or the kernel (see test-hooks.ts). */
  onStep?: (label: string) => void;
}

/** An error a user can cause: named, explained, and raised before any change. */
export class ChainError extends Error {
  override readonly name = "ChainError";
}

/** The chain rules, as ChainError before any change. */
function check(target: ChainTarget, nfs: ChainNf[]): ObjectSummary[] {
  const twice = duplicateNames(nfs.map((nf) => nf.name))[0];
  if (twice) throw new ChainError(`NF name "${nfs[twice.index]!.name}" appears twice in the chain of ${describeHook(target)}`);
  const summaries = nfs.map((nf) => {
    let summary: ObjectSummary;
    try {
      summary = inspectObject(nf.object);
    } catch (err) {
      throw new ChainError(`NF "${nf.name}": cannot open object ${nf.object}: ${(err as Error).message}`);
    }
    // The program's type is checked by the loader, with the section it came from.
    if (programProblem(summary.programs, nf.program, target.hook)?.problem === "missing") {
      const have = summary.programs.map((p) => p.name).join(", ") || "none";
      throw new ChainError(`NF "${nf.name}": object ${nf.object} has no program named "${nf.program}" (it has: ${have})`);
    }
    if (!proceedOnAllowed(summary.hasProceedMask, nf.proceedMask !== undefined)) {
      throw new ChainError(`NF "${nf.name}": object ${nf.object} has no nf_proceed_mask constant, so proceedOn cannot be set for it`);
    }
    for (const map of Object.keys(nf.maps ?? {})) {
      if (!summary.maps.some((m) => m.name === map)) throw new ChainError(`NF "${nf.name}": object ${nf.object} has no map named "${map}"`);
    }
    return summary;
  });
  const unaware = unawareNotLast(summaries)[0];
  if (unaware !== undefined) {
    const nf = nfs[unaware]!;
    throw new ChainError(
      `NF "${nf.name}" (${nf.object}) is chain-unaware (it has no nf_next map), so it can only be the last NF of a chain; it is at position ${unaware + 1} of ${nfs.length} on ${describeHook(target)}`,
    );
  }
  return summaries;
}

function plannedNf(nf: ChainNf, summary: ObjectSummary): PlannedNf {
  return {
    name: nf.name,
    object: nf.object,
    digest: summary.digest,
    program: nf.program,
    chainAware: summary.chainAware,
    ...(nf.proceedMask !== undefined && { proceedMask: nf.proceedMask }),
    ...(nf.proceedOn !== undefined && { proceedOn: nf.proceedOn }),
    ...(nf.version !== undefined && { version: nf.version }),
    mapsDigest: nf.mapsDigest ?? "",
    maps: Object.entries(nf.maps ?? {}).map(([name, entries]) => ({
      name,
      entries: plannedEntries(entries),
    })),
  };
}

/** Makes the hook `target` run exactly `nfs`, in order (none: empties it). Returns what it did. */
export function setChain(target: ChainTarget, nfs: ChainNf[], options: SetChainOptions): HookOutcome {
  const { root } = options;
  const netns = currentNetns();
  if (nfs.length > 0 && findIfIndex(target.ifname) === undefined) {
    throw new ChainError(`interface ${target.ifname} does not exist in network namespace ${netns}`);
  }
  const summaries = check(target, nfs);
  ensureRoot(root);
  const records = openRecords(root);
  let observed;
  let state;
  try {
    observed = observeHook(root, { netns, ifname: target.ifname, hook: target.hook }, records);
    state = readStateMeta(records);
  } finally {
    records.close();
  }
  const mode = target.mode ?? "auto";
  const managed = observed.live !== undefined || observed.stale.length > 0 || observed.attachment !== undefined;
  const commit = nfs.length === 0 ? (managed ? "detach" : "none") : buildCommitKind(target.hook, observed, mode);
  const foreign = nfs.length > 0 ? observed.foreign : [];
  if (target.hook === "xdp" && needsNewLink(commit) && foreign.length > 0 && !options.force) {
    const names = foreign.map((p) => `program ${p.id} (${p.name})`).join(", ");
    throw new ChainError(`${names} occupies the XDP hook of ${target.ifname}; nfctl does not remove programs it did not attach unless --force is given`);
  }
  const builds = buildsGeneration(commit);
  const hook: HookPlan = {
    id: hookId(target.ifname, target.hook),
    ifname: target.ifname,
    hook: target.hook,
    ...(target.hook === "xdp" && nfs.length > 0 && { mode }),
    attachment: observed.attachment ?? target.attachment ?? "auto",
    ...(observed.live && { generation: observed.live.number }),
    ...(builds && { nextGeneration: nextGenerationNumber(observed) }),
    before: observed.live?.nfs.map((nf) => nf.name) ?? [],
    after: nfs.map((nf) => nf.name),
    commit,
    precondition: precondition(observed),
    chain: nfs.map((nf, i) => plannedNf(nf, summaries[i]!)),
    removeForeign: options.force ? foreign : [],
    actions: [],
    warnings: [],
  };
  const plan: Plan = {
    formatVersion: PLAN_FORMAT_VERSION,
    netns,
    force: options.force === true,
    ...(options.source && { source: options.source }),
    ...(state && { state }),
    hooks: [hook],
    blockers: [],
    summary: summarize([hook]),
  };
  if (commit === "none") return { ifname: target.ifname, hook: target.hook, commit: "none", removedStale: [] };
  try {
    return executePlan(plan, { root, ...(options.onStep && { onStep: options.onStep }) }).hooks[0]!;
  } catch (err) {
    // One hook: undone completely, the cause is the whole story.
    if (err instanceof ApplyError && err.rollbackFailures.length === 0) throw err.cause;
    throw err;
  }
}
