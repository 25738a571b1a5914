/**
 * The planner: a pure function from what the config asks for and what the
 * kernel runs to the Plan that turns one into the other. No I/O.
 *
 * @example
 *     const plan = planChanges(desired, observed, mapContents);
 *     if (isEmptyPlan(plan)) console.log("No changes.");
 */
import {
  compareHooks,
  MapType,
  type Hook,
  type MapEntry,
  type MapSpec,
  type ObservedHook,
  type ObservedState,
  type NfRecord,
  type XdpMode,
} from "../state/index.js";
import { EMPTY_DESIRED, type DesiredHook, type DesiredMap, type DesiredNf, type DesiredState } from "./desired.js";
import { formatMapEntries } from "./config/map-values.js";
import { limitToScope } from "./scope.js";
import {
  buildsGeneration,
  hookId,
  needsNewLink,
  plannedEntries,
  PLAN_FORMAT_VERSION,
  summarize,
  type Action,
  type Blocker,
  type CommitKind,
  type HookId,
  type HookPlan,
  type MapChange,
  type NfChange,
  type Plan,
  type PlannedMap,
  type PlannedNf,
  type Precondition,
  type Reason,
  type Warning,
} from "./plan.js";

/** Contents of the live data maps the config sets, read from the kernel: hook -> NF -> map -> entries. */
export type ObservedMapContents = ReadonlyMap<HookId, Readonly<Record<string, Readonly<Record<string, MapEntry[]>>>>>;

export interface PlanOptions {
  /** Remove programs other tools attached to managed hooks (nfctl --force). */
  force?: boolean;
  /** Plan for these interfaces only (--interface): every other interface is left as it is (scope.ts). */
  interfaces?: string[];
}

/** Orders entries by key bytes, then value bytes. */
function byBytes(a: MapEntry, b: MapEntry): number {
  return Buffer.compare(a.key, b.key) || Buffer.compare(a.value, b.value);
}

/**
 * Whether two maps hold the same entries, in any order. Compared as bytes:
 * hex text of both sides' every entry was over half the time of a plan
 * that changes nothing (bench/planner.ts); text is for maps that differ.
 */
function sameEntries(a: readonly MapEntry[], b: readonly MapEntry[]): boolean {
  if (a.length !== b.length) return false;
  // In the same order (an array map, a config compared with itself) there is nothing to sort.
  if (a.every((entry, i) => byBytes(entry, b[i]!) === 0)) return true;
  const x = [...a].sort(byBytes);
  const y = [...b].sort(byBytes);
  return x.every((entry, i) => byBytes(entry, y[i]!) === 0);
}

function updateChanges(nf: DesiredNf, record: NfRecord): NfChange[] {
  const changes: NfChange[] = [];
  if (record.digest !== nf.digest)
    changes.push({
      field: "digest",
      from: record.digest,
      to: nf.digest,
      objectFrom: record.object,
      objectTo: nf.object,
      ...(record.origin && { originFrom: record.origin }),
      ...(nf.origin && { originTo: nf.origin }),
    });
  if (record.program !== nf.program) changes.push({ field: "program", from: record.program, to: nf.program });
  if (record.version !== nf.version)
    changes.push({ field: "version", ...(record.version !== undefined && { from: record.version }), ...(nf.version !== undefined && { to: nf.version }) });
  if (record.proceedMask !== nf.proceedMask) {
    changes.push({
      field: "proceedOn",
      ...(record.proceedOn !== undefined && { from: record.proceedOn }),
      ...(record.proceedMask !== undefined && { fromMask: record.proceedMask }),
      ...(nf.proceedOn !== undefined && { to: nf.proceedOn }),
      ...(nf.proceedMask !== undefined && { toMask: nf.proceedMask }),
    });
  }
  return changes;
}

function stopReason(name: string, desired: DesiredHook | undefined, interfaceInConfig: boolean): Reason {
  if (!desired) return { code: interfaceInConfig ? "hook-not-in-config" : "interface-not-in-config" };
  return { code: desired.chain.some((nf) => nf.name === name && !nf.enabled) ? "disabled-in-config" : "removed-from-config" };
}

/** An array map always holds every index; an index holding zeros counts as absent. */
function normalize(spec: MapSpec, entries: readonly MapEntry[]): MapEntry[] {
  if (spec.type !== MapType.ARRAY && spec.type !== MapType.PERCPU_ARRAY) return [...entries];
  return entries.filter((e) => e.value.some((byte) => byte !== 0));
}

/** The maps of `nf` whose contents apply changes; `observed` is undefined for an NF not yet running. */
function changedMaps(nf: DesiredNf, observed: Readonly<Record<string, MapEntry[]>> | undefined): Array<{ map: DesiredMap; change: MapChange }> {
  return nf.maps.flatMap((map) => {
    if (!observed && map.entries.length === 0) return [];
    const before = normalize(map.spec, observed?.[map.name] ?? []);
    const after = normalize(map.spec, map.entries);
    if (observed && sameEntries(before, after)) return [];
    return [{ map, change: { map: map.name, before: formatMapEntries(map.spec, before), after: formatMapEntries(map.spec, after) } }];
  });
}

