/**
 * `nfctl image inspect` as text: the image's identity, then what its labels
 * say it holds beside what its object really holds.
 */
import type { ImageInspection } from "../../sources/artifacts/inspect-image.js";

/**
 * @example
 *     renderImage(inspection)
 *     // image     localhost:5000/nfs/counter:v1
 *     // digest    sha256:9a0e…
 *     // format    bpfman
 *     // platform  linux/amd64
 *     // labels    programs: xdp_counter (xdp), tc_counter (tc); maps: nf_stats (percpu_array)
 *     // object    sha256:3f1c…, 5120 bytes
 *     //           programs: xdp_counter (section xdp), tc_counter (section tc)
 *     //           maps: nf_next, nf_stats
 */
export function renderImage(image: ImageInspection): string {
  const named = (entries: Record<string, string>) =>
    Object.keys(entries).length === 0
      ? "none"
      : Object.entries(entries)
          .map(([name, type]) => `${name} (${type})`)
          .join(", ");
  const list = (names: string[]) => (names.length === 0 ? "none" : names.join(", "));
  const { platform, object } = image;
  const lines = [
    ["image", image.ref],
    ["digest", image.digest],
    ...(image.manifestDigest !== image.digest ? [["manifest", `${image.manifestDigest} (the index's for this host)`]] : []),
    ["format", image.format],
    [
      "platform",
      platform === undefined ? "not said" : `${platform.os}/${platform.architecture}${platform.variant !== undefined ? `/${platform.variant}` : ""}`,
    ],
    ...(image.verifiedBy !== undefined ? [["signed", `verified with ${image.verifiedBy}`]] : []),
    ["labels", `programs: ${named(image.labels.programs)}; maps: ${named(image.labels.maps)}`],
    ["object", `sha256:${object.sha256}, ${object.size} bytes`],
    ["", `programs: ${list(object.programs.map((p) => `${p.name} (section ${p.section})`))}`],
    ["", `maps: ${list(object.maps)}`],
  ];
  return lines.map(([field, value]) => `${field!.padEnd(10)}${value}\n`).join("");
}
