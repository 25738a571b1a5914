/**
 * `nfctl watch`: the GitOps loop. It reconciles the kernel to a config
 * directory or a git repository at start, on every change of the source,
 * when an interface the config names appears, on SIGHUP, and every
 * resync interval (which also repairs drift). Bad input and failed applies
 * leave what runs and show in `nfctl status`; SIGTERM and SIGINT let an
 * apply in flight finish, then the loop exits 0 and every NF keeps running.
 */
import { resolve } from "node:path";
import { resolveHost, resolveRoot, saveLoopStatus, stepHook, type Plan, type StatusReport } from "../reconcile/index.js";
import { directorySnapshot, watchPaths } from "../sources/directory.js";
import { gitSnapshot, redactUrl, validateGitUrl } from "../sources/git.js";
import {
  createMetrics,
  reconcileStep,
  startHttpEndpoint,
  startLoop,
  watchLinks,
  type Loop,
  type LoopStatus,
  type NfCounter,
  type Scrape,
} from "../controller/index.js";
import { hostOptionsOf, type HostFlags } from "./host-options.js";
import { jsonOutput } from "./views/json.js";
import { describeChange, describeOrigin, describeReason } from "./views/words.js";
import type { Context } from "./main.js";
import { checkOneSource, gitSourceOf } from "./git-options.js";
import { codeResolverOf, sharedObjectPaths, type SourceFlags } from "./config-source.js";
import { releaseMemory } from "./release-memory.js";
import { NFCTL_VERSION } from "./build-info.js";
import { statusReader, type StatusReader } from "./status-reader.js";

export interface WatchOptions extends SourceFlags, HostFlags {
  interval: number;
  resync: number;
  retryInterval: number;
  debounce: number;
  allowEmpty?: boolean;
  force?: boolean;
  lockTimeout: number;
  listen: { host: string; port: number };
  exposeStatus?: boolean;
}

/** How long the loop stays idle after a reconcile before the watcher gives back its memory. */
const RELEASE_MEMORY_AFTER_MS = 1000;

/** The nf_stats counters of every NF in a status, for /metrics. */
function nfCounters(report: StatusReport): NfCounter[] {
  return report.hooks.flatMap((h) =>
    h.nfs.flatMap((nf) =>
      nf.counters ? (["seen", "dropped"] as const).map((verdict) => ({ ifname: h.ifname, hook: h.hook, nf: nf.name, verdict, ...nf.counters![verdict] })) : [],
    ),
  );
}

