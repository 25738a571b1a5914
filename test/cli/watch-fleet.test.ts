/**
 * A fleet on one repository: 20 hosts, each a lab of its own (network
 * namespaces, veth pair, bpffs root) running its own `nfctl watch --git`
 * on one local bare repository, with a host label that puts it in group
 * edge or core. The config gives each group its own chain through host
 * selectors. A pushed commit converges every host, which reports it; a bad
 * commit changes no host and every host reports the failure; a fix
 * converges all again. Traffic on every host proves what its kernel does
 * (nfctl status, a node process each, is asked where traffic cannot tell:
 * the chain's names and the commit it records, and the refusal).
 * The comments report how long the fleet took (from each host's own log; every host polls every 3 s)
 * and what each watcher's memory came to.
 */
import t from "tap";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createLab, ADDR, type Lab } from "../../scripts/test-lab.js";
import { udpExchange } from "../../scripts/traffic.js";
import { attachedXdp, requireKernel, type TapTest } from "../helpers/kernel.js";
import { conditionOf, loopJson, startNfctl, statusJson, untilTrue, writeConfig, type NfSpec, type StartedNfctl } from "../helpers/cli.js";
import { makeRemote, type Remote } from "../sources/helpers/git-fixtures.js";

requireKernel();

const HOSTS = 20;
/** Each watcher's poll of the repository: 20 of them share this machine's CPUs. */
const INTERVAL = "3s";
const GROUPS = ["edge", "core"] as const;
type Group = (typeof GROUPS)[number];

const bl: NfSpec = { name: "bl", nf: "blocklist", maps: `blocklist_v4:\n  ${ADDR.blocked}/32: 1` };
const c1: NfSpec = { name: "c1", nf: "counter" };

interface Host {
  name: string;
  group: Group;
  lab: Lab;
  run: StartedNfctl;
}

/** Commits one file per group, each selecting its hosts by label, and pushes; returns the revision. */
function pushFleet(remote: Remote, chains: Record<Group, NfSpec[]>): string {
  const dir = join(remote.work, "fleet");
  mkdirSync(dir, { recursive: true });
  for (const group of GROUPS) writeConfig(dir, `${group}.yaml`, { xdp: chains[group] }, { matchLabels: { group } });
  const sha = remote.commit({});
  remote.push("main");
  return `main@sha1:${sha}`;
}

interface LogLine {
  time: number;
  msg: string;
  revision?: string;
  result?: string;
  reason?: string;
}

/** The watcher's pino lines (JSON, one a line) so far. */
function logLines(host: Host): LogLine[] {
  return host.run
    .stderr()
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as LogLine);
}

/** When the host's log first says it reconciled `revision` successfully, or failed it for `reason`. */
function reportedAt(host: Host, revision: string, reason?: string): number | undefined {
  const line = logLines(host).find((l) => l.revision === revision && (reason === undefined ? l.msg === "reconciled" : l.reason === reason));
  return line?.time;
}

/** Waits until every host reported `revision`; returns each host's milliseconds from `pushedAt`, sorted. */
async function fleetReports(t: TapTest, hosts: Host[], revision: string, pushedAt: number, reason?: string): Promise<number[]> {
  const pending = () => hosts.filter((h) => reportedAt(h, revision, reason) === undefined);
  const all = await untilTrue(t, `every host reports ${revision}${reason ? ` as ${reason}` : ""}`, () => pending().length === 0, hosts[0]!.run, 60_000);
  if (!all)
    t.comment(
      `hosts that did not: ${pending()
        .map((h) => `${h.name}:\n${h.run.stderr().slice(-1500)}`)
        .join("\n")}`,
    );
  return hosts.map((h) => (reportedAt(h, revision, reason) ?? Number.NaN) - pushedAt).sort((a, b) => a - b);
}

const names = (nfs: NfSpec[]) => nfs.map((nf) => nf.name);

function describeTimes(what: string, ms: number[]): string {
  return `${what}: median ${ms[Math.floor(ms.length / 2)]} ms, slowest ${ms[ms.length - 1]} ms over ${ms.length} hosts`;
}

/** The kilobytes of a /proc/PID/status field (VmRSS: now, VmHWM: the peak). */
function memoryKb(pid: number, field: "VmRSS" | "VmHWM"): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(match?.[1]);
}

async function expectTraffic(t: TapTest, hosts: Host[], chains: Record<Group, NfSpec[]>): Promise<void> {
  for (const host of hosts) {
    const blocks = chains[host.group].includes(bl);
    t.same(
      await udpExchange(host.lab, [ADDR.allowed, ADDR.blocked], 10),
      { [ADDR.allowed]: 10, [ADDR.blocked]: blocks ? 0 : 10 },
      `${host.name} (${host.group}) ${blocks ? "drops" : "passes"} the blocked source`,
    );
  }
}

