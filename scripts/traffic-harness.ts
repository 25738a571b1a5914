/**
 * Traffic under load, for kernel tests and benchmarks: drives
 * test/harness/build/nftraffic (built by `make -C test/harness`, part of
 * `npm run build`) across a lab network.
 *
 * The sink runs in the server namespace (net.nsB) bound to ADDR.server; the
 * sender runs in the client namespace (net.nsA) and sends, at `rate` packets
 * per second in total, half from ADDR.allowed and half from ADDR.blocked,
 * each packet numbered per source. Both are started with
 * `nsenter --net=/run/netns/NS` (never `ip netns exec`).
 *
 * @example
 *     const traffic = await startTraffic(lab, { rate: 100_000 });
 *     t.teardown(traffic.kill);           // also on failure
 *     ...change chains...
 *     const report = await traffic.stop();
 *     t.equal(report.bypassed, 0);
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { ADDR, boundChild, type LabNetwork } from "./lab-network.js";

/** The C tool; this module runs from dist/scripts/. */
export const NFTRAFFIC = fileURLToPath(new URL("../../test/harness/build/nftraffic", import.meta.url));

export const DEFAULT_RATE = 100_000;
export const DEFAULT_PORT = 9000;
/** Time the sink gets, after the sender has stopped, for packets still in flight. */
const DRAIN_MS = 200;
const READY_TIMEOUT_MS = 5_000;
const EXIT_TIMEOUT_MS = 10_000;

export interface TrafficOptions {
  /** Packets per second, both sources together (default 100,000). */
  rate?: number;
  /** UDP destination port (default 9000). */
  port?: number;
}

export interface TrafficReport {
  sent: { allowed: number; blocked: number };
  /** Distinct packets (by sequence number) that reached the sink. */
  received: { allowed: number; blocked: number };
  /** Allowed packets sent that never arrived: sent.allowed - received.allowed. */
  lost: number;
  /** Blocked packets that arrived: received.blocked. */
  bypassed: number;
  /** Packets that arrived after a later packet of their source. */
  reordered: number;
  /** Rate the sender achieved, packets per second. */
  pps: number;
  /** How long the sender sent. */
  durationMs: number;
  /** Packets that arrived more than once (not counted in received). */
  duplicates: number;
  /** Packets the sink's own socket had to drop (SO_RXQ_OVFL); nonzero means the harness, not an NF, lost packets. */
  socketDrops: number;
  /** Sends the local stack refused (ENOBUFS) and the sender repeated; such packets never reached an NF. */
  txRetries: number;
  /** Datagrams at the sink that were not this run's. */
  foreign: number;
}

export interface RunningTraffic {
  readonly runId: string;
  readonly rate: number;
  /** Stops the sender, lets the sink drain briefly, stops the sink and reports. */
  stop(): Promise<TrafficReport>;
  /** Kills whatever of the two processes still runs, at once. For teardown; safe to call any time, also twice. */
  kill: () => void;
}

interface SenderJson {
  mode: "send";
  runId: string;
  sent: { allowed: number; blocked: number };
  pps: number;
  targetPps: number;
  durationMs: number;
  txRetries: number;
}

interface SinkJson {
  mode: "sink";
  runId: string;
  received: { allowed: number; blocked: number };
  reordered: number;
  duplicates: number;
  highestSeq: { allowed: number | null; blocked: number | null };
  foreign: number;
  socketDrops: number;
}

/** Every nftraffic process this module started and that has not exited yet. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort: never leave a sender or sink behind when the process ends.
  process.on("exit", () => {
    for (const child of live) child.kill("SIGKILL");
  });
}

/** One nftraffic process inside a namespace. */
class ToolProcess {
  private readonly child: ChildProcess;
  private stdout = "";
  private stderr = "";
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private done = false;

