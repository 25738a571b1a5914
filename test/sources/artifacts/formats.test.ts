/**
 * The content handlers, from hand-made manifests and blobs: a bpfman image
 * (its labels, and the older io.ebpf.program_name ones; OCI and Docker
 * media types), an Inspektor Gadget image, content nfctl does not read
 * (a wasm layer, an unknown config); an artifact's raw object or package;
 * and manifests' JSON checked for shape. The objects are the built ones
 * in bpf/build.
 */
import t from "tap";
import { readFileSync } from "node:fs";
import { artifactObject, extractImage } from "../../../src/sources/artifacts/formats/index.js";
import { parseManifest } from "../../../src/sources/artifacts/manifest.js";
import { MEDIA_TYPES, type Descriptor, type Manifest } from "../../../src/sources/artifacts/types.js";
import { Blobs, digestOf, file, tarGz } from "./archives.js";

const COUNTER = readFileSync("bpf/build/counter.o");
const BLOCKLIST = readFileSync("bpf/build/blocklist.o");
const WASM = "application/vnd.wasm.content.layer.v1+wasm";
const READS =
  "it reads: a bpfman bytecode image (an image config with the label io.ebpf.programs, one application/vnd.oci.image.layer.v1.tar+gzip or application/vnd.docker.image.rootfs.diff.tar.gzip layer), " +
  "an Inspektor Gadget image (a application/vnd.gadget.config.v1+yaml config, one application/vnd.gadget.ebpf.program.v1+binary layer)";

/** An image config with `labels`, as docker build and bpfman write it. */
const imageConfig = (labels: Record<string, string>) => JSON.stringify({ architecture: "amd64", os: "linux", config: { Labels: labels } });

const manifestOf = (config: Descriptor, layers: Descriptor[], extra: Partial<Manifest> = {}): Manifest => ({ schemaVersion: 2, config, layers, ...extra });

t.test("a bpfman image: the object at the layer's root, its programs and maps from the labels", async (t) => {
  const blobs = new Blobs();
  const config = blobs.add(
    MEDIA_TYPES.ociConfig,
    imageConfig({ "io.ebpf.programs": '{"xdp_counter":"xdp"}', "io.ebpf.maps": '{"nf_stats":"per_cpu_array","nf_next":"prog_array"}' }),
  );
  const layer = blobs.add(MEDIA_TYPES.ociLayerTarGzip, await tarGz([file("README", "read me"), file("./counter.o", COUNTER)]));
  const code = await extractImage(manifestOf(config, [layer]), blobs.reader);
  t.equal(code.format, "bpfman");
  t.ok(code.object.equals(COUNTER), "the object is the layer's counter.o");
  t.same(code.programs, { xdp_counter: "xdp" });
  t.same(code.maps, { nf_stats: "per_cpu_array", nf_next: "prog_array" });
  t.same(blobs.read, [config.digest, layer.digest]);
});

t.test("a bpfman image of Docker media types, with the older labels naming the file", async (t) => {
  const blobs = new Blobs();
  const config = blobs.add(
    MEDIA_TYPES.dockerConfig,
    imageConfig({
      "io.ebpf.program_name": "blocklist",
      "io.ebpf.bpf_function_name": "xdp_blocklist",
      "io.ebpf.program_type": "xdp",
      "io.ebpf.filename": "blocklist.o",
    }),
  );
  // Two objects at the root: the label says which.
  const layer = blobs.add(MEDIA_TYPES.dockerLayerTarGzip, await tarGz([file("counter.o", COUNTER), file("blocklist.o", BLOCKLIST)]));
  const code = await extractImage(manifestOf(config, [layer], { mediaType: MEDIA_TYPES.dockerManifest }), blobs.reader);
  t.equal(code.format, "bpfman");
  t.ok(code.object.equals(BLOCKLIST), "the object is the one io.ebpf.filename names");
  t.same(code.programs, { xdp_blocklist: "xdp" });
  t.equal(code.maps, undefined);
});

