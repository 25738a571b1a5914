/**
 * The loop's metrics without a kernel: values fed through LoopMetrics and
 * NF counters handed to exposition(), read back from the exposition text, linted by
 * Debian's promtool, and scraped by a real Prometheus server.
 */
import t from "tap";
import { createMetrics, type NfCounter } from "../../src/controller/metrics.js";
import { startHttpEndpoint } from "../../src/controller/http.js";
import type { Condition } from "../../src/controller/status.js";
import { promtoolCheckMetrics, startPrometheus, waitFor } from "../helpers/prometheus.js";

/** The samples of an exposition: `name{labels}` -> value, labels as written. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const cut = line.lastIndexOf(" ");
    out.set(line.slice(0, cut), Number(line.slice(cut + 1)));
  }
  return out;
}

/** The samples of `s` that `expected` names, for one t.same that shows every difference at once. */
function pick(s: Map<string, number>, expected: Record<string, number>): Record<string, number | undefined> {
  return Object.fromEntries(Object.keys(expected).map((k) => [k, s.get(k)]));
}

function typeOf(text: string, name: string): string | undefined {
  return new RegExp(`^# TYPE ${name} (\\S+)$`, "m").exec(text)?.[1];
}

const c1 = (packets: number): NfCounter[] => [
  { ifname: "eth0", hook: "xdp", nf: "c1", verdict: "seen", packets, bytes: packets * 64 },
  { ifname: "eth0", hook: "xdp", nf: "c1", verdict: "dropped", packets: 2, bytes: 128 },
];

const condition = (type: Condition["type"], status: Condition["status"]): Condition => ({
  type,
  status,
  reason: "Test",
  message: "",
  lastTransitionTime: "2025-01-01T00:00:00Z",
});

t.test("every series exists from the start, at 0 or Unknown", async (t) => {
  const expected0 = {
    'nfctl_reconciles_total{result="applied"}': 0,
    'nfctl_reconciles_total{result="unchanged"}': 0,
    'nfctl_reconciles_total{result="failed"}': 0,
    'nfctl_reconciles_total{result="refused"}': 0,
    'nfctl_hook_applies_total{result="success"}': 0,
    'nfctl_hook_applies_total{result="failure"}': 0,
    nfctl_drift_found_total: 0,
    nfctl_source_fetch_errors_total: 0,
    nfctl_reconcile_duration_seconds_count: 0,
    nfctl_source_fetch_duration_seconds_count: 0,
    // 0 until the first success.
    nfctl_last_successful_apply_timestamp_seconds: 0,
    [`nfctl_build_info{version="1.2.3",node_version="${process.version}"}`]: 1,
    'nfctl_condition{type="Ready",status="Unknown"}': 1,
    'nfctl_condition{type="Reconciling",status="False"}': 1,
    'nfctl_condition{type="Stalled",status="False"}': 1,
  };
  const m = createMetrics({ version: "1.2.3" });
  const text = await m.registry.metrics();
  const s = samples(text);
  t.same(pick(s, expected0), expected0);
  t.ok(s.has("process_resident_memory_bytes"), "process metrics, unprefixed");
  t.ok(s.has("process_cpu_seconds_total"));
  t.equal(typeOf(text, "nfctl_nf_packets_total"), "counter");
  t.equal([...s.keys()].filter((k) => k.startsWith("nfctl_nf_packets_total")).length, 0, "no NF, no NF series");
});

t.test("what the loop reports is counted", async (t) => {
  const m = createMetrics({ version: "0.1.0" });
  const before = Date.now() / 1000;
  m.reconcileDone("applied", 0.2);
  m.reconcileDone("applied", 0.03);
  m.reconcileDone("failed", 1.5);
  m.hookApplied("success", 3);
  m.hookApplied("failure", 1);
  m.driftFound(2);
  m.driftFound(0);
  m.sourceFetched(0.004, false);
  m.sourceFetched(7, true);
  const s = samples(await m.registry.metrics());
  const expected = {
    'nfctl_reconciles_total{result="applied"}': 2,
    'nfctl_reconciles_total{result="failed"}': 1,
    'nfctl_reconciles_total{result="unchanged"}': 0,
    nfctl_reconcile_duration_seconds_count: 3,
    nfctl_reconcile_duration_seconds_sum: 1.73,
    'nfctl_reconcile_duration_seconds_bucket{le="0.05"}': 1,
    'nfctl_reconcile_duration_seconds_bucket{le="+Inf"}': 3,
    'nfctl_hook_applies_total{result="success"}': 3,
    'nfctl_hook_applies_total{result="failure"}': 1,
    nfctl_drift_found_total: 2,
    nfctl_source_fetch_duration_seconds_count: 2,
    'nfctl_source_fetch_duration_seconds_bucket{le="0.005"}': 1,
    nfctl_source_fetch_errors_total: 1,
  };
  t.same(pick(s, expected), expected);
  const last = s.get("nfctl_last_successful_apply_timestamp_seconds")!;
  t.ok(last >= before - 1 && last <= Date.now() / 1000 + 1, `the time of the last applied reconcile (${last})`);

  // A failed reconcile does not move it; an unchanged one does.
  m.reconcileDone("refused", 0.01);
  t.equal(samples(await m.registry.metrics()).get("nfctl_last_successful_apply_timestamp_seconds"), last);
  await new Promise((resolve) => setTimeout(resolve, 20));
  m.reconcileDone("unchanged", 0.01);
  t.ok(samples(await m.registry.metrics()).get("nfctl_last_successful_apply_timestamp_seconds")! > last);
});

