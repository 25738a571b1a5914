/**
 * Cosign signatures with keys openssl made for the test and payloads
 * openssl signed: a signature by the key over the image's digest passes;
 * none, one by another key, one over another digest, an altered payload
 * and a malformed signature are each refused, saying which.
 */
import t from "tap";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { ArtifactError } from "../../../src/sources/artifacts/errors.js";
import { SIGNATURE_ANNOTATION, signatureTag, verifySignature, type SignatureCheck } from "../../../src/sources/artifacts/cosign.js";
import { MEDIA_TYPES, type BlobReader } from "../../../src/sources/artifacts/types.js";
import { tempDir } from "../helpers/temp.js";
import { digestOf, makeKeyPair, signImage, signPayload, signedManifest, type KeyPair, type SignedImage } from "./helpers/cosign.js";

const REF = "127.0.0.1:5000/nfs/counter:v1";
const IMAGE = digestOf(Buffer.from("the image's manifest"));
const OTHER = digestOf(Buffer.from("another image's manifest"));
const KEY_NAME = "keys/nf.pub";

function check(key: KeyPair, imageDigest = IMAGE): SignatureCheck {
  return { imageRef: REF, imageDigest, keyPem: key.publicKeyPem, keyName: KEY_NAME };
}

/** The registry's side: the signature manifest's blobs, by digest. */
function served(signed: SignedImage) {
  const readBlob: BlobReader = async (descriptor) => {
    const blob = signed.blobs.get(descriptor.digest);
    if (blob === undefined) throw new Error(`no blob ${descriptor.digest}`);
    return blob;
  };
  return { manifest: signed.manifest, readBlob };
}

/** What `promise` rejected with, for exact comparison (t.rejects matches messages as substrings). */
async function refusal(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err instanceof ArtifactError ? { code: err.code, message: err.message } : err;
  }
  return "resolved";
}

const refused = (why: string) => ({ code: "image-signature", message: `image ${REF} (${IMAGE}) ${why}` });
const ANOTHER_KEY = refused(`is signed by another key than ${KEY_NAME}, or its signed payload was altered`);

t.test("cosign: the tag of an image's signature", async (t) => {
  t.equal(signatureTag(`sha256:${"0a".repeat(32)}`), `sha256-${"0a".repeat(32)}.sig`);
});

t.test("cosign: a signature by the key over the image's digest passes; none, or by another key, is refused", async (t) => {
  const dir = tempDir(t);
  const signer = makeKeyPair(dir, "signer");
  const other = makeKeyPair(dir, "other");
  t.equal(await refusal(verifySignature(check(signer), served(signImage(REF, IMAGE, signer.privateKeyPem)))), "resolved", "signed");
  t.equal(
    await refusal(verifySignature({ ...check(signer), imageRef: `127.0.0.1:5000/nfs/counter@${IMAGE}` }, served(signImage(REF, IMAGE, signer.privateKeyPem)))),
    "resolved",
    "by digest",
  );
  t.same(
    await refusal(verifySignature(check(signer), undefined)),
    refused(`is not signed: its repository has no cosign signature (tag ${signatureTag(IMAGE)}), and the key ${KEY_NAME} requires one`),
  );
  t.same(await refusal(verifySignature(check(signer), served(signImage(REF, IMAGE, other.privateKeyPem)))), ANOTHER_KEY, "another key");
  t.same(
    await refusal(verifySignature({ ...check(signer), imageRef: `127.0.0.1:5000/nfs/counter@${IMAGE}` }, undefined)),
    {
      code: "image-signature",
      message: `image 127.0.0.1:5000/nfs/counter@${IMAGE} is not signed: its repository has no cosign signature (tag ${signatureTag(IMAGE)}), and the key ${KEY_NAME} requires one`,
    },
    "a reference by digest is named once",
  );
});

t.test("cosign: a signature by the key over another image's digest is refused", async (t) => {
  const signer = makeKeyPair(tempDir(t));
  t.same(
    await refusal(verifySignature(check(signer), served(signImage(REF, OTHER, signer.privateKeyPem)))),
    refused(`carries a signature by the key ${KEY_NAME} over another image, ${OTHER}, not over ${IMAGE}`),
  );
});

t.test("cosign: a payload altered after signing is refused, even one altered to name this image", async (t) => {
  const signer = makeKeyPair(tempDir(t));
  // The signature of another image, its payload edited to name this one: what a registry could forge.
  const forged = signImage(REF, OTHER, signer.privateKeyPem);
  const edited = Buffer.from(forged.payload.toString("utf8").replace(OTHER, IMAGE));
  const signature = forged.manifest.layers[0]!.annotations![SIGNATURE_ANNOTATION]!;
  t.same(await refusal(verifySignature(check(signer), served(signedManifest(edited, signature)))), ANOTHER_KEY);
  const extra = Buffer.from(forged.payload.toString("utf8").replace('"optional":null', '"optional":{"by":"someone"}'));
  t.same(await refusal(verifySignature(check(signer, OTHER), served(signedManifest(extra, signature)))), {
    code: "image-signature",
    message: `image ${REF} (${OTHER}) is signed by another key than ${KEY_NAME}, or its signed payload was altered`,
  });
});

