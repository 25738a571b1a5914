/**
 * NF code from images and packages, on the real kernel: a bpfman image
 * that `nfctl image build` wrote and `nfctl image push` sent, and an
 * Inspektor Gadget image that skopeo pushed, each run as an NF with
 * traffic proving it filters; a registry serving a wrong blob, an image
 * signed by another key and Never with an empty cache are refused with
 * the kernel unchanged; a package over https with --ca-file, and a kill
 * during its download; a watch loop that applies a re-pushed tag at the
 * next resync. The registry (docker-registry, TLS, htpasswd) and the file
 * server (lighttpd) run in the lab's namespace, where nfctl runs.
 */
import t from "tap";
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createLab, ADDR, type Lab } from "../../scripts/test-lab.js";
import { udpExchange } from "../../scripts/traffic.js";
import { BUILD } from "../../scripts/nfs.js";
import { requireKernel, type TapTest } from "../helpers/kernel.js";
import { chainOf, nfctl, startNfctl, statusJson, untilTrue } from "../helpers/cli.js";
import { connectedIn, fileServerIn } from "../helpers/image-servers.js";
import { skopeoCopy, startRegistry, type Registry } from "../sources/helpers/registry.js";
import { writeOciLayout } from "../../src/sources/artifacts/oci-layout.js";
import { MEDIA_TYPES } from "../../src/sources/artifacts/types.js";
import { makeKeyPair, signImage } from "../sources/artifacts/helpers/cosign.js";

requireKernel();

const sha256 = (bytes: Buffer | string) => createHash("sha256").update(bytes).digest("hex");

interface ImageLab {
  lab: Lab;
  registry: Registry;
  dir: string;
  /** The flags of the commands that load a config: the registry's CA and credentials, and the cache. */
  flags: string[];
  /** nfctl image push's: the registry's CA and credentials. */
  pushFlags: string[];
}

async function imageLab(t: TapTest): Promise<ImageLab> {
  const lab = createLab();
  t.teardown(lab.cleanup);
  const registry = await startRegistry(t, { ns: lab.nsB });
  const dir = t.testdir();
  const pushFlags = ["--ca-file", registry.caFile, "--registry-config", registry.authFile];
  return { lab, registry, dir, flags: [...pushFlags, "--cache-dir", join(dir, "cache")], pushFlags };
}

/** Builds `object` as a bpfman image with nfctl and pushes it as `ref`; returns the digest push printed. */
function buildAndPush(t: TapTest, { lab, dir, pushFlags }: ImageLab, object: string, ref: string): string {
  const layout = join(dir, `layout-${sha256(ref + object).slice(0, 8)}-${Date.now()}`);
  const built = nfctl(lab, ["image", "build", object, "--tag", ref, "--output", layout]);
  t.equal(built.code, 0, `image build: ${built.stderr}`);
  const pushed = nfctl(lab, ["image", "push", layout, ref, ...pushFlags]);
  t.equal(pushed.code, 0, `image push: ${pushed.stderr}`);
  const digest = /@(sha256:[0-9a-f]{64})/.exec(pushed.stdout)?.[1];
  t.ok(digest, `push prints the digest: ${pushed.stdout}`);
  return digest!;
}

/** An Inspektor Gadget image of `object` (config YAML, one ebpf program layer), as an OCI layout at `dir` tagged `tag`. */
function gadgetLayout(dir: string, object: string, tag: string): string {
  const program = readFileSync(object);
  const config = Buffer.from("name: counter\ndescription: counts packets\n");
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociManifest,
      artifactType: MEDIA_TYPES.gadgetArtifact,
      config: { mediaType: MEDIA_TYPES.gadgetConfig, digest: `sha256:${sha256(config)}`, size: config.length },
      layers: [{ mediaType: MEDIA_TYPES.gadgetProgram, digest: `sha256:${sha256(program)}`, size: program.length }],
    }),
  );
  const blobs = new Map([
    [`sha256:${sha256(config)}`, config],
    [`sha256:${sha256(program)}`, program],
  ]);
  writeOciLayout(dir, { manifest, manifestDigest: `sha256:${sha256(manifest)}`, blobs }, tag);
  return `sha256:${sha256(manifest)}`;
}

