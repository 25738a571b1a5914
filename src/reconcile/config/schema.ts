/**
 * Validation against schemas/nfconfig.schema.json, the one definition of
 * the config (editors use it too, through the yaml-language-server line).
 */
import type { ValidateFunction } from "ajv";
import type { ConfigError } from "./errors.js";
import type { NetworkFunctionsConfig } from "./schema-types.js";
import type { SourceDocument } from "./yaml-source.js";
import { describeSchemaErrors } from "./schema-errors.js";
// Compiled from the schema at build time: scripts/gen-config-validator.mjs.
import { validate as generatedValidate } from "./schema-validator.js";

const validate = generatedValidate as ValidateFunction<NetworkFunctionsConfig>;

export type ValidatedConfig = { ok: true; config: NetworkFunctionsConfig } | { ok: false; errors: ConfigError[] };

/**
 * Checks one document against the schema, reporting every problem at once.
 *
 * @example
 *     const checked = validateConfig(parsed.documents[0]);
 *     if (!checked.ok) checked.errors.map(formatConfigError); // ['edge.yaml:4:3: metadata: "name" is required', ...]
 */
export function validateConfig(doc: SourceDocument): ValidatedConfig {
  if (validate(doc.value)) return { ok: true, config: doc.value };
  return { ok: false, errors: describeSchemaErrors(doc, validate.errors ?? []) };
}
