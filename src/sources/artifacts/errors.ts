/**
 * The one error of the artifact modules: a line a user can act on, with
 * the CodeProblem the config's diagnostics carry. Never a credential in
 * it: messages name URLs through redactUrl and registries by host.
 *
 * @example
 *     throw new ArtifactError("image-unavailable", "image 127.0.0.1:5000/nfs/counter:v1: not found at the registry");
 */
import type { CodeProblem } from "../../state/code-source.js";

export class ArtifactError extends Error {
  override readonly name = "ArtifactError";
  constructor(
    readonly code: CodeProblem,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
