/**
 * Pushing a layout's image (src/sources/artifacts/push-image.ts): only the
 * blobs the repository lacks, then the manifest under the tag with its own
 * media type; a reference by another digest is refused before anything is sent.
 */
import t from "tap";
import { pushImage } from "../../../src/sources/artifacts/push-image.js";
import type { RegistryClient } from "../../../src/sources/artifacts/registry.js";
import { MEDIA_TYPES } from "../../../src/sources/artifacts/types.js";
import { sha256 } from "./helpers/fake-deps.js";

const CONFIG = Buffer.from('{"architecture":"amd64","os":"linux"}');
const LAYER = Buffer.from("a layer");
const MANIFEST = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, config: {}, layers: [] }));
const IMAGE = {
  manifest: MANIFEST,
  manifestDigest: sha256(MANIFEST),
  blobs: new Map([
    [sha256(CONFIG), CONFIG],
    [sha256(LAYER), LAYER],
  ]),
};
const REF = { registry: "localhost:5000", repository: "nfs/counter", tag: "v1" };

/** A registry that already holds `present`, recording what it is sent. */
function recording(present: Set<string>): { client: RegistryClient; sent: string[] } {
  const sent: string[] = [];
  const client: RegistryClient = {
    getManifest: () => Promise.reject(new Error("not used")),
    getBlob: () => Promise.reject(new Error("not used")),
    hasBlob: async (_ref, digest) => present.has(digest),
    pushBlob: async (_ref, bytes) => {
      sent.push(`blob ${sha256(bytes)}`);
      return { digest: sha256(bytes), size: bytes.length };
    },
    pushManifest: async (ref, reference, mediaType, bytes) => {
      sent.push(`manifest ${ref.repository} ${reference} ${mediaType}`);
      return sha256(bytes);
    },
  };
  return { client, sent };
}

t.test("the blobs the repository lacks, then the manifest under the tag; the registry's digest returned", async (t) => {
  const { client, sent } = recording(new Set([sha256(CONFIG)]));
  t.equal(await pushImage(client, REF, IMAGE), sha256(MANIFEST));
  t.same(sent, [`blob ${sha256(LAYER)}`, `manifest nfs/counter v1 ${MEDIA_TYPES.ociManifest}`]);
});

t.test("by digest: under its digest, which must be the image's", async (t) => {
  const { client, sent } = recording(new Set());
  t.equal(await pushImage(client, { registry: "localhost:5000", repository: "nfs/counter", digest: sha256(MANIFEST) }, IMAGE), sha256(MANIFEST));
  t.equal(sent.at(-1), `manifest nfs/counter ${sha256(MANIFEST)} ${MEDIA_TYPES.ociManifest}`);
  const other = recording(new Set());
  const wrong = `sha256:${"0".repeat(64)}`;
  await t.rejects(pushImage(other.client, { ...REF, digest: wrong }, IMAGE), {
    message: `the reference names ${wrong}, but the image's manifest is ${sha256(MANIFEST)}`,
  });
  t.same(other.sent, [], "nothing sent");
});
