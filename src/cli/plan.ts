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

export async function planCommand(opts: PlanOptions, context: Context): Promise<number> {
  checkOneSource("plan", opts);
  if (opts.baseRef !== undefined) {
    if (opts.observed !== undefined)
      throw new Error("--base-ref and --observed are mutually exclusive: plan against a revision's config or against a host's status");
    if (opts.out !== undefined) {
      throw new Error(
        "--out saves a plan for the host it was made against, and --base-ref plans against an assumed host; save a plan made on the host, or with --observed",
      );
    }
  }
  const { host, from } = resolveHost(hostOptionsOf(opts));
  const load = { log: context.libbpfLog, host };
  // The base first: with --git both are checked out in one cache, which then holds the config planned.
  const base = opts.baseRef === undefined ? undefined : await loadBaseConfig(opts, opts.baseRef, load);
  const desired = await loadSourceConfig(opts, load);
  const offline = opts.offline === true || opts.observed !== undefined || base !== undefined;
  const { plan, note } = planOnce(desired, {
    root: resolveRoot(context.bpffs),
    ...(opts.offline && { offline: true }),
    ...(opts.observed !== undefined && { offline: true, observed: { status: readStatusSnapshot(opts.observed), name: opts.observed } }),
    ...(base && { base }),
    ...(opts.force && { force: true }),
    ...(opts.interface && { interfaces: opts.interface }),
  });
  if (note) process.stderr.write(`nfctl: ${note}\n`);
  if (opts.out !== undefined) {
    writeJsonFile(opts.out, toJson("Plan", { plan }));
    process.stderr.write(`nfctl: saved the plan to ${opts.out}; apply exactly it with: nfctl apply ${opts.out}\n`);
  }
  // Offline, the system's host name is the CI runner's, not the one planned for: the heading names only a host someone named.
  const named = offline && from === "system" ? {} : { host: host.name };
  process.stdout.write(
    opts.output === "json"
      ? toJson("Plan", { plan })
      : opts.output === "markdown"
        ? renderPlanMarkdown(plan, named)
        : renderPlan(plan, colorsFor(process.stdout)),
  );
  return opts.detailedExitcode && !isEmptyPlan(plan) ? 2 : 0;
}
