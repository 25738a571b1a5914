/**
 * "Did you mean" for misspelt names: the closest of the names a place
 * allows, when it is close enough to be a likely typo.
 */

/**
 * The candidate closest to `word`, ignoring case, within an edit distance
 * of 1 for short words and 2 for words of five letters or more; undefined
 * when nothing is that close.
 *
 * @example
 *     closestName("progam", ["name", "object", "program"]) // "program"
 *     closestName("tcingress", ["xdp", "tcIngress", "tcEgress"]) // "tcIngress"
 *     closestName("colour", ["name", "object"]) // undefined
 */
export function closestName(word: string, candidates: readonly string[]): string | undefined {
  const limit = word.length >= 5 ? 2 : 1;
  let best: { name: string; distance: number } | undefined;
  for (const name of candidates) {
    // The distance is at least the difference in length: skip what cannot be
    // close, so a long word costs nothing (the table is word × name).
    if (Math.abs(word.length - name.length) > limit) continue;
    const distance = editDistance(word.toLowerCase(), name.toLowerCase());
    if (distance <= limit && (!best || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}
