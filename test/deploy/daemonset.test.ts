/**
 * deploy/kubernetes/daemonset.yaml, parsed with the yaml package: the
 * fields nfctl needs on every node, and an example config that the schema
 * accepts.
 */
import t from "tap";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseAllDocuments, parse } from "yaml";
import { parseListen } from "../../src/controller/http.js";
import { validate } from "../../src/reconcile/config/schema-validator.js";

const text = readFileSync(fileURLToPath(new URL("../../../deploy/kubernetes/daemonset.yaml", import.meta.url)), "utf8");

// The fields the test reads, as loose as YAML is.
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath?: string } };
}
interface Probe {
  httpGet?: { path?: string; port?: string | number; host?: string };
}
interface Container {
  name: string;
  image?: string;
  args?: string[];
  env?: EnvVar[];
  ports?: { name?: string; containerPort: number }[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  securityContext?: { privileged?: boolean };
  volumeMounts?: { name: string; mountPath: string; mountPropagation?: string; subPath?: string; readOnly?: boolean }[];
}
interface Volume {
  name: string;
  hostPath?: { path: string; type?: string };
  configMap?: { name: string };
}
interface Doc {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  data?: Record<string, string>;
  spec?: { template: { spec: { hostNetwork?: boolean; containers: Container[]; volumes?: Volume[] } } };
}

const docs = parseAllDocuments(text).map((d) => {
  t.same(d.errors, [], "the YAML parses");
  return d.toJS() as Doc;
});
const ds = docs.find((d) => d.kind === "DaemonSet")!;
const configMap = docs.find((d) => d.kind === "ConfigMap")!;
const pod = ds.spec!.template.spec;
const container = pod.containers[0]!;
const args = container.args ?? [];
const mount = (name: string) => container.volumeMounts?.find((m) => m.name === name);
const volume = (name: string) => pod.volumes?.find((v) => v.name === name);

t.test("a Namespace, the config and the DaemonSet", async (t) => {
  t.same(
    docs.map((d) => `${d.apiVersion} ${d.kind} ${d.metadata.name}`),
    ["v1 Namespace nfctl", "v1 ConfigMap nfctl-config", "apps/v1 DaemonSet nfctl"],
  );
  t.equal(configMap.metadata.namespace, "nfctl");
  t.equal(ds.metadata.namespace, "nfctl");
  t.match(text, /^#\s+kubectl apply -f deploy\/kubernetes\/daemonset\.yaml/m, "a usage comment");
});

t.test("the node's network and the privileges to attach to it", async (t) => {
  t.equal(pod.hostNetwork, true);
  t.equal(container.securityContext?.privileged, true);
  t.match(text, /add: \["BPF", "NET_ADMIN", "PERFMON", "SYS_ADMIN"\]/, "the capabilities instead, commented");
});

t.test("the node's bpffs, with mount propagation both ways", async (t) => {
  t.same(volume("bpffs")?.hostPath, { path: "/sys/fs/bpf", type: "Directory" });
  t.same(mount("bpffs"), { name: "bpffs", mountPath: "/sys/fs/bpf", mountPropagation: "Bidirectional" });
});

t.test("the config: the ConfigMap as a directory, never a subPath", async (t) => {
  t.same(volume("config")?.configMap, { name: configMap.metadata.name });
  t.same(mount("config"), { name: "config", mountPath: "/etc/nfctl", readOnly: true });
  t.notOk(
    container.volumeMounts?.some((m) => m.subPath !== undefined),
    "no subPath anywhere",
  );
  t.match(text, /subPath.*\n.*bpfman-operator#389/, "and the comment says why");
  t.same(args.slice(0, 3), ["watch", "-f", "/etc/nfctl"]);
  t.match(text, /^\s+# args: \["watch", "--git", "https:\/\/\S+", "--listen", /m, "a git source, commented out");
  for (const [file, body] of Object.entries(configMap.data ?? {})) {
    t.match(file, /\.ya?ml$/, `${file}: nfctl reads *.yaml and *.yml`);
    t.ok(validate(parse(body)), `${file}: the schema accepts it`);
  }
});

t.test("probes on the --listen port: /healthz for liveness, /readyz for readiness", async (t) => {
  const at = args.indexOf("--listen");
  t.ok(at > 0, "--listen is given");
  const listen = parseListen(args[at + 1] ?? "");
  t.equal(listen.host, "0.0.0.0", "every address: with hostNetwork, kubelet probes the node's address");
  const port = container.ports?.find((p) => p.name === container.livenessProbe?.httpGet?.port);
  t.equal(port?.containerPort, listen.port, "the probes' named port is the --listen port");
  t.same(container.livenessProbe?.httpGet, { path: "/healthz", port: port?.name });
  t.same(container.readinessProbe?.httpGet, { path: "/readyz", port: port?.name });
});

t.test("the node's name from the downward API", async (t) => {
  t.same(
    container.env?.find((e) => e.name === "NFCTL_HOSTNAME"),
    { name: "NFCTL_HOSTNAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
  );
});
