/**
 * Host selectors: matching (globs, labels, expressions), and configs with
 * selectors on documents and interfaces, loaded for one host, with every
 * mistake in a selector at its file, line and column.
 */
import t from "tap";
import { join } from "node:path";
import { globMatches, selectsHost } from "../../src/reconcile/config/index.js";
import type { Host } from "../../src/reconcile/index.js";
import { BUILD, configText, desiredOf, errorsOf, hookText, load, nfText } from "./helpers/configs.js";

const COUNTER = join(BUILD, "counter.o");
const edge: Host = { name: "edge-7.fra", labels: { role: "edge", zone: "eu-1", empty: "" } };

t.test("host name globs: * any characters, ? one, case ignored, nothing else special", async (t) => {
  t.ok(globMatches("edge-*", "edge-7.fra"));
  t.ok(globMatches("*.fra", "edge-7.fra"));
  t.ok(globMatches("EDGE-?.FRA", "edge-7.fra"));
  t.ok(globMatches("*", "anything"));
  t.notOk(globMatches("edge-?", "edge-17"), "? is one character");
  t.notOk(globMatches("edge.7", "edgex7"), ". is a dot");
  t.notOk(globMatches("edge-7", "edge-7.fra"), "the whole name must match");
  t.notOk(globMatches("a+b", "aab"), "regex characters are literal");
  t.ok(globMatches("a*b*c", "axxbyybc"), "a star retries past a false start");
  t.ok(globMatches("**x*", "x"), "stars match nothing too");
  t.notOk(globMatches("*a", "ab"));
  t.notOk(globMatches("?", ""));
});

t.test("a glob of many stars is decided at once, not by backtracking", async (t) => {
  const start = performance.now();
  t.notOk(globMatches(`${"*e".repeat(30)}*x`, "e".repeat(200)));
  t.ok(performance.now() - start < 50, `took ${Math.round(performance.now() - start)} ms`);
});

t.test("every term of a selector must match", async (t) => {
  t.ok(selectsHost(undefined, edge), "no selector selects every host");
  t.ok(selectsHost({}, edge), "nor does an empty one exclude any");
  t.ok(selectsHost({ hostnames: ["core-*", "edge-*"] }, edge), "one of the names");
  t.notOk(selectsHost({ hostnames: ["core-*"] }, edge));
  t.ok(selectsHost({ matchLabels: { role: "edge", zone: "eu-1" } }, edge));
  t.notOk(selectsHost({ matchLabels: { role: "edge", zone: "eu-2" } }, edge), "every label");
  t.ok(selectsHost({ matchLabels: { empty: "" } }, edge), "an empty value is a value");
  t.notOk(selectsHost({ matchLabels: { toString: "" } }, edge), "only the host's own labels count");
  t.notOk(selectsHost({ hostnames: ["edge-*"], matchLabels: { role: "core" } }, edge), "names and labels both");
});

t.test("expressions: In, NotIn, Exists, DoesNotExist", async (t) => {
  const holds = (operator: "In" | "NotIn" | "Exists" | "DoesNotExist", key: string, values?: string[]) =>
    selectsHost({ matchExpressions: [{ key, operator, ...(values && { values }) }] }, edge);
  t.ok(holds("In", "zone", ["eu-1", "eu-2"]));
  t.notOk(holds("In", "zone", ["us-1"]));
  t.notOk(holds("In", "rack", ["r1"]), "In needs the label");
  t.ok(holds("NotIn", "zone", ["us-1"]));
  t.notOk(holds("NotIn", "zone", ["eu-1"]));
  t.ok(holds("NotIn", "rack", ["r1"]), "NotIn holds for a host without the label, as in Kubernetes");
  t.ok(holds("Exists", "role"));
  t.notOk(holds("Exists", "rack"));
  t.ok(holds("DoesNotExist", "rack"));
  t.ok(holds("DoesNotExist", "constructor"), "only the host's own labels count");
  t.notOk(holds("DoesNotExist", "role"));
  t.notOk(
    selectsHost(
      {
        matchExpressions: [
          { key: "role", operator: "Exists" },
          { key: "zone", operator: "In", values: ["us-1"] },
        ],
      },
      edge,
    ),
    "every expression",
  );
});

const counter = nfText("counter", COUNTER, "xdp_counter");

/** A document whose spec starts with `selector` (lines at four spaces under spec:), then the interfaces. */
function selectedDocument(selector: string, interfaces: string): string {
  return configText(interfaces).replace("spec:\n", `spec:\n  hostSelector:\n${selector}`);
}

t.test("a document that does not select the host is left out; another may configure the same hook", async (t) => {
  const text = [
    selectedDocument("    hostnames: [edge-*]\n", hookText("eth1", "xdp", [counter])),
    selectedDocument("    hostnames: [core-*]\n", hookText("eth1", "xdp", [nfText("other", COUNTER, "xdp_counter")])),
  ].join("---\n");
  const dir = t.testdir({ "fleet.yaml": text });
  const chains = (host: Host) =>
    desiredOf(load(dir, ["fleet.yaml"], { host })).hooks.map((h) => `${h.ifname}/${h.hook}: ${h.chain.map((n) => n.name).join(",")}`);
  t.same(chains(edge), ["eth1/xdp: counter"]);
  t.same(chains({ name: "core-2", labels: {} }), ["eth1/xdp: other"]);
  t.same(chains({ name: "lab-1", labels: {} }), [], "a host no document selects gets nothing: as if there were no config");
});

