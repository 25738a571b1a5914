/**
 * A fetched manifest's JSON checked for shape before anything uses it
 * (opencontainers/image-spec manifest.md, image-index.md, descriptor.md;
 * Docker's schema 2): schemaVersion 2, a media type nfctl reads, and
 * descriptors with a media type, a sha256 digest and a size. What it
 * returns is a copy of the fields nfctl knows, never the parsed JSON.
 */
import { MEDIA_TYPES, type Descriptor, type FetchedManifest, type ImageIndex, type Manifest, type Platform } from "./types.js";
import { ArtifactError } from "./errors.js";

/** The media types of an image manifest (OCI, Docker schema 2). */
export const MANIFEST_TYPES: readonly string[] = [MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerManifest];
const INDEX_TYPES: readonly string[] = [MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerManifestList];
const SHA256_DIGEST = /^sha256:[0-9a-f]{64}$/;

export type ParsedManifest = { kind: "manifest"; manifest: Manifest } | { kind: "index"; index: ImageIndex };

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * The manifest or index `fetched` holds; an ArtifactError("image-unsupported")
 * naming its digest for anything else: not JSON, schema 1, a media type
 * that is neither, a descriptor without a sha256 digest or a size.
 *
 * @example
 *     const parsed = parseManifest({ digest, mediaType: MEDIA_TYPES.ociManifest, bytes });
 *     if (parsed.kind === "index") parsed.index.manifests // Descriptor[]
 */
export function parseManifest(fetched: FetchedManifest): ParsedManifest {
  const refuse = (why: string) => new ArtifactError("image-unsupported", `the manifest ${fetched.digest} ${why}`);
  let json: unknown;
  try {
    json = JSON.parse(fetched.bytes.toString("utf8"));
  } catch {
    throw refuse("is not JSON");
  }
  if (!isObject(json)) throw refuse("is not a JSON object");
  if (json.schemaVersion !== 2) {
    throw refuse(`has schemaVersion ${JSON.stringify(json.schemaVersion)}; nfctl reads schema 2 (OCI and Docker) manifests only`);
  }
  const declared = json.mediaType;
  if (declared !== undefined && typeof declared !== "string") throw refuse("has a mediaType that is not a string");
  // The body's mediaType is covered by the digest; the Content-Type header is not.
  const mediaType = declared ?? fetched.mediaType;
  const isIndex = INDEX_TYPES.includes(mediaType) || (!MANIFEST_TYPES.includes(mediaType) && declared === undefined && "manifests" in json);
  const isManifest = MANIFEST_TYPES.includes(mediaType) || (!INDEX_TYPES.includes(mediaType) && declared === undefined && "config" in json);
  const check = checker(refuse);
  const common = {
    schemaVersion: 2 as const,
    ...(declared !== undefined && { mediaType: declared }),
    ...(json.annotations !== undefined && { annotations: check.annotations(json.annotations, "annotations") }),
  };
  if (isIndex) {
    if (!Array.isArray(json.manifests)) throw refuse("is an index without a manifests list");
    return { kind: "index", index: { ...common, manifests: json.manifests.map((d, i) => check.descriptor(d, `manifests[${i}]`)) } };
  }
  if (isManifest) {
    if (!Array.isArray(json.layers)) throw refuse("is a manifest without a layers list");
    const artifactType = json.artifactType;
    if (artifactType !== undefined && typeof artifactType !== "string") throw refuse("has an artifactType that is not a string");
    return {
      kind: "manifest",
      manifest: {
        ...common,
        ...(artifactType !== undefined && { artifactType }),
        config: check.descriptor(json.config, "config"),
        layers: json.layers.map((d, i) => check.descriptor(d, `layers[${i}]`)),
      },
    };
  }
  throw refuse(
    `has media type ${JSON.stringify(mediaType)}, neither an image manifest nor an index nfctl reads (${[...MANIFEST_TYPES, ...INDEX_TYPES].join(", ")})`,
  );
}

/** The shape checks of a descriptor's parts, failing through `refuse` with the field's place. */
function checker(refuse: (why: string) => ArtifactError) {
  const string = (value: unknown, where: string): string => {
    if (typeof value !== "string" || value === "") throw refuse(`has no ${where} (a string)`);
    return value;
  };
  const annotations = (value: unknown, where: string): Record<string, string> => {
    if (!isObject(value) || !Object.values(value).every((v) => typeof v === "string")) throw refuse(`has ${where} that are not strings by name`);
    return Object.fromEntries(Object.entries(value as Record<string, string>));
  };
  const platform = (value: unknown, where: string): Platform => {
    if (!isObject(value)) throw refuse(`has a ${where} that is not an object`);
    const variant = value.variant === undefined ? undefined : string(value.variant, `${where}.variant`);
    return {
      architecture: string(value.architecture, `${where}.architecture`),
      os: string(value.os, `${where}.os`),
      ...(variant !== undefined && { variant }),
    };
  };
  const descriptor = (value: unknown, where: string): Descriptor => {
    if (!isObject(value)) throw refuse(`has no ${where} descriptor`);
    const digest = string(value.digest, `${where}.digest`);
    if (!SHA256_DIGEST.test(digest)) throw refuse(`has ${where}.digest ${JSON.stringify(digest.slice(0, 80))}; nfctl verifies sha256 digests only`);
    const size = value.size;
    if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) throw refuse(`has no ${where}.size (a byte count)`);
    return {
      mediaType: string(value.mediaType, `${where}.mediaType`),
      digest,
      size,
      ...(value.annotations !== undefined && { annotations: annotations(value.annotations, `${where}.annotations`) }),
      ...(value.platform !== undefined && { platform: platform(value.platform, `${where}.platform`) }),
      ...(value.artifactType !== undefined && { artifactType: string(value.artifactType, `${where}.artifactType`) }),
    };
  };
  return { annotations, descriptor };
}
