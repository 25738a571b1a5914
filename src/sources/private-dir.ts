/**
 * A directory only nfctl's own user can write, for the git cache: a config
 * planted there would be applied as root under a genuine revision. Like
 * OpenSSH's StrictModes, it checks the whole way down: every directory
 * above it is owned by root or by nfctl's user, and one that others may
 * write is sticky (as /tmp is), so that nobody else can rename it away;
 * the directory itself and the ones nfctl makes inside it belong to
 * nfctl's user and no group or other user may write them.
 *
 * @example
 *     ensurePrivateDir("/var/lib/nfctl/cache", ["git", "3f1c…"], "the git cache")
 *     // "/var/lib/nfctl/cache/git/3f1c…", made 0700 where missing
 *     // throws SourceError: the git cache /tmp/c is owned by uid 1000, not by nfctl's user (uid 0): …
 */
import { lstatSync, mkdirSync, realpathSync, type Stats } from "node:fs";
import { dirname, join, resolve, sep } from "node:path";
import { SourceError, describeError } from "./snapshot.js";

const GROUP_OR_OTHER_WRITE = 0o022;
const STICKY = 0o1000;

/**
 * Checks `dir` and the path above it, makes `dir/inside...` (mode 0700)
 * where missing and checks each, and returns the innermost path. `what`
 * names the directory in messages ("the git cache"). Throws SourceError.
 */
export function ensurePrivateDir(dir: string, inside: readonly string[], what: string): string {
  const uid = process.geteuid?.() ?? 0;
  const top = resolve(dir);
  checkAncestors(dirname(top), uid, what, top);
  let current = top;
  for (const name of ["", ...inside]) {
    current = name === "" ? current : join(current, name);
    try {
      // The cache's own parents too, when missing: made by nfctl's user, 0700.
      mkdirSync(current, { mode: 0o700, recursive: name === "" });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") {
        throw new SourceError("SourceFailed", `cannot create ${what} ${current}: ${describeError(err)}; name a directory you may write with --cache-dir`, {
          cause: err,
        });
      }
    }
    checkOwn(current, statOf(current, what), uid, what);
    if (name === "") {
      // The place a link above it leads to is checked as well as the link.
      const real = realpathSync(current);
      if (real !== current) checkAncestors(dirname(real), uid, what, top);
    }
  }
  return current;
}

function statOf(path: string, what: string): Stats {
  try {
    return lstatSync(path);
  } catch (err) {
    throw new SourceError("SourceFailed", `cannot read ${what} ${path}: ${describeError(err)}`, { cause: err });
  }
}

/** A directory of the cache: a real directory (not a link), nfctl's user's, written by nobody else. */
function checkOwn(path: string, stats: Stats, uid: number, what: string): void {
  const fix = `; nfctl applies what it finds there as root: name another --cache-dir, or fix it`;
  if (stats.isSymbolicLink()) throw new SourceError("SourceFailed", `${what} ${path} is a symbolic link${fix}`);
  if (!stats.isDirectory()) throw new SourceError("SourceFailed", `${what} ${path} is not a directory${fix}`);
  if (stats.uid !== uid) throw new SourceError("SourceFailed", `${what} ${path} is owned by uid ${stats.uid}, not by nfctl's user (uid ${uid})${fix}`);
  if ((stats.mode & GROUP_OR_OTHER_WRITE) !== 0) {
    throw new SourceError("SourceFailed", `${what} ${path} may be written by its group or others (mode ${modeOf(stats)})${fix} (chmod go-w)`);
  }
}

/** Each directory from / down to `path`: root's or nfctl's user's, and sticky if others may write it (a link is followed after its own owner is checked). */
function checkAncestors(path: string, uid: number, what: string, dir: string): void {
  let current: string = sep;
  for (const name of path.split(sep).filter((part) => part !== "")) {
    current = join(current, name);
    let stats: Stats;
    try {
      stats = lstatSync(current);
    } catch (err) {
      // Missing: mkdir below says so (or makes it, for the cache itself).
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
      throw new SourceError("SourceFailed", `cannot read ${current}, above ${what} ${dir}: ${describeError(err)}`, { cause: err });
    }
    const where = `${current}, above ${what} ${dir},`;
    const fix = "; another user could replace the cache with one of their own: name another --cache-dir";
    if (stats.uid !== 0 && stats.uid !== uid) throw new SourceError("SourceFailed", `${where} is owned by uid ${stats.uid}${fix}`);
    if (stats.isSymbolicLink()) continue;
    if ((stats.mode & GROUP_OR_OTHER_WRITE) !== 0 && (stats.mode & STICKY) === 0) {
      throw new SourceError("SourceFailed", `${where} may be written by its group or others and is not sticky (mode ${modeOf(stats)})${fix}`);
    }
  }
}

function modeOf(stats: Stats): string {
  return (stats.mode & 0o7777).toString(8).padStart(4, "0");
}
