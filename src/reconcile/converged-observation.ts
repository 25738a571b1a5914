/**
 * The observation of a host assumed converged on a desired state: what
 * gather.ts would read on a host after `nfctl apply` of it, with no drift,
 * nothing left over and no other tool's programs. With it, `nfctl plan
 * --base-ref REF` plans the config against the config at another git
 * revision ("what does this pull request change against main"), anywhere,
 * unprivileged.
 *
 * Such a host is imagined, not read: its kernel's IDs (programs, links,
 * interface indexes) and its network namespace are unknown and given as 0,
 * which no kernel object has; it has no state lineage or serial. A plan
 * made against it says what would change, but no host can apply it.
 *
 * Pure: no kernel, no files.
 *
 * @example
 *     const { observed, contents } = convergedObservation(base);
 *     planChanges(desired, observed, contents); // empty when desired configures what base does
 */
import { RECORD_FORMAT_VERSION, type MapEntry, type ObservedHook, type ObservedState } from "../state/index.js";
import type { DesiredHook, DesiredNf, DesiredState } from "./desired.js";
import type { Observation } from "./gather.js";
import { hookId, type HookId } from "./plan.js";

/** A kernel ID, interface index or namespace that an assumed host does not have: no kernel object has 0. */
const UNKNOWN = 0;
/** The generation the first apply makes (planner.ts, nextGenerationNumber). */
const FIRST_GENERATION = 1;

function convergedHook(hook: DesiredHook, running: DesiredNf[], source: DesiredState["source"]): ObservedHook {
  return {
    address: { netns: UNKNOWN, ifname: hook.ifname, hook: hook.hook },
    ifindex: UNKNOWN,
    attachment: "link",
    link: { id: UNKNOWN, progId: UNKNOWN, ifindex: UNKNOWN },
    attachedProgId: UNKNOWN,
    live: {
      number: FIRST_GENERATION,
      nfs: running.map((nf, position) => ({ position, name: nf.name, hasNext: nf.chainAware })),
      record: {
        formatVersion: RECORD_FORMAT_VERSION,
        netns: UNKNOWN,
        ifname: hook.ifname,
        ifindex: UNKNOWN,
        hook: hook.hook,
        generation: FIRST_GENERATION,
        attachment: "link",
        // The planner's default for an XDP hook without a mode.
        ...(hook.hook === "xdp" && { mode: hook.mode ?? "auto" }),
        nfs: running.map((nf) => ({
          name: nf.name,
          object: nf.object,
          digest: nf.digest,
          program: nf.program,
          ...(nf.version !== undefined && { version: nf.version }),
          ...(nf.proceedOn !== undefined && { proceedOn: nf.proceedOn }),
          ...(nf.proceedMask !== undefined && { proceedMask: nf.proceedMask }),
          mapsDigest: nf.mapsDigest,
        })),
        ...(source && { source }),
        createdAt: "",
      },
    },
    stale: [],
    foreign: [],
    setAside: [],
    drift: [],
  };
}

/**
 * The observation of a host that applied `base`: each hook with an enabled
 * NF runs them, in order, as its first generation, and their data maps hold
 * what `base` sets; hooks without one are not nfctl's.
 */
export function convergedObservation(base: DesiredState): Observation {
  const hooks: ObservedHook[] = [];
  const contents = new Map<HookId, Record<string, Record<string, MapEntry[]>>>();
  for (const hook of base.hooks) {
    const running = hook.chain.filter((nf) => nf.enabled);
    if (running.length === 0) continue;
    hooks.push(convergedHook(hook, running, base.source));
    contents.set(
      hookId(hook.ifname, hook.hook),
      Object.fromEntries(running.map((nf) => [nf.name, Object.fromEntries(nf.maps.map((m) => [m.name, m.entries]))])),
    );
  }
  const observed: ObservedState = { root: "", netns: UNKNOWN, hooks };
  return { observed, contents };
}
