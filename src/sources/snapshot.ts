/**
 * What every source yields: the config inputs to load, a Flux-style
 * revision and a digest of the config files (DESIGN.md, "The loop"). The
 * watch loop reads a snapshot afresh on every trigger and compares digests.
 */
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, realpathSync, statSync } from "node:fs";
import { join, sep } from "node:path";
import { configLimitProblem, type ConfigTally } from "./config-limits.js";

export interface Snapshot {
  /** Absolute paths of the config inputs to load (directories or files), resolved through symlinks (realpath); none when the source holds no config file (an emptied ConfigMap, a deleted path). */
  inputs: string[];
  /** Flux-style revision: "main@sha1:<40 hex>" for git, "sha256:<64 hex>" for a directory snapshot. */
  revision: string;
  /** sha256 hex of the sorted (path, content) pairs of every config file the snapshot holds. */
  digest: string;
  /**
   * The directories the source's authors write (resolved through symlinks):
   * a git checkout's top, each watched directory (a watched file's
   * directory). A config of the source may take objects from them
   * (reconcile's objectRoots), and not from the rest of the machine.
   */
  roots: string[];
  /** How errors name the snapshot's files (reconcile's LoadDesiredOptions.fileNames): a git checkout's as `REF:path`; a directory's by their paths. */
  fileNames?: { dir: string; as: string };
}

export type SourceErrorReason = "SourceFailed" | "VerificationFailed";

/**
 * A source that could not yield a snapshot. The message is one line that
 * names the URL, ref or path; `reason` is the condition reason the loop
 * reports (after Flux): VerificationFailed for a commit whose signature was
 * refused, SourceFailed for everything else.
 */
export class SourceError extends Error {
  readonly reason: SourceErrorReason;
  constructor(reason: SourceErrorReason, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "SourceError";
    this.reason = reason;
  }
}

/** One config file of a snapshot: the name the digest knows it by, and its bytes. */
export interface ConfigFileEntry {
  key: string;
  bytes: Buffer;
}

/** The files the config loader reads of a directory: its *.yaml and *.yml, directly inside. */
export const CONFIG_FILE_NAME = /\.ya?ml$/;

/**
 * Reads one config file through its symlinks, counted into `tally` against
 * the limits of config-limits.ts. `confine`: a directory the file must
 * resolve into (a git checkout: a symlink in the repository must not reach
 * the rest of the machine).
 */
export function readConfigFile(key: string, path: string, tally: ConfigTally, confine?: string): ConfigFileEntry {
  let real: string;
  try {
    real = realpathSync(path);
  } catch (err) {
    throw new SourceError("SourceFailed", `cannot read ${path}: ${describeError(err)}`, { cause: err });
  }
  if (confine !== undefined && !isWithin(real, confine)) {
    throw new SourceError("SourceFailed", `${path} is a symlink to ${real}, outside ${confine}`);
  }
  let bytes: Buffer;
  try {
    const stats = statSync(real);
    if (!stats.isFile()) throw new SourceError("SourceFailed", `${path} is not a regular file (a pipe, a socket or a device); nfctl reads config files only`);
    const problem = configLimitProblem(tally, stats.size);
    if (problem !== undefined) throw new SourceError("SourceFailed", `${path}: ${problem}`);
    bytes = readFileSync(real);
  } catch (err) {
    if (err instanceof SourceError) throw err;
    throw new SourceError("SourceFailed", `cannot read ${path}: ${describeError(err)}`, { cause: err });
  }
  return { key, bytes };
}

/**
 * The config files directly inside `dir` (*.yaml, *.yml; directories so
 * named are passed over, as the loader does), each keyed by `keyOf(name)`
 * and counted into `tally`.
 */
export function configFilesIn(dir: string, keyOf: (name: string) => string, tally: ConfigTally, confine?: string): ConfigFileEntry[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => CONFIG_FILE_NAME.test(name));
  } catch (err) {
    throw new SourceError("SourceFailed", `cannot read the directory ${dir}: ${describeError(err)}`, { cause: err });
  }
  const files: ConfigFileEntry[] = [];
  for (const name of names.sort()) {
    const path = join(dir, name);
    let isDirectory = false;
    try {
      isDirectory = statSync(path).isDirectory();
    } catch {
      // readConfigFile names the error (a broken symlink, mid-swap or for good).
    }
    if (!isDirectory) files.push(readConfigFile(keyOf(name), path, tally, confine));
  }
  return files;
}

/**
 * sha256 hex over the files sorted by key: for each, the key, a NUL, the
 * length in decimal, a NUL and the bytes, so that no two sets of files
 * share a stream. A key that comes twice (one file reached twice) counts once.
 */
export function digestOf(files: readonly ConfigFileEntry[]): string {
  const byKey = new Map<string, Buffer>();
  for (const file of files) byKey.set(file.key, file.bytes);
  const hash = createHash("sha256");
  for (const key of [...byKey.keys()].sort()) {
    const bytes = byKey.get(key)!;
    hash.update(`${key}\0${bytes.length}\0`);
    hash.update(bytes);
  }
  return hash.digest("hex");
}

/** Whether `path` is `dir` or inside it (both absolute and resolved). */
export function isWithin(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}

/** Node's "ENOENT: no such file or directory, open '/x'" as "no such file or directory". */
export function describeError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return /^E[A-Z]+: (.*?), \w+(?: '|$)/.exec(message)?.[1] ?? message;
}