t.test("cosign: any one layer by the key over the digest passes", async (t) => {
  const dir = tempDir(t);
  const signer = makeKeyPair(dir, "signer");
  const other = makeKeyPair(dir, "other");
  const first = signImage(REF, IMAGE, other.privateKeyPem);
  const second = signImage(REF, IMAGE, signer.privateKeyPem);
  const both: SignedImage = {
    ...second,
    manifest: { ...second.manifest, layers: [first.manifest.layers[0]!, second.manifest.layers[0]!] },
    blobs: new Map([...first.blobs, ...second.blobs]),
  };
  t.equal(await refusal(verifySignature(check(signer), served(both))), "resolved", "the second layer is by the key");
  t.same(await refusal(verifySignature(check(makeKeyPair(dir, "third")), served(both))), ANOTHER_KEY, "neither is by a third key");
});

t.test("cosign: a malformed signature is refused, saying what is wrong", async (t) => {
  const signer = makeKeyPair(tempDir(t));
  const good = signImage(REF, IMAGE, signer.privateKeyPem);
  const layer = good.manifest.layers[0]!;
  const malformed = (why: string) => refused(`has a malformed cosign signature: ${why}`);

  const notBase64 = good.manifest.layers[0]!.annotations![SIGNATURE_ANNOTATION]!.replace(/.$/, "!");
  t.same(
    await refusal(verifySignature(check(signer), served(signedManifest(good.payload, notBase64)))),
    malformed(`the ${SIGNATURE_ANNOTATION} annotation of the payload ${layer.digest} is not base64`),
    "base64 with a character that is not",
  );
  t.same(
    await refusal(verifySignature(check(signer), served(signedManifest(good.payload, "")))),
    malformed(`the ${SIGNATURE_ANNOTATION} annotation of the payload ${layer.digest} is not base64`),
    "an empty signature",
  );
  t.same(
    await refusal(verifySignature(check(signer), served(signedManifest(good.payload, Buffer.from("not a DER signature"))))),
    ANOTHER_KEY,
    "base64 of what is not a signature verifies nothing",
  );
  t.same(
    await refusal(verifySignature(check(signer), { ...served(good), manifest: { ...good.manifest, layers: [{ ...layer, annotations: {} }] } })),
    malformed(`the payload ${layer.digest} has no ${SIGNATURE_ANNOTATION} annotation`),
  );
  t.same(
    await refusal(
      verifySignature(check(signer), { ...served(good), manifest: { ...good.manifest, layers: [{ ...layer, mediaType: MEDIA_TYPES.ociLayerTarGzip }] } }),
    ),
    malformed(`its ${signatureTag(IMAGE)} manifest has no layer of type ${MEDIA_TYPES.cosignSimpleSigning}`),
  );
  t.same(
    await refusal(verifySignature(check(signer), { ...served(good), manifest: { ...good.manifest, layers: [{ ...layer, size: 64 * 1024 + 1 }] } })),
    malformed(`the payload ${layer.digest} is ${64 * 1024 + 1} bytes, over the ${64 * 1024} a signature payload may have`),
  );
  const notJson = Buffer.from("signed, but not JSON");
  t.same(
    await refusal(verifySignature(check(signer), served(signedManifest(notJson, signPayload(notJson, signer.privateKeyPem))))),
    malformed(`the payload ${digestOf(notJson)} is not JSON naming critical.image.docker-manifest-digest`),
  );
});

t.test("cosign: RSA and Ed25519 keys verify as ECDSA ones do", async (t) => {
  const dir = tempDir(t);
  const ecdsa = makeKeyPair(dir, "ecdsa");
  for (const kind of ["rsa", "ed25519"] as const) {
    const key = makeKeyPair(dir, kind, kind);
    t.equal(await refusal(verifySignature(check(key), served(signImage(REF, IMAGE, key.privateKeyPem)))), "resolved", kind);
    t.same(await refusal(verifySignature(check(key), served(signImage(REF, IMAGE, ecdsa.privateKeyPem)))), ANOTHER_KEY, `${kind} key, ECDSA signature`);
    t.same(await refusal(verifySignature(check(ecdsa), served(signImage(REF, IMAGE, key.privateKeyPem)))), ANOTHER_KEY, `ECDSA key, ${kind} signature`);
    t.same(
      await refusal(verifySignature(check(key), served(signImage(REF, OTHER, key.privateKeyPem)))),
      refused(`carries a signature by the key ${KEY_NAME} over another image, ${OTHER}, not over ${IMAGE}`),
      `${kind}: over another digest`,
    );
  }
});

t.test("cosign: a key that is not a public key of a kind cosign signs with is refused", async (t) => {
  const dir = tempDir(t);
  const signer = makeKeyPair(dir);
  const signed = served(signImage(REF, IMAGE, signer.privateKeyPem));
  const verify = (keyPem: string) => refusal(verifySignature({ ...check(signer), keyPem }, signed));
  t.same(await verify(signer.privateKeyPem), {
    code: "image-signature",
    message: `the key ${KEY_NAME} is not a PEM public key (-----BEGIN PUBLIC KEY-----), as cosign generate-key-pair writes cosign.pub`,
  });
  t.match(await verify("-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----\n"), {
    code: "image-signature",
    message: new RegExp(`^the key ${KEY_NAME} is not a PEM public key: `),
  });
  execFileSync("openssl", ["genpkey", "-algorithm", "X25519", "-out", join(dir, "x25519.key")]);
  const x25519 = execFileSync("openssl", ["pkey", "-in", join(dir, "x25519.key"), "-pubout"], { encoding: "utf8" });
  t.same(await verify(x25519), { code: "image-signature", message: `the key ${KEY_NAME} is of type x25519; cosign's keys are ECDSA, RSA or Ed25519` });
});
