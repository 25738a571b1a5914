/**
 * An NF's code named by `artifact:` or `image:` rather than `object:`: the
 * CodeSource the config asks for, and how the loader looks one up once the
 * caller's CodeResolver (sources/artifacts) has fetched, verified and
 * cached it. The config layer never touches the network: it names what it
 * needs, and is given the cached object's path, or one line on why not.
 */
import { codeSourceKey, type CodeOrigin, type CodeSource, type ResolvedCode } from "../../state/index.js";
import { resolveObjectPath } from "./objects.js";
import type { TcNf, XdpNf } from "./schema-types.js";

/** The resolved code of a source; undefined while it has not been fetched yet (the loader asks for it, then checks again). */
export type CodeLookup = (source: CodeSource) => ResolvedCode | undefined;

/**
 * The CodeSource an NF names, with the field it is written in; undefined
 * for an `object:` NF. A `verify.key` path is taken from the config file's
 * directory, as object paths are.
 *
 * @example
 *     codeSourceOf({ name: "c", program: "p", image: { ref: "reg.example/nf/counter:v1" }, verify: { key: "keys/nf.pub" } }, "/etc/nfctl")
 *     // { field: "image", source: { kind: "image", ref: "reg.example/nf/counter:v1", pullPolicy: "IfNotPresent", verifyKey: "/etc/nfctl/keys/nf.pub" } }
 */
export function codeSourceOf(config: XdpNf | TcNf, baseDir: string): { field: "artifact" | "image"; source: CodeSource } | undefined {
  if (config.artifact) {
    const { url, sha256, object } = config.artifact;
    return { field: "artifact", source: { kind: "artifact", url, sha256, ...(object !== undefined && { object }) } };
  }
  if (config.image) {
    const verifyKey = config.verify ? resolveObjectPath(config.verify.key, baseDir) : undefined;
    return {
      field: "image",
      source: { kind: "image", ref: config.image.ref, pullPolicy: config.image.pullPolicy ?? "IfNotPresent", ...(verifyKey !== undefined && { verifyKey }) },
    };
  }
  return undefined;
}

/**
 * A CodeLookup over the answers a resolver gave (by codeSourceKey); a
 * source not among them is recorded in `wanted`, for the loader to ask
 * for, and looked up as not yet fetched.
 */
export function codeLookup(answers: ReadonlyMap<string, ResolvedCode>, wanted: Map<string, CodeSource>): CodeLookup {
  return (source) => {
    const key = codeSourceKey(source);
    const answer = answers.get(key);
    if (answer === undefined) wanted.set(key, source);
    return answer;
  };
}

/**
 * What a source resolves to when nothing fetches it: a loader without a
 * resolver (a library caller's loadConfig) says so rather than fetching.
 */
export function unfetched(source: CodeSource): ResolvedCode {
  return source.kind === "image"
    ? { ok: false, code: "image-unavailable", message: `image ${source.ref} was not fetched: this caller of the config loader gives it no resolver` }
    : { ok: false, code: "artifact-unavailable", message: `artifact ${source.url} was not fetched: this caller of the config loader gives it no resolver` };
}

/**
 * How messages name an NF's code: the image or artifact it came from, not
 * its place in the cache.
 *
 * @example
 *     describeCode({ kind: "image", ref: "reg.example/nf/counter:v1", digest: "sha256:9f…", format: "bpfman" }, "/var/cache/…") // "image reg.example/nf/counter:v1"
 */
export function describeCode(origin: CodeOrigin | undefined, path: string): string {
  if (!origin) return path;
  if (origin.kind === "image") return `image ${origin.ref}`;
  return origin.object !== undefined ? `${origin.object} in artifact ${origin.url}` : `artifact ${origin.url}`;
}
