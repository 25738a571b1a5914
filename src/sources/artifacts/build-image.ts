/**
 * A bpfman-compatible bytecode image made from one object, as bpfman's
 * `bpfman image build` makes it (bpfman/src/bin/cli/image.rs): config
 * labels io.ebpf.programs and io.ebpf.maps read from the object's own
 * programs and maps, in bpfman's words for their types, and one tar+gzip
 * layer holding the object at its root. Reproducible: the same object
 * gives the same digest (no timestamps, owner 0, mode 0644).
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { gzipSync } from "node:zlib";
import { pack } from "tar-stream";
import { inspectObject } from "../../state/index.js";
import { MEDIA_TYPES, type Manifest } from "./types.js";
import { ArtifactError } from "./errors.js";
import { BPFMAN_LABELS } from "./formats/bpfman-image.js";
import { requireBpfObject } from "./formats/raw-object.js";
import { sha256Digest } from "./digest.js";
import type { ImageFiles } from "./oci-layout.js";
import { hostArchitecture } from "./platform.js";
import { describeError } from "../snapshot.js";

/** bpfman's names of program types (its ProgramType), by enum bpf_prog_type. */
const PROGRAM_TYPES = [
  "unspec", "socket_filter", "probe", "tc", "sched_act", "tracepoint", "xdp", "perf_event", "cgroup_skb", "cgroup_sock", "lwt_in",
  "lwt_out", "lwt_xmit", "sock_ops", "sk_skb", "cgroup_device", "sk_msg", "raw_tracepoint", "cgroup_sock_addr", "lwt_seg6local",
  "lirc_mode2", "sk_reuseport", "flow_dissector", "cgroup_sysctl", "raw_tracepoint_writable", "cgroup_sockopt", "tracing",
  "struct_ops", "ext", "lsm", "sk_lookup", "syscall", "netfilter",
]; // prettier-ignore

/** bpfman's names of map types (its MapType), by enum bpf_map_type. */
const MAP_TYPES = [
  "unspec", "hash", "array", "prog_array", "perf_event_array", "per_cpu_hash", "per_cpu_array", "stack_trace", "cgroup_array",
  "lru_hash", "lru_per_cpu_hash", "lpm_trie", "array_of_maps", "hash_of_maps", "devmap", "sockmap", "cpumap", "xskmap", "sockhash",
  "cgroup_storage", "reuseport_sockarray", "per_cpu_cgroup_storage", "queue", "stack", "sk_storage", "devmap_hash", "struct_ops",
  "ringbuf", "inode_storage", "task_storage", "bloom_filter", "user_ringbuf", "cgrp_storage", "arena",
]; // prettier-ignore

/** A label's JSON: names to type words, sorted by name, so the same object gives the same bytes. */
function label(entries: Array<[string, number]>, words: string[]): string {
  const sorted = entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify(Object.fromEntries(sorted.map(([name, type]) => [name, words[type] ?? `type_${type}`])));
}

/** A one-member tar, the member as a reproducible build has it: no time, owner root, mode 0644. */
async function tarOf(name: string, bytes: Buffer): Promise<Buffer> {
  const archive = pack();
  archive.entry({ name, type: "file", mode: 0o644, uid: 0, gid: 0, uname: "", gname: "", mtime: new Date(0), size: bytes.length }, bytes);
  archive.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of archive) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * The image of the object at `objectPath`, for architecture `arch` (Node's
 * name; this host's by default): its manifest, config and layer. An object
 * libbpf cannot open, or one without programs, is an ArtifactError.
 *
 * @example
 *     const image = await buildBpfmanImage("bpf/build/counter.o");
 *     writeOciLayout("out/counter", image, "registry.example/nfs/counter:v1");
 */
export async function buildBpfmanImage(objectPath: string, arch?: string): Promise<ImageFiles> {
  const refuse = (why: string, cause?: unknown) => new ArtifactError("artifact-unsupported", `${objectPath} ${why}`, { cause });
  let object: Buffer;
  try {
    object = readFileSync(objectPath);
  } catch (err) {
    throw refuse(`cannot be read: ${describeError(err)}`, err);
  }
  requireBpfObject(object, objectPath, "artifact-unsupported");
  let summary;
  try {
    summary = inspectObject(objectPath);
  } catch (err) {
    throw refuse(`cannot be opened as a BPF object: ${describeError(err)}`, err);
  }
  // The labels must describe the bytes in the layer.
  if (`sha256:${summary.digest}` !== sha256Digest(object)) throw refuse("changed while it was read");
  if (summary.programs.length === 0) throw refuse("has no programs");

  const layerTar = await tarOf(basename(objectPath), object);
  // gzip's header from Node's zlib has no time and no name: the same tar gives the same bytes.
  const layer = gzipSync(layerTar);
  const labels = {
    [BPFMAN_LABELS.programs]: label(
      summary.programs.map((p) => [p.name, p.type]),
      PROGRAM_TYPES,
    ),
    [BPFMAN_LABELS.maps]: label(
      summary.maps.filter((m) => !m.internal).map((m) => [m.name, m.type]),
      MAP_TYPES,
    ),
  };
  const config = Buffer.from(
    JSON.stringify({
      architecture: hostArchitecture(arch),
      os: "linux",
      config: { Labels: labels },
      rootfs: { type: "layers", diff_ids: [sha256Digest(layerTar)] },
    }),
  );
  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociManifest,
    config: { mediaType: MEDIA_TYPES.ociConfig, digest: sha256Digest(config), size: config.length },
    layers: [{ mediaType: MEDIA_TYPES.ociLayerTarGzip, digest: sha256Digest(layer), size: layer.length }],
  };
  const manifestBytes = Buffer.from(JSON.stringify(manifest));
  return {
    manifest: manifestBytes,
    manifestDigest: sha256Digest(manifestBytes),
    blobs: new Map([
      [manifest.config.digest, config],
      [manifest.layers[0]!.digest, layer],
    ]),
  };
}
