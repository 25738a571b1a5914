/**
 * The git source against local bare repositories (file:// URLs):
 * revisions, the cache checkout, refs and paths, the URLs and refs
 * refused, a timeout, and where an https URL's credentials go. No network
 * but a local TCP server on 127.0.0.1 that never answers. Signatures:
 * git-signatures.test.ts. redactUrl and gitRemote: git-url.test.ts.
 */
import t, { type Test } from "tap";
import { chmodSync, chownSync, existsSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { createServer, type Socket } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gitSnapshot, validateGitRef, validateGitUrl, type GitSourceOptions } from "../../src/sources/git.js";
import { SourceError } from "../../src/sources/snapshot.js";
import { expectedDigest, git, headOf, makeRemote, source } from "./helpers/git-fixtures.js";
import { sleep, tempDir, waitFor } from "./helpers/temp.js";

const A = "apiVersion: nfctl.io/v1alpha1\nkind: NetworkFunctions\nmetadata:\n  name: a\n";
const B = "apiVersion: nfctl.io/v1alpha1\nkind: NetworkFunctions\nmetadata:\n  name: b\n";
const C = "apiVersion: nfctl.io/v1alpha1\nkind: NetworkFunctions\nmetadata:\n  name: c\n";

t.test("the first snapshot: the default branch's config files, its revision, a digest by repository path", async (t) => {
  const remote = makeRemote(t);
  const sha = remote.commit({ "a.yaml": A, "b.yml": B, "README.md": "not config", "conf/c.yaml": C });
  remote.push("main");
  const snap = source(t, remote);
  const first = await snap();
  t.equal(first.revision, `main@sha1:${sha}`);
  t.equal(first.digest, expectedDigest({ "a.yaml": A, "b.yml": B }));
  t.equal(first.inputs.length, 1);
  const checkout = first.inputs[0]!;
  t.equal(readFileSync(join(checkout, "a.yaml"), "utf8"), A);
  t.equal(headOf(checkout), sha);
  t.match(git(checkout, ["status", "--porcelain", "--branch"]), /^## HEAD \(no branch\)/, "a detached checkout");
  const again = await source(t, remote)();
  t.equal(again.digest, first.digest, "the digest does not depend on the cache directory");
  t.not(again.inputs[0], checkout);
});

t.test("the default branch is the one the remote's HEAD names, else main", async (t) => {
  const trunk = makeRemote(t, "trunk");
  const sha = trunk.commit({ "a.yaml": A });
  trunk.push("main:trunk");
  t.equal((await source(t, trunk)()).revision, `trunk@sha1:${sha}`);

  const dangling = makeRemote(t, "nothing-here");
  const main = dangling.commit({ "a.yaml": A });
  dangling.push("main");
  t.equal((await source(t, dangling)()).revision, `main@sha1:${main}`);
});

t.test("a new commit is a new revision; an unchanged remote is not checked out again", async (t) => {
  const remote = makeRemote(t);
  const one = remote.commit({ "a.yaml": A });
  remote.push("main");
  const snap = source(t, remote);
  const first = await snap();
  const checkout = first.inputs[0]!;
  const mtime = statSync(join(checkout, "a.yaml")).mtimeMs;

  const same = await snap();
  t.same(same, first);
  t.equal(statSync(join(checkout, "a.yaml")).mtimeMs, mtime, "no checkout: the file was not written again");

  const two = remote.commit({ "a.yaml": B, "b.yaml": C });
  remote.push("main");
  const second = await snap();
  t.equal(second.revision, `main@sha1:${two}`);
  t.not(two, one);
  t.equal(second.digest, expectedDigest({ "a.yaml": B, "b.yaml": C }));
  t.equal(readFileSync(join(checkout, "a.yaml"), "utf8"), B);
});

t.test("what is planted in the cache is never read: the snapshot holds the commit's files", async (t) => {
  const remote = makeRemote(t);
  const one = remote.commit({ "a.yaml": A });
  remote.push("main");
  const snap = source(t, remote);
  const first = await snap();
  const checkout = first.inputs[0]!;
  const planted = (name: string) => join(checkout, name);

  writeFileSync(planted("planted.yaml"), C);
  writeFileSync(planted(".gitignore.yaml"), C);
  writeFileSync(join(checkout, ".git", "info", "exclude"), "ignored.yaml\n");
  writeFileSync(planted("ignored.yaml"), C);
  writeFileSync(planted("a.yaml"), B);
  const afterFiles = await snap();
  t.same(afterFiles, first, "the commit's revision, digest and inputs");
  t.equal(readFileSync(planted("a.yaml"), "utf8"), A, "a changed file is the commit's again");
  t.same(readdirSync(checkout).sort(), [".git", "a.yaml"], "untracked and ignored files are gone");

  // A forged HEAD: the remote's next commit named, the work tree still the first one's.
  const two = remote.commit({ "a.yaml": B, "b.yaml": C });
  remote.push("main");
  writeFileSync(join(checkout, ".git", "HEAD"), `${two}\n`);
  const forged = await snap();
  t.equal(forged.revision, `main@sha1:${two}`);
  t.equal(forged.digest, expectedDigest({ "a.yaml": B, "b.yaml": C }), "the files of the commit named, fetched and checked out");
  t.equal(headOf(checkout), two);

  // A HEAD naming a commit whose objects the cache does not have.
  const three = remote.commit({ "a.yaml": C });
  remote.push("main");
  writeFileSync(join(checkout, ".git", "HEAD"), `${three}\n`);
  const missing = await snap();
  t.equal(missing.revision, `main@sha1:${three}`);
  t.equal(missing.digest, expectedDigest({ "a.yaml": C, "b.yaml": C }));
  t.not(one, three);
});

t.test("a git cache that others may write is refused, in words, before any git command", async (t) => {
  const remote = makeRemote(t);
  remote.commit({ "a.yaml": A });
  remote.push("main");
  const options = (cacheDir: string) => ({ url: remote.url, cacheDir, timeoutMs: 30_000 });
  const refused = async (cacheDir: string, message: string, what: string) => {
    await t.rejects(gitSnapshot(options(cacheDir)), { name: "SourceError", reason: "SourceFailed", message }, what);
  };
  const fix = "; nfctl applies what it finds there as root: name another --cache-dir, or fix it";

  const other = tempDir(t, "nfctl-test-cache-");
  chownSync(other, 65534, 65534);
  await refused(other, `the git cache ${other} is owned by uid 65534, not by nfctl's user (uid 0)${fix}`, "another user's cache");

  const open = tempDir(t, "nfctl-test-cache-");
  chmodSync(open, 0o775);
  await refused(open, `the git cache ${open} may be written by its group or others (mode 0775)${fix} (chmod go-w)`, "a group-writable cache");

  const good = tempDir(t, "nfctl-test-cache-");
  const first = await gitSnapshot(options(good));
  const checkout = first.inputs[0]!;
  chmodSync(dirname(checkout), 0o777);
  await refused(good, `the git cache ${dirname(checkout)} may be written by its group or others (mode 0777)${fix} (chmod go-w)`, "a writable git/ inside");
  chmodSync(dirname(checkout), 0o700);
  chownSync(checkout, 65534, 65534);
  await refused(good, `the git cache ${checkout} is owned by uid 65534, not by nfctl's user (uid 0)${fix}`, "a checkout another user owns");
  chownSync(checkout, 0, 0);
  t.equal((await gitSnapshot(options(good))).digest, first.digest, "mended, the cache is used again");

  const parent = tempDir(t, "nfctl-test-parent-");
  chmodSync(parent, 0o777);
  const below = join(parent, "cache");
  await refused(
    below,
    `${parent}, above the git cache ${below}, may be written by its group or others and is not sticky (mode 0777); another user could replace the cache with one of their own: name another --cache-dir`,
    "a cache in a directory anyone may rename things in",
  );
  t.notOk(existsSync(below), "nothing made");
  chmodSync(parent, 0o1777);
  t.equal((await gitSnapshot(options(below))).digest, first.digest, "a sticky directory above (as /tmp) is fine");
  t.equal(statSync(below).mode & 0o777, 0o700, "the cache is made 0700");

  const linked = join(tempDir(t, "nfctl-test-link-"), "cache");
  symlinkSync(good, linked);
  await refused(linked, `the git cache ${linked} is a symbolic link${fix}`, "a cache that is a link");
});

t.test("a force-push is followed", async (t) => {
  const remote = makeRemote(t);
  const one = remote.commit({ "a.yaml": A });
  remote.commit({ "a.yaml": B });
  remote.push("main");
  const snap = source(t, remote);
  await snap();
  remote.git(["reset", "--quiet", "--hard", one]);
  const rewritten = remote.commit({ "a.yaml": C, "gone.yaml": null });
  remote.push("main", { force: true });
  const after = await snap();
  t.equal(after.revision, `main@sha1:${rewritten}`);
  t.equal(after.digest, expectedDigest({ "a.yaml": C }));
  t.equal(readFileSync(join(after.inputs[0]!, "a.yaml"), "utf8"), C);
});

t.test("path: a directory or a file of the repository", async (t) => {
  const remote = makeRemote(t);
  const sha = remote.commit({ "conf/node-a/x.yaml": A, "conf/node-a/sub/y.yaml": B, "conf/file.yaml": B, "top.yaml": C });
  remote.push("main");
  const snap = source(t, remote);
  const dir = await snap({ path: "conf/node-a" });
  const root = dir.inputs[0]!.slice(0, -"/conf/node-a".length);
  t.same(dir.inputs, [join(root, "conf/node-a")]);
  t.equal(dir.digest, expectedDigest({ "conf/node-a/x.yaml": A }));
  t.equal(dir.revision, `main@sha1:${sha}`);
  t.same(dir.roots, [root], "its root, where its config may take objects from, is the checkout's top");
  t.same(await snap({ path: "./conf//node-a/" }), dir, "the same path, written otherwise");
  const file = await snap({ path: "conf/file.yaml" });
  t.same(file.inputs, [join(root, "conf/file.yaml")]);
  t.equal(file.digest, expectedDigest({ "conf/file.yaml": B }));

  t.same(
    await snap({ path: "conf/nope" }),
    { inputs: [], digest: expectedDigest({}), revision: `main@sha1:${sha}`, roots: [root], fileNames: { dir: root, as: `${sha.slice(0, 7)}:` } },
    "a path the commit lacks configures nothing",
  );
  await t.rejects(snap({ path: "../x" }), { reason: "SourceFailed", message: 'invalid path "../x" in the repository: it contains ".."' });
  await t.rejects(snap({ path: "/etc" }), {
    message: `invalid path "/etc" in the repository: it is absolute; name a directory relative to the repository's root`,
  });
  await t.rejects(snap({ path: ".git" }), { message: 'invalid path ".git" in the repository: it names .git' });
});

t.test("symlinks in the repository do not lead out of the checkout", async (t) => {
  const outside = tempDir(t, "nfctl-test-outside-");
  writeFileSync(join(outside, "secret.yaml"), "not for nfctl\n");
  const remote = makeRemote(t);
  const sha = remote.commit({
    out: { symlink: outside },
    "conf/x.yaml": { symlink: join(outside, "secret.yaml") },
    "inside/a.yaml": { symlink: "../real.yaml" },
    "real.yaml": A,
  });
  remote.push("main");
  const snap = source(t, remote);
  await t.rejects(snap({ path: "out" }), {
    reason: "SourceFailed",
    message: `path out of main@sha1:${sha} of ${remote.url} is a symlink that leads out of the repository`,
  });
  const root = (await snap()).inputs[0]!;
  await t.rejects(snap({ path: "conf" }), { message: `${join(root, "conf/x.yaml")} is a symlink to ${join(outside, "secret.yaml")}, outside ${root}` });
  const inside = await snap({ path: "inside" });
  t.equal(inside.digest, expectedDigest({ "inside/a.yaml": A }), "a symlink within the repository is followed");
});

t.test("tags, shas and full ref names", async (t) => {
  const remote = makeRemote(t);
  const one = remote.commit({ "a.yaml": A });
  remote.git(["tag", "light"]);
  remote.git(["-c", "user.name=nfctl test", "-c", "user.email=test@nfctl.invalid", "tag", "--annotate", "--message=v1", "v1"]);
  const two = remote.commit({ "a.yaml": B });
  remote.push("main");
  remote.push("--tags");
  const snap = source(t, remote);

  const annotated = await snap({ ref: "v1" });
  t.equal(annotated.revision, `v1@sha1:${one}`, "an annotated tag names its commit");
  t.equal(annotated.digest, expectedDigest({ "a.yaml": A }));
  t.equal((await snap({ ref: "light" })).revision, `light@sha1:${one}`);
  t.equal((await snap({ ref: "refs/tags/v1" })).revision, `refs/tags/v1@sha1:${one}`);
  t.equal((await snap({ ref: "main" })).revision, `main@sha1:${two}`);
  t.equal((await snap({ ref: "refs/heads/main" })).revision, `refs/heads/main@sha1:${two}`);
  const bySha = await snap({ ref: one });
  t.equal(bySha.revision, `sha1:${one}`);
  t.equal(headOf(bySha.inputs[0]!), one);
  t.equal((await snap({ ref: one.toUpperCase() })).revision, `sha1:${one}`);

  // A tag moved by force is followed too.
  remote.git(["tag", "--force", "light", two]);
  remote.push("refs/tags/light", { force: true });
  t.equal((await snap({ ref: "light" })).revision, `light@sha1:${two}`);

  await t.rejects(snap({ ref: "nope" }), new SourceError("SourceFailed", `ref nope is neither a branch nor a tag of ${remote.url}`));
  remote.push("main:refs/heads/v1");
  await t.rejects(snap({ ref: "v1" }), { message: `ref v1 is both a branch and a tag of ${remote.url}; name refs/heads/v1 or refs/tags/v1` });
  await t.rejects(snap({ ref: "refs/heads/nope" }), {
    reason: "SourceFailed",
    message: `cannot fetch branch nope from ${remote.url}: couldn't find remote ref refs/heads/nope`,
  });
  const missing = "0123456789abcdef0123456789abcdef01234567";
  await t.rejects(snap({ ref: missing }), { reason: "SourceFailed", message: new RegExp(`^cannot fetch commit ${missing} from ${remote.url}: `) });
  t.equal(headOf(bySha.inputs[0]!), two, "a failed fetch leaves the checkout as it was");
});

t.test("URLs and refs that nfctl does not fetch are refused, in words", async (t) => {
  const transports = "use https://, ssh://, user@host:path, file:// or an absolute path";
  const badUrls: [string, string][] = [
    ["", "it is empty"],
    ["--upload-pack=touch /tmp/pwned", 'it starts with "-"'],
    ["-oProxyCommand=x@host:repo", 'it starts with "-"'],
    ["https://example.com/r .git", "it contains whitespace or a control character"],
    ["https://example.com/r.git\n", "it contains whitespace or a control character"],
    ["https://example.com/r\x00.git", "it contains whitespace or a control character"],
    ["http://example.com/r.git", `the http:// transport is not supported; ${transports}`],
    ["git://example.com/r.git", `the git:// transport is not supported; ${transports}`],
    ["ext::sh", transports],
    ["fd::3", transports],
    ["relative/repo.git", transports],
    ["host:repo.git", transports],
    ["ssh://-oProxyCommand=touch%20x/r.git", 'its user or host starts with "-"'],
    ["git@-example.com:r.git", 'its user or host starts with "-"'],
    ["-git@example.com:r.git", 'it starts with "-"'],
    ["ssh://example.com", "it names no repository"],
    ["https://", "it is not a URL"],
    ["file://host/srv/r.git", "a file:// URL names no host (file:///path)"],
  ];
  const query = 'it has a query or fragment ("?", "#"); give a token as https://user:TOKEN@host/path';
  // Shown with their user info, query and fragment hidden.
  const badShownUrls: [string, string, string][] = [
    ["ssh://-user@example.com/r.git", "ssh://***@example.com/r.git", 'its user or host starts with "-"'],
    ["ssh://%2Duser@example.com/r.git", "ssh://***@example.com/r.git", 'its user or host starts with "-"'],
    ["https://example.com/r.git?private_token=secret", "https://example.com/r.git?private_token=***", query],
    ["https://example.com/r.git#secret", "https://example.com/r.git#***", query],
    ["ssh://git:secret@example.com/r.git", "ssh://***@example.com/r.git", "ssh takes no password from the URL; use a key (ssh-agent)"],
    ["git:secret@example.com:r.git", "git:***@example.com:r.git", transports],
  ];
  for (const [url, shown, why] of badShownUrls) {
    t.throws(() => validateGitUrl(url), new SourceError("SourceFailed", `invalid git URL ${JSON.stringify(shown)}: ${why}`), shown);
  }
  const goodUrls = [
    "https://example.com/org/r.git",
    "https://ci:p%40ss@example.com/org/r.git",
    "https://[::1]:8443/r.git",
    "ssh://git@example.com:2222/r.git",
    "git@example.com:org/r.git",
    "file:///srv/r.git",
    "/srv/r.git",
  ];
  checkValidation(t, validateGitUrl, "URL", badUrls, goodUrls);
  t.throws(() => validateGitUrl("https://user:token@example.com/r .git"), {
    message: 'invalid git URL "https://***@example.com/r .git": it contains whitespace or a control character',
  });

  const chars = "it contains whitespace, a control character or one of ~^:?*[\\";
  const badRefs: [string, string][] = [
    ["", "it is empty"],
    ["-main", 'it starts with "-"'],
    ["--upload-pack=touch", 'it starts with "-"'],
    ["a..b", 'it contains ".."'],
    ["a b", chars],
    ["main~1", chars],
    ["main^", chars],
    ["a:b", chars],
    ["a?", chars],
    ["a*", chars],
    ["a[b", chars],
    ["a\\b", chars],
    ["a\tb", chars],
    ["main@{1}", 'it is "@" or contains "@{"'],
    ["@", 'it is "@" or contains "@{"'],
    ["/main", 'it starts or ends with "/", or contains "//"'],
    ["main/", 'it starts or ends with "/", or contains "//"'],
    ["a//b", 'it starts or ends with "/", or contains "//"'],
    ["main.", 'it ends with "."'],
    [".main", 'its component ".main" starts with "."'],
    ["a/.b", 'its component ".b" starts with "."'],
    ["main.lock", 'its component "main.lock" ends with ".lock"'],
    ["a/b.lock/c", 'its component "b.lock" ends with ".lock"'],
  ];
  checkValidation(t, validateGitRef, "ref", badRefs, [
    "main",
    "feature/x-1",
    "v1.0.0",
    "refs/heads/main",
    "refs/tags/v1",
    "0123456789abcdef0123456789ABCDEF01234567",
  ]);
});

/** Each bad value refused with "invalid git <what> <value>: <why>", each good one accepted. */
function checkValidation(t: Test, validate: (value: string) => void, what: string, bad: [string, string][], good: string[]): void {
  for (const [value, why] of bad) {
    t.throws(() => validate(value), new SourceError("SourceFailed", `invalid git ${what} ${JSON.stringify(value)}: ${why}`), JSON.stringify(value));
  }
  for (const value of good) t.doesNotThrow(() => validate(value), value);
}

t.test("option injection through the URL or the ref never reaches git", async (t) => {
  const root = tempDir(t);
  const pwned = join(root, "pwned");
  const remote = makeRemote(t);
  remote.commit({ "a.yaml": A });
  remote.push("main");
  const cacheDir = join(root, "cache");
  const attempts: Partial<GitSourceOptions>[] = [
    { url: `--upload-pack=touch ${pwned}` },
    { url: `--upload-pack=touch${pwned}` },
    { url: `-u${pwned}` },
    { url: `ext::sh -c touch% ${pwned}` },
    { url: `ssh://-oProxyCommand=touch%20${pwned}/r.git` },
    { url: `-oProxyCommand=touch${pwned}@host:r.git` },
    { ref: `--upload-pack=touch${pwned}` },
    { ref: `main --upload-pack=touch ${pwned}` },
    { ref: `--output=${pwned}` },
  ];
  for (const attempt of attempts) {
    await t.rejects(
      gitSnapshot({ url: remote.url, cacheDir, timeoutMs: 30_000, ...attempt }),
      { name: "SourceError", reason: "SourceFailed" },
      JSON.stringify(attempt),
    );
  }
  t.notOk(existsSync(pwned), "nothing ran");
  t.notOk(existsSync(cacheDir), "no cache made: refused before any git command");
});

t.test("git-group.js runs git and exits as git did", async (t) => {
  const wrapper = fileURLToPath(new URL("../../src/sources/git-group.js", import.meta.url));
  const run = (args: string[]) => spawnSync(process.execPath, [wrapper, ...args], { encoding: "utf8", env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } });
  const version = run(["--version"]);
  t.equal(version.status, 0);
  t.match(version.stdout, /^git version \d/);
  const failed = run(["-C", tempDir(t), "rev-parse", "--verify", "--quiet", "HEAD"]);
  t.equal(failed.status, 128, "git's exit status, passed on");
});

