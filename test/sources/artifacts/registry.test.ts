/**
 * The distribution API client. Its edge cases against an in-process https
 * registry that misbehaves on demand (a wrong digest, an oversized body, a
 * redirect to another origin, a bearer token server, silence); its
 * ordinary work against a real one (Debian's docker-registry with TLS and
 * htpasswd): nfctl's push read back by nfctl and by skopeo, and an image
 * skopeo pushed read by nfctl. No message ever holds a password or token.
 */
import t, { type Test } from "tap";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import tar from "tar-stream";
import { parseImageReference } from "../../../src/sources/artifacts/reference.js";
import { MAX_MANIFEST_BYTES, registryClient, type RegistryOptions } from "../../../src/sources/artifacts/registry.js";
import { MEDIA_TYPES, type Descriptor, type Manifest } from "../../../src/sources/artifacts/types.js";
import { rejectionOf } from "../helpers/artifact-errors.js";
import { localServer } from "../helpers/local-https.js";
import { skopeoCopy, startRegistry } from "../helpers/registry.js";
import { tempDir } from "../helpers/temp.js";

const PASSWORD = "hunter2-REGISTRY-secret";
const TOKEN = "tok-3f1c-BEARER-secret";
const sha256 = (bytes: Buffer) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
const descriptor = (mediaType: string, bytes: Buffer): Descriptor => ({ mediaType, digest: sha256(bytes), size: bytes.length });

/** Every failure message of this file, checked at the end for secrets. */
const messages: string[] = [];

/** The ArtifactError `promise` rejects with, its message kept for the secrets check. */
async function failure(promise: Promise<unknown>) {
  const err = await rejectionOf(promise);
  messages.push(err.message);
  return err;
}

/** A tiny image: a config, one layer and their manifest. */
function image(layerBytes = Buffer.from("layer bytes")) {
  const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", config: { Labels: { "io.ebpf.programs": '{"xdp_counter":"xdp"}' } } }));
  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociManifest,
    config: descriptor(MEDIA_TYPES.ociConfig, config),
    layers: [descriptor(MEDIA_TYPES.ociLayerTarGzip, layerBytes)],
  };
  const manifestBytes = Buffer.from(JSON.stringify(manifest));
  return { config, layer: layerBytes, manifest, manifestBytes, digest: sha256(manifestBytes) };
}

type Route = (request: IncomingMessage, response: ServerResponse, body: Buffer) => boolean;

/**
 * An https registry serving `img` as nfs/counter:v1 (and by digest) with
 * `auth`'s check, after `routes` (which answer first when they return
 * true). Bearer: tokens from a second server, which takes PASSWORD.
 */
