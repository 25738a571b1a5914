/**
 * nfctl on a machine without libbpf: --help and --version work, and a
 * command that needs libbpf fails with one line saying what to install,
 * never a stack trace. libbpf.so.1 is hidden by a bind mount of /dev/null
 * in a private mount namespace (unshare --mount), so the host is untouched;
 * that needs root. Nothing here loads a BPF object. nfctl version reports
 * without libbpf too.
 */
import t from "tap";
import { execFileSync, spawnSync } from "node:child_process";
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";

if (process.getuid?.() !== 0)
  throw new Error("test/cli/no-libbpf.test.ts must run as root (it hides libbpf.so.1 with a bind mount in a private mount namespace)");

const NFCTL = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));
const REPO = fileURLToPath(new URL("../../..", import.meta.url));

/** The file the dynamic loader opens for libbpf.so.1, symlinks resolved. */
function libbpfPath(): string {
  const line = execFileSync("ldconfig", ["-p"], { encoding: "utf8" })
    .split("\n")
    .find((l) => /^\s*libbpf\.so\.1 \(/.test(l));
  const path = line?.split(" => ")[1]?.trim();
  if (!path) throw new Error("ldconfig -p lists no libbpf.so.1: this test needs it installed, to hide it (apt-get install libbpf1)");
  return realpathSync(path);
}

const LIBBPF = libbpfPath();

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs nfctl; with `hideLibbpf`, where libbpf.so.1 reads as an empty file. */
function nfctl(args: string[], hideLibbpf: boolean): Run {
  const argv = [process.execPath, NFCTL, ...args];
  const command = hideLibbpf ? ["unshare", "--mount", "sh", "-c", 'mount --bind /dev/null "$0" && exec "$@"', LIBBPF, ...argv] : argv;
  const r = spawnSync(command[0]!, command.slice(1), { encoding: "utf8", cwd: REPO, env: { ...process.env, NO_COLOR: "1" } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

t.test("with libbpf hidden, --help and --version work", async (t) => {
  const help = nfctl(["--help"], true);
  t.equal(help.code, 0, help.stderr);
  t.match(help.stdout, /^Usage: nfctl \[options\] \[command\]/);
  t.equal(help.stderr, "");
  const planHelp = nfctl(["plan", "--help"], true);
  t.equal(planHelp.code, 0, planHelp.stderr);
  t.match(planHelp.stdout, /^Usage: nfctl plan \[options\]/);
  const version = nfctl(["--version"], true);
  t.equal(version.code, 0, version.stderr);
  t.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
});

t.test("with libbpf hidden, plan fails in one line that says what to install", async (t) => {
  const plan = nfctl(["plan", "--offline", "-f", "examples/lab.yaml"], true);
  t.equal(plan.code, 1);
  t.equal(plan.stdout, "");
  const lines = plan.stderr.split("\n").filter((l) => l !== "");
  t.equal(lines.length, 1, `one line: ${plan.stderr}`);
  t.match(lines[0], /^nfctl: libbpf\.so\.1 cannot be loaded \(.+\); install Debian's libbpf1 \(apt-get install libbpf1\)$/);
  t.notMatch(plan.stderr, /^ {4}at /m, "no stack trace");
  const visible = nfctl(["plan", "--offline", "-f", "examples/lab.yaml"], false);
  t.equal(visible.code, 0, `the same plan works with libbpf in place: ${visible.stderr}`);
});

t.test("with libbpf hidden, nfctl version still reports, and says why libbpf is unavailable", async (t) => {
  const version = nfctl(["version"], true);
  t.equal(version.code, 0, version.stderr);
  t.equal(version.stderr, "");
  const lines = version.stdout.split("\n");
  t.match(lines[0], /^nfctl \d+\.\d+\.\d+ \(commit [0-9a-f]{12}(, modified)?\)$/);
  t.match(lines[1], /^libbpf unavailable: libbpf\.so\.1 cannot be loaded \(.+\); install Debian's libbpf1 \(apt-get install libbpf1\)$/);
  t.match(lines[2], /^kernel \S+$/);
  const json = JSON.parse(nfctl(["version", "-o", "json"], true).stdout) as { version: { libbpf: { error?: string } } };
  t.match(json.version.libbpf.error, /^libbpf\.so\.1 cannot be loaded/);
});
