/**
 * A client of the OCI distribution API (opencontainers/distribution-spec):
 * manifests and blobs, read and pushed, with the registry's own auth. No
 * npm client of this API is kept up (the registry libraries are Go's and
 * Rust's), so this is the small part nfctl needs, on http.ts.
 *
 * Auth as docker does it: `GET /v2/` once per registry; a `Bearer`
 * challenge means a token from its realm for `repository:<name>:<actions>`
 * (the Basic credentials of the registry sent to the realm when there are
 * any, anonymous otherwise); a `Basic` challenge means the credentials on
 * every request. A 401 on a resource (a token expired, another scope) is
 * answered once from its own challenge; a second is a denial.
 *
 * Everything read is verified: a manifest's bytes against the digest asked
 * for and the registry's Docker-Content-Digest, a blob's against its
 * descriptor's digest and size. sha256 only.
 *
 * @example
 *     const registry = registryClient({ ca, credentials: dockerCredentials(undefined) });
 *     const ref = parseImageReference("127.0.0.1:5000/nfs/counter:v1");
 *     const manifest = await registry.getManifest(ref, ref.tag!);          // { digest: "sha256:…", mediaType, bytes }
 *     const layer = await registry.getBlob(ref, descriptor, MAX_DOWNLOAD_BYTES);
 */
import { sha256Digest } from "./digest.js";
import type { Headers } from "undici";
import { ArtifactError } from "./errors.js";
import { byteSize, httpClient, oneLine, type HttpRequest, type HttpResponse } from "./http.js";
import { SHA256_DIGEST, TAG, digestProblem } from "./reference.js";
import { MANIFEST_ACCEPT, type Descriptor, type FetchedManifest, type ImageReference } from "./types.js";

/** A manifest or an index: at most 4 MiB (the distribution registry's own limit). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
/** An image's config blob: at most 1 MiB. */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/** A token server's answer. */
const MAX_TOKEN_BYTES = 256 * 1024;
/** What is read of a registry's answer that carries no content (a ping, an upload's start, a PUT's). */
const MAX_REPLY_BYTES = 16 * 1024;
/** What may be sent in an Authorization header: visible ASCII, no spaces or line breaks. */
const TOKEN = /^[\x21-\x7e]+$/;

/** The Basic credentials of a registry host[:port], if the operator gave any. */
export type CredentialLookup = (registry: string) => { username: string; password: string } | undefined;

export interface RegistryOptions {
  /** PEM certificates trusted besides the system's. */
  ca?: string;
  /** Registries (host[:port]) spoken to over plain http. */
  insecureRegistries?: readonly string[];
  credentials?: CredentialLookup;
  /** The deadline of each request (REQUEST_TIMEOUT_MS by default). */
  timeoutMs?: number;
}

export interface RegistryClient {
  /** By tag or digest; verified: the bytes hash to the digest asked for (by digest), and to Docker-Content-Digest when the registry sends one; at most MAX_MANIFEST_BYTES. */
  getManifest(ref: ImageReference, reference: string): Promise<FetchedManifest>;
  /** Verified against descriptor.digest and .size; refused over maxBytes before reading it all. */
  getBlob(ref: ImageReference, descriptor: Descriptor, maxBytes: number): Promise<Buffer>;
  hasBlob(ref: ImageReference, digest: string): Promise<boolean>;
  /** Uploads `bytes` in one PUT (skipped when the registry has them); their digest and size. */
  pushBlob(ref: ImageReference, bytes: Buffer): Promise<{ digest: string; size: number }>;
  /** Stores a manifest under a tag or its digest; returns its digest. */
  pushManifest(ref: ImageReference, reference: string, mediaType: string, bytes: Buffer): Promise<string>;
}

type Actions = "pull" | "pull,push";

interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** A request of this client: the failures' code is always image-unavailable. */
type Send = Omit<HttpRequest, "code">;

/**
 * A RegistryClient: one connection pool, and the tokens it was given kept
 * per registry, repository and actions while they are accepted.
 */
