/**
 * The content-addressed store of NF code: manifests, configs, layers,
 * downloaded packages and extracted objects, each named by the sha256 of
 * its bytes, and what each tag last resolved to. It lives under the
 * cache directory the git source uses (--cache-dir):
 *
 *     <cache>/oci/blobs/sha256/<hex>     the bytes whose sha256 is <hex>
 *     <cache>/oci/refs/<hex>.json        {registry, repository, tag, digest, resolvedAt},
 *                                        <hex> the sha256 of "registry/repository:tag"
 *
 * A file is written to a temporary name in its own directory
 * (`.tmp-<pid>-<random>`), fsynced and renamed into place, so a crash or a
 * kill mid-write leaves a temporary, never a file taken for whole, and two
 * processes writing the same blob each rename whole bytes over the other's.
 * The cache is not trusted on reading: a blob whose bytes do not hash to
 * its name is removed and treated as missing.
 */
import { randomBytes } from "node:crypto";
import { sha256Hex } from "./digest.js";
import { closeSync, constants, fstatSync, fsyncSync, lstatSync, openSync, readFileSync, readdirSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import { checkCacheDir } from "../cache-dir.js";
import { ensurePrivateDir } from "../private-dir.js";
import { SourceError, describeError } from "../snapshot.js";
import { ArtifactError } from "./errors.js";
import type { ImageReference } from "./types.js";

/** A temporary older than this (by its mtime) is a dead writer's, and removed when a cache is opened. */
export const STALE_TEMPORARY_MS = 60 * 60 * 1000;

/** A tag record is a few hundred bytes; one larger than this is not one nfctl wrote. */
const TAG_RECORD_LIMIT = 64 * 1024;

const TEMPORARY_PREFIX = ".tmp-";
const SHA256_DIGEST = /^sha256:([0-9a-f]{64})$/;
const WHAT = "the artifact cache";

export interface ArtifactCache {
  /** `<cache>/oci`. */
  readonly dir: string;
  /** The blob's bytes, verified against its name; undefined when absent (or corrupt: then removed). */
  readBlob(digest: string): Buffer | undefined;
  /** Writes bytes under their own sha256 (temp, fsync, rename; no-op when present and whole); returns "sha256:<hex>" and the path. */
  writeBlob(bytes: Buffer): { digest: string; path: string };
  /** Where a blob lives (whether or not it does). */
  blobPath(digest: string): string;
  /** The digest a tag last resolved to, for offline and Never; undefined when never resolved here (or for a reference without a tag). */
  readTag(ref: ImageReference): string | undefined;
  writeTag(ref: ImageReference, digest: string): void;
}

/** What a tag record holds. */
interface TagRecord {
  registry: string;
  repository: string;
  tag: string;
  digest: string;
  resolvedAt: string;
}

/**
 * Opens (makes where missing) the artifact cache under `cacheDir`: each of
 * its directories private to nfctl's user, checked from / down
 * (ensurePrivateDir), and not on a kernel filesystem (checkCacheDir).
 * Temporaries older than STALE_TEMPORARY_MS are removed. Throws
 * SourceError, one line, naming the directory that is wrong.
 *
 * @example
 *     const cache = openArtifactCache("/var/lib/nfctl/cache");
 *     const { digest, path } = cache.writeBlob(objectBytes); // "sha256:3f1c…", "/var/lib/nfctl/cache/oci/blobs/sha256/3f1c…"
 *     cache.readBlob(digest);                                 // the bytes, checked again
 *     cache.writeTag({ registry: "reg.example", repository: "nfs/counter", tag: "v1" }, manifestDigest);
 */
export function openArtifactCache(cacheDir: string): ArtifactCache {
  checkCacheDir(cacheDir, WHAT);
  const blobs = ensurePrivateDir(cacheDir, ["oci", "blobs", "sha256"], WHAT);
  const refs = ensurePrivateDir(cacheDir, ["oci", "refs"], WHAT);
  removeStaleTemporaries(blobs);
  removeStaleTemporaries(refs);

  const blobPath = (digest: string) => join(blobs, hexOf(digest));

  const readBlob = (digest: string): Buffer | undefined => {
    const path = blobPath(digest);
    const bytes = readRegularFile(path);
    if (bytes === undefined) return undefined;
    if (sha256Hex(bytes) === hexOf(digest)) return bytes;
    // Not what its name says (a torn disk, a hand edit): as good as missing, fetched again.
    removeFile(path);
    return undefined;
  };

  return {
    dir: dirname(refs),
    blobPath,
    readBlob,
    writeBlob(bytes) {
      const digest = `sha256:${sha256Hex(bytes)}`;
      const path = blobPath(digest);
      if (readBlob(digest) === undefined) writeAtomically(path, bytes);
      return { digest, path };
    },
    readTag(ref) {
      if (ref.tag === undefined) return undefined;
      const bytes = readRegularFile(tagPath(refs, ref), TAG_RECORD_LIMIT);
      if (bytes === undefined) return undefined;
      const record = parseTagRecord(bytes);
      // A record for another name (planted, or the hash's one-in-2^256) answers nothing.
      if (record === undefined || record.registry !== ref.registry || record.repository !== ref.repository || record.tag !== ref.tag) return undefined;
      return record.digest;
    },
    writeTag(ref, digest) {
      if (ref.tag === undefined) throw new Error(`writeTag: ${ref.registry}/${ref.repository} has no tag`);
      hexOf(digest); // refuses what is not a sha256 digest
      const record: TagRecord = { registry: ref.registry, repository: ref.repository, tag: ref.tag, digest, resolvedAt: new Date().toISOString() };
      writeAtomically(tagPath(refs, ref), Buffer.from(`${JSON.stringify(record)}\n`));
    },
  };
}

/** The hex of a "sha256:<hex>" digest; anything else (another algorithm, a path) is refused before it names a file. */
function hexOf(digest: string): string {
  const hex = SHA256_DIGEST.exec(digest)?.[1];
  if (hex === undefined)
    throw new ArtifactError(
      "image-unsupported",
      `${JSON.stringify(digest)} is not a sha256 digest (sha256: and 64 lowercase hex digits), the only kind nfctl reads`,
    );
  return hex;
}

function tagPath(refs: string, ref: ImageReference): string {
  return join(refs, `${sha256Hex(`${ref.registry}/${ref.repository}:${ref.tag ?? ""}`)}.json`);
}

function parseTagRecord(bytes: Buffer): TagRecord | undefined {
  try {
    const value = JSON.parse(bytes.toString("utf8")) as Partial<TagRecord> | null;
    if (typeof value?.registry !== "string" || typeof value.repository !== "string" || typeof value.tag !== "string") return undefined;
    if (typeof value.digest !== "string" || !SHA256_DIGEST.test(value.digest)) return undefined;
    return value as TagRecord;
  } catch {
    return undefined;
  }
}

/**
 * The bytes of a regular file, or undefined when it is missing. Opened
 * without following a link and without blocking, so that a FIFO or a
 * device planted under a blob's name is never waited on (a blocking open
 * of a FIFO held a test's process past SIGTERM): anything but a
 * regular file (or one over `limit` bytes) is removed and missing.
 */
function readRegularFile(path: string, limit = Infinity): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    // O_NOFOLLOW on a link.
    if (code === "ELOOP") return removeFile(path);
    throw new SourceError("SourceFailed", `cannot read ${WHAT} ${path}: ${describeError(err)}`, { cause: err });
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile() || stats.size > limit) return removeFile(path);
    return readFileSync(fd);
  } catch (err) {
    throw new SourceError("SourceFailed", `cannot read ${WHAT} ${path}: ${describeError(err)}`, { cause: err });
  } finally {
    closeSync(fd);
  }
}

