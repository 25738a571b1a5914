/**
 * Validation against schemas/nfconfig.schema.json, the one definition of
 * the config (editors use it too, through the yaml-language-server line).
 */
import type { ValidateFunction } from "ajv";
import type { ConfigError, PathSegment } from "./errors.js";
import type { NetworkFunctionsConfig } from "./schema-types.js";
import type { SourceDocument } from "./yaml-source.js";
import { dataPath, describeSchemaErrors } from "./schema-errors.js";
// Compiled from the schema at build time: scripts/gen-config-validator.mjs.
import { validate as generatedValidate } from "./schema-validator.js";

const validate = generatedValidate as ValidateFunction<NetworkFunctionsConfig>;

/**
 * A valid document, or its errors and the data paths they were found at
 * (the parts of the document that failed: an unknown field is found at the
 * mapping holding it).
 */
export type ValidatedConfig = { ok: true; config: NetworkFunctionsConfig } | { ok: false; errors: ConfigError[]; failed: PathSegment[][] };

/**
 * Checks one document against the schema, reporting every problem at once.
 *
 * @example
 *     const checked = validateConfig(parsed.documents[0]);
 *     if (!checked.ok) checked.errors.map(formatConfigError); // ['edge.yaml:4:3: metadata: "name" is required', ...]
 */
export function validateConfig(doc: SourceDocument): ValidatedConfig {
  if (validate(doc.value)) return { ok: true, config: doc.value };
  const errors = validate.errors ?? [];
  return { ok: false, errors: describeSchemaErrors(doc, errors), failed: errors.map((e) => dataPath(doc.value, e.instancePath)) };
}
