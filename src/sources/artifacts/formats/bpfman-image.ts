/**
 * bpfman's bytecode image (bpfman docs/developer-guide/shipping-bytecode.md,
 * src/oci_utils/image_manager.rs): an image config whose labels
 * `io.ebpf.programs` and `io.ebpf.maps` are JSON objects of names to types
 * (or, in older images, `io.ebpf.bpf_function_name`, `io.ebpf.program_type`
 * and `io.ebpf.filename`), and one tar+gzip layer (OCI or Docker rootfs)
 * holding the object at its root.
 */
import { MEDIA_TYPES, type Manifest } from "../types.js";
import { ArtifactError } from "../errors.js";
import type { ImageHandler } from "./handler.js";
import { requireBpfObject } from "./raw-object.js";
import { describeFiles, extractMember, scanArchive } from "./tar-gzip.js";

/** The labels bpfman reads and `nfctl image build` writes. */
export const BPFMAN_LABELS = {
  programs: "io.ebpf.programs",
  maps: "io.ebpf.maps",
  /** The older labels (bpfman's ContainerImageMetadataV1). */
  functionName: "io.ebpf.bpf_function_name",
  programType: "io.ebpf.program_type",
  filename: "io.ebpf.filename",
} as const;

const CONFIG_TYPES: readonly string[] = [MEDIA_TYPES.ociConfig, MEDIA_TYPES.dockerConfig];
const LAYER_TYPES: readonly string[] = [MEDIA_TYPES.ociLayerTarGzip, MEDIA_TYPES.dockerLayerTarGzip];

const unsupported = (message: string) => new ArtifactError("image-unsupported", message);

/** What the labels say: programs and maps by name, and the object's file name in older images. */
interface BytecodeLabels {
  programs: Record<string, string>;
  maps?: Record<string, string>;
  filename?: string;
}

/** The image config's labels (config.Labels), string values only. */
function configLabels(config: Buffer): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(config.toString("utf8"));
  } catch {
    throw unsupported("the image config is not JSON");
  }
  const labels = (parsed as { config?: { Labels?: unknown } } | null)?.config?.Labels;
  if (typeof labels !== "object" || labels === null) return {};
  return Object.fromEntries(Object.entries(labels).filter((e): e is [string, string] => typeof e[1] === "string"));
}

/** A label whose value is a JSON object of names to types, as bpfman writes io.ebpf.programs and io.ebpf.maps. */
function namesToTypes(label: string, value: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed) || !Object.values(parsed).every((v) => typeof v === "string")) {
    throw unsupported(`the image's label ${label} is not a JSON object of names to types`);
  }
  // fromEntries defines properties: a name such as "__proto__" stays a name.
  return Object.fromEntries(Object.entries(parsed as Record<string, string>));
}

function bytecodeLabels(labels: Record<string, string>): BytecodeLabels {
  const programs = labels[BPFMAN_LABELS.programs];
  if (programs !== undefined) {
    const maps = labels[BPFMAN_LABELS.maps];
    return { programs: namesToTypes(BPFMAN_LABELS.programs, programs), ...(maps !== undefined && { maps: namesToTypes(BPFMAN_LABELS.maps, maps) }) };
  }
  const name = labels[BPFMAN_LABELS.functionName];
  const type = labels[BPFMAN_LABELS.programType];
  if (name !== undefined && type !== undefined) {
    const filename = labels[BPFMAN_LABELS.filename];
    return { programs: Object.fromEntries([[name, type]]), ...(filename !== undefined && { filename }) };
  }
  throw unsupported(
    `the image config has neither the label ${BPFMAN_LABELS.programs} nor the older ${BPFMAN_LABELS.functionName} and ${BPFMAN_LABELS.programType}: it is not a bpfman bytecode image`,
  );
}

/** The one object at the layer's root: the file the labels name, or the only *.o there. */
async function layerObject(archive: Buffer, what: string, filename: string | undefined): Promise<Buffer> {
  const options = { what, code: "image-unsupported" } as const;
  if (filename !== undefined) return extractMember(archive, filename, options);
  const scan = await scanArchive(archive, (path) => !path.includes("/") && path.endsWith(".o"), options);
  if (scan.first === undefined) throw unsupported(`${what} has no .o file at its root; it has: ${describeFiles(scan)}`);
  if (scan.matched.length > 1) {
    throw unsupported(
      `${what} has ${scan.matched.length} .o files at its root (${scan.matched.join(", ")}); a bpfman image holds one, or names it in ${BPFMAN_LABELS.filename}`,
    );
  }
  return scan.first;
}

export const bpfmanImage: ImageHandler = {
  format: "bpfman",
  description: `a bpfman bytecode image (an image config with the label ${BPFMAN_LABELS.programs}, one ${MEDIA_TYPES.ociLayerTarGzip} or ${MEDIA_TYPES.dockerLayerTarGzip} layer)`,
  mediaTypes: [...CONFIG_TYPES, ...LAYER_TYPES],

  accepts(manifest: Manifest): boolean {
    return CONFIG_TYPES.includes(manifest.config.mediaType) && manifest.layers.length > 0 && manifest.layers.every((l) => LAYER_TYPES.includes(l.mediaType));
  },

  async extract(manifest, readBlob) {
    const [layer, ...more] = manifest.layers;
    if (layer === undefined || more.length > 0) throw unsupported(`a bpfman bytecode image has one layer; this one has ${manifest.layers.length}`);
    const labels = bytecodeLabels(configLabels(await readBlob(manifest.config)));
    const what = `the image's layer ${layer.digest}`;
    const object = requireBpfObject(await layerObject(await readBlob(layer), what, labels.filename), `the object in ${what}`, "image-unsupported");
    return { format: "bpfman", object, programs: labels.programs, ...(labels.maps && { maps: labels.maps }) };
  },
};
