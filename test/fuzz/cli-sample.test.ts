/**
 * Fuzzing the nfctl binary against the real kernel: in a lab where a good
 * config is applied, a sample of mutated configs that loadConfig refuses,
 * spread over every mutation kind, goes through `nfctl plan` and `nfctl
 * apply`. Each must exit 1, print nothing on stdout and only "nfctl: "
 * lines on stderr, no stack trace, and leave the kernel as it was.
 *
 * Same seed and case numbers as test/fuzz/config.test.ts (NFCTL_FUZZ_SEED,
 * NFCTL_FUZZ_CASES). The corpus goes through the CLI in cli-corpus.test.ts.
 */
import t from "tap";
import { join } from "node:path";
import { loadConfig, formatConfigError } from "../../src/reconcile/config/index.js";
import { comparisonNote, labChecks, setUpCliLab } from "./cli-lab.js";
import { MUTATION_KINDS, type MutationKind } from "./mutate.js";
import {
  caseKind,
  caseText,
  fuzzSettings,
  isHeavy,
  makeCase,
  materialize,
  missingKinds,
  mutationContext,
  saveFound,
  seedConfigs,
  soleKind,
  stderrViolations,
  type FuzzCase,
} from "./workspace.js";

/** Mutated cases run through the binary, spread evenly over the kinds. */
const SAMPLE = 150;
/**
 * nfctl() runs spawnSync with its default 1 MiB output buffer: a case whose
 * messages are longer (it quotes a huge value back) cannot be run through it.
 */
const MAX_STDERR = 900 * 1024;

const { seed, cases } = fuzzSettings();
t.comment(`fuzz seed ${seed} (set NFCTL_FUZZ_SEED to change), sample from ${cases} cases (NFCTL_FUZZ_CASES)`);

const cli = setUpCliLab(t);
const { ws } = cli;
labChecks(t, cli);

/** The sample: refused by loadConfig, every kind alike, not huge, output small enough for nfctl(). */
function sample(): FuzzCase[] {
  const seeds = seedConfigs();
  const ctx = mutationContext(ws, seeds);
  const quota = Math.ceil(SAMPLE / MUTATION_KINDS.length);
  const taken = new Map<MutationKind, number>();
  const picked: FuzzCase[] = [];
  for (let n = 0; n < cases && picked.length < SAMPLE; n++) {
    const c = makeCase(seed, n, seeds, ctx);
    // Huge inputs take seconds per run; the corpus has one of each.
    if ((taken.get(caseKind(c)) ?? 0) >= quota || isHeavy(c)) continue;
    const { args, stdin } = materialize(c, c.mode === "directory" ? ws.dirCase : ws.cases);
    const result = loadConfig(args, { ...(stdin !== undefined && { stdin: () => stdin }), cwd: ws.cases });
    if (result.ok) continue;
    if (result.errors.reduce((sum, e) => sum + formatConfigError(e).length + 8, 0) > MAX_STDERR) continue;
    taken.set(caseKind(c), (taken.get(caseKind(c)) ?? 0) + 1);
    picked.push(c);
  }
  return picked;
}

t.test(`a sample of ${SAMPLE} refused mutations through nfctl plan and apply`, async (t) => {
  const picked = sample();
  const kinds = new Map<string, number>();
  for (const c of picked) kinds.set(caseKind(c), (kinds.get(caseKind(c)) ?? 0) + 1);
  t.comment(`${picked.length} cases: ${[...kinds].map(([k, n]) => `${k} ${n}`).join(", ")}`);
  t.comment(`modes: ${["file", "stdin", "directory"].map((m) => `${m} ${picked.filter((c) => c.mode === m).length}`).join(", ")}`);
  t.equal(picked.length, SAMPLE, `the sample is full (from ${cases} cases)`);
  // Alone in a case (soleKind), as in config.test.ts: a kind that edits nothing is in the sample only with another edit.
  const missing = missingKinds(picked.map(soleKind));
  t.same(missing, [], `every mutation kind is in the sample, alone in a case${missing.length > 0 ? `; ${missing.join(", ")} not` : ""}`);
  let failures = 0;
  const started = performance.now();
  const slowest: Array<{ n: number; ms: number }> = [];
  for (const c of picked) {
    // Each case in a directory of its own, right below the workspace (../bpf/build resolves).
    const { args, stdin, names } = materialize(c, join(ws.root, `cli-${c.n}`));
    const input = c.mutations.map((m) => m.bytes.toString("utf8")).join("\n");
    const caseStarted = performance.now();
    const runs = await cli.planAndApply(args, stdin);
    slowest.push({ n: c.n, ms: performance.now() - caseStarted });
    slowest.sort((a, b) => b.ms - a.ms).splice(5);
    const violations: string[] = [];
    for (const { command, r } of runs) violations.push(...stderrViolations(r, input, names).map((v) => `${command}: ${v}`));
    violations.push(...(await cli.kernelChanges()));
    if (violations.length > 0) {
      failures += 1;
      const saved = saveFound(seed, c, violations);
      t.fail(`seed ${seed} case ${c.n} (${c.mode}; ${c.mutations.map((m) => m.detail).join("; ")})`, { violations, text: caseText(c), saved });
    }
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  t.comment(
    `${picked.length} cases, ${picked.length * 2} nfctl runs in ${seconds} s; slowest: ${slowest.map((x) => `case ${x.n} ${Math.round(x.ms)} ms`).join(", ")}`,
  );
  t.equal(failures, 0, `every sampled case refused cleanly, the kernel unchanged (seed ${seed})`);
});

comparisonNote(t, cli);
