/**
 * Resolving code sources (src/sources/artifacts/resolve.ts), with a fake
 * registry, cache and fetcher: what each pull policy asks of the registry,
 * a tag that moved, digests checked, signatures looked up for the digest
 * the reference names, the concurrency bound, and one source's failure
 * kept to that source.
 */
import t from "tap";
import { createHash } from "node:crypto";
import { codeSourceKey, type CodeSource, type ResolvedCode } from "../../../src/state/code-source.js";
import { MAX_CONCURRENT_SOURCES, resolveCodeSources, type ResolveOptions } from "../../../src/sources/artifacts/resolve.js";
import { MAX_CONFIG_BYTES, MAX_LAYER_BYTES } from "../../../src/sources/artifacts/pull-image.js";
import { fakeDeps, sha256, type Fakes } from "./helpers/fake-deps.js";

const OPTIONS: ResolveOptions = { cacheDir: "/cache", registry: {} };
const REG = "registry.test:5000";
const OBJECT_V1 = Buffer.from("\x7fELF counter v1");
const OBJECT_V2 = Buffer.from("\x7fELF counter v2");
const hex = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

const image = (ref: string, pullPolicy: "IfNotPresent" | "Always" | "Never" = "IfNotPresent", verifyKey?: string): CodeSource => ({
  kind: "image",
  ref,
  pullPolicy,
  ...(verifyKey !== undefined && { verifyKey }),
});

/** Resolves one source and returns its entry. */
async function resolveOne(fakes: Fakes, source: CodeSource, options: ResolveOptions = OPTIONS): Promise<ResolvedCode> {
  const resolved = await resolveCodeSources([source], options, fakes.deps);
  return resolved.get(codeSourceKey(source))!;
}

/** The registry calls made while `run` ran. */
async function callsOf(fakes: Fakes, run: () => Promise<unknown>): Promise<string[]> {
  const before = fakes.registry.calls.length;
  await run();
  return fakes.registry.calls.slice(before);
}

t.test("IfNotPresent: the tag is asked every time; cached manifests and blobs are not fetched again", async (t) => {
  const fakes = fakeDeps();
  const digest = fakes.registry.push(`${REG}/nfs/counter`, "v1", OBJECT_V1);
  const source = image(`${REG}/nfs/counter:v1`);
  const first = await callsOf(fakes, async () => {
    t.same(await resolveOne(fakes, source), {
      ok: true,
      path: `/cache/oci/blobs/sha256/${hex(OBJECT_V1)}`,
      digest: hex(OBJECT_V1),
      origin: { kind: "image", ref: `${REG}/nfs/counter:v1`, digest, format: "bpfman" },
    });
  });
  const config = JSON.parse(fakes.registry.manifests.get(digest)!.toString()) as { config: { digest: string } };
  t.same(first, [`manifest ${REG}/nfs/counter v1`, `blob ${config.config.digest} max ${MAX_CONFIG_BYTES}`, `blob ${sha256(OBJECT_V1)} max ${MAX_LAYER_BYTES}`]);
  t.equal(fakes.cache.tags.get(`${REG}/nfs/counter:v1`), digest, "the tag's digest is recorded");
  t.same(await callsOf(fakes, () => resolveOne(fakes, source)), [`manifest ${REG}/nfs/counter v1`], "only the tag, again");
  // By digest, nothing at all is asked once cached.
  t.same(await callsOf(fakes, () => resolveOne(fakes, image(`${REG}/nfs/counter@${digest}`))), []);
});

t.test("Always: the tag and everything it names are fetched again", async (t) => {
  const fakes = fakeDeps();
  fakes.registry.push(`${REG}/nfs/counter`, "v1", OBJECT_V1);
  const source = image(`${REG}/nfs/counter:v1`, "Always");
  t.equal((await resolveOne(fakes, source)).ok, true);
  const again = await callsOf(fakes, () => resolveOne(fakes, source));
  t.equal(again.length, 3, "the tag, the config and the layer");
  t.match(again, [/^manifest .* v1$/, /^blob /, /^blob /]);
});

