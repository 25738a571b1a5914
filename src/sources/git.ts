/**
 * The git source: a repository's config at a branch, tag or commit, as a
 * snapshot (DESIGN.md, "Sources and artifacts"). One cache directory per
 * URL, a shallow fetch that follows force-pushes, a detached checkout, a
 * timeout on every git operation, and no git option taken from the config
 * or the repository: the URL, ref and path are validated, and passed after
 * `--` (or as a sha git printed) where git takes them.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, realpathSync, statSync } from "node:fs";
import { basename, join, posix, relative, resolve, sep } from "node:path";
import { ensurePrivateDir } from "./private-dir.js";
import { verifyCommitSignature } from "./signatures.js";
import { SHA, gitRunner, type GitRun } from "./git-run.js";
import { decoded, gitRemote, redactUrl } from "./git-url.js";

export { redactUrl };
import { checkCacheDir } from "./cache-dir.js";
import { newConfigTally } from "./config-limits.js";
import { SourceError, configFilesIn, describeError, digestOf, isWithin, readConfigFile, type ConfigFileEntry, type Snapshot } from "./snapshot.js";

/** The cache directory a caller gives when the user names none. */
export const DEFAULT_CACHE_DIR = "/var/lib/nfctl/cache";
/** The timeout of one git operation a caller gives when the user names none. */
export const DEFAULT_GIT_TIMEOUT_MS = 60_000;

export interface GitSourceOptions {
  /** https://, ssh://, user@host:path, file:// or an absolute local path. */
  url: string;
  /** A branch, a tag (or refs/heads/B, refs/tags/T) or a 40-hex commit sha, any with steps back (main~1, v1^); default: the remote's HEAD branch, or "main". */
  ref?: string;
  /** The directory (or file) of the config inside the repository; default: its root. */
  path?: string;
  /** Where the clones live, one directory per URL under cacheDir/git/ (the caller's default: /var/lib/nfctl/cache). */
  cacheDir: string;
  /** The longest one git operation may take, in milliseconds (the caller's default: 60_000). */
  timeoutMs: number;
  /** An OpenPGP public keyring file (gpg --export output, binary or armored): the commit must be signed by one of its keys. */
  verifySignatures?: string;
}

/**
 * Throws a SourceError unless `url` is one nfctl fetches from: https://,
 * ssh://, scp-style user@host:path, file:// or an absolute path. Nothing
 * that starts with "-", holds whitespace or a control character, names
 * another transport (git://, http://, ext::, fd::), has a query or
 * fragment, or gives ssh a password is accepted.
 */
export function validateGitUrl(url: string): void {
  const refuse = (why: string): never => {
    throw new SourceError("SourceFailed", `invalid git URL ${JSON.stringify(redactUrl(url))}: ${why}`);
  };
  if (url === "") refuse("it is empty");
  if (url.startsWith("-")) refuse('it starts with "-"');
  // eslint-disable-next-line no-control-regex
  if (/[\s\x00-\x1f\x7f]/u.test(url)) refuse("it contains whitespace or a control character");
  if (url.startsWith("/")) return; // an absolute local path
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    // scp-style: user@host:path, no slash before the colon.
    const scp = /^([^@/:]+)@([^@/:]+):(.+)$/.exec(url);
    if (!scp) return refuse("use https://, ssh://, user@host:path, file:// or an absolute path");
    if (scp[1]!.startsWith("-") || scp[2]!.startsWith("-")) refuse('its user or host starts with "-"');
    return;
  }
  if (!["https", "ssh", "file"].includes(scheme))
    refuse(`the ${scheme}:// transport is not supported; use https://, ssh://, user@host:path, file:// or an absolute path`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return refuse("it is not a URL");
  }
  // Kept off git's command line: git would not fetch with a query anyway (its paths go after it), and ssh uses keys, not a password.
  if (parsed.search !== "" || parsed.hash !== "") refuse('it has a query or fragment ("?", "#"); give a token as https://user:TOKEN@host/path');
  if (scheme === "ssh" && parsed.password !== "") refuse("ssh takes no password from the URL; use a key (ssh-agent)");
  if (scheme === "file") {
    if (parsed.host !== "") refuse("a file:// URL names no host (file:///path)");
    return;
  }
  if (parsed.hostname === "") refuse("it names no host");
  if ([parsed.hostname, parsed.username].some((part) => decoded(part).startsWith("-"))) refuse('its user or host starts with "-"');
  if (parsed.pathname === "" || parsed.pathname === "/") refuse("it names no repository");
}

