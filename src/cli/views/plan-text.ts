/**
 * Plans and apply results as text, in the manner of `terraform plan`.
 */
import {
  buildsGeneration,
  type Action,
  type ActionKind,
  type ApplyResult,
  type CommitKind,
  type HookPlan,
  type MapChange,
  type Plan,
} from "../../reconcile/index.js";
import type { Colors } from "../colors.js";
import {
  ACTION_SYMBOL,
  beforeSide,
  describeAssumedHost,
  describeBasis,
  describeChain,
  describeChange,
  describeCommit,
  describeOrigin,
  describeReason,
  describeScope,
  describeWarning,
  summaryLine,
} from "./words.js";
import { mapDiffLines } from "./map-diff.js";

function paint(c: Colors, kind: ActionKind, text: string): string {
  switch (kind) {
    case "start":
      return c.green(text);
    case "stop":
      return c.red(text);
    case "update":
    case "reconfigure":
      return c.yellow(text);
    case "reorder":
      return c.cyan(text);
    case "repair":
      return c.magenta(text);
  }
}

/** A unified diff of one map's contents, kernel (or what stood in for it, `before`) before, config after. */
function mapDiff(c: Colors, change: MapChange, before: string, indent: string): string[] {
  return mapDiffLines(change, before).map((line) => {
    if (line.startsWith("--- ") || line.startsWith("+++ ")) return indent + c.bold(line);
    if (line.startsWith("@@")) return indent + c.cyan(line);
    return indent + (line.startsWith("+") ? c.green(line) : line.startsWith("-") ? c.red(line) : line);
  });
}

function renderAction(c: Colors, action: Action, hook: HookPlan, before: string): string[] {
  const head = `${ACTION_SYMBOL[action.kind]} ${action.kind.padEnd(11)} ${(action.nf ?? "").padEnd(16)} ${c.dim(describeReason(action.reason))}`;
  const out = [`  ${paint(c, action.kind, head)}`];
  for (const change of action.changes ?? []) out.push(`      ${describeChange(change)}`);
  const origin = action.kind === "start" ? hook.chain.find((nf) => nf.name === action.nf)?.origin : undefined;
  if (origin) out.push(`      ${describeOrigin(origin)}`);
  if (action.kind === "reorder") {
    out.push(`      before: ${describeChain(hook.before)}`, `      after:  ${describeChain(hook.after)}`);
  }
  for (const change of action.maps ?? []) out.push(...mapDiff(c, change, before, "      "));
  return out;
}

function hookTitle(c: Colors, hook: HookPlan): string {
  const mode = hook.mode ? ` (mode ${hook.mode})` : "";
  return c.bold(`# ${hook.ifname} ${hook.hook}${mode}: ${describeCommit(hook)}`);
}

export { summaryLine };

export function renderPlan(plan: Plan, c: Colors): string {
  const changing = plan.hooks.filter((h) => h.commit !== "none");
  const warnings = plan.hooks.flatMap((h) => h.warnings);
  const basis = describeBasis(plan.basis);
  const out: string[] = [];
  if (plan.assumedHost) out.push(c.yellow(`Planned for the ${describeAssumedHost(plan.assumedHost)}.`));
  if (changing.length === 0) {
    out.push(c.green(basis === undefined ? "No changes. The kernel matches the configuration." : `No changes. The configuration matches ${basis}.`));
  } else {
    if (basis !== undefined) out.push(`Planned offline, against ${basis}.`);
    out.push("nfctl will make these changes:", "");
    for (const hook of changing) {
      out.push(hookTitle(c, hook));
      for (const action of hook.actions) out.push(...renderAction(c, action, hook, beforeSide(plan.basis)));
      // A reorder shows the chain before and after already.
      if (buildsGeneration(hook.commit) && !hook.actions.some((a) => a.kind === "reorder")) {
        out.push(`      chain:  ${describeChain(hook.before)}  =>  ${describeChain(hook.after)}`);
      }
      out.push("");
    }
    out.push(c.bold(summaryLine(plan)));
  }
  const scope = describeScope(plan);
  if (scope) out.push(c.bold(scope));
  for (const w of warnings) out.push(c.yellow(`Warning: ${describeWarning(w)}`));
  return `${out.join("\n")}\n`;
}

export function renderApplyResult(result: ApplyResult, c: Colors): string {
  if (result.hooks.length === 0) return "Nothing to apply.\n";
  const switched: Partial<Record<CommitKind, string>> = {
    create: "attached",
    update: "switched with one link update",
    reattach: "attached again (mode change)",
  };
  const lines = result.hooks.map((h) => {
    const where = `${h.ifname} ${h.hook}`;
    switch (h.commit) {
      case "in-place":
        return `${where}: maps of generation ${h.generation} written in place`;
      case "detach":
        return `${where}: detached, pins removed`;
      case "cleanup":
        return `${where}: leftover generations removed`;
      default:
        return `${where}: generation ${h.generation} ${switched[h.commit] ?? h.commit}`;
    }
  });
  return `${lines.map((l) => c.green(l)).join("\n")}\n${c.bold(`Apply complete: ${result.hooks.length} hook${result.hooks.length === 1 ? "" : "s"} changed.`)}\n`;
}
