/**
 * OCI image layouts: what nfctl writes, Debian's skopeo reads (inspect,
 * and copy to a dir: of its own), and what skopeo writes, nfctl reads;
 * every blob read back is verified against its digest.
 */
import t from "tap";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildBpfmanImage } from "../../../src/sources/artifacts/build-image.js";
import { readOciLayout, writeOciLayout } from "../../../src/sources/artifacts/oci-layout.js";
import { tempDir } from "../helpers/temp.js";

const REF = "registry.example:5000/nfs/counter:v1";

/** skopeo, with no policy file needed: these are local copies. */
const skopeo = (...args: string[]) => execFileSync("skopeo", ["--insecure-policy", ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

t.test("a layout nfctl writes is read back whole, and by skopeo", async (t) => {
  const dir = join(tempDir(t), "counter");
  const image = await buildBpfmanImage("bpf/build/counter.o");
  writeOciLayout(dir, image, REF);
  t.same(JSON.parse(readFileSync(join(dir, "oci-layout"), "utf8")), { imageLayoutVersion: "1.0.0" });
  const index = JSON.parse(readFileSync(join(dir, "index.json"), "utf8")) as { manifests: Array<{ digest: string; annotations: Record<string, string> }> };
  t.same(
    index.manifests.map((m) => [m.digest, m.annotations]),
    [[image.manifestDigest, { "org.opencontainers.image.ref.name": REF }]],
  );

  const back = readOciLayout(dir);
  t.equal(back.manifestDigest, image.manifestDigest);
  t.ok(back.manifest.equals(image.manifest));
  t.same([...back.blobs.keys()].sort(), [...image.blobs.keys()].sort());

  t.equal(skopeo("inspect", "--raw", `oci:${dir}`), image.manifest.toString("utf8"), "skopeo reads nfctl's manifest as it is");
  const copy = join(tempDir(t), "copy");
  skopeo("copy", `oci:${dir}:${REF}`, `dir:${copy}`);
  t.ok(readFileSync(join(copy, "manifest.json")).equals(image.manifest), "skopeo copies the image unchanged");
  for (const [digest, bytes] of image.blobs) t.ok(readFileSync(join(copy, digest.slice("sha256:".length))).equals(bytes), `skopeo copied ${digest}`);

  // And back: the layout skopeo writes, nfctl reads.
  const theirs = join(tempDir(t), "theirs");
  skopeo("copy", `dir:${copy}`, `oci:${theirs}:nfs/counter:v2`);
  const read = readOciLayout(theirs, "nfs/counter:v2");
  t.equal(read.manifestDigest, image.manifestDigest, "skopeo's layout holds the same image");
});

t.test("images by name: one replaced, others kept; without a name, the layout must hold one", async (t) => {
  const dir = join(tempDir(t), "nfs");
  const counter = await buildBpfmanImage("bpf/build/counter.o");
  const blocklist = await buildBpfmanImage("bpf/build/blocklist.o");
  writeOciLayout(dir, counter, "nfs/counter:v1");
  writeOciLayout(dir, blocklist, "nfs/blocklist:v1");
  writeOciLayout(dir, blocklist, "nfs/counter:v1");
  t.equal(readOciLayout(dir, "nfs/counter:v1").manifestDigest, blocklist.manifestDigest, "the name now names the other image");
  t.throws(() => readOciLayout(dir), { message: `${dir} holds 2 images (nfs/blocklist:v1, nfs/counter:v1); name one` });
  t.throws(() => readOciLayout(dir, "nfs/ratelimit:v1"), {
    message: `${dir} has no single image named nfs/ratelimit:v1 (it has: nfs/blocklist:v1, nfs/counter:v1)`,
  });
});

t.test("a blob that is not what its digest says is refused; so is a directory that is no layout", async (t) => {
  const dir = join(tempDir(t), "counter");
  const image = await buildBpfmanImage("bpf/build/counter.o");
  writeOciLayout(dir, image, REF);
  const [configDigest, config] = [...image.blobs][0]!;
  const path = join(dir, "blobs", "sha256", configDigest.slice("sha256:".length));
  const tampered = Buffer.from(config);
  tampered[tampered.length - 2]! ^= 1;
  writeFileSync(path, tampered);
  t.throws(() => readOciLayout(dir), {
    code: "image-unavailable",
    message: new RegExp(`^${dir}: the blob ${configDigest} holds content of digest sha256:[0-9a-f]{64}$`),
  });
  writeFileSync(path, config.subarray(1));
  t.throws(() => readOciLayout(dir), { message: `${dir}: the blob ${configDigest} is ${config.length - 1} bytes, not ${config.length}` });

  const plain = tempDir(t);
  writeFileSync(join(plain, "notes.txt"), "not a layout");
  t.throws(() => writeOciLayout(plain, image, REF), { message: `${plain} is not an OCI image layout (it has no oci-layout)` });
  t.notOk(existsSync(join(plain, "blobs")), "nothing is written into a directory that is not a layout");
  t.throws(() => readOciLayout(join(plain, "missing")), { message: `${join(plain, "missing")} is not an OCI image layout (it is missing or empty)` });
});
