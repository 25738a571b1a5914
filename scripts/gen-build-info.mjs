#!/usr/bin/env node
/**
 * Records the commit nfctl is built from, for `nfctl version`:
 *
 *     node scripts/gen-build-info.mjs
 *     # writes dist/src/build-info.json: {"commit": "1674797c0ffe", "dirty": false}
 *
 * `npm run build` runs it after tsc, so the file is in dist/src and `npm
 * pack` carries it. A tree outside git (a tarball's, an image built without
 * .git, or one inside another project's repository) records "unknown".
 * dirty: a tracked file differed from the commit.
 */
import { execFileSync } from "node:child_process";
import { realpathSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const output = fileURLToPath(new URL("../dist/src/build-info.json", import.meta.url));

const git = (...args) => execFileSync("git", ["-C", root, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();

let info = { commit: "unknown" };
try {
  // A tree that is not a repository of its own would name another project's commit.
  if (realpathSync(git("rev-parse", "--show-toplevel")) === realpathSync(root))
    info = { commit: git("rev-parse", "--short=12", "HEAD"), dirty: git("status", "--porcelain", "--untracked-files=no") !== "" };
} catch {
  // No git, or no repository: "unknown".
}
writeFileSync(output, `${JSON.stringify(info)}\n`);
