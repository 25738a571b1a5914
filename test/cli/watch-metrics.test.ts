/**
 * What a running `nfctl watch` serves, read with the real tools: promtool
 * accepts its /metrics, a real Prometheus server scrapes it and answers
 * PromQL on the reconcile counter and on the packets an NF dropped (read
 * from its nf_stats map at scrape time), and /healthz, /readyz and /status
 * answer as documented; and an idle watcher gives back the garbage of its
 * reconciles, as its own heap metrics show; and /status answers loopback
 * clients only unless --expose-status. Everything runs inside the
 * lab's namespace, whose 127.0.0.1 is the lab's own.
 */
import t from "tap";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { createLab, ADDR } from "../../scripts/test-lab.js";
import { udpExchange } from "../../scripts/traffic.js";
import { requireKernel } from "../helpers/kernel.js";
import { conditionOf, loopJson, startNfctl, untilTrue, writeConfig, type NfSpec } from "../helpers/cli.js";
import { httpGet, promtoolCheckMetrics, startPrometheus, waitFor } from "../helpers/prometheus.js";
import { STATUS_FORBIDDEN } from "../../src/controller/http.js";

requireKernel();

const bl: NfSpec = { name: "bl", nf: "blocklist", maps: `blocklist_v4:\n  ${ADDR.blocked}/32: 1` };
const c1: NfSpec = { name: "c1", nf: "counter" };

t.test("a real Prometheus scrapes nfctl watch: reconciles and an NF's dropped packets", async (t) => {
  const lab = createLab();
  t.teardown(lab.cleanup);
  const dir = join(t.testdir(), "config");
  mkdirSync(dir);
  writeConfig(dir, "edge.yaml", { xdp: [c1, bl] });
  const run = startNfctl(t, lab, ["watch", "-f", dir, "--listen", "127.0.0.1:0", "--debounce", "100ms"]);
  await untilTrue(t, "the first reconcile is applied", () => conditionOf(loopJson(lab), "Ready") === "True/ReconciliationSucceeded", run);
  const listening = () => /"listen":"127\.0\.0\.1:(\d+)"/.exec(run.stderr())?.[1];
  await untilTrue(t, "nfctl says where it listens", () => listening() !== undefined, run);
  const port = listening()!;
  const base = `http://127.0.0.1:${port}`;
  t.same(await udpExchange(lab, [ADDR.allowed, ADDR.blocked], 20), { [ADDR.allowed]: 20, [ADDR.blocked]: 0 });

  const metrics = await httpGet(`${base}/metrics`, lab.nsB);
  t.equal(metrics.status, 200);
  const check = promtoolCheckMetrics(metrics.body);
  t.equal(check.code, 0, `promtool check metrics accepts the exposition: ${check.output}`);
  t.match(
    metrics.body,
    /^nfctl_nf_packets_total\{interface="veth-b",hook="xdp",nf="bl",verdict="dropped"\} 20$/m,
    "the blocklist's drops, from its nf_stats map",
  );
  t.match(metrics.body, /^nfctl_condition\{type="Ready",status="True"\} 1$/m);
  t.same(await httpGet(`${base}/healthz`, lab.nsB), { status: 200, body: "ok\n" });
  t.equal((await httpGet(`${base}/readyz`, lab.nsB)).status, 200, "ready after the first successful reconcile");
  const status = JSON.parse((await httpGet(`${base}/status`, lab.nsB)).body) as {
    kind: string;
    status: { hooks: { nfs: { name: string }[] }[] };
    loop: { lastAppliedRevision: string };
  };
  t.equal(status.kind, "Status");
  t.same(
    status.status.hooks[0]!.nfs.map((n) => n.name),
    ["c1", "bl"],
  );
  t.match(status.loop.lastAppliedRevision, /^sha256:[0-9a-f]{64}$/);

  const prometheus = await startPrometheus(t, `127.0.0.1:${port}`, { netns: lab.nsB });
  await waitFor(30_000, async () => ((await prometheus.query('nfctl_nf_packets_total{nf="bl",verdict="dropped"}')) ?? 0) >= 20).catch((err: unknown) =>
    t.fail(`Prometheus never saw the drops: ${String(err)}\n${prometheus.log().slice(-2000)}`),
  );
  t.equal(await prometheus.query('nfctl_nf_packets_total{nf="bl",verdict="dropped"}'), 20, "PromQL: the NF's dropped packets");
  t.ok(
    (await prometheus.query('nfctl_nf_packets_total{nf="c1",verdict="seen"}'))! >= 40,
    "PromQL: the counter saw every packet (and the neighbour discovery besides)",
  );
  t.ok((await prometheus.query('sum(nfctl_reconciles_total{result="applied"})'))! >= 1, "PromQL: the applied reconcile is counted");

  t.same(await udpExchange(lab, [ADDR.blocked], 10), { [ADDR.blocked]: 0 });
  await waitFor(30_000, async () => (await prometheus.query('nfctl_nf_packets_total{nf="bl",verdict="dropped"}')) === 30).catch((err: unknown) =>
    t.fail(`Prometheus never saw the next 10 drops: ${String(err)}`),
  );
  await prometheus.stop();
  run.child.kill("SIGTERM");
  t.equal(await run.exited, 0);
});

