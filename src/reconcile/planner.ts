/**
 * The planner: a pure function from what the config asks for and what the
 * kernel runs to the Plan that turns one into the other. No I/O.
 *
 * @example
 *     const plan = planChanges(desired, observed, mapContents);
 *     if (isEmptyPlan(plan)) console.log("No changes.");
 */
import { compareHooks, MapType, type Hook, type MapEntry, type MapSpec, type ObservedHook, type ObservedState, type NfRecord } from "../state/index.js";
import type { DesiredHook, DesiredNf, DesiredState } from "./desired.js";
import { formatMapEntries } from "./config/map-values.js";
import { PLAN_FORMAT_VERSION, summarize, type Action, type Execution, type HookPlan, type MapChange, type Plan } from "./plan.js";

/** Contents of live data maps the config sets, read from the kernel; see mapContentsKey. */
export type ObservedMapContents = Record<string, MapEntry[]>;

export function mapContentsKey(ifname: string, hook: Hook, nf: string, map: string): string {
  return `${ifname}/${hook}/${nf}/${map}`;
}

function hookKey(ifname: string, hook: Hook): string {
  return `${ifname}/${hook}`;
}

function short(digest: string): string {
  return `${digest.slice(0, 12)}…`;
}

function sameEntries(a: MapEntry[], b: MapEntry[]): boolean {
  const text = (entries: MapEntry[]) =>
    entries
      .map((e) => `${e.key.toString("hex")}=${e.value.toString("hex")}`)
      .sort()
      .join(",");
  return text(a) === text(b);
}

function updateChanges(nf: DesiredNf, record: NfRecord): string[] {
  const changes: string[] = [];
  if (record.digest !== nf.digest) {
    const path = record.object === nf.object ? "" : ` (${record.object} -> ${nf.object})`;
    changes.push(`object sha256 ${short(record.digest)} -> ${short(nf.digest)}${path}`);
  }
  if (record.program !== nf.program) changes.push(`program ${record.program} -> ${nf.program}`);
  if (record.version !== nf.version) changes.push(`version ${record.version ?? "(none)"} -> ${nf.version ?? "(none)"}`);
  if (record.proceedMask !== nf.proceedMask) {
    const names = (list: string[] | undefined, mask: number | undefined) => (list ? `[${list.join(", ")}]` : mask === undefined ? "(none)" : "[pass]");
    changes.push(`proceedOn ${names(record.proceedOn, record.proceedMask)} -> ${names(nf.proceedOn, nf.proceedMask)}`);
  }
  return changes;
}

function stopReason(name: string, desired: DesiredHook | undefined, interfaceInConfig: boolean): string {
  if (!desired) return interfaceInConfig ? "hook no longer in the config" : "interface no longer in the config";
  return desired.chain.some((nf) => nf.name === name && !nf.enabled) ? "disabled in the config" : "removed from the config";
}

/** An array map always holds every index; an index holding zeros counts as absent. */
function normalize(spec: MapSpec, entries: MapEntry[]): MapEntry[] {
  if (spec.type !== MapType.ARRAY && spec.type !== MapType.PERCPU_ARRAY) return entries;
  return entries.filter((e) => e.value.some((byte) => byte !== 0));
}

function mapChanges(nf: DesiredNf, ifname: string, hook: Hook, contents: ObservedMapContents, live: boolean): MapChange[] {
  return nf.maps.flatMap((map) => {
    if (!live && map.entries.length === 0) return [];
    const observed = normalize(map.spec, live ? (contents[mapContentsKey(ifname, hook, nf.name, map.name)] ?? []) : []);
    const wanted = normalize(map.spec, map.entries);
    if (live && sameEntries(observed, wanted)) return [];
    return [{ map: map.name, before: formatMapEntries(map.spec, observed), after: formatMapEntries(map.spec, wanted) }];
  });
}

function execution(wanted: DesiredNf[], observed: ObservedHook | undefined, actions: Action[]): Execution {
  const managed = observed !== undefined && (observed.live !== undefined || observed.stale.length > 0 || observed.attachment !== undefined);
  if (wanted.length === 0) return managed ? "detach" : "none";
  if (actions.length > 0 && actions.every((a) => a.kind === "repair" && a.generation !== undefined)) return "cleanup";
  if (actions.some((a) => a.kind !== "reconfigure")) return "swap";
  return actions.length > 0 ? "in-place" : "none";
}

export interface PlanOptions {
  /** Remove programs other tools attached to managed hooks (nfctl --force). */
  force?: boolean;
}

