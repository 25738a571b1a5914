/**
 * A map's contents before and after apply as a unified diff, kernel (or,
 * offline, what stood in for it: `before` names the side) before, config
 * after: plain lines, which the text view colours and the markdown view
 * puts in a ```diff block.
 *
 * @example
 *     mapDiffLines({ map: "ports", before: ["22: 1", "23: 1"], after: ["22: 1", "80: 1"] })
 *     // ["--- ports (kernel)", "+++ ports (config)", "@@ -1,2 +1,2 @@", " 22: 1", "-23: 1", "+80: 1"]
 *     mapDiffLines(change, "observed")[0] // "--- ports (observed)"
 */
import { createRequire } from "node:module";
import type { MapChange } from "../../reconcile/index.js";

type Diff = typeof import("diff");

/**
 * The diff package, loaded by the first plan that changes a map's contents:
 * it is 25 modules (20 ms), which a plan that changes none does not need.
 */
let diff: Diff | undefined;

export function mapDiffLines(change: MapChange, before = "kernel"): string[] {
  diff ??= createRequire(import.meta.url)("diff") as Diff;
  const text = (lines: string[]) => (lines.length === 0 ? "" : `${lines.join("\n")}\n`);
  const patch = diff.structuredPatch(`${change.map} (${before})`, `${change.map} (config)`, text(change.before), text(change.after), "", "", { context: 3 });
  const out = [`--- ${patch.oldFileName}`, `+++ ${patch.newFileName}`];
  for (const hunk of patch.hunks) {
    out.push(`@@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@`);
    // A loop, not push(...hunk.lines): a hunk of 200,000 lines overflows the stack as arguments.
    for (const line of hunk.lines) out.push(line);
  }
  return out;
}