t.test("an idle watcher collects the garbage of its reconciles: a major collection within 2 s, and less heap in use", async (t) => {
  const lab = createLab();
  t.teardown(lab.cleanup);
  const dir = join(t.testdir(), "config");
  mkdirSync(dir);
  writeConfig(dir, "edge.yaml", { xdp: [c1, bl] });
  const run = startNfctl(t, lab, ["--log-level", "info", "watch", "-f", dir, "--listen", "127.0.0.1:0"]);
  const reconciled = () =>
    run
      .stderr()
      .split("\n")
      .filter((line) => line.includes('"msg":"reconciled"')).length;
  const listening = () => /"listen":"127\.0\.0\.1:(\d+)"/.exec(run.stderr())?.[1];
  // The apply's own XDP attach is a link event, which may add a reconcile
  // of its own: count at least one per SIGHUP, not exactly one.
  await untilTrue(t, "the first reconcile", () => reconciled() >= 1 && listening() !== undefined, run);
  const memory = async () => {
    const { body } = await httpGet(`http://127.0.0.1:${listening()!}/metrics`, lab.nsB);
    const value = (pattern: RegExp, absent: number) => Number(pattern.exec(body)?.[1] ?? absent);
    // prom-client shows a kind of collection once there has been one: absent, there were none.
    return {
      heapUsed: value(/^nodejs_heap_size_used_bytes (\S+)$/m, NaN),
      majorCollections: value(/^nodejs_gc_duration_seconds_count\{kind="major"\} (\S+)$/m, 0),
    };
  };
  // The busy sample is taken while the reconciles still come, so that the
  // idle task (1 s after the last one) cannot have run before it.
  let busySample: Promise<Awaited<ReturnType<typeof memory>>> | undefined;
  let sampled = false;
  while (reconciled() < 200 || !sampled) {
    if (reconciled() >= 150 && busySample === undefined) busySample = memory().finally(() => (sampled = true));
    const before = reconciled();
    run.child.kill("SIGHUP");
    if (!(await untilTrue(t, `reconcile ${before + 1}`, () => reconciled() > before, run))) return;
  }
  const busy = await busySample!;
  await new Promise((r) => setTimeout(r, 2000));
  const idle = await memory();
  t.ok(idle.majorCollections > busy.majorCollections, `a major collection while idle (${busy.majorCollections} before, ${idle.majorCollections} after)`);
  t.ok(idle.heapUsed < busy.heapUsed, `heap in use fell from ${(busy.heapUsed / 2 ** 20).toFixed(1)} to ${(idle.heapUsed / 2 ** 20).toFixed(1)} MiB`);
  run.child.kill("SIGTERM");
  t.equal(await run.exited, 0);
});

t.test("--listen 0.0.0.0: /status to loopback clients only, to every client with --expose-status", async (t) => {
  const lab = createLab();
  t.teardown(lab.cleanup);
  const dir = join(t.testdir(), "config");
  mkdirSync(dir);
  writeConfig(dir, "edge.yaml", { xdp: [c1] });
  for (const [extra, fromOutside] of [
    [[], { status: 403, body: `${STATUS_FORBIDDEN}\n` }],
    [["--expose-status"], { status: 200 }],
  ] as const) {
    const run = startNfctl(t, lab, ["watch", "-f", dir, "--listen", "0.0.0.0:0", ...extra]);
    const listening = () => /"listen":"0\.0\.0\.0:(\d+)"/.exec(run.stderr())?.[1];
    if (!(await untilTrue(t, "nfctl says where it listens", () => listening() !== undefined, run))) return;
    const port = listening()!;
    // From the lab's other namespace: the client is not loopback.
    const outside = await httpGet(`http://${ADDR.server}:${port}/status`, lab.nsA);
    t.equal(outside.status, fromOutside.status, `${extra.join(" ") || "no option"}: a client in the other namespace gets ${fromOutside.status}`);
    if ("body" in fromOutside) t.equal(outside.body, fromOutside.body, "and one line that says how to allow it");
    t.equal((await httpGet(`http://${ADDR.server}:${port}/healthz`, lab.nsA)).status, 200, "the probes' routes answer every client");
    t.equal((await httpGet(`http://127.0.0.1:${port}/status`, lab.nsB)).status, 200, "a loopback client reads /status");
    run.child.kill("SIGTERM");
    t.equal(await run.exited, 0);
  }
});
