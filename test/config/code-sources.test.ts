/**
 * An NF's code from `artifact:` or `image:`: the schema takes exactly one
 * source of code, the loader asks its resolver for every artifact and
 * image at once, and checks the NF against the object the resolver cached,
 * naming the image (not the cache) in its messages and keeping its origin.
 */
import t from "tap";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadConfigYielding, type LoadConfigResult } from "../../src/reconcile/config/index.js";
import type { CodeSource, ResolvedCode } from "../../src/state/index.js";
import { codeSourceKey } from "../../src/state/index.js";
import { BUILD, configText, desiredOf, errorsOf, hookText, load } from "./helpers/configs.js";

const SHA = "a".repeat(64);
const COUNTER = join(BUILD, "counter.o");
const COUNTER_SHA = createHash("sha256").update(readFileSync(COUNTER)).digest("hex");
const IMAGE_DIGEST = `sha256:${"b".repeat(64)}`;

/** One NF list item with the given code lines (at twelve spaces). */
const nf = (name: string, code: string, program = "xdp_counter") => `          - name: ${name}\n${code}            program: ${program}\n`;
const image = (ref: string, more = "") => `            image: { ref: ${ref}${more} }\n`;

/** A resolver that answers every image with counter.o, and records what it was asked. */
function fakeResolver(answer: (source: CodeSource) => ResolvedCode = okImage) {
  const calls: CodeSource[][] = [];
  const resolve = async (sources: readonly CodeSource[]) => {
    calls.push([...sources]);
    return new Map(sources.map((s) => [codeSourceKey(s), answer(s)]));
  };
  return { calls, resolve };
}

function okImage(source: CodeSource): ResolvedCode {
  if (source.kind !== "image") throw new Error("an image only");
  return { ok: true, path: COUNTER, digest: COUNTER_SHA, origin: { kind: "image", ref: source.ref, digest: IMAGE_DIGEST, format: "bpfman" } };
}

async function loadWith(dir: string, resolve: ReturnType<typeof fakeResolver>["resolve"]): Promise<LoadConfigResult> {
  return loadConfigYielding(["c.yaml"], { cwd: dir, resolveCode: resolve });
}

t.test("an NF's code comes from exactly one of object, artifact and image", async (t) => {
  const dir = t.testdir({
    "c.yaml": configText(
      hookText("eth1", "xdp", [
        nf("both", `            object: ${COUNTER}\n` + image("reg.example/nfs/counter:v1")),
        nf("none", ""),
        nf("verify", `            object: ${COUNTER}\n            verify: { key: nf.pub }\n`),
        nf("nosha", `            artifact: { url: https://files.example/counter.o }\n`),
        nf("http", `            artifact: { url: http://files.example/counter.o, sha256: ${SHA} }\n`),
      ]),
    ),
  });
  t.same(errorsOf(load(dir, ["c.yaml"])), [
    `c.yaml:12:13: spec.interfaces[0].xdp.chain[0]: has object and image: an NF's code comes from exactly one of object, artifact, image`,
    `c.yaml:14:13: spec.interfaces[0].xdp.chain[1]: needs one of: object, artifact, image`,
    `c.yaml:18:13: spec.interfaces[0].xdp.chain[2]: "verify" needs "image": only an image carries a signature to verify`,
    `c.yaml:21:23: spec.interfaces[0].xdp.chain[3].artifact: "sha256" is required`,
    `c.yaml:24:30: spec.interfaces[0].xdp.chain[4].artifact.url: must be an https:// or file:// URL`,
  ]);
});

