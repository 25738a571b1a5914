/**
 * Another nfctl process writing the artifact cache, for cache.test.ts:
 *
 *   node cache-writer.js race CACHE BYTES COUNT
 *       COUNT times: removes the blob of BYTES (a file's contents), as a
 *       reader that found it corrupt would, writes it again, and checks
 *       that whatever is there is whole; exits 1 at the first torn blob;
 *   node cache-writer.js slow CACHE BYTES
 *       writes the blob of BYTES through a disk that takes 64 KiB each
 *       20 ms (node:fs's writeSync, replaced in this process), having
 *       printed "writing" once its first bytes are written: a writer to
 *       kill mid-write.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import { syncBuiltinESMExports } from "node:module";

const [mode, cacheDir, bytesFile, count] = process.argv.slice(2);
const bytes = fs.readFileSync(bytesFile!);
const hex = createHash("sha256").update(bytes).digest("hex");

if (mode === "slow") {
  const writeSync = fs.writeSync;
  let started = false;
  fs.writeSync = ((fd: number, buffer: Buffer, offset: number, length: number) => {
    if (started) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    const written = writeSync(fd, buffer, offset, Math.min(length, 64 * 1024));
    if (!started) process.stdout.write("writing\n");
    started = true;
    return written;
  }) as typeof fs.writeSync;
  // The cache imports writeSync by name: its binding follows this process's replacement.
  syncBuiltinESMExports();
}

const { openArtifactCache } = await import("../../../../src/sources/artifacts/cache.js");
const cache = openArtifactCache(cacheDir!);
const path = cache.blobPath(`sha256:${hex}`);

if (mode === "slow") {
  cache.writeBlob(bytes);
} else {
  for (let i = 0; i < Number(count); i += 1) {
    fs.rmSync(path, { force: true });
    cache.writeBlob(bytes);
    let there: Buffer | undefined;
    try {
      there = fs.readFileSync(path);
    } catch {
      // Removed by the other writer a moment ago.
    }
    if (there !== undefined && createHash("sha256").update(there).digest("hex") !== hex) {
      process.stderr.write(`torn blob: ${there.length} bytes at ${path}\n`);
      process.exit(1);
    }
  }
}
