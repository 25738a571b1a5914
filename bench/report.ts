/**
 * What a benchmark reports, and how: a benchmark is a function that returns
 * a `Section` (plain data), and `runBenchmark` is its command line. Alone,
 * a benchmark prints its section as Markdown; under `bench/run.ts` it also
 * writes the section as JSON (`--json FILE`), and run.ts puts every section
 * into bench/RESULTS.md.
 *
 *     export async function dataPath(): Promise<Section> { ... }
 *     await runBenchmark(import.meta.url, dataPath);
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export interface Table {
  /** What the table shows, in one line. */
  caption: string;
  columns: string[];
  rows: Array<Array<string | number>>;
}

/** A goal the issue set, and whether this run met it. */
export interface Goal {
  goal: string;
  measured: string;
  met: boolean;
}

export interface Section {
  title: string;
  /** The command that reproduces every figure of the section. */
  command: string;
  /** How it is measured, a sentence each. */
  method: string[];
  tables: Table[];
  goals: Goal[];
  /** What the figures show: where the time goes, what was fixed, what is left. */
  findings: string[];
}

/** The median of `values` (the lower middle one of an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error("median of no values");
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/** The nearest-rank percentile `p` (0-100) of `values`. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new Error("percentile of no values");
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** `a / b` as "1.23x". */
export function ratio(a: number, b: number): string {
  return `${(a / b).toFixed(2)}x`;
}

/** A number with `digits` decimals, for a table cell. */
export function fixed(value: number, digits = 1): string {
  return value.toFixed(digits);
}

function escapeCell(cell: string | number): string {
  return String(cell).replaceAll("|", "\\|");
}

export function renderTable(table: Table): string {
  const lines = [
    `| ${table.columns.map(escapeCell).join(" | ")} |`,
    `| ${table.columns.map((_, i) => (i === 0 ? "---" : "---:")).join(" | ")} |`,
    ...table.rows.map((row) => `| ${row.map(escapeCell).join(" | ")} |`),
  ];
  return `${table.caption}\n\n${lines.join("\n")}\n`;
}

export function renderSection(section: Section, level = 2): string {
  const heading = "#".repeat(level);
  const parts = [`${heading} ${section.title}\n`, `Reproduce: \`${section.command}\`\n`];
  if (section.method.length > 0) parts.push(section.method.map((m) => `- ${m}`).join("\n") + "\n");
  parts.push(...section.tables.map(renderTable));
  if (section.goals.length > 0) {
    parts.push(
      renderTable({
        caption: "Goals:",
        columns: ["goal", "measured", "met"],
        rows: section.goals.map((g) => [g.goal, g.measured, g.met ? "yes" : "**no**"]),
      }),
    );
  }
  if (section.findings.length > 0) parts.push(`What the figures show:\n\n${section.findings.map((f) => `- ${f}`).join("\n")}\n`);
  return parts.join("\n");
}

/**
 * The command line of one benchmark: runs `bench` when `moduleUrl` is the
 * program node was started with, prints the section, and writes it as JSON
 * to the file after `--json`. A failure is one line on stderr and exit 1.
 */
export async function runBenchmark(moduleUrl: string, bench: () => Promise<Section>): Promise<void> {
  if (process.argv[1] !== fileURLToPath(moduleUrl)) return;
  if (process.getuid?.() !== 0) {
    process.stderr.write("run as root: the benchmarks create network namespaces and load BPF programs\n");
    process.exit(1);
  }
  try {
    const section = await bench();
    process.stdout.write(renderSection(section) + "\n");
    const i = process.argv.indexOf("--json");
    if (i >= 0) writeFileSync(process.argv[i + 1]!, JSON.stringify(section, null, 2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(1);
  }
}

/** A command-line option `name N` of the running benchmark, a positive integer. */
export function intOption(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const value = Number(process.argv[i + 1]);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} needs a positive integer`);
  return value;
}
