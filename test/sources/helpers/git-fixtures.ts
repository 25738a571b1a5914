/**
 * Local git remotes and throw-away gpg keys for the git source tests. A
 * remote is a bare repository in a temporary directory with a work tree
 * beside it that commits and pushes; a key lives in its own GNUPGHOME,
 * whose gpg-agent (started by the key's generation and by signing) is
 * stopped through that home, and the home removed, when the test ends.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { gitSnapshot, type GitSourceOptions } from "../../../src/sources/git.js";
import type { Snapshot } from "../../../src/sources/snapshot.js";
import { tempDir, type Teardown } from "./temp.js";

/** An environment of PATH and what is given: no ambient git or gpg settings, no system git config. */
function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? "/usr/bin:/bin", LC_ALL: "C", GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null", ...extra };
}

export function git(cwd: string, args: string[], env: Record<string, string> = {}): string {
  return execFileSync("git", args, { cwd, env: cleanEnv(env), encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
}

export interface GpgKey {
  home: string;
  fingerprint: string;
  /** The long key id (the last 16 hex digits of the fingerprint). */
  keyId: string;
  /** Writes the public key (gpg --export) to `path`, armored or binary. */
  exportTo(path: string, armor: boolean): string;
}

/** A new RSA key without passphrase for `uid`, in its own GNUPGHOME. */
export function gpgKey(t: Teardown, uid: string): GpgKey {
  // Not tempDir: the agent must be stopped before its home goes.
  const home = realpathSync(mkdtempSync(join(tmpdir(), "nfctl-test-gpg-")));
  t.teardown(() => {
    try {
      execFileSync("gpgconf", ["--homedir", home, "--kill", "all"], { env: cleanEnv({ GNUPGHOME: home }), stdio: "ignore" });
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
  const gpg = (args: string[]) =>
    execFileSync("gpg", ["--batch", "--homedir", home, ...args], { env: cleanEnv({ GNUPGHOME: home }), stdio: ["ignore", "pipe", "pipe"] });
  gpg(["--passphrase", "", "--quick-gen-key", uid, "default", "default", "never"]);
  const fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec(gpg(["--with-colons", "--list-keys", uid]).toString("utf8"))?.[1];
  if (fingerprint === undefined) throw new Error(`gpg made no key for ${uid}`);
  return {
    home,
    fingerprint,
    keyId: fingerprint.slice(-16),
    exportTo: (path, armor) => {
      writeFileSync(path, gpg([...(armor ? ["--armor"] : []), "--export", fingerprint]));
      return path;
    },
  };
}

export interface Remote {
  /** The bare repository, and its file:// URL. */
  bare: string;
  url: string;
  /** The work tree that commits and pushes. */
  work: string;
  /**
   * Writes `files` (a null removes one; a value {symlink} makes a link), commits
   * them (signed with `key` when given) and returns the sha; pushes nothing.
   */
  commit(files: Record<string, string | null | { symlink: string }>, options?: { message?: string; key?: GpgKey }): string;
  /** Pushes the work tree's `ref` (force when asked). */
  push(ref: string, options?: { force?: boolean }): void;
  git(args: string[]): string;
}

/** A bare remote whose HEAD names `head` (default: main), with an empty work tree on branch main. */
export function makeRemote(t: Teardown, head = "main"): Remote {
  const root = tempDir(t, "nfctl-test-git-");
  const bare = join(root, "remote.git");
  const work = join(root, "work");
  git(root, ["init", "--quiet", "--bare", bare]);
  git(bare, ["symbolic-ref", "HEAD", `refs/heads/${head}`]);
  git(root, ["init", "--quiet", "--initial-branch=main", work]);
  let count = 0;
  return {
    bare,
    url: `file://${bare}`,
    work,
    git: (args) => git(work, args),
    commit: (files, options = {}) => {
      for (const [name, content] of Object.entries(files)) {
        const path = join(work, name);
        rmSync(path, { recursive: true, force: true });
        if (content === null) continue;
        mkdirSync(dirname(path), { recursive: true });
        if (typeof content === "string") writeFileSync(path, content);
        else symlinkSync(content.symlink, path);
      }
      git(work, ["add", "--all"]);
      count += 1;
      const identity = ["-c", "user.name=nfctl test", "-c", "user.email=test@nfctl.invalid"];
      const sign = options.key ? ["-c", "gpg.program=gpg", "-c", `user.signingkey=${options.key.fingerprint}`] : [];
      const env: Record<string, string> = options.key ? { GNUPGHOME: options.key.home } : {};
      git(
        work,
        [...identity, ...sign, "commit", "--quiet", "--allow-empty", ...(options.key ? ["-S"] : ["--no-gpg-sign"]), "-m", options.message ?? `commit ${count}`],
        env,
      );
      return git(work, ["rev-parse", "HEAD"]);
    },
    push: (ref, options = {}) => {
      git(work, ["push", "--quiet", ...(options.force ? ["--force"] : []), bare, ref]);
    },
  };
}

/** The digest as the sources document it, computed here independently: key NUL length NUL bytes, sorted by key. */
export function expectedDigest(files: Record<string, string>): string {
  const hash = createHash("sha256");
  for (const key of Object.keys(files).sort()) {
    const bytes = Buffer.from(files[key]!);
    hash.update(`${key}\0${bytes.length}\0`);
    hash.update(bytes);
  }
  return hash.digest("hex");
}

/** gitSnapshot of `remote` into a cache of this test, with options added. */
export function source(t: Teardown, remote: Remote): (extra?: Partial<GitSourceOptions>) => Promise<Snapshot> {
  const cacheDir = tempDir(t, "nfctl-test-cache-");
  return (extra = {}) => gitSnapshot({ url: remote.url, cacheDir, timeoutMs: 30_000, ...extra });
}

/** The commit checked out in `checkout`. */
export const headOf = (checkout: string) => git(checkout, ["rev-parse", "HEAD"]);
