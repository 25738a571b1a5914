/**
 * The log on stderr (no kernel): text for a person at a terminal, JSON
 * lines in a pipe, --log-format to choose, NFCTL_LOG_LEVEL beside
 * --log-level (the flag wins).
 */
import t from "tap";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { EXAMPLES } from "../config/helpers/configs.js";

const NFCTL = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));
const PLAN = ["plan", "--offline", "-f", join(EXAMPLES, "counter.yaml"), "-o", "json"];

/** nfctl's stderr, its stdout to /dev/null. */
function stderrOf(args: string[], env: Record<string, string> = {}): string {
  const r = spawnSync(process.execPath, [NFCTL, ...args], { encoding: "utf8", env: { PATH: process.env.PATH ?? "", NO_COLOR: "1", ...env } });
  if (r.status !== 0) throw new Error(`nfctl ${args.join(" ")}: exit ${r.status}: ${r.stderr}`);
  return r.stderr;
}

const TEXT_LINE = /^\[\d\d:\d\d:\d\d\.\d{3}\] DEBUG: command loaded\n/;

t.test("in a pipe the log is JSON lines; --log-format text makes it text", async (t) => {
  const json = stderrOf(["--log-level", "debug", ...PLAN]);
  t.same(
    json
      .trim()
      .split("\n")
      .map((l) => (JSON.parse(l) as { msg: string }).msg),
    ["command loaded"],
  );
  t.match(stderrOf(["--log-level", "debug", "--log-format", "text", ...PLAN]), TEXT_LINE);
  t.equal(stderrOf(["--log-format", "text", ...PLAN]), "", "warn by default: nothing here");
});

t.test("on a terminal the log is text", async (t) => {
  // script(1) gives nfctl a pseudo-terminal for stdin, stdout and stderr.
  const command = [process.execPath, NFCTL, "--log-level", "debug", ...PLAN].map((a) => `'${a}'`).join(" ");
  const r = spawnSync("script", ["-qec", command, "/dev/null"], { encoding: "utf8", env: { PATH: process.env.PATH ?? "", NO_COLOR: "1", TERM: "dumb" } });
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout.replace(/\r\n/g, "\n"), TEXT_LINE);
});

t.test("NFCTL_LOG_LEVEL sets the level; --log-level wins over it", async (t) => {
  t.match(stderrOf(PLAN, { NFCTL_LOG_LEVEL: "debug" }), /"msg":"command loaded"/);
  t.equal(stderrOf(["--log-level", "warn", ...PLAN], { NFCTL_LOG_LEVEL: "debug" }), "");
  const help = spawnSync(process.execPath, [NFCTL, "--help"], { encoding: "utf8" }).stdout.replace(/\s+/g, " ");
  t.match(help, "env: NFCTL_LOG_LEVEL");
  t.match(help, '--log-format <format> the log on stderr as text or JSON lines (choices: "text", "json", default: text on a terminal, else json)');
});
