/**
 * NF code by kind of content, one handler a file, chosen by media type as
 * Inspektor Gadget chooses its handlers: an image's manifest goes to the
 * image handler that accepts it (bpfman, gadget), an artifact's bytes are a
 * raw object or a tar+gzip package. Content no handler reads is refused
 * with a message naming it and listing what is read.
 */
import type { BlobReader, ExtractedCode, Manifest } from "../types.js";
import { ArtifactError } from "../errors.js";
import type { ImageHandler } from "./handler.js";
import { bpfmanImage } from "./bpfman-image.js";
import { gadgetImage } from "./gadget-image.js";
import { isElf, requireBpfObject } from "./raw-object.js";
import { extractMember, isGzip } from "./tar-gzip.js";

export type { ImageHandler } from "./handler.js";

/** Every image handler, in the order they are asked. */
export const IMAGE_HANDLERS: readonly ImageHandler[] = [bpfmanImage, gadgetImage];

/** The message for a manifest no handler accepts: what in it nfctl does not read, and what it reads. */
function unsupportedImage(manifest: Manifest): ArtifactError {
  const known = new Set(IMAGE_HANDLERS.flatMap((h) => h.mediaTypes));
  const layer = manifest.layers.find((l) => !known.has(l.mediaType));
  const layerTypes = [...new Set(manifest.layers.map((l) => l.mediaType))].join(", ");
  const what =
    manifest.layers.length === 0
      ? "has no layers"
      : layer !== undefined
        ? `has a layer of type ${layer.mediaType}, which nfctl does not read`
        : !known.has(manifest.config.mediaType)
          ? `has a config of type ${manifest.config.mediaType}, which nfctl does not read`
          : `has a config of type ${manifest.config.mediaType} with layers of type ${layerTypes}, a mix of formats nfctl does not read`;
  return new ArtifactError("image-unsupported", `the image ${what}; it reads: ${IMAGE_HANDLERS.map((h) => h.description).join(", ")}`);
}

/**
 * The object an image holds, by the first handler that accepts its
 * manifest; `readBlob` fetches (and verifies) the blobs the handler needs.
 *
 * @example
 *     const code = await extractImage(manifest, (d) => registry.blob(ref, d));
 *     code.format // "bpfman"
 */
export function extractImage(manifest: Manifest, readBlob: BlobReader): Promise<ExtractedCode> {
  const handler = IMAGE_HANDLERS.find((h) => h.accepts(manifest));
  if (handler === undefined) return Promise.reject(unsupportedImage(manifest));
  return handler.extract(manifest, readBlob);
}

/**
 * The object of an `artifact:` download: without `member`, the bytes
 * themselves, which must be a BPF object; with it, that member of the
 * tar+gzip package the bytes must be. `url` names the download in
 * messages (give it without credentials).
 *
 * @example
 *     await artifactObject(bytes, "https://artifacts.example/blocklist-1.2.tar.gz", "blocklist.o")
 */
export async function artifactObject(bytes: Buffer, url: string, member?: string): Promise<Buffer> {
  const code = "artifact-unsupported";
  if (member === undefined) {
    if (isGzip(bytes))
      throw new ArtifactError(code, `${url} is gzip-compressed, not an object: if it is a .tar.gz package, name the object inside it (artifact.object)`);
    return requireBpfObject(bytes, url, code);
  }
  if (isElf(bytes)) throw new ArtifactError(code, `${url} is an object, not a package: drop artifact.object (${member})`);
  return requireBpfObject(await extractMember(bytes, member, { what: url, code }), `${member} in ${url}`, code);
}
