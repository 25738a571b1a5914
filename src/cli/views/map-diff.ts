/**
 * A map's contents before and after apply as a unified diff, kernel
 * before, config after: plain lines, which the text view colours and the
 * markdown view puts in a ```diff block.
 *
 * @example
 *     mapDiffLines({ map: "ports", before: ["22: 1", "23: 1"], after: ["22: 1", "80: 1"] })
 *     // ["--- ports (kernel)", "+++ ports (config)", "@@ -1,2 +1,2 @@", " 22: 1", "-23: 1", "+80: 1"]
 */
import { structuredPatch } from "diff";
import type { MapChange } from "../../reconcile/index.js";

export function mapDiffLines(change: MapChange): string[] {
  const text = (lines: string[]) => (lines.length === 0 ? "" : `${lines.join("\n")}\n`);
  const patch = structuredPatch(`${change.map} (kernel)`, `${change.map} (config)`, text(change.before), text(change.after), "", "", { context: 3 });
  const out = [`--- ${patch.oldFileName}`, `+++ ${patch.newFileName}`];
  for (const hunk of patch.hunks) out.push(`@@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@`, ...hunk.lines);
  return out;
}
