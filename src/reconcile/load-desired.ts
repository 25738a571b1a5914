/**
 * The config named by `-f` arguments, loaded and checked into a
 * DesiredState, or every problem with it as one error.
 */
import { loadConfig, type ConfigError } from "./config/index.js";
import type { DesiredState } from "./desired.js";

/** Every problem found in the config, each with file, line, column and field. */
export class ConfigErrors extends Error {
  override readonly name = "ConfigErrors";
  constructor(readonly errors: ConfigError[]) {
    super(`${errors.length} problem${errors.length === 1 ? "" : "s"} in the configuration`);
  }
}

export const EMPTY_DESIRED: DesiredState = { files: [], hooks: [] };

/** Loads and checks the config named by `-f` arguments; throws ConfigErrors. */
export function loadDesired(inputs: string[]): DesiredState {
  const result = loadConfig(inputs);
  if (!result.ok) throw new ConfigErrors(result.errors);
  return { ...result.desired, source: { path: inputs.join(", ") } };
}