/** Removes a file that is not what its name says; another process may have removed or replaced it first. Returns undefined, for "missing". */
function removeFile(path: string): undefined {
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") {
      throw new SourceError("SourceFailed", `cannot remove ${path}, not what ${WHAT} wrote: ${describeError(err)}`, { cause: err });
    }
  }
  return undefined;
}

/**
 * Writes `bytes` to a new temporary beside `path`, fsyncs it, renames it
 * over `path` and fsyncs the directory: readers see the old file, the new
 * one or none, never part of one. The temporary is removed on failure.
 */
function writeAtomically(path: string, bytes: Buffer): void {
  const dir = dirname(path);
  const temporary = join(dir, `${TEMPORARY_PREFIX}${process.pid}-${randomBytes(6).toString("hex")}`);
  try {
    const fd = openSync(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      // writeSync may write less than asked (a signal, a full disk on the way): go on from where it stopped.
      for (let done = 0; done < bytes.length;) done += writeSync(fd, bytes, done, bytes.length - done);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
    const dirFd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  } catch (err) {
    try {
      unlinkSync(temporary);
    } catch {
      // Renamed already, or never made.
    }
    throw new SourceError("SourceFailed", `cannot write ${WHAT} ${path}: ${describeError(err)}`, { cause: err });
  }
}

/** Removes the temporaries of writers that died (killed, crashed) more than STALE_TEMPORARY_MS ago; a live writer's is younger. */
function removeStaleTemporaries(dir: string): void {
  const before = Date.now() - STALE_TEMPORARY_MS;
  for (const name of readdirSync(dir)) {
    if (!name.startsWith(TEMPORARY_PREFIX)) continue;
    const path = join(dir, name);
    try {
      if (lstatSync(path).mtimeMs < before) unlinkSync(path);
    } catch (err) {
      // Renamed or removed by its writer, or by another nfctl cleaning at the same time.
      if ((err as NodeJS.ErrnoException).code !== "ENOENT")
        throw new SourceError("SourceFailed", `cannot remove the stale temporary ${path}: ${describeError(err)}`, { cause: err });
    }
  }
}
