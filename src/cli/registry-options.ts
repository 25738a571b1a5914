/**
 * The options that say how NF code is fetched from registries and artifact
 * servers, shared by the commands that load a config (plan, apply, watch,
 * validate) and by `nfctl image`: registry credentials, a CA, the hosts
 * reached over plain http, and a key every image must be signed by. Kept
 * light, as git-options.ts is, so that main.ts can add them for --help
 * without loading a fetcher.
 *
 * @example
 *     addRegistryOptions(program.command("plan")); // --registry-config, --ca-file, --insecure-registry (repeatable), --verify-key
 *     codeResolver(resolveOptionsFrom(opts, { cacheDir: opts.cacheDir, offline: opts.offline === true })); // in the command, from ../sources/artifacts/resolve.js
 */
import { readFileSync } from "node:fs";
import { InvalidArgumentError, type Command } from "commander";
import type { ResolveOptions } from "../sources/artifacts/resolve.js";
import type { RegistryOptions } from "../sources/artifacts/registry.js";
import { dockerCredentials } from "../sources/artifacts/docker-config.js";
import { describeError } from "../sources/snapshot.js";

export interface RegistryFlags {
  registryConfig?: string;
  caFile?: string;
  insecureRegistry?: string[];
  verifyKey?: string;
}

/** A host name, an IPv4 address or a bracketed IPv6 address, and an optional port: what a registry's part of an image reference is. */
const REGISTRY_HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * One --insecure-registry, added to those before it. Refuses a URL or a
 * path: plain http is allowed to a host, as it appears in an image reference.
 *
 * @example
 *     insecureRegistry("localhost:5000", [])       // ["localhost:5000"]
 *     insecureRegistry("http://localhost:5000", []) // throws: "http://localhost:5000" is not HOST or HOST:PORT …
 */
export function insecureRegistry(value: string, previous: string[] = []): string[] {
  if (!REGISTRY_HOST.test(value))
    throw new InvalidArgumentError(`"${value}" is not HOST or HOST:PORT, as image references name a registry (no scheme, no path)`);
  return [...previous, value];
}

/** The options; `signatures: false` leaves out --verify-key (nfctl image push sends, it checks nothing). */
export function addRegistryOptions(cmd: Command, { signatures = true } = {}): Command {
  cmd
    .option(
      "--registry-config <file>",
      "registry credentials: a docker-style config.json (default: $REGISTRY_AUTH_FILE, $DOCKER_CONFIG/config.json, ~/.docker/config.json, $XDG_RUNTIME_DIR/containers/auth.json, the first that exists)",
    )
    .option("--ca-file <file>", "PEM certificates to trust, besides the system's, for registries and https artifacts")
    .option("--insecure-registry <host[:port]>", "a registry to reach over plain http instead of https (repeatable)", insecureRegistry);
  return signatures
    ? cmd.option(
        "--verify-key <file>",
        "every image must carry a cosign signature by this PEM public key (an NF's verify.key is checked as well, never instead)",
      )
    : cmd;
}

/**
 * The resolver's options from the flags and the command's own context
 * (its cache, whether it is offline, the roots of a shared config). Reads
 * the CA file once, and checks that the verify key can be read: a typo in
 * either is one line naming the flag and the file, before anything is fetched.
 *
 * @example
 *     resolveOptionsFrom({ caFile: "/etc/nfctl/ca.pem", insecureRegistry: ["localhost:5000"] }, { cacheDir: "/var/lib/nfctl/cache" })
 *     // { cacheDir: "/var/lib/nfctl/cache", registry: { ca: "-----BEGIN CERTIFICATE-----…", insecureRegistries: ["localhost:5000"], credentials: [Function] } }
 *     resolveOptionsFrom({ caFile: "/nope.pem" }, { cacheDir: "/tmp/c" }) // throws: --ca-file /nope.pem: no such file or directory
 */
export function resolveOptionsFrom(flags: RegistryFlags, context: { cacheDir: string; offline?: boolean; roots?: readonly string[] }): ResolveOptions {
  if (flags.verifyKey !== undefined) readPem("--verify-key", flags.verifyKey, "PUBLIC KEY");
  return {
    cacheDir: context.cacheDir,
    ...(context.offline === true && { offline: true }),
    ...(context.roots !== undefined && { roots: context.roots }),
    ...(flags.verifyKey !== undefined && { verifyKey: flags.verifyKey }),
    registry: registryOptionsFrom(flags),
  };
}

/** The registry client's options from the flags (the CA file read here, once); throws one line for an unreadable CA file. */
export function registryOptionsFrom(flags: RegistryFlags): RegistryOptions {
  const ca = flags.caFile === undefined ? undefined : readPem("--ca-file", flags.caFile, "CERTIFICATE");
  return {
    ...(ca !== undefined && { ca }),
    ...(flags.insecureRegistry !== undefined && { insecureRegistries: flags.insecureRegistry }),
    credentials: dockerCredentials(flags.registryConfig),
  };
}

/** The text of a PEM file holding a `label` block (CERTIFICATE, PUBLIC KEY); throws one line naming the flag and the file. */
function readPem(flag: string, file: string, label: string): string {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new Error(`${flag} ${file}: ${describeError(err)}`, { cause: err });
  }
  if (!text.includes(`-----BEGIN ${label}-----`)) throw new Error(`${flag} ${file} holds no PEM ${label.toLowerCase()} (-----BEGIN ${label}-----)`);
  return text;
}
