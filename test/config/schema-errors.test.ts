/**
 * YAML and schema errors: each at its file, line and column, with its
 * field path and a sentence, all of a file at once.
 */
import t, { type Test } from "tap";
import { join } from "node:path";
import { BUILD, configText, errorsOf, load } from "./helpers/configs.js";
import { formatConfigError, formatPath } from "../../src/reconcile/config/index.js";

/** An object that does not exist: an NF with a schema error is not checked against its object, so it goes unnoticed there. */
const COUNTER = "/nonexistent/counter.o";

/** Writes one file and returns the printed errors of loading it. */
function errorsFor(t: Test, text: string): string[] {
  const dir = t.testdir({ "c.yaml": text });
  return errorsOf(load(dir, ["c.yaml"]));
}

t.test("errors print as file:line:column: path: message", async (t) => {
  t.equal(
    formatConfigError({ file: "edge.yaml", line: 9, column: 13, path: "spec.interfaces[0]", message: "oops" }),
    "edge.yaml:9:13: spec.interfaces[0]: oops",
  );
  t.equal(formatConfigError({ file: "edge.yaml", line: 0, column: 0, path: "", message: "the file is empty" }), "edge.yaml: the file is empty");
  t.equal(
    formatPath(["spec", "interfaces", 0, "xdp", "chain", 1, "maps", "blocklist_v4", "10.0.0.0/8"]),
    'spec.interfaces[0].xdp.chain[1].maps.blocklist_v4["10.0.0.0/8"]',
  );
});

t.test("what a message quotes from the config is shortened, and escaped", async (t) => {
  const at = (message: string) => formatConfigError({ file: "c.yaml", line: 3, column: 5, path: "", message });
  t.equal(
    at(`unknown field "${"x".repeat(5000)}"`),
    `c.yaml:3:5: unknown field "${"x".repeat(99)}…(5,002 characters)…${"x".repeat(39)}"`,
    "a long word keeps its two ends and says its length",
  );
  const path = `/${"d".repeat(200)}/${"e".repeat(197)}`;
  t.equal(at(`${path} does not exist`), `c.yaml:3:5: ${path} does not exist`, "a word of 400 characters (a long path) stays whole");
  // 💥 is two UTF-16 units; a cut between them would print a broken character.
  t.equal(at(`x${"💥".repeat(300)}`), `c.yaml:3:5: x${"💥".repeat(49)}…(601 characters)…${"💥".repeat(20)}`, "a cut never splits a character");
  const spaced = at(`unknown field "${"ab ".repeat(5000)}"`);
  t.equal(
    spaced,
    `c.yaml:3:5: unknown field "${"ab ".repeat(5000)}"`.slice(0, "c.yaml:3:5: ".length + 2000) + "…(13,016 more characters)",
    "a long message of short words is cut after 2,000 characters",
  );
  t.equal(at('unknown field "a\nb\u202e"'), 'c.yaml:3:5: unknown field "a\\nb\\u202e"', "a newline or a bidi override is shown as an escape");
  const longKey = formatConfigError({ file: "c.yaml", line: 3, column: 5, path: `spec["${"k".repeat(500)}"]`, message: "oops" });
  t.equal(longKey, `c.yaml:3:5: spec["${"k".repeat(94)}…(509 characters)…${"k".repeat(37)}"]: oops`, "a field path is shortened too");
});

t.test("malformed YAML names its file, line and column", async (t) => {
  t.same(errorsFor(t, "apiVersion: nfctl.io/v1alpha1\nkind: NetworkFunctions\nmetadata:\n\tname: x\n"), [
    "c.yaml:4:1: invalid YAML: Tabs are not allowed as indentation",
  ]);
  t.same(errorsFor(t, "apiVersion: a\napiVersion: b\n"), ["c.yaml:2:1: invalid YAML: Map keys must be unique"]);
});

t.test("an empty file is an error", async (t) => {
  t.same(errorsFor(t, ""), ["c.yaml: the file is empty; expected a NetworkFunctions config"]);
  t.same(errorsFor(t, "# only a comment\n---\n"), ["c.yaml: the file is empty; expected a NetworkFunctions config"]);
});

t.test("a document that is not a mapping", async (t) => {
  t.same(errorsFor(t, "- eth1\n"), ["c.yaml:1:1: must be a mapping (key: value lines)"]);
});

t.test("an unknown field, with a suggestion, at its key", async (t) => {
  const text = configText(
    `    - name: eth1\n      xdp:\n        chain:\n          - name: c\n            object: ${COUNTER}\n            progam: xdp_counter\n`,
  );
  t.same(errorsFor(t, text), [
    'c.yaml:10:13: spec.interfaces[0].xdp.chain[0]: "program" is required',
    'c.yaml:12:13: spec.interfaces[0].xdp.chain[0]: unknown field "progam" (did you mean "program"?)',
  ]);
});

t.test("an unknown field with nothing close lists the fields", async (t) => {
  const dir = t.testdir({ "c.yaml": configText("    - name: eth1\n      colour: red\n      xdp: { chain: [{ name: c, object: o.o, program: p }] }\n") });
  t.same(errorsOf(load(dir, ["c.yaml"])), [
    'c.yaml:8:7: spec.interfaces[0]: unknown field "colour"; the fields here are: name, hostSelector, xdp, tcIngress, tcEgress',
    // The hook itself passed the schema: it is checked against its objects.
    `c.yaml:9:41: spec.interfaces[0].xdp.chain[0].object: object file ${join(dir, "o.o")} does not exist`,
  ]);
});

