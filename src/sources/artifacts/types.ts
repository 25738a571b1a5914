/**
 * The OCI image format's values as nfctl reads and writes them
 * (opencontainers/image-spec: descriptor.md, manifest.md, image-index.md,
 * config.md), and the media types it knows.
 */

export const MEDIA_TYPES = {
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociConfig: "application/vnd.oci.image.config.v1+json",
  ociLayerTarGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerManifestList: "application/vnd.docker.distribution.manifest.list.v2+json",
  dockerConfig: "application/vnd.docker.container.image.v1+json",
  dockerLayerTarGzip: "application/vnd.docker.image.rootfs.diff.tar.gzip",
  gadgetArtifact: "application/vnd.gadget.v1+binary",
  gadgetConfig: "application/vnd.gadget.config.v1+yaml",
  gadgetProgram: "application/vnd.gadget.ebpf.program.v1+binary",
  cosignSimpleSigning: "application/vnd.dev.cosign.simplesigning.v1+json",
  emptyJson: "application/vnd.oci.empty.v1+json",
} as const;

/** The Accept list of a manifest request: every manifest and index type nfctl reads. */
export const MANIFEST_ACCEPT = [MEDIA_TYPES.ociManifest, MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerManifest, MEDIA_TYPES.dockerManifestList];

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
}

/** A content descriptor: what a manifest or an index points at. */
export interface Descriptor {
  mediaType: string;
  /** "sha256:" and 64 hex digits. */
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: Platform;
  artifactType?: string;
}

/** An image manifest (OCI or Docker schema 2). */
export interface Manifest {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

/** An image index (OCI) or manifest list (Docker). */
export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

/** An image reference, parsed: registry host[:port], repository path, and a tag or a digest (or both). */
export interface ImageReference {
  registry: string;
  repository: string;
  tag?: string;
  /** "sha256:" and 64 hex digits. */
  digest?: string;
}

/** A manifest or an index as fetched: its bytes, verified against `digest`. */
export interface FetchedManifest {
  /** The digest of `bytes`: "sha256:hex". */
  digest: string;
  mediaType: string;
  bytes: Buffer;
}

/** Reads a blob of the image being read, verified against its descriptor's digest and size. */
export type BlobReader = (descriptor: Descriptor) => Promise<Buffer>;

/** What an image's handler takes out of it: the object, and what the image says of it. */
export interface ExtractedCode {
  /** The format the image was read as ("bpfman", "gadget"). */
  format: string;
  /** The BPF object (ELF) bytes. */
  object: Buffer;
  /** Program name -> type, as the image's labels or config name them (informational). */
  programs?: Record<string, string>;
  /** Map name -> type, as the image's labels name them (informational). */
  maps?: Record<string, string>;
}
