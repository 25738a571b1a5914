/**
 * What an offline plan says it planned against, the host it assumed, the
 * plans --out refuses to save, and plan's check of its capabilities: the
 * command line, no kernel.
 */
import t from "tap";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { EXAMPLES } from "../config/helpers/configs.js";
import { effectiveCapabilities, missingCapabilities } from "../../src/state/index.js";
import { planOf } from "./helpers/unprivileged.js";

const NFCTL = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));
const FLEET = join(EXAMPLES, "fleet");
const COUNTER = join(EXAMPLES, "counter.yaml");

function nfctl(args: string[], options: { uid?: number } = {}): { code: number; stdout: string; stderr: string } {
  // `env -i`: no host name from the environment (the system's is the one
  // assumed), and not the hooks the test runner adds to every child's (they write where nobody may not).
  const env = ["-i", `PATH=${process.env.PATH ?? ""}`, "NO_COLOR=1"];
  const r = spawnSync("env", [...env, process.execPath, NFCTL, ...args], {
    encoding: "utf8",
    ...(options.uid !== undefined && { uid: options.uid, gid: options.uid }),
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

t.test("an offline plan of a fleet config without --hostname says which host it assumed", async (t) => {
  const json = planOf(nfctl(["plan", "--offline", "-f", FLEET, "-o", "json"]).stdout);
  t.same(json.basis, { kind: "empty" });
  t.same(json.assumedHost, { name: hostname(), labels: {} });
  const text = nfctl(["plan", "--offline", "-f", FLEET]);
  t.equal(text.code, 0, text.stderr);
  t.equal(
    text.stdout.split("\n").slice(0, 2).join("\n"),
    `Planned for the assumed host ${hostname()} with no labels (this machine's name; --hostname and --host-label name the host planned for).\nPlanned offline, against an empty host (--offline: nothing read from a kernel).`,
  );
  t.match(nfctl(["plan", "--offline", "-f", FLEET, "-o", "markdown"]).stdout, `Planned for the assumed host ${hostname()} with no labels`);
  const named = planOf(nfctl(["plan", "--offline", "-f", FLEET, "--hostname", "edge-1", "-o", "json"]).stdout);
  t.equal(named.assumedHost, undefined, "a named host is not assumed");
  const noSelectors = planOf(nfctl(["plan", "--offline", "-f", COUNTER, "-o", "json"]).stdout);
  t.equal(noSelectors.assumedHost, undefined, "a config without host selectors is the same for every host");
});

t.test("plan --offline --out is refused before anything is written", async (t) => {
  const out = join(t.testdir(), "plan.json");
  const r = nfctl(["plan", "--offline", "-f", COUNTER, "--out", out]);
  t.equal(r.code, 1);
  t.equal(
    r.stderr,
    "nfctl: --out saves a plan for the host it was made against, and --offline plans against no host; save a plan made on the host, or with --observed FILE\n",
  );
  t.equal(r.stdout, "");
  t.notOk(existsSync(out), "no plan file");
});

t.test(
  "plan without the capabilities to read the kernel names them, and --offline",
  { skip: process.getuid?.() !== 0 && "needs root to run as nobody" },
  async (t) => {
    const r = nfctl(["plan", "-f", COUNTER], { uid: 65534 });
    t.equal(r.code, 1, r.stderr);
    t.equal(
      r.stderr,
      "nfctl: plan needs CAP_BPF, CAP_NET_ADMIN and CAP_SYS_ADMIN to read the kernel (missing: CAP_BPF, CAP_NET_ADMIN, CAP_SYS_ADMIN); run it as root, or with --offline to plan without a kernel\n",
    );
    t.equal(r.stdout, "");
    t.equal(nfctl(["plan", "-f", COUNTER, "--offline"], { uid: 65534 }).code, 0, "offline, nobody plans");
  },
);

t.test("the effective capabilities from /proc/PID/status", async (t) => {
  t.equal(effectiveCapabilities("Name:\tnode\nCapInh:\t0000000000000000\nCapEff:\t000001ffffffffff\nCapBnd:\t000001ffffffffff\n"), 0x1ffffffffffn);
  t.equal(effectiveCapabilities("Name:\tnode\n"), undefined);
  const netAdmin = 1n << 12n;
  t.same(missingCapabilities(netAdmin, ["CAP_BPF", "CAP_NET_ADMIN", "CAP_SYS_ADMIN"]), ["CAP_BPF", "CAP_SYS_ADMIN"]);
  t.same(missingCapabilities(0x1ffffffffffn, ["CAP_BPF", "CAP_NET_ADMIN", "CAP_SYS_ADMIN"]), [], "root's");
  t.same(missingCapabilities(0n, ["CAP_BPF"]), ["CAP_BPF"]);
  t.same(missingCapabilities((1n << 39n) | netAdmin | (1n << 21n), ["CAP_BPF", "CAP_NET_ADMIN", "CAP_SYS_ADMIN"]), [], "the systemd unit's");
});
