#!/usr/bin/env node
/**
 * Compiles the config's JSON Schema into a standalone validator at build
 * time, so that nfctl does not compile it on every run (ajv's code
 * generation was 180 ms of the 600 ms `nfctl plan` took):
 *
 *     node scripts/gen-config-validator.mjs
 *     # writes src/reconcile/config/schema-validator.ts
 *
 * The output is not committed (.gitignore); `npm run build` runs this first.
 */
import { writeFileSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import Ajv2020 from "ajv/dist/2020.js";
import standaloneCode from "ajv/dist/standalone/index.js";

const schemaFile = fileURLToPath(new URL("../schemas/nfconfig.schema.json", import.meta.url));
const output = fileURLToPath(new URL("../src/reconcile/config/schema-validator.ts", import.meta.url));

/**
 * The schema with every `$ref` to its `$defs` replaced by the definition
 * (the schema has no recursion), so that ajv makes one function. With
 * allErrors, ajv appends a called function's errors by copying all errors
 * so far: 64,000 bad chain entries took 14 s that way, 50 ms inlined.
 * Keywords beside a `$ref` (descriptions) are kept over the definition's.
 */
function inlineRefs(schema) {
  const defs = schema.$defs ?? {};
  const inline = (node) => {
    if (Array.isArray(node)) return node.map(inline);
    if (node === null || typeof node !== "object") return node;
    const { $ref, ...rest } = node;
    const out = {};
    if ($ref !== undefined) {
      const name = /^#\/\$defs\/([^/]+)$/.exec(String($ref))?.[1];
      if (name === undefined || !(name in defs)) throw new Error(`schema: cannot inline $ref ${String($ref)}`);
      Object.assign(out, inline(defs[name]));
    }
    for (const [keyword, value] of Object.entries(rest)) {
      if (keyword === "$defs") continue;
      // The keys of "properties" are field names, not keywords.
      out[keyword] = keyword === "properties" ? Object.fromEntries(Object.entries(value).map(([field, sub]) => [field, inline(sub)])) : inline(value);
    }
    return out;
  };
  return inline(schema);
}

// strictRequired would reject `anyOf: [{ required: [xdp] }, ...]`, the
// standard way to say "at least one hook"; every other strict check stays on.
// verbose: schema-errors.ts reads each error's parentSchema.
const ajv = new Ajv2020.default({ allErrors: true, strict: true, strictRequired: false, verbose: true, code: { source: true, esm: true } });
// Not standard, but editors (VS Code, yaml-language-server) show it
// instead of the bare pattern; schema-errors.ts does the same.
ajv.addKeyword("patternErrorMessage");
const schema = JSON.parse(readFileSync(schemaFile, "utf8"));
const validate = ajv.compile(inlineRefs(schema));

// ajv's ESM output still require()s its runtime helpers (ucs2length, equal).
writeFileSync(
  output,
  [
    "// @ts-nocheck",
    "/* generated from schemas/nfconfig.schema.json by scripts/gen-config-validator.mjs; do not edit */",
    'import { createRequire } from "node:module";',
    "const require = createRequire(import.meta.url);",
    standaloneCode.default(ajv, validate),
    "// The definitions as written, for the rules other inputs share with the config (src/reconcile/config/schema-rules.ts).",
    `export const definitions = ${JSON.stringify(schema.$defs)};`,
    "",
  ].join("\n"),
);
