/**
 * An OCI image layout directory (opencontainers/image-spec image-layout.md):
 * `oci-layout`, `index.json` naming each image by the annotation
 * org.opencontainers.image.ref.name, and `blobs/sha256/<hex>`. What
 * `nfctl image build` writes and `nfctl image push` reads; skopeo, oras and
 * podman read and write the same (`oci:DIR:REF`).
 */
import { randomBytes } from "node:crypto";
import { sha256Digest } from "./digest.js";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { MEDIA_TYPES, type Descriptor, type ImageIndex } from "./types.js";
import { ArtifactError } from "./errors.js";
import { parseManifest } from "./manifest.js";
import { describeError } from "../snapshot.js";

/** The annotation an index entry's name is in. */
export const REF_NAME_ANNOTATION = "org.opencontainers.image.ref.name";
const LAYOUT_VERSION = "1.0.0";

/** One image's files: its manifest, and its config and layers by digest. */
export interface ImageFiles {
  manifest: Buffer;
  /** sha256:hex of `manifest`. */
  manifestDigest: string;
  /** Config and layers, by digest (sha256:hex). */
  blobs: Map<string, Buffer>;
}

const blobPath = (dir: string, digest: string) => join(dir, "blobs", "sha256", digest.slice("sha256:".length));

/** Writes `bytes` at `path` whole or not at all: a temporary name beside it, then rename. */
function writeWhole(path: string, bytes: Buffer | string): void {
  const temporary = `${path}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  writeFileSync(temporary, bytes, { mode: 0o644 });
  renameSync(temporary, path);
}

/** The index.json of the layout at `dir`, if it is one; undefined for a missing or empty directory. */
function existingIndex(dir: string): ImageIndex | undefined {
  if (!existsSync(dir) || readdirSync(dir).length === 0) return undefined;
  const layout = readLayoutFile(dir, "oci-layout");
  let version: unknown;
  try {
    version = (JSON.parse(layout.toString("utf8")) as { imageLayoutVersion?: unknown }).imageLayoutVersion;
  } catch {
    version = undefined;
  }
  if (version !== LAYOUT_VERSION) throw new ArtifactError("image-unsupported", `${dir}/oci-layout does not say imageLayoutVersion ${LAYOUT_VERSION}`);
  const bytes = readLayoutFile(dir, "index.json");
  const parsed = parseManifest({ digest: sha256Digest(bytes), mediaType: MEDIA_TYPES.ociIndex, bytes });
  if (parsed.kind !== "index") throw new ArtifactError("image-unsupported", `${dir}/index.json is not an image index`);
  return parsed.index;
}

function readLayoutFile(dir: string, name: string): Buffer {
  const path = join(dir, name);
  if (!existsSync(path)) throw new ArtifactError("image-unavailable", `${dir} is not an OCI image layout (it has no ${name})`);
  return readFileSync(path);
}

/**
 * Writes `image` into the layout at `dir` under `refName`, making the
 * layout if `dir` is missing or empty; an image of that name already there
 * is replaced, others are kept. Blobs and index.json are each written
 * whole (a temporary name, then rename), index.json last, so a layout read
 * at any moment names only blobs that are there.
 *
 * @example
 *     writeOciLayout("out/counter", await buildBpfmanImage("counter.o"), "registry.example/nfs/counter:v1");
 *     // skopeo inspect oci:out/counter:registry.example/nfs/counter:v1
 */
export function writeOciLayout(dir: string, image: ImageFiles, refName: string): void {
  if (sha256Digest(image.manifest) !== image.manifestDigest) throw new Error(`the manifest's digest is not ${image.manifestDigest}`);
  const parsed = parseManifest({ digest: image.manifestDigest, mediaType: MEDIA_TYPES.ociManifest, bytes: image.manifest });
  if (parsed.kind !== "manifest") throw new Error("writeOciLayout writes an image manifest, not an index");
  const index = existingIndex(dir);
  try {
    mkdirSync(join(dir, "blobs", "sha256"), { recursive: true });
    for (const [digest, bytes] of image.blobs) {
      if (sha256Digest(bytes) !== digest) throw new Error(`a blob's digest is not ${digest}`);
      writeWhole(blobPath(dir, digest), bytes);
    }
    writeWhole(blobPath(dir, image.manifestDigest), image.manifest);
    if (index === undefined) writeWhole(join(dir, "oci-layout"), `${JSON.stringify({ imageLayoutVersion: LAYOUT_VERSION })}\n`);
    const entry: Descriptor = {
      mediaType: parsed.manifest.mediaType ?? MEDIA_TYPES.ociManifest,
      digest: image.manifestDigest,
      size: image.manifest.length,
      annotations: { [REF_NAME_ANNOTATION]: refName },
    };
    const others = (index?.manifests ?? []).filter((d) => d.annotations?.[REF_NAME_ANNOTATION] !== refName);
    const written: ImageIndex = { schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests: [...others, entry] };
    writeWhole(join(dir, "index.json"), `${JSON.stringify(written)}\n`);
  } catch (err) {
    if (err instanceof ArtifactError) throw err;
    throw new ArtifactError("image-unavailable", `cannot write the OCI layout ${dir}: ${describeError(err)}`, { cause: err });
  }
}

