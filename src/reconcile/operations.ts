/**
 * The steps the commands are made of, above the pure planner: loading the
 * config, observing the kernel for a plan, checking the plan can be applied
 * here, and the plan that empties hooks.
 */
import { loadConfig, type ConfigError } from "./config/index.js";
import type { DesiredState } from "./desired.js";
import { gather, nothingObserved, type Observation } from "./gather.js";
import { planChanges } from "./planner.js";
import { summarize, type Plan } from "./plan.js";
import { NativeError, type LibbpfLogSink, type ObservedState } from "../state/index.js";

/** Every problem found in the config, each with file, line, column and field. */
export class ConfigErrors extends Error {
  override readonly name = "ConfigErrors";
  constructor(readonly errors: ConfigError[]) {
    super(`${errors.length} problem${errors.length === 1 ? "" : "s"} in the configuration`);
  }
}

export const EMPTY_DESIRED: DesiredState = { files: [], hooks: [] };

/**
 * Loads and checks the config named by `-f` arguments; throws ConfigErrors.
 * libbpf's messages, while the objects are inspected, go to `options.log`.
 */
export function loadDesired(inputs: string[], options: { log?: LibbpfLogSink } = {}): DesiredState {
  const result = loadConfig(inputs, options);
  if (!result.ok) throw new ConfigErrors(result.errors);
  return { ...result.desired, source: { path: inputs.join(", ") } };
}

const NOT_ROOT_NOTE = "cannot read the kernel's state without root (CAP_BPF, CAP_NET_ADMIN); planning against an empty state (as --offline)";

/**
 * Observes the kernel for `nfctl plan`. Without the privileges to read it
 * (not root), or with `offline`, plans against an empty state and says so:
 * a partial reading would be worse than none.
 */
export function observeForPlan(root: string, desired: DesiredState, options: { offline: boolean }): { observation: Observation; note?: string } {
  if (options.offline) return { observation: nothingObserved() };
  if (process.getuid?.() !== 0) return { observation: nothingObserved(), note: NOT_ROOT_NOTE };
  try {
    const observation = gather(root, desired);
    checkInterfaces(desired, observation.observed);
    return { observation };
  } catch (err) {
    const denied = (err instanceof NativeError && (err.code === "EPERM" || err.code === "EACCES")) || (err as NodeJS.ErrnoException).code === "EACCES";
    if (!denied) throw err;
    return { observation: nothingObserved(), note: NOT_ROOT_NOTE };
  }
}

/** Every interface the config puts NFs on must exist in this network namespace. */
export function checkInterfaces(desired: DesiredState, observed: ObservedState): void {
  const missing = desired.hooks.filter((d) => {
    if (!d.chain.some((nf) => nf.enabled)) return false;
    const hook = observed.hooks.find((h) => h.address.ifname === d.ifname && h.address.hook === d.hook);
    return hook?.ifindex === undefined;
  });
  const errors = [...new Map(missing.map((d) => [d.ifname, d])).values()].map(
    (d): ConfigError => ({ ...d.source, path: "", message: `interface "${d.ifname}" does not exist in this network namespace` }),
  );
  if (errors.length > 0) throw new ConfigErrors(errors);
}

/** The plan that empties every managed hook, or those of one interface. */
export function destroyPlan(observation: Observation, ifname?: string): Plan {
  const plan = planChanges(EMPTY_DESIRED, observation.observed, {});
  const reason = ifname === undefined ? "nfctl destroy" : `nfctl destroy --interface ${ifname}`;
  const hooks = plan.hooks
    .filter((h) => ifname === undefined || h.ifname === ifname)
    .map((h) => ({ ...h, actions: h.actions.map((a) => (a.kind === "stop" ? { ...a, reason } : a)) }));
  return { ...plan, hooks, summary: summarize(hooks) };
}
