/**
 * The config named by `-f` arguments, loaded and checked into a
 * DesiredState, or every problem with it as one error.
 */
import { loadConfig, loadConfigYielding, type ConfigError, type LoadConfigOptions, type LoadConfigResult } from "./config/index.js";
import type { DesiredState } from "./desired.js";

/** Every problem found in the config, each with file, line, column and field; `files`: the config files read, when it was read. */
export class ConfigErrors extends Error {
  override readonly name = "ConfigErrors";
  constructor(
    readonly errors: ConfigError[],
    readonly files: readonly string[] = [],
  ) {
    super(`${errors.length} problem${errors.length === 1 ? "" : "s"} in the configuration`);
  }
}

export interface LoadDesiredOptions extends Pick<LoadConfigOptions, "log" | "host" | "objectFallback" | "objectRoots" | "resolveCode"> {
  /** Where the config came from, recorded with each generation; default: the inputs, joined (a git snapshot: its URL and revision). */
  source?: { path: string; revision?: string };
  /**
   * How errors name the files under `dir`: `as` and their path inside it,
   * e.g. { dir: "/var/lib/nfctl/cache/git/3f1c…", as: "main:" } names
   * `…/hosts/edge.yaml` as `main:hosts/edge.yaml`, as git names a file at a
   * revision, rather than by a place in a cache or a temporary export.
   */
  fileNames?: FileNames;
}

/** See LoadDesiredOptions.fileNames. */
export interface FileNames {
  dir: string;
  as: string;
}

/**
 * Loads and checks the config named by `-f` arguments, for `options.host`
 * (host selectors); throws ConfigErrors. libbpf's messages, while the
 * objects are inspected, go to `options.log`.
 */
export function loadDesired(inputs: string[], options: LoadDesiredOptions = {}): DesiredState {
  const { source, fileNames, ...config } = options;
  return desiredOf(loadConfig(inputs, config), inputs, source, fileNames);
}

/**
 * loadDesired, giving the event loop a turn between files (loadConfigYielding):
 * for the watch loop, whose /healthz must answer while a config loads, and
 * one-shot commands, whose signals must not wait for the whole config.
 */
export async function loadDesiredYielding(inputs: string[], options: LoadDesiredOptions = {}): Promise<DesiredState> {
  const { source, fileNames, ...config } = options;
  return desiredOf(await loadConfigYielding(inputs, config), inputs, source, fileNames);
}

function desiredOf(result: LoadConfigResult, inputs: string[], source: LoadDesiredOptions["source"], fileNames: FileNames | undefined): DesiredState {
  if (!result.ok) {
    if (fileNames === undefined) throw new ConfigErrors(result.errors, result.files);
    const named = (text: string) => text.replaceAll(`${fileNames.dir}/`, fileNames.as);
    throw new ConfigErrors(
      result.errors.map((e) => ({ ...e, file: named(e.file), message: named(e.message) })),
      result.files.map(named),
    );
  }
  return { ...result.desired, source: source ?? { path: inputs.join(", ") } };
}
