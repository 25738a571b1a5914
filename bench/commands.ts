/**
 * Whole commands, timed: nfctl (the built CLI) and the tools it is compared
 * with, run inside a lab namespace, with their wall time, peak RSS and, for
 * nfctl, the phases its debug log shows.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const NFCTL = resolve("dist/src/cli/main.js");

export interface Timed {
  /** Wall time from spawn to exit, ms. */
  ms: number;
  /** Peak resident set size, MB (GNU time's %M). */
  peakMb: number;
  stdout: string;
  stderr: string;
  /** When the command was started, ms since the epoch (to place its log lines). */
  startedAt: number;
}

/**
 * Runs `cmd args` in network namespace `ns` (nsenter) under GNU time, and
 * throws, with its stderr, unless it exits 0.
 */
export function timed(ns: string, cmd: string, args: string[], options: { input?: string; env?: Record<string, string> } = {}): Timed {
  const dir = mkdtempSync(join(tmpdir(), "nfctl-bench-"));
  try {
    const rusage = join(dir, "rusage");
    const startedAt = Date.now();
    const start = process.hrtime.bigint();
    const out = spawnSync("/usr/bin/time", ["-f", "%M", "-o", rusage, "nsenter", `--net=/run/netns/${ns}`, cmd, ...args], {
      encoding: "utf8",
      maxBuffer: 256 * 1024 * 1024,
      ...(options.input !== undefined && { input: options.input }),
      ...(options.env !== undefined && { env: { ...process.env, ...options.env } }),
    });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (out.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${out.status}: ${out.stderr.trim().split("\n").slice(-5).join("\n")}`);
    return { ms, peakMb: Number(readFileSync(rusage, "utf8").trim().split("\n").pop()) / 1024, stdout: out.stdout, stderr: out.stderr, startedAt };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** nfctl as users run it (the executable, through its shebang), with the lab's bpffs root, in the lab's namespace; its debug log on stderr. */
export function nfctl(ns: string, root: string, args: string[]): Timed {
  return timed(ns, NFCTL, ["--bpffs", root, "--log-level", "debug", ...args]);
}

/** The debug log lines of a run: their time (ms since the epoch) and message. */
export function logLines(run: Timed): Array<{ time: number; msg: string }> {
  return run.stderr
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as { time: number; msg: string });
}

/** Creates veth pairs `<prefix><i>` / `<prefix><i>p` (i from 0), up, in namespace `ns`. */
export function createVeths(ns: string, prefix: string, count: number): string[] {
  const names = Array.from({ length: count }, (_, i) => `${prefix}${i}`);
  const batch = names.flatMap((n) => [`link add ${n} type veth peer name ${n}p`, `link set ${n} up`, `link set ${n}p up`]).join("\n");
  const out = spawnSync("ip", ["-n", ns, "-batch", "-"], { input: `${batch}\n`, encoding: "utf8" });
  if (out.status !== 0) throw new Error(`ip -batch: ${out.stderr.trim()}`);
  return names;
}

export type HookName = "xdp" | "tcIngress" | "tcEgress";

const PROGRAM: Record<HookName, string> = { xdp: "xdp_counter", tcIngress: "tc_counter", tcEgress: "tc_counter" };

/** A config of `nfs` counter NFs on each of `hooks` of each interface, written to a file in `dir`. */
export function writeCounterConfig(dir: string, name: string, interfaces: string[], hooks: HookName[], nfs: number): string {
  const counter = resolve("bpf/build/counter.o");
  const chain = (hook: HookName) =>
    Array.from({ length: nfs }, (_, i) => `          - name: c${i}\n            object: ${counter}\n            program: ${PROGRAM[hook]}\n`).join("");
  const text =
    `apiVersion: nfctl.io/v1alpha1\nkind: NetworkFunctions\nmetadata:\n  name: ${name}\nspec:\n  interfaces:\n` +
    interfaces.map((ifname) => `    - name: ${ifname}\n` + hooks.map((hook) => `      ${hook}:\n        chain:\n${chain(hook)}`).join("")).join("");
  const path = join(dir, `${name}.yaml`);
  writeFileSync(path, text);
  return path;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string };
  children?: number[];
}

/**
 * Runs `node --cpu-prof args` in namespace `ns` and splits its CPU time by
 * the functions of `phases` (name -> what it does): the time spent inside
 * each (its callees included), the rest as "Node start-up, module loading
 * and the rest". Names are matched outermost first, so a phase called from
 * another counts for the outer one.
 */
export function profiledPhases(ns: string, args: string[], dir: string, phases: Record<string, string>): Array<{ phase: string; ms: number }> {
  const profileDir = mkdtempSync(join(dir, "profile-"));
  timed(ns, process.execPath, ["--cpu-prof", `--cpu-prof-dir=${profileDir}`, ...args]);
  const file = readdirSync(profileDir).find((f) => f.endsWith(".cpuprofile"));
  if (!file) throw new Error("node --cpu-prof wrote no profile");
  const profile = JSON.parse(readFileSync(join(profileDir, file), "utf8")) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const spent = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    let phase = "Node start-up, module loading and the rest";
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const name = byId.get(at)!.callFrame.functionName;
      if (name in phases) phase = phases[name]!;
    }
    spent.set(phase, (spent.get(phase) ?? 0) + profile.timeDeltas[i]! / 1000);
  });
  const order = [...Object.values(phases), "Node start-up, module loading and the rest"];
  return order.filter((phase) => spent.has(phase)).map((phase) => ({ phase, ms: spent.get(phase)! }));
}
