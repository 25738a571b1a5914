/**
 * Key-based cosign signatures, verified as Inspektor Gadget verifies them
 * (pkg/signature/cosign): the signature of image `sha256:<hex>` is the
 * manifest tagged `sha256-<hex>.sig` in the image's repository. Each of its
 * layers of type application/vnd.dev.cosign.simplesigning.v1+json is a
 * payload blob,
 *
 *     {"critical": {"identity": {"docker-reference": "reg.example/nfs/counter"},
 *                   "image": {"docker-manifest-digest": "sha256:<hex>"},
 *                   "type": "cosign container image signature"},
 *      "optional": null}
 *
 * with the annotation dev.cosignproject.cosign/signature: base64 of the
 * key's signature over the payload's bytes (ECDSA: ASN.1 DER over their
 * SHA-256). A layer passes when its signature verifies with the key and,
 * read only then, its payload names the image's digest: a signature made
 * for another image, copied under this one's tag, is refused.
 */
import { createPublicKey, verify, type KeyObject } from "node:crypto";
import { ArtifactError } from "./errors.js";
import { MEDIA_TYPES, type BlobReader, type Descriptor, type Manifest } from "./types.js";

/** The layer annotation that holds a payload's signature, base64. */
export const SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature";

/** A payload is a few hundred bytes (more with `cosign sign -a`); one larger than this is not read. */
export const SIGNATURE_PAYLOAD_LIMIT = 64 * 1024;

/**
 * The tag cosign gives the signature of an image.
 *
 * @example
 *     signatureTag("sha256:3f1c…") // "sha256-3f1c….sig"
 */
export function signatureTag(imageDigest: string): string {
  return `${imageDigest.replace(":", "-")}.sig`;
}

export interface SignatureCheck {
  /** The image as the config names it (a tag or a digest reference). */
  imageRef: string;
  /** Its manifest's digest, "sha256:<hex>". */
  imageDigest: string;
  /** The PEM public key ("-----BEGIN PUBLIC KEY-----": ECDSA as cosign makes, RSA or Ed25519). */
  keyPem: string;
  /** The key as messages name it: its file. */
  keyName: string;
}

/** What one layer of the signature manifest says, worst to best. */
type LayerVerdict = { kind: "malformed"; why: string } | { kind: "other-key" } | { kind: "other-digest"; digest: string } | { kind: "good" };

/**
 * Resolves when the signature manifest (undefined: the registry has no
 * `signatureTag` manifest) holds a payload signed by the key and naming
 * the image's digest. Otherwise throws ArtifactError "image-signature",
 * one line, saying which: not signed, signed by another key (or a payload
 * altered since), signed over another digest, or malformed. Errors of
 * `readBlob` (the registry) pass through as they are.
 *
 * @example
 *     await verifySignature({ imageRef: "reg.example/nfs/counter:v1", imageDigest, keyPem, keyName: "keys/nf.pub" }, { manifest, readBlob });
 *     // throws: image reg.example/nfs/counter:v1 (sha256:…) is signed by another key than keys/nf.pub, or its signed payload was altered
 */
export async function verifySignature(check: SignatureCheck, signature: { manifest: Manifest; readBlob: BlobReader } | undefined): Promise<void> {
  const key = publicKeyOf(check);
  const image = describeImage(check);
  const refuse = (why: string): never => {
    throw new ArtifactError("image-signature", `image ${image} ${why}`);
  };
  if (signature === undefined)
    return refuse(`is not signed: its repository has no cosign signature (tag ${signatureTag(check.imageDigest)}), and the key ${check.keyName} requires one`);
  const layers = Array.isArray(signature.manifest.layers) ? signature.manifest.layers : [];
  const verdicts: LayerVerdict[] = [];
  for (const layer of layers) {
    if (layer?.mediaType !== MEDIA_TYPES.cosignSimpleSigning) continue;
    const verdict = await verifyLayer(layer, key, check.imageDigest, signature.readBlob);
    if (verdict.kind === "good") return;
    verdicts.push(verdict);
  }
  const otherDigest = verdicts.find((v) => v.kind === "other-digest");
  if (otherDigest !== undefined)
    return refuse(`carries a signature by the key ${check.keyName} over another image, ${otherDigest.digest}, not over ${check.imageDigest}`);
  if (verdicts.some((v) => v.kind === "other-key")) return refuse(`is signed by another key than ${check.keyName}, or its signed payload was altered`);
  const malformed = verdicts.find((v) => v.kind === "malformed");
  if (malformed !== undefined) return refuse(`has a malformed cosign signature: ${malformed.why}`);
  return refuse(`has a malformed cosign signature: its ${signatureTag(check.imageDigest)} manifest has no layer of type ${MEDIA_TYPES.cosignSimpleSigning}`);
}