t.test("the loader asks once for every image, and loads what the resolver cached", async (t) => {
  const dir = t.testdir({
    "c.yaml": configText(
      hookText("eth1", "xdp", [nf("a", image("reg.example/nfs/counter:v1")), nf("b", image("reg.example/nfs/counter:v1", ", pullPolicy: Always"))]) +
        hookText("eth2", "xdp", [nf("a", image("reg.example/nfs/counter:v1"))]),
    ),
  });
  const resolver = fakeResolver();
  const desired = desiredOf(await loadWith(dir, resolver.resolve));
  t.equal(resolver.calls.length, 1, "one request");
  t.same(
    resolver.calls[0]!.map((s) => codeSourceKey(s)),
    ["image reg.example/nfs/counter:v1 IfNotPresent -", "image reg.example/nfs/counter:v1 Always -"],
    "each source once",
  );
  const a = desired.hooks[0]!.chain[0]!;
  t.equal(a.object, COUNTER);
  t.equal(a.digest, COUNTER_SHA);
  t.same(a.origin, { kind: "image", ref: "reg.example/nfs/counter:v1", digest: IMAGE_DIGEST, format: "bpfman" });
});

t.test("a verify key is taken from the config file's directory", async (t) => {
  const dir = t.testdir({
    "c.yaml": configText(hookText("eth1", "xdp", [nf("a", image("reg.example/nfs/counter:v1") + "            verify: { key: keys/nf.pub }\n")])),
  });
  const resolver = fakeResolver();
  desiredOf(await loadWith(dir, resolver.resolve));
  t.same(resolver.calls[0], [{ kind: "image", ref: "reg.example/nfs/counter:v1", pullPolicy: "IfNotPresent", verifyKey: join(dir, "keys/nf.pub") }]);
});

t.test("what the resolver refuses is an error at the NF's image or artifact, and the object is named by its image", async (t) => {
  const dir = t.testdir({
    "c.yaml": configText(
      hookText("eth1", "xdp", [
        nf("bad", image("reg.example/nfs/bad:v1")),
        nf("art", `            artifact: { url: https://files.example/counter.o, sha256: ${SHA} }\n`),
        nf("prog", image("reg.example/nfs/counter:v1"), "xdp_nope"),
      ]),
    ),
  });
  const resolver = fakeResolver((source) => {
    if (source.kind === "artifact")
      return {
        ok: false,
        code: "artifact-digest-mismatch",
        message: `artifact ${source.url} has sha256 ${"c".repeat(64)}, but the config requires ${source.sha256}`,
      };
    if (source.ref.includes("bad")) return { ok: false, code: "image-signature", message: `image ${source.ref} is not signed` };
    return okImage(source);
  });
  t.same(errorsOf(await loadWith(dir, resolver.resolve)), [
    "c.yaml:11:20: spec.interfaces[0].xdp.chain[0].image: image reg.example/nfs/bad:v1 is not signed",
    `c.yaml:14:23: spec.interfaces[0].xdp.chain[1].artifact: artifact https://files.example/counter.o has sha256 ${"c".repeat(64)}, but the config requires ${SHA}`,
    'c.yaml:18:22: spec.interfaces[0].xdp.chain[2].program: image reg.example/nfs/counter:v1 has no program "xdp_nope" (it has: xdp_counter, tc_counter)',
  ]);
});

t.test("without a resolver, an image is an error that says it was not fetched", async (t) => {
  const dir = t.testdir({ "c.yaml": configText(hookText("eth1", "xdp", [nf("a", image("reg.example/nfs/counter:v1"))])) });
  t.same(errorsOf(load(dir, ["c.yaml"])), [
    "c.yaml:11:20: spec.interfaces[0].xdp.chain[0].image: image reg.example/nfs/counter:v1 was not fetched: this caller of the config loader gives it no resolver",
  ]);
});

t.test("a config without artifacts or images never calls the resolver", async (t) => {
  const dir = t.testdir({ "c.yaml": configText(hookText("eth1", "xdp", [nf("a", `            object: ${COUNTER}\n`)])) });
  const resolver = fakeResolver();
  desiredOf(await loadWith(dir, resolver.resolve));
  t.equal(resolver.calls.length, 0);
});
