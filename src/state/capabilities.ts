/**
 * The capabilities this process holds, read from /proc/self/status, so
 * that a command that reads the kernel can say which ones it lacks before
 * a bpf(2) call fails with a bare EPERM. Capabilities, not uid 0: a
 * service runs as root with only the ones it needs (deploy/systemd), or as
 * another user with ambient ones.
 */
import { readFileSync } from "node:fs";

/** The capabilities nfctl uses, by their bit in a capability set (linux/capability.h). */
export const CAPABILITIES = { CAP_NET_ADMIN: 12, CAP_SYS_ADMIN: 21, CAP_BPF: 39 } as const;
export type Capability = keyof typeof CAPABILITIES;

/**
 * The effective set on the CapEff line of a /proc/PID/status text, or
 * undefined when there is none (not Linux, or a kernel that hides it).
 *
 * @example
 *     effectiveCapabilities("Name:\tnode\nCapEff:\t0000000000001000\n") // 0x1000n: CAP_NET_ADMIN only
 */
export function effectiveCapabilities(status: string): bigint | undefined {
  const hex = /^CapEff:\s*([0-9a-f]+)$/im.exec(status)?.[1];
  return hex === undefined ? undefined : BigInt(`0x${hex}`);
}

/**
 * Those of `wanted` that are not in the effective set `effective`.
 *
 * @example
 *     missingCapabilities(0x1000n, ["CAP_NET_ADMIN", "CAP_SYS_ADMIN"]) // ["CAP_SYS_ADMIN"]
 */
export function missingCapabilities(effective: bigint, wanted: readonly Capability[]): Capability[] {
  return wanted.filter((cap) => ((effective >> BigInt(CAPABILITIES[cap])) & 1n) === 0n);
}

/** Those of `wanted` this process lacks; none when its status cannot be read (the kernel then has the last word). */
export function missingOwnCapabilities(wanted: readonly Capability[]): Capability[] {
  let status: string;
  try {
    status = readFileSync("/proc/self/status", "utf8");
  } catch {
    return [];
  }
  const effective = effectiveCapabilities(status);
  return effective === undefined ? [] : missingCapabilities(effective, wanted);
}
