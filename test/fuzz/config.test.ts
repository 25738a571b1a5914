/**
 * Fuzzing the config loader in process: at least 10,000 mutated configs
 * (NFCTL_FUZZ_CASES) from a printed seed (NFCTL_FUZZ_SEED), each given to
 * loadConfig as a file, on stdin or in a directory. It must never throw,
 * must answer in bounded time, must print no warning of its own, and every
 * error it returns must be one line that starts with the file name and its
 * line and column, in words. Then every case of test/fuzz-corpus, each with
 * its expected first line, and the -f inputs that need special files.
 *
 * NFCTL_FUZZ_ONLY=N runs case N alone (with the seed that found it).
 */
import t from "tap";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { inspect } from "node:util";
import { loadConfig, formatConfigError, type LoadConfigResult } from "../../src/reconcile/config/index.js";
import { MUTATION_KINDS, type MutationKind } from "./mutate.js";
import {
  caseKind,
  caseText,
  createWorkspace,
  errorViolations,
  foundCases,
  fuzzSettings,
  isHeavy,
  loadCorpus,
  makeCase,
  materialize,
  missingKinds,
  mutationContext,
  saveFound,
  seedConfigs,
  soleKind,
  type CaseMode,
  type Workspace,
} from "./workspace.js";

/** Per case: most answer in milliseconds; 10 MB strings and 10,000-deep nesting take longer, but not much. */
const TIME_BOUND_MS = 2_000;
const HEAVY_TIME_BOUND_MS = 15_000;
/** Failures printed in full; all are saved. */
const SHOWN_FAILURES = 20;

const { seed, cases } = fuzzSettings();
const only = process.env.NFCTL_FUZZ_ONLY !== undefined ? Number(process.env.NFCTL_FUZZ_ONLY) : undefined;
t.comment(
  `fuzz seed ${seed} (set NFCTL_FUZZ_SEED to change), ${cases} cases (NFCTL_FUZZ_CASES)${only !== undefined ? `, case ${only} only (NFCTL_FUZZ_ONLY)` : ""}`,
);

const ws: Workspace = createWorkspace();
t.teardown(ws.remove);
process.once("exit", ws.remove);

/** Warnings emitted through process.emitWarning: nfctl must print none of its own. */
let warnings: string[] = [];
const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
process.on("warning", onWarning);
t.teardown(() => process.off("warning", onWarning));

