/**
 * nfctl as CI runs it: a separate process, as an unprivileged user (nobody,
 * when the tests run as root), outside any lab, reading files only. The
 * files it reads must then be nobody's: git refuses a repository another
 * user owns ("dubious ownership"), as it would in CI.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Plan } from "../../../src/reconcile/index.js";

const NFCTL = fileURLToPath(new URL("../../../src/cli/main.js", import.meta.url));
const NOBODY = "65534";
const asRoot = process.getuid?.() === 0;

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs nfctl in `cwd`; as nobody when the tests run as root. `env` is all of its environment besides PATH and NO_COLOR. */
export function nfctl(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Run {
  // `env -i`: without the hooks the test runner adds to every child's environment (they write where nobody may not).
  const env = ["env", "-i", `PATH=${process.env.PATH ?? ""}`, "NO_COLOR=1", ...Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v}`)];
  const user = asRoot ? ["setpriv", `--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups"] : [];
  const command = [...user, ...env, process.execPath, NFCTL, ...args];
  const r = spawnSync(command[0]!, command.slice(1), { encoding: "utf8", ...(options.cwd !== undefined && { cwd: options.cwd }) });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Gives `dir` and everything in it to the user nfctl runs as (nothing to do when the tests are not root). */
export function handOver(dir: string): void {
  if (asRoot) execFileSync("chown", ["-R", `${NOBODY}:${NOBODY}`, dir]);
}

/** The plan of `nfctl plan -o json`, after checking its envelope. */
export function planOf(stdout: string): Plan {
  const out = JSON.parse(stdout) as { formatVersion: number; kind: string; plan: Plan };
  if (out.formatVersion !== 1 || out.kind !== "Plan") throw new Error(`not a Plan envelope: ${stdout.slice(0, 200)}`);
  return out.plan;
}

/** A plan's hooks as [id, commit, actions as "kind nf"]. */
export const actionsOf = (plan: Plan) => plan.hooks.map((h) => [h.id, h.commit, h.actions.map((a) => `${a.kind}${a.nf ? ` ${a.nf}` : ""}`)]);