t.test("Never: the cache alone; an empty cache is a clear error, and the registry is not asked", async (t) => {
  const fakes = fakeDeps();
  const digest = fakes.registry.push(`${REG}/nfs/counter`, "v1", OBJECT_V1);
  const never = image(`${REG}/nfs/counter:v1`, "Never");
  t.same(await resolveOne(fakes, never), {
    ok: false,
    code: "image-not-cached",
    message: `image ${REG}/nfs/counter:v1 is not in the cache (pullPolicy: Never)`,
  });
  t.same(fakes.registry.calls, []);
  await resolveOne(fakes, image(`${REG}/nfs/counter:v1`));
  const calls = await callsOf(fakes, async () => {
    const resolved = await resolveOne(fakes, never);
    t.match(resolved, { ok: true, digest: hex(OBJECT_V1), origin: { digest } });
  });
  t.same(calls, [], "a cached image is read from the cache alone");
});

t.test("plan --offline: a tag or a digest not in the cache is an error naming it; a cached one resolves", async (t) => {
  const fakes = fakeDeps();
  const digest = fakes.registry.push(`${REG}/nfs/counter`, "v1", OBJECT_V1);
  const offline = { ...OPTIONS, offline: true };
  for (const ref of [`${REG}/nfs/counter:v1`, `${REG}/nfs/counter@${digest}`]) {
    t.same(await resolveOne(fakes, image(ref), offline), {
      ok: false,
      code: "image-not-cached",
      message: `image ${ref} is not in the cache (plan --offline reads the cache only)`,
    });
  }
  // Always offline reads the cache too.
  t.equal((await resolveOne(fakes, image(`${REG}/nfs/counter:v1`, "Always"), offline)).ok, false);
  t.same(fakes.registry.calls, []);
  await resolveOne(fakes, image(`${REG}/nfs/counter:v1`));
  const calls = await callsOf(fakes, async () => t.match(await resolveOne(fakes, image(`${REG}/nfs/counter:v1`), offline), { ok: true, origin: { digest } }));
  t.same(calls, []);
});

t.test("a tag pushed again resolves to the new digest at the next resolve", async (t) => {
  const fakes = fakeDeps();
  const old = fakes.registry.push(`${REG}/nfs/counter`, "v1", OBJECT_V1);
  const source = image(`${REG}/nfs/counter:v1`);
  t.match(await resolveOne(fakes, source), { ok: true, digest: hex(OBJECT_V1), origin: { digest: old } });
  const moved = fakes.registry.push(`${REG}/nfs/counter`, "v1", OBJECT_V2);
  t.not(moved, old);
  t.match(await resolveOne(fakes, source), { ok: true, digest: hex(OBJECT_V2), path: `/cache/oci/blobs/sha256/${hex(OBJECT_V2)}`, origin: { digest: moved } });
  t.equal(fakes.cache.tags.get(`${REG}/nfs/counter:v1`), moved);
});

t.test("an index: the host's manifest is read, and the reference resolves to the index's digest", async (t) => {
  const fakes = fakeDeps();
  const amd64 = fakes.registry.push(`${REG}/nfs/counter`, "amd64", OBJECT_V1);
  const arm64 = fakes.registry.push(`${REG}/nfs/counter`, "arm64", OBJECT_V2, "arm64");
  const index = fakes.registry.pushIndex(`${REG}/nfs/counter`, "v1", { arm64, amd64 });
  t.match(await resolveOne(fakes, image(`${REG}/nfs/counter:v1`)), { ok: true, digest: hex(OBJECT_V1), origin: { digest: index } });
  const only = fakes.registry.pushIndex(`${REG}/nfs/counter`, "arm-only", { arm64 });
  t.same(await resolveOne(fakes, image(`${REG}/nfs/counter@${only}`)), {
    ok: false,
    code: "image-unsupported",
    message: "the index has no manifest for amd64",
  });
});

