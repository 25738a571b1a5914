/**
 * What a handler of one kind of image content is, as Inspektor Gadget
 * chooses its handlers by media type: formats/index.ts asks each whether
 * it accepts a manifest. Handlers do not import each other.
 */
import type { BlobReader, ExtractedCode, Manifest } from "../types.js";

export interface ImageHandler {
  /** The format's name: CodeOrigin.format, `nfctl image inspect`. */
  format: string;
  /** What it reads, in words, for the message about content nfctl does not read. */
  description: string;
  /** The config and layer media types it reads. */
  mediaTypes: readonly string[];
  /** Whether the manifest's media types are this format's (labels and layer contents are checked by `extract`). */
  accepts(manifest: Manifest): boolean;
  /** The object and what the image says of it; an ArtifactError("image-unsupported") when the content is not as the format says. */
  extract(manifest: Manifest, readBlob: BlobReader): Promise<ExtractedCode>;
}
