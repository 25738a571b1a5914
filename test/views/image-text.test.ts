/**
 * `nfctl image inspect` as text (src/cli/views/image-text.ts): the image,
 * what its labels say, what its object holds.
 */
import t from "tap";
import { renderImage } from "../../src/cli/views/image-text.js";
import type { ImageInspection } from "../../src/sources/artifacts/inspect-image.js";

const D1 = `sha256:${"1".repeat(64)}`;
const D2 = `sha256:${"2".repeat(64)}`;
const IMAGE: ImageInspection = {
  ref: "localhost:5000/nfs/counter:v1",
  digest: D1,
  manifestDigest: D1,
  format: "bpfman",
  platform: { os: "linux", architecture: "amd64" },
  labels: { programs: { xdp_counter: "xdp", tc_counter: "tc" }, maps: { nf_stats: "percpu_array" } },
  object: {
    sha256: "3".repeat(64),
    size: 5120,
    programs: [
      { name: "xdp_counter", section: "xdp" },
      { name: "tc_counter", section: "tc" },
    ],
    maps: ["nf_next", "nf_stats"],
  },
};

t.test("an image of one manifest", async (t) => {
  t.equal(
    renderImage(IMAGE),
    [
      "image     localhost:5000/nfs/counter:v1",
      `digest    ${D1}`,
      "format    bpfman",
      "platform  linux/amd64",
      "labels    programs: xdp_counter (xdp), tc_counter (tc); maps: nf_stats (percpu_array)",
      `object    sha256:${"3".repeat(64)}, 5120 bytes`,
      "          programs: xdp_counter (section xdp), tc_counter (section tc)",
      "          maps: nf_next, nf_stats",
      "",
    ].join("\n"),
  );
});

t.test("an index, signed, without labels or platform: each said", async (t) => {
  const unsaid: ImageInspection = { ...IMAGE };
  delete unsaid.platform;
  const text = renderImage({ ...unsaid, format: "gadget", manifestDigest: D2, verifiedBy: "keys/nf.pub", labels: { programs: {}, maps: {} } });
  t.match(text, `digest    ${D1}\nmanifest  ${D2} (the index's for this host)\nformat    gadget\nplatform  not said\nsigned    verified with keys/nf.pub\n`);
  t.match(text, "labels    programs: none; maps: none\n");
});
