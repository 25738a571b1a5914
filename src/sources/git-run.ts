/**
 * Running git safely, for the git sources: simple-git in one directory, a
 * hard timeout, the environment reduced to what git needs, no hooks, and a
 * failure as one SourceError line with git's own reason. Every argument is
 * a constant, validated, or a sha git printed.
 *
 * @example
 *     const run = gitRunner(checkout, url, 60_000);
 *     await run(["rev-parse", "--verify", "--end-of-options", "HEAD^{commit}"], "find the commit checked out");
 */
import { fileURLToPath } from "node:url";
import { simpleGit, GitPluginError, type SimpleGit } from "simple-git";
import { SourceError } from "./snapshot.js";
import { redactUrl } from "./git-url.js";

/** A full commit sha, as git prints it. */
export const SHA = /^[0-9a-f]{40}$/i;

/** Runs git with `args` in its directory; a failure is a SourceError "cannot <what>: <git's message>". */
export type GitRun = (args: string[], what: string, env?: Record<string, string>) => Promise<string>;

/**
 * Per-command config: no hooks run (the cache's own are git's samples, but
 * a hook would run code), no file-system monitor (a command git runs on
 * status), and the default gpg, whatever the user's config says.
 */
const GIT_CONFIG = ["core.hooksPath=/dev/null", "core.fsmonitor=false", "gpg.program=gpg"];

/** What of nfctl's environment reaches git: a search path, ssh's agent and keys, proxies and CAs; GIT_TERMINAL_PROMPT=0 so nothing waits for a password. */
const PASSED_ENV = [
  "PATH",
  "HOME",
  "TMPDIR",
  "SSH_AUTH_SOCK",
  "http_proxy",
  "https_proxy",
  "HTTPS_PROXY",
  "all_proxy",
  "ALL_PROXY",
  "no_proxy",
  "NO_PROXY",
  "SSL_CERT_FILE",
  "SSL_CERT_DIR",
  "GIT_SSL_CAINFO",
  "GIT_SSL_CAPATH",
];
/** GIT_CONFIG_*: the one header gitRemote (git-url.ts) makes of an https URL's credentials. */
const ALLOWED_GIT_ENV = ["GIT_TERMINAL_PROMPT", "GIT_SSL_CAINFO", "GIT_SSL_CAPATH", "GIT_CONFIG_COUNT", "GIT_CONFIG_KEY_0", "GIT_CONFIG_VALUE_0"];

/**
 * The commands that talk to a remote over the network run through
 * git-group.js, which ends git's transport helper with git at a timeout
 * (git alone would leave git-remote-https or ssh waiting on a silent
 * server). A local repository (file://, a path) needs none: git's
 * upload-pack child ends with git.
 */
const NETWORK_COMMANDS = new Set(["ls-remote", "fetch"]);
const isLocal = (url: string) => url.startsWith("/") || /^file:\/\//i.test(url);
const GIT_GROUP = fileURLToPath(new URL("./git-group.js", import.meta.url));

/**
 * A GitRun in `baseDir`. `url` is the remote its commands talk to (for a
 * local work tree, its path): it decides whether they run through
 * git-group.js, and messages show it as redactUrl does. `remoteEnv` is
 * gitRemote's, passed to every command.
 */
export function gitRunner(baseDir: string, url: string, timeoutMs: number, remoteEnv: Record<string, string> = {}): GitRun {
  return async (args, what, extraEnv = {}) => {
    const env: Record<string, string> = { LC_ALL: "C", GIT_TERMINAL_PROMPT: "0", ...remoteEnv };
    for (const key of PASSED_ENV) {
      const value = process.env[key];
      if (value !== undefined) env[key] = value;
    }
    const git: SimpleGit = simpleGit({
      baseDir,
      // A hard limit: output does not reset it.
      timeout: { block: timeoutMs, stdOut: false, stdErr: false },
      config: GIT_CONFIG,
      ...(NETWORK_COMMANDS.has(args[0] ?? "") && !isLocal(url) ? { binary: [process.execPath, GIT_GROUP] as [string, string] } : {}),
      // Only for the constants of GIT_CONFIG (which switch hooks and the monitor off) and GIT_GROUP (whose path may hold any character), and gitRemote's header; every other argument is validated or a sha git printed.
      unsafe: {
        allowUnsafeHooksPath: true,
        allowUnsafeFsMonitor: true,
        allowUnsafeGpgProgram: true,
        allowUnsafeCustomBinary: true,
        allowUnsafeConfigEnvCount: true,
      },
      allowEnvironment: ALLOWED_GIT_ENV,
      maxConcurrentProcesses: 1,
    }).env({ ...env, ...extraEnv });
    try {
      return await git.raw(args);
    } catch (err) {
      if (err instanceof GitPluginError && err.plugin === "timeout") {
        throw new SourceError("SourceFailed", `cannot ${what}: git timed out after ${timeoutMs} ms`, { cause: err });
      }
      throw new SourceError("SourceFailed", `cannot ${what}: ${gitMessage(err, url)}`, { cause: err });
    }
  };
}

/** git's own reason in one line: its first fatal: or error: line (the later ones are generic), else its last line; the URL's credentials hidden. */
function gitMessage(err: unknown, url: string): string {
  const text = (err instanceof Error ? err.message : String(err)).split(url).join(redactUrl(url));
  const lines = text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "");
  const reason = lines.find((line) => /^(fatal|error):/.test(line)) ?? lines.at(-1) ?? "git failed";
  return reason.replace(/^(fatal|error):\s*/, "");
}
