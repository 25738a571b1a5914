/**
 * The bytes an `artifact:` URL names, as l3afd's artifact servers and a
 * local file serve them: file:// (a regular file, inside the directories
 * the config may take code from when they are given) or https:// (never
 * plain http: the code's digest is checked, but a network that can rewrite
 * the download can also stall it or learn what a host runs). Bounded in
 * time and size; the caller checks the config's sha256.
 *
 * @example
 *     const bytes = await fetchArtifact("https://ci:token@artifacts.example/nfs/blocklist-1.2.tar.gz", { ca });
 *     // throws ArtifactError("artifact-unavailable", "artifact https://***@artifacts.example/nfs/blocklist-1.2.tar.gz: HTTP 404")
 */
import { closeSync, constants, fstatSync, openSync, readSync, realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { redactUrl } from "../git-url.js";
import { describeError, isWithin } from "../snapshot.js";
import { ArtifactError } from "./errors.js";
import { MAX_DOWNLOAD_BYTES, byteSize, httpClient } from "./http.js";

export interface FetchArtifactOptions {
  /** PEM certificates trusted besides the system's, for https. */
  ca?: string;
  /** The deadline of the download (REQUEST_TIMEOUT_MS by default). */
  timeoutMs?: number;
  /** The most bytes read (MAX_DOWNLOAD_BYTES by default). */
  maxBytes?: number;
  /** For file://: the directories the file must be in, symlinks resolved. */
  roots?: readonly string[];
}

/**
 * The bytes at `url`. A user and password in an https URL are sent as
 * Basic auth to its origin only, never shown. Throws
 * ArtifactError("artifact-unavailable") naming the URL (without its user
 * info or query values) and why.
 */
export async function fetchArtifact(url: string, options: FetchArtifactOptions): Promise<Buffer> {
  const what = `artifact ${redactUrl(url)}`;
  const fail = (why: string, cause?: unknown): never => {
    throw new ArtifactError("artifact-unavailable", `${what}: ${why}`, cause === undefined ? undefined : { cause });
  };
  const maxBytes = options.maxBytes ?? MAX_DOWNLOAD_BYTES;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return fail("is not a URL (file:///path or https://host/path)");
  }
  if (parsed.protocol === "file:") return readLocal(parsed, maxBytes, options.roots, fail);
  if (parsed.protocol === "http:") return fail("plain http is refused: use https:// (with --ca-file for a private CA) or file://");
  if (parsed.protocol !== "https:") return fail(`the scheme ${parsed.protocol} is not supported (file:// or https://)`);
  const headers: Record<string, string> = {};
  if (parsed.username !== "" || parsed.password !== "") {
    const basic = `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`;
    headers.authorization = `Basic ${Buffer.from(basic).toString("base64")}`;
    parsed.username = "";
    parsed.password = "";
  }
  const request = httpClient({
    ...(options.ca === undefined ? {} : { ca: options.ca }),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
  const response = await request(parsed.href, { headers, maxBytes, code: "artifact-unavailable", what });
  if (response.status !== 200) fail(`HTTP ${response.status}`);
  return response.body;
}

/** A regular file's bytes, after its real path is checked against `roots`; opened without following a last-moment symlink, and without waiting on a FIFO. */
function readLocal(url: URL, maxBytes: number, roots: readonly string[] | undefined, fail: (why: string, cause?: unknown) => never): Buffer {
  let path: string;
  try {
    path = fileURLToPath(url);
  } catch {
    return fail("is not a local file URL (file:///absolute/path)");
  }
  let real: string;
  try {
    real = realpathSync(path);
  } catch (err) {
    return fail(`cannot read it: ${describeError(err)}`, err);
  }
  if (roots !== undefined && !roots.some((root) => isWithin(real, realRoot(root)))) {
    fail(`it is ${real}, outside the directories the config may take code from (${roots.join(", ")})`);
  }
  let fd: number;
  try {
    fd = openSync(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    return fail(`cannot read it: ${describeError(err)}`, err);
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) fail("it is not a regular file");
    if (stats.size > maxBytes) fail(`it is larger than ${byteSize(maxBytes)}, the most nfctl reads of it`);
    // One byte more than fstat said is room to see a file that grew meanwhile.
    const buffer = Buffer.alloc(stats.size + 1);
    let length = 0;
    for (let n = readSync(fd, buffer, 0, buffer.length, null); n !== 0; n = readSync(fd, buffer, length, buffer.length - length, null)) {
      length += n;
      if (length > stats.size) fail("it grew while it was read");
    }
    return buffer.subarray(0, length);
  } catch (err) {
    if (err instanceof ArtifactError) throw err;
    return fail(`cannot read it: ${describeError(err)}`, err);
  } finally {
    closeSync(fd);
  }
}

/** A root as its real path (a root that does not exist is kept as given: nothing is inside it). */
function realRoot(root: string): string {
  try {
    return realpathSync(root);
  } catch {
    return root;
  }
}
