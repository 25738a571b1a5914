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
/**
 * How the operator (trusted: nfctl's own environment, never a repository)
 * tells git to authenticate: ssh's command (a key, a pinned known_hosts),
 * a program that answers git's password prompt. A credential helper comes
 * as git's own GIT_CONFIG_COUNT/KEY_n/VALUE_n (operatorConfig), or from
 * $HOME/.gitconfig.
 */
const PASSED_CREDENTIAL_ENV = ["GIT_SSH_COMMAND", "GIT_SSH", "GIT_ASKPASS"];

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
    const env: Record<string, string> = { LC_ALL: "C", GIT_TERMINAL_PROMPT: "0", ...configEnv([...configEntries(remoteEnv), ...operatorConfig()]) };
    for (const key of [...PASSED_ENV, ...PASSED_CREDENTIAL_ENV]) {
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
        // The operator's GIT_SSH_COMMAND, GIT_ASKPASS and credential.helper (PASSED_CREDENTIAL_ENV, operatorConfig).
        allowUnsafeSshCommand: true,
        allowUnsafeAskPass: true,
        allowUnsafeCredentialHelper: true,
      },
      // What nfctl itself put in git's environment, and nothing of its own environment else.
      allowEnvironment: Object.keys(env),
      maxConcurrentProcesses: 1,
    }).env({ ...env, ...extraEnv });
    try {
      return await git.raw(args);
    } catch (err) {
      if (err instanceof GitPluginError && err.plugin === "timeout") {
        throw new SourceError("SourceFailed", `cannot ${what}: git timed out after ${timeoutMs} ms`, { cause: err });
      }
      throw new SourceError("SourceFailed", `cannot ${what}: ${credentialsHint(gitMessage(err, url), remoteEnv)}`, { cause: err });
    }
  };
}

/** A config entry given to git in its environment (GIT_CONFIG_KEY_n, GIT_CONFIG_VALUE_n). */
type ConfigEntry = [key: string, value: string];

/** The entries of an environment's GIT_CONFIG_COUNT/KEY_n/VALUE_n. */
function configEntries(env: Record<string, string | undefined>): ConfigEntry[] {
  const count = Number(env.GIT_CONFIG_COUNT ?? "0");
  const entries: ConfigEntry[] = [];
  for (let i = 0; i < (Number.isInteger(count) ? count : 0); i++) {
    const key = env[`GIT_CONFIG_KEY_${i}`];
    if (key !== undefined) entries.push([key, env[`GIT_CONFIG_VALUE_${i}`] ?? ""]);
  }
  return entries;
}

/**
 * The git config the operator gave nfctl in its environment, e.g.
 * `GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=credential.helper
 * GIT_CONFIG_VALUE_0="store --file=/etc/nfctl/git-credentials"`: passed on
 * after gitRemote's header, renumbered.
 */
function operatorConfig(): ConfigEntry[] {
  return configEntries(process.env);
}

/** `entries` as GIT_CONFIG_COUNT/KEY_n/VALUE_n (nothing for none). */
function configEnv(entries: ConfigEntry[]): Record<string, string> {
  if (entries.length === 0) return {};
  const env: Record<string, string> = { GIT_CONFIG_COUNT: String(entries.length) };
  entries.forEach(([key, value], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = key;
    env[`GIT_CONFIG_VALUE_${i}`] = value;
  });
  return env;
}

/**
 * A server that wants credentials (HTTP 401) makes git ask for a user name,
 * which it may not (GIT_TERMINAL_PROMPT=0): said as what happened, the
 * URL's credentials refused, or none given.
 */
function credentialsHint(reason: string, remoteEnv: Record<string, string>): string {
  if (!/^could not read Username for /.test(reason)) return reason;
  if (remoteEnv.GIT_CONFIG_KEY_0 === "http.extraHeader") return "the server refused the credentials of the URL";
  return `${reason}: the server asks for credentials; give them with a credential helper or in the URL (README.md, "Git credentials")`;
}

/** git's own reason in one line: its first fatal: or error: line (the later ones are generic), else its last line; the URL's credentials hidden. */
function gitMessage(err: unknown, url: string): string {
  const text = (err instanceof Error ? err.message : String(err)).split(url).join(redactUrl(url));
  const lines = text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "");
  const at = lines.findIndex((line) => /^(fatal|error):/.test(line));
  const reason = at === -1 ? (lines.at(-1) ?? "git failed") : lines[at]!.replace(/^(fatal|error):\s*/, "");
  // git's words for any failure of its ssh: ssh's own line before them says why (a refused key, an unknown host key).
  return reason === "Could not read from remote repository." && at > 0 ? lines[at - 1]! : reason;
}
