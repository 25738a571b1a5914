/**
 * Commit signatures against an OpenPGP keyring file, in a throw-away
 * GNUPGHOME: the keyring is imported there (every key in it trusted, no
 * other), git checks the commit with that home, and the home is removed,
 * failed or not. No gpg-agent is started (a signature check needs none;
 * gpg.conf says no-autostart), and gpgconf stops any that did.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, chmodSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { SourceError, describeError } from "./snapshot.js";

export interface SignatureCheck {
  /** The keyring file (gpg --export output). */
  keyring: string;
  /** The commit, 40 hex. */
  sha: string;
  /** The commit as messages name it: "commit 1a2b3c4 on main of https://…". */
  describe: string;
  /** The longest gpg may take for the import. */
  timeoutMs: number;
  /** Runs git in the repository, with `env` added to its environment. */
  git: (args: string[], env: Record<string, string>) => Promise<string>;
}

/**
 * Resolves when the commit carries a good signature by a key of the
 * keyring; throws SourceError "VerificationFailed" saying why not (not
 * signed, signed by a key outside the keyring, a bad, expired or revoked
 * signature), or "SourceFailed" when the keyring cannot be read.
 */
export async function verifyCommitSignature(check: SignatureCheck): Promise<void> {
  const keyring = resolve(check.keyring);
  try {
    if (!statSync(keyring).isFile()) throw new Error("not a regular file");
  } catch (err) {
    throw new SourceError("SourceFailed", `cannot read the keyring ${keyring}: ${describeError(err)}`, { cause: err });
  }
  const home = mkdtempSync(join(tmpdir(), "nfctl-gnupg-"));
  try {
    chmodSync(home, 0o700);
    // trust-model always: the keyring is the trust; a key imported from it is valid without signatures on it.
    writeFileSync(join(home, "gpg.conf"), "no-autostart\ntrust-model always\n", { mode: 0o600 });
    try {
      await run("gpg", ["--batch", "--quiet", "--no-tty", "--homedir", home, "--import", "--", keyring], home, check.timeoutMs);
    } catch (err) {
      throw new SourceError("SourceFailed", `cannot import the keyring ${keyring}: ${lastLine(err)}`, { cause: err });
    }
    const out = await check.git(["log", "-1", "--no-show-signature", "--format=%G?%x00%GK%x00%GF", check.sha], { GNUPGHOME: home });
    const [status = "", keyId = "", fingerprint = ""] = out.trim().split("\0");
    const key = fingerprint !== "" ? fingerprint : keyId;
    const refuse = (why: string): never => {
      throw new SourceError("VerificationFailed", `${check.describe} ${why}`);
    };
    switch (status) {
      case "G":
        return;
      case "N":
        return refuse("is not signed");
      case "E":
        return refuse(
          key !== "" ? `is signed by key ${key} which is not in the keyring ${keyring}` : `has a signature that cannot be checked with the keyring ${keyring}`,
        );
      case "B":
        return refuse(`has a bad signature (key ${key}): the commit is not what was signed`);
      case "X":
        return refuse(`has an expired signature by key ${key}`);
      case "Y":
        return refuse(`is signed by key ${key}, which has expired`);
      case "R":
        return refuse(`is signed by key ${key}, which is revoked`);
      default:
        return refuse(`has a signature that the keyring ${keyring} does not vouch for (git's status ${JSON.stringify(status)}, key ${key || "unknown"})`);
    }
  } finally {
    // Nothing should have started an agent; stop one all the same, then remove the home.
    await run("gpgconf", ["--homedir", home, "--kill", "all"], home, 10_000).catch(() => undefined);
    rmSync(home, { recursive: true, force: true });
  }
}

/** Runs a gpg tool with only PATH and GNUPGHOME set; rejects with its stderr. */
function run(file: string, args: string[], home: string, timeoutMs: number): Promise<string> {
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", GNUPGHOME: home, LC_ALL: "C" };
  return new Promise((resolvePromise, reject) => {
    execFile(file, args, { env, timeout: timeoutMs, killSignal: "SIGKILL", encoding: "utf8" }, (error, stdout, stderr) => {
      if (error) reject(new Error(stderr.trim() !== "" ? stderr : error.killed ? `${file} timed out after ${timeoutMs} ms` : error.message));
      else resolvePromise(stdout);
    });
  });
}

function lastLine(err: unknown): string {
  const lines = (err instanceof Error ? err.message : String(err))
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "");
  return (lines.at(-1) ?? "gpg failed").replace(/^gpg: /, "");
}
