/**
 * `nfctl plan`: what apply would change, and why. Changes nothing; with
 * --out, also saves the plan for `nfctl apply FILE`.
 */
import { isEmptyPlan, planOnce, resolveHost, resolveRoot } from "../reconcile/index.js";
import type { Context } from "./main.js";
import { colorsFor } from "./colors.js";
import { renderPlan } from "./views/plan-text.js";
import { renderPlanMarkdown } from "./views/plan-markdown.js";
import { toJson } from "./views/json.js";
import { readStatusSnapshot, writeJsonFile } from "./json-files.js";
import { hostOptionsOf, type HostFlags } from "./host-options.js";
import { checkOneSource } from "./git-options.js";
import { loadSourceConfig, type SourceFlags } from "./config-source.js";
import { loadBaseConfig } from "./base-config.js";

export interface PlanOptions extends HostFlags, SourceFlags {
  output: "text" | "json" | "markdown";
  detailedExitcode?: boolean;
  offline?: boolean;
  /** A host's `nfctl status -o json` to plan against (implies offline). */
  observed?: string;
  force?: boolean;
  /** Where to save the plan (the JSON envelope) for `nfctl apply FILE`. */
  out?: string;
  /** A git ref whose config the hosts are assumed to run (implies offline). */
  baseRef?: string;
  /** Plan for these interfaces only (--interface, repeatable). */
  interface?: string[];
}

/**
 * Refuses, before anything is read or written, a plan that --out would
 * save although no host can apply it: one made against an assumed host
 * (--base-ref) or against none (--offline without --observed).
 */
function checkSavable(opts: PlanOptions): void {
  if (opts.out === undefined) return;
  if (opts.baseRef !== undefined) {
    throw new Error(
      "--out saves a plan for the host it was made against, and --base-ref plans against an assumed host; save a plan made on the host, or with --observed",
    );
  }
  if (opts.offline === true && opts.observed === undefined) {
    throw new Error(
      "--out saves a plan for the host it was made against, and --offline plans against no host; save a plan made on the host, or with --observed FILE",
    );
  }
}

export async function planCommand(opts: PlanOptions, context: Context): Promise<number> {
  checkOneSource("plan", opts);
  if (opts.baseRef !== undefined && opts.observed !== undefined) {
    throw new Error("--base-ref and --observed are mutually exclusive: plan against a revision's config or against a host's status");
  }
  checkSavable(opts);
  const { host, from } = resolveHost(hostOptionsOf(opts));
  const load = { log: context.libbpfLog, host, ...(opts.offline === true && { offline: true }) };
  // The base first: with --git both are checked out in one cache, which then holds the config planned.
  const base = opts.baseRef === undefined ? undefined : { desired: await loadBaseConfig(opts, opts.baseRef, load), ref: opts.baseRef };
  const desired = await loadSourceConfig(opts, load);
  const offline = opts.offline === true || opts.observed !== undefined || base !== undefined;
  const { plan: planned } = planOnce(desired, {
    root: resolveRoot(context.bpffs),
    ...(opts.offline && { offline: true }),
    ...(opts.observed !== undefined && { offline: true, observed: { status: readStatusSnapshot(opts.observed), name: opts.observed } }),
    ...(base && { base }),
    ...(opts.force && { force: true }),
    ...(opts.interface && { interfaces: opts.interface }),
  });
  // Offline, the system's host name is the CI runner's: a fleet config's plan says it assumed that host, and the heading names only a host someone named.
  const assumed = offline && from === "system";
  const plan = assumed && desired.selectsHosts === true ? { ...planned, assumedHost: host } : planned;
  if (opts.out !== undefined) {
    writeJsonFile(opts.out, toJson("Plan", { plan }));
    process.stderr.write(`nfctl: saved the plan to ${opts.out}; apply exactly it with: nfctl apply ${opts.out}\n`);
  }
  process.stdout.write(
    opts.output === "json"
      ? toJson("Plan", { plan })
      : opts.output === "markdown"
        ? renderPlanMarkdown(plan, assumed ? {} : { host: host.name })
        : renderPlan(plan, colorsFor(process.stdout)),
  );
  return opts.detailedExitcode && !isEmptyPlan(plan) ? 2 : 0;
}
