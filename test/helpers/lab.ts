/**
 * Test labs: a pair of network namespaces joined by a veth pair, and a bpffs
 * root of their own, all removed at teardown (also when the test fails).
 *
 *     ns "<name>-a": veth-a  198.18.0.1/24 (allowed source), 198.18.0.3/24 (blocked source)
 *     ns "<name>-b": veth-b  198.18.0.2/24
 *
 * Addresses are from 198.18.0.0/15, set aside for network benchmarks, and
 * only ever talk to each other. The machine's own interfaces are never used.
 */
import { execFileSync } from "node:child_process";
import { closeSync, openSync, mkdirSync, rmSync, existsSync } from "node:fs";
import { enterNetns } from "../../src/native/index.js";
import { ensureRoot } from "../../src/state/index.js";

export const ADDR = {
  allowed: "198.18.0.1",
  blocked: "198.18.0.3",
  server: "198.18.0.2",
} as const;

export interface Lab {
  /** Namespace with the traffic sources, interface veth-a. */
  nsA: string;
  /** Namespace with the traffic sink, interface veth-b. */
  nsB: string;
  /** This lab's own bpffs root. */
  root: string;
  cleanup(): void;
}

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** Runs `ip` inside a namespace (nsenter, so /sys stays the host's). */
export function ipIn(ns: string, ...args: string[]): string {
  return sh("nsenter", [`--net=/run/netns/${ns}`, "ip", ...args]);
}

let counter = 0;

/** A unique, short name for a lab: namespaces are removed by this name only. */
function labName(): string {
  counter += 1;
  return `nft${process.pid}x${counter}`;
}

export function createLab(): Lab {
  const name = labName();
  const lab: Lab = {
    nsA: `${name}-a`,
    nsB: `${name}-b`,
    root: `/sys/fs/bpf/${name}`,
    cleanup() {
      for (const ns of [lab.nsA, lab.nsB]) {
        if (existsSync(`/run/netns/${ns}`)) sh("ip", ["netns", "delete", ns]);
      }
      rmSync(lab.root, { recursive: true, force: true });
    },
  };
  try {
    for (const ns of [lab.nsA, lab.nsB]) {
      sh("ip", ["netns", "add", ns]);
      // No IPv6: its neighbour discovery would add packets tests do not send.
      sh("nsenter", [`--net=/run/netns/${ns}`, "sh", "-c", "echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6 && echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6"]);
    }
    ipIn(lab.nsA, "link", "add", "veth-a", "type", "veth", "peer", "name", "veth-b", "netns", lab.nsB);
    ipIn(lab.nsA, "addr", "add", `${ADDR.allowed}/24`, "dev", "veth-a");
    ipIn(lab.nsA, "addr", "add", `${ADDR.blocked}/24`, "dev", "veth-a");
    ipIn(lab.nsB, "addr", "add", `${ADDR.server}/24`, "dev", "veth-b");
    for (const [ns, dev] of [[lab.nsA, "veth-a"], [lab.nsB, "veth-b"]] as const) {
      ipIn(ns, "link", "set", "lo", "up");
      ipIn(ns, "link", "set", dev, "up");
    }
    ensureRoot("/sys/fs/bpf");
    mkdirSync(lab.root, { recursive: true });
  } catch (err) {
    lab.cleanup();
    throw err;
  }
  return lab;
}

/**
 * Runs `fn` with the calling thread in namespace `ns`. nfctl's kernel calls
 * (interface lookup, attach) act in the caller's namespace, exactly as when
 * nfctl is started inside it.
 */
export function inNetns<T>(ns: string, fn: () => T): T {
  const home = openSync("/proc/self/ns/net", "r");
  const target = openSync(`/run/netns/${ns}`, "r");
  try {
    enterNetns(target, ns);
    try {
      return fn();
    } finally {
      enterNetns(home, "the test's own namespace");
    }
  } finally {
    closeSync(target);
    closeSync(home);
  }
}