/** A TCP server on 127.0.0.1 that accepts and never answers, closed at the end of the test; its port, and how many connected. */
async function silentServer(t: Test): Promise<{ port: number; connections: () => number }> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.teardown(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return { port: address.port, connections: () => connections };
}

/** The pids of the processes whose command line holds `text`. */
function processesWith(text: string): string[] {
  return readdirSync("/proc")
    .filter((pid) => /^\d+$/.test(pid))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(text);
      } catch {
        return false;
      }
    });
}

/** A process's environment, or undefined once it is gone. */
function environOf(pid: string): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
  } catch {
    return undefined;
  }
}

t.test("every git operation has a timeout: an https server that never answers", async (t) => {
  const server = await silentServer(t);
  const url = `https://127.0.0.1:${server.port}/r.git`;
  const cacheDir = tempDir(t, "nfctl-test-cache-");

  const started = Date.now();
  // Long enough for git (and node, for git-group.js) to start on a busy machine, and connect.
  const timeoutMs = 3000;
  await t.rejects(
    gitSnapshot({ url, cacheDir, timeoutMs }),
    new SourceError("SourceFailed", `cannot list the HEAD of ${url}: git timed out after ${timeoutMs} ms`),
  );
  const took = Date.now() - started;
  t.ok(took >= timeoutMs && took < timeoutMs + 5000, `refused after ${took} ms`);
  t.ok(server.connections() >= 1, "git did connect and wait");

  // git and its https helper are gone: no process still holds the URL.
  const holders = () => processesWith(`127.0.0.1:${server.port}`);
  const deadline = Date.now() + 3000;
  while (holders().length > 0 && Date.now() < deadline) await sleep(50);
  const left = holders();
  for (const pid of left) process.kill(Number(pid), "SIGKILL"); // started by this test, through git
  t.same(left, [], "no git process is left");
});