/** Pushes an OCI layout with skopeo, as other tools do. */
function skopeoPush(registry: Registry, layout: string, tag: string, ref: string): void {
  skopeoCopy(`oci:${layout}:${tag}`, `docker://${ref}`, registry);
}

/** A config of one XDP chain on veth-b, each NF given as its YAML lines (at twelve spaces). */
function chainConfig(dir: string, nfs: string[], name = "c.yaml"): string {
  const file = join(dir, name);
  writeFileSync(
    file,
    `apiVersion: nfctl.io/v1alpha1\nkind: NetworkFunctions\nmetadata:\n  name: images\nspec:\n  interfaces:\n    - name: veth-b\n      xdp:\n        chain:\n${nfs.join("")}`,
  );
  return file;
}

const imageNf = (name: string, ref: string, program: string, more = "", pullPolicy?: string) =>
  `          - name: ${name}\n            image: { ref: "${ref}"${pullPolicy ? `, pullPolicy: ${pullPolicy}` : ""} }\n            program: ${program}\n${more}`;
const BLOCK = `            maps:\n              blocklist_v4:\n                ${ADDR.blocked}/32: 1\n`;

async function filters(t: TapTest, lab: Lab, what: string): Promise<void> {
  t.same(await udpExchange(lab, [ADDR.allowed, ADDR.blocked], 20), { [ADDR.allowed]: 20, [ADDR.blocked]: 0 }, what);
}

/** The kernel is as it was: nothing attached on veth-b, no program of nfctl's loaded. */
function untouched(t: TapTest, lab: Lab, what: string): void {
  t.same(chainOf(lab), [], `${what}: no chain`);
  t.same(readdirSync(lab.root), [], `${what}: nothing pinned`);
}

t.test("a bpfman image from nfctl and an Inspektor Gadget image from skopeo run as NFs and filter", async (t) => {
  const il = await imageLab(t);
  const { lab, registry, dir, flags } = il;
  const blocklistRef = `${registry.host}/nfs/blocklist:v1`;
  const blocklistDigest = buildAndPush(t, il, join(BUILD, "blocklist.o"), blocklistRef);
  const gadget = join(dir, "gadget");
  const gadgetDigest = gadgetLayout(gadget, join(BUILD, "counter.o"), "v1");
  skopeoPush(registry, gadget, "v1", `${registry.host}/gadgets/counter:v1`);
  const counterRef = `${registry.host}/gadgets/counter@${gadgetDigest}`;

  const file = chainConfig(dir, [imageNf("counter", counterRef, "xdp_counter"), imageNf("bl", blocklistRef, "xdp_blocklist", BLOCK)]);
  const apply = nfctl(lab, ["apply", "-f", file, ...flags]);
  t.equal(apply.code, 0, apply.stderr);
  t.match(apply.stdout, `image ${blocklistRef}@${blocklistDigest}`, "the plan shows the tag's digest");
  t.match(apply.stdout, `image ${counterRef}`, "and the reference by digest");
  await filters(t, lab, "the images' blocklist drops the blocked source; the gadget's counter passes the rest on");

  const nfs = statusJson(lab).hooks[0]!.nfs;
  t.same(nfs[0]!.origin, { kind: "image", ref: counterRef, digest: gadgetDigest, format: "gadget" });
  t.same(nfs[1]!.origin, { kind: "image", ref: blocklistRef, digest: blocklistDigest, format: "bpfman" });
  t.ok((nfs[0]!.counters?.seen.packets ?? 0) >= 40, `the gadget's counter counted: ${JSON.stringify(nfs[0]!.counters)}`);
  const status = nfctl(lab, ["status"]);
  t.match(status.stdout, `image ${blocklistRef}@${blocklistDigest}`, "status shows the reference and its digest");
  const said = [apply.stdout, apply.stderr, status.stdout, nfctl(lab, ["status", "-o", "json"]).stdout].join("\n");
  t.notMatch(said, registry.password, "the registry's password shows nowhere");
  t.notMatch(said, Buffer.from(`${registry.username}:${registry.password}`).toString("base64"), "nor its Basic credentials");

  // The tag moves: the same blocklist, other bytes (padding after the ELF is not read by libbpf).
  const moved = join(dir, "blocklist-v1b.o");
  writeFileSync(moved, Buffer.concat([readFileSync(join(BUILD, "blocklist.o")), Buffer.alloc(64)]));
  const movedDigest = buildAndPush(t, il, moved, blocklistRef);
  t.not(movedDigest, blocklistDigest);
  const plan = nfctl(lab, ["plan", "-f", file, "--detailed-exitcode", ...flags]);
  t.equal(plan.code, 2, plan.stderr);
  t.match(plan.stdout, `image ${blocklistRef} ${blocklistDigest} -> ${movedDigest}`, "the plan says old digest -> new digest");
  t.equal(nfctl(lab, ["apply", "-f", file, ...flags]).code, 0);
  t.same(statusJson(lab).hooks[0]!.nfs[1]!.origin, { kind: "image", ref: blocklistRef, digest: movedDigest, format: "bpfman" });
  await filters(t, lab, "still filtering after the update");
});

