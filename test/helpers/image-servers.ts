/**
 * Real servers for the image tests, started in a lab's network namespace
 * (where nfctl runs) on its 127.0.0.1: Debian's docker-registry (the CNCF
 * distribution registry) with TLS and htpasswd auth, and lighttpd serving
 * files over TLS, optionally throttled. Each is stopped when the test
 * ends, passed or failed; skopeo and the probes run in the same namespace.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { sleep, tempDir, type Teardown } from "../sources/helpers/temp.js";

/** Runs `command` in network namespace `ns`. */
function inNs(ns: string, command: string[]): string[] {
  return ["nsenter", `--net=/run/netns/${ns}`, ...command];
}

/** Whether something accepts TCP connections on 127.0.0.1:`port` in `ns`. */
function acceptsIn(ns: string, port: number): boolean {
  return spawnSync("nsenter", [`--net=/run/netns/${ns}`, "bash", "-c", `exec 3<>/dev/tcp/127.0.0.1/${port}`], { stdio: "ignore" }).status === 0;
}

/** Starts `command` in `ns`, waits until it listens on `port` (10 s), stops it (SIGTERM, then SIGKILL) at teardown. */
async function startIn(t: Teardown, ns: string, command: string[], port: number): Promise<void> {
  const [file, ...args] = inNs(ns, command);
  const child = spawn(file!, args, { stdio: ["ignore", "ignore", "pipe"] });
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
  while (!acceptsIn(ns, port)) {
    if (child.exitCode !== null) throw new Error(`${command[0]} exited with ${child.exitCode}: ${stderr}`);
    if (Date.now() > deadline) throw new Error(`${command[0]} did not listen on 127.0.0.1:${port} in ${ns} within 10 s: ${stderr}`);
    await sleep(50);
  }
}

/** A self-signed certificate for 127.0.0.1 in `dir`: cert.pem, key.pem, and ca.crt (the same certificate, as skopeo's --cert-dir wants it). */
function certificate(dir: string): string {
  execFileSync(
    "openssl",
    ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"].concat([
      "-keyout",
      join(dir, "key.pem"),
      "-out",
      join(dir, "cert.pem"),
    ]),
    { stdio: "ignore" },
  );
  const pem = readFileSync(join(dir, "cert.pem"), "utf8");
  writeFileSync(join(dir, "ca.crt"), pem);
  return pem;
}

export interface LabRegistry {
  /** 127.0.0.1:PORT */
  host: string;
  /** The registry's certificate file (PEM): nfctl's --ca-file. */
  caFile: string;
  /** A directory with ca.crt: skopeo's --cert-dir. */
  certDir: string;
  username: string;
  password: string;
  /** A docker-style config.json with the credentials: nfctl's --registry-config. */
  authFile: string;
  /** The registry's storage: docker/registry/v2/blobs/sha256/<2>/<hex>/data holds each blob. */
  storage: string;
  /** Runs skopeo in the registry's namespace with its credentials and CA; throws with skopeo's stderr on failure. */
  skopeo(args: string[]): string;
}

/** docker-registry on 127.0.0.1:`port` in `ns`, TLS with a self-signed certificate, htpasswd (bcrypt) auth for one user. */
export async function registryIn(t: Teardown, ns: string, port = 5443): Promise<LabRegistry> {
  const dir = tempDir(t, "nfctl-test-registry-");
  certificate(dir);
  const username = "nf-author";
  const password = "s3cret-registry-password";
  writeFileSync(join(dir, "htpasswd"), execFileSync("htpasswd", ["-Bbn", username, password], { encoding: "utf8" }));
  const storage = join(dir, "data");
  mkdirSync(storage);
  const config = join(dir, "config.yml");
  writeFileSync(
    config,
    [
      "version: 0.1",
      "log: { level: error }",
      `storage: { filesystem: { rootdirectory: ${storage} }, delete: { enabled: true } }`,
      `http: { addr: "127.0.0.1:${port}", tls: { certificate: ${join(dir, "cert.pem")}, key: ${join(dir, "key.pem")} } }`,
      `auth: { htpasswd: { realm: nfctl-test, path: ${join(dir, "htpasswd")} } }`,
      "",
    ].join("\n"),
  );
  const host = `127.0.0.1:${port}`;
  const authFile = join(dir, "auth.json");
  writeFileSync(authFile, JSON.stringify({ auths: { [host]: { auth: Buffer.from(`${username}:${password}`).toString("base64") } } }));
  await startIn(t, ns, ["docker-registry", "serve", config], port);
  const skopeo = (args: string[]): string => {
    const [file, ...rest] = inNs(ns, ["skopeo", ...args]);
    const r = spawnSync(file!, rest, { encoding: "utf8", env: { ...process.env, REGISTRY_AUTH_FILE: authFile } });
    if (r.status !== 0) throw new Error(`skopeo ${args.join(" ")}: ${r.stderr}`);
    return r.stdout;
  };
  return { host, caFile: join(dir, "cert.pem"), certDir: dir, username, password, authFile, storage, skopeo };
}

export interface LabFileServer {
  /** https://127.0.0.1:PORT/ */
  url: string;
  caFile: string;
  /** The directory it serves. */
  root: string;
}

/** lighttpd serving `root` over TLS on 127.0.0.1:`port` in `ns`; with `kbytesPerSecond`, each connection is throttled to it. */
export async function fileServerIn(t: Teardown, ns: string, options: { port?: number; kbytesPerSecond?: number } = {}): Promise<LabFileServer> {
  const port = options.port ?? 8443;
  const dir = tempDir(t, "nfctl-test-files-");
  certificate(dir);
  writeFileSync(join(dir, "server.pem"), readFileSync(join(dir, "cert.pem"), "utf8") + readFileSync(join(dir, "key.pem"), "utf8"));
  const root = join(dir, "www");
  mkdirSync(root);
  const config = join(dir, "lighttpd.conf");
  writeFileSync(
    config,
    [
      'server.modules = ("mod_openssl")',
      `server.document-root = "${root}"`,
      'server.bind = "127.0.0.1"',
      `server.port = ${port}`,
      `server.errorlog = "${join(dir, "error.log")}"`,
      'ssl.engine = "enable"',
      `ssl.pemfile = "${join(dir, "server.pem")}"`,
      ...(options.kbytesPerSecond ? [`connection.kbytes-per-second = ${options.kbytesPerSecond}`] : []),
      "",
    ].join("\n"),
  );
  await startIn(t, ns, ["lighttpd", "-D", "-f", config], port);
  return { url: `https://127.0.0.1:${port}/`, caFile: join(dir, "cert.pem"), root };
}

/** Whether a TCP connection to 127.0.0.1:`port` is established in `ns` (a download in progress). */
export function connectedIn(ns: string, port: number): boolean {
  const r = spawnSync("ip", ["netns", "exec", ns, "ss", "-Htn", "state", "established", `( dport = :${port} )`], { encoding: "utf8" });
  return r.status === 0 && r.stdout.trim().length > 0;
}
