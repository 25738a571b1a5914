/**
 * Fakes of what resolving uses (ResolveDeps), for the resolver's unit
 * tests: a registry and a cache in memory that count what is asked of them,
 * and formats and cosign reduced to what the resolver relies on. Images are
 * OCI-shaped: a JSON manifest with a config and one layer holding the object.
 */
import { createHash } from "node:crypto";
import { ArtifactError } from "../../../../src/sources/artifacts/errors.js";
import type { ResolveDeps } from "../../../../src/sources/artifacts/resolve.js";
import type { SignatureCheck } from "../../../../src/sources/artifacts/cosign.js";
import { MEDIA_TYPES, type Descriptor, type ImageIndex, type ImageReference, type Manifest } from "../../../../src/sources/artifacts/types.js";

export const sha256 = (bytes: Buffer) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
const descriptor = (mediaType: string, bytes: Buffer): Descriptor => ({ mediaType, digest: sha256(bytes), size: bytes.length });
const repoKey = (ref: ImageReference) => `${ref.registry}/${ref.repository}`;

export class FakeRegistry {
  /** "registry/repository:tag" -> digest. */
  readonly tags = new Map<string, string>();
  readonly manifests = new Map<string, Buffer>();
  readonly blobs = new Map<string, Buffer>();
  /** What was asked: "manifest REPO REFERENCE", "blob DIGEST". */
  readonly calls: string[] = [];
  /** How long each request takes, and the most that were in flight at once. */
  delayMs = 0;
  inFlight = 0;
  maxInFlight = 0;
  /** An error every request to this repository fails with (a registry that is down). */
  readonly failing = new Map<string, Error>();

  /** An image holding `object` under `registry/repository:tag`; returns its manifest's digest. */
  push(name: string, tag: string, object: Buffer, architecture = "amd64"): string {
    return this.putImage(name, tag, [MEDIA_TYPES.ociConfig, Buffer.from(JSON.stringify({ architecture, os: "linux" }))], [MEDIA_TYPES.ociLayerTarGzip, object]);
  }

  /** An index of the images `digests` (by architecture) under `name:tag`; returns its digest. */
  pushIndex(name: string, tag: string, digests: Record<string, string>): string {
    const index: ImageIndex = {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociIndex,
      manifests: Object.entries(digests).map(([architecture, digest]) => ({
        mediaType: MEDIA_TYPES.ociManifest,
        digest,
        size: this.manifests.get(digest)!.length,
        platform: { architecture, os: "linux" },
      })),
    };
    return this.putManifest(name, tag, Buffer.from(JSON.stringify(index)));
  }

  /** A cosign signature manifest for `digest` under its sha256-<hex>.sig tag (the fake payload names the digest). */
  sign(name: string, digest: string): string {
    const payload = Buffer.from(JSON.stringify({ critical: { image: { "docker-manifest-digest": digest } } }));
    return this.putImage(name, signatureTag(digest), [MEDIA_TYPES.ociConfig, Buffer.from("{}")], [MEDIA_TYPES.cosignSimpleSigning, payload]);
  }

  /** A manifest of a config and one layer, each [media type, bytes], under `name:tag`. */
  private putImage(name: string, tag: string, config: [string, Buffer], layer: [string, Buffer]): string {
    for (const [, bytes] of [config, layer]) this.blobs.set(sha256(bytes), bytes);
    const manifest: Manifest = { schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, config: descriptor(...config), layers: [descriptor(...layer)] };
    return this.putManifest(name, tag, Buffer.from(JSON.stringify(manifest)));
  }

  putManifest(name: string, tag: string, bytes: Buffer): string {
    const digest = sha256(bytes);
    this.manifests.set(digest, bytes);
    this.tags.set(`${name}:${tag}`, digest);
    return digest;
  }

  private async request<T>(ref: ImageReference, call: string, answer: () => T): Promise<T> {
    this.calls.push(call);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
      const failure = this.failing.get(repoKey(ref));
      if (failure !== undefined) throw failure;
      return answer();
    } finally {
      this.inFlight--;
    }
  }

  readonly client: ResolveDeps["registry"] = {
    getManifest: (ref, reference) =>
      this.request(ref, `manifest ${repoKey(ref)} ${reference}`, () => {
        const digest = reference.startsWith("sha256:") ? reference : this.tags.get(`${repoKey(ref)}:${reference}`);
        const bytes = digest === undefined ? undefined : this.manifests.get(digest);
        if (digest === undefined || bytes === undefined) throw new ArtifactError("image-unavailable", `${repoKey(ref)}:${reference}: manifest unknown`);
        return { digest, mediaType: MEDIA_TYPES.ociManifest, bytes };
      }),
    getBlob: (ref, wanted, maxBytes) =>
      this.request(ref, `blob ${wanted.digest} max ${maxBytes}`, () => {
        const bytes = this.blobs.get(wanted.digest);
        if (bytes === undefined) throw new ArtifactError("image-unavailable", `${repoKey(ref)}: blob ${wanted.digest} unknown`);
        return bytes;
      }),
    hasBlob: () => Promise.reject(new Error("not used by resolving")),
    pushBlob: () => Promise.reject(new Error("not used by resolving")),
    pushManifest: () => Promise.reject(new Error("not used by resolving")),
  };
}

