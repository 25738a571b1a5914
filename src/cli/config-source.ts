/**
 * The config a one-shot command (plan, apply) loads: the files of -f, or a
 * git repository's, read once through the git source that `nfctl watch`
 * follows. A git config records its URL and revision with each generation,
 * as the watch loop's does (src/controller/reconcile-step.ts). The git
 * source (and simple-git) is imported only for --git: a plan of -f starts
 * as quickly as before.
 */
import { statSync } from "node:fs";
import {
  BUNDLED_OBJECTS,
  describeFsError,
  loadDesiredYielding,
  objectRoots,
  type CodeResolver,
  type DesiredState,
  type LoadDesiredOptions,
} from "../reconcile/index.js";
import { gitSourceOf, type GitFlags } from "./git-options.js";
import { resolveOptionsFrom, type RegistryFlags } from "./registry-options.js";

export interface SourceFlags extends GitFlags, RegistryFlags {
  file?: string[];
  /** --object-path: where a shared config may also take objects from. */
  objectPath?: string[];
}

/**
 * The directories, besides a shared source's own, that its config may take
 * objects from: the bundled NFs and --object-path's. Throws, one line, for
 * an --object-path that is not a directory: a typo would otherwise refuse
 * every object under it as outside the source, and say nothing of why.
 */
export function sharedObjectPaths(flags: Pick<SourceFlags, "objectPath">): string[] {
  for (const dir of flags.objectPath ?? []) {
    let isDirectory = false;
    try {
      isDirectory = statSync(dir).isDirectory();
    } catch (err) {
      throw new Error(`--object-path ${dir}: ${describeFsError(err)}`);
    }
    if (!isDirectory) throw new Error(`--object-path ${dir}: not a directory`);
  }
  return [BUNDLED_OBJECTS, ...(flags.objectPath ?? [])];
}

/**
 * What fetches the artifacts and images a config names: from the
 * registries and servers the flags reach, into --cache-dir; `offline`
 * (plan --offline), from the cache alone; `roots`, where a shared config's
 * file:// artifacts must lie. The fetcher (undici, tar) is imported when a
 * config first names one, so a config of objects never loads it.
 *
 * @example
 *     loadDesiredYielding(inputs, { resolveCode: codeResolverOf(flags, { offline: true }) });
 */
export function codeResolverOf(flags: SourceFlags, context: { offline?: boolean; roots?: readonly string[] } = {}): CodeResolver {
  return async (sources) => {
    const options = resolveOptionsFrom(flags, { cacheDir: flags.cacheDir, ...context });
    const { codeResolver } = await import("../sources/artifacts/resolve.js");
    return codeResolver(options)(sources);
  };
}

/** How a command loads its config: libbpf's log, the host, and whether NF code may be fetched (plan --offline: from the cache alone). */
export type LoadContext = Pick<LoadDesiredOptions, "log" | "host"> & { offline?: boolean };

/** Loads the config of -f or --git (checkOneSource has made sure it is one of them); throws ConfigErrors or SourceError. */
export async function loadSourceConfig(flags: SourceFlags, context: LoadContext): Promise<DesiredState> {
  const { offline, ...options } = context;
  if (flags.git === undefined)
    return loadDesiredYielding(flags.file ?? [], { ...options, resolveCode: codeResolverOf(flags, { ...(offline && { offline }) }) });
  const { gitSnapshot, redactUrl } = await import("../sources/git.js");
  const snapshot = await gitSnapshot(gitSourceOf(flags, flags.git));
  const url = redactUrl(flags.git);
  // Unlike the loop (which refuses it as EmptyRefused), a one-shot command given nothing to load says so.
  if (snapshot.inputs.length === 0)
    throw new Error(`${flags.path === undefined ? "the root" : `path ${flags.path}`} of ${snapshot.revision} of ${url} holds no .yaml or .yml file`);
  const roots = objectRoots([...snapshot.roots, ...sharedObjectPaths(flags)]);
  return loadDesiredYielding(snapshot.inputs, {
    ...options,
    source: { path: url, revision: snapshot.revision },
    objectRoots: roots,
    resolveCode: codeResolverOf(flags, { ...(offline && { offline }), roots }),
    ...(snapshot.fileNames && { fileNames: snapshot.fileNames }),
  });
}
