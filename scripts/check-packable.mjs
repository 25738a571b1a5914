#!/usr/bin/env node
/**
 * npm's prepack: refuses to pack a checkout that is not built, since the
 * package carries the built JavaScript and the built bundled NFs, and a
 * host that installs it has no compiler to make them:
 *
 *     npm run build && npm pack     # nfctl-<version>.tgz
 *
 * It checks, and does not build: CI packs what it built and tested, and
 * building needs clang.
 */
import { existsSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const needed = [
  "dist/src/cli/main.js",
  "dist/src/build-info.json",
  "dist/src/reconcile/config/schema-validator.js",
  // The bundled NFs: bpf/NAME.c, built into bpf/build/NAME.o.
  ...readdirSync(`${root}bpf`)
    .filter((file) => file.endsWith(".c"))
    .map((file) => `bpf/build/${file.slice(0, -2)}.o`),
];
const missing = needed.filter((path) => !existsSync(`${root}${path}`));
if (missing.length > 0) {
  process.stderr.write(`nfctl: cannot pack an unbuilt checkout (${missing.join(", ")} missing): run npm run build first\n`);
  process.exit(1);
}