async function fakeRegistry(t: Test, auth: "none" | "basic" | "bearer", routes: Route[] = [], img = image()) {
  const tokenRequests: URL[] = [];
  const tokenServer = await localServer(t, (request, response) => {
    const url = new URL(request.url ?? "", "https://token");
    tokenRequests.push(url);
    if (request.headers.authorization !== `Basic ${Buffer.from(`ci:${PASSWORD}`).toString("base64")}`) {
      response.writeHead(401).end();
      return;
    }
    response.setHeader("content-type", "application/json");
    response.end(JSON.stringify(url.searchParams.get("service") === "oauth" ? { access_token: TOKEN } : { token: TOKEN, expires_in: 60 }));
  });
  const challenge = auth === "basic" ? 'Basic realm="fake"' : `Bearer realm="${tokenServer.origin}/token",service="fake",scope="repository:nfs/counter:pull"`;
  const accepted = auth === "basic" ? `Basic ${Buffer.from(`ci:${PASSWORD}`).toString("base64")}` : `Bearer ${TOKEN}`;
  const server = await localServer(t, (request, response, body) => {
    if (auth !== "none" && request.headers.authorization !== accepted) {
      response.writeHead(401, { "www-authenticate": challenge, "content-type": "application/json" });
      response.end(JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: "authentication required" }] }));
      return;
    }
    if (routes.some((route) => route(request, response, body))) return;
    const path = request.url ?? "";
    if (path === "/v2/") response.end("{}");
    else if (path === "/v2/nfs/counter/manifests/v1" || path === `/v2/nfs/counter/manifests/${img.digest}`) {
      response.writeHead(200, { "content-type": MEDIA_TYPES.ociManifest, "docker-content-digest": img.digest }).end(img.manifestBytes);
    } else {
      const blob = [img.config, img.layer].find((bytes) => path === `/v2/nfs/counter/blobs/${sha256(bytes)}`);
      if (blob !== undefined) response.end(request.method === "HEAD" ? undefined : blob);
      else
        response
          .writeHead(404, { "content-type": "application/json" })
          .end(JSON.stringify({ errors: [{ code: "MANIFEST_UNKNOWN", message: "manifest unknown" }] }));
    }
  });
  const ref = parseImageReference(`${server.host}/nfs/counter:v1`);
  const client = (options: Partial<RegistryOptions> = {}) => registryClient({ ca: server.ca + tokenServer.ca, ...options });
  const withPassword = (password = PASSWORD): Partial<RegistryOptions> => ({
    credentials: (host) => (host === server.host ? { username: "ci", password } : undefined),
  });
  return { server, tokenServer, tokenRequests, ref, img, client, withPassword };
}

t.test("a manifest by tag and by digest, and its blobs, verified; the media type is the registry's", async (t) => {
  const { ref, img, client } = await fakeRegistry(t, "none");
  const registry = client();
  t.same(await registry.getManifest(ref, "v1"), { digest: img.digest, mediaType: MEDIA_TYPES.ociManifest, bytes: img.manifestBytes });
  t.same((await registry.getManifest(ref, img.digest)).bytes, img.manifestBytes);
  t.same(await registry.getBlob(ref, img.manifest.config, 1024), img.config);
  t.same(await registry.getBlob(ref, img.manifest.layers[0]!, 1024), img.layer);
  t.equal(await registry.hasBlob(ref, img.manifest.config.digest), true);
  t.equal(await registry.hasBlob(ref, sha256(Buffer.from("absent"))), false);
  const missing = await failure(registry.getManifest(ref, "v2"));
  t.equal(missing.message, `image ${ref.registry}/nfs/counter:v2: not found at the registry (MANIFEST_UNKNOWN: manifest unknown)`);
  t.equal(missing.code, "image-unavailable");
});

t.test("a manifest whose bytes are not the digest asked for, or not the registry's own Docker-Content-Digest, is refused naming both", async (t) => {
  const other = image(Buffer.from("other layer"));
  const lying = sha256(Buffer.from("lie"));
  const { ref, img, client } = await fakeRegistry(t, "none", [
    (request, response) => {
      if (request.url === "/v2/nfs/counter/manifests/swapped") response.writeHead(200, { "content-type": MEDIA_TYPES.ociManifest }).end(other.manifestBytes);
      else if (request.url === "/v2/nfs/counter/manifests/lying") response.writeHead(200, { "docker-content-digest": lying }).end(img.manifestBytes);
      else if (request.url === `/v2/nfs/counter/manifests/${img.digest}`) response.writeHead(200).end(other.manifestBytes);
      else if (request.url === "/v2/nfs/counter/manifests/untyped")
        response.writeHead(200, { "content-type": "application/octet-stream" }).end(img.manifestBytes);
      else return false;
      return true;
    },
  ]);
  const registry = client();
  t.equal(
    (await failure(registry.getManifest(ref, img.digest))).message,
    `image ${ref.registry}/nfs/counter@${img.digest}: the registry served a manifest whose digest is ${other.digest}, not ${img.digest}: refused`,
  );
  t.equal(
    (await failure(registry.getManifest(ref, "lying"))).message,
    `image ${ref.registry}/nfs/counter:lying: the registry says its digest is ${lying}, its bytes hash to ${img.digest}: refused`,
  );
  const swapped = await registry.getManifest(ref, "swapped");
  t.equal(swapped.digest, other.digest, "a tag's manifest is whatever the registry serves, named by its own digest");
  t.equal(swapped.mediaType, MEDIA_TYPES.ociManifest);
  t.equal((await registry.getManifest(ref, "untyped")).mediaType, MEDIA_TYPES.ociManifest, "without a Content-Type, the manifest's own mediaType");
});

