/**
 * Plans and apply results as text, in the manner of `terraform plan`.
 */
import { structuredPatch } from "diff";
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
import { describeChange, describeReason, describeWarning } from "./words.js";

const SYMBOL: Record<ActionKind, string> = {
  start: "+",
  stop: "-",
  update: "~",
  reconfigure: "~",
  reorder: "↕",
  repair: "!",
};

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

function chain(names: string[]): string {
  return names.length === 0 ? "(empty)" : names.join(" -> ");
}

/** A unified diff of one map's contents, kernel before, config after. */
function mapDiff(c: Colors, change: MapChange, indent: string): string[] {
  const text = (lines: string[]) => (lines.length === 0 ? "" : `${lines.join("\n")}\n`);
  const patch = structuredPatch(`${change.map} (kernel)`, `${change.map} (config)`, text(change.before), text(change.after), "", "", { context: 3 });
  const out = [`${indent}${c.bold(`--- ${patch.oldFileName}`)}`, `${indent}${c.bold(`+++ ${patch.newFileName}`)}`];
  for (const hunk of patch.hunks) {
    out.push(`${indent}${c.cyan(`@@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@`)}`);
    for (const line of hunk.lines) {
      out.push(indent + (line.startsWith("+") ? c.green(line) : line.startsWith("-") ? c.red(line) : line));
    }
  }
  return out;
}

function renderAction(c: Colors, action: Action, hook: HookPlan): string[] {
  const head = `${SYMBOL[action.kind]} ${action.kind.padEnd(11)} ${(action.nf ?? "").padEnd(16)} ${c.dim(describeReason(action.reason))}`;
  const out = [`  ${paint(c, action.kind, head)}`];
  for (const change of action.changes ?? []) out.push(`      ${describeChange(change)}`);
  if (action.kind === "reorder") {
    out.push(`      before: ${chain(hook.before)}`, `      after:  ${chain(hook.after)}`);
  }
  for (const change of action.maps ?? []) out.push(...mapDiff(c, change, "      "));
  return out;
}

function hookTitle(c: Colors, hook: HookPlan): string {
  const mode = hook.mode ? ` (mode ${hook.mode})` : "";
  const replaced = hook.generation === undefined ? "a new generation is attached" : `generation ${hook.generation} is replaced by a new one`;
  const how: Record<CommitKind, string> = {
    create: "a new generation is attached",
    update: `${replaced} in one step`,
    reattach: `${replaced}, detached and attached again (not atomic)`,
    "in-place": `maps of generation ${hook.generation} are written in place`,
    detach: "the chain is detached and its pins removed",
    cleanup: "leftovers of an interrupted run are unpinned (nothing is loaded)",
    none: "no changes",
  };
  return c.bold(`# ${hook.ifname} ${hook.hook}${mode}: ${how[hook.commit]}`);
}

export function summaryLine(plan: Plan): string {
  const s = plan.summary;
  const repair = s.repair > 0 ? `, ${s.repair} to repair` : "";
  return `Plan: ${s.start} to start, ${s.update} to update, ${s.reorder} to reorder, ${s.reconfigure} to reconfigure, ${s.stop} to stop${repair}.`;
}

export function renderPlan(plan: Plan, c: Colors): string {
  const changing = plan.hooks.filter((h) => h.commit !== "none");
  const warnings = plan.hooks.flatMap((h) => h.warnings);
  const out: string[] = [];
  if (changing.length === 0) {
    out.push(c.green("No changes. The kernel matches the configuration."));
  } else {
    out.push("nfctl will make these changes:", "");
    for (const hook of changing) {
      out.push(hookTitle(c, hook));
      for (const action of hook.actions) out.push(...renderAction(c, action, hook));
      if (buildsGeneration(hook.commit) && hook.actions.some((a) => a.kind !== "reorder")) {
        out.push(`      chain:  ${chain(hook.before)}  =>  ${chain(hook.after)}`);
      }
      out.push("");
    }
    out.push(c.bold(summaryLine(plan)));
  }
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