t.test(`a fleet of ${HOSTS} hosts on one repository converges, refuses a bad commit everywhere, converges on the fix`, async (t) => {
  const remote = makeRemote(t);
  const first: Record<Group, NfSpec[]> = { edge: [c1, bl], core: [c1] };
  const firstRevision = pushFleet(remote, first);
  const cacheRoot = join(t.testdir(), "caches");
  const labs = Array.from({ length: HOSTS }, () => {
    const lab = createLab();
    t.teardown(lab.cleanup);
    return lab;
  });
  const startedAt = Date.now();
  const hosts: Host[] = labs.map((lab, i) => {
    const name = `host-${String(i).padStart(2, "0")}`;
    const group = GROUPS[i % GROUPS.length]!;
    const args = ["watch", "--git", remote.url, "--path", "fleet", "--interval", INTERVAL, "--cache-dir", join(cacheRoot, name)];
    const run = startNfctl(t, lab, [...args, "--hostname", name, "--host-label", `group=${group}`, "--retry-interval", "1s", "--listen", "127.0.0.1:0"]);
    return { name, group, lab, run };
  });
  t.comment(describeTimes("start to the first commit applied", await fleetReports(t, hosts, firstRevision, startedAt)));
  await expectTraffic(t, hosts, first);

  const second: Record<Group, NfSpec[]> = { edge: [c1], core: [c1, bl] };
  let pushedAt = Date.now();
  const secondRevision = pushFleet(remote, second);
  t.comment(describeTimes("push to every host converged", await fleetReports(t, hosts, secondRevision, pushedAt)));
  for (const host of hosts) {
    const hook = statusJson(host.lab).hooks.find((h) => h.ifname === "veth-b" && h.hook === "xdp");
    t.same(
      hook?.nfs.map((nf) => nf.name),
      names(second[host.group]),
      `${host.name} (${host.group}) converged`,
    );
    t.same(hook?.source, { path: remote.url, revision: secondRevision }, `${host.name} reports the commit it runs`);
  }
  await expectTraffic(t, hosts, second);

  const serving = new Map(hosts.map((h) => [h.name, attachedXdp(h.lab.nsB, "veth-b")]));
  rmSync(join(remote.work, "fleet", "edge.yaml"));
  writeFileSync(join(remote.work, "fleet", "edge.yaml"), "apiVersion: nfctl.io/v1alpha1\nkind: NetworkFunctions\nspec: [\n");
  pushedAt = Date.now();
  const bad = remote.commit({}, { message: "a broken edge.yaml" });
  remote.push("main");
  const badRevision = `main@sha1:${bad}`;
  t.comment(describeTimes("push of a bad commit to every host refusing it", await fleetReports(t, hosts, badRevision, pushedAt, "ConfigInvalid")));
  for (const host of hosts) {
    const loop = loopJson(host.lab);
    t.equal(conditionOf(loop, "Ready"), "False/ConfigInvalid", `${host.name} reports the failure`);
    t.equal(loop?.lastAttemptedRevision, badRevision, `${host.name} names the commit it refused`);
    t.equal(loop?.lastAppliedRevision, secondRevision, `${host.name} still runs the last good commit`);
    t.equal(attachedXdp(host.lab.nsB, "veth-b"), serving.get(host.name), `${host.name}: the kernel runs what it ran`);
  }
  await expectTraffic(t, hosts, second);

  pushedAt = Date.now();
  const fixedRevision = pushFleet(remote, first);
  t.comment(describeTimes("push of the fix to every host converged", await fleetReports(t, hosts, fixedRevision, pushedAt)));
  await expectTraffic(t, hosts, first);

  const rss = hosts.map((h) => memoryKb(h.run.child.pid!, "VmRSS")).sort((a, b) => a - b);
  const peak = hosts.map((h) => memoryKb(h.run.child.pid!, "VmHWM")).sort((a, b) => a - b);
  t.comment(
    `watcher memory: RSS median ${rss[HOSTS / 2]} kB, largest ${rss[HOSTS - 1]} kB; peak RSS median ${peak[HOSTS / 2]} kB, largest ${peak[HOSTS - 1]} kB`,
  );
  for (const host of hosts) host.run.child.kill("SIGTERM");
  t.same(
    await Promise.all(hosts.map((h) => h.run.exited)),
    hosts.map(() => 0),
    "every watcher exits 0 on SIGTERM",
  );
});
