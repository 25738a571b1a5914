/**
 * `nfctl version`: what a bug report needs to say which nfctl ran where:
 * nfctl's version and commit, the libbpf it found, the kernel and Node.
 * It works on a host without a usable libbpf (it says why, and exits 0),
 * since that is a host whose user most needs to report what they have.
 */
import { release } from "node:os";
import { LibraryError, libbpfFile, libbpfVersion } from "../native/index.js";
import { NFCTL_VERSION, buildCommit, type BuildCommit } from "./build-info.js";
import { toJson } from "./views/json.js";
import { renderVersion } from "./views/version-text.js";

export interface VersionOptions {
  output: "text" | "json";
}

/** The libbpf found: its version and file, or why none can be used. */
export type LibbpfFound = { version: string; path?: string } | { error: string };

export interface VersionInfo {
  nfctl: { version: string } & BuildCommit;
  libbpf: LibbpfFound;
  /** uname -r. */
  kernel: string;
  node: string;
}

function findLibbpf(): LibbpfFound {
  try {
    const version = libbpfVersion();
    const path = libbpfFile();
    return { version, ...(path !== undefined && { path }) };
  } catch (err) {
    if (err instanceof LibraryError) return { error: err.message };
    throw err;
  }
}

/**
 * What `nfctl version` reports about this process's nfctl and host.
 *
 * @example
 *     versionInfo()
 *     // { nfctl: { version: "0.1.0", commit: "1674797c0ffe", dirty: false },
 *     //   libbpf: { version: "1.1", path: "/usr/lib/x86_64-linux-gnu/libbpf.so.1.1.2" }, kernel: "6.1.0-28-amd64", node: "v20.18.1" }
 */
export function versionInfo(): VersionInfo {
  return { nfctl: { version: NFCTL_VERSION, ...buildCommit() }, libbpf: findLibbpf(), kernel: release(), node: process.version };
}

export async function versionCommand(opts: VersionOptions): Promise<number> {
  const info = versionInfo();
  process.stdout.write(opts.output === "json" ? toJson("Version", { version: info }) : renderVersion(info));
  return 0;
}
