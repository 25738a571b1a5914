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
 * older than `maxAgeMs`. So a build that takes W ms takes at most
 * W / `maxAgeMs` of the process's time while clients ask, the rest being the
 * watch loop's; a build must take well under `maxAgeMs`.
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
  return () => {
    if (building || (latest !== undefined && now() - latest.startedAt < options.maxAgeMs)) return latest!.result;
    const result = Promise.resolve().then(build);
    const settled = (): void => {
      building = false;
    };
    result.then(settled, settled);
    building = true;
    latest = { result, startedAt: now() };
    return result;
  };
}
