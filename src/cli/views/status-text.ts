/**
 * `nfctl status` as text.
 */
import type { StatusReport, HookStatus, Counter } from "../../reconcile/index.js";
import type { Colors } from "../colors.js";
import { describeDrift } from "./words.js";

function count(c: Counter): string {
  return `${c.packets} pkts / ${c.bytes} B`;
}

function renderHook(h: HookStatus, c: Colors): string[] {
  const facts = [
    h.mode && `mode ${h.mode}`,
    h.attachment === "tc-legacy" ? "clsact filter" : h.linkId !== undefined && `link ${h.linkId}`,
    h.generation !== undefined && `generation ${h.generation}`,
    h.appliedAt && `applied ${h.appliedAt}`,
    h.source?.path && `from ${h.source.path}${h.source.revision ? `@${h.source.revision.slice(0, 12)}` : ""}`,
  ].filter(Boolean);
  const out = [c.bold(`${h.ifname} ${h.hook}`) + (facts.length ? `  ${facts.join(", ")}` : "")];
  if (h.nfs.length > 0) out.push(`  chain: ${h.nfs.map((n) => n.name).join(" -> ")}`);
  for (const nf of h.nfs) {
    const prog = nf.progId !== undefined ? `prog ${nf.progId} ${nf.progName} tag ${nf.tag}` : c.red("program missing");
    const version = nf.version ? ` v${nf.version}` : "";
    const stats = nf.counters ? `  seen ${count(nf.counters.seen)}, dropped ${count(nf.counters.dropped)}` : "";
    out.push(`  ${String(nf.position).padStart(2)}  ${nf.name.padEnd(16)} ${prog}${version}${stats}`);
  }
  for (const d of h.drift) out.push(c.yellow(`  drift (${d.kind}): ${describeDrift(d)}`));
  for (const g of h.stale) out.push(c.yellow(`  leftover generation ${g} of an interrupted run (the next apply removes it)`));
  return out;
}

/** The state's lineage and serial, which a saved plan must match. */
function stateLine(report: StatusReport, c: Colors): string {
  return report.state ? c.dim(`state: lineage ${report.state.lineage}, serial ${report.state.serial}\n`) : "";
}

export function renderStatus(report: StatusReport, c: Colors): string {
  if (report.hooks.length === 0) return `nfctl manages nothing in this network namespace (bpffs root ${report.root}).\n${stateLine(report, c)}`;
  const hooks = `${report.hooks.map((h) => renderHook(h, c).join("\n")).join("\n\n")}\n`;
  return report.state ? `${hooks}\n${stateLine(report, c)}` : hooks;
}
