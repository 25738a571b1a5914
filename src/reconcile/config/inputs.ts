/**
 * The `-f` arguments to the config files they stand for: a file, every
 * *.yaml and *.yml directly inside a directory (sorted by name), or "-"
 * for standard input.
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { ConfigError } from "./errors.js";

export const STDIN_NAME = "<stdin>";

export interface ConfigFile {
  /** As given (directory entries joined to the directory as given), or "<stdin>". */
  name: string;
  text: string;
  /** Absolute directory that relative object paths in the file start from. */
  baseDir: string;
}

export interface InputOptions {
  /** Reads standard input; by default, file descriptor 0. */
  stdin?: () => string;
  /** Directory relative inputs (and stdin's object paths) start from; default process.cwd(). */
  cwd?: string;
}

/**
 * Reads every config file the inputs name. A file reached twice (given
 * itself and through its directory) is read once.
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
  const problem = (file: string, message: string) => errors.push({ file, line: 0, column: 0, path: "", message });
  const read = (name: string, absolute: string) => {
    if (seen.has(absolute)) return;
    seen.add(absolute);
    try {
      files.push({ name, text: readFileSync(absolute, "utf8"), baseDir: dirname(absolute) });
    } catch (err) {
      problem(name, `cannot read: ${describeFsError(err)}`);
    }
  };

  // Not a file, so the error names the option that should have named one.
  if (inputs.length === 0) problem("-f", "no config given; name a file, a directory, or - for standard input");
  for (const input of inputs) {
    if (input === "-") {
      if (seen.has(STDIN_NAME)) continue;
      seen.add(STDIN_NAME);
      files.push({ name: STDIN_NAME, text: (options.stdin ?? (() => readFileSync(0, "utf8")))(), baseDir: cwd });
      continue;
    }
    const absolute = resolve(cwd, input);
    let isDirectory: boolean;
    try {
      isDirectory = statSync(absolute).isDirectory();
    } catch (err) {
      problem(input, describeFsError(err));
      continue;
    }
    if (!isDirectory) {
      read(input, absolute);
      continue;
    }
    let names: string[];
    try {
      names = readdirSync(absolute)
        .filter((name) => /\.ya?ml$/.test(name) && statSync(join(absolute, name), { throwIfNoEntry: false })?.isFile())
        .sort();
    } catch (err) {
      problem(input, `cannot read the directory: ${describeFsError(err)}`);
      continue;
    }
    if (names.length === 0) problem(input, "the directory has no .yaml or .yml files");
    for (const name of names) read(join(input, name), join(absolute, name));
  }
  return { files, errors };
}

/** Node's "ENOENT: no such file or directory, open '/x'" as "no such file or directory". */
function describeFsError(err: unknown): string {
  const message = (err as Error).message;
  return /^[A-Z]+: (.*?), \w+ '/.exec(message)?.[1] ?? message;
}
