/**
 * The host options of the command line, offline (no kernel, no root): one
 * config for a fleet, planned for one host at a time.
 */
import t from "tap";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { EXAMPLES } from "../config/helpers/configs.js";

const NFCTL = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));
const FLEET = join(EXAMPLES, "fleet");

function nfctl(args: string[], env: NodeJS.ProcessEnv = {}): { code: number; stdout: string; stderr: string } {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== "NFCTL_HOSTNAME" && k !== "KUBE_NODE_NAME"));
  const r = spawnSync(process.execPath, [NFCTL, ...args], { encoding: "utf8", env: { ...clean, NO_COLOR: "1", ...env } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** The hooks a plan starts, as "ifname hook: nf -> nf". */
function chains(stdout: string): string[] {
  return [...stdout.matchAll(/^# (\S+) ([a-z-]+).*\n(?:.*\n)*?\s+chain: {2}\(empty\) {2}=> {2}(.*)$/gm)].map((m) => `${m[1]} ${m[2]}: ${m[3]}`);
}

t.test("--hostname and --host-label pick a host's documents and interfaces", async (t) => {
  const edge = nfctl(["plan", "--offline", "-f", FLEET, "--hostname", "edge-1", "--host-label", "role=edge", "--host-label", "zone=eu-1"]);
  t.equal(edge.code, 0, edge.stderr);
  t.same(chains(edge.stdout), ["eth1 xdp: blocklist -> counter", "eth1 tc-egress: counter", "eth2 xdp: portfilter"]);
  const core = nfctl(["plan", "--offline", "-f", FLEET, "--hostname", "core-1", "--host-label", "role=core"]);
  t.same(chains(core.stdout), ["eth1 xdp: ratelimit", "eth1 tc-egress: counter"]);
});

t.test("the name from NFCTL_HOSTNAME or KUBE_NODE_NAME, the labels from a file", async (t) => {
  const dir = t.testdir();
  writeFileSync(join(dir, "labels"), "# an edge host\nrole=edge\nzone=us-1\n");
  const fromEnv = nfctl(["plan", "--offline", "-f", FLEET, "--host-labels-file", join(dir, "labels")], { KUBE_NODE_NAME: "edge-4" });
  t.same(chains(fromEnv.stdout), ["eth1 xdp: blocklist -> counter", "eth1 tc-egress: counter"]);
  const flagWins = nfctl(["plan", "--offline", "-f", FLEET, "--hostname", "core-1", "--host-labels-file", join(dir, "labels"), "--host-label", "role=core"], {
    NFCTL_HOSTNAME: "edge-4",
  });
  t.same(chains(flagWins.stdout), ["eth1 xdp: ratelimit", "eth1 tc-egress: counter"], "--hostname over the environment, --host-label over the file");
  const markdown = nfctl(["plan", "--offline", "-f", FLEET, "-o", "markdown", "--host-labels-file", join(dir, "labels")], { NFCTL_HOSTNAME: "edge-4" });
  t.match(markdown.stdout, /^### Plan for `edge-4`: 3 to start/, "a named host is named in the heading");
  const unnamed = nfctl(["plan", "--offline", "-f", FLEET, "-o", "markdown"]);
  t.match(unnamed.stdout, /^### Plan: 1 to start/, "offline, the system's host name is not the host planned for: no name");
});

t.test("a bad label or labels file is one line, exit 1", async (t) => {
  const dir = t.testdir();
  writeFileSync(join(dir, "labels"), "role=edge\nrole=core\n");
  writeFileSync(join(dir, "big"), `# ${"x".repeat(64 * 1024)}\nrole=edge\n`);
  const cases: Array<[string[], RegExp]> = [
    [["--host-label", "role"], /^nfctl: --host-label "role" is not key=value\n$/],
    [["--host-label", "-role=x"], /^nfctl: --host-label "-role" is not a label key: /],
    [["--host-labels-file", join(dir, "labels")], /^nfctl: \S+labels:2: label "role" is already set at line 1\n$/],
    [["--host-labels-file", join(dir, "missing")], /^nfctl: cannot read the host labels file \S+missing: no such file or directory\n$/],
    // Read to its end, /dev/zero ended in std::bad_alloc.
    [["--host-labels-file", "/dev/zero"], /^nfctl: the host labels file \/dev\/zero is not a regular file\n$/],
    [["--host-labels-file", dir], /^nfctl: the host labels file \S+ is not a regular file\n$/],
    [["--host-labels-file", join(dir, "big")], /^nfctl: the host labels file \S+big is larger than 64 KiB, the most nfctl reads of it\n$/],
    [["--hostname", ""], /^nfctl: --hostname must not be empty\n$/],
  ];
  for (const [flags, message] of cases) {
    const r = nfctl(["plan", "--offline", "-f", FLEET, ...flags]);
    t.equal(r.code, 1, flags.join(" "));
    t.match(r.stderr, message);
    t.equal(r.stdout, "");
  }
  const saved = nfctl(["apply", join(dir, "plan.json"), "--hostname", "edge-1"]);
  t.equal(saved.code, 1);
  t.match(
    saved.stderr,
    /^nfctl: the host is chosen when the plan is made \(nfctl plan --hostname \.\.\. --out \.\.\.\); \S+plan\.json is applied as it was made\n$/,
  );
});
