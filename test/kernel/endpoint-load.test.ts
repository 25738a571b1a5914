/**
 * Issue 17, point 5: clients of the HTTP endpoint cannot keep the watch loop
 * busy. On a host of 1,500 hooks (750 veth ends, a counter on XDP and on TC
 * ingress of each), 50 clients fetch /status back to back while /healthz is
 * probed every 200 ms and a config change is applied: /healthz answers
 * within 1 s each time, and the change is applied within twice its time
 * without clients, plus 1 s. Everything HTTP runs inside the lab's
 * namespace, whose 127.0.0.1 is the lab's own.
 */
import t from "tap";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { createLab } from "../../scripts/test-lab.js";
import { nodeIn } from "../../scripts/netns-http.js";
import { createVeths, writeCounterConfig } from "../../bench/commands.js";
import { requireKernel } from "../helpers/kernel.js";
import { startNfctl, untilTrue, type StartedNfctl } from "../helpers/cli.js";

requireKernel();

const INTERFACES = 750;
const CLIENTS = 50;
const HAMMER_MS = 30_000;

/**
 * `CLIENTS` clients fetching `base`/status back to back for `ms`, from a
 * node child inside `netns`: how many responses had each code (or error).
 */
async function hammer(netns: string, base: string, ms: number): Promise<Record<string, number>> {
  const script = `
    const [base, clients, ms] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3])];
    const end = performance.now() + ms;
    const codes = {};
    const count = (code) => (codes[code] = (codes[code] ?? 0) + 1);
    const client = async () => {
      while (performance.now() < end) {
        try {
          const r = await fetch(base + "/status");
          await r.arrayBuffer();
          count(r.status);
        } catch (err) {
          count(String(err.cause?.code ?? err.message));
        }
      }
    };
    Promise.all(Array.from({ length: clients }, client)).then(() => process.stdout.write(JSON.stringify(codes)));
  `;
  return JSON.parse(await nodeIn(netns, script, [base, String(CLIENTS), String(ms)], "the clients")) as Record<string, number>;
}

/**
 * How long each GET of `base`/healthz took, ms (Infinity: no 200 within
 * 5 s), probed every 200 ms for `ms` from a node child of its own inside
 * `netns`, so that the clients' own work does not delay the probe.
 */
async function probeHealthz(netns: string, base: string, ms: number): Promise<number[]> {
  const script = `
    const [base, ms] = [process.argv[1], Number(process.argv[2])];
    const end = performance.now() + ms;
    const took = [];
    (async () => {
      while (performance.now() < end) {
        const startedAt = performance.now();
        const ok = await fetch(base + "/healthz", { signal: AbortSignal.timeout(5000) }).then((r) => r.status === 200, () => false);
        took.push(ok ? performance.now() - startedAt : null);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    })().then(() => process.stdout.write(JSON.stringify(took)));
  `;
  return (JSON.parse(await nodeIn(netns, script, [base, String(ms)], "the /healthz probe")) as Array<number | null>).map((v) => v ?? Infinity);
}

/** The watch's log lines saying a reconcile applied something. */
function applied(run: StartedNfctl): number {
  return run
    .stderr()
    .split("\n")
    .filter((line) => line.includes('"msg":"reconciled"') && line.includes('"result":"applied"')).length;
}

/** Writes `change()`'s config and waits until the loop applies it; its time in ms, from the write. */
async function timeChange(tt: { fail(message: string): void }, run: StartedNfctl, what: string, change: () => void): Promise<number> {
  const before = applied(run);
  const startedAt = performance.now();
  change();
  await untilTrue(tt, what, () => applied(run) > before, run, 60_000);
  return performance.now() - startedAt;
}

t.test("50 clients hammering /status on 1,500 hooks: /healthz within 1 s, a change applied in its usual time", async (t) => {
  const lab = createLab();
  t.teardown(lab.cleanup);
  const dir = join(t.testdir(), "config");
  mkdirSync(dir);
  const names = createVeths(lab.nsB, "ld", INTERFACES);
  // Every interface but the first in one file; the first, whose chain the test changes, in another.
  writeCounterConfig(dir, "rest", names.slice(1), ["xdp", "tcIngress"], 1);
  const first = (nfs: number) => writeCounterConfig(dir, "first", names.slice(0, 1), ["xdp", "tcIngress"], nfs);
  first(1);
  const run = startNfctl(t, lab, ["--log-level", "info", "watch", "-f", dir, "--listen", "127.0.0.1:0", "--debounce", "100ms"]);
  const listening = () => /"listen":"127\.0\.0\.1:(\d+)"/.exec(run.stderr())?.[1];
  if (!(await untilTrue(t, "the first reconcile applies 1,500 hooks", () => applied(run) >= 1 && listening() !== undefined, run, 120_000))) return;
  const base = `http://127.0.0.1:${listening()!}`;

  const alone = await timeChange(t, run, "the change without clients is applied", () => first(2));
  const load = Promise.all([hammer(lab.nsB, base, HAMMER_MS), probeHealthz(lab.nsB, base, HAMMER_MS)]);
  // Let the clients get going, then make the same kind of change.
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  const loaded = await timeChange(t, run, "the change under load is applied", () => first(1));
  const [codes, healthz] = await load;

  t.ok((codes["200"] ?? 0) > 0, `/status was served under load: ${JSON.stringify(codes)}`);
  t.same(
    Object.keys(codes).filter((code) => code !== "200" && code !== "503"),
    [],
    "every /status request had 200 or 503 (busy)",
  );
  t.ok(healthz.length >= HAMMER_MS / 1_000, `/healthz was probed ${healthz.length} times`);
  t.ok(Math.max(...healthz) < 1_000, `/healthz answered within 1 s each time (slowest ${Math.max(...healthz).toFixed(0)} ms)`);
  t.ok(
    loaded < 2 * alone + 1_000,
    `the change was applied in ${loaded.toFixed(0)} ms under load, ${alone.toFixed(0)} ms without (at most ${(2 * alone + 1_000).toFixed(0)})`,
  );
  run.child.kill("SIGTERM");
  t.equal(await run.exited, 0);
});
