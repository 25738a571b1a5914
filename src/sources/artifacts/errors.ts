/**
 * Why an NF's code could not be had: one line, never a credential, with
 * the CodeProblem that the config's errors and the plan carry.
 *
 * @example
 *     throw new ArtifactError("image-signature", "image reg.example/nf/counter:v1 (sha256:…) is not signed");
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