t.test("an interface entry that does not select the host is left out, even a repeated one", async (t) => {
  const interfaces =
    hookText("eth1", "xdp", [counter]) +
    "    - name: eth2\n      hostSelector:\n        matchLabels: { role: edge }\n      xdp:\n        chain:\n" +
    counter +
    "    - name: eth2\n      hostSelector:\n        matchLabels: { role: core }\n      xdp:\n        chain:\n" +
    nfText("core", COUNTER, "xdp_counter");
  const dir = t.testdir({ "c.yaml": configText(interfaces) });
  const chains = (host: Host) => desiredOf(load(dir, ["c.yaml"], { host })).hooks.map((h) => `${h.ifname}: ${h.chain.map((n) => n.name).join(",")}`);
  t.same(chains(edge), ["eth1: counter", "eth2: counter"]);
  t.same(chains({ name: "core-1", labels: { role: "core" } }), ["eth1: counter", "eth2: core"]);
  t.same(chains({ name: "lab", labels: {} }), ["eth1: counter"]);
  t.same(errorsOf(load(dir, ["c.yaml"], { host: { name: "both", labels: {} } })), [], "entries for other hosts are no repetition");
});

t.test("a document left out is not checked against its objects, but its selectors are", async (t) => {
  const text = selectedDocument("    hostnames: [core-*]\n", hookText("eth1", "xdp", [nfText("c", "./nope.o", "xdp_counter")]));
  const dir = t.testdir({ "c.yaml": text });
  t.same(errorsOf(load(dir, ["c.yaml"], { host: edge })), []);
  t.match(errorsOf(load(dir, ["c.yaml"], { host: { name: "core-1", labels: {} } })), [
    /c\.yaml:\d+:\d+: spec\.interfaces\[0\]\.xdp\.chain\[0\]\.object: object file .*nope\.o does not exist/,
  ]);
});

t.test("mistakes in selectors: file, line and column, whichever host loads the config", async (t) => {
  const selector = [
    "    hostnames: ['edge 1', edge-*]",
    "    matchLabels:",
    "      -role: edge",
    "      zone: 'eu 1'",
    "    matchExpressions:",
    "      - { key: zone, operator: Within, values: [a] }",
    "      - { key: zone, operator: Exists, values: [a] }",
    "      - { key: zone, operator: In }",
    "      - { key: zone, operator: NotIn, values: [] }",
    "      - { key: 'example.com/rack', operator: DoesNotExist }",
    "",
  ].join("\n");
  const interfaceSelector = "      hostSelector:\n        matchExpressions:\n          - { key: role, operator: DoesNotExist, values: [x] }\n";
  const text = selectedDocument(selector, hookText("eth1", "xdp", [counter]).replace("      xdp:", `${interfaceSelector}      xdp:`));
  const dir = t.testdir({ "c.yaml": text });
  // Lines: 1-5 apiVersion to spec, 6 hostSelector, 7 hostnames, 8 matchLabels, 9 -role, 10 zone, 11 matchExpressions, 12-16 the expressions.
  t.same(errorsOf(load(dir, ["c.yaml"], { host: edge })), [
    'c.yaml:7:17: spec.hostSelector.hostnames[0]: must be a host name glob: letters, digits, ".", "-", "_", and * or ?',
    'c.yaml:9:7: spec.hostSelector.matchLabels: "-role" must be a label key: an optional DNS prefix and "/", then 1 to 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit',
    'c.yaml:10:13: spec.hostSelector.matchLabels.zone: must be a label value: empty, or 1 to 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit',
    "c.yaml:12:32: spec.hostSelector.matchExpressions[0].operator: must be one of: In, NotIn, Exists, DoesNotExist",
  ]);
  // With the syntax right, the checks the schema cannot make.
  const fixed = text.replace("['edge 1', edge-*]", "[edge-*]").replace("-role: edge", "role: edge").replace("'eu 1'", "eu-1").replace("Within", "In");
  const fixedDir = t.testdir({ "c.yaml": fixed });
  for (const host of [edge, { name: "core-1", labels: {} }]) {
    t.same(
      errorsOf(load(fixedDir, ["c.yaml"], { host })),
      [
        "c.yaml:13:40: spec.hostSelector.matchExpressions[1].values: operator Exists takes no values; remove values",
        "c.yaml:14:9: spec.hostSelector.matchExpressions[2]: operator In needs values: the label values to compare with",
        "c.yaml:15:47: spec.hostSelector.matchExpressions[3].values: operator NotIn needs values: the label values to compare with",
        "c.yaml:21:50: spec.interfaces[0].hostSelector.matchExpressions[0].values: operator DoesNotExist takes no values; remove values",
      ],
      `for ${host.name}`,
    );
  }
});
