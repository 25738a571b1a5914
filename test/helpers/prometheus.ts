/**
 * Debian's Prometheus (package `prometheus`) for tests: `promtool check
 * metrics` on exposition text, and a real server that scrapes an endpoint
 * and answers PromQL. Everything binds to 127.0.0.1 on ports the kernel
 * chooses, lives in a temporary directory, and is stopped when the test
 * ends, also when it fails.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { httpGet } from "../../scripts/netns-http.js";
import { boundChild } from "../../scripts/lab-network.js";

export { httpGet };

const MISSING = "install the Debian package prometheus (bash scripts/setup.sh does)";

/** Throws with a clear message when the binary is not installed. */
function requireBinary(name: "promtool" | "prometheus"): void {
  const r = spawnSync(name, ["--version"], { encoding: "utf8" });
  if (r.error) throw new Error(`${name} is missing (${r.error.message}): ${MISSING}`);
}

/** `promtool check metrics` on `text`: its exit code and everything it printed (lint problems). */
export function promtoolCheckMetrics(text: string): { code: number; output: string } {
  requireBinary("promtool");
  const r = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8", timeout: 30_000 });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}

export interface PromServer {
  /** http://127.0.0.1:PORT */
  url: string;
  /** One instant query: the first sample's value, or undefined when the result is empty. */
  query(promql: string): Promise<number | undefined>;
  /** What the server logged so far (for failure messages). */
  log(): string;
  /** SIGTERM, then wait for the exit (SIGKILL after 10 s). Safe to call twice. */
  stop(): Promise<void>;
}

interface Teardown {
  teardown(fn: () => Promise<void> | void): void;
}

/**
 * Starts `prometheus` scraping `target` (HOST:PORT) every second, inside
 * network namespace `options.netns` when given, waits until its API
 * answers (at most 30 s), and stops it when `t` ends.
 */
export async function startPrometheus(t: Teardown, target: string, options: { netns?: string } = {}): Promise<PromServer> {
  const { netns } = options;
  requireBinary("prometheus");
  const dir = mkdtempSync(join(tmpdir(), "nfctl-prometheus-"));
  const config = join(dir, "prometheus.yml");
  writeFileSync(
    config,
    [
      "global:",
      "  scrape_interval: 1s",
      "  scrape_timeout: 1s",
      "  evaluation_interval: 1s",
      "scrape_configs:",
      "  - job_name: nfctl",
      "    static_configs:",
      `      - targets: ["${target}"]`,
      "",
    ].join("\n"),
  );
  const command = ["prometheus", `--config.file=${config}`, `--storage.tsdb.path=${join(dir, "data")}`, "--web.listen-address=127.0.0.1:0"];
  // The child's pid is the server's (see boundChild).
  const child = spawn(...boundChild(netns, command), { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  child.stdout.setEncoding("utf8").on("data", (s: string) => (log += s));
  child.stderr.setEncoding("utf8").on("data", (s: string) => (log += s));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const spawned = new Promise<void>((resolve, reject) => {
    child.once("spawn", resolve);
    child.once("error", reject);
  });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await stopChild(child, exited);
      rmSync(dir, { recursive: true, force: true });
    })());
  t.teardown(stop);
  await spawned;

  // exporter-toolkit logs the address it really listens on: `msg="Listening on" address=127.0.0.1:PORT`.
  let url: string | undefined;
  await waitFor(30_000, async () => {
    if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}:\n${log}`);
    const port = /msg="Listening on" address=127\.0\.0\.1:(\d+)/.exec(log)?.[1];
    if (port === undefined) return false;
    url = `http://127.0.0.1:${port}`;
    const r = await httpGet(`${url}/-/ready`, netns).catch(() => undefined);
    return r?.status === 200;
  }).catch((err: unknown) => {
    throw new Error(`prometheus did not become ready: ${err instanceof Error ? err.message : String(err)}\n${log}`);
  });
  const base = url!;

  return {
    url: base,
    async query(promql) {
      const r = await httpGet(`${base}/api/v1/query?query=${encodeURIComponent(promql)}`, netns);
      const body = JSON.parse(r.body) as { status: string; error?: string; data?: { result?: { value?: [number, string] }[] } };
      if (body.status !== "success") throw new Error(`query ${promql}: ${body.error ?? r.status}`);
      const value = body.data?.result?.[0]?.value?.[1];
      return value === undefined ? undefined : Number(value);
    },
    log: () => log,
    stop,
  };
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Polls `check` every 200 ms until it returns true; rejects after `ms` (or when check throws). */
export async function waitFor(ms: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`gave up after ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
