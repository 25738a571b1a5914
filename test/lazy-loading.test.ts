/**
 * Importing nfctl's modules loads no native code: koffi and libbpf are
 * loaded by the first call that needs them. So the planner (and its tests)
 * and `nfctl --help` run where libbpf is missing. Checked in a fresh node
 * process by what it has mapped: koffi's addon and libbpf.so show in
 * /proc/self/maps once loaded. And the diff package waits for the first
 * map diff a plan renders.
 */
import t from "tap";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const DIST = fileURLToPath(new URL("..", import.meta.url));
/** Prints which native libraries the process has mapped when it exits. */
const REPORT_AT_EXIT = `data:text/javascript,${encodeURIComponent(
  'import { readFileSync, writeSync } from "node:fs"; process.on("exit", () => { const maps = readFileSync("/proc/self/maps", "utf8"); writeSync(2, JSON.stringify({ koffi: /koffi/.test(maps), libbpf: /libbpf\\.so/.test(maps) }) + "\\n"); });',
)}`;

function mapped(args: string[]): { koffi: boolean; libbpf: boolean } {
  const r = spawnSync(process.execPath, ["--import", REPORT_AT_EXIT, ...args], { encoding: "utf8", cwd: DIST });
  // The report comes at any exit, a failed one too: a module not found, or a start-up error, maps neither.
  if (r.status !== 0) throw new Error(`node ${args.join(" ")} failed (${r.signal ?? `exit ${r.status}`}): ${r.stderr}`);
  const last = r.stderr.trim().split("\n").at(-1) ?? "";
  return JSON.parse(last) as { koffi: boolean; libbpf: boolean };
}

t.test("importing any layer maps neither koffi nor libbpf", async (t) => {
  for (const module of ["src/native/index.js", "src/state/index.js", "src/reconcile/planner.js", "src/reconcile/index.js", "src/cli/errors.js"]) {
    t.same(mapped(["--input-type=module", "-e", `await import("./${module}")`]), { koffi: false, libbpf: false }, module);
  }
});

t.test("nfctl --help, --version and plan --help map neither", async (t) => {
  for (const args of [["--help"], ["--version"], ["plan", "--help"]]) {
    t.same(mapped(["src/cli/main.js", ...args]), { koffi: false, libbpf: false }, `nfctl ${args.join(" ")}`);
  }
});

t.test("the first call that needs libbpf loads it", async (t) => {
  t.same(mapped(["--input-type=module", "-e", 'const { describeErrno } = await import("./src/native/index.js"); describeErrno(4001);']), {
    koffi: true,
    libbpf: true,
  });
});

/**
 * Runs node with `args` and says whether it loaded the diff package: by
 * import (a module hook writes each URL it loads on stderr, synchronously)
 * or by require (require.cache at exit).
 */
function loadsDiff(args: string[]): boolean {
  const hooks = `data:text/javascript,${encodeURIComponent(
    'import { writeSync } from "node:fs"; export async function load(url, context, next) { writeSync(2, `loaded ${url}\\n`); return next(url, context); }',
  )}`;
  const setup = `data:text/javascript,${encodeURIComponent(
    `import { register, createRequire } from "node:module"; import { writeSync } from "node:fs"; register(${JSON.stringify(hooks)}); process.on("exit", () => { for (const path of Object.keys(createRequire(process.cwd() + "/").cache)) writeSync(2, "required " + path + "\\n"); });`,
  )}`;
  const r = spawnSync(process.execPath, ["--import", setup, ...args], { encoding: "utf8", cwd: DIST });
  if (r.status !== 0) throw new Error(`node ${args.join(" ")} failed: ${r.stderr}`);
  return r.stderr.split("\n").some((line) => /^(loaded|required) .*\/node_modules\/diff\//.test(line));
}

t.test("the diff package is loaded by the first map diff rendered, not by the plan views", async (t) => {
  t.equal(loadsDiff(["--input-type=module", "-e", 'await import("./src/cli/views/plan-text.js"); await import("./src/cli/views/plan-markdown.js");']), false);
  t.equal(
    loadsDiff([
      "--input-type=module",
      "-e",
      'const { mapDiffLines } = await import("./src/cli/views/map-diff.js"); mapDiffLines({ map: "m", before: ["1: 1"], after: [] });',
    ]),
    true,
    "rendering one loads it (and the check sees it)",
  );
});