/** Runs loadConfig, also catching what it writes to stdout or stderr directly. */
function load(args: string[], options: { stdin?: string; cwd?: string }): { result?: LoadConfigResult; thrown?: unknown; ms: number; written: string } {
  let written = "";
  // eslint-disable-next-line @typescript-eslint/unbound-method -- put back in `finally`, never called on its own
  const out = process.stdout.write;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- likewise
  const err = process.stderr.write;
  const capture = ((chunk: string | Uint8Array) => {
    written += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
    return true;
  }) as typeof process.stdout.write;
  process.stdout.write = capture;
  process.stderr.write = capture;
  const start = performance.now();
  try {
    const stdin = options.stdin;
    const result = loadConfig(args, { ...(stdin !== undefined && { stdin: () => stdin }), ...(options.cwd !== undefined && { cwd: options.cwd }) });
    return { result, ms: performance.now() - start, written };
  } catch (thrown) {
    return { thrown, ms: performance.now() - start, written };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

/** Node emits warnings on the next tick: let them arrive. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

interface Checked {
  violations: string[];
  result?: LoadConfigResult;
  ms: number;
}

/** Loads `args` and checks every promise; `input` is the text given, for what may be quoted back. */
async function check(args: string[], names: string[], input: string, options: { stdin?: string; cwd?: string; heavy: boolean }): Promise<Checked> {
  warnings = [];
  const { result, thrown, ms, written } = load(args, options);
  await settle();
  const violations: string[] = [];
  if (thrown !== undefined) violations.push(`loadConfig threw: ${thrown instanceof Error ? (thrown.stack ?? thrown.message) : inspect(thrown)}`);
  const bound = options.heavy ? HEAVY_TIME_BOUND_MS : TIME_BOUND_MS;
  if (ms > bound) violations.push(`took ${Math.round(ms)} ms (bound ${bound} ms)`);
  if (written !== "") violations.push(`wrote to stdout/stderr itself: ${JSON.stringify(written.slice(0, 300))}`);
  if (warnings.length > 0) violations.push(`emitted ${warnings.length} warning(s), first: ${warnings[0]!.slice(0, 300)}`);
  if (result && !result.ok) violations.push(...errorViolations(result.errors, names, input));
  return { violations, ...(result && { result }), ms };
}

t.test(`${cases} mutated configs through loadConfig`, async (t) => {
  const seeds = seedConfigs();
  const ctx = mutationContext(ws, seeds);
  const perKind = new Map<MutationKind, { cases: number; rejected: number; alone: number; accepted: number; heavy: number; maxMs: number }>(
    MUTATION_KINDS.map((k) => [k, { cases: 0, rejected: 0, alone: 0, accepted: 0, heavy: 0, maxMs: 0 }]),
  );
  const perMode: Record<CaseMode, number> = { file: 0, stdin: 0, directory: 0 };
  const failures: Array<{ n: number; saved: string }> = [];
  const slowest: Array<{ n: number; ms: number; detail: string }> = [];
  let errorLines = 0;
  let longestLine = 0;
  const started = performance.now();

  const numbers = only !== undefined ? [only] : Array.from({ length: cases }, (_, n) => n);
  for (const n of numbers) {
    const c = makeCase(seed, n, seeds, ctx);
    const { args, stdin, names } = materialize(c, c.mode === "directory" ? ws.dirCase : ws.cases);
    const input = c.mutations.map((m) => m.bytes.toString("utf8")).join("\n");
    const checked = await check(args, names, input, { ...(stdin !== undefined && { stdin }), cwd: ws.cases, heavy: isHeavy(c) });

    const stats = perKind.get(caseKind(c))!;
    stats.cases += 1;
    stats.heavy += isHeavy(c) ? 1 : 0;
    stats.maxMs = Math.max(stats.maxMs, checked.ms);
    perMode[c.mode] += 1;
    if (checked.result?.ok) stats.accepted += 1;
    else if (checked.result) {
      stats.rejected += 1;
      // Refused for this kind's edit alone (soleKind): a kind that edits nothing gets none.
      if (soleKind(c) !== undefined) stats.alone += 1;
      errorLines += checked.result.errors.length;
      for (const e of checked.result.errors) longestLine = Math.max(longestLine, formatConfigError(e).length);
    }
    slowest.push({ n, ms: checked.ms, detail: c.mutations[0]!.detail.slice(0, 120) });
    slowest.sort((a, b) => b.ms - a.ms).splice(5);

    if (checked.violations.length > 0) {
      const saved = saveFound(seed, c, checked.violations);
      failures.push({ n, saved });
      if (failures.length <= SHOWN_FAILURES) {
        t.fail(`seed ${seed} case ${n} (${c.mode}; ${c.mutations.map((m) => m.detail).join("; ")})`, {
          violations: checked.violations,
          text: caseText(c),
          saved,
          rerun: `NFCTL_FUZZ_SEED=${seed} NFCTL_FUZZ_ONLY=${n}`,
        });
      }
    }
  }

  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  t.comment(
    `${numbers.length} cases in ${seconds} s; modes: ${Object.entries(perMode)
      .map(([m, k]) => `${m} ${k}`)
      .join(", ")}`,
  );
  t.comment("kind: cases (rejected, of them alone / accepted / heavy, slowest ms)");
  for (const [kind, s] of perKind)
    if (s.cases > 0) t.comment(`  ${kind}: ${s.cases} (${s.rejected}, ${s.alone} / ${s.accepted} / ${s.heavy}, ${Math.round(s.maxMs)} ms)`);
  t.comment(`${errorLines} error lines, the longest ${longestLine} characters`);
  t.comment(`slowest: ${slowest.map((s) => `case ${s.n} ${Math.round(s.ms)} ms (${s.detail})`).join("; ")}`);
  t.equal(failures.length, 0, `no case breaks a promise (seed ${seed}; failing cases saved under test/fuzz-corpus/found/)`);
  const ran = [...perKind.values()].reduce((sum, s) => sum + s.cases, 0);
  t.equal(ran, only !== undefined ? 1 : cases, `every case asked for ran (${ran})`);
  if (only === undefined) {
    const missing = missingKinds([...perKind].flatMap(([kind, s]) => (s.alone > 0 ? [kind] : [])));
    t.same(
      missing,
      [],
      `every mutation kind, alone in a case, made loadConfig refuse one (of ${cases} cases)${missing.length > 0 ? `; ${missing.join(", ")} never did` : ""}`,
    );
  }
});

t.test("the corpus (test/fuzz-corpus) through loadConfig", async (t) => {
  for (const k of loadCorpus(ws)) {
    const checked = await check([k.path], [k.path], k.input, { heavy: true });
    t.same(checked.violations, [], `${k.name}: every promise kept`);
    if (k.loads) {
      t.ok(checked.result?.ok, `${k.name}: loads (only the kernel side refuses it)`);
    } else if (checked.result && !checked.result.ok) {
      t.match(`nfctl: ${formatConfigError(checked.result.errors[0]!)}`, k.first, `${k.name}: the first line`);
    } else {
      t.fail(`${k.name}: refused`);
    }
  }
  // Failures saved by earlier runs, until someone triages them.
  for (const f of foundCases()) {
    const checked = await check([f.path], [f.path], "", { heavy: true });
    t.same(checked.violations, [], `found/${f.name}: every promise kept`);
  }
});

t.test("-f inputs that are not plain files", async (t) => {
  const dir = join(ws.root, "inputs");
  mkdirSync(dir);
  const good = join(dir, "good.yaml");
  writeFileSync(good, seedConfigs().find((s) => !s.relative)!.text);

  const cases: Array<{ name: string; args: string[]; names: string[]; expect: RegExp; setup?: () => void }> = [
    {
      name: "/dev/zero (endless)",
      args: ["/dev/zero"],
      names: ["/dev/zero"],
      expect: /^\/dev\/zero: the file is larger than 768 KiB, the most nfctl reads of one config file$/,
    },
    { name: "/dev/null (empty)", args: ["/dev/null"], names: ["/dev/null"], expect: /^\/dev\/null: the file is empty/ },
    { name: "/proc/self/mem (EIO)", args: ["/proc/self/mem"], names: ["/proc/self/mem"], expect: /^\/proc\/self\/mem: cannot read: i\/o error$/ },
    {
      name: "a symlink loop",
      args: [join(dir, "loop.yaml")],
      names: [join(dir, "loop.yaml")],
      expect: /loop\.yaml: too many symbolic links encountered$/,
      setup: () => {
        symlinkSync(join(dir, "loop2.yaml"), join(dir, "loop.yaml"));
        symlinkSync(join(dir, "loop.yaml"), join(dir, "loop2.yaml"));
      },
    },
    { name: "a file that does not exist", args: [join(dir, "nope.yaml")], names: [join(dir, "nope.yaml")], expect: /nope\.yaml: no such file or directory$/ },
    {
      name: "a file over 768 KiB",
      args: [join(dir, "huge.yaml")],
      names: [join(dir, "huge.yaml")],
      expect: /huge\.yaml: the file is larger than 768 KiB, the most nfctl reads of one config file$/,
      setup: () => writeFileSync(join(dir, "huge.yaml"), `# ${"x".repeat(768 * 1024)}\n`),
    },
    ...(["broken link", "symlink loop", "fifo"] as const).map((what) => {
      const d = join(dir, `with-${what.replace(" ", "-")}`);
      return {
        name: `a directory holding a ${what} named *.yaml`,
        args: [d],
        names: [d, join(d, "a.yaml"), join(d, "b.yaml")],
        expect:
          what === "fifo"
            ? /b\.yaml: not a regular file \(a pipe, a socket or a device\)/
            : what === "broken link"
              ? /b\.yaml: cannot read: no such file or directory$/
              : /b\.yaml: cannot read: too many symbolic links encountered$/,
        setup: () => {
          mkdirSync(d);
          symlinkSync(good, join(d, "a.yaml"));
          if (what === "broken link") symlinkSync(join(d, "nowhere"), join(d, "b.yaml"));
          else if (what === "symlink loop") symlinkSync(join(d, "b.yaml"), join(d, "b.yaml"));
          else symlinkSync(ws.specials.fifo, join(d, "b.yaml"));
        },
      };
    }),
  ];
  for (const c of cases) {
    c.setup?.();
    const checked = await check(c.args, c.names, "", { cwd: dir, heavy: false });
    t.same(checked.violations, [], `${c.name}: every promise kept`);
    const first = checked.result && !checked.result.ok ? formatConfigError(checked.result.errors[0]!) : "(accepted)";
    t.match(first, c.expect, `${c.name}: ${first}`);
  }
});

t.test("many errors in one file cost time in proportion", async (t) => {
  // Too many lines for the CLI stage (nfctl() buffers 1 MiB of output), so here only.
  const dir = join(ws.root, "scale");
  mkdirSync(dir);
  const head = "apiVersion: nfctl.io/v1alpha1\nkind: NetworkFunctions\nmetadata:\n  name: scale\nspec:\n  interfaces:\n    - name: veth-b\n      xdp:\n";
  const nf = `          - name: c\n            object: ${join(ws.root, "bpf/build/counter.o")}\n            program: xdp_counter\n`;
  const cases = [
    // ajv copied all errors so far after each failing $ref: 17 s before the schema was inlined.
    { name: "40,000 chain entries that are not mappings", text: `${head}        chain: [${Array<string>(40_000).fill("1").join(",")}]\n`, errors: 40_001 },
    // errors.push(...list) overflowed the stack with 100,000 errors (a RangeError out of loadConfig).
    // Fewer than when found, written without spaces, to fit the 768 KiB a config file may have.
    {
      name: "60,000 interfaces that are not mappings",
      text: `${head.replace(/ {4}- name: veth-b\n {6}xdp:\n$/, "").replace("interfaces:\n", `interfaces: [${Array<string>(60_000).fill("1").join(",")}]\n`)}`,
      errors: 60_000,
    },
    // Each error looked its field up by a scan of the mapping: 17 s for 20,000 before the index.
    {
      name: "5,000 unknown fields",
      text: `${head}        chain:\n${nf}${Array.from({ length: 5_000 }, (_, i) => `            junk${i}: 1\n`).join("")}`,
      errors: 5_000,
    },
  ];
  for (const c of cases) {
    const path = join(dir, "scale.yaml");
    writeFileSync(path, c.text);
    const started = performance.now();
    const checked = await check([path], [path], c.text, { heavy: false });
    t.same(
      checked.violations.filter((v) => !v.startsWith("took ")),
      [],
      `${c.name}: every promise kept`,
    );
    t.equal(checked.result?.ok === false ? checked.result.errors.length : 0, c.errors, `${c.name}: one error each`);
    t.ok(checked.ms < 10_000, `${c.name}: ${Math.round(performance.now() - started)} ms (bound 10 s)`);
  }
});
