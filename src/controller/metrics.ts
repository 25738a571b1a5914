/**
 * The watch loop's Prometheus metrics: one registry per loop, which the
 * loop feeds through LoopMetrics and GET /metrics serves.
 *
 * The NFs' own counters are the kernel's, read by whoever serves a scrape
 * and handed to exposition(): the endpoint reads the kernel once for
 * /status and /metrics together (http.ts).
 *
 * Names follow Prometheus' naming practice: the one prefix `nfctl_`, base
 * units (`_seconds`, `_bytes`), `_total` on counters, and labels whose
 * values are bounded (a result, a condition, or what the config names:
 * interface, hook, NF). The process and Node.js metrics of prom-client's
 * collectDefaultMetrics keep their standard unprefixed names
 * (`process_resident_memory_bytes`, `nodejs_heap_size_used_bytes`, ...),
 * which dashboards and other exporters share.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { Condition, ConditionType } from "./status.js";

/** One NF's counters as the kernel keeps them (its nf_stats map), summed over CPUs. */
export interface NfCounter {
  ifname: string;
  hook: string;
  nf: string;
  verdict: "seen" | "dropped";
  packets: number;
  bytes: number;
}

export type ReconcileResult = "applied" | "unchanged" | "failed" | "refused";

export interface LoopMetrics {
  registry: Registry;
  /**
   * The exposition of every metric, with the NF counters `nfCounters`
   * returns (called once). If it throws, their series are left out of this
   * exposition alone and nfctl_nf_stats_read_errors_total counts it; the
   * other metrics are still served. `registry.metrics()` alone has no NF
   * counters.
   *
   * @example
   *     const text = await metrics.exposition(() => [{ ifname: "eth0", hook: "xdp", nf: "c1", verdict: "seen", packets: 9, bytes: 900 }]);
   */
  exposition(nfCounters: () => NfCounter[]): Promise<string>;
  /** One reconcile ended; `applied` and `unchanged` also set the last successful apply's time. */
  reconcileDone(result: ReconcileResult, durationSeconds: number): void;
  /** `count` hooks were committed (success) or failed to (failure). */
  hookApplied(result: "success" | "failure", count: number): void;
  /** A reconcile found `count` drifts (differences between records and kernel). */
  driftFound(count: number): void;
  /** One snapshot of the source was taken (or failed, `error`). */
  sourceFetched(durationSeconds: number, error: boolean): void;
  /** The loop's conditions now; a type missing from the list is Unknown (Ready) or False (Reconciling, Stalled). */
  setConditions(conditions: Condition[]): void;
}

const RESULTS: readonly ReconcileResult[] = ["applied", "unchanged", "failed", "refused"];
const CONDITION_TYPES: readonly ConditionType[] = ["Ready", "Reconciling", "Stalled"];
const CONDITION_STATUSES: readonly Condition["status"][] = ["True", "False", "Unknown"];

/**
 * Flux removes Reconciling and Stalled when they do not hold ("abnormal-true"
 * conditions), so their absence means False; Ready's absence means nobody
 * knows yet.
 */
const ABSENT_STATUS: Record<ConditionType, Condition["status"]> = { Ready: "Unknown", Reconciling: "False", Stalled: "False" };

const UNLINTED_DEFAULT_METRICS = ["nodejs_active_handles_total", "nodejs_active_requests_total", "nodejs_active_resources_total"];

