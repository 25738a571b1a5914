/**
 * An image of an OCI layout sent to a registry, as `nfctl image push`
 * does: each blob the repository lacks, then the manifest, under the
 * reference's tag (or by its digest).
 */
import type { ImageFiles } from "./oci-layout.js";
import type { RegistryClient } from "./registry.js";
import type { ImageReference } from "./types.js";
import { manifestMediaType } from "./media-type.js";

/**
 * Pushes `image` to `ref` and returns the manifest's digest as the registry
 * computed it. A reference by digest must name the image's own digest.
 *
 * @example
 *     await pushImage(registryClient({}), parseImageReference("localhost:5000/nfs/counter:v1"), readOciLayout("counter-image"))
 *     // "sha256:9a0e…"
 */
export async function pushImage(registry: RegistryClient, ref: ImageReference, image: ImageFiles): Promise<string> {
  if (ref.digest !== undefined && ref.digest !== image.manifestDigest) {
    throw new Error(`the reference names ${ref.digest}, but the image's manifest is ${image.manifestDigest}`);
  }
  for (const [digest, bytes] of image.blobs) {
    if (!(await registry.hasBlob(ref, digest))) await registry.pushBlob(ref, bytes);
  }
  return registry.pushManifest(ref, ref.tag ?? image.manifestDigest, manifestMediaType(image.manifest), image.manifest);
}
