/**
 * What a source yields: the config inputs to load, and where they came
 * from (a revision in Flux's format) and what they hold (a digest).
 */

export interface Snapshot {
  /** Absolute paths of the config inputs to load (directories or files), resolved through symlinks (realpath). */
  inputs: string[];
  /** Flux-style revision: "main@sha1:<40 hex>" for git, "sha256:<64 hex>" for a directory snapshot. */
  revision: string;
  /** sha256 hex of the sorted (path, content) pairs of every config file the snapshot holds. */
  digest: string;
}

/** A source that could not yield a snapshot; the message is one line naming the URL, ref or path. */
export class SourceError extends Error {
  override readonly name = "SourceError";
  constructor(
    message: string,
    readonly reason: "SourceFailed" | "VerificationFailed",
  ) {
    super(message);
  }
}
