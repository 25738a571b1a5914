/**
 * The config named by `-f` arguments, loaded and checked into a
 * DesiredState, or every problem with it as one error.
 */
import { loadConfig, type ConfigError } from "./config/index.js";
import type { DesiredState } from "./desired.js";
import type { LibbpfLogSink } from "../state/index.js";
import type { Host } from "./host.js";

/** Every problem found in the config, each with file, line, column and field. */
export class ConfigErrors extends Error {
  override readonly name = "ConfigErrors";
  constructor(readonly errors: ConfigError[]) {
    super(`${errors.length} problem${errors.length === 1 ? "" : "s"} in the configuration`);
  }
}

/**
 * Loads and checks the config named by `-f` arguments, for `options.host`
 * (host selectors); throws ConfigErrors. libbpf's messages, while the
 * objects are inspected, go to `options.log`.
 */
export function loadDesired(inputs: string[], options: { log?: LibbpfLogSink; host?: Host } = {}): DesiredState {
  const result = loadConfig(inputs, options);
  if (!result.ok) throw new ConfigErrors(result.errors);
  return { ...result.desired, source: { path: inputs.join(", ") } };
}
