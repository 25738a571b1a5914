/**
 * How apply grows with the host: `nfctl apply` of 10, 100 and 500
 * interfaces (XDP, 2 counter NFs each), and the converged re-plan of each.
 *
 *     node dist/bench/scale.js [--rounds N]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLab } from "../scripts/test-lab.js";
import { createVeths, nfctl, writeCounterConfig } from "./commands.js";
import { fixed, intOption, median, ratio, runBenchmark, type Goal, type Section } from "./report.js";

const SIZES = [10, 100, 500];
const NFS = 2;

export async function scale(): Promise<Section> {
  const rounds = intOption("--rounds", 3);
  const lab = createLab();
  const dir = mkdtempSync(join(tmpdir(), "nfctl-bench-"));
  try {
    const all = createVeths(lab.nsB, "sc", Math.max(...SIZES));
    const rows = SIZES.map((size) => {
      const config = writeCounterConfig(dir, `scale${size}`, all.slice(0, size), ["xdp"], NFS);
      const applies: number[] = [];
      const plans: number[] = [];
      for (let round = 0; round < rounds; round++) {
        applies.push(nfctl(lab.nsB, lab.root, ["apply", "-f", config]).ms);
        plans.push(nfctl(lab.nsB, lab.root, ["plan", "-f", config]).ms);
        nfctl(lab.nsB, lab.root, ["destroy"]);
      }
      return { size, apply: median(applies), plan: median(plans) };
    });
    const first = rows[0]!;
    const last = rows[rows.length - 1]!;
    /** Time per interface above the smallest size's, for linearity. */
    const marginal = (pick: (r: (typeof rows)[number]) => number) => (pick(last) - pick(first)) / (last.size - first.size);
    const marginalMid = (pick: (r: (typeof rows)[number]) => number) => (pick(rows[1]!) - pick(first)) / (rows[1]!.size - first.size);
    /** The goal that `command` grows linearly: its cost per interface to the largest size within 1.5x of that to the middle one. */
    const linearity = (command: string, pick: (r: (typeof rows)[number]) => number): Goal => ({
      goal: `${command} grows linearly (per-interface cost to ${last.size} within 1.5x of that to ${rows[1]!.size})`,
      measured: `${fixed(marginalMid(pick), 2)} -> ${fixed(marginal(pick), 2)} ms per interface`,
      met: marginal(pick) <= 1.5 * marginalMid(pick),
    });
    return {
      title: "Scale: apply as interfaces grow",
      command: `node dist/bench/scale.js --rounds ${rounds}`,
      method: [
        `Interfaces are veth pairs in one namespace, with ${NFS} counter NFs on each XDP hook. Each round: apply (fresh), plan (converged), destroy (not timed). Medians of ${rounds} rounds.`,
        "Linear growth means the time per added interface stays the same from 100 to 500 as from 10 to 100.",
      ],
      tables: [
        {
          caption: "ms per command:",
          columns: ["interfaces", "NFs", "apply", "converged plan", "apply / 10 interfaces"],
          rows: rows.map((r) => [r.size, r.size * NFS, fixed(r.apply), fixed(r.plan), ratio(r.apply, first.apply)]),
        },
        {
          caption: "ms per added interface:",
          columns: ["command", `${first.size} to ${rows[1]!.size}`, `${first.size} to ${last.size}`],
          rows: [
            [
              "apply",
              fixed(
                marginalMid((r) => r.apply),
                2,
              ),
              fixed(
                marginal((r) => r.apply),
                2,
              ),
            ],
            [
              "converged plan",
              fixed(
                marginalMid((r) => r.plan),
                2,
              ),
              fixed(
                marginal((r) => r.plan),
                2,
              ),
            ],
          ],
        },
      ],
      goals: [linearity("apply", (r) => r.apply), linearity("converged plan", (r) => r.plan)],
      findings: [],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    lab.cleanup();
  }
}

await runBenchmark(import.meta.url, scale);
