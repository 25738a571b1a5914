/**
 * The command line's conventions, as a user meets them (no kernel): one
 * error prefix, commander's errors included; a bare `nfctl` prints the help;
 * durations with units; defaults shown as typed.
 */
import t from "tap";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const NFCTL = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

function nfctl(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [NFCTL, ...args], { encoding: "utf8", env: { PATH: process.env.PATH ?? "", NO_COLOR: "1" } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

t.test("a bare nfctl prints the help on stdout, exit 0", async (t) => {
  const r = nfctl([]);
  t.equal(r.code, 0);
  t.equal(r.stderr, "");
  t.match(r.stdout, /^Usage: nfctl \[options\] \[command\]\n/);
  t.match(r.stdout, /\n {2}plan \[options\] /);
});

t.test("commander's errors have nfctl's prefix, on every line", async (t) => {
  const cases: Array<[string[], string]> = [
    [["aply"], "nfctl: unknown command 'aply'\nnfctl: did you mean apply?\nnfctl: run with --help for usage\n"],
    [["plan", "--nope"], "nfctl: unknown option '--nope'\nnfctl: run with --help for usage\n"],
    [
      ["plan", "-o", "yaml"],
      "nfctl: option '-o, --output <format>' argument 'yaml' is invalid. Allowed choices are text, json, markdown.\nnfctl: run with --help for usage\n",
    ],
  ];
  for (const [args, stderr] of cases) {
    const r = nfctl(args);
    t.equal(r.code, 1, args.join(" "));
    t.equal(r.stderr, stderr, args.join(" "));
  }
});

t.test("--lock-timeout is a duration with its unit; a bare number is refused", async (t) => {
  for (const command of ["apply", "destroy", "watch"]) {
    const r = nfctl([command, "--lock-timeout", "3000"]);
    t.equal(r.code, 1, command);
    t.equal(
      r.stderr,
      "nfctl: option '--lock-timeout <duration>' argument '3000' is invalid. \"3000\" needs a unit, e.g. 3000ms or 3s\nnfctl: run with --help for usage\n",
      command,
    );
  }
  t.match(nfctl(["apply", "--lock-timeout", "400"]).stderr, /"400" needs a unit, e\.g\. 400ms\n/);
});

t.test("help shows defaults as users type them", async (t) => {
  const help = nfctl(["watch", "--help"]).stdout.replace(/\s+/g, " ");
  t.match(help, "--lock-timeout <duration> how long to wait for another nfctl to finish (default: 30s)");
  t.match(help, "--listen <host:port> where to serve /metrics, /healthz, /readyz and /status (default: 127.0.0.1:9464)");
  t.match(nfctl(["apply", "--help"]).stdout.replace(/\s+/g, " "), "(default: 30s)");
});
