/**
 * The artifact cache: blobs named by their sha256 and checked on every
 * read, tag records, two processes writing at once, a writer killed
 * mid-write, and a cache directory another user could write.
 */
import t from "tap";
import { execFileSync, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ArtifactError } from "../../../src/sources/artifacts/errors.js";
import { STALE_TEMPORARY_MS, openArtifactCache } from "../../../src/sources/artifacts/cache.js";
import { SourceError } from "../../../src/sources/snapshot.js";
import { tempDir, waitFor, type Teardown } from "../helpers/temp.js";

const WRITER = fileURLToPath(new URL("./helpers/cache-writer.js", import.meta.url));
const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");
const REF = { registry: "127.0.0.1:5000", repository: "nfs/counter", tag: "v1" };
const DIGEST = `sha256:${"ab".repeat(32)}`;

/** What `fn` threw, for exact comparison (t.throws matches messages as substrings). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err instanceof ArtifactError
      ? { code: err.code, message: err.message }
      : err instanceof SourceError
        ? { reason: err.reason, message: err.message }
        : err;
  }
  return "nothing";
}

t.test("cache: a blob is written under its sha256, read back, and written once", async (t) => {
  const dir = tempDir(t);
  const cache = openArtifactCache(join(dir, "cache"));
  t.equal(cache.dir, join(dir, "cache", "oci"));
  const bytes = Buffer.from("an object\n");
  const hex = sha256(bytes);
  const written = cache.writeBlob(bytes);
  t.same(written, { digest: `sha256:${hex}`, path: join(dir, "cache", "oci", "blobs", "sha256", hex) });
  t.equal(cache.blobPath(written.digest), written.path);
  t.same(cache.readBlob(written.digest), bytes);
  t.equal(statSync(written.path).mode & 0o777, 0o600, "the blob is nfctl's user's alone");
  for (const sub of ["oci", "oci/blobs", "oci/blobs/sha256", "oci/refs"]) t.equal(statSync(join(dir, "cache", sub)).mode & 0o777, 0o700, sub);
  const inode = statSync(written.path).ino;
  t.same(cache.writeBlob(bytes), written);
  t.equal(statSync(written.path).ino, inode, "a whole blob is not written again");
  t.equal(cache.readBlob(DIGEST), undefined, "a blob never written is missing");
  t.same(readdirSync(join(dir, "cache", "oci", "blobs", "sha256")), [hex], "no temporary is left");
  t.same(openArtifactCache(join(dir, "cache")).readBlob(written.digest), bytes, "another opening reads it");
});

t.test("cache: a digest that is not sha256:<64 hex> names no file", async (t) => {
  const cache = openArtifactCache(tempDir(t));
  for (const digest of ["sha256:../../../etc/passwd", `sha512:${"ab".repeat(64)}`, `sha256:${"AB".repeat(32)}`, "ab".repeat(32)]) {
    const refused = {
      code: "image-unsupported",
      message: `${JSON.stringify(digest)} is not a sha256 digest (sha256: and 64 lowercase hex digits), the only kind nfctl reads`,
    };
    t.same(
      thrown(() => cache.readBlob(digest)),
      refused,
      digest,
    );
    t.same(
      thrown(() => cache.blobPath(digest)),
      refused,
      digest,
    );
    t.same(
      thrown(() => cache.writeTag(REF, digest)),
      refused,
      digest,
    );
  }
});

t.test("cache: a blob whose bytes are not its name is removed and missing", async (t) => {
  const dir = tempDir(t);
  const cache = openArtifactCache(dir);
  const bytes = randomBytes(4096);
  const { digest, path } = cache.writeBlob(bytes);
  const torn = bytes.subarray(0, 1000);
  writeFileSync(path, torn);
  t.equal(cache.readBlob(digest), undefined, "a torn blob is missing");
  t.notOk(existsSync(path), "and removed");
  t.same(cache.writeBlob(bytes).path, path);
  writeFileSync(path, Buffer.concat([bytes, Buffer.from("x")]));
  cache.writeBlob(bytes);
  t.same(readFileSync(path), bytes, "writing a blob over a corrupt one makes it whole");

  writeFileSync(path, torn);
  t.same(cache.writeBlob(bytes).path, path);
  t.same(cache.readBlob(digest), bytes);

  // What only a hand (or another program) puts there: never followed, never waited on.
  const outside = join(dir, "outside");
  writeFileSync(outside, bytes);
  cache.readBlob(digest);
  writeFileSync(path, "");
  t.equal(cache.readBlob(digest), undefined, "an empty file");
  symlinkSync(outside, path);
  t.equal(cache.readBlob(digest), undefined, "a symbolic link, even to the right bytes");
  t.notOk(existsSync(path));
  t.ok(existsSync(outside), "what it pointed to is left alone");
  execFileSync("mkfifo", [path]);
  t.equal(cache.readBlob(digest), undefined, "a FIFO is not waited on");
  t.notOk(existsSync(path));
});

t.test("cache: a tag record says what a tag last resolved to", async (t) => {
  const dir = tempDir(t);
  const cache = openArtifactCache(dir);
  t.equal(cache.readTag(REF), undefined, "never resolved here");
  cache.writeTag(REF, DIGEST);
  t.equal(cache.readTag(REF), DIGEST);
  t.equal(openArtifactCache(dir).readTag(REF), DIGEST, "another opening reads it");
  t.equal(cache.readTag({ ...REF, tag: "v2" }), undefined, "another tag");
  t.equal(cache.readTag({ ...REF, repository: "nfs/other" }), undefined, "another repository");
  t.equal(cache.readTag({ registry: REF.registry, repository: REF.repository, digest: DIGEST }), undefined, "a reference by digest has no record");

  const path = join(dir, "oci", "refs", `${sha256(Buffer.from("127.0.0.1:5000/nfs/counter:v1"))}.json`);
  const record = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  t.match(record, { registry: "127.0.0.1:5000", repository: "nfs/counter", tag: "v1", digest: DIGEST, resolvedAt: /^\d{4}-\d\d-\d\dT/ });
  const moved = `sha256:${"cd".repeat(32)}`;
  cache.writeTag(REF, moved);
  t.equal(cache.readTag(REF), moved, "a tag that moved");

  writeFileSync(path, JSON.stringify({ ...record, tag: "v2" }));
  t.equal(cache.readTag(REF), undefined, "a record that names another tag answers nothing");
  writeFileSync(path, JSON.stringify({ ...record, digest: "sha256:../../x" }));
  t.equal(cache.readTag(REF), undefined, "nor one whose digest is not one");
  writeFileSync(path, "{");
  t.equal(cache.readTag(REF), undefined, "nor one that is not JSON");
  t.same(readdirSync(join(dir, "oci", "refs")), [`${sha256(Buffer.from("127.0.0.1:5000/nfs/counter:v1"))}.json`], "no temporary is left");
});

/** Runs the cache writer; resolves with its exit code and stderr. */
function writer(
  args: string[],
  onStdout?: (line: string) => void,
): { done: Promise<{ code: number | null; signal: string | null; stderr: string }>; pid: number; kill(): void } {
  const child = spawn(process.execPath, [WRITER, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  child.stdout.setEncoding("utf8").on("data", (d: string) => onStdout?.(d));
  const done = new Promise<{ code: number | null; signal: string | null; stderr: string }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal, stderr })),
  );
  return { done, pid: child.pid!, kill: () => child.kill("SIGKILL") };
}