t.test("nonsense from the loop is refused, naming the call", async (t) => {
  const m = createMetrics({ version: "0.1.0" });
  t.throws(() => m.reconcileDone("applied", -1), { name: "RangeError", message: /reconcileDone: a duration must be .* not -1/ });
  t.throws(() => m.sourceFetched(Number.NaN, false), { name: "RangeError", message: /sourceFetched/ });
  t.throws(() => m.hookApplied("success", 1.5), { name: "RangeError", message: /hookApplied: a count must be a whole number/ });
  t.throws(() => m.driftFound(-2), { name: "RangeError", message: /driftFound/ });
  t.equal(samples(await m.registry.metrics()).get('nfctl_reconciles_total{result="applied"}'), 0, "and nothing was counted");
});

t.test("conditions: 1 for the current status of each type, 0 for the others", async (t) => {
  const m = createMetrics({ version: "0.1.0" });
  const statuses = async (): Promise<string[]> =>
    [...samples(await m.registry.metrics())]
      .filter(([k, v]) => k.startsWith("nfctl_condition{") && v === 1)
      .map(([k]) => k)
      .sort();
  m.setConditions([condition("Ready", "False"), condition("Reconciling", "True"), condition("Stalled", "False")]);
  t.same(await statuses(), [
    'nfctl_condition{type="Ready",status="False"}',
    'nfctl_condition{type="Reconciling",status="True"}',
    'nfctl_condition{type="Stalled",status="False"}',
  ]);
  // Flux drops Reconciling and Stalled when they do not hold.
  m.setConditions([condition("Ready", "True")]);
  t.same(await statuses(), [
    'nfctl_condition{type="Ready",status="True"}',
    'nfctl_condition{type="Reconciling",status="False"}',
    'nfctl_condition{type="Stalled",status="False"}',
  ]);
  m.setConditions([condition("Stalled", "True")]);
  t.same(await statuses(), [
    'nfctl_condition{type="Ready",status="Unknown"}',
    'nfctl_condition{type="Reconciling",status="False"}',
    'nfctl_condition{type="Stalled",status="True"}',
  ]);
  const all = [...samples(await m.registry.metrics()).keys()].filter((k) => k.startsWith("nfctl_condition{"));
  t.equal(all.length, 9, "three types times three statuses, always");
});

t.test("NF counters are read once per exposition, for both metrics, as counters", async (t) => {
  let packets = 10;
  let reads = 0;
  const read = () => {
    reads++;
    return c1(packets);
  };
  const m = createMetrics({ version: "0.1.0" });
  t.equal(reads, 0, "nothing is read before a scrape");
  let text = await m.exposition(read);
  t.equal(reads, 1, "one read per exposition");
  t.equal(typeOf(text, "nfctl_nf_packets_total"), "counter");
  t.equal(typeOf(text, "nfctl_nf_bytes_total"), "counter");
  let s = samples(text);
  t.equal(s.get('nfctl_nf_packets_total{interface="eth0",hook="xdp",nf="c1",verdict="seen"}'), 10);
  t.equal(s.get('nfctl_nf_bytes_total{interface="eth0",hook="xdp",nf="c1",verdict="seen"}'), 640);
  t.equal(s.get('nfctl_nf_packets_total{interface="eth0",hook="xdp",nf="c1",verdict="dropped"}'), 2);
  t.equal(s.get('nfctl_nf_bytes_total{interface="eth0",hook="xdp",nf="c1",verdict="dropped"}'), 128);

  packets = 25;
  text = await m.exposition(read);
  t.equal(reads, 2);
  s = samples(text);
  t.equal(s.get('nfctl_nf_packets_total{interface="eth0",hook="xdp",nf="c1",verdict="seen"}'), 25, "the kernel's value, not a sum of reads");
  t.equal(s.get('nfctl_nf_bytes_total{interface="eth0",hook="xdp",nf="c1",verdict="seen"}'), 1600);
  t.notOk(
    [...samples(await m.registry.metrics()).keys()].some((k) => k.startsWith("nfctl_nf_packets_total")),
    "the registry alone has no NF counters: they belong to the exposition they were read for",
  );
});