export function registryClient(options: RegistryOptions): RegistryClient {
  const insecure = new Set((options.insecureRegistries ?? []).map((host) => host.toLowerCase()));
  const request = httpClient({ ...options, insecureHosts: [...insecure] });
  const pings = new Map<string, Promise<Challenge | undefined>>();
  const authorizations = new Map<string, Promise<string | undefined>>();
  const origin = (registry: string) => `${insecure.has(registry.toLowerCase()) ? "http" : "https"}://${registry}`;
  /** Passwords and tokens this client sent: a registry that echoes one in its error gets it hidden. */
  const secrets = new Set<string>();
  function fail(what: string, why: string): never {
    let message = `${what}: ${why}`;
    // A secret of 3 characters or fewer would blank out ordinary words instead.
    for (const secret of secrets) if (secret.length > 3) message = message.split(secret).join("***");
    throw new ArtifactError("image-unavailable", message);
  }

  /** The registry's answer to `GET /v2/`: its challenge, or none when it serves anyone. */
  function ping(registry: string): Promise<Challenge | undefined> {
    let pinged = pings.get(registry);
    if (pinged === undefined) {
      pinged = request(`${origin(registry)}/v2/`, { maxBytes: MAX_REPLY_BYTES, code: "image-unavailable", what: `registry ${registry}` }).then((response) => {
        if (response.status === 401) return parseChallenge(response.headers, `registry ${registry}`);
        if (response.status >= 200 && response.status < 300) return undefined;
        return fail(`registry ${registry}`, `GET /v2/ answered ${statusText(response)}: it does not speak the OCI distribution API`);
      });
      pings.set(registry, pinged);
      pinged.catch(() => pings.delete(registry));
    }
    return pinged;
  }

  /** The Authorization header for `actions` on `ref`'s repository, answering `challenge`. */
  async function authorize(ref: ImageReference, actions: Actions, challenge: Challenge | undefined): Promise<string | undefined> {
    if (challenge === undefined) return undefined;
    const credentials = options.credentials?.(ref.registry);
    const basic = credentials === undefined ? undefined : `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64")}`;
    if (credentials !== undefined && credentials.password !== "") secrets.add(credentials.password);
    if (basic !== undefined) secrets.add(basic.slice("Basic ".length));
    if (challenge.scheme === "basic") return basic;
    if (challenge.scheme !== "bearer") return fail(`registry ${ref.registry}`, `it asks for ${challenge.scheme} auth; nfctl speaks Basic and Bearer`);
    const realm = challenge.params.realm;
    if (realm === undefined) return fail(`registry ${ref.registry}`, "its Bearer challenge names no realm");
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      return fail(`registry ${ref.registry}`, "its Bearer challenge's realm is not a URL");
    }
    if (challenge.params.service !== undefined) url.searchParams.set("service", challenge.params.service);
    url.searchParams.set("scope", `repository:${ref.repository}:${actions}`);
    const what = `the token server of registry ${ref.registry} (${url.origin})`;
    const response = await request(url.href, {
      ...(basic === undefined ? {} : { headers: { authorization: basic } }),
      maxBytes: MAX_TOKEN_BYTES,
      code: "image-unavailable",
      what,
    });
    if (response.status === 401 || response.status === 403) {
      return fail(what, `it refused ${credentials === undefined ? "an anonymous token" : `the credentials for ${ref.registry}`}: check --registry-config`);
    }
    if (response.status !== 200) return fail(what, `answered ${statusText(response)}`);
    const token = tokenOf(response.body);
    if (token === undefined) return fail(what, "its answer holds no token (JSON with a token or access_token)");
    secrets.add(token);
    return `Bearer ${token}`;
  }

  /** The Authorization header for `actions` on `ref`'s repository: the one kept, or `renewed` (kept in its place unless it fails). */
  function authorization(ref: ImageReference, actions: Actions, renewed?: Promise<string | undefined>): Promise<string | undefined> {
    const key = `${ref.registry}/${ref.repository} ${actions}`;
    const kept = authorizations.get(key);
    if (renewed === undefined && kept !== undefined) return kept;
    const authorized = renewed ?? ping(ref.registry).then((challenge) => authorize(ref, actions, challenge));
    authorizations.set(key, authorized);
    authorized.catch(() => authorizations.get(key) === authorized && authorizations.delete(key));
    return authorized;
  }

  /**
   * A request to `path` (on the registry) or to an absolute URL; the
   * Authorization goes to the registry's origin only. A 401 is answered
   * once from its challenge; a second 401, or a 403, is a denial.
   */
  async function send(ref: ImageReference, actions: Actions, pathOrUrl: string, init: Send): Promise<HttpResponse> {
    const url = new URL(pathOrUrl, origin(ref.registry));
    const toRegistry = url.origin === new URL(origin(ref.registry)).origin;
    const attempt = (auth: string | undefined) =>
      request(url.href, {
        ...init,
        headers: { ...init.headers, ...(auth === undefined || !toRegistry ? {} : { authorization: auth }) },
        code: "image-unavailable",
      });
    let auth = toRegistry ? await authorization(ref, actions) : undefined;
    let response = await attempt(auth);
    if (response.status === 401 && toRegistry) {
      auth = await authorization(ref, actions, authorize(ref, actions, parseChallenge(response.headers, init.what)));
      response = await attempt(auth);
    }
    if (response.status === 401 || response.status === 403) {
      // An anonymous Bearer token is no credential of the operator's.
      const how = auth === undefined || options.credentials?.(ref.registry) === undefined ? "anonymously" : `with the credentials for ${ref.registry}`;
      fail(init.what, `registry ${ref.registry} denied ${actions === "pull" ? "pull" : "push"} access ${how}${errorsOf(response)}: check --registry-config`);
    }
    return response;
  }

  async function hasBlobWith(ref: ImageReference, digest: string, actions: Actions): Promise<boolean> {
    const what = `${imageName(ref)} blob ${checkedDigest(digest, imageName(ref))}`;
    const response = await send(ref, actions, `/v2/${ref.repository}/blobs/${digest}`, { method: "HEAD", maxBytes: MAX_REPLY_BYTES, what });
    if (response.status === 200) return true;
    if (response.status === 404) return false;
    return fail(what, `HEAD answered ${statusText(response)}`);
  }

  return {
    async getManifest(ref, reference) {
      const what = `image ${ref.registry}/${ref.repository}${reference.includes(":") ? "@" : ":"}${reference}`;
      if (!TAG.test(reference)) checkedDigest(reference, what);
      const response = await send(ref, "pull", `/v2/${ref.repository}/manifests/${reference}`, {
        headers: { accept: MANIFEST_ACCEPT.join(", ") },
        maxBytes: MAX_MANIFEST_BYTES,
        what,
      });
      if (response.status === 404) fail(what, `not found at the registry${errorsOf(response)}`);
      if (response.status !== 200) fail(what, `answered ${statusText(response)}`);
      const digest = sha256Digest(response.body);
      if (reference.includes(":") && digest !== reference) fail(what, `the registry served a manifest whose digest is ${digest}, not ${reference}: refused`);
      checkServedDigest(response.headers, digest, what);
      return { digest, mediaType: manifestMediaType(response), bytes: response.body };
    },

    async getBlob(ref, descriptor, maxBytes) {
      const what = `${imageName(ref)} blob ${checkedDigest(descriptor.digest, imageName(ref))}`;
      if (!Number.isSafeInteger(descriptor.size) || descriptor.size < 0) fail(what, `its descriptor's size ${String(descriptor.size)} is not a byte count`);
      if (descriptor.size > maxBytes) fail(what, `it is ${descriptor.size} bytes, more than ${byteSize(maxBytes)}, the most nfctl reads of it`);
      // Never more than the descriptor says: a longer answer is wrong, and stops being read there.
      const response = await send(ref, "pull", `/v2/${ref.repository}/blobs/${descriptor.digest}`, {
        maxBytes: descriptor.size,
        tooLarge: `the registry served more than the ${descriptor.size} bytes its descriptor says: refused`,
        what,
      });
      if (response.status === 404) fail(what, `not found at the registry${errorsOf(response)}`);
      if (response.status !== 200) fail(what, `answered ${statusText(response)}`);
      if (response.body.length !== descriptor.size)
        fail(what, `the registry served ${response.body.length} bytes, its descriptor says ${descriptor.size}: refused`);
      const digest = sha256Digest(response.body);
      if (digest !== descriptor.digest) fail(what, `the registry served bytes whose digest is ${digest}, not ${descriptor.digest}: refused`);
      return response.body;
    },

    hasBlob: (ref, digest) => hasBlobWith(ref, digest, "pull"),

    async pushBlob(ref, bytes) {
      const digest = sha256Digest(bytes);
      const result = { digest, size: bytes.length };
      if (await hasBlobWith(ref, digest, "pull,push")) return result;
      const what = `${imageName(ref)} blob ${digest}`;
      const started = await send(ref, "pull,push", `/v2/${ref.repository}/blobs/uploads/`, {
        method: "POST",
        headers: { "content-length": "0" },
        maxBytes: MAX_REPLY_BYTES,
        what,
      });
      const location = started.headers.get("location");
      if (started.status !== 202 || location === null) fail(what, `starting the upload answered ${statusText(started)}${errorsOf(started)}`);
      // The monolithic upload: the whole blob in the PUT that closes the session (the Location keeps its own query).
      const target = new URL(location, origin(ref.registry)).href;
      const put = await send(ref, "pull,push", `${target}${target.includes("?") ? "&" : "?"}digest=${encodeURIComponent(digest)}`, {
        method: "PUT",
        headers: { "content-type": "application/octet-stream" },
        body: bytes,
        maxBytes: MAX_REPLY_BYTES,
        what,
      });
      if (put.status !== 201) fail(what, `the upload answered ${statusText(put)}${errorsOf(put)}`);
      checkServedDigest(put.headers, digest, what);
      return result;
    },

    async pushManifest(ref, reference, mediaType, bytes) {
      const what = `image ${ref.registry}/${ref.repository}${reference.includes(":") ? "@" : ":"}${reference}`;
      if (!TAG.test(reference)) checkedDigest(reference, what);
      const digest = sha256Digest(bytes);
      if (reference.includes(":") && digest !== reference) fail(what, `the manifest's digest is ${digest}, not ${reference}`);
      if (bytes.length > MAX_MANIFEST_BYTES) fail(what, `the manifest is larger than ${byteSize(MAX_MANIFEST_BYTES)}`);
      const response = await send(ref, "pull,push", `/v2/${ref.repository}/manifests/${reference}`, {
        method: "PUT",
        headers: { "content-type": mediaType },
        body: bytes,
        maxBytes: MAX_REPLY_BYTES,
        what,
      });
      if (response.status !== 201) fail(what, `storing the manifest answered ${statusText(response)}${errorsOf(response)}`);
      checkServedDigest(response.headers, digest, what);
      return digest;
    },
  };
}

