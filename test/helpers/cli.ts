/**
 * Runs the nfctl binary as a user would: a separate process, started inside
 * a lab namespace with nsenter, against the lab's bpffs root.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { copyFileSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import type { StatusReport } from "../../src/reconcile/index.js";
import type { LoopStatus } from "../../src/controller/index.js";
import type { Lab } from "../../scripts/test-lab.js";
import { boundChild } from "../../scripts/lab-network.js";
import { BUILD } from "../../scripts/nfs.js";
import { eventually } from "./kernel.js";

const NFCTL = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function nfctl(lab: Lab, args: string[], options: { stdin?: string; ns?: string; env?: NodeJS.ProcessEnv; maxOpenFiles?: number } = {}): CliResult {
  const command = ["nsenter", `--net=/run/netns/${options.ns ?? lab.nsB}`, process.execPath, NFCTL, "--bpffs", lab.root, ...args];
  // prlimit sets RLIMIT_NOFILE as `ulimit -n` does, for nfctl alone.
  const limited = options.maxOpenFiles === undefined ? command : ["prlimit", `--nofile=${options.maxOpenFiles}:${options.maxOpenFiles}`, ...command];
  const r = spawnSync(limited[0]!, limited.slice(1), {
    encoding: "utf8",
    input: options.stdin ?? "",
    // The status of 1,500 hooks is megabytes of JSON.
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, NO_COLOR: "1", ...options.env },
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** What nfctlInTerminal saw: the terminal's output (stdout and stderr as one, CRLF line ends) and whether nfctl asked. */
export interface TerminalResult {
  code: number;
  output: string;
  asked: boolean;
}

/** The answer prompt's last words (src/cli/approval.ts). */
const PROMPT = "Enter a value: ";

/**
 * Runs nfctl as nfctl() does, but in a pseudo-terminal (util-linux's
 * `script`), so that its stdin, stdout and stderr are terminals, as when a
 * person runs it. When nfctl asks, `answer` is typed with Enter (a string
 * with "\x03" in it is a Ctrl-C). The terminal stays open until nfctl
 * exits: script would turn the end of its input into an end of file for
 * nfctl, which is an answer too.
 */
export async function nfctlInTerminal(lab: Lab, args: string[], options: { answer?: string; env?: NodeJS.ProcessEnv } = {}): Promise<TerminalResult> {
  const command = ["nsenter", `--net=/run/netns/${lab.nsB}`, process.execPath, NFCTL, "--bpffs", lab.root, ...args];
  const quoted = command.map((word) => `'${word.replace(/'/g, "'\\''")}'`).join(" ");
  // Bound to the test as startNfctl's runs are; nfctl gets SIGHUP when script's terminal goes.
  const child = spawn(...boundChild(undefined, ["script", "-qfec", quoted, "/dev/null"]), { env: { ...process.env, NO_COLOR: "1", ...options.env } });
  let output = "";
  let asked = false;
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    output += d;
    if (asked || !output.includes(PROMPT)) return;
    asked = true;
    child.stdin.write(`${options.answer ?? ""}\r`);
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
  const code = await new Promise<number>((resolve) => child.on("exit", (c) => resolve(c ?? -1)));
  clearTimeout(timer);
  child.stdin.end();
  return { code, output, asked };
}

/**
 * Waits until the background nfctl has `path` open (the bpffs root it
 * locks): it is then past its start-up, its signal listeners installed,
 * and waiting for or holding the lock.
 */
