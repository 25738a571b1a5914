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

/** Writes `text` as a config, runs plan and apply on it, and checks both fail alike without changing the kernel. */
function rejects(t: TapTest, name: string, text: string, expected: RegExp | string, extraFiles: string[] = []): void {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, text);
  for (const command of ["plan", "apply"]) {
    const r = nfctl(lab, [command, ...[file, ...extraFiles].flatMap((f) => ["-f", f])]);
    t.equal(r.code, 1, `${command}: exit 1`);
    t.equal(r.stdout, "", `${command}: nothing on stdout`);
    if (typeof expected === "string") t.equal(r.stderr, expected.replaceAll("$FILE", file), `${command}: the message`);
    else t.match(r.stderr, expected, `${command}: the message`);
    t.notMatch(r.stderr, /\n\s+at /, `${command}: no stack trace`);
  }
  t.equal(kernelState(), baseline, "the kernel is unchanged");
}

const goodText = readFileSync(good, "utf8");

t.test("malformed YAML", async (t) => {
  rejects(t, "malformed", goodText.replace("  interfaces:\n", "  interfaces:\n   - [\n"), /^nfctl: .*malformed\.yaml:\d+:\d+: /);
});

t.test("an unknown field", async (t) => {
  rejects(
    t,
    "unknown-field",
    goodText.replace("program: xdp_counter", "progam: xdp_counter"),
    /malformed|unknown-field\.yaml:\d+:\d+: .*unknown field "progam" \(did you mean "program"\?\)/,
  );
});

t.test("a wrong type", async (t) => {
  rejects(t, "wrong-type", goodText.replace("name: c1", "name: 42"), /wrong-type\.yaml:\d+:\d+: .*name.*must be a string/);
});

t.test("a duplicate NF name on a hook", async (t) => {
  rejects(t, "duplicate", goodText.replace("name: bl", "name: c1"), /duplicate\.yaml:\d+:\d+: .*c1/);
});

t.test("a missing object file", async (t) => {
  rejects(t, "missing-object", goodText.replace(`${BUILD}/counter.o`, `${BUILD}/nope.o`), new RegExp(`missing-object\\.yaml:\\d+:\\d+: .*${BUILD}/nope\\.o`));
});

t.test("a program name the object lacks", async (t) => {
  rejects(
    t,
    "missing-program",
    goodText.replace("program: xdp_counter", "program: xdp_nope"),
    /missing-program\.yaml:\d+:\d+: .*xdp_nope.*xdp_counter, tc_counter/,
  );
});

t.test("a map name the object lacks", async (t) => {
  rejects(t, "missing-map", goodText.replace("blocklist_v4:", "blocklist_v9:"), /missing-map\.yaml:\d+:\d+: .*blocklist_v9.*blocklist_v4/);
});

t.test("an unknown interface", async (t) => {
  rejects(
    t,
    "unknown-interface",
    goodText.replace("name: veth-b", "name: nosuch0"),
    /unknown-interface\.yaml:\d+:\d+: .*interface "nosuch0" does not exist in this network namespace/,
  );
});

t.test("a hook claimed by two files names both", async (t) => {
  const second = join(dir, "second.yaml");
  writeFileSync(second, goodText);
  rejects(t, "first", goodText, /first\.yaml.*second\.yaml|second\.yaml.*first\.yaml/, [second]);
});
