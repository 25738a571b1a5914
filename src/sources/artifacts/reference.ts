/**
 * Image references as docker, skopeo and bpfman write them
 * (distribution/reference's grammar), with one difference: nfctl needs the
 * registry host in every reference. Docker takes a first part without a
 * ".", a ":" or "localhost" for a path on Docker Hub; nfctl refuses it, so
 * that no config pulls code from a registry its author did not name.
 *
 * @example
 *     parseImageReference("127.0.0.1:5000/nfs/counter:v1");
 *     // { registry: "127.0.0.1:5000", repository: "nfs/counter", tag: "v1" }
 *     parseImageReference("registry.example/nfs/counter@sha256:3f1c…");
 *     // { registry: "registry.example", repository: "nfs/counter", digest: "sha256:3f1c…" }
 *     parseImageReference("nginx"); // throws ArtifactError: "nginx" is not an image reference: …
 */
import type { ImageReference } from "./types.js";
import { ArtifactError } from "./errors.js";

/** A host name (dot-separated labels), an IPv4 address or an [IPv6] address, and an optional port. */
const REGISTRY = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:.]+\])(?::[0-9]{1,5})?$/;
/** One component of a repository path: lowercase letters and digits, separated by ".", "_", "__" or dashes. */
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
/** A tag: a word character, then up to 127 word characters, dots and dashes. */
export const TAG = /^\w[\w.-]{0,127}$/;
/** The only digest nfctl verifies. */
export const SHA256_DIGEST = /^sha256:[0-9a-f]{64}$/;
/** Longest repository name the grammar allows (registry host not counted). */
const MAX_NAME_LENGTH = 255;
/** The tag docker, skopeo and bpfman read when a reference names neither a tag nor a digest. */
const DEFAULT_TAG = "latest";

/**
 * `text` as registry, repository, tag and digest. A reference with neither
 * a tag nor a digest names the tag "latest", as docker's does. Throws
 * ArtifactError("image-unavailable") saying which rule `text` breaks.
 */
export function parseImageReference(text: string): ImageReference {
  const refuse = (why: string): never => {
    throw new ArtifactError("image-unavailable", `${JSON.stringify(text)} is not an image reference: ${why}`);
  };
  const at = text.indexOf("@");
  const firstSlash = text.indexOf("/");
  if (at !== -1 && (firstSlash === -1 || at < firstSlash)) {
    // Perhaps user:password@host/…: not echoed.
    throw new ArtifactError(
      "image-unavailable",
      "an image reference has an '@' before its repository path; a reference holds no credentials (give them in the file --registry-config names)",
    );
  }
  let rest = text;
  let digest: string | undefined;
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!SHA256_DIGEST.test(digest)) refuse(digestProblem(digest));
  }
  const slash = rest.indexOf("/");
  const registry = slash === -1 ? rest : rest.slice(0, slash);
  if (slash === -1 || !(registry.includes(".") || registry.includes(":") || registry === "localhost")) {
    refuse(
      "nfctl needs the registry host first (a name with a '.' or a ':', or localhost), as in registry.example/nfs/counter:v1; it does not assume Docker Hub",
    );
  }
  if (!REGISTRY.test(registry)) refuse(`${JSON.stringify(registry)} is not a registry host[:port]`);
  let name = rest.slice(slash + 1);
  let tag: string | undefined;
  const colon = name.lastIndexOf(":");
  if (colon !== -1) {
    tag = name.slice(colon + 1);
    name = name.slice(0, colon);
    if (!TAG.test(tag)) refuse(`the tag ${JSON.stringify(tag)} is not a tag (letters, digits, '_', '.', '-'; at most 128, not starting with '.' or '-')`);
  }
  if (name === "") refuse("it names no repository after the registry host");
  if (name.length > MAX_NAME_LENGTH) refuse(`the repository name is longer than ${MAX_NAME_LENGTH} characters`);
  for (const component of name.split("/")) {
    if (!PATH_COMPONENT.test(component)) {
      refuse(`the repository path component ${JSON.stringify(component)} is not lowercase letters and digits separated by '.', '_', '__' or '-'`);
    }
  }
  const ref: ImageReference = { registry, repository: name };
  if (tag !== undefined || digest === undefined) ref.tag = tag ?? DEFAULT_TAG;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

/** Why `digest` (after an "@") is refused: another algorithm, or not 64 lowercase hex digits. */
export function digestProblem(digest: string): string {
  const colon = digest.indexOf(":");
  const algorithm = colon === -1 ? "" : digest.slice(0, colon);
  if (algorithm !== "sha256") {
    return `the digest ${JSON.stringify(digest)} is not sha256:<64 hex digits>${algorithm === "" ? "" : ` (nfctl verifies sha256 only, not ${algorithm})`}`;
  }
  return `the digest ${JSON.stringify(digest)} is not sha256:<64 lowercase hex digits>`;
}

/**
 * The reference as text: registry/repository[:tag][@digest].
 *
 * @example
 *     formatImageReference({ registry: "127.0.0.1:5000", repository: "nfs/counter", tag: "v1" }); // "127.0.0.1:5000/nfs/counter:v1"
 */
export function formatImageReference(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}${ref.tag === undefined ? "" : `:${ref.tag}`}${ref.digest === undefined ? "" : `@${ref.digest}`}`;
}