/**
 * Throws a SourceError unless `ref` is a 40-hex sha or a name git's
 * check-ref-format accepts (as a branch): no leading "-", no "..", no
 * "@{", no component that starts with "." or ends with ".lock", no space,
 * control character or any of ~^:?*[\.
 */
export function validateGitRef(ref: string): void {
  const refuse = (why: string): never => {
    throw new SourceError("SourceFailed", `invalid git ref ${JSON.stringify(ref)}: ${why}`);
  };
  if (ref === "") refuse("it is empty");
  if (ref.startsWith("-")) refuse('it starts with "-"');
  if (SHA.test(ref)) return;
  // eslint-disable-next-line no-control-regex
  if (/[\s\x00-\x1f\x7f~^:?*[\\]/u.test(ref)) refuse("it contains whitespace, a control character or one of ~^:?*[\\");
  if (ref.includes("..")) refuse('it contains ".."');
  if (ref.includes("@{") || ref === "@") refuse('it is "@" or contains "@{"');
  if (ref.startsWith("/") || ref.endsWith("/") || ref.includes("//")) refuse('it starts or ends with "/", or contains "//"');
  if (ref.endsWith(".")) refuse('it ends with "."');
  for (const component of ref.split("/")) {
    if (component.startsWith(".")) refuse(`its component ${JSON.stringify(component)} starts with "."`);
    if (component.endsWith(".lock")) refuse(`its component ${JSON.stringify(component)} ends with ".lock"`);
  }
}

/** A relative ref's steps back from a ref: `~`, `~N`, `^`, `^N`, any number of them (git's gitrevisions). */
const ANCESTRY = /(?:[~^][0-9]*)+$/;

/**
 * `ref` split into the ref it starts from and its steps back from it
 * (`HEAD~1` → ["HEAD", "~1"], `origin/main^` → ["origin/main", "^"],
 * `main` → ["main", ""]); throws SourceError unless the ref it starts from
 * passes validateGitRef. `HEAD` is taken as a start (a work tree's).
 *
 * @example
 *     splitRelativeRef("main~2") // ["main", "~2"]
 */
export function splitRelativeRef(ref: string): [start: string, steps: string] {
  const steps = ANCESTRY.exec(ref)?.[0] ?? "";
  const start = ref.slice(0, ref.length - steps.length);
  if (start !== "HEAD") validateGitRef(start === "" ? ref : start);
  return [start, steps];
}

/** How many commits a relative ref's steps go back at most (`~3^2` → 4): the depth a fetch needs beyond the start. */
function stepsBack(steps: string): number {
  let back = 0;
  for (const [, kind, count] of steps.matchAll(/([~^])([0-9]*)/g)) back += kind === "~" ? Number(count === "" ? 1 : count) : count === "0" ? 0 : 1;
  return back;
}

/**
 * Fetches the ref (shallow, force-pushes followed), verifies its commit's
 * signature when asked (before checkout: a refused commit's files are
 * never written, the checkout stays at the last good commit), checks it out
 * detached unless it is checked out already, and returns the config at
 * `path` in it. Revision: `<ref>@sha1:<sha>` (the default branch by its
 * name), or `sha1:<sha>` for a sha ref; the digest keys each file by its
 * path in the repository. Throws SourceError.
 *
 * @example
 *     await gitSnapshot({ url: "https://example.com/nf.git", path: "nodes/a", cacheDir: "/var/lib/nfctl/cache", timeoutMs: 60_000 })
 *     // { inputs: ["/var/lib/nfctl/cache/git/3f1c…/nodes/a"], revision: "main@sha1:1eab…", digest: "…", roots: […], fileNames: { dir: "/var/lib/nfctl/cache/git/3f1c…", as: "1eab2c3:" } }
 */
export async function gitSnapshot(options: GitSourceOptions): Promise<Snapshot> {
  validateGitUrl(options.url);
  if (options.ref !== undefined && splitRelativeRef(options.ref)[0] === "HEAD") {
    throw new SourceError(
      "SourceFailed",
      `invalid git ref ${JSON.stringify(options.ref)}: a repository's ref starts from a branch, tag or sha (main~1), not HEAD`,
    );
  }
  const subdir = repoPath(options.path);
  if (!Number.isInteger(options.timeoutMs) || options.timeoutMs <= 0) {
    throw new RangeError(`timeoutMs must be a positive number of milliseconds, not ${options.timeoutMs}`);
  }
  const checkout = join(resolve(options.cacheDir), "git", createHash("sha256").update(options.url).digest("hex"));
  return serialized(checkout, () => snapshotIn(checkout, subdir, options));
}

/** What a ref stands for: a branch or tag (`pointer` as the revision names it), or a commit. */
type Target = Named<"branch"> | Named<"tag"> | { kind: "commit"; sha: string };
/** `remoteSha`: the commit ls-remote reported, when it was asked. */
type Named<K extends "branch" | "tag"> = { kind: K; name: string; pointer: string; remoteSha?: string };

/**
 * Per checkout, the commit whose signature was last accepted, with the
 * digest of the keyring it was checked with: a poll that finds the same
 * commit and the same keyring does not run gpg again.
 */
const verifiedCommits = new Map<string, string>();

/** sha256 of the keyring file's bytes ("unreadable" when it cannot be read: never a verified stamp, so verification runs and names the error). */
function keyringDigest(keyring: string): string {
  try {
    return createHash("sha256").update(readFileSync(keyring)).digest("hex");
  } catch {
    return "unreadable";
  }
}

async function snapshotIn(checkout: string, subdir: string, options: GitSourceOptions): Promise<Snapshot> {
  const { url, timeoutMs } = options;
  const shown = redactUrl(url);
  // Not a kernel filesystem (a mkdir -p under /proc spins for ever), then no other user's to write.
  checkCacheDir(options.cacheDir);
  ensurePrivateDir(options.cacheDir, ["git", basename(checkout)], "the git cache");
  // The credentials of an https URL travel in git's environment, never on its command line.
  const remote = gitRemote(url);
  const run = gitRunner(checkout, remote.url, timeoutMs, remote.env);
  if (!existsSync(join(checkout, ".git", "HEAD"))) await run(["init", "--quiet"], `initialise the git cache ${checkout}`);

  // A relative ref (main~2) is its start's commit and as many ancestors as it steps back, fetched; then resolved to a commit.
  const [start, steps] = options.ref === undefined ? [undefined, ""] : splitRelativeRef(options.ref);
  const target = await resolveTarget(run, remote.url, shown, start);
  const where = `${target.kind === "commit" ? `commit ${target.sha}` : `${target.kind} ${target.name}`}${steps}`;
  const head = currentHead(checkout);
  const localRef = target.kind === "branch" ? `refs/remotes/origin/${target.name}` : target.kind === "tag" ? `refs/tags/${target.name}` : target.sha;
  const remoteSha = target.kind === "commit" ? target.sha : target.remoteSha;
  // At the wanted commit, with nothing in the work tree but that commit's files: nothing to fetch or check out.
  const upToDate = steps === "" && head !== undefined && head === remoteSha && (await holdsOnly(run, head));
  if (!upToDate) {
    const refspec =
      target.kind === "branch" ? `+refs/heads/${target.name}:${localRef}` : target.kind === "tag" ? `+refs/tags/${target.name}:${localRef}` : target.sha;
    const depth = `--depth=${1 + stepsBack(steps)}`;
    await run(["fetch", "--quiet", depth, "--no-tags", "--no-recurse-submodules", "--", remote.url, refspec], `fetch ${where} from ${shown}`);
  }
  const sha = upToDate ? head : await commitOf(run, `${localRef}${steps}`, `${where} from ${shown}`);
  const revision = target.kind === "commit" || steps !== "" ? `sha1:${sha}` : `${target.pointer}@sha1:${sha}`;

  if (options.verifySignatures !== undefined) {
    const stamp = `${keyringDigest(options.verifySignatures)}:${sha}`;
    if (verifiedCommits.get(checkout) !== stamp) {
      await verifyCommitSignature({
        keyring: options.verifySignatures,
        sha,
        describe: `commit ${sha.slice(0, 7)}${target.kind === "commit" ? "" : ` on ${target.pointer}`} of ${shown}`,
        timeoutMs,
        git: (args, env) => run(args, `read the signature of commit ${sha} from ${shown}`, env),
      });
      verifiedCommits.set(checkout, stamp);
    }
  }
  if (!upToDate) {
    await run(["checkout", "--quiet", "--detach", "--force", sha], `check out ${revision} of ${shown}`);
    await run(["clean", "-ffdxq"], `clean the checkout of ${shown} in ${checkout}`);
  }
  const config = configAt(checkout, subdir, `${revision} of ${shown}`);
  // Errors name a file as git does at a revision, by the ref the user gave (REF:path), not by its place in the cache.
  return { ...config, revision, fileNames: { dir: config.roots[0]!, as: `${options.ref ?? sha.slice(0, 7)}:` } };
}

/**
 * Whether the work tree holds exactly the files of commit `head` (what
 * .git/HEAD names): the index and every file as the commit has them, and
 * nothing else, ignored files included. Anything else (a file planted in
 * the cache, a HEAD written by hand, a commit whose objects are missing)
 * is no: the caller fetches and checks the commit out again. One git
 * process, which reads and writes nothing but the index's stat cache.
 */
async function holdsOnly(run: GitRun, head: string): Promise<boolean> {
  let status: string;
  try {
    status = await run(["status", "--porcelain=v2", "--branch", "--ignored", "--untracked-files=all", "--no-renames"], "compare the git cache with its commit");
  } catch {
    return false;
  }
  const lines = status.split("\n").filter((line) => line !== "");
  return lines.includes(`# branch.oid ${head}`) && lines.every((line) => line.startsWith("# branch."));
}

/** The branch, tag or commit `ref` names on the remote `url` (git's, `shown` in messages): one ls-remote unless it is a sha or a full refs/heads/, refs/tags/ name. */
async function resolveTarget(run: GitRun, url: string, shown: string, ref: string | undefined): Promise<Target> {
  if (ref !== undefined && SHA.test(ref)) return { kind: "commit", sha: ref.toLowerCase() };
  if (ref?.startsWith("refs/heads/")) return { kind: "branch", name: ref.slice("refs/heads/".length), pointer: ref };
  if (ref?.startsWith("refs/tags/")) return { kind: "tag", name: ref.slice("refs/tags/".length), pointer: ref };
  if (ref === undefined) {
    const listed = parseLsRemote(await run(["ls-remote", "--symref", "--", url, "HEAD"], `list the HEAD of ${shown}`));
    const head = listed.symrefs.get("HEAD");
    const name = head?.startsWith("refs/heads/") ? head.slice("refs/heads/".length) : "main";
    const remoteSha = head !== undefined ? listed.refs.get("HEAD") : undefined;
    return { kind: "branch", name, pointer: name, ...(remoteSha !== undefined ? { remoteSha } : {}) };
  }
  const heads = `refs/heads/${ref}`;
  const tags = `refs/tags/${ref}`;
  const listed = parseLsRemote(await run(["ls-remote", "--", url, heads, tags, `${tags}^{}`], `list the refs of ${shown}`));
  const branchSha = listed.refs.get(heads);
  const tagSha = listed.refs.get(`${tags}^{}`) ?? listed.refs.get(tags);
  if (branchSha !== undefined && tagSha !== undefined) {
    throw new SourceError("SourceFailed", `ref ${ref} is both a branch and a tag of ${shown}; name refs/heads/${ref} or refs/tags/${ref}`);
  }
  if (branchSha !== undefined) return { kind: "branch", name: ref, pointer: ref, remoteSha: branchSha };
  if (tagSha !== undefined) return { kind: "tag", name: ref, pointer: ref, remoteSha: tagSha };
  throw new SourceError("SourceFailed", `ref ${ref} is neither a branch nor a tag of ${shown}`);
}

function parseLsRemote(out: string): { refs: Map<string, string>; symrefs: Map<string, string> } {
  const refs = new Map<string, string>();
  const symrefs = new Map<string, string>();
  for (const line of out.split("\n")) {
    const symref = /^ref: (\S+)\t(\S+)$/.exec(line);
    if (symref) symrefs.set(symref[2]!, symref[1]!);
    const ref = /^([0-9a-f]{40})\t(\S+)$/.exec(line);
    if (ref) refs.set(ref[2]!, ref[1]!);
  }
  return { refs, symrefs };
}

/** The commit checked out, or undefined in a fresh cache. */
/**
 * The commit the cache has checked out. The cache is always a detached
 * checkout, whose .git/HEAD holds the commit's sha itself: read as a file,
 * it costs a poll no process (a branch name there, or anything else, means
 * no known commit, and the poll fetches).
 */
function currentHead(checkout: string): string | undefined {
  let head: string;
  try {
    head = readFileSync(join(checkout, ".git", "HEAD"), "utf8").trim();
  } catch {
    return undefined;
  }
  return SHA.test(head) ? head.toLowerCase() : undefined;
}

async function commitOf(run: GitRun, rev: string, what: string): Promise<string> {
  const out = (await run(["rev-parse", "--verify", "--end-of-options", `${rev}^{commit}`], `find the commit of ${what}`)).trim();
  if (!SHA.test(out)) throw new SourceError("SourceFailed", `cannot find the commit of ${what}: git rev-parse printed ${JSON.stringify(out)}`);
  return out;
}

/** The snapshot's inputs, digest and root: `subdir` of the checkout, confined to it; files keyed by their path in the repository. */
function configAt(checkout: string, subdir: string, where: string): Omit<Snapshot, "revision"> {
  const root = realpathSync(checkout);
  const roots = [root];
  const wanted = join(root, subdir);
  let real: string;
  try {
    real = realpathSync(wanted);
  } catch (err) {
    // A path the commit deleted configures nothing: the loop refuses that
    // unless --allow-empty (Argo CD's allowEmpty), and says so.
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { inputs: [], digest: digestOf([]), roots };
    throw new SourceError("SourceFailed", `path ${subdir} cannot be read in ${where} (${describeError(err)})`, { cause: err });
  }
  if (!isWithin(real, root)) throw new SourceError("SourceFailed", `path ${subdir} of ${where} is a symlink that leads out of the repository`);
  if (isWithin(real, join(root, ".git"))) throw new SourceError("SourceFailed", `path ${subdir} of ${where} leads into .git`);
  const keyOf = (file: string) => relative(root, file).split(sep).join(posix.sep);
  let files: ConfigFileEntry[];
  const tally = newConfigTally();
  if (statSync(real).isDirectory()) files = configFilesIn(real, (name) => keyOf(join(real, name)), tally, root);
  else files = [readConfigFile(keyOf(real), real, tally, root)];
  return { inputs: files.length > 0 ? [real] : [], digest: digestOf(files), roots };
}

/** `path` as a relative POSIX path inside the repository ("" for its root); throws SourceError for one that leaves it. */
function repoPath(path: string | undefined): string {
  if (path === undefined) return "";
  const refuse = (why: string): never => {
    throw new SourceError("SourceFailed", `invalid path ${JSON.stringify(path)} in the repository: ${why}`);
  };
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/u.test(path)) refuse("it contains a control character");
  if (path.startsWith("/")) refuse("it is absolute; name a directory relative to the repository's root");
  const parts = path.split("/").filter((part) => part !== "" && part !== ".");
  if (parts.includes("..")) refuse('it contains ".."');
  if (parts.some((part) => part.toLowerCase() === ".git")) refuse("it names .git");
  return parts.join("/");
}

/** One snapshot at a time per cache directory within this process: two fetches and checkouts in one work tree would interleave. */
const busy = new Map<string, Promise<unknown>>();

async function serialized<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const before = busy.get(key) ?? Promise.resolve();
  const mine = before.catch(() => undefined).then(fn);
  busy.set(key, mine);
  try {
    return await mine;
  } finally {
    if (busy.get(key) === mine) busy.delete(key);
  }
}