t.test("artifacts: by sha256 from the cache without a fetch; else fetched, checked and cached", async (t) => {
  const fakes = fakeDeps();
  const url = "https://ci:s3cret@artifacts.test/nfs/blocklist.tgz?token=abc";
  const shown = "https://***@artifacts.test/nfs/blocklist.tgz?token=***";
  const pkg = Buffer.from("a package");
  fakes.artifacts.set(url, pkg);
  const source: CodeSource = { kind: "artifact", url, sha256: hex(pkg), object: "blocklist.o" };
  const object = Buffer.from("a package:blocklist.o");
  const want = {
    ok: true,
    path: `/cache/oci/blobs/sha256/${hex(object)}`,
    digest: hex(object),
    origin: { kind: "artifact", url: shown, sha256: hex(pkg), object: "blocklist.o" },
  };
  t.same(await resolveOne(fakes, source), want);
  t.same(fakes.fetched, [url]);
  t.same(fakes.cache.blobs.get(sha256(pkg)), pkg, "the package is cached by its digest");
  t.same(await resolveOne(fakes, source, { ...OPTIONS, offline: true }), want, "offline, from the cache");
  t.same(fakes.fetched, [url], "not fetched again");
});

t.test("artifacts: a digest mismatch names both digests; offline and not cached names the URL", async (t) => {
  const fakes = fakeDeps();
  const url = "https://artifacts.test/nfs/counter.o";
  const served = Buffer.from("not what the config pinned");
  fakes.artifacts.set(url, served);
  const want = "0".repeat(64);
  const source: CodeSource = { kind: "artifact", url, sha256: want };
  t.same(await resolveOne(fakes, source), {
    ok: false,
    code: "artifact-digest-mismatch",
    message: `artifact ${url} has sha256 ${hex(served)}, but the config requires ${want}`,
  });
  t.equal(fakes.cache.blobs.size, 0, "nothing of it is cached");
  t.same(await resolveOne(fakes, source, { ...OPTIONS, offline: true }), {
    ok: false,
    code: "artifact-not-cached",
    message: `artifact ${url} is not in the cache (sha256 ${want}); plan --offline reads the cache only`,
  });
  const secret: CodeSource = { kind: "artifact", url: "https://ci:s3cret@artifacts.test/gone.o", sha256: want };
  t.same(await resolveOne(fakes, secret), {
    ok: false,
    code: "artifact-unavailable",
    message: "artifact https://***@artifacts.test/gone.o: fetch https://***@artifacts.test/gone.o: 404 Not Found",
  });
});

t.test("signatures: looked up at the tag of the digest the reference names, with the key that applies", async (t) => {
  const fakes = fakeDeps();
  const digest = fakes.registry.push(`${REG}/nfs/counter`, "v1", OBJECT_V1);
  fakes.registry.sign(`${REG}/nfs/counter`, digest);
  const signed = await resolveOne(fakes, image(`${REG}/nfs/counter:v1`), { ...OPTIONS, verifyKey: "/keys/all.pub" });
  t.match(signed, { ok: true, origin: { digest, verifiedBy: "/keys/all.pub" } });
  t.same(fakes.verified, [
    { check: { imageRef: `${REG}/nfs/counter:v1`, imageDigest: digest, keyPem: "PEM of /keys/all.pub", keyName: "/keys/all.pub" }, signed: true },
  ]);
  t.ok(fakes.registry.calls.includes(`manifest ${REG}/nfs/counter ${digest.replace(":", "-")}.sig`));
  // The NF's own key does not stand in for --verify-key: the image is checked with both.
  const both = await resolveOne(fakes, image(`${REG}/nfs/counter:v1`, "IfNotPresent", "/keys/nf.pub"), { ...OPTIONS, verifyKey: "/keys/all.pub" });
  t.same(
    fakes.verified.slice(-2).map((v) => v.check.keyName),
    ["/keys/all.pub", "/keys/nf.pub"],
  );
  t.match(both, { ok: true, origin: { verifiedBy: "/keys/all.pub, /keys/nf.pub" } });
  // No key: no lookup.
  const calls = await callsOf(fakes, () => resolveOne(fakes, image(`${REG}/nfs/counter:v1`)));
  t.same(calls, [`manifest ${REG}/nfs/counter v1`]);
});

t.test("signatures: an unsigned image passes no signature to the check, and is refused", async (t) => {
  const fakes = fakeDeps();
  const digest = fakes.registry.push(`${REG}/nfs/counter`, "v1", OBJECT_V1);
  const resolved = await resolveOne(fakes, image(`${REG}/nfs/counter:v1`, "IfNotPresent", "/keys/nf.pub"));
  t.same(resolved, {
    ok: false,
    code: "image-signature",
    message: `image ${REG}/nfs/counter:v1 is not signed (no ${digest.replace(":", "-")}.sig)`,
  });
  t.same(
    fakes.verified.map((v) => v.signed),
    [false],
  );
  t.notOk(
    fakes.registry.calls.some((c) => c.startsWith(`blob ${sha256(OBJECT_V1)}`)),
    "no layer is read before the signature is checked",
  );
});

