/**
 * One image pulled as its pull policy says: the reference resolved to a
 * digest, its manifest (the host's, when it names an index), its cosign
 * signature checked when a key applies, and the object taken out by the
 * handler of its format (formats/), every manifest and blob verified by
 * digest and kept in the cache.
 *
 * - IfNotPresent: a tag is asked of the registry every time (so a re-pushed
 *   tag is seen); manifests and blobs already cached are not fetched again.
 * - Always: the tag and everything it names are fetched again (and cached).
 * - Never, and `plan --offline`: the cache alone; a tag is what the cache
 *   last recorded for it.
 */
import type { CodeSource } from "../../state/code-source.js";
import { describeError } from "../snapshot.js";
import { ArtifactError } from "./errors.js";
import { manifestMediaType } from "./media-type.js";
import {
  MEDIA_TYPES,
  type BlobReader,
  type Descriptor,
  type ExtractedCode,
  type FetchedManifest,
  type ImageReference,
  type Manifest,
  type Platform,
} from "./types.js";
import type { ResolveDeps, ResolveOptions } from "./resolve.js";

/** The most a config blob (or a signature's payload) may hold: a few labels, 1 MiB. */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/** The most a layer may hold unless ResolveOptions.maxBytes says otherwise: 64 MiB. */
export const MAX_LAYER_BYTES = 64 * 1024 * 1024;

/** The blobs that are small documents, not content: bounded by MAX_CONFIG_BYTES. */
const DOCUMENT_TYPES = new Set<string>([
  MEDIA_TYPES.ociConfig,
  MEDIA_TYPES.dockerConfig,
  MEDIA_TYPES.gadgetConfig,
  MEDIA_TYPES.cosignSimpleSigning,
  MEDIA_TYPES.emptyJson,
]);

type ImageSource = Omit<Extract<CodeSource, { kind: "image" }>, "kind">;

export interface PulledImage {
  /** What the reference resolved to: the digest of the manifest, or of the index, it names ("sha256:hex"). */
  digest: string;
  /** The manifest read: the host's own when the reference names an index. */
  manifestDigest: string;
  /** The index's entry for the host, or what the image's config says it is built for. */
  platform?: Platform;
  code: ExtractedCode;
  /** The object, in the cache: its path, sha256 (hex) and size. */
  object: { path: string; sha256: string; size: number };
  /** The keys (their paths, joined by ", ") whose signatures were verified. */
  verifiedBy?: string;
}

/**
 * Pulls `source` (its ref, pullPolicy), its signature checked by each of its verifyKey and options.verifyKey.
 * Throws ArtifactError (image-not-cached, image-unsupported,
 * image-signature, ...) or the fetchers' own errors.
 *
 * @example
 *     await pullImage({ ref: "registry.example/nfs/counter:v1", pullPolicy: "IfNotPresent" }, options, deps)
 *     // { digest: "sha256:9a0e…", manifestDigest: "sha256:9a0e…", platform: { architecture: "amd64", os: "linux" },
 *     //   code: { format: "bpfman", object: <Buffer>, programs: { xdp_counter: "xdp" } }, object: { path: "…", sha256: "3f1c…", size: 5120 } }
 */
export async function pullImage(source: ImageSource, options: ResolveOptions, deps: ResolveDeps): Promise<PulledImage> {
  const reader = imageReader(source, deps.parseImageReference(source.ref), options, deps);
  const digest = await reader.digest();
  const named = deps.parseManifest(await reader.manifest(digest));
  let manifest: Manifest;
  let manifestDigest = digest;
  let platform: Platform | undefined;
  if (named.kind === "index") {
    const chosen = deps.selectPlatform(named.index);
    const inner = deps.parseManifest(await reader.manifest(chosen.digest));
    if (inner.kind !== "manifest")
      throw new ArtifactError("image-unsupported", `image ${source.ref}: the index's entry ${chosen.digest} is an index itself, not an image`);
    manifest = inner.manifest;
    manifestDigest = chosen.digest;
    platform = chosen.platform;
  } else {
    manifest = named.manifest;
  }
  // What cosign signs is what the reference names (the index, for an index);
  // checked before any layer is read: content of an unknown signer is not parsed.
  // Both keys, when the NF names one and the operator another: a config's
  // own key must not stand in for --verify-key, the operator's boundary.
  const keys = [...new Set([options.verifyKey, source.verifyKey].filter((k): k is string => k !== undefined))];
  for (const key of keys) await checkSignature(source.ref, digest, key, reader, deps);
  const code = await deps.extractImage(manifest, reader.blob);
  const object = deps.cache.writeBlob(code.object);
  const builtFor = platform ?? (await configPlatform(manifest, reader.blob));
  return {
    digest,
    manifestDigest,
    ...(builtFor !== undefined && { platform: builtFor }),
    code,
    object: { path: object.path, sha256: object.digest.replace(/^sha256:/, ""), size: code.object.length },
    ...(keys.length > 0 && { verifiedBy: keys.join(", ") }),
  };
}

