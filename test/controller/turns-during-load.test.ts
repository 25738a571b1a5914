/**
 * The watch loop's thread gets a turn at least every second while it loads
 * the largest config its limits admit (sources/config-limits.ts): the
 * reconcile step loads it as the loop does, giving the event loop a turn
 * between files and stages, so that signals, source events and the
 * endpoint's heartbeat (controller/http.ts) are not held up behind a parse.
 * The config is refused at its last line, so the step never reaches the kernel.
 */
import t from "tap";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { reconcileStep } from "../../src/controller/reconcile-step.js";
import { directorySnapshot } from "../../src/sources/directory.js";
import { MAX_CONFIG_TOTAL_BYTES } from "../../src/sources/config-limits.js";
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

const dir = mkdtempSync(join(tmpdir(), "nfctl-healthz-load-"));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
// The largest config, in four files: the turns between them are what is measured.
const files = 4;
for (let i = 0; i < files; i++) {
  // The last file ends in a prefix with host bits set: ConfigInvalid, after every file was parsed.
  writeFileSync(join(dir, `${i}.yaml`), blocklistFile(`eth${i}`, MAX_CONFIG_TOTAL_BYTES / files, i === files - 1 ? '"10.0.0.1/8": 1' : '"10.255.255.255": 1'));
}

t.test("the loop's thread gets a turn at least every second throughout a reconcile of the largest config", async (t) => {
  const { step } = reconcileStep({
    // Never reached (the config is refused first), and never a bpffs: a path under a file.
    root: join(dir, "0.yaml", "bpffs"),
    lockTimeout: 0,
    allowEmpty: false,
    host: { name: "edge-1", labels: {} },
    sourcePath: dir,
    objectPaths: [BUILD],
  });
  // Measured on the loop's second reconcile: the first, at start-up, also
  // compiles the parser (a first file took up to 1.2 s here, on a machine
  // running 9 jobs on 2 CPUs).
  const snapshot = directorySnapshot([dir]);
  await step(snapshot);
  const gaps: number[] = [];
  let last = performance.now();
  const ticker = setInterval(() => {
    const now = performance.now();
    gaps.push(now - last);
    last = now;
  }, 10);
  const started = performance.now();
  const result = await step(snapshot);
  const took = performance.now() - started;
  clearInterval(ticker);
  gaps.push(performance.now() - last);

  t.match(result, { result: "refused", reason: "ConfigInvalid", message: new RegExp(`${files - 1}\\.yaml:\\d+:\\d+: .*"10\\.0\\.0\\.1/8".*host bits`) });
  const longest = Math.max(...gaps);
  t.ok(gaps.length >= 2, `${gaps.length} turns during a load of ${Math.round(took)} ms`);
  t.ok(longest < 1_000, `the longest time without a turn was ${Math.round(longest)} ms (load: ${Math.round(took)} ms)`);
  // Of four files, one file's share at most (and some), however fast this machine: without the turns, the whole load is one block.
  t.ok(longest < 0.6 * took, `no block of more than 60% of the load (${Math.round((100 * longest) / took)}%)`);
});
