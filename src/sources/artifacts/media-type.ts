/**
 * The media type of a manifest or an index known by its bytes alone: one
 * read back from the cache, or one in an OCI layout, where no
 * Content-Type header came with it.
 */
import { MEDIA_TYPES } from "./types.js";

/**
 * The `mediaType` the document names (image-spec says a manifest and an
 * index should); else an index when it lists `manifests`, a manifest
 * otherwise. Bytes that are no JSON object are left to the parser, which
 * says what is wrong with them: they are named a manifest here.
 *
 * @example
 *     manifestMediaType(Buffer.from('{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json"}'))
 *     // "application/vnd.docker.distribution.manifest.v2+json"
 *     manifestMediaType(Buffer.from('{"schemaVersion":2,"manifests":[]}')) // "application/vnd.oci.image.index.v1+json"
 */
export function manifestMediaType(bytes: Buffer): string {
  let document: unknown;
  try {
    document = JSON.parse(bytes.toString("utf8"));
  } catch {
    return MEDIA_TYPES.ociManifest;
  }
  if (typeof document !== "object" || document === null) return MEDIA_TYPES.ociManifest;
  const { mediaType, manifests } = document as { mediaType?: unknown; manifests?: unknown };
  if (typeof mediaType === "string") return mediaType;
  return Array.isArray(manifests) ? MEDIA_TYPES.ociIndex : MEDIA_TYPES.ociManifest;
}
