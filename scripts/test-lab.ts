/**
 * Test labs: the lab network (scripts/lab-network.ts) with interfaces veth-a
 * (client) and veth-b (server), and a bpffs root of their own, all removed
 * at teardown (also when the test fails).
 */
import { closeSync, openSync, mkdirSync, rmSync } from "node:fs";
import { enterNetns } from "../src/native/index.js";
import { ensureRoot } from "../src/state/index.js";
import { createLabNetwork, inNamespace, type LabNetwork } from "./lab-network.js";

export { ADDR } from "./lab-network.js";

export interface Lab extends LabNetwork {
  /** This lab's own bpffs root. */
  root: string;
  cleanup: () => void;
}

/** Runs `ip` inside a namespace. */
export function ipIn(ns: string, ...args: string[]): string {
  return inNamespace(ns, "ip", ...args);
}

let counter = 0;

export function createLab(): Lab {
  counter += 1;
  const name = `nft${process.pid}x${counter}`;
  const root = `/sys/fs/bpf/${name}`;
  const net = createLabNetwork(name, "veth-a", "veth-b");
  const lab: Lab = {
    ...net,
    root,
    cleanup() {
      net.remove();
      rmSync(root, { recursive: true, force: true });
    },
  };
  try {
    ensureRoot("/sys/fs/bpf");
    mkdirSync(root, { recursive: true });
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
