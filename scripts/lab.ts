/**
 * The lab: nfctl end to end on this machine, as a first-time user would see
 * it. Run as root with `npm run lab`.
 *
 * It creates two network namespaces joined by a veth pair, applies
 * examples/lab.yaml to the server side's edge0 (blocklist, ratelimit and
 * counter on XDP; a counter on TC egress), sends traffic and shows it
 * filtered and counted with `nfctl status`; then plans and applies
 * examples/lab-changed.yaml (a reorder and a map change). Then the loop:
 * `nfctl watch` follows a local git repository, a commit changes the chain
 * back, and the lab shows it applied from that commit, with `nfctl status`
 * and a few lines of /metrics. It tears it all down again, whatever
 * happens.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ADDR, createLabNetwork } from "./lab-network.js";
import { httpGet } from "./netns-http.js";
import { udpExchange } from "./traffic.js";

const NFCTL = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));
const name = `nfctl-lab-${process.pid}`;
const root = `/sys/fs/bpf/${name}`;

function step(title: string): void {
  process.stdout.write(`\n\x1b[1m== ${title}\x1b[0m\n`);
}

/** Runs nfctl inside the server namespace, as an operator on that host would, and shows its output. */
function nfctl(ns: string, ...args: string[]): void {
  process.stdout.write(`$ nfctl ${args.join(" ")}\n`);
  const r = spawnSync("nsenter", [`--net=/run/netns/${ns}`, process.execPath, NFCTL, "--bpffs", root, ...args], { stdio: "inherit" });
  if (r.status !== 0) throw new Error(`nfctl ${args[0]} exited with ${r.status}`);
}

async function traffic(net: ReturnType<typeof createLabNetwork>): Promise<void> {
  const general = await udpExchange(net, [ADDR.allowed, ADDR.blocked], 100, 9000);
  process.stdout.write(
    `port 9000: 100 packets from ${ADDR.allowed} -> ${general[ADDR.allowed]} arrived; 100 from ${ADDR.blocked} (blocklisted) -> ${general[ADDR.blocked]} arrived\n`,
  );
  const limited = await udpExchange(net, [ADDR.allowed], 300, 9001);
  process.stdout.write(`port 9001 (rate limited): 300 packets sent at once -> ${limited[ADDR.allowed]} arrived\n`);
}

/** A bare repository and a work tree that commits to it, in `dir`. */
function gitRepository(dir: string): { url: string; commit(file: string, text: string, message: string): string } {
  const git = (cwd: string, ...args: string[]) =>
    execFileSync("git", ["-c", "user.name=nfctl lab", "-c", "user.email=lab@nfctl.invalid", "-c", "commit.gpgsign=false", ...args], {
      cwd,
      encoding: "utf8",
    }).trim();
  const bare = join(dir, "nfs.git");
  const work = join(dir, "work");
  git(dir, "init", "--quiet", "--bare", "--initial-branch=main", bare);
  git(dir, "init", "--quiet", "--initial-branch=main", work);
  return {
    url: `file://${bare}`,
    commit(file, text, message) {
      mkdirSync(join(work, "hosts"), { recursive: true });
      writeFileSync(join(work, "hosts", file), text);
      git(work, "add", "--all");
      git(work, "commit", "--quiet", "-m", message);
      git(work, "push", "--quiet", bare, "main");
      const sha = git(work, "rev-parse", "HEAD");
      process.stdout.write(`$ git commit -m "${message}" && git push   # ${sha.slice(0, 12)}\n`);
      return sha;
    },
  };
}

/** An example as a repository of configs (without the objects) holds it: its objects are bundled NFs (builtin:NAME). */
function exampleForRepository(name: string): string {
  return readFileSync(join("examples", name), "utf8");
}

interface Watcher {
  child: ChildProcess;
  /** Resolves with the first log entry that `match` accepts. */
  until(match: (entry: Record<string, unknown>) => boolean, what: string): Promise<Record<string, unknown>>;
}