/** A content-addressed cache in memory, with the tag records; shared between resolves as the real one is. */
export class FakeCache {
  readonly blobs = new Map<string, Buffer>();
  readonly tags = new Map<string, string>();
  readonly dir = "/cache";
  blobPath = (digest: string) => `/cache/oci/blobs/sha256/${digest.replace(/^sha256:/, "")}`;
  readBlob = (digest: string) => this.blobs.get(digest);
  writeBlob = (bytes: Buffer) => {
    const digest = sha256(bytes);
    this.blobs.set(digest, bytes);
    return { digest, path: this.blobPath(digest) };
  };
  readTag = (ref: ImageReference) => this.tags.get(`${repoKey(ref)}:${ref.tag}`);
  writeTag = (ref: ImageReference, digest: string) => void this.tags.set(`${repoKey(ref)}:${ref.tag}`, digest);
}

function signatureTag(digest: string): string {
  return `${digest.replace(":", "-")}.sig`;
}

/** "host[:port]/path[:tag][@sha256:hex]". */
function parseImageReference(text: string): ImageReference {
  const [name, digest] = text.split("@") as [string, string | undefined];
  const slash = name.indexOf("/");
  const colon = name.lastIndexOf(":");
  const tag = colon > slash ? name.slice(colon + 1) : undefined;
  const path = colon > slash ? name.slice(0, colon) : name;
  return {
    registry: path.slice(0, slash),
    repository: path.slice(slash + 1),
    ...(tag !== undefined && { tag }),
    ...(digest !== undefined && { digest }),
  };
}

export interface Fakes {
  deps: ResolveDeps;
  registry: FakeRegistry;
  cache: FakeCache;
  /** The URLs fetchArtifact was asked for, and what each serves. */
  artifacts: Map<string, Buffer>;
  fetched: string[];
  /** Every verifySignature call: its check and whether a signature came with it. */
  verified: Array<{ check: SignatureCheck; signed: boolean }>;
}

/** Fresh fakes; pass `shared` to reuse a registry and a cache (another nfctl run on the same host). */
export function fakeDeps(shared: { registry?: FakeRegistry; cache?: FakeCache } = {}): Fakes {
  const registry = shared.registry ?? new FakeRegistry();
  const cache = shared.cache ?? new FakeCache();
  const artifacts = new Map<string, Buffer>();
  const fetched: string[] = [];
  const verified: Fakes["verified"] = [];
  const deps: ResolveDeps = {
    registry: registry.client,
    cache,
    fetchArtifact: async (url) => {
      fetched.push(url);
      const bytes = artifacts.get(url);
      if (bytes === undefined) throw new Error(`fetch ${url}: 404 Not Found`);
      return bytes;
    },
    readFile: (path) => `PEM of ${path}`,
    parseImageReference,
    parseManifest: (fetched) => {
      const document = JSON.parse(fetched.bytes.toString("utf8")) as Manifest & ImageIndex;
      return "manifests" in document ? { kind: "index", index: document } : { kind: "manifest", manifest: document };
    },
    selectPlatform: (index) => {
      const found = index.manifests.find((m) => m.platform?.architecture === "amd64");
      if (found === undefined) throw new ArtifactError("image-unsupported", "the index has no manifest for amd64");
      return found;
    },
    extractImage: async (manifest, readBlob) => {
      await readBlob(manifest.config);
      return { format: "bpfman", object: await readBlob(manifest.layers[0]!), programs: { xdp_counter: "xdp" } };
    },
    artifactObject: async (bytes, _url, member) => (member === undefined ? bytes : Buffer.concat([bytes, Buffer.from(`:${member}`)])),
    signatureTag,
    verifySignature: async (check, signature) => {
      verified.push({ check, signed: signature !== undefined });
      if (signature === undefined) throw new ArtifactError("image-signature", `image ${check.imageRef} is not signed (no ${signatureTag(check.imageDigest)})`);
      const payload = JSON.parse((await signature.readBlob(signature.manifest.layers[0]!)).toString("utf8")) as {
        critical: { image: { "docker-manifest-digest": string } };
      };
      if (payload.critical.image["docker-manifest-digest"] !== check.imageDigest) throw new ArtifactError("image-signature", "signed another digest");
    },
  };
  return { deps, registry, cache, artifacts, fetched, verified };
}
