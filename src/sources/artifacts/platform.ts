/**
 * The manifest of an image index for this host: Inspektor Gadget ships
 * one per architecture, and bpfman's multi-arch images do too. BPF
 * bytecode differs between architectures (byte order, the layout of
 * pt_regs, vmlinux types), so an index without the host's architecture is
 * an error, never a fallback to another.
 */
import type { Descriptor, ImageIndex } from "./types.js";
import { ArtifactError } from "./errors.js";
import { MANIFEST_TYPES } from "./manifest.js";

/** Node's process.arch in the OCI's (Go's GOARCH) words. */
const OCI_ARCHITECTURES: Record<string, string> = {
  x64: "amd64",
  arm64: "arm64",
  arm: "arm",
  ia32: "386",
  ppc64: "ppc64le",
  s390x: "s390x",
  riscv64: "riscv64",
};

/**
 * The OCI architecture of `arch` (Node's name; this process's by default);
 * one nfctl has no word for is returned as it is.
 *
 * @example
 *     hostArchitecture("x64")   // "amd64"
 *     hostArchitecture("arm64") // "arm64"
 */
export function hostArchitecture(arch: string = process.arch): string {
  return OCI_ARCHITECTURES[arch] ?? arch;
}

/**
 * The descriptor of the index's image manifest for linux on `arch` (Node's
 * name; this host's by default): the first such entry. (The image spec
 * requires a platform's os, and parseManifest checks it is there.)
 *
 * @example
 *     selectPlatform(index, "arm64") // the linux/arm64 manifest's descriptor
 *     // or throws "the image index has no manifest for linux/arm64 (it has: linux/amd64)"
 */
export function selectPlatform(index: ImageIndex, arch?: string): Descriptor {
  const wanted = hostArchitecture(arch);
  const found = index.manifests.find((d) => MANIFEST_TYPES.includes(d.mediaType) && d.platform?.architecture === wanted && d.platform.os === "linux");
  if (found !== undefined) return found;
  const has = index.manifests.map((d) => (d.platform ? [d.platform.os, d.platform.architecture, d.platform.variant].filter(Boolean).join("/") : "no platform"));
  throw new ArtifactError(
    "image-unsupported",
    `the image index has no manifest for linux/${wanted} (it has: ${has.length > 0 ? [...new Set(has)].join(", ") : "nothing"})`,
  );
}
