/**
 * `nfctl apply`: reconcile once, printing the plan before the first change
 * and what was done after it. Given a saved plan (`nfctl apply plan.json`)
 * instead of -f or --git, it carries out exactly that plan, or refuses it.
 */
import { reconcileOnce, resolveHost, resolveRoot, stepHook, type ReconcileRequest } from "../reconcile/index.js";
import type { Context } from "./main.js";
import { colorsFor } from "./colors.js";
import { renderApplyResult, renderPlan } from "./views/plan-text.js";
import { renderPlanMarkdown } from "./views/plan-markdown.js";
import { toJson } from "./views/json.js";
import { readSavedPlan } from "./json-files.js";
import { hostFlagsGiven, hostOptionsOf, type HostFlags } from "./host-options.js";
import { checkOneSource } from "./git-options.js";
import { loadSourceConfig, type SourceFlags } from "./config-source.js";

export interface ApplyOptions extends HostFlags, SourceFlags {
  /** A plan saved by `nfctl plan --out`, instead of -f or --git. */
  planFile?: string;
  /** markdown only with dryRun: it shows a plan, not what was done. */
  output: "text" | "json" | "markdown";
  dryRun?: boolean;
  force?: boolean;
  lockTimeout: number;
}

/** What to apply: the config of -f or --git (and the host it is loaded for), or a saved plan; never two of them. */
async function request(opts: ApplyOptions, context: Context): Promise<{ request: ReconcileRequest; host?: string }> {
  if (opts.planFile !== undefined) {
    if (opts.file || opts.git !== undefined)
      throw new Error(`give a saved plan (${opts.planFile}) or ${opts.file ? "-f" : "--git"}, not both: a saved plan is applied as it was made`);
    if (opts.force) throw new Error(`--force is chosen when the plan is made (nfctl plan --force --out ...); ${opts.planFile} is applied as it was made`);
    if (hostFlagsGiven(opts))
      throw new Error(`the host is chosen when the plan is made (nfctl plan --hostname ... --out ...); ${opts.planFile} is applied as it was made`);
    return { request: { plan: readSavedPlan(opts.planFile) } };
  }
  checkOneSource("apply", opts, ", or a saved plan: nfctl apply plan.json");
  const { host } = resolveHost(hostOptionsOf(opts));
  return { request: { desired: await loadSourceConfig(opts, { log: context.libbpfLog, host }) }, host: host.name };
}

export async function applyCommand(opts: ApplyOptions, context: Context): Promise<number> {
  if (opts.output === "markdown" && !opts.dryRun) throw new Error("-o markdown shows a plan: use it with nfctl plan, or apply --dry-run");
  const colors = colorsFor(process.stdout);
  const what = await request(opts, context);
  const { plan, result } = await reconcileOnce(what.request, {
    root: resolveRoot(context.bpffs),
    lockTimeout: opts.lockTimeout,
    log: context.libbpfLog,
    onStep: stepHook(context.logger),
    ...(opts.force && { force: true }),
    ...(opts.dryRun && { dryRun: true }),
    onPlan: (planned) => {
      context.logger.debug({ summary: planned.summary }, "planned");
      if (opts.output === "text") process.stdout.write(`${renderPlan(planned, colors)}\n`);
      context.interrupts.hold();
    },
  });
  if (opts.output === "json") process.stdout.write(toJson("ApplyResult", { applied: result !== undefined, plan, ...(result && { result }) }));
  else if (opts.output === "markdown") process.stdout.write(renderPlanMarkdown(plan, what.host === undefined ? {} : { host: what.host }));
  else process.stdout.write(result ? renderApplyResult(result, colors) : renderPlan(plan, colors));
  return 0;
}
