/**
 * nfctl's JSON outputs as files: a saved plan written by `plan --out` and
 * read by `apply FILE`, and a host's status read by `plan --observed
 * FILE`. Every problem with such a file is one line that names it.
 *
 * @example
 *     writeJsonFile("plan.json", toJson("Plan", { plan }));
 *     const saved = readSavedPlan("plan.json"); // the Plan, or throws "plan.json is not a saved nfctl plan: ..."
 */
import { randomBytes } from "node:crypto";
import { closeSync, constants, fsyncSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { checkPlanShape, checkStatusShape, describeFsError, type Plan, type StatusReport } from "../reconcile/index.js";
import { parseJsonOutput } from "./views/json.js";

/** The largest file read back: a plan of thousands of hooks with full maps is megabytes, not gigabytes. */
export const MAX_JSON_FILE_BYTES = 256 * 1024 * 1024;

/**
 * Writes `text` to `path` whole or not at all: to a temporary file beside
 * it, flushed, then renamed over it, so that an interrupted write never
 * leaves half a plan to apply. An existing file at `path` is replaced (a
 * plan saved again), and a symlink there is replaced itself, never its
 * target. The temporary file has a name no one can guess and is created
 * only if nothing is there, without following a symlink: a link planted
 * in the directory cannot redirect the write.
 */
export function writeJsonFile(path: string, text: string): void {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(8).toString("hex")}.tmp`);
  let created = false;
  try {
    const fd = openSync(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
    created = true;
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
  } catch (err) {
    if (created) rmSync(temporary, { force: true });
    throw new Error(`cannot write ${path}: ${describeFsError(err)}`);
  }
}

/** The text of a file nfctl reads back; `what` says in the error what it was meant to be. */
export function readJsonFile(path: string, what: string): string {
  try {
    const stats = statSync(path);
    if (!stats.isFile()) throw new Error(`not a regular file`);
    if (stats.size > MAX_JSON_FILE_BYTES) throw new Error(`it is larger than ${MAX_JSON_FILE_BYTES / (1024 * 1024)} MiB`);
    return readFileSync(path, "utf8");
  } catch (err) {
    throw new Error(`cannot read ${what} ${path}: ${describeFsError(err)}`);
  }
}

/** The plan saved in `path` (the `-o json` envelope of `nfctl plan`), checked; throws one line naming the file. */
export function readSavedPlan(path: string): Plan {
  const body = parseJsonOutput("Plan", readJsonFile(path, "the saved plan"), path);
  const checked = checkPlanShape(body.plan);
  if (!checked.ok) throw new Error(`${path} is not a plan this nfctl can apply: ${checked.problem}`);
  return checked.plan;
}

/** The status saved in `path` (the `-o json` envelope of `nfctl status`, taken on a host), checked; throws one line naming the file. */
export function readStatusSnapshot(path: string): StatusReport {
  const body = parseJsonOutput("Status", readJsonFile(path, "the observed status"), path);
  const checked = checkStatusShape(body.status);
  if (!checked.ok) throw new Error(`${path} is not a status this nfctl can plan against: ${checked.problem}`);
  return checked.status;
}