const imageName = (ref: ImageReference) => `image ${ref.registry}/${ref.repository}`;

/** `digest` when it is sha256:<64 hex> (it goes into a URL's path); otherwise an ArtifactError saying why. */
function checkedDigest(digest: string, what: string): string {
  if (!SHA256_DIGEST.test(digest)) throw new ArtifactError("image-unavailable", `${what}: ${digestProblem(digest)}`);
  return digest;
}

/** The registry's Docker-Content-Digest, when it sends one, must be the digest of the bytes. */
function checkServedDigest(headers: Headers, digest: string, what: string): void {
  const served = headers.get("docker-content-digest");
  if (served === null) return;
  if (!SHA256_DIGEST.test(served))
    throw new ArtifactError("image-unavailable", `${what}: the registry's Docker-Content-Digest: ${digestProblem(oneLine(served))}`);
  if (served !== digest)
    throw new ArtifactError("image-unavailable", `${what}: the registry says its digest is ${served}, its bytes hash to ${digest}: refused`);
}

/** The manifest's media type: the Content-Type, or the manifest's own mediaType where a registry sends a generic one. */
function manifestMediaType(response: HttpResponse): string {
  const contentType = (response.headers.get("content-type") ?? "").split(";")[0]!.trim();
  if (MANIFEST_ACCEPT.some((type) => type === contentType)) return contentType;
  try {
    const inner = (JSON.parse(response.body.toString("utf8")) as { mediaType?: unknown }).mediaType;
    if (typeof inner === "string") return inner;
  } catch {
    // Not JSON: the caller's parser says so.
  }
  return contentType;
}