/** A reconcile: about 10 ms for a converged kernel or a TCX swap, seconds for a git fetch and an XDP swap. */
const RECONCILE_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
/** A source snapshot: milliseconds for a directory, seconds for a git fetch (bounded by its timeout). */
const FETCH_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export function createMetrics(options: { version: string }): LoopMetrics {
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry });
  // prom-client names three gauges with `_total`, which promtool rejects
  // ("non-counter metrics should not have _total suffix"); their siblings
  // nodejs_active_{handles,requests,resources}{type} stay, and sum() gives the totals.
  for (const name of UNLINTED_DEFAULT_METRICS) registry.removeSingleMetric(name);

  new Gauge({
    name: "nfctl_build_info",
    help: "Always 1; the labels say which nfctl and which Node.js run.",
    labelNames: ["version", "node_version"],
    registers,
  }).set({ version: options.version, node_version: process.version }, 1);

  const reconciles = new Counter({ name: "nfctl_reconciles_total", help: "Reconciles run, by result.", labelNames: ["result"], registers });
  const reconcileDuration = new Histogram({
    name: "nfctl_reconcile_duration_seconds",
    help: "How long a reconcile took, from its trigger to its result.",
    buckets: RECONCILE_BUCKETS,
    registers,
  });
  const hookApplies = new Counter({
    name: "nfctl_hook_applies_total",
    help: "Hook changes committed (success) or failed (failure).",
    labelNames: ["result"],
    registers,
  });
  const drift = new Counter({ name: "nfctl_drift_found_total", help: "Drifts found between the records and the kernel, summed over reconciles.", registers });
  const fetchDuration = new Histogram({
    name: "nfctl_source_fetch_duration_seconds",
    help: "How long taking a snapshot of the source took, failed ones included.",
    buckets: FETCH_BUCKETS,
    registers,
  });
  const fetchErrors = new Counter({ name: "nfctl_source_fetch_errors_total", help: "Snapshots of the source that failed.", registers });
  const lastSuccess = new Gauge({
    name: "nfctl_last_successful_apply_timestamp_seconds",
    help: "Unix time of the end of the last reconcile that left the kernel as desired (applied or unchanged); 0 before the first.",
    registers,
  });
  const condition = new Gauge({
    name: "nfctl_condition",
    help: "1 for the current status of each condition type (Ready, Reconciling, Stalled), 0 for its other statuses.",
    labelNames: ["type", "status"],
    registers,
  });

  // Every series exists from the start, so that rate() and absent() see a 0, not nothing.
  for (const result of RESULTS) reconciles.inc({ result }, 0);
  for (const result of ["success", "failure"]) hookApplies.inc({ result }, 0);
  lastSuccess.set(0);

  const setConditions = (conditions: Condition[]): void => {
    for (const type of CONDITION_TYPES) {
      const current = conditions.find((c) => c.type === type)?.status ?? ABSENT_STATUS[type];
      for (const status of CONDITION_STATUSES) condition.set({ type, status }, status === current ? 1 : 0);
    }
  };
  setConditions([]);

  const nfCounters = registerNfCounters(registry);

  return {
    registry,
    exposition: (read) => nfCounters.during(read, () => registry.metrics()),
    reconcileDone(result, durationSeconds) {
      reconcileDuration.observe(seconds(durationSeconds, "reconcileDone"));
      reconciles.inc({ result });
      if (result === "applied" || result === "unchanged") lastSuccess.set(Date.now() / 1000);
    },
    hookApplied(result, count) {
      hookApplies.inc({ result }, whole(count, "hookApplied"));
    },
    driftFound(count) {
      drift.inc(whole(count, "driftFound"));
    },
    sourceFetched(durationSeconds, error) {
      fetchDuration.observe(seconds(durationSeconds, "sourceFetched"));
      if (error) fetchErrors.inc();
    },
    setConditions,
  };
}

/**
 * nfctl_nf_packets_total and nfctl_nf_bytes_total: counters the kernel
 * keeps, read at scrape time. They are counter-typed (they only grow, and
 * restart from 0 when an NF's map is made anew, which rate() handles), so a
 * prom-client Counter whose collect() replaces its values with the ones
 * read for the exposition being made. One read serves both metrics of one
 * exposition. A read that throws leaves both empty for that exposition and
 * counts nfctl_nf_stats_read_errors_total.
 */
function registerNfCounters(registry: Registry): { during(read: () => NfCounter[], expose: () => Promise<string>): Promise<string> } {
  const readErrors = new Counter({
    name: "nfctl_nf_stats_read_errors_total",
    help: "Scrapes at which reading the NFs' counters from the kernel failed.",
    registers: [registry],
  });
  let current: NfCounter[] = [];
  const labelNames = ["interface", "hook", "nf", "verdict"] as const;
  for (const [name, help, field] of [
    ["nfctl_nf_packets_total", "Packets an NF counted in its nf_stats map, by verdict (seen: every packet it ran on; dropped: those it dropped).", "packets"],
    ["nfctl_nf_bytes_total", "Bytes of the packets an NF counted in its nf_stats map, by verdict.", "bytes"],
  ] as const) {
    new Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        for (const c of current) {
          const value = c[field];
          // A value that is no count is left out rather than failing the scrape.
          if (Number.isFinite(value) && value >= 0) this.inc({ interface: c.ifname, hook: c.hook, nf: c.nf, verdict: c.verdict }, value);
        }
      },
    });
  }
  return {
    during(read, expose) {
      try {
        current = read();
      } catch {
        readErrors.inc();
        current = [];
      }
      try {
        // registry.metrics() calls every collect() before its first await,
        // so no other exposition can see these counters.
        return expose();
      } finally {
        current = [];
      }
    },
  };
}

function seconds(value: number, call: string): number {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${call}: a duration must be a finite number of seconds >= 0, not ${value}`);
  return value;
}

function whole(value: number, call: string): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${call}: a count must be a whole number >= 0, not ${value}`);
  return value;
}
