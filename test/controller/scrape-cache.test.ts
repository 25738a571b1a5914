/**
 * cachedScrape with a hand-driven clock: a result is shared while it is
 * younger than maxAgeMs, counted from its build's start; callers during a
 * build share it however long it takes; a failure is shared and kept too.
 */
import t from "tap";
import { cachedScrape } from "../../src/controller/scrape-cache.js";

/** A build that counts its calls and ends when the test says. */
function gatedBuild<T>(value: () => T) {
  const ends: Array<() => void> = [];
  let calls = 0;
  const build = async () => {
    calls++;
    await new Promise<void>((resolve) => ends.push(resolve));
    return value();
  };
  return { build, calls: () => calls, end: () => ends.shift()?.() };
}

t.test("callers during a build share it, even one slower than maxAgeMs", async (t) => {
  let time = 0;
  const b = gatedBuild(() => time);
  const scrape = cachedScrape(b.build, { maxAgeMs: 10, now: () => time });
  const first = scrape();
  time = 50;
  const more = Array.from({ length: 20 }, () => scrape());
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(b.calls(), 1, "one build for 21 callers");
  b.end();
  t.same(
    await Promise.all([first, ...more]),
    Array.from({ length: 21 }, () => 50),
  );
});

t.test("a result is served until maxAgeMs after its build started, then built again", async (t) => {
  let time = 0;
  let n = 0;
  const scrape = cachedScrape(() => ++n, { maxAgeMs: 1_000, now: () => time });
  t.equal(await scrape(), 1);
  time = 999;
  t.equal(await scrape(), 1, "999 ms after its start: the same");
  time = 1_000;
  t.equal(await scrape(), 2, "1,000 ms after: a new build");
  t.equal(await scrape(), 2);
});

t.test("a failed build is shared and kept for maxAgeMs like a result", async (t) => {
  let time = 0;
  let calls = 0;
  const scrape = cachedScrape(
    () => {
      calls++;
      throw new Error(`walk ${calls} failed`);
    },
    { maxAgeMs: 100, now: () => time },
  );
  await t.rejects(scrape(), { message: "walk 1 failed" });
  await t.rejects(scrape(), { message: "walk 1 failed" });
  t.equal(calls, 1, "not retried per caller");
  time = 100;
  await t.rejects(scrape(), { message: "walk 2 failed" });
});

t.test("a build slower than half of maxAgeMs spaces the next one out to twice its time", async (t) => {
  let time = 0;
  const b = gatedBuild(() => time);
  const scrape = cachedScrape(b.build, { maxAgeMs: 1_000, now: () => time });
  const first = scrape();
  await new Promise((resolve) => setImmediate(resolve));
  time = 1_500;
  b.end();
  t.equal(await first, 1_500, "a build of 1.5 s");
  time = 2_999;
  t.equal(await scrape(), 1_500, "2,999 ms after its start: still the same (twice 1.5 s is 3 s)");
  t.equal(b.calls(), 1);
  time = 3_000;
  const second = scrape();
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(b.calls(), 2, "3 s after its start: built again");
  time = 3_100;
  b.end();
  t.equal(await second, 3_100);
  time = 3_999;
  t.equal(await scrape(), 3_100, "a fast build: maxAgeMs from its start again");
  time = 4_000;
  const third = scrape();
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(b.calls(), 3);
  b.end();
  await third;
});
