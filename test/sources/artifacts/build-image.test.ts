/**
 * `nfctl image build`'s image: bpfman's labels read from the object's own
 * programs and maps, one reproducible layer holding the object at its
 * root, read back by nfctl's own bpfman handler. The objects are the
 * built ones in bpf/build (libbpf opens them; nothing is loaded).
 */
import t from "tap";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { extract } from "tar-stream";
import { buildBpfmanImage } from "../../../src/sources/artifacts/build-image.js";
import { extractImage } from "../../../src/sources/artifacts/formats/index.js";
import { parseManifest } from "../../../src/sources/artifacts/manifest.js";
import { MEDIA_TYPES } from "../../../src/sources/artifacts/types.js";
import { tempDir } from "../helpers/temp.js";

const COUNTER = "bpf/build/counter.o";

t.test("the labels are the object's programs and maps in bpfman's words; the object is the layer's one member", async (t) => {
  const image = await buildBpfmanImage(COUNTER, "arm64");
  const parsed = parseManifest({ digest: image.manifestDigest, mediaType: MEDIA_TYPES.ociManifest, bytes: image.manifest });
  if (parsed.kind !== "manifest") throw new Error("not a manifest");
  const { config, layers } = parsed.manifest;
  t.equal(config.mediaType, MEDIA_TYPES.ociConfig);
  t.same(
    layers.map((l) => l.mediaType),
    [MEDIA_TYPES.ociLayerTarGzip],
  );
  const configJson = JSON.parse(image.blobs.get(config.digest)!.toString("utf8")) as {
    architecture: string;
    os: string;
    config: { Labels: Record<string, string> };
  };
  t.equal(configJson.architecture, "arm64");
  t.equal(configJson.os, "linux");
  t.same(configJson.config.Labels, {
    "io.ebpf.programs": '{"tc_counter":"tc","xdp_counter":"xdp"}',
    "io.ebpf.maps": '{"nf_next":"prog_array","nf_stats":"per_cpu_array"}',
  });

  const members: Array<{ name: string; mode: number; uid: number; gid: number; mtime: number; bytes: Buffer }> = [];
  const tar = extract();
  tar.end(gunzipSync(image.blobs.get(layers[0]!.digest)!));
  for await (const entry of tar) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(chunk as Buffer);
    const { name, mode, uid, gid, mtime } = entry.header;
    members.push({ name, mode, uid, gid, mtime: mtime.getTime(), bytes: Buffer.concat(chunks) });
  }
  t.same(
    members.map((m) => [m.name, m.mode, m.uid, m.gid, m.mtime]),
    [["counter.o", 0o644, 0, 0, 0]],
  );
  t.ok(members[0]!.bytes.equals(readFileSync(COUNTER)), "the member is the object, byte for byte");

  const code = await extractImage(parsed.manifest, async (d) => image.blobs.get(d.digest)!);
  t.equal(code.format, "bpfman");
  t.same(code.programs, { tc_counter: "tc", xdp_counter: "xdp" });
  t.ok(code.object.equals(readFileSync(COUNTER)), "nfctl's bpfman handler reads back the object");
});

t.test("the same object builds the same digest; another object another", async (t) => {
  const first = await buildBpfmanImage(COUNTER);
  const again = await buildBpfmanImage(COUNTER);
  t.equal(again.manifestDigest, first.manifestDigest);
  t.ok(again.manifest.equals(first.manifest));
  t.same([...again.blobs.keys()], [...first.blobs.keys()]);
  t.not((await buildBpfmanImage("bpf/build/blocklist.o")).manifestDigest, first.manifestDigest);
});

t.test("what is not a BPF object is refused with one line", async (t) => {
  const dir = tempDir(t);
  const text = join(dir, "notes.o");
  writeFileSync(text, "not an object");
  await t.rejects(buildBpfmanImage(text), { code: "artifact-unsupported", message: `${text} is not an ELF object (it starts with 6e 6f 74 20)` });
  await t.rejects(buildBpfmanImage("/bin/true"), { message: "/bin/true is an ELF file for machine 62, not a BPF object (machine 247)" });
  await t.rejects(buildBpfmanImage(join(dir, "missing.o")), { message: `${join(dir, "missing.o")} cannot be read: no such file or directory` });
});
