/**
 * tar+gzip archives (an artifact's package, a bpfman image's layer), read
 * as a stream by tar-stream over zlib and never written to disk: only the
 * members asked for are kept, in memory. The rest is read to its end all
 * the same, so that an archive holding a link, a device, a FIFO or a name
 * that climbs out of it (`..`, absolute) is refused as a whole, whichever
 * member was asked for: an archive that tries is hostile. Bounded twice:
 * the member kept (MAX_MEMBER_BYTES) and all the bytes inflated
 * (MAX_INFLATED_BYTES, against a gzip bomb).
 */
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { extract } from "tar-stream";
import type { CodeProblem } from "../../../state/code-source.js";
import { ArtifactError } from "../errors.js";

const MIB = 1024 * 1024;

/** The largest member extracted: 64 MiB (a BPF object is rarely 1 MiB). */
export const MAX_MEMBER_BYTES = 64 * MIB;

/** The most bytes an archive may inflate to, all members and headers together: 256 MiB. */
export const MAX_INFLATED_BYTES = 256 * MIB;

/** How many of an archive's files a message lists. */
const LISTED_FILES = 10;

export interface ArchiveOptions {
  /** The largest member kept; MAX_MEMBER_BYTES by default. */
  maxBytes?: number;
  /** The most bytes the whole archive may inflate to; MAX_INFLATED_BYTES by default. */
  maxInflatedBytes?: number;
  /** How messages name the archive (a URL without credentials, a layer digest); "the archive" by default. */
  what?: string;
  /** The problem errors carry; "artifact-unsupported" by default (an image's layer: "image-unsupported"). */
  code?: CodeProblem;
}

/** What a scan found: the members `wanted` accepted, and the archive's files for messages. */
export interface ArchiveScan {
  /** The paths of the regular files `wanted` accepted, in archive order (a path twice if the archive has it twice). */
  matched: string[];
  /** The bytes of the first of them. */
  first: Buffer | undefined;
  /** The first LISTED_FILES regular files' paths. */
  files: string[];
  /** How many regular files the archive has. */
  fileCount: number;
}

/** The words for the member types nfctl refuses (tar-stream's names). */
const REFUSED_TYPES: Record<string, string> = {
  symlink: "a symbolic link",
  link: "a hard link",
  "character-device": "a character device",
  "block-device": "a block device",
  fifo: "a FIFO",
};

/** Whether `bytes` start as gzip does (RFC 1952: 1f 8b). */
export function isGzip(bytes: Buffer): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * A member's path inside the archive, as its tree has it ("./a//b.o" is
 * "a/b.o", "./" is ""), or null when it is absolute or has a ".." segment:
 * such a name could land outside any directory it is extracted to.
 *
 * @example
 *     memberPath("./nf/blocklist.o") // "nf/blocklist.o"
 *     memberPath("../etc/passwd")    // null
 */
export function memberPath(name: string): string | null {
  if (name.startsWith("/")) return null;
  const segments = name.split("/").filter((s) => s !== "" && s !== ".");
  return segments.includes("..") ? null : segments.join("/");
}

/** "a.o, b/c.o (and 3 more)", or "no regular files": an archive's files as a message lists them. */
export function describeFiles(scan: ArchiveScan): string {
  if (scan.fileCount === 0) return "no regular files";
  const more = scan.fileCount - scan.files.length;
  return `${scan.files.join(", ")}${more > 0 ? ` (and ${more} more)` : ""}`;
}

function sizeWords(bytes: number): string {
  return bytes >= MIB && bytes % MIB === 0 ? `${bytes / MIB} MiB` : `${bytes} bytes`;
}

/**
 * Reads a tar+gzip archive to its end and keeps the first regular file
 * whose path `wanted` accepts; refuses the whole archive if any member is
 * a link, a device, a FIFO or of an unknown type, or escapes (`..`,
 * absolute), if a wanted member is larger than `maxBytes`, or if it
 * inflates to more than `maxInflatedBytes`.
 *
 * @example
 *     const scan = await scanArchive(layer, (p) => !p.includes("/") && p.endsWith(".o"), { what: "layer sha256:…" });
 *     scan.matched // ["counter.o"]
 */