/** 5 MiB of random bytes, in a file for the writers to read, and a cache directory to write them to. */
function blobToWrite(t: Teardown) {
  const dir = tempDir(t);
  const bytes = randomBytes(5 * 1024 * 1024);
  const file = join(dir, "bytes");
  writeFileSync(file, bytes);
  return { bytes, file, cacheDir: join(dir, "cache"), digest: `sha256:${sha256(bytes)}` };
}

t.test("cache: two processes writing the same 5 MiB blob 50 times at once leave it whole", async (t) => {
  const { bytes, file, cacheDir, digest } = blobToWrite(t);
  const cache = openArtifactCache(cacheDir);
  const writers = [writer(["race", cacheDir, file, "50"]), writer(["race", cacheDir, file, "50"])];
  // Meanwhile, whatever a reader finds under the blob's name is whole.
  let torn = 0;
  let seen = 0;
  let finished = false;
  void Promise.all(writers.map((w) => w.done)).then(() => (finished = true));
  while (!finished) {
    try {
      const there = readFileSync(cache.blobPath(digest));
      seen += 1;
      if (sha256(there) !== sha256(bytes)) torn += 1;
    } catch {
      // Between a removal and the next rename.
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  for (const w of writers) t.same(await w.done, { code: 0, signal: null, stderr: "" }, "each writer saw only whole blobs");
  t.equal(torn, 0, `no reader saw a torn blob (of ${seen} reads)`);
  t.same(cache.readBlob(digest), bytes, "one whole blob is left");
  t.same(readdirSync(join(cacheDir, "oci", "blobs", "sha256")), [sha256(bytes)], "and no temporary");
});

t.test("cache: a writer killed mid-write leaves a temporary that is never read as the blob, and is removed once old", async (t) => {
  const { bytes, file, cacheDir, digest } = blobToWrite(t);
  const blobs = join(cacheDir, "oci", "blobs", "sha256");
  let writing = false;
  const slow = writer(["slow", cacheDir, file], (line) => (writing ||= line.includes("writing")));
  await waitFor(() => writing, 10_000, "the writer's first bytes");
  slow.kill();
  t.match(await slow.done, { signal: "SIGKILL" });

  const left = readdirSync(blobs);
  t.equal(left.length, 1, "one file is left");
  t.match(left[0], new RegExp(`^\\.tmp-${slow.pid}-[0-9a-f]{12}$`), "a temporary, named for its writer");
  const temporary = join(blobs, left[0]!);
  t.ok(statSync(temporary).size < bytes.length, "cut short");

  const cache = openArtifactCache(cacheDir);
  t.equal(cache.readBlob(digest), undefined, "the blob is missing, not the temporary's part of it");
  t.ok(existsSync(temporary), "a temporary younger than an hour is left to its writer");
  const old = (Date.now() - STALE_TEMPORARY_MS - 60_000) / 1000;
  utimesSync(temporary, old, old);
  const reopened = openArtifactCache(cacheDir);
  t.same(readdirSync(blobs), [], "an old temporary is removed when the cache is opened");
  reopened.writeBlob(bytes);
  t.same(reopened.readBlob(digest), bytes, "and the cache is usable");
});

t.test("cache: a cache directory another user could write is refused", async (t) => {
  const dir = tempDir(t);
  const fix = "; nfctl applies what it finds there as root: name another --cache-dir, or fix it";
  const open = join(dir, "open");
  mkdirSync(open);
  chmodSync(open, 0o775);
  t.same(
    thrown(() => openArtifactCache(open)),
    {
      reason: "SourceFailed",
      message: `the artifact cache ${open} may be written by its group or others (mode 0775)${fix} (chmod go-w)`,
    },
  );
  const inside = join(dir, "inside");
  mkdirSync(join(inside, "oci", "refs"), { recursive: true, mode: 0o700 });
  chmodSync(join(inside, "oci", "refs"), 0o777);
  t.same(
    thrown(() => openArtifactCache(inside)),
    {
      reason: "SourceFailed",
      message: `the artifact cache ${join(inside, "oci", "refs")} may be written by its group or others (mode 0777)${fix} (chmod go-w)`,
    },
  );
  t.same(
    thrown(() => openArtifactCache("/proc/nfctl-cache")),
    {
      reason: "SourceFailed",
      message: "the artifact cache directory /proc/nfctl-cache: /proc is on proc, a kernel filesystem, not a disk; name a directory on a disk (--cache-dir)",
    },
  );
});