interface ImageReader {
  /** The digest the reference names: itself, the registry's answer for the tag, or the cache's record of it. */
  digest: () => Promise<string>;
  /** A manifest or an index by digest. */
  manifest: (digest: string) => Promise<FetchedManifest>;
  /** The manifest a tag of the same repository names (a signature's), or undefined when the registry has no such tag. */
  tagged: (tag: string, what: string) => Promise<Manifest | undefined>;
  blob: (descriptor: Descriptor) => Promise<Buffer>;
}

function imageReader(source: ImageSource, ref: ImageReference, options: ResolveOptions, deps: ResolveDeps): ImageReader {
  const { cache, registry } = deps;
  const cacheOnly = options.offline === true || source.pullPolicy === "Never";
  const why = source.pullPolicy === "Never" ? "pullPolicy: Never" : "plan --offline reads the cache only";
  const notCached = (what = `image ${source.ref}`) => new ArtifactError("image-not-cached", `${what} is not in the cache (${why})`);
  // Always: each digest is fetched once in this pull, then read from the cache like the rest.
  const refetch = source.pullPolicy === "Always" && !cacheOnly;
  const fetched = new Set<string>();
  const cached = (digest: string) => (refetch && !fetched.has(digest) ? undefined : cache.readBlob(digest));
  const keep = (digest: string, bytes: Buffer) => {
    cache.writeBlob(bytes);
    fetched.add(digest);
  };
  const byTag = async (tagRef: ImageReference, tag: string): Promise<string> => {
    const got = await registry.getManifest(tagRef, tag);
    keep(got.digest, got.bytes);
    cache.writeTag(tagRef, got.digest);
    return got.digest;
  };
  const manifest = async (digest: string): Promise<FetchedManifest> => {
    const bytes = cached(digest);
    if (bytes !== undefined) return { digest, mediaType: manifestMediaType(bytes), bytes };
    if (cacheOnly) throw notCached();
    const got = await registry.getManifest(ref, digest);
    keep(digest, got.bytes);
    return got;
  };
  return {
    async digest() {
      if (ref.digest !== undefined) return ref.digest;
      if (!cacheOnly) return byTag(ref, ref.tag ?? "latest");
      const recorded = cache.readTag(ref);
      if (recorded === undefined) throw notCached();
      return recorded;
    },
    manifest,
    async tagged(tag, what) {
      const tagRef: ImageReference = { registry: ref.registry, repository: ref.repository, tag };
      let digest: string;
      if (cacheOnly) {
        const recorded = cache.readTag(tagRef);
        if (recorded === undefined) throw notCached(what);
        digest = recorded;
      } else {
        try {
          digest = await byTag(tagRef, tag);
        } catch (err) {
          // The registry's "no such manifest" (and any other failure to get
          // it): no signature, which verifySignature refuses.
          if (err instanceof ArtifactError && err.code === "image-unavailable") return undefined;
          throw err;
        }
      }
      const parsed = deps.parseManifest(await manifest(digest));
      if (parsed.kind !== "manifest") throw new ArtifactError("image-signature", `${what} is an index, not a cosign signature`);
      return parsed.manifest;
    },
    async blob(descriptor) {
      const bytes = cached(descriptor.digest);
      if (bytes !== undefined) return bytes;
      if (cacheOnly) throw notCached();
      const limit = DOCUMENT_TYPES.has(descriptor.mediaType) ? MAX_CONFIG_BYTES : (options.maxBytes ?? MAX_LAYER_BYTES);
      const got = await registry.getBlob(ref, descriptor, limit);
      keep(descriptor.digest, got);
      return got;
    },
  };
}

/** Verifies the cosign signature by `keyPath` of the image `digest` names; throws ArtifactError image-signature. */
async function checkSignature(imageRef: string, digest: string, keyPath: string, reader: ImageReader, deps: ResolveDeps): Promise<void> {
  let keyPem: string;
  try {
    keyPem = deps.readFile(keyPath);
  } catch (err) {
    throw new ArtifactError("image-signature", `cannot read the verify key ${keyPath} for image ${imageRef}: ${describeError(err)}`, { cause: err });
  }
  const tag = deps.signatureTag(digest);
  const manifest = await reader.tagged(tag, `the signature of image ${imageRef} (tag ${tag})`);
  await deps.verifySignature({ imageRef, imageDigest: digest, keyPem, keyName: keyPath }, manifest && { manifest, readBlob: reader.blob });
}

/** What an OCI or Docker image config says the image is built for (a gadget's config is YAML, and says nothing of it). */
async function configPlatform(manifest: Manifest, readBlob: BlobReader): Promise<Platform | undefined> {
  if (manifest.config.mediaType !== MEDIA_TYPES.ociConfig && manifest.config.mediaType !== MEDIA_TYPES.dockerConfig) return undefined;
  try {
    const config = JSON.parse((await readBlob(manifest.config)).toString("utf8")) as { architecture?: unknown; os?: unknown };
    return typeof config.architecture === "string" && typeof config.os === "string" ? { architecture: config.architecture, os: config.os } : undefined;
  } catch {
    // A config nfctl cannot read says no platform; the handler already took what it needs of it.
    return undefined;
  }
}
