/**
 * `nfctl status` as text.
 */
import type { StatusReport, HookStatus, Counter } from "../../reconcile/index.js";
import type { LoopStatus } from "../../controller/index.js";
import type { Colors } from "../colors.js";
import { describeDrift, describeOrigin } from "./words.js";

/**
 * A revision with its checksum cut to 12 hex digits.
 *
 * @example
 *     shortRevision("main@sha1:1eabc9a4c2d31e5f06b7a8c9d0e1f2a3b4c5d6e7") // "main@sha1:1eabc9a4c2d3"
 */
export function shortRevision(revision: string): string {
  return revision.replace(/((?:^|@)(?:sha1|sha256):[0-9a-f]{12})[0-9a-f]+$/, "$1");
}

function count(c: Counter): string {
  return `${c.packets} pkts / ${c.bytes} B`;
}

function renderHook(h: HookStatus, c: Colors): string[] {
  const facts = [
    h.mode && `mode ${h.mode}`,
    h.attachment === "tc-legacy" ? "clsact filter" : h.linkId !== undefined && `link ${h.linkId}`,
    h.generation !== undefined && `generation ${h.generation}`,
    h.appliedAt && `applied ${h.appliedAt}`,
    h.source?.path && `from ${h.source.path}${h.source.revision ? ` at ${shortRevision(h.source.revision)}` : ""}`,
  ].filter(Boolean);
  const out = [c.bold(`${h.ifname} ${h.hook}`) + (facts.length ? `  ${facts.join(", ")}` : "")];
  if (h.nfs.length > 0) out.push(`  chain: ${h.nfs.map((n) => n.name).join(" -> ")}`);
  for (const nf of h.nfs) {
    const prog = nf.progId !== undefined ? `prog ${nf.progId} ${nf.progName} tag ${nf.tag}` : c.red("program missing");
    const version = nf.version ? ` v${nf.version}` : "";
    const stats = nf.counters ? `  seen ${count(nf.counters.seen)}, dropped ${count(nf.counters.dropped)}` : "";
    out.push(`  ${String(nf.position).padStart(2)}  ${nf.name.padEnd(16)} ${prog}${version}${stats}`);
    if (nf.origin) out.push(`      ${describeOrigin(nf.origin)}`);
  }
  for (const d of h.drift) out.push(c.yellow(`  drift (${d.kind}): ${describeDrift(d)}`));
  for (const g of h.stale) out.push(c.yellow(`  leftover generation ${g} of an interrupted run (the next apply removes it)`));
  return out;
}

/** Whether the loop still runs: `alive` answers for its pid, when it recorded no stop. */
function loopState(loop: LoopStatus, alive: (pid: number) => boolean): string {
  if (loop.stoppedAt !== undefined) return `pid ${loop.pid}, stopped at ${loop.stoppedAt}`;
  return alive(loop.pid) ? `pid ${loop.pid}` : `pid ${loop.pid}, not running: it ended without stopping`;
}

function renderLoop(loop: LoopStatus, c: Colors, alive: (pid: number) => boolean): string[] {
  const source =
    loop.source.kind === "git"
      ? `git ${loop.source.url}${loop.source.ref ? ` ${loop.source.ref}` : ""}${loop.source.path ? ` ${loop.source.path}` : ""}`
      : loop.source.paths.join(", ");
  const out = [c.bold(`watch (${loopState(loop, alive)}) of ${source}`)];
  for (const cond of loop.conditions) {
    const paint =
      cond.status === "True" ? (cond.type === "Ready" ? c.green : c.yellow) : cond.type === "Ready" && cond.status === "False" ? c.red : (x: string) => x;
    out.push(`  ${paint(`${cond.type.padEnd(11)} ${cond.status.padEnd(7)} ${cond.reason}`)}${cond.message ? `  ${cond.message}` : ""}`);
  }
  if (loop.lastAppliedRevision) out.push(`  last applied:   ${loop.lastAppliedRevision}${loop.lastSuccessAt ? ` at ${loop.lastSuccessAt}` : ""}`);
  if (loop.lastAttemptedRevision) out.push(`  last attempted: ${loop.lastAttemptedRevision}`);
  if (loop.enforcedRevision) out.push(c.yellow(`  enforcing:      ${loop.enforcedRevision} (the last good revision, while the source cannot be used)`));
  if (loop.lastReconcile) {
    out.push(
      `  last reconcile: ${loop.lastReconcile.startedAt}, ${loop.lastReconcile.result}, ${loop.lastReconcile.durationSeconds.toFixed(3)} s (${loop.reconciles} in all)`,
    );
  }
  if (loop.lastError) out.push(c.red(`  last error: ${loop.lastError}`));
  return out;
}

/** The state's lineage and serial, which a saved plan must match. */
function stateLine(report: StatusReport, c: Colors): string {
  return report.state ? c.dim(`state: lineage ${report.state.lineage}, serial ${report.state.serial}\n`) : "";
}

export function renderStatus(report: StatusReport, c: Colors, loop?: LoopStatus, alive: (pid: number) => boolean = () => true): string {
  const head = loop ? `${renderLoop(loop, c, alive).join("\n")}\n\n` : "";
  if (report.hooks.length === 0) return `${head}nfctl manages nothing in this network namespace (bpffs root ${report.root}).\n${stateLine(report, c)}`;
  const hooks = `${report.hooks.map((h) => renderHook(h, c).join("\n")).join("\n\n")}\n`;
  return `${head}${hooks}${report.state ? `\n${stateLine(report, c)}` : ""}`;
}
