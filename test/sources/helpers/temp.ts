/**
 * Temporary directories and waiting, for the source tests: each test makes
 * its own directory under the system's temporary directory and removes it
 * when it ends, passed or failed.
 */
import { mkdtempSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** What these helpers need of a tap test. */
export interface Teardown {
  teardown(fn: () => unknown): void;
}

/** A new empty directory (its real path), removed at the end of the test. */
export function tempDir(t: Teardown, prefix = "nfctl-sources-"): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Waits until `done()` holds, polling; throws naming `what` after `timeoutMs`. */
export async function waitFor(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}
