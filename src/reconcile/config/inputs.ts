/**
 * The `-f` arguments to the config files they stand for: a file, every
 * *.yaml and *.yml directly inside a directory (sorted by name), or "-"
 * for standard input.
 */
import { closeSync, openSync, readSync, readdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { MAX_CONFIG_FILE_BYTES, configLimitProblem, newConfigTally } from "../../sources/config-limits.js";
import type { ConfigError, ConfigErrorCode } from "./errors.js";

export const STDIN_NAME = "<stdin>";
const STDIN_FD = 0;

export interface ConfigFile {
  /** As given (directory entries joined to the directory as given), or "<stdin>". */
  name: string;
  text: string;
  /** Absolute directory that relative object paths in the file start from. */
  baseDir: string;
}

export interface InputOptions {
  /** Reads standard input (for tests); by default, file descriptor 0, with the limits of a file. */
  stdin?: () => string;
  /** Directory relative inputs (and stdin's object paths) start from; default process.cwd(). */
  cwd?: string;
}

/**
 * Reads every config file the inputs name. A file reached twice (given
 * itself and through its directory) is read once. Reading stops at the
 * first file that breaks a limit of sources/config-limits.ts (its size, the
 * number of files, their total), which is the one error about it.
 *
 * @example
 *     readInputs(["examples"], {}).files.map((f) => f.name)
 *     // ["examples/blocklist.yaml", "examples/counter.yaml", ...]
 */
export function readInputs(inputs: readonly string[], options: InputOptions): { files: ConfigFile[]; errors: ConfigError[] } {
  const cwd = options.cwd ?? process.cwd();
  const files: ConfigFile[] = [];
  const errors: ConfigError[] = [];
  const seen = new Set<string>();
  const problem = (file: string, message: string, code: ConfigErrorCode) => errors.push({ file, line: 0, column: 0, path: "", code, message });
  const tally = newConfigTally();
  /** Set by the first file over a limit: nothing more is read. */
  let overLimit = false;
  /** A config's bytes as read, counted, checked and decoded. */
  const accept = (name: string, baseDir: string, bytes: Buffer) => {
    const overflow = configLimitProblem(tally, bytes.length);
    if (overflow !== undefined) {
      overLimit = true;
      problem(name, overflow, "file-too-large");
    }
    // Read as UTF-8, such a file is a string of NULs that YAML takes for one scalar.
    else if (bytes[0] === 0xff && bytes[1] === 0xfe) problem(name, "the file is UTF-16 (or UTF-32), little-endian; save it as UTF-8", "file-encoding");
    else if (bytes[0] === 0xfe && bytes[1] === 0xff) problem(name, "the file is UTF-16, big-endian; save it as UTF-8", "file-encoding");
    else files.push({ name, text: bytes.toString("utf8"), baseDir });
  };
  const read = (name: string, absolute: string) => {
    if (overLimit || seen.has(absolute)) return;
    seen.add(absolute);
    try {
      const fd = openSync(absolute, "r");
      try {
        accept(name, dirname(absolute), readBounded(fd, MAX_CONFIG_FILE_BYTES));
      } finally {
        closeSync(fd);
      }
    } catch (err) {
      problem(name, `cannot read: ${describeFsError(err)}`, "file-unreadable");
    }
  };

  // Not a file, so the error names the option that should have named one.
  if (inputs.length === 0) problem("-f", "no config given; name a file, a directory, or - for standard input", "no-config");
  for (const input of inputs) {
    if (overLimit) break;
    if (input === "-") {
      if (seen.has(STDIN_NAME)) continue;
      seen.add(STDIN_NAME);
      if (options.stdin) {
        accept(STDIN_NAME, cwd, Buffer.from(options.stdin()));
        continue;
      }
      try {
        accept(STDIN_NAME, cwd, readBounded(STDIN_FD, MAX_CONFIG_FILE_BYTES));
      } catch (err) {
        problem(STDIN_NAME, `cannot read: ${describeFsError(err)}`, "file-unreadable");
      }
      continue;
    }
    const absolute = resolve(cwd, input);
    let isDirectory: boolean;
    try {
      isDirectory = statSync(absolute).isDirectory();
    } catch (err) {
      problem(input, describeFsError(err), "file-unreadable");
      continue;
    }
    if (!isDirectory) {
      read(input, absolute);
      continue;
    }
    let names: string[];
    try {
      names = readdirSync(absolute)
        .filter((name) => /\.ya?ml$/.test(name))
        .sort();
    } catch (err) {
      problem(input, `cannot read the directory: ${describeFsError(err)}`, "file-unreadable");
      continue;
    }
    let found = 0;
    for (const name of names) {
      if (overLimit) break;
      // A config the directory names but nfctl cannot read (a broken link, a
      // pipe) is an error: skipping it would stop what it configures.
      let stats;
      try {
        stats = statSync(join(absolute, name));
      } catch (err) {
        found += 1;
        problem(join(input, name), `cannot read: ${describeFsError(err)}`, "file-unreadable");
        continue;
      }
      if (stats.isDirectory()) continue;
      found += 1;
      if (stats.isFile()) read(join(input, name), join(absolute, name));
      else problem(join(input, name), "not a regular file (a pipe, a socket or a device); nfctl reads config files only", "file-unreadable");
    }
    if (found === 0) problem(input, "the directory has no .yaml or .yml files", "no-config");
  }
  return { files, errors };
}

/**
 * What `fd` holds, to its end, but no more than `limit` bytes and one:
 * reading stops there, so that `-f /dev/zero` or an endless pipe ends in an
 * error (the file is too large), not in exhausted memory. Reads in steps
 * rather than by the size stat reports, which a device or a pipe does not know.
 *
 * @example
 *     readBounded(openSync("/dev/zero", "r"), 1024).length // 1025
 */
export function readBounded(fd: number, limit: number): Buffer {
  const chunks: Buffer[] = [];
  const buffer = Buffer.allocUnsafe(64 * 1024);
  let total = 0;
  while (total <= limit) {
    const read = readSync(fd, buffer, 0, Math.min(buffer.length, limit + 1 - total), null);
    if (read === 0) break;
    total += read;
    chunks.push(Buffer.from(buffer.subarray(0, read)));
  }
  return Buffer.concat(chunks);
}

/** Node's "ENOENT: no such file or directory, open '/x'" as "no such file or directory". */
export function describeFsError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return /^E[A-Z]+: (.*?), \w+(?: '|$)/.exec(message)?.[1] ?? message;
}