t.test("an https URL's credentials reach git in its environment, never on a command line, nor in the error", async (t) => {
  const server = await silentServer(t);
  const secret = "s3cr3t-t0ken";
  const url = `https://ci:${secret}@127.0.0.1:${server.port}/r.git`;
  const timeoutMs = 3000;
  const snapshot = gitSnapshot({ url, cacheDir: tempDir(t, "nfctl-test-cache-"), timeoutMs });
  // While git waits on the silent server: every process that holds the URL, and what each was given.
  await waitFor(() => server.connections() >= 1, timeoutMs, "git to connect");
  const gits = processesWith(`127.0.0.1:${server.port}`);
  const environments = gits.map(environOf);
  t.same(processesWith(secret), [], "no command line holds the password");
  t.ok(gits.length >= 1, "git runs with the URL on its command line");
  const header = `GIT_CONFIG_VALUE_0=Authorization: Basic ${Buffer.from(`ci:${secret}`).toString("base64")}`;
  t.ok(
    environments.some((env) => env?.includes(header)),
    "git's environment carries the credentials as a header",
  );
  await t.rejects(
    snapshot,
    new SourceError("SourceFailed", `cannot list the HEAD of https://***@127.0.0.1:${server.port}/r.git: git timed out after ${timeoutMs} ms`),
  );
});
