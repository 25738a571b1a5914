/**
 * Validation against schemas/nfconfig.schema.json, the one definition of
 * the config (editors use it too, through the yaml-language-server line).
 */
import { readFileSync } from "node:fs";
import Ajv2020 from "ajv/dist/2020.js";
import type { ValidateFunction } from "ajv";
import type { ConfigError } from "./errors.js";
import type { NetworkFunctionsConfig } from "./schema-types.js";
import type { SourceDocument } from "./yaml-source.js";
import { describeSchemaErrors } from "./schema-errors.js";

/** From dist/src/reconcile/config/ to the package root, as src/cli/main.ts finds package.json. */
const SCHEMA_FILE = new URL("../../../../schemas/nfconfig.schema.json", import.meta.url);

let validator: ValidateFunction<NetworkFunctionsConfig> | undefined;

function compiledSchema(): ValidateFunction<NetworkFunctionsConfig> {
  if (!validator) {
    // strictRequired would reject `anyOf: [{ required: [xdp] }, ...]`, the
    // standard way to say "at least one hook"; every other strict check stays on.
    const ajv = new Ajv2020.default({ allErrors: true, strict: true, strictRequired: false, verbose: true });
    // Not standard, but editors (VS Code, yaml-language-server) show it
    // instead of the bare pattern; schema-errors.ts does the same.
    ajv.addKeyword("patternErrorMessage");
    validator = ajv.compile<NetworkFunctionsConfig>(inlineRefs(JSON.parse(readFileSync(SCHEMA_FILE, "utf8")) as SchemaNode));
  }
  return validator;
}

type SchemaNode = { [keyword: string]: unknown };

/**
 * The schema with every `$ref` to its `$defs` replaced by the definition
 * (the schema has no recursion), so that ajv compiles one function. With
 * allErrors, ajv appends a called function's errors by copying all errors
 * so far: 64,000 bad chain entries took 14 s that way, 50 ms inlined.
 * Keywords beside a `$ref` (descriptions) are kept over the definition's.
 */
function inlineRefs(schema: SchemaNode): SchemaNode {
  const defs = (schema.$defs ?? {}) as Record<string, SchemaNode>;
  const inline = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(inline);
    if (node === null || typeof node !== "object") return node;
    const { $ref, ...rest } = node as SchemaNode;
    const out: SchemaNode = {};
    if ($ref !== undefined) {
      const name = /^#\/\$defs\/([^/]+)$/.exec(String($ref))?.[1];
      if (name === undefined || !(name in defs)) throw new Error(`schema: cannot inline $ref ${String($ref)}`);
      Object.assign(out, inline(defs[name]));
    }
    for (const [keyword, value] of Object.entries(rest)) {
      if (keyword === "$defs") continue;
      // The keys of "properties" are field names, not keywords.
      out[keyword] = keyword === "properties" ? Object.fromEntries(Object.entries(value as SchemaNode).map(([field, sub]) => [field, inline(sub)])) : inline(value);
    }
    return out;
  };
  return inline(schema) as SchemaNode;
}

export type ValidatedConfig = { ok: true; config: NetworkFunctionsConfig } | { ok: false; errors: ConfigError[] };

/**
 * Checks one document against the schema, reporting every problem at once.
 *
 * @example
 *     const checked = validateConfig(parsed.documents[0]);
 *     if (!checked.ok) checked.errors.map(formatConfigError); // ['edge.yaml:4:3: metadata: "name" is required', ...]
 */
export function validateConfig(doc: SourceDocument): ValidatedConfig {
  const validate = compiledSchema();
  if (validate(doc.value)) return { ok: true, config: doc.value };
  return { ok: false, errors: describeSchemaErrors(doc, validate.errors ?? []) };
}
