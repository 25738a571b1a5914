/**
 * Bad input through the CLI: one clear message naming the file, line and
 * field, exit 1, no stack trace, and the kernel exactly as it was.
 */
import t from "tap";
import { writeFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createLab, ADDR, type Lab } from "../../scripts/test-lab.js";
import { requireKernel, newPrograms, pinTree, type TapTest } from "../helpers/kernel.js";
import { nfctl, writeConfig } from "../helpers/cli.js";
import { BUILD } from "../../scripts/nfs.js";
import { listIds } from "../../src/native/index.js";

requireKernel();

const before = listIds("prog");
const lab: Lab = createLab();
t.teardown(lab.cleanup);
const dir = t.testdir();
const good = writeConfig(dir, "good.yaml", {
  xdp: [
    { name: "c1", nf: "counter" },
    { name: "bl", nf: "blocklist", maps: `blocklist_v4:\n  ${ADDR.blocked}/32: 1` },
  ],
});
const applied = nfctl(lab, ["apply", "-f", good]);
if (applied.code !== 0) throw new Error(`setup apply failed: ${applied.stderr}`);

function kernelState(): string {
  return JSON.stringify({ pins: pinTree(lab.root), programs: newPrograms(before).sort((a, b) => a - b) });
}
const baseline = kernelState();

/**
 * Writes `text` as a config, runs plan and apply on it, and checks both fail
 * alike, with exactly the message `expected` (where $FILE stands for the
 * config's path), without changing the kernel.
 */
function rejects(t: TapTest, name: string, text: string, expected: string, extraFiles: string[] = []): void {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, text);
  for (const command of ["plan", "apply"]) {
    const r = nfctl(lab, [command, ...[file, ...extraFiles].flatMap((f) => ["-f", f])]);
    t.equal(r.code, 1, `${command}: exit 1`);
    t.equal(r.stdout, "", `${command}: nothing on stdout`);
    t.equal(r.stderr, expected.replaceAll("$FILE", file), `${command}: the message`);
    t.notMatch(r.stderr, /\n\s+at /, `${command}: no stack trace`);
  }
  t.equal(kernelState(), baseline, "the kernel is unchanged");
}

const goodText = readFileSync(good, "utf8");

t.test("malformed YAML", async (t) => {
  rejects(
    t,
    "malformed",
    goodText.replace("kind: NetworkFunctions", "kind: [NetworkFunctions"),
    "nfctl: $FILE:3:1: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]\n",
  );
});

t.test("an unknown field", async (t) => {
  rejects(
    t,
    "unknown-field",
    goodText.replace("program: xdp_counter", "progam: xdp_counter"),
    'nfctl: $FILE:10:13: spec.interfaces[0].xdp.chain[0]: "program" is required\n' +
      'nfctl: $FILE:12:13: spec.interfaces[0].xdp.chain[0]: unknown field "progam" (did you mean "program"?)\n',
  );
});

t.test("a wrong type", async (t) => {
  rejects(
    t,
    "wrong-type",
    goodText.replace("name: c1", "name: 42"),
    'nfctl: $FILE:10:19: spec.interfaces[0].xdp.chain[0].name: must be a string; put it in quotes: "42"\n',
  );
});

t.test("a duplicate NF name on a hook", async (t) => {
  rejects(
    t,
    "duplicate",
    goodText.replace("name: bl", "name: c1"),
    'nfctl: $FILE:13:19: spec.interfaces[0].xdp.chain[1].name: NF name "c1" is already used by chain[0] at line 10; NF names must be unique within a hook\n',
  );
});

t.test("a missing object file", async (t) => {
  rejects(
    t,
    "missing-object",
    goodText.replace(`${BUILD}/counter.o`, `${BUILD}/nope.o`),
    `nfctl: $FILE:11:21: spec.interfaces[0].xdp.chain[0].object: object file ${BUILD}/nope.o does not exist\n`,
  );
});

t.test("a program name the object lacks", async (t) => {
  rejects(
    t,
    "missing-program",
    goodText.replace("program: xdp_counter", "program: xdp_nope"),
    `nfctl: $FILE:12:22: spec.interfaces[0].xdp.chain[0].program: ${BUILD}/counter.o has no program "xdp_nope" (it has: xdp_counter, tc_counter)\n`,
  );
});

t.test("a map name the object lacks", async (t) => {
  rejects(
    t,
    "missing-map",
    goodText.replace("blocklist_v4:", "blocklist_v9:"),
    `nfctl: $FILE:17:15: spec.interfaces[0].xdp.chain[1].maps.blocklist_v9: ${BUILD}/blocklist.o has no map "blocklist_v9" (it has: nf_next, nf_stats, blocklist_v4, blocklist_v6)\n`,
  );
});

t.test("an unknown interface", async (t) => {
  rejects(
    t,
    "unknown-interface",
    goodText.replace("name: veth-b", "name: nosuch0"),
    'nfctl: $FILE:8:7: interface "nosuch0" does not exist in this network namespace\n',
  );
});

t.test("a hook claimed by two files names both", async (t) => {
  const second = join(dir, "second.yaml");
  writeFileSync(second, goodText);
  rejects(
    t,
    "first",
    goodText,
    `nfctl: ${second}:8:7: spec.interfaces[0].xdp: the xdp hook of interface "veth-b" is already configured at $FILE:8:7 (spec.interfaces[0].xdp); a hook can be configured in one place only\n`,
    [second],
  );
});
