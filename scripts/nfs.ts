/**
 * NF specs for tests, built from the bundled objects in bpf/build.
 */
import { resolve } from "node:path";
import type { ChainNf } from "../src/reconcile/set-chain.js";
import type { MapEntry } from "../src/state/index.js";

export const BUILD = resolve("bpf/build");

/** Proceed on pass: XDP_PASS is bit 2; TC_ACT_OK (0) is bit 1. */
export const PROCEED_ON_PASS = { xdp: 1 << 2, tc: 1 << 1 } as const;

export type HookKind = "xdp" | "tc";

export function counter(name: string, kind: HookKind, object = "counter.o"): ChainNf {
  return { name, object: resolve(BUILD, object), program: `${kind}_counter`, proceedMask: PROCEED_ON_PASS[kind] };
}

/** A blocklist NF dropping the given IPv4 /32 sources. */
export function blocklist(name: string, kind: HookKind, sources: string[]): ChainNf {
  return {
    name,
    object: resolve(BUILD, "blocklist.o"),
    program: `${kind}_blocklist`,
    proceedMask: PROCEED_ON_PASS[kind],
    maps: { blocklist_v4: sources.map(v4Prefix) },
  };
}

export function portfilter(name: string, kind: HookKind, ports: number[]): ChainNf {
  return {
    name,
    object: resolve(BUILD, "portfilter.o"),
    program: `${kind}_portfilter`,
    proceedMask: PROCEED_ON_PASS[kind],
    maps: {
      ports: ports.map((p) => {
        const key = Buffer.alloc(2);
        key.writeUInt16LE(p);
        return { key, value: u32(1) };
      }),
    },
  };
}

export function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}

/** An LPM trie key for an IPv4 /32: prefix length (host order), address (network order). */
export function v4Prefix(addr: string): MapEntry {
  const key = Buffer.alloc(8);
  key.writeUInt32LE(32, 0);
  Buffer.from(addr.split(".").map(Number)).copy(key, 4);
  return { key, value: u32(1) };
}
