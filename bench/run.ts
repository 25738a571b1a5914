/**
 * `npm run bench`: every benchmark, one after another (never two at once:
 * they share the kernel), each in a process of its own. A whole run that
 * succeeds writes their sections to bench/RESULTS.md with the machine and
 * commit they ran on; a part of them, or a run with a failure, only prints.
 *
 *     npm run bench                    (as root)
 *     npm run bench -- data-path loop  (some of them, in this order)
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, release, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { renderSection, type Section } from "./report.js";

const BENCHMARKS = ["data-path", "naive-relink", "control-plane", "scale", "planner", "loop"];

function machine(): string {
  const head = spawnSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).stdout.trim();
  const dirty = spawnSync("git", ["status", "--porcelain", "--untracked-files=no"], { encoding: "utf8" }).stdout.trim() !== "";
  const git = head && dirty ? `${head} with uncommitted changes` : head;
  return [
    `- Kernel: Linux ${release()}`,
    `- CPU: ${cpus()[0]?.model ?? "unknown"}, ${cpus().length} CPUs`,
    `- Node ${process.version}; nfctl at ${git || "an unknown commit"}; ${new Date().toISOString().slice(0, 10)}`,
  ].join("\n");
}

function main(): number {
  const chosen = process.argv.slice(2);
  const unknown = chosen.filter((name) => !BENCHMARKS.includes(name));
  if (unknown.length > 0) {
    process.stderr.write(`unknown benchmark ${unknown.join(", ")}; the benchmarks: ${BENCHMARKS.join(", ")}\n`);
    return 2;
  }
  const dir = mkdtempSync(join(tmpdir(), "nfctl-bench-"));
  const sections: Section[] = [];
  let failed = 0;
  try {
    for (const name of chosen.length > 0 ? chosen : BENCHMARKS) {
      const json = join(dir, `${name}.json`);
      process.stderr.write(`bench: ${name}\n`);
      const run = spawnSync(process.execPath, [resolve(`dist/bench/${name}.js`), "--json", json], { stdio: ["ignore", "inherit", "inherit"] });
      if (run.status !== 0) {
        failed += 1;
        continue;
      }
      sections.push(JSON.parse(readFileSync(json, "utf8")) as Section);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (failed > 0 || chosen.length > 0) {
    // RESULTS.md holds one whole run, from one commit: a part of one would mix runs.
    process.stderr.write(`bench: ${failed > 0 ? `${failed} benchmarks failed` : "ran a part of the benchmarks"}; bench/RESULTS.md left as it was\n`);
    return failed > 0 ? 1 : 0;
  }
  const text = [
    "# nfctl benchmarks\n",
    "Written by `npm run bench` (bench/run.ts); do not edit by hand. Every figure is a median of several rounds, and every comparison was measured side by side in the same run. Each section names the command that reproduces it.\n",
    `${machine()}\n`,
    ...sections.map((s) => renderSection(s)),
  ].join("\n");
  writeFileSync(resolve("bench/RESULTS.md"), text);
  process.stderr.write(`bench: wrote bench/RESULTS.md (${sections.length} sections)\n`);
  return 0;
}

process.exitCode = main();