t.test("a manifest over 4 MiB is refused without reading it all", async (t) => {
  const { ref, client } = await fakeRegistry(t, "none", [
    (request, response) => {
      if (request.url !== "/v2/nfs/counter/manifests/huge") return false;
      response.writeHead(200, { "content-length": String(MAX_MANIFEST_BYTES + 1) });
      response.end(Buffer.alloc(MAX_MANIFEST_BYTES + 1));
      return true;
    },
  ]);
  t.equal(
    (await failure(client().getManifest(ref, "huge"))).message,
    `image ${ref.registry}/nfs/counter:huge: the response is larger than 4 MiB, the most nfctl reads of it`,
  );
});

t.test("blobs: a wrong digest, a wrong size and a size over the limit are refused; sha256 only", async (t) => {
  const wrong = Buffer.from("WRONG bytes");
  const { server, ref, img, client } = await fakeRegistry(t, "none", [
    (request, response) => {
      if (request.url === `/v2/nfs/counter/blobs/${img.manifest.layers[0]!.digest}`) response.end(wrong);
      else return false;
      return true;
    },
  ]);
  const registry = client();
  const layer = img.manifest.layers[0]!;
  t.equal(
    (await failure(registry.getBlob(ref, layer, 1024))).message,
    `image ${ref.registry}/nfs/counter blob ${layer.digest}: the registry served bytes whose digest is ${sha256(wrong)}, not ${layer.digest}: refused`,
  );
  t.equal(
    (await failure(registry.getBlob(ref, { ...img.manifest.config, size: img.config.length + 5 }, 1024))).message,
    `image ${ref.registry}/nfs/counter blob ${img.manifest.config.digest}: the registry served ${img.config.length} bytes, its descriptor says ${img.config.length + 5}: refused`,
  );
  t.equal(
    (await failure(registry.getBlob(ref, { ...img.manifest.config, size: 5 }, 1024))).message,
    `image ${ref.registry}/nfs/counter blob ${img.manifest.config.digest}: the registry served more than the 5 bytes its descriptor says: refused`,
    "never more than the descriptor says is read",
  );
  const before = server.requests.length;
  t.equal(
    (await failure(registry.getBlob(ref, { ...layer, size: 2048 }, 1024))).message,
    `image ${ref.registry}/nfs/counter blob ${layer.digest}: it is 2048 bytes, more than 1 KiB, the most nfctl reads of it`,
  );
  t.equal(server.requests.length, before, "refused before any request");
  t.equal(
    (await failure(registry.getBlob(ref, { ...layer, digest: `sha512:${"a".repeat(128)}` }, 1024))).message,
    `image ${ref.registry}/nfs/counter: the digest "sha512:${"a".repeat(128)}" is not sha256:<64 hex digits> (nfctl verifies sha256 only, not sha512)`,
  );
  t.match((await failure(registry.getManifest(ref, "../../v2"))).message, /the digest "..\/..\/v2" is not sha256/);
});

t.test("Basic auth: the credentials when challenged; wrong or none is a denial naming --registry-config", async (t) => {
  const { ref, img, client, withPassword, server } = await fakeRegistry(t, "basic");
  t.same((await client(withPassword()).getManifest(ref, "v1")).bytes, img.manifestBytes);
  t.equal(
    (await failure(client(withPassword("wrong-password")).getManifest(ref, "v1"))).message,
    `image ${server.host}/nfs/counter:v1: registry ${server.host} denied pull access with the credentials for ${server.host} (UNAUTHORIZED: authentication required): check --registry-config`,
  );
  t.equal(
    (await failure(client().getManifest(ref, "v1"))).message,
    `image ${server.host}/nfs/counter:v1: registry ${server.host} denied pull access anonymously (UNAUTHORIZED: authentication required): check --registry-config`,
  );
});

