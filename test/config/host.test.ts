/**
 * The host a config is loaded for: its name from the flag or the
 * environment, its labels from a file and flags, with the syntax of
 * Kubernetes labels, the same the schema gives selectors.
 */
import t from "tap";
import { readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { LABEL_KEY, LABEL_VALUE, parseLabel, parseLabelsFile, resolveHost } from "../../src/reconcile/index.js";

const SCHEMA = fileURLToPath(new URL("../../../schemas/nfconfig.schema.json", import.meta.url));

t.test("the name: --hostname, else NFCTL_HOSTNAME, else KUBE_NODE_NAME, else the system's", async (t) => {
  const env = { NFCTL_HOSTNAME: "from-env", KUBE_NODE_NAME: "node-3" };
  t.same(resolveHost({ name: "edge-1" }, env), { host: { name: "edge-1", labels: {} }, from: "--hostname" });
  t.same(resolveHost({}, env), { host: { name: "from-env", labels: {} }, from: "NFCTL_HOSTNAME" });
  t.same(resolveHost({}, { KUBE_NODE_NAME: "node-3", NFCTL_HOSTNAME: "" }), { host: { name: "node-3", labels: {} }, from: "KUBE_NODE_NAME" });
  t.same(resolveHost({}, {}), { host: { name: hostname(), labels: {} }, from: "system" });
  t.throws(() => resolveHost({ name: "" }, {}), { message: "--hostname must not be empty" });
});

t.test("labels: the file, then --host-label over it", async (t) => {
  const dir = t.testdir();
  const file = join(dir, "labels");
  writeFileSync(file, "# this host\nrole = edge\n\nzone=eu-1\ntopology.kubernetes.io/rack=r7\nempty=\n");
  t.same(resolveHost({ name: "h", labelsFile: file, labels: ["zone=eu-2", "gpu=yes"] }, {}).host.labels, {
    role: "edge",
    zone: "eu-2",
    "topology.kubernetes.io/rack": "r7",
    empty: "",
    gpu: "yes",
  });
  t.throws(() => resolveHost({ labelsFile: join(dir, "missing") }, {}), {
    message: `cannot read the host labels file ${join(dir, "missing")}: no such file or directory`,
  });
  t.throws(() => resolveHost({ labels: ["zone"] }, {}), { message: '--host-label "zone" is not key=value' });
  t.throws(() => resolveHost({ labels: ["-zone=a"] }, {}), { message: /^--host-label "-zone" is not a label key: / });
  t.throws(() => resolveHost({ labels: ["zone=a b"] }, {}), { message: /^--host-label "a b" is not a label value: / });
});

t.test("a labels file's mistakes name the file and the line", async (t) => {
  t.same(parseLabelsFile("a=1\r\nb=2\r\n", "l"), { a: "1", b: "2" }, "CRLF lines");
  t.throws(() => parseLabelsFile("a=1\n\nnot a label\n", "labels"), { message: 'labels:3: "not a label" is not key=value' });
  t.throws(() => parseLabelsFile("a=1\nb=2\na=3\n", "labels"), { message: 'labels:3: label "a" is already set at line 1' });
  t.throws(() => parseLabelsFile("Example.com/a=1\n", "labels"), { message: /^labels:1: "Example\.com\/a" is not a label key/ }, "a DNS prefix is lowercase");
});

t.test("label syntax: Kubernetes', and the schema's", async (t) => {
  for (const key of ["a", "zone", "A-b_c.d", "example.com/rack", "a.b-c.d/x", "x".repeat(63)]) t.ok(LABEL_KEY.test(key), key);
  for (const key of ["", "-a", "a-", "x".repeat(64), "example.com/", "/a", "a/b/c", "a b"]) t.notOk(LABEL_KEY.test(key), JSON.stringify(key));
  for (const value of ["", "eu-1", "A.b_c", "x".repeat(63)]) t.ok(LABEL_VALUE.test(value), JSON.stringify(value));
  for (const value of ["-a", "a ", "x".repeat(64), "a/b"]) t.notOk(LABEL_VALUE.test(value), JSON.stringify(value));
  t.same(parseLabel("k=v=w"), {
    problem: "\"v=w\" is not a label value: a label value is empty, or 1 to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit",
  });
  const defs = (JSON.parse(readFileSync(SCHEMA, "utf8")) as { $defs: Record<string, { pattern: string }> }).$defs;
  t.equal(LABEL_KEY.source, defs.labelKey!.pattern.replace(/\//g, "\\/"), "the same pattern as the schema's labelKey");
  t.equal(LABEL_VALUE.source, defs.labelValue!.pattern, "the same pattern as the schema's labelValue");
});
