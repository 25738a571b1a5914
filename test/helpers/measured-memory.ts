/**
 * The watch loop's memory as bench/RESULTS.md records it (section "The
 * loop: nfctl watch", `node dist/bench/loop.js`), for the deploy tests:
 * the memory limits they check are set from this measurement, and must
 * follow it when a new run changes it.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const RESULTS = fileURLToPath(new URL("../../../bench/RESULTS.md", import.meta.url));

/**
 * The largest "peak RSS MB" of the table of the watcher's memory, in bytes
 * (MB there is 2^20 bytes, as /proc reports kB). Throws when the table is
 * gone, so that a rewritten RESULTS.md cannot leave the limits unchecked.
 *
 * @example
 *   watcherPeakRssBytes() // 92694118.4: a recorded peak of 88.4 MB
 */
export function watcherPeakRssBytes(text: string = readFileSync(RESULTS, "utf8")): number {
  const lines = text.split("\n");
  const header = lines.findIndex((l) => /^\| after \| RSS MB \| peak RSS MB \|/.test(l));
  if (header < 0) throw new Error(`${RESULTS}: no table "| after | RSS MB | peak RSS MB |" of the watcher's memory`);
  const column = lines[header]!.split("|").findIndex((cell) => cell.trim() === "peak RSS MB");
  const peaks: number[] = [];
  for (const row of lines.slice(header + 2)) {
    if (!row.startsWith("|")) break;
    peaks.push(Number(row.split("|")[column]));
  }
  if (peaks.length === 0 || peaks.some((p) => !Number.isFinite(p))) throw new Error(`${RESULTS}: the watcher's peak RSS column holds ${JSON.stringify(peaks)}`);
  return Math.max(...peaks) * 2 ** 20;
}