t.test("Bearer auth: a token from the realm for the repository's scope, with the Basic credentials; token or access_token", async (t) => {
  const { ref, img, client, withPassword, tokenRequests, tokenServer, server } = await fakeRegistry(t, "bearer");
  const registry = client(withPassword());
  t.same((await registry.getManifest(ref, "v1")).bytes, img.manifestBytes);
  t.same(await registry.getBlob(ref, img.manifest.config, 1024), img.config);
  t.same(
    tokenRequests.map((url) => [url.pathname, url.searchParams.get("service"), url.searchParams.get("scope")]),
    [["/token", "fake", "repository:nfs/counter:pull"]],
    "one token for the repository, kept",
  );
  t.equal(
    (await failure(client(withPassword("wrong-password")).getManifest(ref, "v1"))).message,
    `the token server of registry ${server.host} (${tokenServer.origin}): it refused the credentials for ${server.host}: check --registry-config`,
  );
  t.equal(
    (await failure(client().getManifest(ref, "v1"))).message,
    `the token server of registry ${server.host} (${tokenServer.origin}): it refused an anonymous token: check --registry-config`,
  );
});

t.test("Bearer: OAuth's access_token; an expired token is renewed once from the resource's challenge", async (t) => {
  let served = 0;
  const { ref, img, client, withPassword, tokenRequests, tokenServer } = await fakeRegistry(t, "bearer", [
    (request, response) => {
      // The token server answers access_token for the service "oauth"; the second manifest request finds the token expired.
      if (request.url !== "/v2/nfs/counter/manifests/v1" || ++served !== 2) return false;
      response.writeHead(401, { "www-authenticate": `Bearer realm="${tokenServer.origin}/token",service="oauth",scope="repository:nfs/counter:pull"` }).end();
      return true;
    },
  ]);
  const registry = client(withPassword());
  await registry.getManifest(ref, "v1");
  t.same((await registry.getManifest(ref, "v1")).bytes, img.manifestBytes);
  t.same(
    tokenRequests.map((url) => url.searchParams.get("service")),
    ["fake", "oauth"],
  );
});

t.test("a blob redirected to another origin (a storage service) gets no Authorization there", async (t) => {
  const img = image();
  const storage = await localServer(t, (request, response) => {
    if (request.url?.startsWith("/stored/layer?")) response.end(img.layer);
    else response.writeHead(404).end();
  });
  const redirect: Route = (request, response) => {
    if (!request.url?.startsWith("/v2/nfs/counter/blobs/")) return false;
    response.writeHead(307, { location: `${storage.origin}/stored/layer?X-Signature=signed` }).end();
    return true;
  };
  const { server, ref, withPassword } = await fakeRegistry(t, "basic", [redirect], img);
  const registry = registryClient({ ...withPassword(), ca: server.ca + storage.ca });
  t.same(await registry.getBlob(ref, img.manifest.layers[0]!, 1024), img.layer);
  t.ok(
    server.requests.some((r) => r.url.includes("/blobs/") && r.headers.authorization !== undefined),
    "the registry got the credentials",
  );
  t.same(
    storage.requests.map((r) => [r.url, r.headers.authorization]),
    [["/stored/layer?X-Signature=signed", undefined]],
    "the storage origin did not",
  );
});