t.test("a wrong type", async (t) => {
  const text = configText(
    `    - name: eth1\n      xdp:\n        chain:\n          - name: c\n            object: ${COUNTER}\n            program: [xdp_counter]\n            enabled: "yes"\n            version: 1.10\n`,
  );
  t.same(errorsFor(t, text), [
    "c.yaml:12:22: spec.interfaces[0].xdp.chain[0].program: must be a string",
    "c.yaml:13:22: spec.interfaces[0].xdp.chain[0].enabled: must be true or false",
    'c.yaml:14:22: spec.interfaces[0].xdp.chain[0].version: must be a string; put it in quotes: "1.10"',
  ]);
});

t.test("a hook with nothing under it points at its key", async (t) => {
  t.same(errorsFor(t, configText("    - name: eth1\n      xdp:\n")), ["c.yaml:8:7: spec.interfaces[0].xdp: must be a mapping (key: value lines)"]);
});

t.test("a bad enum value lists the allowed ones", async (t) => {
  const text = configText(
    `    - name: eth1\n      xdp:\n        mode: nativ\n        chain:\n          - name: c\n            object: ${COUNTER}\n            program: xdp_counter\n            proceedOn: [pass, ok]\n      tcEgress:\n        chain:\n          - name: c\n            object: ${COUNTER}\n            program: tc_counter\n            proceedOn: [pass]\n`,
  );
  t.same(errorsFor(t, text), [
    'c.yaml:9:15: spec.interfaces[0].xdp.mode: must be one of: native, generic, auto (did you mean "native"?)',
    "c.yaml:14:31: spec.interfaces[0].xdp.chain[0].proceedOn[1]: must be one of: aborted, drop, pass, tx, redirect",
    "c.yaml:20:25: spec.interfaces[0].tcEgress.chain[0].proceedOn[0]: must be one of: unspec, ok, reclassify, shot, pipe, stolen, queued, repeat, redirect",
  ]);
});

t.test("missing required fields are reported at the mapping that lacks them", async (t) => {
  t.same(errorsFor(t, "apiVersion: nfctl.io/v1alpha1\nkind: NetworkFunctions\nmetadata:\n  title: x\n"), [
    'c.yaml:1:1: "spec" is required',
    'c.yaml:4:3: metadata: "name" is required',
    'c.yaml:4:3: metadata: unknown field "title"; the fields here are: name',
  ]);
});

t.test("constants, patterns and limits", async (t) => {
  // A real object: each NF of the chain too long passed the schema, and is checked against it.
  const nf = `          - name: c\n            object: ${BUILD}/counter.o\n            program: xdp_counter\n`;
  const text =
    "apiVersion: nfctl.io/v1\nkind: NetworkFunctions\nmetadata:\n  name: Edge\nspec:\n  interfaces:\n" +
    "    - name: eth1/2\n" +
    `    - name: eth2\n      xdp:\n        chain:\n${nf.repeat(40)}` +
    "    - name: eth3\n";
  t.same(errorsFor(t, text), [
    'c.yaml:1:13: apiVersion: must be "nfctl.io/v1alpha1"',
    'c.yaml:4:9: metadata.name: must be 1 to 63 lowercase letters, digits, "-" or "_", starting and ending with a letter or digit',
    "c.yaml:7:7: spec.interfaces[0]: needs at least one of: xdp, tcIngress, tcEgress",
    'c.yaml:7:13: spec.interfaces[0].name: must be an interface name: 1 to 15 characters without "/", ":" or whitespace, and not "." or ".."',
    "c.yaml:11:11: spec.interfaces[1].xdp.chain: has 40 NFs; at most 32 can be chained",
    "c.yaml:131:7: spec.interfaces[2]: needs at least one of: xdp, tcIngress, tcEgress",
  ]);
});

t.test("map names, map values and repeated verdicts", async (t) => {
  const text = configText(
    `    - name: eth1\n      xdp:\n        chain:\n          - name: c\n            object: ${COUNTER}\n            program: xdp_counter\n            proceedOn: [pass, drop, pass]\n            maps:\n              bad-name: {}\n              ports: { 53: 1.5, 80: "1" }\n`,
  );
  t.same(errorsFor(t, text), [
    'c.yaml:13:37: spec.interfaces[0].xdp.chain[0].proceedOn[2]: "pass" is listed twice',
    'c.yaml:15:15: spec.interfaces[0].xdp.chain[0].maps: "bad-name" must be a C identifier: the name of a map in the object',
    'c.yaml:16:28: spec.interfaces[0].xdp.chain[0].maps.ports["53"]: must be an integer',
    'c.yaml:16:37: spec.interfaces[0].xdp.chain[0].maps.ports["80"]: must be an integer',
  ]);
});

t.test("every document of a multi-document file is checked", async (t) => {
  const text =
    "apiVersion: nfctl.io/v1alpha1\nkind: NetworkFunctions\nmetadata: { name: a }\nspec: { interfaces: [] }\n---\napiVersion: nfctl.io/v1alpha1\nkind: NetworkFunctions\nmetadata: { name: b }\nspec: { interfaces: [{ name: eth1 }] }\n---\n";
  t.same(errorsFor(t, text), ["c.yaml:9:22: spec.interfaces[0]: needs at least one of: xdp, tcIngress, tcEgress"]);
});