export async function untilOpened(run: StartedNfctl, path: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  const fds = `/proc/${run.child.pid}/fd`;
  for (;;) {
    const open = readdirSync(fds).some((fd) => {
      try {
        return readlinkSync(`${fds}/${fd}`) === path;
      } catch {
        return false;
      }
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nfctl did not open ${path} within ${ms} ms: ${run.stderr()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** An nfctl run in the background, for tests that signal it or run another beside it. */
export interface StartedNfctl {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** The exit code, or -1 when a signal ended the process. */
  exited: Promise<number>;
}

/** How long a run still going at teardown gets to end on SIGTERM before SIGKILL. */
const TEARDOWN_GRACE_MS = 5000;

/**
 * Starts nfctl as `nfctl()` runs it, without waiting; the child's pid is
 * nfctl's (see boundChild). Should it still run when `t` ends, it is
 * stopped and awaited: SIGTERM first (and SIGCONT, should the test have
 * paused it), so that it ends its own children (watch's `ip monitor`),
 * then SIGKILL.
 */
export function startNfctl(t: { teardown(fn: () => Promise<void>): void }, lab: Lab, args: string[], env: NodeJS.ProcessEnv = {}): StartedNfctl {
  const child = spawn(...boundChild(lab.nsB, [process.execPath, NFCTL, "--bpffs", lab.root, ...args]), {
    env: { ...process.env, NO_COLOR: "1", ...env },
  });
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
  const exited = new Promise<number>((resolve) => child.on("exit", (code) => resolve(code ?? -1)));
  t.teardown(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    child.kill("SIGCONT");
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<"late">((resolve) => (timer = setTimeout(() => resolve("late"), TEARDOWN_GRACE_MS)));
    const ended = await Promise.race([exited, grace]);
    clearTimeout(timer);
    if (ended !== "late") return;
    child.kill("SIGKILL");
    await exited;
  });
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Waits until a run started with NFCTL_TEST_PAUSE_AT has stopped itself. */
export async function untilPaused(run: StartedNfctl): Promise<void> {
  // The message comes just before the process stops itself: wait for the
  // kernel to say it is stopped (state T), so that a signal sent next
  // cannot arrive before the stop.
  const stopped = () => run.stderr().includes("nfctl: test hook: paused after step") && processState(run.child.pid!) === "T";
  for (let i = 0; i < 500 && !stopped(); i++) await new Promise((r) => setTimeout(r, 20));
  if (!stopped()) throw new Error(`nfctl did not pause: ${run.stderr()}`);
}

/** The state letter of a process in /proc/<pid>/stat ("R", "S", "T", ...), or undefined once it is gone. */
function processState(pid: number): string | undefined {
  try {
    return /^\d+ \(.*\) (\S)/s.exec(readFileSync(`/proc/${pid}/stat`, "utf8"))?.[1];
  } catch {
    return undefined;
  }
}

export interface NfSpec {
  name: string;
  /** A bundled NF (bpf/build/<nf>.o, program <hook kind>_<nf>), or give object and program. */
  nf?: "counter" | "blocklist" | "portfilter" | "ratelimit";
  /** Object path relative to bpf/build, e.g. "test/tinymap.o". */
  object?: string;
  program?: string;
  enabled?: boolean;
  /** YAML of the NF's maps: block, e.g. "blocklist_v4:\n  198.18.0.3/32: 1". */
  maps?: string;
}

export interface InterfaceSpec {
  ifname: string;
  xdp?: NfSpec[];
  tcIngress?: NfSpec[];
  tcEgress?: NfSpec[];
}

/**
 * An NF whose object is a copy of a bundled one (e.g. "counter.o") in
 * `dir`, so that a test can change the file under a plan.
 */
export function copiedNf(dir: string, name: string, from: string, program: string): { object: string; nf: NfSpec } {
  const object = join(dir, `${name}.o`);
  copyFileSync(join(BUILD, from), object);
  return { object, nf: { name, object: relative(BUILD, object), program } };
}

function chainYaml(kind: "xdp" | "tc", nfs: NfSpec[]): string {
  return nfs
    .map(
      (n) =>
        `          - name: ${n.name}\n            object: ${BUILD}/${n.object ?? `${n.nf}.o`}\n            program: ${n.program ?? `${kind}_${n.nf}`}\n` +
        (n.enabled === false ? "            enabled: false\n" : "") +
        (n.maps ? `            maps:\n${n.maps.replace(/^/gm, "              ")}\n` : ""),
    )
    .join("");
}

/** A host selector of a whole config document: the hosts with all of these labels. */
export interface ConfigOptions {
  matchLabels?: Record<string, string>;
}

/** A config with absolute object paths, written into `dir`; returns its path. */
export function writeConfigFor(dir: string, file: string, interfaces: InterfaceSpec[], options: ConfigOptions = {}): string {
  let text = "apiVersion: nfctl.io/v1alpha1\nkind: NetworkFunctions\nmetadata:\n  name: test\nspec:\n";
  if (options.matchLabels) {
    text += "  hostSelector:\n    matchLabels:\n";
    for (const [key, value] of Object.entries(options.matchLabels)) text += `      ${key}: ${value}\n`;
  }
  text += "  interfaces:\n";
  for (const i of interfaces) {
    text += `    - name: ${i.ifname}\n`;
    if (i.xdp) text += `      xdp:\n        chain:\n${chainYaml("xdp", i.xdp)}`;
    if (i.tcIngress) text += `      tcIngress:\n        chain:\n${chainYaml("tc", i.tcIngress)}`;
    if (i.tcEgress) text += `      tcEgress:\n        chain:\n${chainYaml("tc", i.tcEgress)}`;
  }
  const path = join(dir, file);
  writeFileSync(path, text);
  return path;
}

/** A config for one interface (veth-b unless named). */
export function writeConfig(dir: string, file: string, hooks: Omit<InterfaceSpec, "ifname"> & { ifname?: string }, options: ConfigOptions = {}): string {
  return writeConfigFor(dir, file, [{ ...hooks, ifname: hooks.ifname ?? "veth-b" }], options);
}

/**
 * The body of one `-o json` output, after checking its envelope: every
 * command's JSON is `{ formatVersion: 1, kind, ...body }`.
 */
export function jsonOutput<T>(stdout: string, kind: string, field: string): T {
  const out = JSON.parse(stdout) as { formatVersion?: unknown; kind?: unknown } & Record<string, unknown>;
  if (out.formatVersion !== 1 || out.kind !== kind)
    throw new Error(`expected a formatVersion 1 ${kind} envelope, got ${JSON.stringify({ formatVersion: out.formatVersion, kind: out.kind })}`);
  return out[field] as T;
}

/** `nfctl status -o json` in the lab's server namespace. */
export function statusJson(lab: Lab): StatusReport {
  const r = nfctl(lab, ["status", "-o", "json"]);
  if (r.code !== 0) throw new Error(`status failed: ${r.stderr}`);
  return jsonOutput<StatusReport>(r.stdout, "Status", "status");
}

/** The `nfctl watch` status that `nfctl status -o json` shows, if a loop ran in the lab's server namespace. */
export function loopJson(lab: Lab): LoopStatus | undefined {
  const r = nfctl(lab, ["status", "-o", "json"]);
  if (r.code !== 0) throw new Error(`status failed: ${r.stderr}`);
  return jsonOutput<LoopStatus | undefined>(r.stdout, "Status", "loop");
}

/** The status and reason of one condition of the loop, as "True/ReconciliationSucceeded". */
export function conditionOf(loop: LoopStatus | undefined, type: string): string {
  const c = loop?.conditions.find((x) => x.type === type);
  return c ? `${c.status}/${c.reason}` : "none";
}

/** The NF names of one hook's chain in the lab, as `nfctl status` shows them ([] when nothing runs there). */
export function chainOf(lab: Lab, ifname = "veth-b", hook = "xdp"): string[] {
  return (
    statusJson(lab)
      .hooks.find((h) => h.ifname === ifname && h.hook === hook)
      ?.nfs.map((n) => n.name) ?? []
  );
}

/** Waits until `probe` holds; on a timeout fails `t` with the end of the nfctl run's log. */
export async function untilTrue(t: { fail(message: string): void }, what: string, probe: () => boolean, run: StartedNfctl, ms = 15_000): Promise<boolean> {
  if (await eventually(probe, ms)) return true;
  t.fail(`timed out after ${ms} ms waiting until ${what}; nfctl's log:\n${run.stderr().slice(-3000)}`);
  return false;
}

/** Waits until the lab's loop status satisfies `ok` and returns that status (undefined, and `t` failed, on a timeout). */
export async function untilLoop(
  t: { fail(message: string): void },
  what: string,
  lab: Lab,
  run: StartedNfctl,
  ok: (loop: LoopStatus) => boolean,
  ms = 15_000,
): Promise<LoopStatus | undefined> {
  let seen: LoopStatus | undefined;
  const probe = () => {
    const loop = loopJson(lab);
    if (loop !== undefined && ok(loop)) seen = loop;
    return seen !== undefined;
  };
  return (await untilTrue(t, what, probe, run, ms)) ? seen : undefined;
}
