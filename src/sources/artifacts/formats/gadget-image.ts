/**
 * Inspektor Gadget's image (inspektor-gadget docs/spec/oci.md,
 * pkg/oci/build.go): a config of type application/vnd.gadget.config.v1+yaml
 * and a layer application/vnd.gadget.ebpf.program.v1+binary that is the
 * object itself. Its other layers (wasm, btfgen) are for Inspektor Gadget's
 * own runtime and are not read; the per-architecture index is resolved
 * before (platform.ts).
 */
import { MEDIA_TYPES, type Manifest } from "../types.js";
import { ArtifactError } from "../errors.js";
import type { ImageHandler } from "./handler.js";
import { requireBpfObject } from "./raw-object.js";

export const gadgetImage: ImageHandler = {
  format: "gadget",
  description: `an Inspektor Gadget image (a ${MEDIA_TYPES.gadgetConfig} config, one ${MEDIA_TYPES.gadgetProgram} layer)`,
  mediaTypes: [MEDIA_TYPES.gadgetConfig, MEDIA_TYPES.gadgetProgram],

  accepts(manifest: Manifest): boolean {
    const gadget = manifest.config.mediaType === MEDIA_TYPES.gadgetConfig || manifest.artifactType === MEDIA_TYPES.gadgetArtifact;
    return gadget && manifest.layers.some((l) => l.mediaType === MEDIA_TYPES.gadgetProgram);
  },

  async extract(manifest, readBlob) {
    const programs = manifest.layers.filter((l) => l.mediaType === MEDIA_TYPES.gadgetProgram);
    const [layer] = programs;
    if (layer === undefined || programs.length > 1) {
      throw new ArtifactError(
        "image-unsupported",
        `the Inspektor Gadget image has ${programs.length} ${MEDIA_TYPES.gadgetProgram} layers; nfctl runs one object an NF`,
      );
    }
    // Read though not parsed: its digest is checked like every blob's, so a
    // registry that serves another config is caught here too.
    await readBlob(manifest.config);
    const object = requireBpfObject(await readBlob(layer), `the image's layer ${layer.digest}`, "image-unsupported");
    return { format: "gadget", object };
  },
};
