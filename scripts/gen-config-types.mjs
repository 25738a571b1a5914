#!/usr/bin/env node
/**
 * Generates the TypeScript types of the config from its JSON Schema, so the
 * schema stays the single source of truth:
 *
 *     node scripts/gen-config-types.mjs
 *     # writes src/reconcile/config/schema-types.ts
 *
 * The output is not committed (.gitignore); `npm run build` runs this first.
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { compileFromFile } from "json-schema-to-typescript";

const schema = fileURLToPath(new URL("../schemas/nfconfig.schema.json", import.meta.url));
const output = fileURLToPath(new URL("../src/reconcile/config/schema-types.ts", import.meta.url));

const types = await compileFromFile(schema, {
  bannerComment: "/* generated from schemas/nfconfig.schema.json; do not edit */",
  additionalProperties: false,
  // Index signatures then admit that a key may be absent (noUncheckedIndexedAccess style).
  strictIndexSignatures: true,
  unreachableDefinitions: false,
});
writeFileSync(output, types);