async function verifyLayer(layer: Descriptor, key: KeyObject, imageDigest: string, readBlob: BlobReader): Promise<LayerVerdict> {
  const encoded = layer.annotations?.[SIGNATURE_ANNOTATION];
  if (typeof encoded !== "string") return { kind: "malformed", why: `the payload ${layer.digest} has no ${SIGNATURE_ANNOTATION} annotation` };
  // Buffer.from skips what is not base64; cosign (Go's StdEncoding) refuses it, and so does this.
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(encoded) || encoded === "") {
    return { kind: "malformed", why: `the ${SIGNATURE_ANNOTATION} annotation of the payload ${layer.digest} is not base64` };
  }
  if (!(layer.size <= SIGNATURE_PAYLOAD_LIMIT)) {
    return { kind: "malformed", why: `the payload ${layer.digest} is ${layer.size} bytes, over the ${SIGNATURE_PAYLOAD_LIMIT} a signature payload may have` };
  }
  const payload = await readBlob(layer);
  if (!verifies(key, payload, Buffer.from(encoded, "base64"))) return { kind: "other-key" };
  // The payload is read only once its signature holds (containers-signature(5), as Inspektor Gadget does).
  const signed = signedDigestOf(payload);
  if (signed === undefined) return { kind: "malformed", why: `the payload ${layer.digest} is not JSON naming critical.image.docker-manifest-digest` };
  return signed === imageDigest ? { kind: "good" } : { kind: "other-digest", digest: signed };
}

/** As sigstore's LoadVerifier(key, SHA256): ECDSA and RSA (PKCS #1 v1.5) over the SHA-256 of the payload, Ed25519 over the payload itself. */
function verifies(key: KeyObject, payload: Buffer, signature: Buffer): boolean {
  try {
    return verify(key.asymmetricKeyType === "ed25519" ? null : "sha256", payload, key, signature);
  } catch {
    // A signature that is not DER at all: it verifies nothing.
    return false;
  }
}

function signedDigestOf(payload: Buffer): string | undefined {
  try {
    const value = JSON.parse(payload.toString("utf8")) as { critical?: { image?: { "docker-manifest-digest"?: unknown } } } | null;
    const digest = value?.critical?.image?.["docker-manifest-digest"];
    return typeof digest === "string" ? digest : undefined;
  } catch {
    return undefined;
  }
}

/** The key of `check`, a PEM "PUBLIC KEY" (SubjectPublicKeyInfo, as cosign writes it) of a kind cosign signs with. */
function publicKeyOf(check: SignatureCheck): KeyObject {
  const refuse = (why: string): never => {
    throw new ArtifactError("image-signature", `the key ${check.keyName} ${why}`);
  };
  // A private key would be accepted by createPublicKey (it derives the public half): a key file that holds one is a mistake to say.
  if (!/^-----BEGIN PUBLIC KEY-----$/m.test(check.keyPem))
    return refuse("is not a PEM public key (-----BEGIN PUBLIC KEY-----), as cosign generate-key-pair writes cosign.pub");
  let key: KeyObject;
  try {
    key = createPublicKey({ key: check.keyPem, format: "pem" });
  } catch (err) {
    return refuse(`is not a PEM public key: ${err instanceof Error ? err.message : String(err)}`);
  }
  const kind = key.asymmetricKeyType;
  if (kind !== "ec" && kind !== "rsa" && kind !== "ed25519") return refuse(`is of type ${kind ?? "unknown"}; cosign's keys are ECDSA, RSA or Ed25519`);
  return key;
}

/** The image as messages name it: its reference, and the digest unless the reference is by that digest. */
function describeImage(check: SignatureCheck): string {
  return check.imageRef.endsWith(`@${check.imageDigest}`) ? check.imageRef : `${check.imageRef} (${check.imageDigest})`;
}
