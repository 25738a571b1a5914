/**
 * A real OCI registry for the artifact tests: Debian's docker-registry (the
 * CNCF distribution registry, as most private registries run it) on
 * 127.0.0.1 and a port the test picks, with TLS (a self-signed
 * certificate) and htpasswd auth, storing in a temporary directory and
 * stopped when the test ends. skopeo (Debian's) copies images to and from
 * it, so that the tests prove nfctl reads what other tools write.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, renameSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { freePort, selfSignedCert, startServer } from "./servers.js";
import { tempDir, type Teardown } from "./temp.js";

export interface Registry {
  /** 127.0.0.1:PORT, as image references name it. */
  host: string;
  /** The registry's certificate (PEM text), for --ca-file. */
  ca: string;
  /** The certificate's file: ca.crt, alone in its directory (skopeo's --cert-dir wants that). */
  caFile: string;
  username: string;
  password: string;
  /** A docker config.json holding the credentials, for --registry-config. */
  authFile: string;
  /** The registry's storage: docker/registry/v2/blobs/sha256/<2>/<hex>/data holds each blob. */
  storage: string;
  /** The network namespace it runs in, when not this process's. */
  ns?: string;
}

/**
 * docker-registry serving TLS on 127.0.0.1 to `username` (htpasswd, bcrypt)
 * only; with `ns`, in that network namespace (a lab's, where nfctl runs:
 * a fresh namespace has every port free).
 */
export async function startRegistry(t: Teardown, options: { ns?: string } = {}): Promise<Registry> {
  const dir = tempDir(t, "nfctl-test-registry-");
  const port = options.ns === undefined ? await freePort() : 5443;
  const host = `127.0.0.1:${port}`;
  const username = "nfctl-ci";
  const password = "registry-s3cret-PASS";
  const { cert, key } = selfSignedCert(dir);
  mkdirSync(join(dir, "certs"));
  const caFile = join(dir, "certs", "ca.crt");
  renameSync(cert, caFile);
  // The certificate is read by the user nfctl runs as (nobody, when the tests run as root); key.pem stays 0600.
  chmodSync(dir, 0o755);
  chmodSync(join(dir, "certs"), 0o755);
  chmodSync(caFile, 0o644);
  const htpasswd = join(dir, "htpasswd");
  writeFileSync(htpasswd, execFileSync("htpasswd", ["-Bbn", username, password], { encoding: "utf8" }));
  const authFile = join(dir, "config.json");
  writeFileSync(authFile, JSON.stringify({ auths: { [host]: { auth: Buffer.from(`${username}:${password}`).toString("base64") } } }), { mode: 0o600 });
  const config = join(dir, "config.yml");
  // JSON is YAML: the registry's config, written without a YAML library.
  writeFileSync(
    config,
    JSON.stringify({
      version: 0.1,
      log: { level: "error", accesslog: { disabled: true } },
      storage: { filesystem: { rootdirectory: join(dir, "data") } },
      http: { addr: host, tls: { certificate: caFile, key } },
      auth: { htpasswd: { realm: "nfctl-test", path: htpasswd } },
    }),
  );
  await startServer(t, ["docker-registry", "serve", config], port, join(dir, "none.log"), options.ns);
  return {
    host,
    ca: readFileSync(caFile, "utf8"),
    caFile,
    username,
    password,
    authFile,
    storage: join(dir, "data"),
    ...(options.ns !== undefined && { ns: options.ns }),
  };
}

/**
 * `skopeo copy FROM TO`, trusting `registry`'s certificate and logging in
 * to it on whichever side is docker://. FROM and TO are skopeo's
 * transports: oci:DIR:TAG, docker://HOST/REPO:TAG.
 */
export function skopeoCopy(from: string, to: string, registry: Registry): void {
  const side = (which: "src" | "dest", transport: string) =>
    transport.startsWith("docker://") ? [`--${which}-cert-dir`, dirname(registry.caFile), `--${which}-creds`, `${registry.username}:${registry.password}`] : [];
  // The policy decides whose signatures skopeo requires; these images carry none.
  const skopeo = ["skopeo", "--insecure-policy", "copy", "--quiet", ...side("src", from), ...side("dest", to), from, to];
  const argv = registry.ns === undefined ? skopeo : ["nsenter", `--net=/run/netns/${registry.ns}`, ...skopeo];
  execFileSync(argv[0]!, argv.slice(1), {
    stdio: ["ignore", "ignore", "pipe"],
  });
}
