/**
 * A plan limited to some interfaces (`--interface NAME`, as `terraform
 * -target`): the desired and the observed state are cut down to those
 * interfaces before they are compared, so the hooks of every other
 * interface are neither started, changed nor stopped, whatever the config
 * or the kernel says of them, and nothing there (another tool's program,
 * a missing interface) can block the plan.
 *
 * @example
 *     const limited = limitToScope(["eth1"], desired, observed);
 *     planChanges(limited.desired, limited.observed); // eth1's hooks only
 */
import type { ObservedState } from "../state/index.js";
import type { DesiredState } from "./desired.js";

/** The config's hooks on `interfaces` only; all of them when `interfaces` is undefined. */
export function desiredInScope(desired: DesiredState, interfaces: readonly string[] | undefined): DesiredState {
  return interfaces === undefined ? desired : { ...desired, hooks: desired.hooks.filter((h) => interfaces.includes(h.ifname)) };
}

/**
 * Refuses an interface that is neither in the config nor among the hooks
 * observed (those nfctl manages, and those the config names): limiting a
 * plan to it would plan nothing, which is more likely a typo than a wish.
 */
export function checkScope(interfaces: readonly string[], desired: DesiredState, observed: ObservedState): void {
  const known = new Set([...desired.hooks.map((h) => h.ifname), ...observed.hooks.map((h) => h.address.ifname)]);
  const unknown = interfaces.find((name) => !known.has(name));
  if (unknown !== undefined) throw new Error(`--interface ${unknown}: not in the configuration and not managed here`);
}

/** Both states on `interfaces` only, after checkScope. */
export function limitToScope(
  interfaces: readonly string[],
  desired: DesiredState,
  observed: ObservedState,
): { desired: DesiredState; observed: ObservedState } {
  checkScope(interfaces, desired, observed);
  return {
    desired: desiredInScope(desired, interfaces),
    observed: { ...observed, hooks: observed.hooks.filter((h) => interfaces.includes(h.address.ifname)) },
  };
}