export async function watchCommand(opts: WatchOptions, context: Context): Promise<number> {
  checkOneSource("watch", opts);
  // Whoever writes the watched directory or pushes to the repository is not trusted with the rest of the machine.
  const objectPaths = sharedObjectPaths(opts);
  if (opts.git !== undefined) validateGitUrl(opts.git);
  const root = resolveRoot(context.bpffs);
  const { logger } = context;
  const { host, from } = resolveHost(hostOptionsOf(opts));
  logger.info({ host: host.name, hostFrom: from, labels: host.labels }, "loading the config for this host");
  const paths = (opts.file ?? []).map((p) => resolve(p));
  const git = opts.git;
  const source: LoopStatus["source"] =
    git === undefined
      ? { kind: "directory", paths }
      : { kind: "git", url: redactUrl(git), ...(opts.ref !== undefined && { ref: opts.ref }), ...(opts.path !== undefined && { path: opts.path }) };
  let interfaces = new Set<string>();
  let ready = false;
  const metrics = createMetrics({ version: NFCTL_VERSION });
  // What can fail on the user's input (a taken --listen port, a path that
  // cannot be watched) starts before the loop, whose first reconcile may
  // change the kernel: a failed start changes nothing and leaves nothing
  // running. Until the loop exists, triggers have nothing to wake.
  const started: { loop?: Loop } = {};
  // Its thread starts at the first scrape, and ends after the endpoint.
  const reader = statusReader(root);
  const endpoint = await startHttpEndpoint({
    listen: opts.listen,
    metrics,
    scrape: () => scrapeKernel(reader, () => started.loop?.status()),
    ready: () => ready,
    // Else the endpoint's default: /status to loopback clients only.
    ...(opts.exposeStatus && { statusAllowed: () => true }),
  });
  let sourceWatch: { close(): Promise<void> };
  try {
    if (git === undefined) {
      const pathWatch = watchPaths(paths, () => started.loop?.trigger("file change"), {
        debounceMs: opts.debounce,
        onSettled: () => started.loop?.poll(),
      });
      sourceWatch = pathWatch;
      // The first reconcile reads the files after this: a change written
      // while the watch still scanned would otherwise wait for the resync.
      await pathWatch.ready;
    } else {
      sourceWatch = pollEvery(opts.interval, () => started.loop?.poll());
    }
  } catch (err) {
    await endpoint.close();
    await reader.close();
    throw err;
  }
  logger.info(
    { listen: `${endpoint.address.host}:${endpoint.address.port}`, statusClients: opts.exposeStatus ? "any" : "loopback" },
    "serving /metrics, /healthz, /readyz and /status",
  );
  const steps = reconcileStep({
    root,
    lockTimeout: opts.lockTimeout,
    allowEmpty: opts.allowEmpty === true,
    host,
    sourcePath: git === undefined ? paths.join(", ") : redactUrl(git),
    objectPaths,
    log: context.libbpfLog,
    codeResolver: (roots) => codeResolverOf(opts, { roots }),
    ...(opts.force && { force: true }),
    stepCounter: () => stepHook(logger),
    onInterfaces: (names) => (interfaces = new Set(names)),
    onOutcome: (outcome) => {
      metrics.driftFound(outcome.plan.hooks.reduce((n, h) => n + h.actions.filter((a) => a.reason.code === "drift").length, 0));
      if (outcome.result) metrics.hookApplied("success", outcome.result.hooks.length);
      if (outcome.result) logAppliedActions(logger, outcome.plan);
    },
  });
  const running = startLoop({
    snapshot: git === undefined ? () => Promise.resolve(directorySnapshot(paths)) : () => gitSnapshot(gitSourceOf(opts, git)),
    step: steps.step,
    enforceLastGood: steps.enforceLastGood,
    resyncMs: opts.resync,
    retryMs: Math.min(opts.retryInterval, opts.resync),
    source,
    onStatus: (status) => {
      saveLoopStatus(root, status);
      metrics.setConditions(status.conditions);
    },
    onFetch: (seconds, error) => metrics.sourceFetched(seconds, error),
    onReconciled: (outcome, seconds) => {
      metrics.reconcileDone(outcome.result, seconds);
      if (outcome.result === "failed" && outcome.reason === "ApplyFailed") metrics.hookApplied("failure", 1);
      if (outcome.result === "applied" || outcome.result === "unchanged") ready = true;
    },
    whenIdle: { afterMs: RELEASE_MEMORY_AFTER_MS, run: releaseMemory },
    logger,
  });
  started.loop = running;
  const links = watchLinks((name) => interfaces.has(name) && running.trigger(`link ${name}`), logger);
  const onHup = () => running.trigger("SIGHUP");
  const onStop = (signal: NodeJS.Signals) => {
    logger.info({ signal }, "stopping after the reconcile in flight");
    void running.stop();
  };
  process.on("SIGHUP", onHup);
  process.on("SIGTERM", onStop);
  process.on("SIGINT", onStop);
  try {
    await running.stopped;
  } finally {
    process.off("SIGHUP", onHup);
    process.off("SIGTERM", onStop);
    process.off("SIGINT", onStop);
    await Promise.all([sourceWatch.close(), links.close(), endpoint.close().then(() => reader.close())]);
  }
  logger.info({ reconciles: running.status().reconciles }, "stopped; every network function keeps running");
  return 0;
}

/**
 * One walk of the kernel (every hook, its NFs' counters and data maps) for
 * /status and /metrics together, made by the status reader's thread; the
 * endpoint asks one per scrape interval.
 */
async function scrapeKernel(reader: StatusReader, loop: () => LoopStatus | undefined): Promise<Scrape> {
  let report: StatusReport | undefined;
  let error: unknown;
  try {
    report = await reader.read();
  } catch (err) {
    error = err;
  }
  const read = (): StatusReport => {
    if (report === undefined) throw error;
    return report;
  };
  const loopStatus = loop();
  return {
    status: () => jsonOutput("Status", { status: read(), ...(loopStatus && { loop: loopStatus }) }),
    nfCounters: () => nfCounters(read()),
  };
}

function pollEvery(ms: number, fn: () => void): { close(): Promise<void> } {
  const timer = setInterval(fn, ms);
  return { close: () => Promise.resolve(clearInterval(timer)) };
}

/**
 * Each action a reconcile applied, one log line each, in the plan's words:
 * what a daemon changed on its own (a re-pushed tag's update says its old
 * and new digests) is in its log, not only in the kernel.
 */
function logAppliedActions(logger: Context["logger"], plan: Plan): void {
  for (const hook of plan.hooks) {
    if (hook.commit === "none") continue;
    for (const action of hook.actions) {
      const origin = action.kind === "start" ? hook.chain.find((nf) => nf.name === action.nf)?.origin : undefined;
      const changes = [...(action.changes ?? []).map(describeChange), ...(origin ? [describeOrigin(origin)] : [])];
      logger.info(
        { hook: hook.id, action: action.kind, ...(action.nf !== undefined && { nf: action.nf }), ...(changes.length > 0 && { changes }) },
        `${action.kind} ${action.nf ?? hook.id}: ${describeReason(action.reason)}`,
      );
    }
  }
}