function plannedMap(map: DesiredMap): PlannedMap {
  return { name: map.name, entries: plannedEntries(map.entries) };
}

function plannedNf(nf: DesiredNf, maps: DesiredMap[]): PlannedNf {
  return {
    name: nf.name,
    object: nf.object,
    digest: nf.digest,
    ...(nf.origin && { origin: nf.origin }),
    program: nf.program,
    chainAware: nf.chainAware,
    ...(nf.proceedMask !== undefined && { proceedMask: nf.proceedMask }),
    ...(nf.proceedOn !== undefined && { proceedOn: nf.proceedOn }),
    ...(nf.version !== undefined && { version: nf.version }),
    mapsDigest: nf.mapsDigest,
    maps: maps.map(plannedMap),
  };
}

/**
 * How a hook that is to run `wanted` NFs after `actions` is committed. A
 * defunct link (its interface was deleted) or an XDP mode change needs a
 * new link; so does a hook nfctl has not attached yet.
 */
function commitKind(hook: Hook, wanted: number, observed: ObservedHook | undefined, mode: XdpMode, actions: Action[]): CommitKind {
  const managed = observed !== undefined && (observed.live !== undefined || observed.stale.length > 0 || observed.attachment !== undefined);
  if (wanted === 0) return managed ? "detach" : "none";
  if (actions.length === 0) return "none";
  if (actions.every((a) => a.reason.code === "stale-generation")) return "cleanup";
  if (actions.every((a) => a.kind === "reconfigure")) return "in-place";
  return buildCommitKind(hook, observed, mode);
}

/** How a new generation is committed to a hook: a new link, an update of the link, or detach and attach again. */
export function buildCommitKind(hook: Hook, observed: ObservedHook | undefined, mode: XdpMode): "create" | "update" | "reattach" {
  const liveMode = observed?.live?.record?.mode;
  const defunct = observed?.drift.some((d) => d.kind === "link-defunct") ?? false;
  if (defunct || (hook === "xdp" && observed?.link !== undefined && liveMode !== undefined && liveMode !== mode)) return "reattach";
  return observed?.attachedProgId === undefined ? "create" : "update";
}

export function precondition(observed: ObservedHook | undefined): Precondition {
  const live = observed?.live;
  const firstProgId = live?.nfs[0]?.progId;
  return {
    ...(observed?.ifindex !== undefined && { ifindex: observed.ifindex }),
    ...(live && { generation: live.number }),
    ...(firstProgId !== undefined && { firstProgId }),
    ...(observed?.link && { linkId: observed.link.id }),
    ...(observed?.drift.some((d) => d.kind === "link-defunct") && { linkDefunct: true as const }),
    stale: observed?.stale.map((g) => g.number) ?? [],
  };
}

export function nextGenerationNumber(observed: ObservedHook | undefined): number {
  const numbers = [...(observed?.live ? [observed.live.number] : []), ...(observed?.stale ?? []).map((g) => g.number)];
  return numbers.length === 0 ? 1 : Math.max(...numbers) + 1;
}

