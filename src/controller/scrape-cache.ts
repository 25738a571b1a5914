/**
 * A value that is costly to build (a walk of every data map in the kernel),
 * built on demand and shared: every caller within `maxAgeMs` of the last
 * build's start gets its result, and callers that arrive while a build
 * runs wait for that build instead of starting another (single flight).
 * However many clients ask, a build starts at most once per `maxAgeMs`, and
 * what a caller gets was begun less than `maxAgeMs` before it asked.
 *
 * The age counts from a build's start, when it begins to read: a build may
 * end well after its read (the metrics exposition waits a turn of the event
 * loop to measure its lag), and counting from the end would serve reads
 * older than `maxAgeMs`. A build slower than half of `maxAgeMs` spaces the
 * next one out to twice its own time, so that builds take at most half of
 * the time whatever they cost (a walk of 1,500 hooks takes over a second):
 * then a caller's result was begun less than twice the last build's time
 * before it asked.
 *
 * A build that fails is shared and kept like one that succeeds: callers get
 * its error until it is `maxAgeMs` old, so a failing walk is not retried
 * once per request either.
 *
 * @example
 *     const scrape = cachedScrape(() => status(root), { maxAgeMs: 1_000 });
 *     const [a, b] = await Promise.all([scrape(), scrape()]); // one walk; a === b
 */
export function cachedScrape<T>(build: () => T | Promise<T>, options: { maxAgeMs: number; now?: () => number }): () => Promise<T> {
  const now = options.now ?? (() => performance.now());
  let latest: { result: Promise<T>; startedAt: number } | undefined;
  let building = false;
  /** How long the last build took, ms. */
  let took = 0;
  return () => {
    if (building || (latest !== undefined && now() - latest.startedAt < Math.max(options.maxAgeMs, 2 * took))) return latest!.result;
    const startedAt = now();
    const result = Promise.resolve().then(build);
    const settled = (): void => {
      building = false;
      took = now() - startedAt;
    };
    result.then(settled, settled);
    building = true;
    latest = { result, startedAt };
    return result;
  };
}
