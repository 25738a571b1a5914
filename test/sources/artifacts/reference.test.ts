/**
 * Image references: docker's grammar, with the registry host required (no
 * implicit Docker Hub), sha256 digests only, and no credentials echoed.
 */
import t from "tap";
import { formatImageReference, parseImageReference } from "../../../src/sources/artifacts/reference.js";
import { thrownBy } from "../helpers/artifact-errors.js";

const HEX = "3f1c".repeat(16);

const refusal = (text: string) => thrownBy(() => parseImageReference(text));

t.test("references by tag, by digest and by both; the tag latest when neither is written", async (t) => {
  t.same(parseImageReference("127.0.0.1:5000/nfs/counter:v1"), { registry: "127.0.0.1:5000", repository: "nfs/counter", tag: "v1" });
  t.same(parseImageReference(`registry.example/nfs/counter@sha256:${HEX}`), {
    registry: "registry.example",
    repository: "nfs/counter",
    digest: `sha256:${HEX}`,
  });
  t.same(parseImageReference(`localhost/a/b/c:1.2_rc-3@sha256:${HEX}`), {
    registry: "localhost",
    repository: "a/b/c",
    tag: "1.2_rc-3",
    digest: `sha256:${HEX}`,
  });
  t.same(parseImageReference("ghcr.io/bpfman/xdp_pass"), { registry: "ghcr.io", repository: "bpfman/xdp_pass", tag: "latest" });
  t.same(parseImageReference("[::1]:5000/my-org/nf__x.y:tag"), { registry: "[::1]:5000", repository: "my-org/nf__x.y", tag: "tag" });
});

t.test("formatImageReference writes back what parseImageReference read", async (t) => {
  for (const text of ["127.0.0.1:5000/nfs/counter:v1", `registry.example/nfs/counter@sha256:${HEX}`, `localhost/a/b:1@sha256:${HEX}`]) {
    t.equal(formatImageReference(parseImageReference(text)), text);
  }
});

t.test("a reference without a registry host is refused, naming the rule", async (t) => {
  const rule =
    "nfctl needs the registry host first (a name with a '.' or a ':', or localhost), as in registry.example/nfs/counter:v1; it does not assume Docker Hub";
  t.equal(refusal("nginx").message, `"nginx" is not an image reference: ${rule}`);
  t.equal(refusal("library/nginx:1.25").message, `"library/nginx:1.25" is not an image reference: ${rule}`);
  t.equal(refusal("nginx").code, "image-unavailable");
});

t.test("digests other than sha256, and malformed ones, are refused naming them", async (t) => {
  t.equal(
    refusal(`reg.example/nf@sha512:${HEX}${HEX}`).message,
    `"reg.example/nf@sha512:${HEX}${HEX}" is not an image reference: the digest "sha512:${HEX}${HEX}" is not sha256:<64 hex digits> (nfctl verifies sha256 only, not sha512)`,
  );
  t.equal(
    refusal(`reg.example/nf@sha256:${HEX.toUpperCase()}`).message,
    `"reg.example/nf@sha256:${HEX.toUpperCase()}" is not an image reference: the digest "sha256:${HEX.toUpperCase()}" is not sha256:<64 lowercase hex digits>`,
  );
  t.match(refusal("reg.example/nf@sha256:abc").message, /the digest "sha256:abc" is not sha256:<64 lowercase hex digits>$/);
});

t.test("bad repositories, tags and hosts are refused saying which part", async (t) => {
  t.match(refusal("reg.example/NFs/counter:v1").message, /the repository path component "NFs" is not lowercase letters and digits/);
  t.match(refusal("reg.example/nfs//counter").message, /the repository path component "" is not/);
  t.match(refusal("reg.example/nfs/../counter").message, /the repository path component "\.\." is not/);
  t.match(refusal("reg.example/nfs/counter:.v1").message, /the tag "\.v1" is not a tag/);
  t.match(refusal(`reg.example/nfs/counter:${"x".repeat(129)}`).message, /is not a tag/);
  t.match(refusal("reg.example/").message, /it names no repository after the registry host$/);
  t.match(refusal("reg_x.example:5000/nf:v1").message, /"reg_x.example:5000" is not a registry host\[:port\]$/);
  t.match(refusal(`reg.example/${"a".repeat(256)}:v1`).message, /the repository name is longer than 255 characters$/);
});

t.test("credentials written into a reference are refused and never echoed", async (t) => {
  const err = refusal("ci:hunter2-token@reg.example/nfs/counter:v1");
  t.equal(
    err.message,
    "an image reference has an '@' before its repository path; a reference holds no credentials (give them in the file --registry-config names)",
  );
  t.notMatch(refusal("ci:hunter2-token@reg.example").message, /hunter2/);
});
