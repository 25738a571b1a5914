/**
 * The ArtifactError a call of the artifact modules fails with, for tests
 * that check its exact message and code. Anything else it throws (or
 * nothing at all) fails the test.
 */
import { ArtifactError } from "../../../src/sources/artifacts/errors.js";

/** The ArtifactError `fn` throws. */
export function thrownBy(fn: () => unknown): ArtifactError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ArtifactError) return err;
    throw err;
  }
  throw new Error("no ArtifactError was thrown");
}

/** The ArtifactError `promise` rejects with. */
export async function rejectionOf(promise: Promise<unknown>): Promise<ArtifactError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ArtifactError) return err;
    throw err;
  }
  throw new Error("the promise resolved: no ArtifactError");
}