/** `nfctl watch` in the server namespace, its JSON log read as it comes. */
function startWatch(ns: string, args: string[]): Watcher {
  process.stdout.write(`$ nfctl watch ${args.join(" ")} &\n`);
  const child = spawn("nsenter", [`--net=/run/netns/${ns}`, process.execPath, NFCTL, "--bpffs", root, "watch", ...args], {
    stdio: ["ignore", "inherit", "pipe"],
  });
  const entries: Record<string, unknown>[] = [];
  const waiting: { match: (e: Record<string, unknown>) => boolean; resolve: (e: Record<string, unknown>) => void }[] = [];
  let partial = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    const lines = (partial + chunk).split("\n");
    partial = lines.pop()!;
    for (const line of lines) {
      const entry = JSON.parse(line) as Record<string, unknown>;
      entries.push(entry);
      process.stdout.write(
        `  watch| ${entry.msg as string}${entry.revision ? ` ${entry.revision as string}` : ""}${entry.result ? ` (${entry.result as string})` : ""}\n`,
      );
      for (const w of waiting.filter((w) => w.match(entry))) w.resolve(entry);
    }
  });
  return {
    child,
    until: (match, what) =>
      new Promise((resolve, reject) => {
        const found = entries.find(match);
        if (found) return resolve(found);
        const timer = setTimeout(() => reject(new Error(`nfctl watch did not log ${what} within 30 s`)), 30_000);
        waiting.push({ match, resolve: (e) => (clearTimeout(timer), resolve(e)) });
        child.once("exit", (code) => reject(new Error(`nfctl watch exited with ${code} before ${what}`)));
      }),
  };
}

/** The loop: nfctl watch on a local git repository applies a commit. */
async function loop(net: ReturnType<typeof createLabNetwork>, dir: string): Promise<void> {
  const repo = gitRepository(dir);
  const first = repo.commit("edge.yaml", exampleForRepository("lab-changed.yaml"), "edge0: what runs now");
  const watcher = startWatch(net.nsB, ["--git", repo.url, "--path", "hosts", "--interval", "1s", "--cache-dir", join(dir, "cache"), "--listen", "127.0.0.1:0"]);
  try {
    await watcher.until((e) => e.msg === "reconciled" && e.revision === `main@sha1:${first}`, "the first commit");
    const { listen } = await watcher.until((e) => typeof e.listen === "string", "where it listens");
    const pushedAt = Date.now();
    const second = repo.commit("edge.yaml", exampleForRepository("lab.yaml"), "edge0: the blocklist first again, the first rate for port 9001");
    const applied = await watcher.until((e) => e.msg === "reconciled" && e.revision === `main@sha1:${second}`, "the second commit");
    process.stdout.write(`commit ${second.slice(0, 12)} applied ${(applied.time as number) - pushedAt} ms after the push (polling every 1 s)\n`);
    await traffic(net);
    nfctl(net.nsB, "status");
    process.stdout.write(`$ curl -s http://${listen as string}/metrics | grep ...\n`);
    const metrics = (await httpGet(`http://${listen as string}/metrics`, net.nsB)).body;
    const shown =
      /^nfctl_(reconciles_total|condition\{type="Ready",status="True"\}|last_successful_apply_timestamp_seconds|nf_packets_total\{.*nf="blocklist",verdict="dropped")/;
    for (const line of metrics.split("\n").filter((l) => shown.test(l))) process.stdout.write(`${line}\n`);
  } finally {
    watcher.child.kill("SIGTERM");
    const code = await new Promise<number | null>((resolve) =>
      watcher.child.exitCode !== null ? resolve(watcher.child.exitCode) : watcher.child.once("exit", resolve),
    );
    process.stdout.write(`nfctl watch exited with ${code} on SIGTERM; every NF keeps running\n`);
  }
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error("the lab needs root: it creates network namespaces and loads BPF programs");
  step(`Creating the lab: namespaces ${name}-a (client) and ${name}-b (server, interface edge0)`);
  const net = createLabNetwork(name, "client0", "edge0");
  const dir = mkdtempSync(join(tmpdir(), "nfctl-lab-"));
  try {
    step("Plan and apply examples/lab.yaml");
    nfctl(net.nsB, "plan", "-f", "examples/lab.yaml");
    nfctl(net.nsB, "apply", "-f", "examples/lab.yaml");

    step("Traffic from the client: the blocklisted source is dropped, port 9001 is rate limited");
    await traffic(net);
    nfctl(net.nsB, "status");

    step("Plan examples/lab-changed.yaml: counter moves to the front (reorder), port 9001 gets 100/s (map change)");
    nfctl(net.nsB, "plan", "-f", "examples/lab-changed.yaml");
    nfctl(net.nsB, "apply", "-f", "examples/lab-changed.yaml");
    await traffic(net);
    nfctl(net.nsB, "status");

    step("Applying the same config again changes nothing");
    nfctl(net.nsB, "apply", "-f", "examples/lab-changed.yaml");

    step("The loop: nfctl watch follows a git repository; a commit changes the chain back");
    await loop(net, dir);

    step("Destroy: nfctl removes what it manages");
    nfctl(net.nsB, "destroy");
    nfctl(net.nsB, "status");
  } finally {
    step("Tearing the lab down");
    net.remove();
    rmSync(root, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
    process.stdout.write("done\n");
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`lab: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