t.test("a registry that serves a wrong blob is caught by the digest check, and the kernel is unchanged", async (t) => {
  const il = await imageLab(t);
  const { lab, registry, dir, flags } = il;
  const ref = `${registry.host}/nfs/blocklist:v1`;
  buildAndPush(t, il, join(BUILD, "blocklist.o"), ref);
  // The layer's data file in the registry's storage: the largest blob, the object's tar+gzip.
  const blobs = join(registry.storage, "docker/registry/v2/blobs/sha256");
  const files = readdirSync(blobs).flatMap((p) => readdirSync(join(blobs, p)).map((hex) => ({ hex, path: join(blobs, p, hex, "data") })));
  const layer = files.sort((a, b) => readFileSync(b.path).length - readFileSync(a.path).length)[0]!;
  const original = readFileSync(layer.path);
  const forged = Buffer.from(original);
  forged[forged.length - 1] = forged[forged.length - 1]! ^ 0xff;
  writeFileSync(layer.path, forged);
  const file = chainConfig(dir, [imageNf("bl", ref, "xdp_blocklist", BLOCK)]);
  const apply = nfctl(lab, ["apply", "-f", file, ...flags]);
  t.equal(apply.code, 1);
  t.match(apply.stderr, `sha256:${layer.hex}`, "the message names the digest asked for");
  t.match(apply.stderr, `sha256:${sha256(forged)}`, "and the digest served");
  t.notMatch(apply.stderr, /\n {4}at /, "no stack trace");
  untouched(t, lab, "after the wrong blob");
});

