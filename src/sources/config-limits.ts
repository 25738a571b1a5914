/**
 * How much config nfctl reads: of one file, how many files, and how many
 * bytes in all. The people who write a config (a repository's pushers, a
 * ConfigMap's editors) are not trusted (DESIGN.md, "Trust boundaries"), and
 * parsing YAML costs far more than its bytes: a 1 MB map took 1.4 s and
 * 160 MB, a 15 MB one exhausted V8. The limits are chosen so that the
 * largest config they admit loads in under 2 s and 200 MB (README.md,
 * "Limits"): one file may hold a whole config (500 interfaces with 3
 * hooks of 4 NFs each is 680 KB), and the watch loop yields between files
 * and stages.
 *
 * Every place that reads config files counts them here: the directory and
 * git snapshots (src/sources/snapshot.ts) and the config loader
 * (src/reconcile/config/inputs.ts), which reads -f and stdin too.
 */

/** The most bytes of one config file. */
export const MAX_CONFIG_FILE_BYTES = 768 * 1024;

/** The most config files (.yaml, .yml) of one config, over all its inputs. */
export const MAX_CONFIG_FILES = 128;

/** The most bytes of all of a config's files together. */
export const MAX_CONFIG_TOTAL_BYTES = 768 * 1024;

/** What a config's files have come to so far. */
export interface ConfigTally {
  files: number;
  bytes: number;
}

export function newConfigTally(): ConfigTally {
  return { files: 0, bytes: 0 };
}

/**
 * Counts one more file of `size` bytes (more than MAX_CONFIG_FILE_BYTES:
 * any larger size, where reading stopped) into `tally`, and says which
 * limit it breaks, as a phrase to follow the file's name; undefined when
 * it breaks none. A file that breaks a limit is not counted.
 *
 * @example
 *     const tally = newConfigTally();
 *     configLimitProblem(tally, 1000)        // undefined; tally is { files: 1, bytes: 1000 }
 *     configLimitProblem(tally, 600 * 1024)  // "the file is larger than 768 KiB, the most nfctl reads of one config file"
 */
export function configLimitProblem(tally: ConfigTally, size: number): string | undefined {
  if (size > MAX_CONFIG_FILE_BYTES) return `the file is larger than ${kib(MAX_CONFIG_FILE_BYTES)}, the most nfctl reads of one config file`;
  if (tally.files + 1 > MAX_CONFIG_FILES) return `the config has more than ${MAX_CONFIG_FILES} files with this one, the most nfctl reads of one config`;
  if (tally.bytes + size > MAX_CONFIG_TOTAL_BYTES) {
    return `the config's files come to more than ${kib(MAX_CONFIG_TOTAL_BYTES)} with this one, the most nfctl reads of one config`;
  }
  tally.files += 1;
  tally.bytes += size;
  return undefined;
}

function kib(bytes: number): string {
  return `${bytes / 1024} KiB`;
}