t.test("signatures: an index is checked by the index's digest; offline, from the cache's record of the signature", async (t) => {
  const fakes = fakeDeps();
  const amd64 = fakes.registry.push(`${REG}/nfs/counter`, "amd64", OBJECT_V1);
  const index = fakes.registry.pushIndex(`${REG}/nfs/counter`, "v1", { amd64 });
  fakes.registry.sign(`${REG}/nfs/counter`, index);
  const options = { ...OPTIONS, verifyKey: "/keys/nf.pub" };
  const offline = { ...options, offline: true };
  t.match(await resolveOne(fakes, image(`${REG}/nfs/counter:v1`), options), { ok: true, origin: { digest: index, verifiedBy: "/keys/nf.pub" } });
  t.equal(fakes.verified[0]?.check.imageDigest, index);
  const calls = await callsOf(fakes, async () => t.match(await resolveOne(fakes, image(`${REG}/nfs/counter:v1`), offline), { ok: true }));
  t.same(calls, []);
  t.same(
    fakes.verified.map((v) => v.signed),
    [true, true],
  );
  // A cached image whose signature was never fetched: offline says the signature is not cached.
  const other = fakeDeps({ registry: fakes.registry });
  await resolveOne(other, image(`${REG}/nfs/counter:v1`));
  t.same(await resolveOne(other, image(`${REG}/nfs/counter:v1`), offline), {
    ok: false,
    code: "image-not-cached",
    message: `the signature of image ${REG}/nfs/counter:v1 (tag ${index.replace(":", "-")}.sig) is not in the cache (plan --offline reads the cache only)`,
  });
});

t.test("at most MAX_CONCURRENT_SOURCES at once; the same source twice is fetched once", async (t) => {
  const fakes = fakeDeps();
  const sources = Array.from({ length: 10 }, (_, i) => {
    fakes.registry.push(`${REG}/nfs/nf${i}`, "v1", Buffer.from(`object ${i}`));
    return image(`${REG}/nfs/nf${i}:v1`);
  });
  fakes.registry.delayMs = 20;
  const resolved = await resolveCodeSources([...sources, ...sources], OPTIONS, fakes.deps);
  t.equal(resolved.size, 10);
  t.ok([...resolved.values()].every((r) => r.ok));
  t.equal(fakes.registry.maxInFlight, MAX_CONCURRENT_SOURCES);
  t.equal(fakes.registry.calls.filter((c) => c.startsWith("manifest")).length, 10, "one tag lookup per distinct source");
});

t.test("one source's failure is its own: the others resolve, and the message is one line", async (t) => {
  const fakes = fakeDeps();
  fakes.registry.push(`${REG}/nfs/counter`, "v1", OBJECT_V1);
  fakes.registry.push(`${REG}/nfs/down`, "v1", OBJECT_V2);
  fakes.registry.failing.set(`${REG}/nfs/down`, new Error("connect ECONNREFUSED 127.0.0.1:5000\n    at TCPConnectWrap"));
  const sources = [image(`${REG}/nfs/counter:v1`), image(`${REG}/nfs/down:v1`), image(`${REG}/nfs/missing:v1`)];
  const resolved = await resolveCodeSources(sources, OPTIONS, fakes.deps);
  t.match(resolved.get(codeSourceKey(sources[0]!)), { ok: true, digest: hex(OBJECT_V1) });
  t.same(resolved.get(codeSourceKey(sources[1]!)), {
    ok: false,
    code: "image-unavailable",
    message: `image ${REG}/nfs/down:v1: connect ECONNREFUSED 127.0.0.1:5000 at TCPConnectWrap`,
  });
  t.same(resolved.get(codeSourceKey(sources[2]!)), { ok: false, code: "image-unavailable", message: `${REG}/nfs/missing:v1: manifest unknown` });
});

t.test("no sources: nothing is made, not even the dependencies", async (t) => {
  // Without deps, resolving would make the real registry client and cache: an empty list asks for neither.
  t.same(await resolveCodeSources([], OPTIONS), new Map());
});
