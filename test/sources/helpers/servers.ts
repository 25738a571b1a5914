/**
 * Real git remotes as users have them, for the git source tests: Debian's
 * openssh-server, and git's own http-backend behind lighttpd with TLS and
 * basic auth. Each server runs in the foreground with its own config in a
 * temporary directory, on 127.0.0.1 and a port the test picks, and is
 * stopped (SIGTERM, then SIGKILL) when the test ends, passed or failed.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { join } from "node:path";
import { git, type Remote } from "./git-fixtures.js";
import { sleep, tempDir, type Teardown } from "./temp.js";

/** A port on 127.0.0.1 that was free a moment ago (the kernel's pick for port 0). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
function accepts(port: number, ns?: string): Promise<boolean> {
  // In another network namespace: a shell's /dev/tcp there (a socket of this process would be in ours).
  if (ns !== undefined)
    return Promise.resolve(
      spawnSync("nsenter", [`--net=/run/netns/${ns}`, "bash", "-c", `exec 3<>/dev/tcp/127.0.0.1/${port}`], { stdio: "ignore" }).status === 0,
    );
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/**
 * Starts `command` in the foreground and waits until it accepts
 * connections on `port`; fails naming `log` (its error log) if it exits or
 * does not listen within 10 s. Stopped at teardown. With `ns`, it runs in
 * that network namespace (a lab's, where nfctl runs), on its 127.0.0.1.
 */
export async function startServer(t: Teardown, command: string[], port: number, log: string, ns?: string): Promise<ChildProcess> {
  const argv = ns === undefined ? command : ["nsenter", `--net=/run/netns/${ns}`, ...command];
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  t.teardown(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const late = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(late);
  });
  const deadline = Date.now() + 10_000;
  while (!(await accepts(port, ns))) {
    const why = () => `${stderr}${existsSync(log) ? readFileSync(log, "utf8") : ""}`;
    if (child.exitCode !== null) throw new Error(`${command[0]} exited with ${child.exitCode}: ${why()}`);
    if (Date.now() > deadline) throw new Error(`${command[0]} did not listen on 127.0.0.1:${port} within 10 s: ${why()}`);
    await sleep(20);
  }
  return child;
}

/**
 * A self-signed certificate for 127.0.0.1 (an EC key, valid one day) made
 * with openssl in `dir`: cert.pem, the CA a client is told to trust, and
 * key.pem.
 */
export function selfSignedCert(dir: string): { cert: string; key: string } {
  const cert = join(dir, "cert.pem");
  const key = join(dir, "key.pem");
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
    ].concat(["-keyout", key, "-out", cert]),
    { stdio: "ignore" },
  );
  return { cert, key };
}

/** A new ed25519 key without passphrase at `path` (and `path`.pub); returns the public key's line. */
function sshKey(path: string): string {
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "nfctl-test", "-f", path], { stdio: "ignore" });
  return readFileSync(`${path}.pub`, "utf8").trim();
}

export interface SshServer {
  port: number;
  /** ssh://root@127.0.0.1:PORT + the bare repository's path. */
  url(remote: Remote): string;
  /** The directory of the client's files (keys, known_hosts): give it to the user nfctl runs as. */
  client: string;
  /** GIT_SSH_COMMAND with the key the server accepts (or another, `wrongKey`), the host key pinned. */
  sshCommand(options?: { wrongKey?: boolean }): string;
}

/**
 * Debian's sshd on 127.0.0.1: a host key and a client key made here, the
 * client's public key the only authorized one, for root (the tests' user),
 * by key only. The privilege separation directory sshd needs is made when
 * missing.
 */
