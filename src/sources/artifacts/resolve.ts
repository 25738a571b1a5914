/**
 * Code sources resolved: each `artifact:` and `image:` a config names
 * becomes an object file in the content-addressed cache, with its digest
 * and where it came from, before any object is inspected, so the planner
 * only ever sees local paths with digests (DESIGN.md, "Sources and
 * artifacts"). The fetching, the formats, the cache and the signatures are
 * the functions of ResolveDeps: the real ones by default, fakes in tests.
 *
 * @example
 *     const resolve = codeResolver({ cacheDir: "/var/lib/nfctl/cache", registry: {} });
 *     const code = await resolve([{ kind: "image", ref: "registry.example/nfs/counter:v1", pullPolicy: "IfNotPresent" }]);
 *     code.get("image registry.example/nfs/counter:v1 IfNotPresent -")
 *     // { ok: true, path: "/var/lib/nfctl/cache/oci/blobs/sha256/3f1c…", digest: "3f1c…",
 *     //   origin: { kind: "image", ref: "registry.example/nfs/counter:v1", digest: "sha256:9a0e…", format: "bpfman" } }
 */
import { readFileSync } from "node:fs";
import { codeSourceKey, type CodeResolver, type CodeSource, type ResolvedCode } from "../../state/code-source.js";
import { describeError } from "../snapshot.js";
import { redactUrl } from "../git-url.js";
import { ArtifactError } from "./errors.js";
import { parseImageReference } from "./reference.js";
import { registryClient, type RegistryClient, type RegistryOptions } from "./registry.js";
import { fetchArtifact } from "./fetch-artifact.js";
import { parseManifest } from "./manifest.js";
import { selectPlatform } from "./platform.js";
import { artifactObject, extractImage } from "./formats/index.js";
import { openArtifactCache, type ArtifactCache } from "./cache.js";
import { signatureTag, verifySignature } from "./cosign.js";
import { resolveArtifact } from "./pull-artifact.js";
import { pullImage } from "./pull-image.js";

export interface ResolveOptions {
  /** --cache-dir: the cache lives in its oci/ directory. */
  cacheDir: string;
  /** plan --offline: the cache alone, no network. */
  offline?: boolean;
  registry: RegistryOptions;
  /** --verify-key: a PEM public key file whose cosign signature every image must carry (an NF's own `verify.key` wins). */
  verifyKey?: string;
  /** file:// artifacts of a shared config must resolve inside these directories. */
  roots?: readonly string[];
  /** Each request's timeout (the fetchers' default: 60 s). */
  timeoutMs?: number;
  /** The most a download (a package, an object, a layer) may hold (default: MAX_LAYER_BYTES, 64 MiB). */
  maxBytes?: number;
}

/** What resolving uses of the registry client, the fetcher, the formats, the cache and cosign. */
export interface ResolveDeps {
  registry: RegistryClient;
  cache: ArtifactCache;
  fetchArtifact: typeof fetchArtifact;
  /** Reads a verify key (PEM). */
  readFile: (path: string) => string;
  parseImageReference: typeof parseImageReference;
  parseManifest: typeof parseManifest;
  selectPlatform: typeof selectPlatform;
  extractImage: typeof extractImage;
  artifactObject: typeof artifactObject;
  signatureTag: typeof signatureTag;
  verifySignature: typeof verifySignature;
}

/** How many distinct sources are fetched at once: a config of many images does not open a connection per NF. */
export const MAX_CONCURRENT_SOURCES = 4;

/**
 * Resolves every distinct source (by codeSourceKey; two NFs naming the same
 * thing share one fetch), at most MAX_CONCURRENT_SOURCES at once. Never
 * rejects for one source's problem: that source's entry is `{ ok: false,
 * code, message }`, one line without a credential, and the others resolve.
 *
 * @example
 *     await resolveCodeSources([{ kind: "artifact", url: "https://artifacts.example/blocklist.o", sha256: "ab12…" }], options)
 *     // Map { "artifact https://artifacts.example/blocklist.o ab12… -" =>
 *     //   { ok: false, code: "artifact-digest-mismatch", message: "artifact https://artifacts.example/blocklist.o has sha256 77e0…, but the config requires ab12…" } }
 */