t.test("a bpfman image that is not one: refused with one line", async (t) => {
  const blobs = new Blobs();
  const labelled = blobs.add(MEDIA_TYPES.ociConfig, imageConfig({ "io.ebpf.programs": '{"xdp_counter":"xdp"}' }));
  const two = blobs.add(MEDIA_TYPES.ociLayerTarGzip, await tarGz([file("counter.o", COUNTER), file("blocklist.o", BLOCKLIST)]));
  await t.rejects(extractImage(manifestOf(labelled, [two]), blobs.reader), {
    code: "image-unsupported",
    message: `the image's layer ${two.digest} has 2 .o files at its root (counter.o, blocklist.o); a bpfman image holds one, or names it in io.ebpf.filename`,
  });
  const none = blobs.add(MEDIA_TYPES.ociLayerTarGzip, await tarGz([file("nf/counter.o", COUNTER)]));
  await t.rejects(extractImage(manifestOf(labelled, [none]), blobs.reader), {
    message: `the image's layer ${none.digest} has no .o file at its root; it has: nf/counter.o`,
  });
  const notBpf = blobs.add(MEDIA_TYPES.ociLayerTarGzip, await tarGz([file("nf.o", readFileSync("/bin/true"))]));
  await t.rejects(extractImage(manifestOf(labelled, [notBpf]), blobs.reader), {
    message: `the object in the image's layer ${notBpf.digest} is an ELF file for machine 62, not a BPF object (machine 247)`,
  });
  const unlabelled = blobs.add(MEDIA_TYPES.ociConfig, imageConfig({ maintainer: "someone" }));
  const layer = blobs.add(MEDIA_TYPES.ociLayerTarGzip, await tarGz([file("counter.o", COUNTER)]));
  await t.rejects(extractImage(manifestOf(unlabelled, [layer]), blobs.reader), {
    message:
      "the image config has neither the label io.ebpf.programs nor the older io.ebpf.bpf_function_name and io.ebpf.program_type: it is not a bpfman bytecode image",
  });
  const badLabel = blobs.add(MEDIA_TYPES.ociConfig, imageConfig({ "io.ebpf.programs": '["xdp_counter"]' }));
  await t.rejects(extractImage(manifestOf(badLabel, [layer]), blobs.reader), {
    message: "the image's label io.ebpf.programs is not a JSON object of names to types",
  });
  await t.rejects(extractImage(manifestOf(labelled, [layer, layer]), blobs.reader), { message: "a bpfman bytecode image has one layer; this one has 2" });
});

t.test("an Inspektor Gadget image: the ebpf program layer, other gadget layers ignored", async (t) => {
  const blobs = new Blobs();
  const config = blobs.add(MEDIA_TYPES.gadgetConfig, "name: trace_counter\ndescription: counts\n");
  const wasm = blobs.add(WASM, "\0asm\x01\0\0\0");
  const program = blobs.add(MEDIA_TYPES.gadgetProgram, COUNTER);
  const manifest = manifestOf(config, [wasm, program], { artifactType: MEDIA_TYPES.gadgetArtifact });
  const code = await extractImage(manifest, blobs.reader);
  t.equal(code.format, "gadget");
  t.ok(code.object.equals(COUNTER), "the object is the program layer's bytes");
  t.same(blobs.read, [config.digest, program.digest], "the config is read (and so verified), the wasm layer is not");

  const html = blobs.add(MEDIA_TYPES.gadgetProgram, "<html>");
  await t.rejects(extractImage(manifestOf(config, [html]), blobs.reader), {
    message: `the image's layer ${html.digest} is not an ELF object (it starts with 3c 68 74 6d)`,
  });
});

t.test("content nfctl does not read is refused, naming it and listing what it reads", async (t) => {
  const blobs = new Blobs();
  const gadgetConfig = blobs.add(MEDIA_TYPES.gadgetConfig, "name: wasm_only\n");
  const wasm = blobs.add(WASM, "\0asm\x01\0\0\0");
  await t.rejects(extractImage(manifestOf(gadgetConfig, [wasm]), blobs.reader), {
    code: "image-unsupported",
    message: `the image has a layer of type ${WASM}, which nfctl does not read; ${READS}`,
  });
  const helmConfig = blobs.add("application/vnd.cncf.helm.config.v1+json", "{}");
  const layer = blobs.add(MEDIA_TYPES.ociLayerTarGzip, await tarGz([file("counter.o", COUNTER)]));
  await t.rejects(extractImage(manifestOf(helmConfig, [layer]), blobs.reader), {
    message: `the image has a config of type application/vnd.cncf.helm.config.v1+json, which nfctl does not read; ${READS}`,
  });
  await t.rejects(extractImage(manifestOf(gadgetConfig, []), blobs.reader), { message: `the image has no layers; ${READS}` });
  t.same(blobs.read, [], "nothing is fetched of content no handler takes");
});