t.test("an image signed with another key is refused; one signed with the operator's key runs", async (t) => {
  const il = await imageLab(t);
  const { lab, registry, dir, flags } = il;
  const ours = makeKeyPair(dir, "ours");
  const theirs = makeKeyPair(dir, "theirs");
  const ref = `${registry.host}/nfs/blocklist:v1`;
  const digest = buildAndPush(t, il, join(BUILD, "blocklist.o"), ref);
  const file = chainConfig(dir, [imageNf("bl", ref, "xdp_blocklist", BLOCK)]);

  const unsigned = nfctl(lab, ["apply", "-f", file, ...flags, "--verify-key", ours.publicKeyPath]);
  t.equal(unsigned.code, 1);
  t.match(unsigned.stderr, /not signed/, unsigned.stderr);
  untouched(t, lab, "unsigned");

  const pushSignature = (privateKeyPem: string) => {
    const signature = signImage(ref, digest, privateKeyPem);
    const layout = join(dir, `sig-${Date.now()}`);
    writeOciLayout(layout, { manifest: signature.manifestBytes, manifestDigest: `sha256:${sha256(signature.manifestBytes)}`, blobs: signature.blobs }, "sig");
    skopeoPush(registry, layout, "sig", `${registry.host}/nfs/blocklist:sha256-${digest.slice("sha256:".length)}.sig`);
  };
  pushSignature(theirs.privateKeyPem);
  const wrongKey = nfctl(lab, ["apply", "-f", file, ...flags, "--verify-key", ours.publicKeyPath]);
  t.equal(wrongKey.code, 1);
  t.match(wrongKey.stderr, /another key|not by/, wrongKey.stderr);
  untouched(t, lab, "signed by another key");

  pushSignature(ours.privateKeyPem);
  const signed = nfctl(lab, ["apply", "-f", file, ...flags, "--verify-key", ours.publicKeyPath]);
  t.equal(signed.code, 0, signed.stderr);
  await filters(t, lab, "the signed image filters");
});

t.test("pullPolicy Never with an empty cache is a clear error; once pulled, Never and --offline work from the cache", async (t) => {
  const il = await imageLab(t);
  const { lab, registry, dir, flags } = il;
  const ref = `${registry.host}/nfs/blocklist:v1`;
  buildAndPush(t, il, join(BUILD, "blocklist.o"), ref);
  const never = chainConfig(dir, [imageNf("bl", ref, "xdp_blocklist", BLOCK, "Never")], "never.yaml");
  const empty = nfctl(lab, ["apply", "-f", never, ...flags]);
  t.equal(empty.code, 1);
  t.match(empty.stderr, `image ${ref} is not in the cache`, empty.stderr);
  untouched(t, lab, "Never with an empty cache");

  const file = chainConfig(dir, [imageNf("bl", ref, "xdp_blocklist", BLOCK)]);
  t.equal(nfctl(lab, ["plan", "-f", file, ...flags]).code, 0, "a plan pulls it");
  const offline = nfctl(lab, ["plan", "--offline", "-f", file, ...flags]);
  t.equal(offline.code, 0, offline.stderr);
  t.match(offline.stdout, `image ${ref}@sha256:`);
  const apply = nfctl(lab, ["apply", "-f", never, ...flags]);
  t.equal(apply.code, 0, apply.stderr);
  await filters(t, lab, "Never runs what the cache holds");
});

