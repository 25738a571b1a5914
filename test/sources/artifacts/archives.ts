/**
 * Crafted archives and images for the format tests: tar+gzip made here
 * with tar-stream (any member type, any name, as a hostile package would
 * have them), and images as plain blobs by digest with a BlobReader over
 * them.
 */
import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import { pack, type Header } from "tar-stream";
import type { BlobReader, Descriptor } from "../../../src/sources/artifacts/types.js";

/** One member: its tar header, and the bytes of a regular file. */
export interface Member {
  header: Partial<Header> & { name: string };
  body?: Buffer;
}

/** A regular file member. */
export const file = (name: string, body: Buffer | string): Member => ({ header: { name, type: "file" }, body: Buffer.from(body) });

/** The members as a tar archive, not compressed. */
export async function tar(members: Member[]): Promise<Buffer> {
  const archive = pack();
  for (const { header, body } of members) {
    if (body === undefined) archive.entry(header);
    else archive.entry(header, body);
  }
  archive.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of archive) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The members as a .tar.gz. */
export async function tarGz(members: Member[]): Promise<Buffer> {
  return gzipSync(await tar(members));
}

export const digestOf = (bytes: Buffer) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;

/** Blobs by digest, and the digests read from them in order. */
export class Blobs {
  readonly byDigest = new Map<string, Buffer>();
  readonly read: string[] = [];

  /** Stores `bytes` and returns their descriptor of type `mediaType`. */
  add(mediaType: string, bytes: Buffer | string): Descriptor {
    const buffer = Buffer.from(bytes);
    const digest = digestOf(buffer);
    this.byDigest.set(digest, buffer);
    return { mediaType, digest, size: buffer.length };
  }

  readonly reader: BlobReader = async (descriptor) => {
    this.read.push(descriptor.digest);
    const bytes = this.byDigest.get(descriptor.digest);
    if (bytes === undefined) throw new Error(`no blob ${descriptor.digest}`);
    return bytes;
  };
}