export async function resolveCodeSources(sources: readonly CodeSource[], options: ResolveOptions, deps?: ResolveDeps): Promise<Map<string, ResolvedCode>> {
  const distinct = [...new Map(sources.map((source) => [codeSourceKey(source), source])).entries()];
  const resolved = new Map<string, ResolvedCode>();
  if (distinct.length === 0) return resolved;
  const using = deps ?? resolveDeps(options);
  let next = 0;
  const worker = async () => {
    for (let entry = distinct[next++]; entry !== undefined; entry = distinct[next++]) {
      resolved.set(entry[0], await resolveOne(entry[1], options, using));
    }
  };
  await Promise.all(Array.from({ length: Math.min(MAX_CONCURRENT_SOURCES, distinct.length) }, worker));
  return resolved;
}

/**
 * A CodeResolver for the loader: its dependencies made at the first call
 * that has a source, and kept, so that a watch loop reuses its registry
 * client (and the tokens it holds) at every resync; the cache is opened at
 * its first use, so a config without artifacts or images never touches it.
 */
export function codeResolver(options: ResolveOptions): CodeResolver {
  let deps: ResolveDeps | undefined;
  return (sources) => (sources.length === 0 ? Promise.resolve(new Map()) : resolveCodeSources(sources, options, (deps ??= resolveDeps(options))));
}

/** The real dependencies, for `options`. */
export function resolveDeps(options: ResolveOptions): ResolveDeps {
  return {
    registry: registryClient({ ...options.registry, ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }) }),
    cache: lazyCache(options.cacheDir),
    fetchArtifact,
    readFile: (path) => readFileSync(path, "utf8"),
    parseImageReference,
    parseManifest,
    selectPlatform,
    extractImage,
    artifactObject,
    signatureTag,
    verifySignature,
  };
}

async function resolveOne(source: CodeSource, options: ResolveOptions, deps: ResolveDeps): Promise<ResolvedCode> {
  try {
    if (source.kind === "artifact") return await resolveArtifact(source, options, deps);
    const image = await pullImage(source, options, deps);
    return {
      ok: true,
      path: image.object.path,
      digest: image.object.sha256,
      origin: {
        kind: "image",
        ref: source.ref,
        digest: image.digest,
        format: image.code.format,
        ...(image.verifiedBy !== undefined && { verifiedBy: image.verifiedBy }),
      },
    };
  } catch (err) {
    return problemOf(source, err);
  }
}

/**
 * Why `source` could not be had, as its entry says it: an ArtifactError's
 * code and message; any other error is the source being unavailable, in
 * one line that names it. Never a credential: an artifact's URL is shown
 * as records show it.
 *
 * @example
 *     problemOf({ kind: "image", ref: "reg.example/nfs/counter:v1", pullPolicy: "Always" }, new Error("connect ECONNREFUSED 10.0.0.1:443"))
 *     // { ok: false, code: "image-unavailable", message: "image reg.example/nfs/counter:v1: connect ECONNREFUSED 10.0.0.1:443" }
 */
export function problemOf(source: CodeSource, err: unknown): Extract<ResolvedCode, { ok: false }> {
  const known = err instanceof ArtifactError;
  const what = source.kind === "artifact" ? `artifact ${redactUrl(source.url)}` : `image ${source.ref}`;
  const message = known ? err.message : `${what}: ${describeError(err)}`;
  return { ok: false, code: known ? err.code : `${source.kind}-unavailable`, message: withoutSecrets(message, source) };
}

/** One line, and an artifact's URL as records show it (should a lower error have quoted it whole, user info and all). */
function withoutSecrets(message: string, source: CodeSource): string {
  const line = message.replace(/\s*\n\s*/g, " ");
  return source.kind === "artifact" ? line.split(source.url).join(redactUrl(source.url)) : line;
}

/** The cache, opened (its directories made and checked) at the first call that needs it. */
function lazyCache(cacheDir: string): ArtifactCache {
  let cache: ArtifactCache | undefined;
  const open = () => (cache ??= openArtifactCache(cacheDir));
  return {
    get dir() {
      return open().dir;
    },
    readBlob: (digest) => open().readBlob(digest),
    writeBlob: (bytes) => open().writeBlob(bytes),
    blobPath: (digest) => open().blobPath(digest),
    readTag: (ref) => open().readTag(ref),
    writeTag: (ref, digest) => open().writeTag(ref, digest),
  };
}
