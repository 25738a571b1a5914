/**
 * `nfctl image`: NF authors' own image tooling, so that they need no other
 * tool. `build` writes a bpfman-compatible image of an object as an OCI
 * image layout directory, `push` sends a layout's image to a registry, and
 * `inspect` shows what an image in a registry holds.
 */
import { statSync } from "node:fs";
import { describeFsError } from "../reconcile/index.js";
import { buildBpfmanImage } from "../sources/artifacts/build-image.js";
import { inspectImage } from "../sources/artifacts/inspect-image.js";
import { readOciLayout, writeOciLayout } from "../sources/artifacts/oci-layout.js";
import { pushImage } from "../sources/artifacts/push-image.js";
import { formatImageReference, parseImageReference } from "../sources/artifacts/reference.js";
import { registryClient } from "../sources/artifacts/registry.js";
import type { Context } from "./main.js";
import { registryOptionsFrom, resolveOptionsFrom, type RegistryFlags } from "./registry-options.js";
import { renderImage } from "./views/image-text.js";
import { toJson } from "./views/json.js";

export interface ImageBuildOptions {
  object: string;
  tag: string;
  /** The OCI layout directory to write. */
  output: string;
}

export interface ImagePushOptions extends Omit<RegistryFlags, "verifyKey"> {
  layout: string;
  ref: string;
}

export interface ImageInspectOptions extends RegistryFlags {
  ref: string;
  cacheDir: string;
  output: "text" | "json";
}

/**
 * @example
 *     // nfctl image build bpf/build/counter.o --tag localhost:5000/nfs/counter:v1 --output counter-image
 *     // built localhost:5000/nfs/counter:v1 (sha256:9a0e…) in counter-image
 */
export async function imageBuildCommand(opts: ImageBuildOptions): Promise<number> {
  let isFile = false;
  try {
    isFile = statSync(opts.object).isFile();
  } catch (err) {
    throw new Error(`object file ${opts.object}: ${describeFsError(err)}`, { cause: err });
  }
  if (!isFile) throw new Error(`object file ${opts.object} is not a regular file`);
  const ref = parseImageReference(opts.tag);
  const image = await buildBpfmanImage(opts.object);
  writeOciLayout(opts.output, image, formatImageReference(ref));
  process.stdout.write(`built ${opts.tag} (${image.manifestDigest}) in ${opts.output}\n`);
  return 0;
}

/**
 * @example
 *     // nfctl image push counter-image localhost:5000/nfs/counter:v1
 *     // pushed localhost:5000/nfs/counter:v1@sha256:9a0e…
 */
export async function imagePushCommand(opts: ImagePushOptions): Promise<number> {
  const ref = parseImageReference(opts.ref);
  const image = readOciLayout(opts.layout);
  const digest = await pushImage(registryClient(registryOptionsFrom(opts)), ref, image);
  process.stdout.write(`pushed ${ref.digest === undefined ? `${opts.ref}@${digest}` : opts.ref}\n`);
  return 0;
}

/**
 * @example
 *     // nfctl image inspect localhost:5000/nfs/counter:v1 -o json
 */
export async function imageInspectCommand(opts: ImageInspectOptions, context: Context): Promise<number> {
  const inspection = await inspectImage(opts.ref, resolveOptionsFrom(opts, { cacheDir: opts.cacheDir }), context.libbpfLog);
  process.stdout.write(opts.output === "json" ? toJson("Image", { image: inspection }) : renderImage(inspection));
  return 0;
}