t.test("a package over https with --ca-file; a kill during its download leaves the cache usable", async (t) => {
  const lab = createLab();
  t.teardown(lab.cleanup);
  const dir = t.testdir();
  // 4 MiB of noise beside the object: a download of seconds at 256 KiB/s.
  const pkg = join(dir, "pkg");
  mkdirSync(pkg);
  writeFileSync(join(pkg, "blocklist.o"), readFileSync(join(BUILD, "blocklist.o")));
  writeFileSync(join(pkg, "noise.bin"), Buffer.from(Array.from({ length: 4 << 20 }, () => Math.floor(Math.random() * 256))));
  const server = await fileServerIn(t, lab.nsB, { kbytesPerSecond: 256 });
  execFileSync("tar", ["-czf", join(server.root, "blocklist-1.0.tar.gz"), "-C", pkg, "blocklist.o", "noise.bin"]);
  const digest = sha256(readFileSync(join(server.root, "blocklist-1.0.tar.gz")));
  const cache = join(dir, "cache");
  const flags = ["--ca-file", server.caFile, "--cache-dir", cache];
  const file = chainConfig(dir, [
    `          - name: bl\n            artifact: { url: "${server.url}blocklist-1.0.tar.gz", sha256: "${digest}", object: blocklist.o }\n            program: xdp_blocklist\n${BLOCK}`,
  ]);

  const run = startNfctl(t, lab, ["apply", "-f", file, ...flags]);
  t.ok(await untilTrue(t, "the download has started", () => connectedIn(lab.nsB, server.port), run, 20_000));
  run.child.kill("SIGKILL");
  await run.exited;
  untouched(t, lab, "killed while downloading");
  const whole = readdirSync(join(cache, "oci/blobs/sha256")).filter((f) => !f.startsWith("."));
  t.same(whole, [], "nothing in the cache is taken for whole");

  const apply = nfctl(lab, ["apply", "-f", file, ...flags]);
  t.equal(apply.code, 0, apply.stderr);
  await filters(t, lab, "the package's blocklist filters");
  t.same(statusJson(lab).hooks[0]!.nfs[0]!.origin, { kind: "artifact", url: `${server.url}blocklist-1.0.tar.gz`, sha256: digest, object: "blocklist.o" });

  // A bare object over https, as well as a package.
  writeFileSync(join(server.root, "blocklist.o"), readFileSync(join(BUILD, "blocklist.o")));
  const bare = chainConfig(
    dir,
    [
      `          - name: bl2\n            artifact: { url: "${server.url}blocklist.o", sha256: "${sha256(readFileSync(join(BUILD, "blocklist.o")))}" }\n            program: xdp_blocklist\n${BLOCK}`,
    ],
    "bare.yaml",
  );
  const bareApply = nfctl(lab, ["apply", "-f", bare, ...flags]);
  t.equal(bareApply.code, 0, bareApply.stderr);
  t.match(bareApply.stdout, `artifact ${server.url}blocklist.o`, "the plan names the artifact");
  await filters(t, lab, "the bare object's blocklist filters");

  const wrong = chainConfig(
    dir,
    [
      `          - name: bl\n            artifact: { url: "${server.url}blocklist-1.0.tar.gz", sha256: "${"0".repeat(64)}", object: blocklist.o }\n            program: xdp_blocklist\n`,
    ],
    "wrong.yaml",
  );
  const mismatch = nfctl(lab, ["plan", "-f", wrong, "--cache-dir", join(dir, "fresh"), "--ca-file", server.caFile]);
  t.equal(mismatch.code, 1);
  t.match(mismatch.stderr, `has sha256 ${digest}, but the config requires ${"0".repeat(64)}`, "both digests named");
});

t.test("nfctl watch applies a re-pushed tag at the next resync", async (t) => {
  const il = await imageLab(t);
  const { lab, registry, dir, flags } = il;
  const ref = `${registry.host}/nfs/blocklist:v1`;
  const first = buildAndPush(t, il, join(BUILD, "blocklist.o"), ref);
  const conf = join(dir, "conf");
  mkdirSync(conf);
  chainConfig(conf, [imageNf("bl", ref, "xdp_blocklist", BLOCK)]);
  const run = startNfctl(t, lab, ["watch", "-f", conf, "--resync", "3s", "--listen", "127.0.0.1:0", ...flags]);
  const originDigest = () => {
    try {
      const origin = statusJson(lab).hooks[0]?.nfs[0]?.origin;
      return origin?.kind === "image" ? origin.digest : undefined;
    } catch {
      return undefined;
    }
  };
  t.ok(await untilTrue(t, "the first digest applied", () => originDigest() === first, run, 30_000));
  const moved = join(dir, "blocklist-v1b.o");
  writeFileSync(moved, Buffer.concat([readFileSync(join(BUILD, "blocklist.o")), Buffer.alloc(64)]));
  const second = buildAndPush(t, il, moved, ref);
  t.ok(await untilTrue(t, "the re-pushed tag applied without a commit", () => originDigest() === second, run, 30_000));
  t.ok(
    await untilTrue(t, "the loop's log says old digest -> new digest", () => run.stderr().includes(`image ${ref} ${first} -> ${second}`), run, 5_000),
    run.stderr(),
  );
  await filters(t, lab, "still filtering");
});
