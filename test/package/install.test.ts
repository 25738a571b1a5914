/**
 * The package a user installs: `npm pack` of this build, installed with
 * `npm install -g --prefix TMP ./nfctl-<version>.tgz` where no compiler is
 * on PATH (only node, npm and a shell's basic tools), then the installed
 * nfctl run from outside the checkout: `nfctl version`, and an offline
 * plan of the installed examples, whose builtin: objects resolve inside
 * the installed package. It needs the npm registry or npm's cache
 * (--prefer-offline), so it is not a unit test; it needs no root.
 */
import t from "tap";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const REPO = fileURLToPath(new URL("../../..", import.meta.url));
const PACKAGE = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { version: string };
const BUILD_INFO = JSON.parse(readFileSync(join(REPO, "dist/src/build-info.json"), "utf8")) as { commit: string; dirty?: boolean };
/** What the installing shell may run: node, npm and a few basic tools; no clang, cc, gcc or make. */
const TOOLS = ["node", "npm", "sh", "bash", "env", "cat", "ls", "mkdir", "rm", "cp", "mv", "chmod", "uname", "grep", "sed", "tar", "gzip"];

const top = mkdtempSync(join(tmpdir(), "nfctl-package-"));
t.teardown(() => rmSync(top, { recursive: true, force: true }));
const bin = join(top, "tools");
const prefix = join(top, "prefix");
const cwd = join(top, "elsewhere");
mkdirSync(bin);
mkdirSync(cwd);
for (const tool of TOOLS) {
  const found = spawnSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim();
  if (!found) throw new Error(`test/package/install.test.ts needs ${tool} on PATH`);
  symlinkSync(realpathSync(found), join(bin, tool));
}

/** This environment without npm's own variables (npm run test sets them) and with `path` as PATH. */
function envWith(path: string): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)));
  return { ...env, PATH: path, NO_COLOR: "1" };
}

function run(command: string, args: string[], options: { cwd: string; path: string }) {
  const r = spawnSync(command, args, { cwd: options.cwd, env: envWith(options.path), encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

t.test("the PATH of the install holds no compiler", async (t) => {
  const r = run("sh", ["-c", "command -v clang || command -v cc || command -v gcc || command -v make"], { cwd, path: bin });
  t.not(r.code, 0, `found: ${r.stdout}`);
  t.equal(r.stdout, "");
});

const installed = join(prefix, "lib/node_modules/nfctl");

t.test("npm pack, then npm install -g of the tarball, without a compiler", async (t) => {
  const pack = run("npm", ["pack", "--json", "--pack-destination", top], { cwd: REPO, path: bin });
  t.equal(pack.code, 0, pack.stderr);
  const [packed] = JSON.parse(pack.stdout) as Array<{ filename: string; size: number; files: Array<{ path: string }> }>;
  t.equal(packed!.filename, `nfctl-${PACKAGE.version}.tgz`);
  const paths = packed!.files.map((f) => f.path);
  t.same(
    paths.filter((p) => p.startsWith("bpf/build/")).sort(),
    ["blocklist", "counter", "portfilter", "ratelimit"].map((nf) => `bpf/build/${nf}.o`),
    "the bundled NFs, no test or bench objects",
  );
  t.same(
    paths.filter((p) => /^dist\/(?!src\/)|\.map$|^(test|bench|scripts|src)\//.test(p)),
    [],
    "no tests, benchmarks, scripts, sources or source maps",
  );
  for (const path of [
    "dist/src/cli/main.js",
    "dist/src/build-info.json",
    "schemas/nfconfig.schema.json",
    "examples/lab.yaml",
    "README.md",
    "LICENSE",
    "bpf/LICENSE",
  ])
    t.ok(paths.includes(path), path);
  t.ok(packed!.size < 400_000, `the tarball is small: ${packed!.size} bytes`);
  const install = run("npm", ["install", "--global", "--prefix", prefix, "--prefer-offline", "--no-audit", "--no-fund", join(top, packed!.filename)], {
    cwd,
    path: bin,
  });
  t.equal(install.code, 0, install.stderr);
  t.ok(existsSync(join(prefix, "bin/nfctl")), "nfctl is on the prefix's bin");
});

t.test("the installed nfctl: version, and an offline plan of its examples", async (t) => {
  const path = `${join(prefix, "bin")}:${bin}`;
  const nfctl = (...args: string[]) => run("nfctl", args, { cwd, path });
  const version = nfctl("version");
  t.equal(version.code, 0, version.stderr);
  t.equal(
    version.stdout.split("\n")[0],
    `nfctl ${PACKAGE.version} (commit ${BUILD_INFO.commit}${BUILD_INFO.dirty ? ", modified" : ""})`,
    "the commit the build recorded",
  );
  t.match(version.stdout.split("\n")[1], /^libbpf \d+\.\d+ \(\/.*libbpf\.so\.1[.\d]*\)$/);
  const lab = join(installed, "examples/lab.yaml");
  const plan = nfctl("plan", "--offline", "-f", lab);
  t.equal(plan.code, 0, plan.stderr);
  t.equal(
    plan.stdout,
    [
      "Planned offline, against an empty host (--offline: nothing read from a kernel).",
      "nfctl will make these changes:",
      "",
      "# edge0 xdp (mode auto): a new generation is attached",
      "  + start       blocklist        in the config, not running",
      "      --- blocklist_v4 (empty)",
      "      +++ blocklist_v4 (config)",
      "      @@ -1,0 +1,1 @@",
      "      +198.18.0.3/32: 1",
      "  + start       ratelimit        in the config, not running",
      "      --- rl_config (empty)",
      "      +++ rl_config (config)",
      "      @@ -1,0 +1,1 @@",
      "      +9001: 50",
      "  + start       counter          in the config, not running",
      "      chain:  (empty)  =>  blocklist -> ratelimit -> counter",
      "",
      "# edge0 tc-egress: a new generation is attached",
      "  + start       counter          in the config, not running",
      "      chain:  (empty)  =>  counter",
      "",
      "Plan: 4 to start, 0 to update, 0 to reorder, 0 to reconfigure, 0 to stop.",
      "",
    ].join("\n"),
  );
  const json = nfctl("plan", "--offline", "-f", lab, "-o", "json");
  t.equal(json.code, 0, json.stderr);
  const objects = (JSON.parse(json.stdout) as { plan: { hooks: Array<{ chain: Array<{ object: string }> }> } }).plan.hooks.flatMap((h) =>
    h.chain.map((nf) => nf.object),
  );
  t.same(
    objects,
    ["blocklist", "ratelimit", "counter", "counter"].map((nf) => join(realpathSync(installed), "bpf/build", `${nf}.o`)),
    "builtin: objects resolve inside the installed package",
  );
});