t.test("an artifact: a raw object, or the named member of a package", async (t) => {
  const url = "https://artifacts.example/nfs/blocklist-1.2.tar.gz";
  const pkg = await tarGz([file("blocklist-1.2/", ""), file("blocklist.o", BLOCKLIST)]);
  t.ok((await artifactObject(COUNTER, "file:///srv/counter.o")).equals(COUNTER));
  t.ok((await artifactObject(pkg, url, "blocklist.o")).equals(BLOCKLIST));
  await t.rejects(artifactObject(pkg, url), {
    code: "artifact-unsupported",
    message: `${url} is gzip-compressed, not an object: if it is a .tar.gz package, name the object inside it (artifact.object)`,
  });
  await t.rejects(artifactObject(COUNTER, "https://a.example/counter.o", "counter.o"), {
    message: "https://a.example/counter.o is an object, not a package: drop artifact.object (counter.o)",
  });
  await t.rejects(artifactObject(Buffer.from("<html>not found</html>"), "https://a.example/nf.o"), {
    message: "https://a.example/nf.o is not an ELF object (it starts with 3c 68 74 6d)",
  });
  await t.rejects(artifactObject(await tarGz([file("README", "x")]), url, "README"), { message: `README in ${url} is not an ELF object (it starts with 78)` });
  await t.rejects(artifactObject(Buffer.alloc(0), "https://a.example/nf.o"), { message: "https://a.example/nf.o is empty, not an ELF object" });
});

t.test("a manifest's JSON is checked for shape", async (t) => {
  const fetched = (json: unknown, mediaType = "") => {
    const bytes = Buffer.from(typeof json === "string" ? json : JSON.stringify(json));
    return { digest: digestOf(bytes), mediaType, bytes };
  };
  const descriptor = { mediaType: MEDIA_TYPES.ociConfig, digest: digestOf(Buffer.from("{}")), size: 2 };
  const good = { schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, config: descriptor, layers: [], extra: "dropped" };
  t.same(parseManifest(fetched(good)), {
    kind: "manifest",
    manifest: { schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, config: descriptor, layers: [] },
  });
  const platform = { architecture: "arm64", os: "linux" };
  const index = { schemaVersion: 2, manifests: [{ ...descriptor, mediaType: MEDIA_TYPES.ociManifest, platform }] };
  t.same(parseManifest(fetched(index, MEDIA_TYPES.ociIndex)), { kind: "index", index: { schemaVersion: 2, manifests: index.manifests } });
  t.equal(parseManifest(fetched({ ...index, mediaType: undefined })).kind, "index", "without a media type, an index by its manifests");

  const refused = (json: unknown, mediaType?: string) => {
    const f = fetched(json, mediaType);
    try {
      parseManifest(f);
    } catch (err) {
      return (err as Error).message.replace(f.digest, "DIGEST");
    }
    return "accepted";
  };
  t.equal(refused("{not json"), "the manifest DIGEST is not JSON");
  t.equal(
    refused({ schemaVersion: 1, name: "nf", fsLayers: [] }),
    "the manifest DIGEST has schemaVersion 1; nfctl reads schema 2 (OCI and Docker) manifests only",
  );
  t.equal(
    refused({ schemaVersion: 2, mediaType: "application/vnd.oci.artifact.manifest.v1+json", blobs: [] }),
    'the manifest DIGEST has media type "application/vnd.oci.artifact.manifest.v1+json", neither an image manifest nor an index nfctl reads (application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json)',
  );
  t.equal(
    refused({ ...good, layers: [{ ...descriptor, digest: `sha512:${"ab".repeat(64)}` }] }),
    `the manifest DIGEST has layers[0].digest "${`sha512:${"ab".repeat(64)}`.slice(0, 80)}"; nfctl verifies sha256 digests only`,
  );
  t.equal(refused({ ...good, config: { ...descriptor, size: -1 } }), "the manifest DIGEST has no config.size (a byte count)");
  t.equal(refused({ ...good, config: undefined }), "the manifest DIGEST has no config descriptor");
  t.equal(
    refused({ ...index, manifests: [{ ...descriptor, platform: { architecture: "amd64" } }] }),
    "the manifest DIGEST has no manifests[0].platform.os (a string)",
  );
});