t.test("an NF that is gone is gone from the next scrape", async (t) => {
  const m = createMetrics({ version: "0.1.0" });
  t.ok(samples(await m.exposition(() => c1(5))).has('nfctl_nf_packets_total{interface="eth0",hook="xdp",nf="c1",verdict="seen"}'));
  const keys = [...samples(await m.exposition(() => [{ ifname: "eth1", hook: "tc-egress", nf: "c2", verdict: "seen", packets: 1, bytes: 60 }])).keys()].filter(
    (k) => k.startsWith("nfctl_nf_"),
  );
  t.same(keys.sort(), [
    'nfctl_nf_bytes_total{interface="eth1",hook="tc-egress",nf="c2",verdict="seen"}',
    'nfctl_nf_packets_total{interface="eth1",hook="tc-egress",nf="c2",verdict="seen"}',
    "nfctl_nf_stats_read_errors_total",
  ]);
});

t.test("a failed read of the NF counters costs their series for one scrape, not the scrape", async (t) => {
  const m = createMetrics({ version: "0.1.0" });
  m.reconcileDone("applied", 0.1);
  let s = samples(
    await m.exposition(() => {
      throw new Error("bpf_map_lookup_elem: Operation not permitted (EPERM)");
    }),
  );
  t.equal(s.get("nfctl_nf_stats_read_errors_total"), 1);
  t.equal(s.get('nfctl_reconciles_total{result="applied"}'), 1, "the other metrics are served");
  t.notOk([...s.keys()].some((k) => k.startsWith("nfctl_nf_packets_total")));
  s = samples(await m.exposition(() => c1(7)));
  t.equal(s.get('nfctl_nf_packets_total{interface="eth0",hook="xdp",nf="c1",verdict="seen"}'), 7);
  t.equal(s.get("nfctl_nf_stats_read_errors_total"), 1);
});

t.test("label values are escaped in the exposition", async (t) => {
  const m = createMetrics({ version: 'v"1\\2' });
  const text = await m.exposition(() => [{ ifname: 'we"ird', hook: "xdp", nf: "a\\b", verdict: "seen", packets: 1, bytes: 1 }]);
  t.match(text, 'nfctl_nf_packets_total{interface="we\\"ird",hook="xdp",nf="a\\\\b",verdict="seen"} 1');
  const check = promtoolCheckMetrics(text);
  t.equal(check.code, 0, check.output);
});

t.test("promtool check metrics finds no problem", async (t) => {
  const m = createMetrics({ version: "0.1.0" });
  m.reconcileDone("applied", 0.2);
  m.hookApplied("success", 1);
  m.driftFound(1);
  m.sourceFetched(0.01, true);
  m.setConditions([condition("Ready", "True")]);
  const check = promtoolCheckMetrics(await m.exposition(() => c1(3)));
  t.equal(check.code, 0, "exit 0");
  t.equal(check.output, "", "no lint problem");
});

t.test("a real Prometheus scrapes the endpoint and answers PromQL with what was fed", async (t) => {
  const m = createMetrics({ version: "0.1.0" });
  for (let i = 0; i < 3; i++) m.reconcileDone("applied", 0.05);
  m.setConditions([condition("Ready", "True")]);
  const endpoint = await startHttpEndpoint({
    listen: { host: "127.0.0.1", port: 0 },
    metrics: m,
    scrape: () => ({ status: () => ({}), nfCounters: () => c1(12345) }),
    ready: () => true,
  });
  t.teardown(() => endpoint.close());
  const prom = await startPrometheus(t, `127.0.0.1:${endpoint.address.port}`);

  const expected: [string, number][] = [
    ['nfctl_reconciles_total{result="applied"}', 3],
    ['nfctl_nf_packets_total{nf="c1",verdict="seen"}', 12345],
    ['nfctl_nf_bytes_total{nf="c1",verdict="dropped"}', 128],
    ['nfctl_condition{type="Ready",status="True"}', 1],
    ['up{job="nfctl"}', 1],
  ];
  const seen = new Map<string, number | undefined>();
  await waitFor(30_000, async () => {
    for (const [q] of expected) seen.set(q, await prom.query(q));
    return expected.every(([q, v]) => seen.get(q) === v);
  }).catch((err: unknown) => {
    t.fail(`${err instanceof Error ? err.message : String(err)}: ${JSON.stringify([...seen])}\n${prom.log()}`);
  });
  for (const [q, v] of expected) t.equal(seen.get(q), v, q);
  // The scrape itself: no sample Prometheus had to drop.
  t.equal(await prom.query('scrape_samples_post_metric_relabeling{job="nfctl"} - scrape_samples_scraped{job="nfctl"}'), 0);
  await prom.stop();
  t.equal(await fetch(prom.url).catch(() => "stopped"), "stopped", "the server is gone once stopped");
});
