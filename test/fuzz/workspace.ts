/**
 * What both fuzz stages share: the seeds, a scratch directory with the
 * special files mutations point at, the corpus of interesting cases, the
 * invariants every error must keep, and how a failing case is kept.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { formatConfigError, type ConfigError } from "../../src/reconcile/config/index.js";
import {
  MUTATION_KINDS,
  caseRng,
  mutate,
  vethConfig,
  type Mutation,
  type MutationContext,
  type MutationKind,
  type Rng,
  type SeedConfig,
  type Specials,
} from "./mutate.js";

/** The repository root (this file runs as dist/test/fuzz/workspace.js). */
const REPO = fileURLToPath(new URL("../../../", import.meta.url));
export const BUILD = join(REPO, "bpf/build");
export const EXAMPLES = join(REPO, "examples");
const CORPUS = join(REPO, "test/fuzz-corpus");
/** Where a failing case is saved for a person to triage into the corpus. */
const FOUND = join(CORPUS, "found");

const DEFAULT_SEED = 20240601;

/** The run's seed and case count: NFCTL_FUZZ_SEED, NFCTL_FUZZ_CASES. */
export function fuzzSettings(): { seed: number; cases: number } {
  const seed = process.env.NFCTL_FUZZ_SEED ? Number(process.env.NFCTL_FUZZ_SEED) : DEFAULT_SEED;
  const cases = process.env.NFCTL_FUZZ_CASES ? Number(process.env.NFCTL_FUZZ_CASES) : 10_000;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`NFCTL_FUZZ_SEED must be a non-negative integer, not ${process.env.NFCTL_FUZZ_SEED}`);
  if (!Number.isSafeInteger(cases) || cases < 0) throw new Error(`NFCTL_FUZZ_CASES must be a non-negative integer, not ${process.env.NFCTL_FUZZ_CASES}`);
  return { seed: seed >>> 0, cases };
}

/** examples/*.yaml (bundled NFs by name, builtin:NAME) and the veth-b config (absolute object paths). */
export function seedConfigs(): SeedConfig[] {
  const examples = readdirSync(EXAMPLES)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) => ({ name: `examples/${f}`, text: readFileSync(join(EXAMPLES, f), "utf8"), relative: true }));
  return [...examples, { name: "veth-b.yaml", text: vethConfig(BUILD), relative: false }];
}

/**
 * A scratch directory:
 *
 *     <root>/bpf -> the repository's bpf/   (so ../bpf/build/x.o resolves as in examples/)
 *     <root>/cases/                          single-file cases; relative paths start here
 *     <root>/dir-case/                       directory cases
 *     <root>/special/                        what object paths may point at
 */
export interface Workspace {
  root: string;
  cases: string;
  dirCase: string;
  specials: Specials;
  /** The special files' directory, "@SPECIAL@" in corpus files. */
  specialDir: string;
  /** Safe to pass as a callback (t.teardown, process.once). */
  remove: () => void;
}

export function createWorkspace(): Workspace {
  const root = mkdtempSync(join(tmpdir(), "nfctl-fuzz-"));
  const remove = () => rmSync(root, { recursive: true, force: true });
  try {
    symlinkSync(join(REPO, "bpf"), join(root, "bpf"));
    const cases = join(root, "cases");
    const dirCase = join(root, "dir-case");
    const specialDir = join(root, "special");
    for (const d of [cases, dirCase, specialDir]) mkdirSync(d);
    const s = (name: string) => join(specialDir, name);
    mkdirSync(s("dir.o"));
    symlinkSync(s("loop-b.o"), s("loop-a.o"));
    symlinkSync(s("loop-a.o"), s("loop-b.o"));
    execFileSync("mkfifo", [s("pipe.o")]);
    symlinkSync(s("nowhere.o"), s("dangling.o"));
    writeFileSync(s("empty.o"), "");
    writeFileSync(s("truncated.o"), readFileSync(join(BUILD, "counter.o")).subarray(0, 200));
    symlinkSync(join(BUILD, "counter.o"), s("link.o"));
    const specials: Specials = {
      dir: s("dir.o"),
      loop: s("loop-a.o"),
      fifo: s("pipe.o"),
      dangling: s("dangling.o"),
      empty: s("empty.o"),
      truncated: s("truncated.o"),
      link: s("link.o"),
    };
    return { root, cases, dirCase, specials, specialDir, remove };
  } catch (err) {
    remove();
    throw err;
  }
}

