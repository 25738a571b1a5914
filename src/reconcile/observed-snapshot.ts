/**
 * A host's status (`nfctl status -o json` taken there) back into what the
 * planner compares a config with: the ObservedState and the contents of
 * the data maps the config sets. With it, `nfctl plan --offline --observed
 * FILE` plans for that host anywhere, unprivileged, and makes the plan a
 * live `nfctl plan` on the host would make (the same actions, commit
 * kinds, preconditions, lineage and serial), as gather.ts would observe.
 *
 * Pure: no kernel, no files.
 *
 * @example
 *     const { observed, contents } = observationFromStatus(report, desired);
 *     planChanges(desired, observed, contents); // the host's plan
 */
import { RECORD_FORMAT_VERSION, type GenerationRecord, type MapEntry, type ObservedHook, type ObservedState } from "../state/index.js";
import type { DesiredState } from "./desired.js";
import type { Observation } from "./gather.js";
import { hookId, type HookId } from "./plan.js";
import type { HookStatus, MapStatus, StatusReport } from "./status.js";

function entries(map: MapStatus): MapEntry[] {
  return map.entries.map((e) => ({ key: Buffer.from(e.key, "hex"), value: Buffer.from(e.value, "hex") }));
}

/** The live generation's record, as far as the status holds it; absent where the kernel had none (drift "record-missing"). */
function record(netns: number, h: HookStatus): GenerationRecord | undefined {
  if (h.generation === undefined || h.drift.some((d) => d.kind === "record-missing" && d.generation === h.generation)) return undefined;
  return {
    formatVersion: RECORD_FORMAT_VERSION,
    netns,
    ifname: h.ifname,
    ifindex: h.ifindex ?? 0,
    hook: h.hook,
    generation: h.generation,
    attachment: h.attachment ?? "link",
    ...(h.mode && { mode: h.mode }),
    // The status gives the record of each NF that is pinned; the planner looks up no other.
    nfs: h.nfs.flatMap((nf) =>
      nf.digest === undefined || nf.object === undefined || nf.program === undefined
        ? []
        : [
            {
              name: nf.name,
              object: nf.object,
              digest: nf.digest,
              ...(nf.origin && { origin: nf.origin }),
              program: nf.program,
              ...(nf.progId !== undefined && { progId: nf.progId }),
              ...(nf.version !== undefined && { version: nf.version }),
              ...(nf.proceedOn !== undefined && { proceedOn: nf.proceedOn }),
              ...(nf.proceedMask !== undefined && { proceedMask: nf.proceedMask }),
              ...(nf.mapsDigest !== undefined && { mapsDigest: nf.mapsDigest }),
            },
          ],
    ),
    ...(h.source && { source: h.source }),
    createdAt: h.appliedAt ?? "",
  };
}

function managedHook(netns: number, h: HookStatus): ObservedHook {
  const defunct = h.drift.some((d) => d.kind === "link-defunct");
  const rec = record(netns, h);
  return {
    address: { netns, ifname: h.ifname, hook: h.hook },
    ...(h.ifindex !== undefined && { ifindex: h.ifindex }),
    ...(h.attachment && { attachment: h.attachment }),
    ...(h.linkId !== undefined && { link: { id: h.linkId, progId: h.attachedProgId ?? 0, ifindex: defunct ? 0 : (h.ifindex ?? 0) } }),
    ...(h.attachedProgId !== undefined && { attachedProgId: h.attachedProgId }),
    ...(h.generation !== undefined && {
      live: {
        number: h.generation,
        // Wiring is already judged: its drift is in the status.
        nfs: h.nfs.map((nf) => ({
          position: nf.position,
          name: nf.name,
          ...(nf.progId !== undefined && { progId: nf.progId }),
          ...(nf.progName !== undefined && { progName: nf.progName }),
          ...(nf.tag !== undefined && { tag: nf.tag }),
          hasNext: false,
        })),
        ...(rec && { record: rec }),
      },
    }),
    stale: h.stale.map((number) => ({ number, nfs: [] })),
    foreign: h.foreign,
    setAside: [],
    drift: h.drift,
  };
}

/** A hook the config names that nfctl did not manage on that host: its interface, and other tools' programs on it. */
function unmanagedHook(report: StatusReport, ifname: string, hook: HookStatus["hook"]): ObservedHook {
  const iface = report.interfaces.find((i) => i.name === ifname);
  const foreign = iface?.foreign[hook] ?? [];
  return {
    address: { netns: report.netns, ifname, hook },
    ...(iface && { ifindex: iface.ifindex }),
    stale: [],
    foreign,
    setAside: [],
    drift: foreign.map((program) => ({ kind: "foreign-program" as const, program, ifname, hook })),
  };
}

/** The observation `report` stands for, for planning `desired` (see gather.ts, which this mirrors). */
export function observationFromStatus(report: StatusReport, desired: DesiredState): Observation {
  const observed: ObservedState = {
    root: report.root,
    netns: report.netns,
    hooks: report.hooks.map((h) => managedHook(report.netns, h)),
    ...(report.state && { state: report.state }),
  };
  const managed = new Set(report.hooks.map((h) => hookId(h.ifname, h.hook)));
  for (const d of desired.hooks) {
    if (!managed.has(hookId(d.ifname, d.hook))) observed.hooks.push(unmanagedHook(report, d.ifname, d.hook));
  }
  const byId = new Map(report.hooks.map((h) => [hookId(h.ifname, h.hook), h]));
  const contents = new Map<HookId, Record<string, Record<string, MapEntry[]>>>();
  for (const d of desired.hooks) {
    const id = hookId(d.ifname, d.hook);
    const live = new Map((byId.get(id)?.nfs ?? []).map((nf) => [nf.name, nf]));
    const maps: Record<string, Record<string, MapEntry[]>> = {};
    for (const nf of d.chain) {
      const held = live.get(nf.name);
      if (!held) continue;
      for (const map of nf.maps) {
        const found = held.maps?.find((m) => m.name === map.name);
        if (found) (maps[nf.name] ??= {})[map.name] = entries(found);
      }
    }
    contents.set(id, maps);
  }
  return { observed, contents };
}
