/**
 * `-f` inputs to one DesiredState: read the files, parse, validate against
 * the schema, check against the objects, and merge, with every error a
 * user can cause returned as a value that points into the config.
 */
import type { DesiredState } from "../desired.js";
import { byPosition, formatConfigError, formatPath, type ConfigError } from "./errors.js";
import { readInputs, type ConfigFile, type InputOptions } from "./inputs.js";
import { hookField, resolveDocument, resolveSoundParts, type PlacedHook } from "./document.js";
import { objectInspector, type ObjectFallback } from "./objects.js";
import { validateConfig } from "./schema.js";
import { usesHostSelectors } from "./host-selector.js";
import { parseYaml } from "./yaml-source.js";
import type { CodeResolver, CodeSource, LibbpfLogSink, ResolvedCode } from "../../state/index.js";
import { codeLookup, unfetched } from "./code-sources.js";
import type { NfCode } from "./document.js";
import type { SourceDocument } from "./yaml-source.js";
import type { ValidatedConfig } from "./schema.js";
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
  /**
   * Fetches, verifies and caches the artifacts and images NFs name
   * (sources/artifacts): loadConfigYielding asks it once, for all of them,
   * before checking those NFs. Absent, or with the synchronous loadConfig,
   * such an NF is an error saying it was not fetched.
   */
  resolveCode?: CodeResolver;
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
    // A request for code sources gets no answer: they are not fetched here.
    const step = steps.next(undefined);
    if (step.done) return step.value;
  }
}

/**
 * loadConfig, giving the event loop a turn between files, and between the
 * parse, the schema and the rest of one file: a config then holds up the
 * watch loop's /healthz, and its signal handlers, for one file's parse at
 * most (README.md, "Limits"). The artifacts and images the config names
 * are fetched by `options.resolveCode`, all at once, before their NFs are
 * checked.
 *
 * @example
 *     const result = await loadConfigYielding(["/etc/nfctl/conf.d"], { resolveCode: codeResolver(options) });
 */
export async function loadConfigYielding(inputs: readonly string[], options: LoadConfigOptions = {}): Promise<LoadConfigResult> {
  const steps = loading(inputs, options);
  let answer: CodeAnswers;
  for (;;) {
    const step = steps.next(answer);
    answer = undefined;
    if (step.done) return step.value;
    if (step.value !== undefined && options.resolveCode) answer = await options.resolveCode(step.value);
    else await setImmediate();
  }
}

/** What loading yields: a turn for the event loop (undefined), or the code sources it needs fetched before it goes on. */
type LoadRequest = readonly CodeSource[] | undefined;
/** The answer to a request for code sources, by codeSourceKey; undefined: not fetched. */
type CodeAnswers = ReadonlyMap<string, ResolvedCode> | undefined;

/**
 * One config file resolved; or, while its artifacts or images are not
 * fetched, parsed and checked against the schema (kept for the second
 * resolve, and only then: a parsed file weighs many times its text).
 */
type FileLoad = { loaded: LoadedFile } | { file: ConfigFile; validated: Validated };
type Validated = { ok: false; errors: ConfigError[] } | { ok: true; documents: Array<{ doc: SourceDocument; result: ValidatedConfig }> };
interface LoadedFile {
  hooks: PlacedHook[];
  errors: ConfigError[];
  selectsHosts: boolean;
}

/**
 * loadConfig's work, pausing (yield) between files and between the stages
 * of one. The files that name artifacts or images are resolved once more
 * after one request for all of those sources (a yield of their list).
 */
function* loading(inputs: readonly string[], options: LoadConfigOptions): Generator<LoadRequest, LoadConfigResult, CodeAnswers> {
  const { files, errors } = readInputs(inputs, options);
  const answers = new Map<string, ResolvedCode>();
  const wanted = new Map<string, CodeSource>();
  const lookup = codeLookup(answers, wanted);
  let missed = false;
  const code: NfCode = {
    inspect: objectInspector(options.log, options.objectFallback, options.objectRoots),
    code: (source) => {
      const answer = lookup(source);
      missed ||= answer === undefined;
      return answer;
    },
  };
  const host = options.host ?? { name: hostname(), labels: {} };
  const loads: FileLoad[] = [];
  for (const [i, file] of files.entries()) {
    if (i > 0) yield;
    const validated = yield* parseFile(file);
    missed = false;
    const loaded = resolveFile(validated, file, code, host);
    loads.push(missed ? { file, validated } : { loaded });
  }
  if (wanted.size > 0) {
    const fetched = yield [...wanted.values()];
    for (const [key, source] of wanted) answers.set(key, fetched?.get(key) ?? unfetched(source));
    loads.forEach((load, i) => {
      if (!("loaded" in load)) loads[i] = { loaded: resolveFile(load.validated, load.file, code, host) };
    });
  }
  const hooks: PlacedHook[] = [];
  let selectsHosts = false;
  for (const load of loads) {
    // Every file is resolved by now: the request above was answered, or its sources made unfetched errors.
    const { loaded } = load as { loaded: LoadedFile };
    selectsHosts ||= loaded.selectsHosts;
    // Loops, not push(...list): a list of 100,000 errors overflows the stack as arguments.
    for (const error of loaded.errors) errors.push(error);
    for (const hook of loaded.hooks) hooks.push(hook);
  }
  for (const error of conflicts(hooks)) errors.push(error);
  if (errors.length > 0) return { ok: false, errors: inFileOrder(errors), files: files.map((f) => f.name) };
  return { ok: true, desired: { files: files.map((f) => f.name), hooks: hooks.map((h) => h.hook), ...(selectsHosts && { selectsHosts: true as const }) } };
}

/** One file parsed and checked against the schema, pausing (yield) after each: the stages that cost most. */
function* parseFile(file: ConfigFile): Generator<LoadRequest, Validated, CodeAnswers> {
  const parsed = parseYaml(file.name, file.text);
  if (!parsed.ok) return { ok: false, errors: parsed.errors };
  yield;
  const documents = parsed.documents.map((doc) => ({ doc, result: validateConfig(doc) }));
  yield;
  return { ok: true, documents };
}

/** One parsed file's hooks for `host`, and its errors in no order. */
function resolveFile(validated: Validated, file: ConfigFile, code: NfCode, host: Host): LoadedFile {
  if (!validated.ok) return { hooks: [], errors: validated.errors, selectsHosts: false };
  const hooks: PlacedHook[] = [];
  const errors: ConfigError[] = [];
  let selectsHosts = false;
  for (const { doc, result } of validated.documents) {
    if (!result.ok) {
      for (const error of result.errors) errors.push(error);
      for (const error of resolveSoundParts(doc, result.failed, file.baseDir, code, host)) errors.push(error);
      continue;
    }
    selectsHosts ||= usesHostSelectors(result.config);
    const resolved = resolveDocument(doc, result.config, file.baseDir, code, host);
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
