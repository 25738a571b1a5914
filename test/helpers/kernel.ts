/**
 * Preconditions and probes for tests that run on the real kernel.
 *
 * A kernel test that cannot run fails with a message saying what is missing;
 * it never skips silently.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { BpfObject, listIds, openById, withHandle, programInfo, type ProgramInfo } from "../../src/native/index.js";
import { currentNetns, hookPaths, observe, readDataMap, type HookAddress } from "../../src/state/index.js";
import { inNetns, ipIn, type Lab } from "../../scripts/test-lab.js";
import { BUILD } from "../../scripts/nfs.js";

/** Throws, naming the missing capability, unless kernel tests can run here. */
export function requireKernel(): void {
  if (process.getuid?.() !== 0) throw new Error("kernel tests must run as root (they create network namespaces and load BPF programs)");
  for (const tool of ["ip", "nsenter"]) {
    try {
      execFileSync(tool, ["-V"], { stdio: "ignore" });
    } catch {
      throw new Error(`kernel tests need "${tool}" (Debian: apt-get install iproute2 util-linux)`);
    }
  }
  if (!existsSync("/sys/fs/bpf")) throw new Error("kernel tests need /sys/fs/bpf (a kernel with BPF and sysfs)");
}

/** Retries `probe` until it returns true or `ms` pass; the kernel frees programs asynchronously (RCU). */
export async function eventually(probe: () => boolean, ms = 3000): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (probe()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** IDs of programs loaded now that were not loaded in `before`. */
export function newPrograms(before: number[]): number[] {
  const old = new Set(before);
  return listIds("prog").filter((id) => !old.has(id));
}

export function programName(id: number): string {
  return withHandle(openById("prog", id), (prog) => programInfo(prog).name);
}

/** Every pin and directory below `dir` (directories end in "/"), relative to it, sorted. */
export function pinTree(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) {
        out.push(`${relative(dir, p)}/`);
        walk(p);
      } else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

/** Sum over CPUs of nf_stats[index].packets of one NF (0 = seen, 1 = dropped). */
export function packets(root: string, addr: HookAddress, nf: string, index: 0 | 1 = 0, map = "nf_stats"): bigint {
  const entry = readDataMap(root, addr, nf, map).entries.find((e) => e.key.readUInt32LE(0) === index);
  return entry ? entry.values.reduce((sum, v) => sum + v.readBigUInt64LE(0), 0n) : 0n;
}

/**
 * The ID of the XDP program attached to `ifname` in namespace `ns`, as
 * iproute2 reports it (the kernel's word, not nfctl's), or undefined when
 * none is.
 */
export function attachedXdp(ns: string, ifname: string): number | undefined {
  const [link] = JSON.parse(ipIn(ns, "-j", "-d", "link", "show", "dev", ifname)) as Array<{ xdp?: { prog?: { id?: number } } }>;
  return link?.xdp?.prog?.id;
}

/** Loads `program` of `object` (a path under bpf/build) and unloads it again, returning what the kernel said of it (its ID, its tag). */
export function loadedProgramInfo(object: string, program: string): ProgramInfo {
  const obj = BpfObject.open(join(BUILD, object));
  try {
    obj.selectProgram(program);
    obj.load();
    return programInfo(obj.programHandle(program));
  } finally {
    obj.close();
  }
}

const probeProgramId = () => loadedProgramInfo("counter.o", "xdp_counter").id;

/**
 * How many programs the machine loaded while `fn` ran, those already
 * unloaded again included: the kernel hands out program IDs upwards
 * (idr_alloc_cyclic), so the IDs of probe programs loaded before and after
 * `fn` tell. A probe itself takes more than one ID (libbpf loads a trivial
 * program first, and probes the kernel's features in the first loads of
 * a process), so probes before `fn` measure what one costs once warm. Only
 * meaningful while nothing else loads programs, as in the suite, which runs
 * one test file at a time.
 */
export function programsLoadedDuring(fn: () => void): number {
  probeProgramId();
  const first = probeProgramId();
  const second = probeProgramId();
  fn();
  return probeProgramId() - second - (second - first);
}

/** The type of the `t` a tap subtest receives. */
export type TapTest = Parameters<Parameters<typeof import("tap").default.test>[0]>[0];

/** The first hook nfctl manages in the lab's server namespace, as observed, and its bpffs paths. */
export function firstHookPaths(lab: Lab) {
  const netns = inNetns(lab.nsB, currentNetns);
  const hook = inNetns(lab.nsB, () => observe(lab.root, netns)).hooks[0]!;
  return { hook, paths: hookPaths(lab.root, hook.address) };
}