export async function sshServer(t: Teardown): Promise<SshServer> {
  const dir = tempDir(t, "nfctl-test-sshd-");
  const client = tempDir(t, "nfctl-test-ssh-client-");
  const port = await freePort();
  const hostKey = sshKey(join(dir, "host_ed25519"));
  writeFileSync(join(dir, "authorized_keys"), `${sshKey(join(client, "id_ed25519"))}\n`);
  sshKey(join(client, "other_ed25519"));
  writeFileSync(join(client, "known_hosts"), `[127.0.0.1]:${port} ${hostKey.split(" ").slice(0, 2).join(" ")}\n`);
  const log = join(dir, "sshd.log");
  writeFileSync(
    join(dir, "sshd_config"),
    [
      `HostKey ${join(dir, "host_ed25519")}`,
      `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
      `PidFile ${join(dir, "sshd.pid")}`,
      "PermitRootLogin prohibit-password",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "UsePAM no",
      // The temporary directories are not root's alone, as StrictModes wants.
      "StrictModes no",
      "",
    ].join("\n"),
  );
  if (!existsSync("/run/sshd")) mkdirSync("/run/sshd", { mode: 0o755 });
  // sshd re-executes itself, so it needs its absolute path.
  await startServer(
    t,
    ["/usr/sbin/sshd", "-D", "-e", "-f", join(dir, "sshd_config"), "-p", String(port), "-o", "ListenAddress=127.0.0.1", "-E", log],
    port,
    log,
  );
  return {
    port,
    client,
    url: (remote) => `ssh://root@127.0.0.1:${port}${remote.bare}`,
    sshCommand: ({ wrongKey = false } = {}) =>
      `ssh -i ${join(client, wrongKey ? "other_ed25519" : "id_ed25519")} -o IdentitiesOnly=yes -o UserKnownHostsFile=${join(client, "known_hosts")} -o StrictHostKeyChecking=yes -o BatchMode=yes`,
  };
}

export interface HttpsServer {
  port: number;
  /** https://127.0.0.1:PORT/git/ + the repository's directory name, with `credentials` (user:password) when given. */
  url(credentials?: string): string;
  /** The self-signed certificate (PEM) git is told to trust, with GIT_SSL_CAINFO. */
  ca: string;
}

/**
 * git's http-backend (CGI) behind Debian's lighttpd, serving `remote`'s
 * bare repository over TLS (a self-signed certificate for 127.0.0.1) to the
 * one user `user` with password `password` (basic auth).
 */
export async function httpsServer(t: Teardown, remote: Remote, user: string, password: string): Promise<HttpsServer> {
  const dir = tempDir(t, "nfctl-test-lighttpd-");
  const port = await freePort();
  const { cert: ca, key } = selfSignedCert(dir);
  // Read by the user nfctl runs as (nobody, when the tests run as root); key.pem stays 0600.
  chmodSync(dir, 0o755);
  chmodSync(ca, 0o644);
  const users = join(dir, "users");
  writeFileSync(users, `${user}:${password}\n`);
  mkdirSync(join(dir, "www"));
  // http-backend serves the repositories of GIT_PROJECT_ROOT: the remote's directory.
  const root = join(remote.bare, "..");
  git(remote.bare, ["config", "http.receivepack", "false"]);
  const log = join(dir, "error.log");
  const quoted = JSON.stringify;
  writeFileSync(
    join(dir, "lighttpd.conf"),
    [
      `server.modules = ("mod_openssl", "mod_auth", "mod_authn_file", "mod_alias", "mod_setenv", "mod_cgi")`,
      `server.document-root = ${quoted(join(dir, "www"))}`,
      `server.bind = "127.0.0.1"`,
      `server.port = ${port}`,
      `server.errorlog = ${quoted(log)}`,
      `ssl.engine = "enable"`,
      `ssl.pemfile = ${quoted(ca)}`,
      `ssl.privkey = ${quoted(key)}`,
      `auth.backend = "plain"`,
      `auth.backend.plain.userfile = ${quoted(users)}`,
      `auth.require = ("/git/" => ("method" => "basic", "realm" => "git", "require" => "valid-user"))`,
      `alias.url = ("/git" => "/usr/lib/git-core/git-http-backend")`,
      `$HTTP["url"] =~ "^/git" {`,
      `  cgi.assign = ("" => "")`,
      `  setenv.set-environment = ("GIT_PROJECT_ROOT" => ${quoted(root)}, "GIT_HTTP_EXPORT_ALL" => "")`,
      `}`,
      "",
    ].join("\n"),
  );
  await startServer(t, ["/usr/sbin/lighttpd", "-D", "-f", join(dir, "lighttpd.conf")], port, log);
  const name = remote.bare.slice(root.length);
  return { port, ca, url: (credentials) => `https://${credentials === undefined ? "" : `${credentials}@`}127.0.0.1:${port}/git${name}` };
}
