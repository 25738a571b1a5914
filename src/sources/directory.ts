/**
 * The directory source: `-f DIR` or files, as a snapshot, and a watch that
 * triggers the loop when they change. Made for Kubernetes ConfigMap
 * volumes too (kubernetes pkg/volume/util/atomic_writer.go): kubelet writes
 * the files into a new `..<timestamp>/` directory, points a `..data_tmp`
 * symlink at it and renames that over `..data`; the visible `x.yaml` is a
 * symlink to `..data/x.yaml` that never changes itself.
 */
import { realpathSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { watch } from "chokidar";
import { newConfigTally } from "./config-limits.js";
import { SourceError, configFilesIn, describeError, digestOf, readConfigFile, type ConfigFileEntry, type Snapshot } from "./snapshot.js";

/**
 * The config files that `paths` name (a directory: its *.yaml and *.yml;
 * a file: itself), read through their symlinks. The digest keys each file
 * by its real directory and the name it has there, so that a ConfigMap
 * update that changes no content (a new `..<timestamp>/`) keeps the digest.
 * The revision is "sha256:<digest>".
 *
 * @example
 *     directorySnapshot(["/etc/nfctl/conf.d"])
 *     // { inputs: ["/etc/nfctl/conf.d"], revision: "sha256:9f2c…", digest: "9f2c…" }
 */
export function directorySnapshot(paths: string[]): Snapshot {
  if (paths.length === 0) throw new SourceError("SourceFailed", "no config path given; name a directory or a file");
  const inputs: string[] = [];
  const files: ConfigFileEntry[] = [];
  const roots: string[] = [];
  const tally = newConfigTally();
  for (const path of paths) {
    const absolute = resolve(path);
    const real = realpathOrThrow(absolute);
    const root = isDirectory(real) ? real : realpathOrThrow(dirname(absolute));
    if (!roots.includes(root)) roots.push(root);
    // A directory without config files (an emptied ConfigMap) adds no
    // input: the snapshot configures nothing, which the loop refuses to
    // apply unless --allow-empty, rather than an error that hides it.
    const found = isDirectory(real)
      ? configFilesIn(real, (name) => join(real, name), tally)
      : [readConfigFile(join(realpathOrThrow(dirname(absolute)), basename(absolute)), absolute, tally)];
    if (found.length > 0 && !inputs.includes(real)) inputs.push(real);
    for (const file of found) files.push(file);
  }
  const digest = digestOf(files);
  return { inputs, revision: `sha256:${digest}`, digest, roots };
}

export interface WatchOptions {
  /** Quiet time after the last event of a burst before onChange is called. */
  debounceMs: number;
  /** A watch error (the directory removed, no permission); by default it triggers onChange, whose fresh read reports it. */
  onError?: (error: Error) => void;
  /**
   * Called RECHECK_MS after each onChange, unless another event came
   * meanwhile. chokidar drops a second change event of a file that comes
   * within 50 ms of the first, and sends no trailing one: a write that soon
   * after another reaches the caller only if it reads again then. (The
   * watch command polls the loop, which reconciles only a changed snapshot.)
   */
  onSettled?: () => void;
}

export interface PathWatch {
  /** Stops the watch; no onChange after it resolves (nor after it is called). */
  close(): Promise<void>;
  /** Resolves when the directories are being watched: changes from then on are seen. */
  ready: Promise<void>;
}

/**
 * A burst that goes on this many debounce periods calls onChange anyway,
 * so that a file written without pause still reaches the loop.
 */
const MAX_WAIT_PERIODS = 10;

/** How long after onChange onSettled comes: past chokidar's 50 ms change throttle. */
export const RECHECK_MS = 75;

/**
 * Calls onChange, debounced, when what `paths` name may have changed. It
 * watches directories, never files (a watch on a file loses it at the
 * first rename, kubernetes#112677): a directory argument itself, and for a
 * file argument its directory, filtered to that file's name and to the
 * entries that start with ".." (kubelet's `..data` and `..<timestamp>`).
 * Dot entries are never ignored. onChange is only a trigger: it carries no
 * paths, the loop reads everything afresh (directorySnapshot).
 */
export function watchPaths(paths: string[], onChange: () => void, options: WatchOptions): PathWatch {
  const { debounceMs } = options;
  if (!Number.isFinite(debounceMs) || debounceMs < 0) throw new RangeError(`debounceMs must be a number of milliseconds >= 0, not ${debounceMs}`);
  // Real directory -> the names in it that matter (undefined: all of them).
  const filters = new Map<string, Set<string> | undefined>();
  for (const path of paths) {
    const absolute = resolve(path);
    const real = realpathOrThrow(absolute);
    if (isDirectory(real)) {
      filters.set(real, undefined);
      continue;
    }
    const dir = realpathOrThrow(dirname(absolute));
    if (filters.has(dir) && filters.get(dir) === undefined) continue;
    const names = filters.get(dir) ?? new Set<string>();
    names.add(basename(absolute));
    filters.set(dir, names);
  }
  if (filters.size === 0) throw new SourceError("SourceFailed", "no config path given to watch; name a directory or a file");

  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let recheck: NodeJS.Timeout | undefined;
  let burstStart = 0;
  const settled = () => {
    recheck = undefined;
    if (!closed) options.onSettled?.();
  };
  const fire = () => {
    timer = undefined;
    if (closed) return;
    onChange();
    if (options.onSettled) recheck = setTimeout(settled, RECHECK_MS);
  };
  const trigger = () => {
    if (closed) return;
    const now = Date.now();
    clearTimeout(recheck);
    recheck = undefined;
    if (timer === undefined) burstStart = now;
    else clearTimeout(timer);
    timer = setTimeout(fire, Math.max(0, Math.min(debounceMs, burstStart + MAX_WAIT_PERIODS * debounceMs - now)));
  };
  const matters = (path: string) => {
    if (filters.has(path)) return true; // a watched directory itself (removed, say)
    const dir = dirname(path);
    if (!filters.has(dir)) return false;
    const names = filters.get(dir);
    const name = basename(path);
    return names === undefined || names.has(name) || name.startsWith("..");
  };

  const watcher = watch([...filters.keys()], { ignoreInitial: true, depth: 0, followSymlinks: true, persistent: true });
  watcher.on("all", (_event, path) => {
    if (matters(path)) trigger();
  });
  watcher.on("error", (error: unknown) => {
    if (closed) return;
    if (options.onError) options.onError(error instanceof Error ? error : new Error(String(error)));
    else trigger();
  });
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  watcher.once("ready", () => markReady());
  return {
    ready,
    close: async () => {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      clearTimeout(recheck);
      recheck = undefined;
      markReady();
      await watcher.close();
    },
  };
}

function realpathOrThrow(path: string): string {
  try {
    return realpathSync(path);
  } catch (err) {
    throw new SourceError("SourceFailed", `cannot read ${path}: ${describeError(err)}`, { cause: err });
  }
}

function isDirectory(real: string): boolean {
  try {
    return statSync(real).isDirectory();
  } catch (err) {
    throw new SourceError("SourceFailed", `cannot read ${real}: ${describeError(err)}`, { cause: err });
  }
}