  constructor(
    private readonly label: string,
    ns: string,
    args: string[],
  ) {
    installExitHook();
    // The child's PID is the tool's (see boundChild).
    this.child = spawn(...boundChild(ns, [NFTRAFFIC, ...args]), { stdio: ["ignore", "pipe", "pipe"] });
    live.add(this.child);
    this.child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (this.stdout += chunk));
    this.child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) => {
      this.child.on("error", (err) => {
        this.stderr += `spawn failed: ${err.message}\n`;
        this.done = true;
        live.delete(this.child);
        resolve({ code: null, signal: null });
      });
      this.child.on("close", (code, signal) => {
        this.done = true;
        live.delete(this.child);
        resolve({ code, signal });
      });
    });
  }

  /** Resolves once the tool has said "nftraffic: <mode> ready" on stderr. */
  async ready(mode: "send" | "sink"): Promise<void> {
    const marker = `nftraffic: ${mode} ready\n`;
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!this.stderr.includes(marker)) {
      if (this.done) throw new Error(`${this.label} exited before it was ready: ${this.stderr.trim() || "(no output)"}`);
      if (Date.now() > deadline) throw new Error(`${this.label} was not ready after ${READY_TIMEOUT_MS} ms: ${this.stderr.trim() || "(no output)"}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** SIGTERM, wait for the exit, and parse the JSON line it printed. */
  async stop<T>(): Promise<T> {
    if (!this.done) this.child.kill("SIGTERM");
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), EXIT_TIMEOUT_MS)));
    const result = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    if (result === "timeout") {
      this.kill();
      throw new Error(`${this.label} did not exit within ${EXIT_TIMEOUT_MS} ms of SIGTERM; killed`);
    }
    if (result.code !== 0) {
      throw new Error(`${this.label} failed (${result.signal ?? `exit ${result.code}`}): ${this.stderr.trim() || "(no output)"}`);
    }
    const line = this.stdout.trim().split("\n").pop() ?? "";
    try {
      return JSON.parse(line) as T;
    } catch {
      throw new Error(`${this.label} printed no JSON report: ${JSON.stringify(this.stdout)}`);
    }
  }

  kill(): void {
    if (!this.done) this.child.kill("SIGKILL");
  }
}

/**
 * Starts a sink in net.nsB and, once it listens, a sender in net.nsA.
 * Resolves when both are running; on any failure, kills what it started.
 */
export async function startTraffic(net: LabNetwork, options: TrafficOptions = {}): Promise<RunningTraffic> {
  if (!existsSync(NFTRAFFIC)) throw new Error(`${NFTRAFFIC} is missing: build it with "make -C test/harness" (part of "npm run build")`);
  const rate = options.rate ?? DEFAULT_RATE;
  const port = options.port ?? DEFAULT_PORT;
  if (!Number.isInteger(rate) || rate <= 0) throw new Error(`rate must be a positive integer, not ${rate}`);
  const runId = randomBytes(8).toString("hex");

  const sink = new ToolProcess(`nftraffic sink in ${net.nsB}`, net.nsB, ["sink", "--bind", ADDR.server, "--port", String(port), "--run-id", runId]);
  let sender: ToolProcess | undefined;
  const kill = () => {
    sender?.kill();
    sink.kill();
  };
  try {
    await sink.ready("sink");
    sender = new ToolProcess(`nftraffic send in ${net.nsA}`, net.nsA, [
      "send",
      "--to",
      ADDR.server,
      "--port",
      String(port),
      "--allowed-from",
      ADDR.allowed,
      "--blocked-from",
      ADDR.blocked,
      "--rate",
      String(rate),
      "--run-id",
      runId,
    ]);
    await sender.ready("send");
  } catch (err) {
    kill();
    throw err;
  }
  const running = sender;

  let stopped: Promise<TrafficReport> | undefined;
  const stop = async (): Promise<TrafficReport> => {
    try {
      const sent = await running.stop<SenderJson>();
      await new Promise((r) => setTimeout(r, DRAIN_MS));
      const got = await sink.stop<SinkJson>();
      if (sent.runId !== runId || got.runId !== runId) throw new Error(`run id mismatch: asked ${runId}, sender ${sent.runId}, sink ${got.runId}`);
      return {
        sent: sent.sent,
        received: got.received,
        lost: sent.sent.allowed - got.received.allowed,
        bypassed: got.received.blocked,
        reordered: got.reordered,
        pps: sent.pps,
        durationMs: sent.durationMs,
        duplicates: got.duplicates,
        socketDrops: got.socketDrops,
        txRetries: sent.txRetries,
        foreign: got.foreign,
      };
    } finally {
      kill();
    }
  };
  return {
    runId,
    rate,
    stop: () => (stopped ??= stop()),
    kill,
  };
}

/** One line for logs and t.comment. */
export function describeReport(r: TrafficReport): string {
  return (
    `sent ${r.sent.allowed} allowed + ${r.sent.blocked} blocked in ${(r.durationMs / 1000).toFixed(2)} s (${Math.round(r.pps)} pps); ` +
    `received ${r.received.allowed} allowed, ${r.received.blocked} blocked; lost ${r.lost}, bypassed ${r.bypassed}, reordered ${r.reordered}, ` +
    `duplicates ${r.duplicates}, socket drops ${r.socketDrops}, tx retries ${r.txRetries}`
  );
}
