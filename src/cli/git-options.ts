/**
 * The options that name a git repository as the config's source, shared by
 * the commands that load a config: watch follows the repository, plan and
 * apply read it once. Kept free of nfctl's layers (types aside), as
 * host-options.ts is, so that main.ts can add them without loading git.
 *
 * @example
 *     gitOptions(program.command("plan")); // --git, --ref, --path, --cache-dir, --git-timeout, --verify-signatures
 *     checkOneSource("plan", opts);          // in the command: -f or --git, not both
 *     gitSnapshot(gitSourceOf(opts, url));   // from ../sources
 */
import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";
import { Option, type Command } from "commander";
import type { GitSourceOptions } from "../sources/index.js";
import { checkCacheDir } from "../sources/cache-dir.js";
import { durationOption } from "./durations.js";

export interface GitFlags {
  git?: string;
  ref?: string;
  path?: string;
  cacheDir: string;
  gitTimeout: number;
  verifySignatures?: string;
}

/** The defaults are the git source's DEFAULT_CACHE_DIR and DEFAULT_GIT_TIMEOUT_MS, written out: importing them would load simple-git for --help. */
export function gitOptions(cmd: Command): Command {
  return cmd
    .option("--git <url>", "read the config from this git repository instead of -f (https://, ssh://, user@host:path or file://)")
    .option("--ref <ref>", "branch, tag or commit sha of --git (default: the remote's default branch)")
    .option("--path <dir>", "directory (or file) of the config in the repository (default: its root)")
    .addOption(cacheDirOption("where repositories are cloned"))
    .addOption(durationOption("--git-timeout <duration>", "the longest one git operation may take", "60s"))
    .option("--verify-signatures <keyring>", "use a commit only if a key of this OpenPGP keyring (gpg --export) signed it");
}

/** --cache-dir with its default as users read it: the commands that load a config, and `nfctl image`, share the one cache. */
export function cacheDirOption(description: string): Option {
  return new Option("--cache-dir <dir>", description).default(
    defaultCacheDir(),
    "$NFCTL_CACHE_DIR, else /var/lib/nfctl/cache as root, else $XDG_CACHE_HOME/nfctl or ~/.cache/nfctl",
  );
}

/**
 * The git cache when --cache-dir is not given: $NFCTL_CACHE_DIR; else, for
 * root, /var/lib/nfctl/cache (the git source's DEFAULT_CACHE_DIR, where
 * the systemd unit and the DaemonSet keep it); else the user's own cache,
 * $XDG_CACHE_HOME/nfctl or ~/.cache/nfctl (XDG base directories), since a
 * user cannot make root's, and a cache shared with root is refused anyway
 * (private-dir.ts).
 *
 * @example
 *     defaultCacheDir({ HOME: "/home/ci" }, 1000) // "/home/ci/.cache/nfctl"
 *     defaultCacheDir({}, 0)                      // "/var/lib/nfctl/cache"
 */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env, uid = process.geteuid?.() ?? 0): string {
  if (env.NFCTL_CACHE_DIR) return env.NFCTL_CACHE_DIR;
  if (uid === 0) return "/var/lib/nfctl/cache";
  // The XDG spec: a relative $XDG_CACHE_HOME is invalid, and ignored.
  const xdg = env.XDG_CACHE_HOME;
  return xdg && isAbsolute(xdg) ? join(xdg, "nfctl") : join(env.HOME ?? homedir(), ".cache", "nfctl");
}

/** The options that mean nothing without --git (--cache-dir and --git-timeout have defaults, so they cannot be told apart). */
const GIT_ONLY = [
  ["ref", "--ref"],
  ["path", "--path"],
  ["verifySignatures", "--verify-signatures"],
] as const;

/**
 * Throws unless the config comes from exactly one source, -f or --git, and
 * the options of --git come with it, and --cache-dir can hold clones (checkCacheDir). `alternative` names a further source
 * the command accepts (apply: a saved plan).
 */
export function checkOneSource(command: string, flags: GitFlags & { file?: string[] }, alternative = ""): void {
  if (flags.file !== undefined && flags.git !== undefined) throw new Error("-f and --git are mutually exclusive: give one source of the config");
  if (flags.file === undefined && flags.git === undefined) throw new Error(`${command} needs -f PATH (repeatable) or --git URL${alternative}`);
  // A cache where no clone can live is a mistake of the command line, said before anything starts.
  if (flags.git !== undefined) checkCacheDir(flags.cacheDir);
  const stray = flags.git === undefined ? GIT_ONLY.filter(([key]) => flags[key] !== undefined).map(([, name]) => name) : [];
  if (stray.length > 0) {
    const named = stray.length === 1 ? `${stray[0]} belongs` : `${stray.slice(0, -1).join(", ")} and ${stray.at(-1)} belong`;
    throw new Error(`${named} to --git URL, which is not given`);
  }
}

/** The git source's options for `url` from the flags; `ref` instead of --ref when given (plan --base-ref). */
export function gitSourceOf(flags: GitFlags, url: string, ref = flags.ref): GitSourceOptions {
  return {
    url,
    cacheDir: flags.cacheDir,
    timeoutMs: flags.gitTimeout,
    ...(ref !== undefined && { ref }),
    ...(flags.path !== undefined && { path: flags.path }),
    ...(flags.verifySignatures !== undefined && { verifySignatures: flags.verifySignatures }),
  };
}
