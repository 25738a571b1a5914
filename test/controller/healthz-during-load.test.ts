/**
 * /healthz answers within a second while the watch loop loads the largest
 * config its limits admit (sources/config-limits.ts): the reconcile step
 * loads it as the loop does, giving the event loop a turn between files.
 * The config is refused at its last line, so the step never reaches the kernel.
 */
import t from "tap";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { once } from "node:events";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { startHttpEndpoint } from "../../src/controller/http.js";
import { createMetrics } from "../../src/controller/metrics.js";
import { reconcileStep } from "../../src/controller/reconcile-step.js";
import { directorySnapshot } from "../../src/sources/directory.js";
import { MAX_CONFIG_FILE_BYTES, MAX_CONFIG_TOTAL_BYTES } from "../../src/sources/config-limits.js";
import { BUILD, configText, hookText, nfText } from "../config/helpers/configs.js";

/**
 * A config file of just under `bytes`: a blocklist written as one flow
 * mapping, the slowest map to parse of those measured (README.md, "Limits").
 */
function blocklistFile(ifname: string, bytes: number, last: string): string {
  const head = configText(
    hookText(ifname, "xdp", [nfText("blocklist", join(BUILD, "blocklist.o"), "xdp_blocklist", "            maps:\n              blocklist_v4: {")]),
  );
  const entries: string[] = [];
  let size = head.length + last.length + 4;
  for (let n = 0; ; n++) {
    const entry = `"10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}": 1, `;
    if (size + entry.length > bytes) break;
    entries.push(entry);
    size += entry.length;
  }
  return `${head}${entries.join("")}${last}}\n`;
}

/** Sends /healthz to workerData.url, one request after another, and posts each status and how long it took. */
const PROBER = `
const { parentPort, workerData } = require("node:worker_threads");
(async () => {
  for (;;) {
    const sent = performance.now();
    const response = await fetch(workerData.url, { signal: AbortSignal.timeout(10000) });
    await response.text();
    parentPort.postMessage({ status: response.status, ms: performance.now() - sent });
  }
})();
`;

const dir = mkdtempSync(join(tmpdir(), "nfctl-healthz-load-"));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const files = MAX_CONFIG_TOTAL_BYTES / MAX_CONFIG_FILE_BYTES;
for (let i = 0; i < files; i++) {
  // The last file ends in a prefix with host bits set: ConfigInvalid, after every file was parsed.
  writeFileSync(join(dir, `${i}.yaml`), blocklistFile(`eth${i}`, MAX_CONFIG_FILE_BYTES, i === files - 1 ? '"10.0.0.1/8": 1' : '"10.255.255.255": 1'));
}

t.test("/healthz answers within 1 s throughout a reconcile of the largest config", async (t) => {
  const endpoint = await startHttpEndpoint({
    listen: { host: "127.0.0.1", port: 0 },
    metrics: createMetrics({ version: "0.1.0", nfCounters: () => [] }),
    status: () => ({}),
    ready: () => true,
  });
  t.teardown(() => endpoint.close());
  const healthz = `http://127.0.0.1:${endpoint.address.port}/healthz`;
  const step = reconcileStep({
    // Never reached (the config is refused first), and never a bpffs: a path under a file.
    root: join(dir, "0.yaml", "bpffs"),
    lockTimeout: 0,
    allowEmpty: false,
    host: { name: "edge-1", labels: {} },
    sourcePath: dir,
    objectPaths: [BUILD],
  });

  // The prober runs in a worker, with an event loop of its own, as kubelet's is its own.
  const prober = new Worker(PROBER, { eval: true, workerData: { url: healthz } });
  t.teardown(() => prober.terminate());
  const answers: Array<{ status: number; ms: number }> = [];
  prober.on("message", (answer: { status: number; ms: number }) => answers.push(answer));
  await once(prober, "message");
  // Measured on the loop's second reconcile: the first, at start-up, also
  // compiles the parser (a first file took up to 1.2 s here, on a machine
  // running 9 jobs on 2 CPUs), and a pod restarts only after 3 failed probes
  // 10 s apart (deploy/kubernetes/daemonset.yaml).
  const snapshot = directorySnapshot([dir]);
  await step(snapshot);
  answers.length = 0;
  const started = performance.now();
  const result = await step(snapshot);
  const took = performance.now() - started;
  await once(prober, "message");
  const waits = answers.map((a) => a.ms);
  t.same(new Set(answers.map((a) => a.status)), new Set([200]), "every probe answered 200");

  t.match(result, { result: "refused", reason: "ConfigInvalid", message: new RegExp(`${files - 1}\\.yaml:\\d+:\\d+: .*"10\\.0\\.0\\.1/8".*host bits`) });
  const longest = Math.max(...waits);
  t.ok(waits.length >= 2, `${waits.length} probes during a load of ${Math.round(took)} ms`);
  t.ok(longest < 1_000, `the longest /healthz took ${Math.round(longest)} ms (load: ${Math.round(took)} ms)`);
});