/** A blob of the layout, checked against its descriptor's size and digest. */
function readBlob(dir: string, descriptor: Descriptor): Buffer {
  const path = blobPath(dir, descriptor.digest);
  if (!existsSync(path)) throw new ArtifactError("image-unavailable", `${dir} lacks the blob ${descriptor.digest}`);
  const size = statSync(path).size;
  if (size !== descriptor.size) throw new ArtifactError("image-unavailable", `${dir}: the blob ${descriptor.digest} is ${size} bytes, not ${descriptor.size}`);
  const bytes = readFileSync(path);
  const digest = sha256Digest(bytes);
  if (digest !== descriptor.digest) throw new ArtifactError("image-unavailable", `${dir}: the blob ${descriptor.digest} holds content of digest ${digest}`);
  return bytes;
}

/**
 * The image named `refName` in the layout at `dir` (without it, the one
 * image the layout holds), every blob read and verified against its
 * digest.
 *
 * @example
 *     const image = readOciLayout("out/counter");
 *     image.manifestDigest // "sha256:…"
 */
export function readOciLayout(dir: string, refName?: string): ImageFiles {
  const index = existingIndex(dir);
  if (index === undefined) throw new ArtifactError("image-unavailable", `${dir} is not an OCI image layout (it is missing or empty)`);
  const name = (d: Descriptor) => d.annotations?.[REF_NAME_ANNOTATION] ?? d.digest;
  const candidates = refName === undefined ? index.manifests : index.manifests.filter((d) => d.annotations?.[REF_NAME_ANNOTATION] === refName);
  const [chosen] = candidates;
  if (chosen === undefined || candidates.length > 1) {
    const names = index.manifests.map(name).join(", ") || "none";
    throw new ArtifactError(
      "image-unavailable",
      refName === undefined
        ? `${dir} holds ${index.manifests.length} images (${names}); name one`
        : `${dir} has no single image named ${refName} (it has: ${names})`,
    );
  }
  const manifest = readBlob(dir, chosen);
  const parsed = parseManifest({ digest: chosen.digest, mediaType: chosen.mediaType, bytes: manifest });
  if (parsed.kind !== "manifest")
    throw new ArtifactError("image-unsupported", `${dir}: ${name(chosen)} is an image index; nfctl reads a single image from a layout`);
  const blobs = new Map<string, Buffer>();
  for (const descriptor of [parsed.manifest.config, ...parsed.manifest.layers]) blobs.set(descriptor.digest, readBlob(dir, descriptor));
  return { manifest, manifestDigest: chosen.digest, blobs };
}
