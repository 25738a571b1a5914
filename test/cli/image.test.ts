/**
 * `nfctl image` as NF authors run it, a separate process (no kernel: the
 * object is opened, never loaded), against a real registry (Debian's
 * docker-registry with TLS and htpasswd auth, started by the test on
 * 127.0.0.1): build an image of a bundled NF, push it, inspect it, and
 * skopeo reads what nfctl pushed. Errors are one line, exit 1, and never
 * hold a credential.
 */
import t from "tap";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { arch } from "node:os";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { BUILD } from "../../scripts/nfs.js";
import { startRegistry } from "../sources/helpers/registry.js";
import { freePort } from "../sources/helpers/servers.js";
import { tempDir } from "../sources/helpers/temp.js";
import type { ImageInspection } from "../../src/sources/artifacts/inspect-image.js";

const NFCTL = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));
const COUNTER = join(BUILD, "counter.o");
/** Node's names of architectures as OCI names them. */
const OCI_ARCH: Record<string, string> = { x64: "amd64", arm64: "arm64" };

function nfctl(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [NFCTL, ...args], { encoding: "utf8", env: { PATH: process.env.PATH ?? "", HOME: "/nonexistent", NO_COLOR: "1" } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A docker-style config.json with Basic credentials for `host`. */
function authFile(dir: string, host: string, username: string, password: string): string {
  const path = join(dir, `auth-${username}-${password}.json`);
  writeFileSync(path, JSON.stringify({ auths: { [host]: { auth: Buffer.from(`${username}:${password}`).toString("base64") } } }));
  return path;
}

t.test("build, push, inspect: the round trip through a real registry, and skopeo reads what nfctl pushed", async (t) => {
  const registry = await startRegistry(t);
  const dir = tempDir(t, "nfctl-image-");
  const ref = `${registry.host}/nfs/counter:v1`;
  const layout = join(dir, "counter-image");
  const flags = ["--ca-file", registry.caFile, "--registry-config", registry.authFile];

  const built = nfctl(["image", "build", COUNTER, "-t", ref, "--output", layout]);
  t.equal(built.code, 0, built.stderr);
  const digest = /^built .* \((sha256:[0-9a-f]{64})\) in /.exec(built.stdout)?.[1];
  t.equal(built.stdout, `built ${ref} (${digest}) in ${layout}\n`);
  const index = JSON.parse(readFileSync(join(layout, "index.json"), "utf8")) as { manifests: Array<{ digest: string; annotations?: Record<string, string> }> };
  t.same(
    index.manifests.map((m) => [m.digest, m.annotations?.["org.opencontainers.image.ref.name"]]),
    [[digest, ref]],
    "the layout names the image by its reference",
  );

  const pushed = nfctl(["image", "push", layout, ref, ...flags]);
  t.same(pushed, { code: 0, stdout: `pushed ${ref}@${digest}\n`, stderr: "" });
  // Pushed again: the registry has every blob; the same digest.
  t.equal(nfctl(["image", "push", layout, ref, ...flags]).stdout, `pushed ${ref}@${digest}\n`);

  const inspected = nfctl(["image", "inspect", ref, ...flags, "--cache-dir", join(dir, "cache"), "-o", "json"]);
  t.equal(inspected.code, 0, inspected.stderr);
  const body = JSON.parse(inspected.stdout) as { formatVersion: number; kind: string; image: ImageInspection };
  t.equal(body.kind, "Image");
  t.match(body.image, {
    ref,
    digest,
    manifestDigest: digest,
    format: "bpfman",
    platform: { os: "linux", architecture: OCI_ARCH[arch()] ?? arch() },
    object: { sha256: createHash("sha256").update(readFileSync(COUNTER)).digest("hex"), size: readFileSync(COUNTER).length },
  });
  t.same(
    body.image.object.programs.map((p) => p.name),
    ["xdp_counter", "tc_counter"],
  );
  t.ok("xdp_counter" in body.image.labels.programs, "the labels name the object's programs");
  t.ok(body.image.object.maps.includes("nf_next"));
  const text = nfctl(["image", "inspect", ref, ...flags, "--cache-dir", join(dir, "cache")]);
  t.match(text.stdout, new RegExp(`^image {5}${ref.replace(/[.]/g, "\\.")}\ndigest {4}${digest}\nformat {4}bpfman\n`));

  const certs = join(dir, "certs");
  mkdirSync(certs);
  copyFileSync(registry.caFile, join(certs, "ca.crt"));
  const skopeo = spawnSync("skopeo", ["inspect", "--cert-dir", certs, "--creds", `${registry.username}:${registry.password}`, `docker://${ref}`], {
    encoding: "utf8",
  });
  t.equal(skopeo.status, 0, skopeo.stderr);
  t.equal((JSON.parse(skopeo.stdout) as { Digest: string }).Digest, digest, "skopeo sees the digest nfctl pushed");
});

t.test("errors are one line, exit 1, and hold no credential", async (t) => {
  const registry = await startRegistry(t);
  const dir = tempDir(t, "nfctl-image-errors-");
  const oneLine = (r: { code: number; stdout: string; stderr: string }, what: string) => {
    t.equal(r.code, 1, what);
    t.equal(r.stdout, "", what);
    t.match(r.stderr, /^nfctl: [^\n]+\n$/, what);
  };

  const missing = nfctl(["image", "build", "/nonexistent.o", "-t", `${registry.host}/nfs/x:v1`, "--output", join(dir, "x")]);
  t.same(missing, { code: 1, stdout: "", stderr: "nfctl: object file /nonexistent.o: no such file or directory\n" });

  mkdirSync(join(dir, "not-a-layout"));
  const layout = nfctl(["image", "push", join(dir, "not-a-layout"), `${registry.host}/nfs/x:v1`, "--ca-file", registry.caFile]);
  oneLine(layout, "a directory that is no OCI layout");
  t.match(layout.stderr, join(dir, "not-a-layout"));

  const nowhere = `127.0.0.1:${await freePort()}`;
  const unreachable = nfctl(["image", "inspect", `${nowhere}/nfs/x:v1`, "--cache-dir", join(dir, "cache")]);
  oneLine(unreachable, "a registry that is not there");
  t.match(unreachable.stderr, nowhere, "the message names the registry");

  const secret = "wr0ng-s3cret";
  const wrong = authFile(dir, registry.host, registry.username, secret);
  const refused = nfctl([
    "image",
    "inspect",
    `${registry.host}/nfs/x:v1`,
    "--ca-file",
    registry.caFile,
    "--registry-config",
    wrong,
    "--cache-dir",
    join(dir, "cache"),
  ]);
  oneLine(refused, "wrong credentials");
  t.notMatch(refused.stderr, secret);
  t.notMatch(refused.stderr, Buffer.from(`${registry.username}:${secret}`).toString("base64"));
});
