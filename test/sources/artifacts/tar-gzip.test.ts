/**
 * Safe extraction from tar+gzip, with archives crafted here as a hostile
 * package would be made: members that climb out (`..`, absolute), links,
 * devices, a FIFO, an oversized member, a gzip bomb, a missing member;
 * and the good case. A hostile member is refused whichever member was
 * asked for.
 */
import t from "tap";
import { gzipSync } from "node:zlib";
import { MAX_INFLATED_BYTES, MAX_MEMBER_BYTES, extractMember, memberPath } from "../../../src/sources/artifacts/formats/tar-gzip.js";
import { ArtifactError } from "../../../src/sources/artifacts/errors.js";
import { file, tar, tarGz, type Member } from "./archives.js";

const OBJECT = Buffer.from("\x7fELF object bytes");

/** The archive of `members` after a good object, asked for the good object: hostile members are refused all the same. */
async function refusal(hostile: Member, askFor = "good.o"): Promise<ArtifactError> {
  const archive = await tarGz([file("good.o", OBJECT), hostile]);
  return extractMember(archive, askFor).then(
    () => {
      throw new Error("extracted from a hostile archive");
    },
    (err: unknown) => err as ArtifactError,
  );
}

t.test("the named member is extracted, as the archive names it or with ./", async (t) => {
  const archive = await tarGz([{ header: { name: "./nf/", type: "directory" } }, file("./README", "read me"), file("./nf/blocklist.o", OBJECT)]);
  t.same(await extractMember(archive, "nf/blocklist.o"), OBJECT);
  t.same(await extractMember(archive, "./nf//blocklist.o"), OBJECT);
  t.equal(memberPath("./a//b.o"), "a/b.o");
  t.equal(memberPath("a/../../b"), null);
});

t.test("a member whose name escapes is refused, the whole archive, naming it", async (t) => {
  const up = await refusal(file("../evil.o", "x"));
  t.equal(up.message, 'the archive has a member "../evil.o" that would be extracted outside its directory (absolute or ..): refused');
  t.equal(up.code, "artifact-unsupported");
  const inner = await refusal(file("nf/../../evil.o", "x"));
  t.equal(inner.message, 'the archive has a member "nf/../../evil.o" that would be extracted outside its directory (absolute or ..): refused');
  const absolute = await refusal(file("/etc/cron.d/evil", "x"));
  t.equal(absolute.message, 'the archive has a member "/etc/cron.d/evil" that would be extracted outside its directory (absolute or ..): refused');
});

t.test("links, devices and FIFOs are refused, named or not", async (t) => {
  const cases: Array<[Member, string]> = [
    [{ header: { name: "evil.o", type: "symlink", linkname: "/etc/shadow" } }, "a symbolic link"],
    [{ header: { name: "evil.o", type: "link", linkname: "good.o" } }, "a hard link"],
    [{ header: { name: "evil.o", type: "character-device", devmajor: 1, devminor: 3 } }, "a character device"],
    [{ header: { name: "evil.o", type: "block-device", devmajor: 8, devminor: 0 } }, "a block device"],
    [{ header: { name: "evil.o", type: "fifo" } }, "a FIFO"],
  ];
  for (const [member, kind] of cases) {
    const expected = `the archive has a member "evil.o" that is ${kind}; nfctl extracts regular files only: refused`;
    t.equal((await refusal(member, "evil.o")).message, expected, `${kind}, named`);
    t.equal((await refusal(member, "good.o")).message, expected, `${kind}, another member named`);
  }
});

t.test("an oversized member is refused by its header, at the default limit and a given one", async (t) => {
  const big = await tarGz([{ header: { name: "big.o", type: "file" }, body: Buffer.alloc(MAX_MEMBER_BYTES + 1) }]);
  await t.rejects(extractMember(big, "big.o", { what: "https://a.example/big.tgz" }), {
    message: `https://a.example/big.tgz has a member "big.o" of ${MAX_MEMBER_BYTES + 1} bytes, more than the limit of 64 MiB: refused`,
  });
  const small = await tarGz([file("nf.o", Buffer.alloc(2048))]);
  await t.rejects(extractMember(small, "nf.o", { maxBytes: 1024 }), {
    message: 'the archive has a member "nf.o" of 2048 bytes, more than the limit of 1024 bytes: refused',
  });
});

t.test("a gzip bomb is stopped once it has inflated 256 MiB", async (t) => {
  // 300 gzip members of 1 MiB of zeros each: 300 KiB that inflate to 300 MiB.
  const archive = Buffer.concat([await tarGz([file("good.o", OBJECT)]), ...Array<Buffer>(300).fill(gzipSync(Buffer.alloc(1024 * 1024)))]);
  t.ok(archive.length < 2 * 1024 * 1024, `the bomb is ${archive.length} bytes`);
  t.equal(MAX_INFLATED_BYTES, 256 * 1024 * 1024);
  const started = Date.now();
  await t.rejects(extractMember(archive, "good.o"), { message: "the archive inflates to more than 256 MiB (a gzip bomb?): refused" });
  t.comment(`refused after ${Date.now() - started} ms`);
});

t.test("a missing member: one line listing up to ten files it has", async (t) => {
  const names = Array.from({ length: 12 }, (_, i) => `nf${String(i).padStart(2, "0")}.o`);
  const archive = await tarGz([{ header: { name: "dir/", type: "directory" } }, ...names.map((n) => file(n, "x"))]);
  await t.rejects(extractMember(archive, "blocklist.o", { what: "https://a.example/nfs.tgz" }), {
    message: `https://a.example/nfs.tgz has no member "blocklist.o"; it has: ${names.slice(0, 10).join(", ")} (and 2 more)`,
  });
  await t.rejects(extractMember(await tarGz([]), "nf.o"), { message: 'the archive has no member "nf.o"; it has: no regular files' });
});

t.test("a member twice is ambiguous; a member outside the archive cannot be asked for", async (t) => {
  const twice = await tarGz([file("nf.o", OBJECT), file("./nf.o", "other")]);
  await t.rejects(extractMember(twice, "nf.o"), { message: 'the archive has the member "nf.o" 2 times, so which one is meant is ambiguous: refused' });
  await t.rejects(extractMember(twice, "../nf.o"), { message: 'the archive: the member to extract, "../nf.o", must be a relative path inside the archive' });
});

t.test("not gzip, broken gzip, not tar: one line each, with the problem code asked for", async (t) => {
  const plain = await tar([file("nf.o", OBJECT)]);
  await t.rejects(extractMember(plain, "nf.o", { code: "image-unsupported" }), {
    message: "the archive is not gzip-compressed, so not a .tar.gz",
    code: "image-unsupported",
  });
  await t.rejects(extractMember(Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0xde, 0xad, 0xbe, 0xef, 0x00]), "nf.o"), {
    message: /^the archive is not a valid gzip file: /,
  });
  await t.rejects(extractMember(gzipSync(Buffer.from("not a tar archive, just text, more than nothing".repeat(20))), "nf.o"), {
    message: /^the archive is not a valid tar archive: /,
  });
});