t.test("a silent registry ends at the deadline; plain http only for the insecure registries", async (t) => {
  const silent = await localServer(t, () => undefined);
  const ref = parseImageReference(`${silent.host}/nfs/counter:v1`);
  t.equal(
    (await failure(registryClient({ ca: silent.ca, timeoutMs: 300 }).getManifest(ref, "v1"))).message,
    `registry ${silent.host}: no complete answer within 0.3 s`,
  );
  const img = image();
  const plain = await localServer(
    t,
    (request, response) => {
      if (request.url === "/v2/") response.end("{}");
      else if (request.url === "/v2/nfs/counter/manifests/v1") response.writeHead(200, { "content-type": MEDIA_TYPES.ociManifest }).end(img.manifestBytes);
      else response.writeHead(404).end();
    },
    { tls: false },
  );
  const plainRef = parseImageReference(`${plain.host}/nfs/counter:v1`);
  t.same((await registryClient({ insecureRegistries: [plain.host] }).getManifest(plainRef, "v1")).bytes, img.manifestBytes);
  const refused = await failure(registryClient({}).getManifest(plainRef, "v1"));
  t.equal(refused.message, `registry ${plain.host}: TLS failed: wrong version number`, "https was tried, and failed");
  t.equal(plain.requests.filter((r) => r.url === "/v2/").length, 1, "only the insecure client's request was answered over http");
});

t.test("a registry that echoes the credentials in its errors has them hidden", async (t) => {
  const { ref, client, withPassword } = await fakeRegistry(t, "basic", [
    (request, response) => {
      if (request.url !== "/v2/nfs/counter/manifests/echo") return false;
      const sent = request.headers.authorization ?? "";
      const decoded = Buffer.from(sent.replace(/^Basic /, ""), "base64").toString();
      response.writeHead(404, { "content-type": "application/json" });
      response.end(JSON.stringify({ errors: [{ code: "MANIFEST_UNKNOWN", message: `you sent ${sent} (${decoded})` }] }));
      return true;
    },
  ]);
  const echoed = await failure(client(withPassword()).getManifest(ref, "echo"));
  t.equal(echoed.message, `image ${ref.registry}/nfs/counter:echo: not found at the registry (MANIFEST_UNKNOWN: you sent Basic *** (ci:***))`);
});

t.test("a real registry (docker-registry, TLS, htpasswd): push, read back by nfctl and skopeo; read what skopeo pushed", async (t) => {
  const registry = await startRegistry(t);
  const credentials = () => ({ username: registry.username, password: registry.password });
  const client = registryClient({ ca: registry.ca, credentials });
  const img = image(gzipSync(Buffer.from("not really a tar")));
  const ref = parseImageReference(`${registry.host}/nfs/pushed:v1`);

  t.equal(await client.hasBlob(ref, img.manifest.config.digest), false);
  t.same(await client.pushBlob(ref, img.config), { digest: img.manifest.config.digest, size: img.config.length });
  t.same(await client.pushBlob(ref, img.layer), { digest: img.manifest.layers[0]!.digest, size: img.layer.length });
  t.same(await client.pushBlob(ref, img.layer), { digest: img.manifest.layers[0]!.digest, size: img.layer.length }, "a blob it has is not sent again");
  t.equal(await client.hasBlob(ref, img.manifest.config.digest), true);
  t.equal(await client.pushManifest(ref, "v1", MEDIA_TYPES.ociManifest, img.manifestBytes), img.digest);
  t.same(await client.getManifest(ref, "v1"), { digest: img.digest, mediaType: MEDIA_TYPES.ociManifest, bytes: img.manifestBytes });
  t.same((await client.getManifest(ref, img.digest)).bytes, img.manifestBytes);
  t.same(await client.getBlob(ref, img.manifest.layers[0]!, 1024), img.layer);

  // skopeo reads what nfctl pushed.
  const copied = join(tempDir(t), "copied");
  skopeoCopy(`docker://${registry.host}/nfs/pushed:v1`, `oci:${copied}:v1`, registry);
  t.ok(existsSync(join(copied, "blobs", "sha256", img.manifest.layers[0]!.digest.slice("sha256:".length))), "skopeo fetched the layer");
  t.ok(existsSync(join(copied, "blobs", "sha256", img.digest.slice("sha256:".length))), "and the manifest, unchanged");

  const denied = await failure(
    registryClient({ ca: registry.ca, credentials: () => ({ username: registry.username, password: "wrong" }) }).getManifest(ref, "v1"),
  );
  t.equal(
    denied.message,
    `image ${registry.host}/nfs/pushed:v1: registry ${registry.host} denied pull access with the credentials for ${registry.host} (UNAUTHORIZED: authentication required): check --registry-config`,
  );
  t.match((await failure(registryClient({ ca: registry.ca }).pushBlob(ref, Buffer.from("x")))).message, /denied push access anonymously/);
  t.match((await failure(registryClient({}).getManifest(ref, "v1"))).message, /--ca-file/, "its certificate is not trusted without the CA");

  // nfctl reads what skopeo pushed: an OCI layout made by hand, one tar+gzip layer holding nf.o.
  const layout = await ociLayout(tempDir(t), Buffer.from("\x7fELF object in a layer"));
  skopeoCopy(`oci:${layout.dir}:v1`, `docker://${registry.host}/nfs/skopeo:v1`, registry);
  const skopeoRef = parseImageReference(`${registry.host}/nfs/skopeo:v1`);
  const fetched = await client.getManifest(skopeoRef, "v1");
  const manifest = JSON.parse(fetched.bytes.toString()) as Manifest;
  t.equal(fetched.mediaType, MEDIA_TYPES.ociManifest);
  t.same(JSON.parse((await client.getBlob(skopeoRef, manifest.config, 1024 * 1024)).toString()), JSON.parse(layout.config.toString()));
  const layer = await client.getBlob(skopeoRef, manifest.layers[0]!, 1024 * 1024);
  t.same(await tarMember(gunzipSync(layer), "nf.o"), layout.object, "the object, out of skopeo's layer");
});