function planHook(
  ifname: string,
  hook: Hook,
  desired: DesiredHook | undefined,
  observed: ObservedHook | undefined,
  contents: ObservedMapContents,
  interfaceInConfig: boolean,
  options: PlanOptions,
): HookPlan {
  const wanted = desired?.chain.filter((nf) => nf.enabled) ?? [];
  const live = observed?.live;
  const liveNames = live?.nfs.map((nf) => nf.name) ?? [];
  const wantedNames = wanted.map((nf) => nf.name);
  const record = (name: string) => live?.record?.nfs.find((nf) => nf.name === name);
  const actions: Action[] = [];

  for (const name of liveNames.filter((n) => !wantedNames.includes(n))) {
    actions.push({ kind: "stop", nf: name, reason: stopReason(name, desired, interfaceInConfig) });
  }
  for (const nf of wanted) {
    if (!liveNames.includes(nf.name)) {
      const maps = mapChanges(nf, ifname, hook, contents, false);
      actions.push({ kind: "start", nf: nf.name, reason: live ? "added to the chain" : "in the config, not running", ...(maps.length > 0 && { maps }) });
      continue;
    }
    const rec = record(nf.name);
    const changes = rec ? updateChanges(nf, rec) : [];
    if (changes.length > 0) actions.push({ kind: "update", nf: nf.name, reason: "the NF changed", changes });
    const maps = mapChanges(nf, ifname, hook, contents, true);
    if (maps.length > 0) actions.push({ kind: "reconfigure", nf: nf.name, reason: "map contents differ from the config", maps });
  }
  const common = (names: string[], other: string[]) => names.filter((n) => other.includes(n));
  if (common(liveNames, wantedNames).join(",") !== common(wantedNames, liveNames).join(",")) {
    actions.push({ kind: "reorder", reason: "the order of the chain changed" });
  }
  const liveMode = live?.record?.mode;
  if (hook === "xdp" && wanted.length > 0 && liveMode !== undefined && liveMode !== (desired?.mode ?? "auto")) {
    actions.push({ kind: "update", reason: `XDP mode ${liveMode} -> ${desired?.mode ?? "auto"}: the chain is attached again, which is not atomic` });
  }
  for (const drift of observed?.drift ?? []) {
    if (drift.kind !== "foreign-program" && drift.kind !== "interface-missing") actions.push({ kind: "repair", reason: drift.message });
  }
  for (const stale of observed?.stale ?? []) {
    actions.push({ kind: "repair", reason: `generation ${stale.number} was left behind by an interrupted run`, generation: stale.number });
  }
  const foreign = wanted.length > 0 ? (observed?.foreign ?? []) : [];
  if (options.force) {
    for (const p of foreign) actions.push({ kind: "repair", reason: `program ${p.id} (${p.name}) was not attached by nfctl; --force removes it` });
  }
  const blocks = hook === "xdp" && (live === undefined || observed?.drift.some((d) => d.kind === "link-defunct"));
  const warnings = options.force
    ? []
    : foreign.map((p) =>
        blocks
          ? `program ${p.id} (${p.name}) on ${ifname} ${hook} was not attached by nfctl and occupies the hook; nfctl leaves it alone, so apply will fail unless run with --force`
          : `program ${p.id} (${p.name}) on ${ifname} ${hook} was not attached by nfctl; it is left alone (--force removes it)`,
      );

  return {
    ifname,
    hook,
    ...(hook === "xdp" && wanted.length > 0 && { mode: desired?.mode ?? "auto" }),
    ...(live && { generation: live.number }),
    before: liveNames,
    after: wantedNames,
    execution: execution(wanted, observed, actions),
    actions,
    warnings,
  };
}

/**
 * Plans the changes that make `observed` match `desired`. Hooks in the
 * kernel that the config no longer names are emptied; nfctl only ever
 * touches hooks it manages.
 */
export function planChanges(desired: DesiredState, observed: ObservedState, contents: ObservedMapContents, options: PlanOptions = {}): Plan {
  const desiredByKey = new Map(desired.hooks.map((h) => [hookKey(h.ifname, h.hook), h]));
  const observedByKey = new Map(observed.hooks.map((h) => [hookKey(h.address.ifname, h.address.hook), h]));
  const interfaces = new Set(desired.hooks.map((h) => h.ifname));
  const addresses = [...desired.hooks, ...observed.hooks.map((h) => h.address)]
    .filter((a, i, all) => all.findIndex((b) => hookKey(b.ifname, b.hook) === hookKey(a.ifname, a.hook)) === i)
    .sort(compareHooks);
  const hooks = addresses.map(({ ifname, hook }) =>
    planHook(ifname, hook, desiredByKey.get(hookKey(ifname, hook)), observedByKey.get(hookKey(ifname, hook)), contents, interfaces.has(ifname), options),
  );
  return { formatVersion: PLAN_FORMAT_VERSION, netns: observed.netns, hooks, summary: summarize(hooks) };
}
