/**
 * An image index's manifest for the host's architecture: Node's names in
 * the OCI's words, linux only, and a clear error when the index lacks it.
 */
import t from "tap";
import { hostArchitecture, selectPlatform } from "../../../src/sources/artifacts/platform.js";
import { MEDIA_TYPES, type Descriptor, type ImageIndex } from "../../../src/sources/artifacts/types.js";

const entry = (n: number, os: string, architecture: string, variant?: string, mediaType: string = MEDIA_TYPES.ociManifest): Descriptor => ({
  mediaType,
  digest: `sha256:${String(n).repeat(64)}`,
  size: 100 + n,
  platform: { os, architecture, ...(variant !== undefined && { variant }) },
});

t.test("Node's architectures in the OCI's words", async (t) => {
  t.same(
    ["x64", "arm64", "arm", "ia32", "ppc64", "s390x", "riscv64", "loong64"].map((a) => hostArchitecture(a)),
    ["amd64", "arm64", "arm", "386", "ppc64le", "s390x", "riscv64", "loong64"],
  );
  t.equal(hostArchitecture(), hostArchitecture(process.arch), "the host's by default");
});

t.test("the linux manifest of the architecture asked for, not windows's nor a nested index", async (t) => {
  const index: ImageIndex = {
    schemaVersion: 2,
    manifests: [
      entry(1, "windows", "amd64"),
      entry(2, "linux", "amd64", undefined, MEDIA_TYPES.ociIndex),
      entry(3, "linux", "arm64"),
      entry(4, "linux", "amd64"),
    ],
  };
  t.equal(selectPlatform(index, "x64").digest, `sha256:${"4".repeat(64)}`);
  t.equal(selectPlatform(index, "arm64").digest, `sha256:${"3".repeat(64)}`);
});

t.test("an index without the host's architecture is an error that lists what it has", async (t) => {
  const index: ImageIndex = { schemaVersion: 2, manifests: [entry(1, "linux", "arm64"), entry(2, "linux", "arm", "v7"), entry(3, "windows", "amd64")] };
  t.throws(() => selectPlatform(index, "x64"), {
    code: "image-unsupported",
    message: "the image index has no manifest for linux/amd64 (it has: linux/arm64, linux/arm/v7, windows/amd64)",
  });
  t.throws(() => selectPlatform({ schemaVersion: 2, manifests: [] }, "arm64"), {
    message: "the image index has no manifest for linux/arm64 (it has: nothing)",
  });
});