t.test("no message of this file holds a password or a token", async (t) => {
  t.ok(messages.length >= 20, `${messages.length} failure messages`);
  const secrets = [
    PASSWORD,
    TOKEN,
    "registry-s3cret-PASS",
    Buffer.from(`ci:${PASSWORD}`).toString("base64"),
    Buffer.from(`ci:wrong-password`).toString("base64"),
  ];
  for (const message of messages) {
    t.notOk(
      secrets.some((secret) => message.includes(secret)),
      message,
    );
  }
});

/** An OCI image layout in `dir`, tagged v1: a config, a tar+gzip layer holding nf.o, the manifest, index.json, oci-layout. */
async function ociLayout(dir: string, object: Buffer) {
  const pack = tar.pack();
  pack.entry({ name: "nf.o", mode: 0o644, mtime: new Date(0) }, object);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  const layer = gzipSync(Buffer.concat(chunks));
  const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [sha256(Buffer.concat(chunks))] } }));
  const manifestBytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociManifest,
      config: descriptor(MEDIA_TYPES.ociConfig, config),
      layers: [descriptor(MEDIA_TYPES.ociLayerTarGzip, layer)],
    }),
  );
  mkdirSync(join(dir, "blobs", "sha256"), { recursive: true });
  for (const bytes of [layer, config, manifestBytes]) writeFileSync(join(dir, "blobs", "sha256", sha256(bytes).slice("sha256:".length)), bytes);
  writeFileSync(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  const index = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociIndex,
    manifests: [{ ...descriptor(MEDIA_TYPES.ociManifest, manifestBytes), annotations: { "org.opencontainers.image.ref.name": "v1" } }],
  };
  writeFileSync(join(dir, "index.json"), JSON.stringify(index));
  return { dir, config, object };
}

/** The bytes of `name` in the tar `archive`. */
async function tarMember(archive: Buffer, name: string): Promise<Buffer | undefined> {
  const extract = tar.extract();
  let found: Buffer | undefined;
  const done = new Promise<void>((resolve, reject) => {
    extract.on("entry", (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: unknown) => chunks.push(chunk as Buffer));
      stream.on("end", () => {
        if (header.name === name) found = Buffer.concat(chunks);
        next();
      });
    });
    extract.on("finish", resolve);
    extract.on("error", reject);
  });
  extract.end(archive);
  await done;
  return found;
}
