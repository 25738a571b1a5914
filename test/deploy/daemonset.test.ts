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
import { DEFAULT_CACHE_DIR } from "../../src/sources/git.js";
import { serviceOf, systemdBytes, unitText } from "../helpers/systemd-unit.js";
import { watcherPeakRssBytes } from "../helpers/measured-memory.js";

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
  securityContext?: {
    privileged?: boolean;
    allowPrivilegeEscalation?: boolean;
    capabilities?: { drop?: string[]; add?: string[] };
    readOnlyRootFilesystem?: boolean;
    seccompProfile?: { type?: string };
  };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  volumeMounts?: { name: string; mountPath: string; mountPropagation?: string; subPath?: string; readOnly?: boolean }[];
}
interface Volume {
  name: string;
  hostPath?: { path: string; type?: string };
  configMap?: { name: string };
  emptyDir?: { sizeLimit?: string };
}
interface Doc {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  data?: Record<string, string>;
  spec?: { template: { spec: { hostNetwork?: boolean; automountServiceAccountToken?: boolean; containers: Container[]; volumes?: Volume[] } } };
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

/** Kubernetes' quantity (`128Mi`, `1G`, bytes without a suffix) in bytes: the binary and decimal suffixes nfctl's manifests may use. */
function bytesOf(quantity: string | undefined): number {
  const m = /^(\d+)(Ki|Mi|Gi|k|M|G)?$/.exec(quantity ?? "");
  if (!m) return NaN;
  const scale = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, k: 1e3, M: 1e6, G: 1e9 }[m[2] ?? ""] ?? 1;
  return Number(m[1]) * scale;
}

t.test("the node's network, and exactly the capabilities the systemd unit grants", async (t) => {
  const security = container.securityContext;
  t.equal(pod.hostNetwork, true);
  t.equal(security?.privileged, false, "not privileged");
  t.equal(security?.allowPrivilegeEscalation, false);
  t.same(security?.capabilities?.drop, ["ALL"]);
  const unit = serviceOf(unitText());
  const granted = unit.words("CapabilityBoundingSet");
  t.same(unit.words("AmbientCapabilities").sort(), [...granted].sort(), "the unit: one set");
  t.same(
    [...(security?.capabilities?.add ?? [])].sort(),
    granted.map((c) => c.replace(/^CAP_/, "")).sort(),
    "the pod adds the unit's CapabilityBoundingSet, no more and no less",
  );
  t.notOk(
    security?.capabilities?.add?.some((c) => c.startsWith("CAP_")),
    'written without "CAP_": the API server refuses CAP_SYS_ADMIN beside allowPrivilegeEscalation: false',
  );
  t.equal(security?.readOnlyRootFilesystem, true);
  t.same(security?.seccompProfile, { type: "RuntimeDefault" });
  t.match(text, /RuntimeDefault seccomp allows bpf\(2\)[^]*?seccomp_default\.go/, "the comment says why bpf(2) passes seccomp");
  t.equal(pod.automountServiceAccountToken, false, "no service-account token");
});

t.test("memory and CPU: requested above the measured peak, limited at twice it, as the unit", async (t) => {
  const peak = watcherPeakRssBytes();
  const { requests, limits } = container.resources ?? {};
  const request = bytesOf(requests?.memory);
  const limit = bytesOf(limits?.memory);
  t.ok(request >= peak, `requests.memory ${requests?.memory} >= the measured peak RSS of ${(peak / 2 ** 20).toFixed(1)} MiB`);
  t.ok(limit >= 2 * peak, `limits.memory ${limits?.memory} >= twice the measured peak`);
  t.equal(limit, systemdBytes(serviceOf(unitText()).one("MemoryMax") ?? ""), "the limit is the systemd unit's MemoryMax");
  t.ok(requests?.cpu !== undefined && limits?.cpu !== undefined, "CPU requested and limited");
  t.match(text, /^\s+# .*bench\/RESULTS\.md/m, "the comment names the measurement");
});

t.test("a read-only root: what nfctl writes has a volume", async (t) => {
  t.same(mount("tmp"), { name: "tmp", mountPath: "/tmp" }, "temporary directories (os.tmpdir())");
  t.ok(volume("tmp")?.emptyDir !== undefined, "an emptyDir");
  t.same(mount("state"), { name: "state", mountPath: "/var/lib/nfctl" }, "the git cache (--cache-dir's default is below it)");
  t.ok(DEFAULT_CACHE_DIR.startsWith("/var/lib/nfctl/"), DEFAULT_CACHE_DIR);
});

t.test("the node's bpffs, propagated from the node (Bidirectional needs privileged)", async (t) => {
  t.same(volume("bpffs")?.hostPath, { path: "/sys/fs/bpf", type: "Directory" });
  t.same(mount("bpffs"), { name: "bpffs", mountPath: "/sys/fs/bpf", mountPropagation: "HostToContainer" });
  t.notOk(
    container.volumeMounts?.some((m) => m.mountPropagation === "Bidirectional"),
    "no Bidirectional mount",
  );
  t.match(text, /^# The node must have bpffs mounted on \/sys\/fs\/bpf/m, "the comment says what the node must have");
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
  t.notOk(args.includes("--expose-status"), "and /status for loopback clients only");
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
