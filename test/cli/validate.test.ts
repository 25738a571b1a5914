/**
 * `nfctl validate`, as CI runs it: a separate process, as nobody when the
 * tests run as root (no kernel, no root), reporting every problem of every
 * file at once, as text or as a JSON document of diagnostics.
 */
import t from "tap";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { BUILD, EXAMPLES, TYPO_AND_MORE, configText, hookText, nfText } from "../config/helpers/configs.js";
import { handOver, nfctl } from "../offline/helpers/unprivileged.js";

const NFCTL = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));
const COUNTER = join(BUILD, "counter.o");
const BLOCKLIST = join(BUILD, "blocklist.o");

/** A second file with a problem of its own. */
const wrongHook = configText(hookText("eth2", "tcEgress", [nfText("e", COUNTER, "xdp_counter")]));

t.test("a valid config: exit 0 and one line, for the host named", async (t) => {
  const r = nfctl(["validate", "-f", join(EXAMPLES, "fleet"), "--hostname", "edge-1", "--host-label", "role=edge", "--host-label", "zone=eu-1"]);
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, "nfctl: 3 files valid for host edge-1: 3 hooks, 4 NFs\n");
  t.equal(r.stderr, "");
  const core = nfctl(["validate", "-f", join(EXAMPLES, "counter.yaml"), "--hostname", "core-1"]);
  t.equal(core.stdout, "nfctl: 1 file valid for host core-1: 3 hooks, 3 NFs\n");
});

t.test("an invalid config: exit 1 and every problem of every file, as nobody", async (t) => {
  const dir = t.testdir({ "a.yaml": TYPO_AND_MORE, "b.yaml": wrongHook });
  handOver(dir);
  const r = nfctl(["validate", "-f", "a.yaml", "-f", "b.yaml"], { cwd: dir });
  t.equal(r.code, 1);
  t.equal(r.stdout, "");
  t.equal(
    r.stderr,
    [
      'nfctl: a.yaml:10:13: spec.interfaces[0].xdp.chain[0]: "program" is required',
      'nfctl: a.yaml:12:13: spec.interfaces[0].xdp.chain[0]: unknown field "progam" (did you mean "program"?)',
      "nfctl: a.yaml:14:21: spec.interfaces[0].xdp.chain[1].object: object file /nonexistent.o does not exist",
      `nfctl: a.yaml:18:22: spec.interfaces[0].xdp.chain[2].program: ${COUNTER} has no program "xdp_countr" (it has: xdp_counter, tc_counter)`,
      `nfctl: a.yaml:23:15: spec.interfaces[0].xdp.chain[3].maps.blocklist_v5: ${BLOCKLIST} has no map "blocklist_v5" (it has: nf_next, nf_stats, blocklist_v4, blocklist_v6)`,
      'nfctl: a.yaml:24:31: spec.interfaces[0].xdp.chain[3].maps.blocklist_v4["10.0.0.1/8"]: "10.0.0.1/8" has host bits set beyond the /8; the network is 10.0.0.0/8',
      `nfctl: b.yaml:12:22: spec.interfaces[0].tcEgress.chain[0].program: program xdp_counter in ${COUNTER} is an XDP program, but the tcEgress hook runs TC programs (SEC("tc"))`,
      "",
    ].join("\n"),
  );
});

t.test("-o json: the problems as diagnostics, in one document on stdout", async (t) => {
  const dir = t.testdir({ "a.yaml": TYPO_AND_MORE, "b.yaml": wrongHook });
  handOver(dir);
  const r = nfctl(["validate", "-f", dir, "-o", "json"], { cwd: dir });
  t.equal(r.code, 1);
  t.equal(r.stderr, "");
  const at = (file: string, line: number, column: number, path: string, code: string, message: string) => ({
    file: join(dir, file),
    line,
    column,
    path,
    code,
    severity: "error",
    message,
  });
  t.same(JSON.parse(r.stdout), {
    formatVersion: 1,
    kind: "Validation",
    valid: false,
    files: [join(dir, "a.yaml"), join(dir, "b.yaml")],
    diagnostics: [
      at("a.yaml", 10, 13, "spec.interfaces[0].xdp.chain[0]", "schema-required", '"program" is required'),
      at("a.yaml", 12, 13, "spec.interfaces[0].xdp.chain[0]", "schema-unknown-field", 'unknown field "progam" (did you mean "program"?)'),
      at("a.yaml", 14, 21, "spec.interfaces[0].xdp.chain[1].object", "object-not-found", "object file /nonexistent.o does not exist"),
      at(
        "a.yaml",
        18,
        22,
        "spec.interfaces[0].xdp.chain[2].program",
        "program-not-found",
        `${COUNTER} has no program "xdp_countr" (it has: xdp_counter, tc_counter)`,
      ),
      at(
        "a.yaml",
        23,
        15,
        "spec.interfaces[0].xdp.chain[3].maps.blocklist_v5",
        "map-not-found",
        `${BLOCKLIST} has no map "blocklist_v5" (it has: nf_next, nf_stats, blocklist_v4, blocklist_v6)`,
      ),
      at(
        "a.yaml",
        24,
        31,
        'spec.interfaces[0].xdp.chain[3].maps.blocklist_v4["10.0.0.1/8"]',
        "map-value",
        '"10.0.0.1/8" has host bits set beyond the /8; the network is 10.0.0.0/8',
      ),
      at(
        "b.yaml",
        12,
        22,
        "spec.interfaces[0].tcEgress.chain[0].program",
        "program-wrong-type",
        `program xdp_counter in ${COUNTER} is an XDP program, but the tcEgress hook runs TC programs (SEC("tc"))`,
      ),
    ],
  });
  const valid = nfctl(["validate", "-f", join(EXAMPLES, "counter.yaml"), "-o", "json"]);
  t.equal(valid.code, 0, valid.stderr);
  t.same(JSON.parse(valid.stdout), { formatVersion: 1, kind: "Validation", valid: true, files: [join(EXAMPLES, "counter.yaml")], diagnostics: [] });
});

t.test("as root, validate reads no kernel state and writes nothing under the bpffs root", { skip: process.getuid?.() !== 0 && "not root" }, async (t) => {
  const root = join(t.testdir(), "bpffs");
  const r = spawnSync(process.execPath, [NFCTL, "--bpffs", root, "validate", "-f", join(EXAMPLES, "counter.yaml")], {
    encoding: "utf8",
    env: { ...process.env, NFCTL_BPFFS: root },
  });
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /^nfctl: 1 file valid for host /);
  t.notOk(existsSync(root), "the bpffs root was neither made nor mounted");
});