export async function scanArchive(archive: Buffer, wanted: (path: string) => boolean, options: ArchiveOptions = {}): Promise<ArchiveScan> {
  const what = options.what ?? "the archive";
  const code = options.code ?? "artifact-unsupported";
  const maxBytes = options.maxBytes ?? MAX_MEMBER_BYTES;
  const maxInflated = options.maxInflatedBytes ?? MAX_INFLATED_BYTES;
  const refuse = (why: string) => new ArtifactError(code, `${what} ${why}`);
  if (!isGzip(archive)) throw refuse("is not gzip-compressed, so not a .tar.gz");

  let inflated = 0;
  const bound = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      inflated += chunk.length;
      if (inflated > maxInflated) done(refuse(`inflates to more than ${sizeWords(maxInflated)} (a gzip bomb?): refused`));
      else done(null, chunk);
    },
  });
  const tar = extract();
  const flow = pipeline(Readable.from([archive]), createGunzip(), bound, tar);
  // Awaited below; until then a rejection is seen through the entries' iterator.
  flow.catch(() => undefined);

  const scan: ArchiveScan = { matched: [], first: undefined, files: [], fileCount: 0 };
  try {
    for await (const entry of tar) {
      const { name, type, size } = entry.header;
      const path = memberPath(name);
      if (path === null) throw refuse(`has a member ${JSON.stringify(name)} that would be extracted outside its directory (absolute or ..): refused`);
      if (type === "directory") {
        entry.resume();
        continue;
      }
      if (type !== "file" && type !== "contiguous-file") {
        const kind = (type && REFUSED_TYPES[type]) ?? `of type ${type ?? "unknown"}`;
        throw refuse(`has a member ${JSON.stringify(path)} that is ${kind}; nfctl extracts regular files only: refused`);
      }
      scan.fileCount++;
      if (scan.files.length < LISTED_FILES) scan.files.push(path);
      if (!wanted(path)) {
        entry.resume();
        continue;
      }
      scan.matched.push(path);
      if ((size ?? 0) > maxBytes) throw refuse(`has a member ${JSON.stringify(path)} of ${size} bytes, more than the limit of ${sizeWords(maxBytes)}: refused`);
      if (scan.first !== undefined) {
        entry.resume();
        continue;
      }
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      scan.first = Buffer.concat(chunks);
    }
    await flow;
  } catch (err) {
    throw err instanceof ArtifactError ? err : unreadable(err, what, code);
  }
  return scan;
}

/** zlib's and tar-stream's own errors, as one line naming the archive. */
function unreadable(err: unknown, what: string, code: CodeProblem): ArtifactError {
  const message = err instanceof Error ? err.message : String(err);
  const zlib = typeof (err as { code?: unknown }).code === "string" && (err as { code: string }).code.startsWith("Z_");
  return new ArtifactError(code, `${what} is not a valid ${zlib ? "gzip file" : "tar archive"}: ${message}`, { cause: err });
}

/**
 * The one member of a tar+gzip archive at path `member` (a leading "./"
 * and doubled slashes do not matter), read as scanArchive reads: the whole
 * archive is refused if any member is hostile. A member the archive lacks,
 * or has twice, is an error (the first names up to ten files it has).
 *
 * @example
 *     const object = await extractMember(bytes, "blocklist.o", { what: "https://artifacts.example/blocklist-1.2.tar.gz" });
 */
export async function extractMember(archive: Buffer, member: string, options: ArchiveOptions = {}): Promise<Buffer> {
  const what = options.what ?? "the archive";
  const code = options.code ?? "artifact-unsupported";
  const path = memberPath(member);
  if (path === null || path === "") {
    throw new ArtifactError(code, `${what}: the member to extract, ${JSON.stringify(member)}, must be a relative path inside the archive`);
  }
  const scan = await scanArchive(archive, (p) => p === path, options);
  if (scan.first === undefined) throw new ArtifactError(code, `${what} has no member ${JSON.stringify(path)}; it has: ${describeFiles(scan)}`);
  if (scan.matched.length > 1) {
    throw new ArtifactError(code, `${what} has the member ${JSON.stringify(path)} ${scan.matched.length} times, so which one is meant is ambiguous: refused`);
  }
  return scan.first;
}
