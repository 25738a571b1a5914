/**
 * With `-o json`, a command that fails prints one JSON document on stdout
 * (kind "Error": diagnostics, as validate's) and nothing on stderr, and
 * still exits 1: a config's problems, the kernel's refusal, a plain error,
 * and commander's own (an unknown option, a bad value). Without it, errors
 * are text on stderr as before. As nobody when the tests run as root: no
 * kernel state is needed, nor changed.
 */
import t from "tap";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { BUILD, configText, hookText, nfText } from "../config/helpers/configs.js";
import { handOver, nfctl } from "../offline/helpers/unprivileged.js";

/** The diagnostics of an Error document, after checking its envelope. */
function diagnosticsOf(stdout: string): Array<Record<string, unknown>> {
  const out = JSON.parse(stdout) as { formatVersion: number; kind: string; diagnostics: Array<Record<string, unknown>> };
  if (out.formatVersion !== 1 || out.kind !== "Error") throw new Error(`not an Error envelope: ${stdout.slice(0, 200)}`);
  return out.diagnostics;
}

/** A diagnostic that is in no file. */
const general = (code: string, message: string) => ({ file: null, line: 0, column: 0, path: "", code, severity: "error", message });

t.test("plan -o json with a bad config: its problems as diagnostics", async (t) => {
  const dir = t.testdir({
    "c.yaml": configText(hookText("eth1", "xdp", [nfText("c", join(BUILD, "counter.o"), "xdp_countr", "            enabled: maybe\n")])),
  });
  handOver(dir);
  const r = nfctl(["plan", "--offline", "-f", "c.yaml", "-o", "json"], { cwd: dir });
  t.equal(r.code, 1);
  t.equal(r.stderr, "");
  t.same(diagnosticsOf(r.stdout), [
    {
      file: "c.yaml",
      line: 13,
      column: 22,
      path: "spec.interfaces[0].xdp.chain[0].enabled",
      code: "schema-type",
      severity: "error",
      message: "must be true or false",
    },
  ]);
  const text = nfctl(["plan", "--offline", "-f", "c.yaml"], { cwd: dir });
  t.equal(text.stderr, "nfctl: c.yaml:13:22: spec.interfaces[0].xdp.chain[0].enabled: must be true or false\n", "as text without -o json");
  t.equal(text.stdout, "");
});

t.test("status -o json: the kernel's refusal, with its errno", async (t) => {
  const file = join(t.testdir(), "not-a-directory");
  writeFileSync(file, "");
  handOver(file);
  const r = nfctl(["status", "-o", "json", "--bpffs", file]);
  t.equal(r.code, 1);
  t.equal(r.stderr, "");
  const [native, ...rest] = diagnosticsOf(r.stdout);
  t.same(rest, []);
  t.match(native, { file: null, line: 0, column: 0, path: "", code: "native", severity: "error", errno: "ENOTDIR" });
  t.match(native!.message, /^bpf_obj_get\(.*\/not-a-directory\/.*\): Not a directory \(ENOTDIR\)$/);
});

t.test("a plain error and commander's own errors, in every -o json spelling", async (t) => {
  const cases: Array<[string[], ReturnType<typeof general>]> = [
    [["validate", "-o", "json"], general("error", "validate needs -f PATH (repeatable) or --git URL")],
    [
      ["plan", "-f", "x.yaml", "--git", "https://example.com/x.git", "--output=json"],
      general("error", "-f and --git are mutually exclusive: give one source of the config"),
    ],
    [["plan", "--bogus", "-ojson"], general("usage", "unknown option '--bogus'")],
    [["status", "extra", "--output", "json"], general("usage", "too many arguments for 'status'. Expected 0 arguments but got 1.")],
    [
      ["destroy", "-o", "json", "--lock-timeout", "soon"],
      general("usage", `option '--lock-timeout <duration>' argument 'soon' is invalid. "soon" is not a duration; write it as 500ms, 30s, 5m, 1h or 1m30s`),
    ],
  ];
  for (const [args, diagnostic] of cases) {
    const r = nfctl(args);
    t.equal(r.code, 1, args.join(" "));
    t.equal(r.stderr, "", `${args.join(" ")}: nothing on stderr`);
    t.same(diagnosticsOf(r.stdout), [diagnostic], args.join(" "));
  }
  const text = nfctl(["plan", "--bogus"]);
  t.equal(text.code, 1);
  t.equal(text.stdout, "");
  t.equal(text.stderr, "nfctl: unknown option '--bogus'\nnfctl: run with --help for usage\n", "as text without -o json");
  const help = nfctl(["plan", "--help", "-o", "json"]);
  t.equal(help.code, 0, "--help still ends well");
  t.match(help.stdout, /^Usage: nfctl plan /);
});
