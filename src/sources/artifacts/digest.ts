/**
 * sha256 digests, as the artifact modules compare and name content: hex
 * (an artifact's `sha256`, an object's digest) and as OCI writes them.
 *
 * @example
 *     sha256Hex(Buffer.from(""))    // "e3b0c442…b855"
 *     sha256Digest(Buffer.from("")) // "sha256:e3b0c442…b855"
 */
import { createHash } from "node:crypto";

/** The hex sha256 of `bytes`. */
export function sha256Hex(bytes: Buffer | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** "sha256:" and the hex sha256 of `bytes`: an OCI digest. */
export function sha256Digest(bytes: Buffer): string {
  return `sha256:${sha256Hex(bytes)}`;
}
