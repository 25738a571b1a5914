/**
 * Plans as markdown, for a pull-request comment (`nfctl plan -o markdown`):
 * a heading with the summary, per changed hook a table of its actions and
 * its map changes as ```diff blocks, and the warnings as a list. GitHub and
 * GitLab render it alike.
 *
 * What the plan quotes from elsewhere (interface names, program names a
 * kernel reports) is escaped, so that it cannot break the table or the
 * page it lands in.
 *
 * @example
 *     renderPlanMarkdown(plan, { host: "edge-1" })
 *     // "### Plan for `edge-1`: 1 to start, 0 to update, 0 to reorder, 0 to reconfigure, 0 to stop\n\n#### `eth1 xdp`: ..."
 */
import { buildsGeneration, type Action, type HookPlan, type Plan } from "../../reconcile/index.js";
import { mapDiffLines } from "./map-diff.js";
import {
  ACTION_SYMBOL,
  beforeSide,
  describeAssumedHost,
  describeBasis,
  describeChain,
  describeChange,
  describeCommit,
  describeReason,
  describeScope,
  describeWarning,
  summaryCounts,
} from "./words.js";

export interface MarkdownOptions {
  /** The host the plan is for, named in the heading (one comment per host group). */
  host?: string;
}

/** `text` as inline code, with a backtick run longer than any inside it (code shows HTML as it is). */
function code(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const ticks = "`".repeat(longest + 1);
  const pad = text.startsWith("`") || text.endsWith("`") ? " " : "";
  return `${ticks}${pad}${text.replace(/[\r\n]+/g, " ")}${pad}${ticks}`;
}

/** Words on one line, with no raw HTML in them ("<" starts a tag; ">" alone is text). */
function prose(text: string): string {
  return text
    .replace(/[\r\n]+/g, " ")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;");
}

/** Markdown inside a table cell: a "|" would end the cell, even in code. */
function cell(markdown: string): string {
  return markdown.replace(/\|/g, "\\|");
}

/** Lines in a fenced block of `language`, the fence longer than any backtick run inside. */
function fenced(language: string, lines: string[]): string[] {
  const longest = Math.max(0, ...lines.flatMap((line) => line.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(Math.max(3, longest + 1));
  return [`${fence}${language}`, ...lines, fence];
}

function actionRow(action: Action): string {
  const reason = [describeReason(action.reason), ...(action.changes ?? []).map(describeChange)].join("; ");
  return `| ${code(ACTION_SYMBOL[action.kind])} | ${action.kind} | ${action.nf === undefined ? "" : cell(code(action.nf))} | ${cell(prose(reason))} |`;
}

function hookSection(hook: HookPlan, before: string): string[] {
  const mode = hook.mode ? ` (mode ${hook.mode})` : "";
  const out = [`#### ${code(`${hook.ifname} ${hook.hook}`)}${mode}: ${describeCommit(hook)}`, ""];
  if (hook.actions.length > 0) out.push("| | action | NF | reason |", "|---|---|---|---|", ...hook.actions.map(actionRow), "");
  if (buildsGeneration(hook.commit) || hook.actions.some((a) => a.kind === "reorder")) {
    out.push(`Chain: ${code(describeChain(hook.before))} → ${code(describeChain(hook.after))}`, "");
  }
  for (const action of hook.actions) {
    for (const change of action.maps ?? []) {
      out.push(`Map ${code(change.map)} of ${code(action.nf ?? "")}:`, "", ...fenced("diff", mapDiffLines(change, before)), "");
    }
  }
  return out;
}

export function renderPlanMarkdown(plan: Plan, options: MarkdownOptions = {}): string {
  const changing = plan.hooks.filter((h) => h.commit !== "none");
  const warnings = plan.hooks.flatMap((h) => h.warnings);
  const host = options.host === undefined ? "" : ` for ${code(options.host)}`;
  const basis = describeBasis(plan.basis);
  const out: string[] = [];
  const assumed = plan.assumedHost ? [`Planned for the ${prose(describeAssumedHost(plan.assumedHost))}.`, ""] : [];
  if (changing.length === 0) {
    out.push(
      `### No changes${host}.`,
      "",
      ...assumed,
      basis === undefined ? "The kernel matches the configuration." : `The configuration matches ${prose(basis)}.`,
      "",
    );
  } else {
    out.push(`### Plan${host}: ${summaryCounts(plan)}`, "", ...assumed);
    if (basis !== undefined) out.push(`Planned offline, against ${prose(basis)}.`, "");
    for (const hook of changing) out.push(...hookSection(hook, beforeSide(plan.basis)));
  }
  const scope = describeScope(plan, code);
  if (scope) out.push(scope, "");
  if (warnings.length > 0) out.push("**Warnings**", "", ...warnings.map((w) => `- ${prose(describeWarning(w))}`), "");
  return `${out.join("\n").trimEnd()}\n`;
}
