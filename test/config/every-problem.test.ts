/**
 * Every problem of every file in one run: a schema error leaves the rest of
 * its file checked against the objects (each part that passed the schema),
 * a YAML syntax error stops its own file only, and the errors come grouped
 * by file, in the order they appear, each once, with a code.
 */
import t from "tap";
import { join } from "node:path";
import { BUILD, TYPO_AND_MORE, configText, errorsOf, hookText, load, nfText } from "./helpers/configs.js";

const COUNTER = join(BUILD, "counter.o");
const BLOCKLIST = join(BUILD, "blocklist.o");

t.test("a schema error does not hide the object, program and map problems beside it", async (t) => {
  const dir = t.testdir({ "c.yaml": TYPO_AND_MORE });
  const result = load(dir, ["c.yaml"]);
  t.same(errorsOf(result), [
    'c.yaml:10:13: spec.interfaces[0].xdp.chain[0]: "program" is required',
    'c.yaml:12:13: spec.interfaces[0].xdp.chain[0]: unknown field "progam" (did you mean "program"?)',
    "c.yaml:14:21: spec.interfaces[0].xdp.chain[1].object: object file /nonexistent.o does not exist",
    `c.yaml:18:22: spec.interfaces[0].xdp.chain[2].program: ${COUNTER} has no program "xdp_countr" (it has: xdp_counter, tc_counter)`,
    `c.yaml:23:15: spec.interfaces[0].xdp.chain[3].maps.blocklist_v5: ${BLOCKLIST} has no map "blocklist_v5" (it has: nf_next, nf_stats, blocklist_v4, blocklist_v6)`,
    'c.yaml:24:31: spec.interfaces[0].xdp.chain[3].maps.blocklist_v4["10.0.0.1/8"]: "10.0.0.1/8" has host bits set beyond the /8; the network is 10.0.0.0/8',
    // Another interface, whose hook passed the schema whole: checked as in a valid file (here: fine).
  ]);
  t.same(result.ok ? [] : result.errors.map((e) => e.code), [
    "schema-required",
    "schema-unknown-field",
    "object-not-found",
    "program-not-found",
    "map-not-found",
    "map-value",
  ]);
});

t.test("a hook that passed the schema in a document that did not is checked whole, chain rules included", async (t) => {
  const text = configText(
    "    - name: eth1\n      colour: red\n" +
      hookText("eth1", "xdp", [nfText("c", COUNTER, "xdp_counter"), nfText("c", COUNTER, "xdp_counter")])
        .split("\n")
        .slice(1)
        .join("\n"),
  );
  const dir = t.testdir({ "c.yaml": text });
  t.same(errorsOf(load(dir, ["c.yaml"])), [
    'c.yaml:8:7: spec.interfaces[0]: unknown field "colour"; the fields here are: name, hostSelector, xdp, tcIngress, tcEgress',
    'c.yaml:14:19: spec.interfaces[0].xdp.chain[1].name: NF name "c" is already used by chain[0] at line 11; NF names must be unique within a hook',
  ]);
});

t.test("nothing is checked under a host selector that failed the schema, nor where a selector leaves the host out", async (t) => {
  const badSelector = configText(hookText("eth1", "xdp", [nfText("c", "/nonexistent.o", "xdp_counter")])).replace(
    "spec:\n",
    "spec:\n  hostSelector: { hostnames: edge-1 }\n",
  );
  const otherHost = configText(
    "    - name: eth1\n      hostSelector: { hostnames: [core-*] }\n" +
      hookText("eth1", "xdp", [nfText("c", "/nonexistent.o", "xdp_counter")])
        .split("\n")
        .slice(1)
        .join("\n") +
      "    - name: eth2\n      colour: red\n      xdp: { chain: [{ name: c, object: /nonexistent.o, program: xdp_counter }] }\n",
  );
  const dir = t.testdir({ "a.yaml": badSelector, "b.yaml": otherHost });
  t.same(errorsOf(load(dir, ["a.yaml", "b.yaml"], { host: { name: "edge-1", labels: {} } })), [
    "a.yaml:6:30: spec.hostSelector.hostnames: must be a list",
    'b.yaml:15:7: spec.interfaces[1]: unknown field "colour"; the fields here are: name, hostSelector, xdp, tcIngress, tcEgress',
    "b.yaml:16:41: spec.interfaces[1].xdp.chain[0].object: object file /nonexistent.o does not exist",
  ]);
});

t.test("every file's errors, grouped by file in the order given, each in file order, a syntax error stopping its file only", async (t) => {
  const dir = t.testdir({
    "a.yaml": configText(hookText("eth1", "xdp", [nfText("c", COUNTER, "xdp_counter")])),
    // A problem of its own, then the hook a.yaml configured: the conflict is found after every file, and shown in its place.
    "b.yaml": configText(hookText("eth0", "xdp", [nfText("c", COUNTER, "xdp_countr")]) + hookText("eth1", "xdp", [nfText("c", COUNTER, "xdp_counter")])),
    // An unclosed "{".
    "c.yaml": TYPO_AND_MORE.replace("spec:\n", "spec: {\n"),
    "d.yaml": TYPO_AND_MORE,
  });
  const errors = errorsOf(load(dir, ["a.yaml", "b.yaml", "c.yaml", "d.yaml"]));
  t.same(
    errors.map((e) => e.split(": ").slice(0, 2).join(": ")),
    [
      "b.yaml:12:22: spec.interfaces[0].xdp.chain[0].program",
      "b.yaml:14:7: spec.interfaces[1].xdp",
      // The first error the parser met, on the line after the brace, without the echoes it reported after it.
      "c.yaml:7:13: invalid YAML",
      "d.yaml:10:13: spec.interfaces[0].xdp.chain[0]",
      "d.yaml:12:13: spec.interfaces[0].xdp.chain[0]",
      "d.yaml:14:21: spec.interfaces[0].xdp.chain[1].object",
      "d.yaml:18:22: spec.interfaces[0].xdp.chain[2].program",
      "d.yaml:23:15: spec.interfaces[0].xdp.chain[3].maps.blocklist_v5",
      'd.yaml:24:31: spec.interfaces[0].xdp.chain[3].maps.blocklist_v4["10.0.0.1/8"]',
    ],
  );
});
