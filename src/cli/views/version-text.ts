/**
 * `nfctl version` as text: one line each for nfctl, libbpf, the kernel and Node.
 */
import type { VersionInfo } from "../version.js";

/**
 * @example
 *     renderVersion(info)
 *     // nfctl 0.1.0 (commit 1674797c0ffe)
 *     // libbpf 1.1 (/usr/lib/x86_64-linux-gnu/libbpf.so.1.1.2)
 *     // kernel 6.1.0-28-amd64
 *     // node v20.18.1
 */
export function renderVersion(info: VersionInfo): string {
  const { nfctl, libbpf } = info;
  const commit = nfctl.commit === "unknown" ? "commit unknown" : `commit ${nfctl.commit}${nfctl.dirty ? ", modified" : ""}`;
  const library = "error" in libbpf ? `libbpf unavailable: ${libbpf.error}` : `libbpf ${libbpf.version}${libbpf.path !== undefined ? ` (${libbpf.path})` : ""}`;
  return `nfctl ${nfctl.version} (${commit})\n${library}\nkernel ${info.kernel}\nnode ${info.node}\n`;
}