/**
 * The first challenge of a WWW-Authenticate header: its scheme (lowercase)
 * and parameters, quoted or not.
 *
 * @example
 *     parseChallenge(headers) // for 'Bearer realm="https://auth.example/token",service="registry"':
 *     // { scheme: "bearer", params: { realm: "https://auth.example/token", service: "registry" } }
 */
function parseChallenge(headers: Headers, what: string): Challenge {
  const header = headers.get("www-authenticate");
  const scheme = header === null ? undefined : /^\s*([A-Za-z][\w-]*)/.exec(header)?.[1];
  if (header === null || scheme === undefined)
    throw new ArtifactError("image-unavailable", `${what}: the registry answered 401 without a WWW-Authenticate challenge`);
  const params: Record<string, string> = {};
  for (const match of header.slice(header.indexOf(scheme) + scheme.length).matchAll(/([A-Za-z][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]*))/g)) {
    params[match[1]!.toLowerCase()] = match[2] === undefined ? (match[3] ?? "") : match[2].replace(/\\(.)/g, "$1");
  }
  return { scheme: scheme.toLowerCase(), params };
}

/** A token server's token: `token`, or OAuth's `access_token`, if it may go in a header. */
function tokenOf(body: Buffer): string | undefined {
  try {
    const answer = JSON.parse(body.toString("utf8")) as { token?: unknown; access_token?: unknown };
    const token = typeof answer.token === "string" && answer.token !== "" ? answer.token : answer.access_token;
    return typeof token === "string" && TOKEN.test(token) ? token : undefined;
  } catch {
    return undefined;
  }
}

const statusText = (response: HttpResponse) => `HTTP ${response.status}`;

/** The registry's own reasons (distribution-spec's error JSON), as " (CODE: message; …)", or "". */
function errorsOf(response: HttpResponse): string {
  try {
    const { errors } = JSON.parse(response.body.toString("utf8")) as { errors?: { code?: unknown; message?: unknown }[] };
    if (!Array.isArray(errors)) return "";
    const reasons = errors.slice(0, 3).map((e) => [e.code, e.message].filter((part) => typeof part === "string").join(": "));
    return reasons.length === 0 ? "" : ` (${oneLine(reasons.join("; "))})`;
  } catch {
    return "";
  }
}