export function mutationContext(ws: Workspace, seeds: readonly SeedConfig[]): MutationContext {
  return { build: BUILD, specials: ws.specials, seeds };
}

// ---------------------------------------------------------------- cases

export type CaseMode = "file" | "stdin" | "directory";

/** One fuzz case: one or more mutated files, and how they reach loadConfig. */
export interface FuzzCase {
  n: number;
  mode: CaseMode;
  /** The first file's mutation; a directory case has several. */
  mutations: Mutation[];
  /** For a directory: the names the mutations are written as. */
  names: string[];
  /** Files that are not configs, in a directory case (ignored by nfctl). */
  extras: string[];
}

/** Case `n` of the run with `seed`: always the same case. */
export function makeCase(seed: number, n: number, seeds: readonly SeedConfig[], ctx: MutationContext): FuzzCase {
  const rng: Rng = caseRng(seed, n);
  const mode = rng.weighted<CaseMode>([
    ["file", 85],
    ["stdin", 10],
    ["directory", 5],
  ]);
  const count = mode === "directory" ? rng.range(2, 4) : 1;
  const mutations: Mutation[] = [];
  // A case on stdin has no directory of its own: its relative paths start at the cwd given.
  for (let i = 0; i < count; i++) mutations.push(mutate(rng, rng.pick(seeds), ctx));
  const names = mutations.map((_, i) => `${String.fromCharCode(97 + i)}.${rng.chance(0.2) ? "yml" : "yaml"}`);
  const extras = mode === "directory" && rng.chance(0.5) ? ["README.md", "x.yaml.bak"] : [];
  return { n, mode, mutations, names, extras };
}

/** Is any mutation of the case heavy (allowed more time)? */
export const isHeavy = (c: FuzzCase): boolean => c.mutations.some((m) => m.heavy);

export const caseKind = (c: FuzzCase): MutationKind => c.mutations[0]!.kind;

/**
 * The kind that made case `c` on its own: one input, one mutation, no text
 * edit on top. Otherwise undefined: a refusal may be the other edit's doing.
 */
export function soleKind(c: FuzzCase): MutationKind | undefined {
  const [only, ...others] = c.mutations;
  return others.length === 0 && only!.onTop === undefined ? only!.kind : undefined;
}

/**
 * The kinds of MUTATION_KINDS not in `kinds`. Given the sole kinds of the
 * cases loadConfig refused: the kinds that never broke a config on their
 * own, which edit nothing that matters (a structural edit that found
 * nothing to edit, say) and so test nothing.
 */
export function missingKinds(kinds: Iterable<MutationKind | undefined>): MutationKind[] {
  const seen = new Set(kinds);
  return MUTATION_KINDS.filter((k) => !seen.has(k));
}

/** The case's text, for messages: decoded, cut to `max` characters. */
export function caseText(c: FuzzCase, max = 1500): string {
  return c.mutations
    .map((m, i) => {
      const text = m.bytes.toString("utf8");
      const shown = text.length > max ? `${text.slice(0, max)}... (${text.length} characters)` : text;
      return c.mode === "directory" ? `--- ${c.names[i]}\n${shown}` : shown;
    })
    .join("\n");
}

/**
 * Writes the case into `dir` (a directory right below the workspace root, so
 * that ../bpf/build/... resolves): a file dir/case.yaml, or for a directory
 * case the directory itself, emptied first. Says how to name it to nfctl:
 * the -f arguments, the stdin text, the file names errors may start with.
 */
