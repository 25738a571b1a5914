/**
 * `-f` inputs to one DesiredState: read the files, parse, validate against
 * the schema, check against the objects, and merge, with every error a
 * user can cause returned as a value that points into the config.
 */
import type { DesiredState } from "../desired.js";
import { byPosition, formatConfigError, formatPath, type ConfigError } from "./errors.js";
import { readInputs, type ConfigFile, type InputOptions } from "./inputs.js";
import { hookField, resolveDocument, resolveSoundParts, type PlacedHook } from "./document.js";
import { objectInspector, type Inspector, type ObjectFallback } from "./objects.js";
import { validateConfig } from "./schema.js";
import { usesHostSelectors } from "./host-selector.js";
import { parseYaml } from "./yaml-source.js";
import type { LibbpfLogSink } from "../../state/index.js";
import type { Host } from "../host.js";
import { hostname } from "node:os";
import { setImmediate } from "node:timers/promises";

export interface LoadConfigOptions extends InputOptions {
  /** Receives libbpf's messages while objects are inspected. */
  log?: LibbpfLogSink;
  /** The host whose desired state is loaded (host selectors); default: the system's host name, no labels. */
  host?: Host;
  /**
   * An object under `tree` that does not exist is opened at the same path
   * under `fallback` instead: a config exported from a git revision names
   * objects that are built, not committed, and the work tree has them.
   */
  objectFallback?: ObjectFallback;
  /**
   * The directories objects must resolve into, symbolic links followed (see
   * object-roots.ts): given for a config that other people write; absent,
   * an object may be anywhere (an operator's own -f).
   */
  objectRoots?: readonly string[];
}

/** The desired state, or every error; `files`: the config files read, either way. */
export type LoadConfigResult = { ok: true; desired: DesiredState } | { ok: false; errors: ConfigError[]; files: string[] };

/**
 * Loads the config named by `-f` arguments: files, directories (their
 * *.yaml and *.yml, sorted) and "-" for stdin, merged into one desired
 * state. Reports all the errors of every file, grouped by file, each
 * file's in the order they appear in it: a file with a YAML syntax error
 * has that error alone; else its schema errors, beside the checks against
 * the objects of every part the schema errors leave sound
 * (resolveSoundParts). A hook configured in two places is an error naming
 * both. Documents and interface entries whose
 * host selector does not select `options.host` are left out.
 *
 * @example
 *     const result = loadConfig(["examples/counter.yaml"]);
 *     if (result.ok) result.desired.hooks[0].chain[0].object; // "/repo/bpf/build/counter.o"
 *     else result.errors.map(formatConfigError).join("\n");
 */
export function loadConfig(inputs: readonly string[], options: LoadConfigOptions = {}): LoadConfigResult {
  const steps = loading(inputs, options);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/**
 * loadConfig, giving the event loop a turn between files, and between the
 * parse, the schema and the rest of one file: a config then holds up the
 * watch loop's /healthz, and its signal handlers, for one file's parse at
 * most (README.md, "Limits").
 *
 * @example
 *     const result = await loadConfigYielding(["/etc/nfctl/conf.d"]);
 */
export async function loadConfigYielding(inputs: readonly string[], options: LoadConfigOptions = {}): Promise<LoadConfigResult> {
  const steps = loading(inputs, options);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    await setImmediate();
  }
}

/** loadConfig's work, pausing (yield) between files and between the stages of one. */
function* loading(inputs: readonly string[], options: LoadConfigOptions): Generator<void, LoadConfigResult, void> {
  const { files, errors } = readInputs(inputs, options);
  const inspect = objectInspector(options.log, options.objectFallback, options.objectRoots);
  const host = options.host ?? { name: hostname(), labels: {} };
  const hooks: PlacedHook[] = [];
  let selectsHosts = false;
  for (const [i, file] of files.entries()) {
    if (i > 0) yield;
    const loaded = yield* loadFile(file, inspect, host);
    selectsHosts ||= loaded.selectsHosts;
    // Loops, not push(...list): a list of 100,000 errors overflows the stack as arguments.
    for (const error of loaded.errors) errors.push(error);
    for (const hook of loaded.hooks) hooks.push(hook);
  }
  for (const error of conflicts(hooks)) errors.push(error);
  if (errors.length > 0) return { ok: false, errors: inFileOrder(errors), files: files.map((f) => f.name) };
  return { ok: true, desired: { files: files.map((f) => f.name), hooks: hooks.map((h) => h.hook), ...(selectsHosts && { selectsHosts: true as const }) } };
}

/** One file, pausing (yield) after the parse and after the schema, the stages that cost most; its errors in no order. */
function* loadFile(
  file: ConfigFile,
  inspect: Inspector,
  host: Host,
): Generator<void, { hooks: PlacedHook[]; errors: ConfigError[]; selectsHosts: boolean }, void> {
  const parsed = parseYaml(file.name, file.text);
  if (!parsed.ok) return { hooks: [], errors: parsed.errors, selectsHosts: false };
  yield;
  const validated = parsed.documents.map((doc) => ({ doc, result: validateConfig(doc) }));
  yield;
  const hooks: PlacedHook[] = [];
  const errors: ConfigError[] = [];
  let selectsHosts = false;
  for (const { doc, result } of validated) {
    if (!result.ok) {
      for (const error of result.errors) errors.push(error);
      for (const error of resolveSoundParts(doc, result.failed, file.baseDir, inspect, host)) errors.push(error);
      continue;
    }
    selectsHosts ||= usesHostSelectors(result.config);
    const resolved = resolveDocument(doc, result.config, file.baseDir, inspect, host);
    for (const hook of resolved.hooks) hooks.push(hook);
    for (const error of resolved.errors) errors.push(error);
  }
  return { hooks, errors, selectsHosts };
}

/**
 * `errors` grouped by file, in the order the files first appear, each
 * file's in the order they appear in it, and each said once (the same
 * words at the same place), whichever checks found it.
 */
function inFileOrder(errors: readonly ConfigError[]): ConfigError[] {
  const byFile = new Map<string, ConfigError[]>();
  for (const error of errors) {
    const list = byFile.get(error.file) ?? [];
    byFile.set(error.file, list);
    list.push(error);
  }
  const out: ConfigError[] = [];
  for (const list of byFile.values()) {
    const seen = new Set<string>();
    for (const error of list.sort(byPosition)) {
      const text = formatConfigError(error);
      if (!seen.has(text)) out.push(error);
      seen.add(text);
    }
  }
  return out;
}

const hookKey = ({ hook }: PlacedHook) => `${hook.ifname}\0${hook.hook}`;

/** Every hook configured again after its first place (another file, or another document). */
function conflicts(hooks: readonly PlacedHook[]): ConfigError[] {
  const first = new Map<string, PlacedHook>();
  const errors: ConfigError[] = [];
  for (const placed of hooks) {
    const earlier = first.get(hookKey(placed));
    if (!earlier) {
      first.set(hookKey(placed), placed);
      continue;
    }
    const { ifname, hook, source } = placed.hook;
    const there = earlier.hook.source;
    errors.push({
      ...source,
      path: formatPath(placed.path),
      code: "hook-conflict",
      message: `the ${hookField(hook)} hook of interface "${ifname}" is already configured at ${there.file}:${there.line}:${there.column} (${formatPath(earlier.path)}); a hook can be configured in one place only`,
    });
  }
  return errors;
}
