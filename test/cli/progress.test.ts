/**
 * The progress line of a long apply (progress.ts), on a fake terminal with
 * a fake clock: nothing within the first second, then one line rewritten
 * in place and cleared at the end; nothing at all on a pipe.
 */
import t from "tap";
import { PassThrough } from "node:stream";
import { progressLine, PROGRESS_DELAY_MS } from "../../src/cli/progress.js";

function stream(isTTY: boolean): { stream: PassThrough & { isTTY?: boolean }; written: () => string } {
  const s: PassThrough & { isTTY?: boolean } = new PassThrough();
  s.isTTY = isTTY;
  let text = "";
  s.on("data", (chunk: Buffer) => (text += chunk.toString()));
  return { stream: s, written: () => text };
}

/** A clock the test moves. */
function fakeClock(start = 5_000): { now: () => number; advance: (ms: number) => void } {
  let time = start;
  return { now: () => time, advance: (ms) => (time += ms) };
}

t.test("on a terminal: nothing before a second, then the counts on one line, cleared at the end", async (t) => {
  const { stream: tty, written } = stream(true);
  const clock = fakeClock();
  const progress = progressLine(tty, clock.now);
  progress.report({ phase: "prepared", done: 0, total: 10 });
  clock.advance(PROGRESS_DELAY_MS - 1);
  progress.report({ phase: "prepared", done: 3, total: 10 });
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(written(), "", "nothing within the first second");
  clock.advance(1);
  progress.report({ phase: "prepared", done: 4, total: 10 });
  progress.report({ phase: "committed", done: 5, total: 10 });
  progress.done();
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(written(), "\r\x1b[Khooks prepared 4/10\r\x1b[Khooks committed 5/10\r\x1b[K");
});

t.test("a quick apply on a terminal shows nothing, and clears nothing", async (t) => {
  const { stream: tty, written } = stream(true);
  const clock = fakeClock();
  const progress = progressLine(tty, clock.now);
  for (let i = 0; i <= 3; i++) progress.report({ phase: "committed", done: i, total: 3 });
  progress.done();
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(written(), "");
});

t.test("not a terminal: nothing, however long it takes", async (t) => {
  const { stream: pipe, written } = stream(false);
  const clock = fakeClock();
  const progress = progressLine(pipe, clock.now);
  progress.report({ phase: "prepared", done: 0, total: 2 });
  clock.advance(10 * PROGRESS_DELAY_MS);
  progress.report({ phase: "committed", done: 2, total: 2 });
  progress.done();
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(written(), "");
});
