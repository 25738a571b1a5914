/**
 * `nfctl apply`: reconcile once, printing the plan before the first change
 * and what was done after it. On a terminal, a plan that stops NFs or
 * detaches hooks is carried out only once the user says "yes"
 * (approval.ts). Given a saved plan (`nfctl apply plan.json`) instead of -f
 * or --git, it carries out exactly that plan, or refuses it.
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
import { approver } from "./approval.js";
import { progressLine } from "./progress.js";

export interface ApplyOptions extends HostFlags, SourceFlags {
  /** A plan saved by `nfctl plan --out`, instead of -f or --git. */
  planFile?: string;
  /** markdown only with dryRun: it shows a plan, not what was done. */
  output: "text" | "json" | "markdown";
  dryRun?: boolean;
  force?: boolean;
  lockTimeout: number;
  /** Do not ask before stopping NFs or detaching hooks. */
  autoApprove?: boolean;
  /** Plan and apply on these interfaces only (--interface, repeatable). */
  interface?: string[];
}

/** What to apply: the config of -f or --git (and the host it is loaded for), or a saved plan; never two of them. */
async function request(opts: ApplyOptions, context: Context): Promise<{ request: ReconcileRequest; host?: string }> {
  if (opts.planFile !== undefined) {
    if (opts.file || opts.git !== undefined)
      throw new Error(`give a saved plan (${opts.planFile}) or ${opts.file ? "-f" : "--git"}, not both: a saved plan is applied as it was made`);
    if (opts.force) throw new Error(`--force is chosen when the plan is made (nfctl plan --force --out ...); ${opts.planFile} is applied as it was made`);
    if (hostFlagsGiven(opts))
      throw new Error(`the host is chosen when the plan is made (nfctl plan --hostname ... --out ...); ${opts.planFile} is applied as it was made`);
    if (opts.interface)
      throw new Error(`the interfaces are chosen when the plan is made (nfctl plan --interface ... --out ...); ${opts.planFile} is applied as it was made`);
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
  const progress = progressLine(process.stderr);
  const { plan, result, declined } = await reconcileOnce(what.request, {
    root: resolveRoot(context.bpffs),
    lockTimeout: opts.lockTimeout,
    log: context.libbpfLog,
    onStep: stepHook(context.logger),
    onProgress: progress.report,
    ...(opts.force && { force: true }),
    ...(opts.dryRun && { dryRun: true }),
    ...(opts.interface && { interfaces: opts.interface }),
    onPlan: (planned) => {
      context.logger.debug({ summary: planned.summary }, "planned");
      if (opts.output === "text") process.stdout.write(`${renderPlan(planned, colors)}\n`);
    },
    // A saved plan was reviewed when it was saved: it is not asked about (README, "Saved plans").
    approve: approver({ autoApprove: opts.autoApprove === true || opts.planFile !== undefined, json: opts.output === "json", interrupts: context.interrupts }),
  }).finally(progress.done);
  if (declined) throw new Error("apply cancelled; nothing was changed");
  if (opts.output === "json") process.stdout.write(toJson("ApplyResult", { applied: result !== undefined, plan, ...(result && { result }) }));
  else if (opts.output === "markdown") process.stdout.write(renderPlanMarkdown(plan, what.host === undefined ? {} : { host: what.host }));
  else process.stdout.write(result ? renderApplyResult(result, colors) : renderPlan(plan, colors));
  return 0;
}