function planHook(
  ifname: string,
  hook: Hook,
  desired: DesiredHook | undefined,
  observed: ObservedHook | undefined,
  contents: ObservedMapContents,
  interfaceInConfig: boolean,
  options: PlanOptions,
): { plan: HookPlan; blockers: Blocker[] } {
  const id = hookId(ifname, hook);
  const wanted = desired?.chain.filter((nf) => nf.enabled) ?? [];
  const live = observed?.live;
  const liveNames = live?.nfs.map((nf) => nf.name) ?? [];
  const wantedNames = wanted.map((nf) => nf.name);
  const records = new Map((live?.record?.nfs ?? []).map((r) => [r.name, r]));
  const liveMaps = contents.get(id) ?? {};
  const mode = desired?.mode ?? "auto";
  const actions: Action[] = [];
  const inPlace: PlannedNf[] = [];

  for (const name of liveNames.filter((n) => !wantedNames.includes(n))) {
    actions.push({ kind: "stop", nf: name, reason: stopReason(name, desired, interfaceInConfig) });
  }
  for (const nf of wanted) {
    if (!liveNames.includes(nf.name)) {
      const maps = changedMaps(nf, undefined).map((m) => m.change);
      actions.push({ kind: "start", nf: nf.name, reason: { code: live ? "added-to-chain" : "not-running" }, ...(maps.length > 0 && { maps }) });
      continue;
    }
    const record = records.get(nf.name);
    const changes = record ? updateChanges(nf, record) : [];
    if (changes.length > 0) actions.push({ kind: "update", nf: nf.name, reason: { code: "nf-changed" }, changes });
    const maps = changedMaps(nf, liveMaps[nf.name] ?? {});
    if (maps.length > 0) {
      actions.push({ kind: "reconfigure", nf: nf.name, reason: { code: "maps-differ" }, maps: maps.map((m) => m.change) });
      inPlace.push(
        plannedNf(
          nf,
          maps.map((m) => m.map),
        ),
      );
    }
  }
  const common = (names: string[], other: string[]) => names.filter((n) => other.includes(n));
  if (common(liveNames, wantedNames).join("\0") !== common(wantedNames, liveNames).join("\0")) {
    actions.push({ kind: "reorder", reason: { code: "order-changed" } });
  }
  const liveMode = live?.record?.mode;
  if (hook === "xdp" && wanted.length > 0 && liveMode !== undefined && liveMode !== mode) {
    actions.push({ kind: "update", reason: { code: "mode-changed", from: liveMode, to: mode } });
  }
  for (const drift of observed?.drift ?? []) {
    if (drift.kind !== "foreign-program" && drift.kind !== "interface-missing") actions.push({ kind: "repair", reason: { code: "drift", drift } });
  }
  for (const stale of observed?.stale ?? []) {
    actions.push({ kind: "repair", reason: { code: "stale-generation", generation: stale.number } });
  }
  const foreign = wanted.length > 0 ? (observed?.foreign ?? []) : [];
  if (options.force) {
    for (const program of foreign) actions.push({ kind: "repair", reason: { code: "foreign-program", program } });
  }

  const commit = commitKind(hook, wanted.length, observed, mode, actions);
  // A new XDP link cannot be created while another program holds the hook.
  const blocksApply = hook === "xdp" && needsNewLink(commit) && foreign.length > 0;
  const warnings: Warning[] = options.force ? [] : foreign.map((program) => ({ code: "foreign-program", program, ifname, hook, blocksApply }));
  const blockers: Blocker[] = blocksApply && !options.force ? [{ code: "foreign-program-occupies-hook", programs: foreign, ifname, hook }] : [];
  const builds = buildsGeneration(commit);
  const plan: HookPlan = {
    id,
    ifname,
    hook,
    ...(hook === "xdp" && wanted.length > 0 && { mode }),
    attachment: observed?.attachment ?? "auto",
    ...(live && { generation: live.number }),
    ...(builds && { nextGeneration: nextGenerationNumber(observed) }),
    before: liveNames,
    after: wantedNames,
    commit,
    precondition: precondition(observed),
    chain: builds ? wanted.map((nf) => plannedNf(nf, nf.maps)) : commit === "in-place" ? inPlace : [],
    removeForeign: options.force ? foreign : [],
    actions,
    warnings,
  };
  return { plan, blockers };
}

/**
 * Plans the changes that make `observed` match `desired`. Hooks in the
 * kernel that the config no longer names are emptied; nfctl only ever
 * touches hooks it manages. With `options.interfaces`, only hooks of those
 * interfaces are planned, and the plan records that scope.
 */
export function planChanges(desired: DesiredState, observed: ObservedState, contents: ObservedMapContents = new Map(), options: PlanOptions = {}): Plan {
  if (options.interfaces) ({ desired, observed } = limitToScope(options.interfaces, desired, observed));
  const desiredById = new Map(desired.hooks.map((h) => [hookId(h.ifname, h.hook), h]));
  const observedById = new Map(observed.hooks.map((h) => [hookId(h.address.ifname, h.address.hook), h]));
  const interfaces = new Set(desired.hooks.map((h) => h.ifname));
  const addresses = new Map<HookId, { ifname: string; hook: Hook }>();
  for (const h of [...desired.hooks, ...observed.hooks.map((o) => o.address)]) addresses.set(hookId(h.ifname, h.hook), { ifname: h.ifname, hook: h.hook });
  const planned = [...addresses.entries()]
    .sort(([, a], [, b]) => compareHooks(a, b))
    .map(([id, { ifname, hook }]) => planHook(ifname, hook, desiredById.get(id), observedById.get(id), contents, interfaces.has(ifname), options));
  const hooks = planned.map((p) => p.plan);
  return {
    formatVersion: PLAN_FORMAT_VERSION,
    netns: observed.netns,
    force: options.force === true,
    ...(desired.source && { source: desired.source }),
    ...(observed.state && { state: observed.state }),
    ...(options.interfaces && { scope: { interfaces: options.interfaces } }),
    hooks,
    blockers: planned.flatMap((p) => p.blockers),
    summary: summarize(hooks),
  };
}

/** The plan that empties every managed hook, or those of one interface. */
export function planDestroy(observed: ObservedState, ifname?: string): Plan {
  const plan = planChanges(EMPTY_DESIRED, observed);
  const reason: Reason = { code: "destroy", ...(ifname !== undefined && { interface: ifname }) };
  const hooks = plan.hooks
    .filter((h) => ifname === undefined || h.ifname === ifname)
    .map((h) => ({ ...h, actions: h.actions.map((a) => (a.kind === "stop" ? { ...a, reason } : a)) }));
  return { ...plan, hooks, summary: summarize(hooks) };
}
