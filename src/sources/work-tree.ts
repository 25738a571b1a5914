/**
 * A local git work tree's config at another revision, for `nfctl plan
 * --base-ref REF -f PATH...` in CI: the paths lie in a work tree (the
 * checkout of a pull request), and the hosts run the config at REF (main).
 * The tree at REF is exported into a temporary directory with git archive,
 * which writes nothing into the repository, and the same paths are named
 * there. The export lasts as long as the caller uses it, and is removed
 * after, also when nfctl exits on a signal meanwhile.
 *
 * git runs as the git source runs it (git-run.ts), in the work tree; the
 * ref is validated, and the commit is named by the sha git printed.
 *
 * @example
 *     await withTreeAt(["config/"], "main", { timeoutMs: 60_000 }, (tree) => loadDesired(tree.inputs))
 *     // tree: { top: "/ci/repo", dir: "/tmp/nfctl-base-x1/tree", revision: "main@sha1:1eab…", inputs: ["/tmp/nfctl-base-x1/tree/config"] }
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { promisify } from "node:util";
import { splitRelativeRef } from "./git.js";
import { SHA, gitRunner, type GitRun } from "./git-run.js";
import { SourceError, describeError, isWithin } from "./snapshot.js";

export interface TreeAtRevision {
  /** The work tree's top directory, as git names it (a real path). */
  top: string;
  /** The export: the work tree's files at the revision. */
  dir: string;
  /** `<ref>@sha1:<sha>`, or `sha1:<sha>` for a sha ref, as the git source writes revisions. */
  revision: string;
  /** The paths given, at their places in the export; a path that does not exist there (added since) is left out: it configured nothing at the revision. */
  inputs: string[];
}

export interface TreeOptions {
  /** The longest one git (or tar) command may take, in milliseconds. */
  timeoutMs: number;
}

/**
 * Calls `use` with the work tree that `paths` lie in, exported at `ref` (a
 * branch, a tag, a remote-tracking branch such as origin/main, a sha, or
 * any of them with steps back: HEAD~1, origin/main^, main~2),
 * and removes the export when it is done. Throws SourceError when a path
 * is not in a git work tree, the paths are in two, or `ref` names no commit.
 */
export async function withTreeAt<T>(paths: readonly string[], ref: string, options: TreeOptions, use: (tree: TreeAtRevision) => T | Promise<T>): Promise<T> {
  const [, steps] = splitRelativeRef(ref);
  if (paths.includes("-")) throw new SourceError("SourceFailed", "standard input (-f -) has no git revision; name config files in a git work tree");
  if (paths.length === 0) throw new SourceError("SourceFailed", "no config path given; name config files in a git work tree");
  const reals = paths.map(realPath);
  const top = await workTreeOf(reals, options.timeoutMs);
  const run = gitRunner(top, top, options.timeoutMs);
  const sha = await commitOf(run, ref, top);
  // A relative ref (HEAD~1, origin/main^) is resolved to its commit first: the revision names the commit alone.
  const revision = SHA.test(ref) || steps !== "" ? `sha1:${sha}` : `${ref}@sha1:${sha}`;

  const temporary = temporaryDir(`the export of ${revision} of ${top}`);
  const remove = () => rmSync(temporary, { recursive: true, force: true });
  // A signal before the end exits through process.exit (cli/interrupts.ts): the export goes then too.
  process.once("exit", remove);
  try {
    const dir = join(temporary, "tree");
    mkdirSync(dir);
    const archive = join(temporary, "tree.tar");
    // export-ignore and export-subst (.gitattributes) apply, as to any git archive.
    await run(["archive", "--format=tar", `--output=${archive}`, sha], `export ${revision} of the git work tree ${top}`);
    await untar(archive, dir, options.timeoutMs, `${revision} of ${top}`);
    rmSync(archive);
    const inputs = reals.map((real) => join(dir, relative(top, real))).filter((path) => existsSync(path));
    return await use({ top, dir, revision, inputs });
  } finally {
    process.off("exit", remove);
    remove();
  }
}

function temporaryDir(what: string): string {
  try {
    return mkdtempSync(join(tmpdir(), "nfctl-base-"));
  } catch (err) {
    throw new SourceError("SourceFailed", `cannot make a temporary directory (TMPDIR) for ${what}: ${describeError(err)}`, { cause: err });
  }
}

function realPath(path: string): string {
  try {
    return realpathSync(resolve(path));
  } catch (err) {
    throw new SourceError("SourceFailed", `cannot read ${path}: ${describeError(err)}`, { cause: err });
  }
}

/** The top of the one work tree every path lies in. */
async function workTreeOf(reals: string[], timeoutMs: number): Promise<string> {
  let found: { top: string; path: string } | undefined;
  for (const real of reals) {
    const dir = statSync(real).isDirectory() ? real : dirname(real);
    const what = `find the git work tree of ${real} (--base-ref compares it with a revision)`;
    const top = (await gitRunner(dir, dir, timeoutMs)(["rev-parse", "--show-toplevel"], what)).trim();
    if (top === "" || !isWithin(real, top)) throw new SourceError("SourceFailed", `cannot ${what}: git named ${JSON.stringify(top)}`);
    if (found && found.top !== top) {
      throw new SourceError(
        "SourceFailed",
        `${found.path} and ${real} lie in two git work trees (${found.top}, ${top}); --base-ref compares one with a revision`,
      );
    }
    found ??= { top, path: real };
  }
  return found!.top;
}

async function commitOf(run: GitRun, ref: string, top: string): Promise<string> {
  // --quiet: a ref that names no commit prints nothing (simple-git takes git's exit status 1 for success then).
  const out = (await run(["rev-parse", "--verify", "--quiet", "--end-of-options", `${ref}^{commit}`], `find the commit of ${ref} in ${top}`)).trim();
  if (out === "") {
    throw new SourceError(
      "SourceFailed",
      `ref ${ref} names no commit of the git work tree ${top}; a branch of the remote must be fetched first (a CI checkout is often shallow)`,
    );
  }
  if (!SHA.test(out)) throw new SourceError("SourceFailed", `cannot find the commit of ${ref} in ${top}: git rev-parse printed ${JSON.stringify(out)}`);
  return out;
}

const execFileAsync = promisify(execFile);

/** Unpacks git's archive; its names are the repository's paths, never absolute and never through "..". */
async function untar(archive: string, dir: string, timeoutMs: number, what: string): Promise<void> {
  try {
    await execFileAsync("tar", ["-x", "--no-same-owner", "-f", archive, "-C", dir], {
      timeout: timeoutMs,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", LC_ALL: "C" },
    });
  } catch (err) {
    const reason = (err as { stderr?: string }).stderr?.trim().split("\n")[0] ?? describeError(err);
    throw new SourceError("SourceFailed", `cannot unpack ${what}: ${reason || describeError(err)}`, { cause: err });
  }
}
