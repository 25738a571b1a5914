/**
 * What an image holds, as `nfctl image inspect` shows it: pulled as the
 * loader pulls it (IfNotPresent, signature checked when a key is given,
 * cached), then what its labels say beside what its object really holds.
 */
import { inspectObject, type LibbpfLogSink } from "../../state/index.js";
import { ArtifactError } from "./errors.js";
import { pullImage } from "./pull-image.js";
import { problemOf, resolveDeps, type ResolveDeps, type ResolveOptions } from "./resolve.js";
import type { Platform } from "./types.js";

export interface ImageInspection {
  ref: string;
  /** What the reference resolved to (a manifest's or an index's digest). */
  digest: string;
  /** The manifest read: the host's own of an index. */
  manifestDigest: string;
  format: string;
  platform?: Platform;
  /** Program and map names with their types, as the image's labels (or config) give them. */
  labels: { programs: Record<string, string>; maps: Record<string, string> };
  /** The object itself: its sha256 (hex), size, programs (with their ELF sections) and maps (libbpf's own .rodata and the like left out). */
  object: { sha256: string; size: number; programs: Array<{ name: string; section: string }>; maps: string[] };
  verifiedBy?: string;
}

/**
 * Pulls `ref` and opens its object (without loading it). Throws
 * ArtifactError, one line naming the reference, for what the pull could
 * not do; the object's own errors (not an ELF file) as inspectObject throws them.
 *
 * @example
 *     await inspectImage("localhost:5000/nfs/counter:v1", { cacheDir: "/tmp/c", registry: {} })
 *     // { ref: "localhost:5000/nfs/counter:v1", digest: "sha256:9a0e…", format: "bpfman", platform: { architecture: "amd64", os: "linux" },
 *     //   labels: { programs: { xdp_counter: "xdp" }, maps: { nf_stats: "percpu_array" } },
 *     //   object: { sha256: "3f1c…", size: 5120, programs: [{ name: "xdp_counter", section: "xdp" }], maps: ["nf_next", "nf_stats"] }, … }
 */
export async function inspectImage(
  ref: string,
  options: ResolveOptions,
  log?: LibbpfLogSink,
  deps: ResolveDeps = resolveDeps(options),
): Promise<ImageInspection> {
  const source = { kind: "image", ref, pullPolicy: "IfNotPresent" } as const;
  let pulled;
  try {
    pulled = await pullImage(source, options, deps);
  } catch (err) {
    const problem = problemOf(source, err);
    throw new ArtifactError(problem.code, problem.message, { cause: err });
  }
  const summary = inspectObject(pulled.object.path, log ? { log } : {});
  return {
    ref,
    digest: pulled.digest,
    manifestDigest: pulled.manifestDigest,
    format: pulled.code.format,
    ...(pulled.platform !== undefined && { platform: pulled.platform }),
    labels: { programs: pulled.code.programs ?? {}, maps: pulled.code.maps ?? {} },
    object: {
      sha256: pulled.object.sha256,
      size: pulled.object.size,
      programs: summary.programs.map((p) => ({ name: p.name, section: p.section })),
      maps: summary.maps.filter((m) => !m.internal).map((m) => m.name),
    },
    ...(pulled.verifiedBy !== undefined && { verifiedBy: pulled.verifiedBy }),
  };
}
