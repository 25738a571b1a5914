/**
 * One `artifact:` resolved: the package (or object) the config names by
 * its sha256, taken from the cache when there (it is named by that digest,
 * so nothing needs asking), else downloaded, checked against the sha256
 * and cached; then the object taken out of it (formats/) and cached too.
 */
import { sha256Hex } from "./digest.js";
import type { CodeSource, ResolvedCode } from "../../state/code-source.js";
import { redactUrl } from "../git-url.js";
import { ArtifactError } from "./errors.js";
import type { ResolveDeps, ResolveOptions } from "./resolve.js";

type ArtifactSource = Extract<CodeSource, { kind: "artifact" }>;

/**
 * The artifact's object in the cache. Throws ArtifactError: not cached
 * (offline), or served content of another sha256 (the message names both).
 *
 * @example
 *     await resolveArtifact({ kind: "artifact", url: "https://a.example/bl.tgz", sha256: "ab12…", object: "blocklist.o" }, options, deps)
 *     // { ok: true, path: "<cache>/oci/blobs/sha256/5e6f…", digest: "5e6f…",
 *     //   origin: { kind: "artifact", url: "https://a.example/bl.tgz", sha256: "ab12…", object: "blocklist.o" } }
 */
export async function resolveArtifact(source: ArtifactSource, options: ResolveOptions, deps: ResolveDeps): Promise<Extract<ResolvedCode, { ok: true }>> {
  const url = redactUrl(source.url);
  let bytes = deps.cache.readBlob(`sha256:${source.sha256}`);
  if (bytes === undefined) {
    if (options.offline === true) {
      throw new ArtifactError("artifact-not-cached", `artifact ${url} is not in the cache (sha256 ${source.sha256}); plan --offline reads the cache only`);
    }
    bytes = await deps.fetchArtifact(source.url, {
      ...(options.registry.ca !== undefined && { ca: options.registry.ca }),
      ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
      ...(options.maxBytes !== undefined && { maxBytes: options.maxBytes }),
      ...(options.roots !== undefined && { roots: options.roots }),
    });
    const got = sha256Hex(bytes);
    if (got !== source.sha256) {
      throw new ArtifactError("artifact-digest-mismatch", `artifact ${url} has sha256 ${got}, but the config requires ${source.sha256}`);
    }
    deps.cache.writeBlob(bytes);
  }
  const object = deps.cache.writeBlob(await deps.artifactObject(bytes, url, source.object));
  return {
    ok: true,
    path: object.path,
    digest: object.digest.replace(/^sha256:/, ""),
    origin: { kind: "artifact", url, sha256: source.sha256, ...(source.object !== undefined && { object: source.object }) },
  };
}
