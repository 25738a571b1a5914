/**
 * Where an NF's code comes from, when it is not a local file: the types
 * the config loader, the artifact fetcher (sources/artifacts) and the
 * generation records share. Plain data; the fetching lives in sources.
 */

/** How an image is pulled: as bpfman and Kubernetes name it. */
export type PullPolicy = "IfNotPresent" | "Always" | "Never";

/** An NF's code as a config names it (not a local `object:` path). */
export type CodeSource =
  | {
      kind: "artifact";
      /** file:// or https:// URL of a .o, or of a .tar.gz/.tgz package. */
      url: string;
      /** The sha256 the config requires of what the URL serves, hex. */
      sha256: string;
      /** In a package: the member that is the object (a path inside the archive). */
      object?: string;
    }
  | {
      kind: "image";
      /** An OCI reference by tag or by digest, as written: registry/repository:tag or …@sha256:hex. */
      ref: string;
      pullPolicy: PullPolicy;
      /** A PEM public key file whose cosign signature the image must carry. */
      verifyKey?: string;
    };

/** Where the code that ran came from: kept in the plan, the generation record and status. */
export type CodeOrigin =
  | {
      kind: "artifact";
      url: string;
      /** sha256 of what the URL served (the package, or the object itself), hex. */
      sha256: string;
      object?: string;
    }
  | {
      kind: "image";
      /** The reference as written (a tag or a digest). */
      ref: string;
      /** The manifest digest it resolved to: sha256:hex. */
      digest: string;
      /** Which format it was read as (bpfman, gadget). */
      format: string;
      /** Signed by the key at this path, verified. */
      verifiedBy?: string;
    };

/** Why a code source could not be had: the codes the config's errors carry. */
export type CodeProblem =
  | "artifact-digest-mismatch"
  | "artifact-unavailable"
  | "artifact-unsupported"
  | "artifact-not-cached"
  | "image-unavailable"
  | "image-unsupported"
  | "image-not-cached"
  | "image-signature";

/** A code source fetched, verified and cached; or one line on why not. */
export type ResolvedCode =
  | {
      ok: true;
      /** The object file, in the content-addressed cache (never rewritten). */
      path: string;
      /** sha256 of the object, hex (what the executor checks again). */
      digest: string;
      origin: CodeOrigin;
    }
  | { ok: false; code: CodeProblem; message: string };

/**
 * The key a source is resolved under: two NFs naming the same thing share
 * one fetch.
 *
 * @example
 *     codeSourceKey({ kind: "image", ref: "reg.example/nf/counter:v1", pullPolicy: "IfNotPresent" })
 *     // "image reg.example/nf/counter:v1 IfNotPresent -"
 */
export function codeSourceKey(source: CodeSource): string {
  return source.kind === "artifact"
    ? `artifact ${source.url} ${source.sha256} ${source.object ?? "-"}`
    : `image ${source.ref} ${source.pullPolicy} ${source.verifyKey ?? "-"}`;
}

/** Resolves every source, each under its codeSourceKey; never rejects for a source's own problem. */
export type CodeResolver = (sources: readonly CodeSource[]) => Promise<Map<string, ResolvedCode>>;
