/**
 * What nfctl is: its version (package.json) and the commit it was built
 * from (dist/src/build-info.json, written by scripts/gen-build-info.mjs
 * at build time; this module runs as dist/src/cli/build-info.js).
 */
import { readFileSync } from "node:fs";

/** nfctl's version, e.g. "0.1.0". */
export const NFCTL_VERSION = (JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string }).version;

/** The commit nfctl was built from; dirty when a tracked file differed from it. */
export interface BuildCommit {
  /** 12 hex digits, or "unknown" (built outside git, or the file is missing). */
  commit: string;
  dirty?: boolean;
}

/**
 * The commit of this build.
 *
 * @example
 *     buildCommit() // { commit: "1674797c0ffe", dirty: false }
 */
export function buildCommit(): BuildCommit {
  try {
    const info = JSON.parse(readFileSync(new URL("../build-info.json", import.meta.url), "utf8")) as Partial<BuildCommit>;
    if (typeof info.commit !== "string") return { commit: "unknown" };
    return { commit: info.commit, ...(typeof info.dirty === "boolean" && { dirty: info.dirty }) };
  } catch {
    return { commit: "unknown" };
  }
}
