/**
 * proceedOn verdict names to the nf_proceed_mask an NF is loaded with.
 *
 * Bit N of the mask lets a packet go on after verdict N. TC verdicts start
 * at TC_ACT_UNSPEC = -1, so for TC bit N+1 stands for verdict N (see
 * bpf/include/nfchain.h).
 */
import type { Hook } from "../../state/index.js";
import type { TcVerdict, XdpVerdict } from "./schema-types.js";

/** enum xdp_action. Typed by the schema's enum, so the two cannot drift apart. */
const XDP_ACTIONS: Record<XdpVerdict, number> = { aborted: 0, drop: 1, pass: 2, tx: 3, redirect: 4 };

/** TC_ACT_* from linux/pkt_cls.h. */
const TC_ACTIONS: Record<TcVerdict, number> = { unspec: -1, ok: 0, reclassify: 1, shot: 2, pipe: 3, stolen: 4, queued: 5, repeat: 6, redirect: 7 };

/** What an NF proceeds on when its config says nothing: the verdict that lets a packet through. */
export function defaultProceedOn(hook: Hook): string[] {
  return hook === "xdp" ? ["pass"] : ["ok"];
}

/**
 * The mask for verdict names the schema has accepted for this hook.
 *
 * @example
 *     proceedMask("xdp", ["pass"])            // 0b100 = 4
 *     proceedMask("tc-ingress", ["ok"])       // 0b10 = 2
 *     proceedMask("tc-egress", ["unspec", "redirect"]) // 0b100000001 = 257
 */
export function proceedMask(hook: Hook, verdicts: readonly string[]): number {
  const bits: Record<string, number> =
    hook === "xdp" ? XDP_ACTIONS : Object.fromEntries(Object.entries(TC_ACTIONS).map(([name, action]) => [name, action + 1]));
  let mask = 0;
  for (const verdict of verdicts) {
    const bit = bits[verdict];
    if (bit === undefined) throw new Error(`"${verdict}" is not a verdict of the ${hook} hook`);
    mask |= 1 << bit;
  }
  return mask;
}
