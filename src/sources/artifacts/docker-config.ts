/**
 * Registry credentials from a docker-style config.json, as `docker login`,
 * `podman login` and `skopeo login` write it: `auths` keyed by registry
 * host (or an https URL of it), each with `auth` (base64 "user:password")
 * or `username` and `password`. A credential helper (`credsStore`,
 * `credHelpers`) is a program: nfctl, running as root, runs none, and says
 * so when a registry's credentials are kept by one.
 *
 * @example
 *     const credentials = dockerCredentials("/etc/nfctl/registry.json");
 *     credentials("127.0.0.1:5000"); // { username: "ci", password: "…" }
 *     credentials("other.example");  // undefined: anonymous
 */
import { readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { describeError } from "../snapshot.js";
import { ArtifactError } from "./errors.js";
import type { CredentialLookup } from "./registry.js";

/** A registry config larger than this is not one. */
const MAX_REGISTRY_CONFIG_BYTES = 1024 * 1024;

interface AuthEntry {
  auth?: unknown;
  username?: unknown;
  password?: unknown;
}

interface DockerConfig {
  auths?: Record<string, AuthEntry>;
  credsStore?: unknown;
  credHelpers?: Record<string, unknown>;
}

/**
 * The registry config read when none is named: the first that exists of
 * $REGISTRY_AUTH_FILE, $DOCKER_CONFIG/config.json, ~/.docker/config.json
 * and $XDG_RUNTIME_DIR/containers/auth.json (podman's and skopeo's).
 *
 * @example
 *     defaultRegistryConfig({ HOME: "/root" }); // "/root/.docker/config.json" if it exists, else undefined
 */
export function defaultRegistryConfig(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = [
    env.REGISTRY_AUTH_FILE,
    env.DOCKER_CONFIG === undefined ? undefined : join(env.DOCKER_CONFIG, "config.json"),
    join(env.HOME ?? homedir(), ".docker", "config.json"),
    env.XDG_RUNTIME_DIR === undefined ? undefined : join(env.XDG_RUNTIME_DIR, "containers", "auth.json"),
  ];
  return candidates.find((path) => path !== undefined && path !== "" && exists(path));
}

/** Whether something is at `path`; one that cannot be looked at is there (reading it says why). */
function exists(path: string): boolean {
  try {
    return statSync(path, { throwIfNoEntry: false }) !== undefined;
  } catch {
    return true;
  }
}

/**
 * The credentials of `path` (or of defaultRegistryConfig(env) when
 * `path` is undefined; none when no file exists). A file that cannot be
 * read or is not a registry config throws ArtifactError naming it, never
 * quoting it; so does the lookup of a registry whose entry is unusable or
 * kept by a credential helper.
 */
export function dockerCredentials(path: string | undefined, env: NodeJS.ProcessEnv = process.env): CredentialLookup {
  const file = path ?? defaultRegistryConfig(env);
  if (file === undefined) return () => undefined;
  const config = readRegistryConfig(file);
  const auths = new Map(Object.entries(config.auths ?? {}).map(([key, entry]) => [registryHost(key), entry]));
  const helpers = new Map(Object.entries(config.credHelpers ?? {}).map(([key, helper]) => [registryHost(key), helper]));
  return (registry) => {
    const host = registry.toLowerCase();
    const entry = auths.get(host);
    const refuse = (why: string): never => {
      throw new ArtifactError("image-unavailable", `the registry config ${file}: the entry of ${host} ${why}`);
    };
    // Docker leaves `{}` (or an empty "auth") for a registry whose credentials a helper keeps.
    if (entry !== undefined && ((entry.auth !== undefined && entry.auth !== "") || entry.username !== undefined)) return credentialsOf(entry, refuse);
    const helper = helpers.get(host) ?? (entry !== undefined ? config.credsStore : undefined);
    if (helper !== undefined) {
      const where = helpers.has(host) ? "credHelpers" : "credsStore";
      refuse(
        `is kept by the credential helper ${typeof helper === "string" ? `docker-credential-${helper}` : "it names"} (${where}), and nfctl runs no credential helper: write its "auth" in a registry config of its own and name it with --registry-config`,
      );
    }
    return undefined;
  };
}

function readRegistryConfig(file: string): DockerConfig {
  const invalid = (why: string, cause?: unknown): never => {
    throw new ArtifactError("image-unavailable", `the registry config ${file} ${why}`, cause === undefined ? undefined : { cause });
  };
  let text: string;
  try {
    const stats = statSync(file);
    if (!stats.isFile()) invalid("is not a regular file");
    if (stats.size > MAX_REGISTRY_CONFIG_BYTES) invalid(`is larger than ${MAX_REGISTRY_CONFIG_BYTES / 1024 / 1024} MiB`);
    text = readFileSync(file, "utf8");
  } catch (err) {
    if (err instanceof ArtifactError) throw err;
    return invalid(`cannot be read: ${describeError(err)}`, err);
  }
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the text: a password, perhaps.
    return invalid("is not valid JSON");
  }
  if (!isObject(config)) return invalid("is not a JSON object");
  if (config.auths !== undefined && !(isObject(config.auths) && Object.values(config.auths).every(isObject))) {
    return invalid('has an "auths" that is not an object of objects');
  }
  if (config.credHelpers !== undefined && !isObject(config.credHelpers)) return invalid('has a "credHelpers" that is not an object');
  return config;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * An `auths` key as the registry's host: docker writes some as URLs.
 *
 * @example
 *     registryHost("https://Registry.example:5000/v1/"); // "registry.example:5000"
 */
function registryHost(key: string): string {
  const host = key.replace(/^[a-z][a-z0-9+.-]*:\/\//i, "");
  const slash = host.indexOf("/");
  return (slash === -1 ? host : host.slice(0, slash)).toLowerCase();
}

/** `auth` (base64 "user:password") or `username` and `password`; anything else is refused without quoting it. */
function credentialsOf(entry: AuthEntry, refuse: (why: string) => never): { username: string; password: string } {
  if (typeof entry.auth === "string" && entry.auth !== "") {
    const decoded = Buffer.from(entry.auth, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon <= 0) refuse('has an "auth" that is not base64 of "user:password"');
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (typeof entry.username === "string" && entry.username !== "" && typeof entry.password === "string") {
    return { username: entry.username, password: entry.password };
  }
  return refuse('has neither an "auth" nor a "username" and "password"');
}
