/**
 * An artifact server for the image tests: Debian's lighttpd serving files
 * over TLS (a self-signed certificate for 127.0.0.1), optionally
 * throttled, in a lab's network namespace (where nfctl runs), stopped when
 * the test ends. The registry is test/sources/helpers/registry.ts's, in
 * the same namespace.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { selfSignedCert, startServer } from "../sources/helpers/servers.js";
import { tempDir, type Teardown } from "../sources/helpers/temp.js";

export interface LabFileServer {
  /** https://127.0.0.1:PORT/ */
  url: string;
  /** The server's certificate: nfctl's --ca-file. */
  caFile: string;
  /** The directory it serves. */
  root: string;
  port: number;
}

/** lighttpd serving a new directory over TLS on 127.0.0.1:8443 in `ns`; with `kbytesPerSecond`, each connection is throttled to it. */
export async function fileServerIn(t: Teardown, ns: string, options: { kbytesPerSecond?: number } = {}): Promise<LabFileServer> {
  const port = 8443;
  const dir = tempDir(t, "nfctl-test-files-");
  const { cert, key } = selfSignedCert(dir);
  writeFileSync(join(dir, "server.pem"), readFileSync(cert, "utf8") + readFileSync(key, "utf8"));
  const root = join(dir, "www");
  mkdirSync(root);
  const log = join(dir, "error.log");
  const config = join(dir, "lighttpd.conf");
  writeFileSync(
    config,
    [
      'server.modules = ("mod_openssl")',
      `server.document-root = "${root}"`,
      'server.bind = "127.0.0.1"',
      `server.port = ${port}`,
      `server.errorlog = "${log}"`,
      'ssl.engine = "enable"',
      `ssl.pemfile = "${join(dir, "server.pem")}"`,
      ...(options.kbytesPerSecond ? [`connection.kbytes-per-second = ${options.kbytesPerSecond}`] : []),
      "",
    ].join("\n"),
  );
  await startServer(t, ["lighttpd", "-D", "-f", config], port, log, ns);
  return { url: `https://127.0.0.1:${port}/`, caFile: cert, root, port };
}

/** Whether a TCP connection to 127.0.0.1:`port` is established in `ns` (a download in progress). */
export function connectedIn(ns: string, port: number): boolean {
  const r = spawnSync("ip", ["netns", "exec", ns, "ss", "-Htn", "state", "established", `( dport = :${port} )`], { encoding: "utf8" });
  return r.status === 0 && r.stdout.trim().length > 0;
}