export function materialize(c: FuzzCase, dir: string): { args: string[]; stdin?: string; names: string[] } {
  if (c.mode === "stdin") return { args: ["-"], stdin: c.mutations[0]!.bytes.toString("utf8"), names: ["<stdin>"] };
  if (c.mode === "file") {
    mkdirSync(dir, { recursive: true });
    const path = join(dir, "case.yaml");
    writeFileSync(path, c.mutations[0]!.bytes);
    return { args: [path], names: [path] };
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  c.mutations.forEach((m, i) => writeFileSync(join(dir, c.names[i]!), m.bytes));
  for (const extra of c.extras) writeFileSync(join(dir, extra), "not: [a config\n");
  return { args: [dir], names: [dir, ...c.names.map((n) => join(dir, n))] };
}

// ---------------------------------------------------------------- invariants

/** A JS stack frame: "    at fn (file:///x.js:1:2)", "at node:internal/...:1:2", "at /x/y.js:1:2". */
const STACK_FRAME = /\n\s+at |\bat (?:\S+ \()?(?:file:\/\/\S+|node:\S+|\/\S+\.[mc]?js):\d+:\d+\)?/;

/** What leaks from JS into a message when a value is printed carelessly. */
const LEAKS = ["undefined", "[object Object]", "NaN", "Infinity"];

/**
 * Every way `errors` break the promise of README "Errors": one line per
 * problem, starting with the file name and its line and column (or the
 * file alone, line 0, for whole-file problems), in words, no stack trace.
 * `input` is what the user wrote: a word it holds may be quoted back.
 */
/**
 * The longest error line allowed: a file name and a position, and a message
 * of at most 2,000 characters and a note of the length cut (formatConfigError
 * shortens what the config quotes) in which an escaped character takes up to 6.
 */
const MAX_LINE = 13_000;

export function errorViolations(errors: readonly ConfigError[], names: readonly string[], input: string): string[] {
  const out: string[] = [];
  if (errors.length === 0) out.push("rejected without any error");
  for (const error of errors) {
    let line: string;
    try {
      line = formatConfigError(error);
    } catch (err) {
      out.push(`formatConfigError threw: ${String(err)}`);
      continue;
    }
    const shown = JSON.stringify(line.length > 300 ? `${line.slice(0, 300)}...` : line);
    if (/[\n\r\u2028\u2029\u0085]/.test(line)) out.push(`not one line: ${shown}`);
    if (line.length > MAX_LINE) out.push(`${line.length} characters long: ${shown}`);
    if (!names.includes(error.file)) out.push(`names file ${JSON.stringify(error.file)}, not one of ${JSON.stringify(names)}: ${shown}`);
    if (!Number.isInteger(error.line) || !Number.isInteger(error.column) || error.line < 0 || error.column < 0) {
      out.push(`line ${error.line}, column ${error.column}: ${shown}`);
    } else if (error.line > 0 ? error.column < 1 || !line.startsWith(`${error.file}:${error.line}:${error.column}: `) : !line.startsWith(`${error.file}: `)) {
      out.push(`does not start with the file${error.line > 0 ? ", line and column" : ""}: ${shown}`);
    }
    if (error.message.trim() === "") out.push(`an empty message: ${shown}`);
    if (STACK_FRAME.test(line) || STACK_FRAME.test(error.message)) out.push(`a stack frame: ${shown}`);
    const said = `${error.path} ${error.message}`;
    for (const leak of LEAKS) if (said.includes(leak) && !input.includes(leak)) out.push(`"${leak}" in ${shown}`);
  }
  return out;
}

/** Every way the stderr of a refused nfctl run breaks the promise. */
export function stderrViolations(r: { code: number; stdout: string; stderr: string }, input: string, names: readonly string[]): string[] {
  const out: string[] = [];
  const shown = JSON.stringify(r.stderr.length > 600 ? `${r.stderr.slice(0, 600)}...` : r.stderr);
  if (r.code !== 1) out.push(`exit ${r.code}, not 1`);
  if (r.stdout !== "") out.push(`stdout: ${JSON.stringify(r.stdout.slice(0, 300))}`);
  if (!r.stderr.endsWith("\n")) out.push(`stderr does not end in a newline: ${shown}`);
  const lines = r.stderr.split("\n").slice(0, -1);
  if (lines.length === 0) out.push("nothing on stderr");
  const stray = lines.filter((l) => !l.startsWith("nfctl: "));
  if (stray.length > 0) out.push(`${stray.length} line(s) on stderr not starting with "nfctl: ", first ${JSON.stringify(stray[0]!.slice(0, 300))}`);
  if (STACK_FRAME.test(r.stderr)) out.push(`a stack trace: ${shown}`);
  const said = names.reduce((text, name) => text.replaceAll(name, ""), r.stderr);
  for (const leak of LEAKS) if (said.includes(leak) && !input.includes(leak)) out.push(`"${leak}" on stderr: ${shown}`);
  return out;
}

// ---------------------------------------------------------------- the corpus

/** test/fuzz-corpus/expectations.json: file -> the expected first stderr line, or more. */
type Expectation = string | { first: string; loads?: boolean; note?: string };

export interface CorpusCase {
  name: string;
  /** The -f argument: the corpus file itself, or its copy with tokens replaced. */
  path: string;
  /** Regex of the first stderr line of nfctl plan/apply. */
  first: RegExp;
  /** loadConfig accepts it: only the CLI (interface checks) refuses it. */
  loads: boolean;
  input: string;
}

/**
 * Tokens a corpus file may hold, replaced in a copy before it runs:
 * @BUILD@ (bpf/build), @SPECIAL@ (the special files' directory),
 * @REPEAT(text,count)@ (text repeated) and @COUNT(text,count)@ (text
 * repeated with each # replaced by 0, 1, 2...), for huge cases kept small
 * in git. In their text, \n stands for a newline.
 */
function expandTokens(text: string, ws: Workspace): string {
  const unescape = (what: string) => what.replaceAll("\\n", "\n");
  return text
    .replaceAll("@BUILD@", BUILD)
    .replaceAll("@SPECIAL@", ws.specialDir)
    .replace(/@REPEAT\((.*?),(\d+)\)@/g, (_, what: string, count: string) => unescape(what).repeat(Number(count)))
    .replace(/@COUNT\((.*?),(\d+)\)@/g, (_, what: string, count: string) =>
      Array.from({ length: Number(count) }, (_, i) => unescape(what).replaceAll("#", String(i))).join(""),
    );
}

export function loadCorpus(ws: Workspace): CorpusCase[] {
  const expectations = JSON.parse(readFileSync(join(CORPUS, "expectations.json"), "utf8")) as Record<string, Expectation>;
  const files = readdirSync(CORPUS)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();
  const missing = files.filter((f) => !(f in expectations));
  if (missing.length > 0) throw new Error(`test/fuzz-corpus: no expectation in expectations.json for ${missing.join(", ")}`);
  const stale = Object.keys(expectations).filter((f) => !files.includes(f));
  if (stale.length > 0) throw new Error(`test/fuzz-corpus/expectations.json names files that are not there: ${stale.join(", ")}`);
  // Copies sit as deep below the workspace as the corpus below the repository,
  // so that their relative object paths (../../bpf/build/...) still resolve.
  const copies = join(ws.root, "test/fuzz-corpus");
  mkdirSync(copies, { recursive: true });
  return files.map((name) => {
    const expectation = expectations[name]!;
    const { first, loads } =
      typeof expectation === "string" ? { first: expectation, loads: false } : { first: expectation.first, loads: expectation.loads === true };
    const raw = readFileSync(join(CORPUS, name));
    const text = raw.toString("latin1");
    let path = join(CORPUS, name);
    let input = raw.toString("utf8");
    if (/@(BUILD|SPECIAL|REPEAT\(|COUNT\()/.test(text)) {
      // Latin1 in and out keeps every byte that is not a token.
      const expanded = Buffer.from(expandTokens(text, ws), "latin1");
      path = join(copies, name);
      writeFileSync(path, expanded);
      input = expanded.toString("utf8");
    }
    return { name, path, first: new RegExp(first), loads, input };
  });
}

/** Cases in test/fuzz-corpus/found/: failures saved by earlier runs, not yet triaged. */
export function foundCases(): Array<{ name: string; path: string }> {
  if (!existsSync(FOUND)) return [];
  return readdirSync(FOUND)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((name) => ({ name, path: join(FOUND, name) }));
}

/**
 * Keeps a failing case in test/fuzz-corpus/found/ (the YAML as it was, and
 * a JSON note saying how it was made and what broke), to be triaged into
 * the corpus with an expectation. Returns the YAML's path.
 */
export function saveFound(seed: number, c: FuzzCase, violations: string[]): string {
  mkdirSync(FOUND, { recursive: true });
  const stem = `s${seed}-c${c.n}-${caseKind(c)}`;
  c.mutations.forEach((m, i) => writeFileSync(join(FOUND, `${stem}${c.mode === "directory" ? `-${basename(c.names[i]!, ".yaml")}` : ""}.yaml`), m.bytes));
  const note = {
    seed,
    case: c.n,
    mode: c.mode,
    mutations: c.mutations.map((m) => m.detail),
    violations,
    rerun: `NFCTL_FUZZ_SEED=${seed} NFCTL_FUZZ_ONLY=${c.n} npx tap dist/test/fuzz/config.test.js`,
  };
  writeFileSync(join(FOUND, `${stem}.json`), `${JSON.stringify(note, null, 2)}\n`);
  return join(FOUND, `${stem}.yaml`);
}
