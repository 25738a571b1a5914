/**
 * ajv's findings in words a person understands, each at the line and
 * column of the node it is about (for an unknown field: its key; for a
 * missing one: the mapping that lacks it).
 */
import type { ErrorObject } from "ajv";
import { byPosition, formatConfigError, formatPath, type ConfigError, type ConfigErrorCode, type PathSegment } from "./errors.js";
import { closestName } from "./suggest.js";
import type { SourceDocument } from "./yaml-source.js";

/** The schema's types in YAML's words. */
const TYPE_NOUNS: Record<string, string> = {
  string: "a string",
  integer: "an integer",
  boolean: "true or false",
  object: "a mapping (key: value lines)",
  array: "a list",
};

/**
 * Turns ajv errors (allErrors, verbose) into ConfigErrors, in file order,
 * without the echoes ajv adds for anyOf branches and property names.
 */
export function describeSchemaErrors(doc: SourceDocument, errors: readonly ErrorObject[]): ConfigError[] {
  const seen = new Set<string>();
  const out: ConfigError[] = [];
  for (const error of errors) {
    // Each failed anyOf or oneOf branch is reported, then the anyOf or oneOf itself: say it once.
    if (error.schemaPath.includes("/anyOf/") || error.schemaPath.includes("/oneOf/")) continue;
    // A bad property name comes with its pattern's error, which says more.
    if (error.keyword === "propertyNames") continue;
    const described = describe(doc, error);
    if (described === undefined) continue;
    const text = formatConfigError(described);
    if (!seen.has(text)) out.push(described);
    seen.add(text);
  }
  return out.sort(byPosition);
}

/** The error in the config's words; undefined for one that another error of the same place says better. */
function describe(doc: SourceDocument, error: ErrorObject): ConfigError | undefined {
  const path = dataPath(doc.value, error.instancePath);
  const schema = error.parentSchema ?? {};
  const at = (where: PathSegment[], code: ConfigErrorCode, message: string, part?: "key"): ConfigError => ({
    ...doc.locate(where, part),
    path: formatPath(path),
    code,
    message,
  });
  switch (error.keyword) {
    case "required":
      return at(path, "schema-required", `"${error.params.missingProperty}" is required`);
    case "additionalProperties": {
      const field = String(error.params.additionalProperty);
      const fields = Object.keys((schema.properties as Record<string, unknown> | undefined) ?? {});
      const guess = closestName(field, fields);
      const hint = guess ? ` (did you mean "${guess}"?)` : `; the fields here are: ${fields.join(", ")}`;
      return at([...path, field], "schema-unknown-field", `unknown field "${field}"${hint}`, "key");
    }
    case "type": {
      const type = String(error.params.type);
      const expected = TYPE_NOUNS[type] ?? type;
      const written = doc.text(path);
      const quote = error.params.type === "string" && written !== undefined ? `; put it in quotes: "${written}"` : "";
      return at(path, "schema-type", `must be ${expected}${quote}`);
    }
    case "enum": {
      const allowed = (error.params.allowedValues as unknown[]).map(String);
      const guess = typeof error.data === "string" ? closestName(error.data, allowed) : undefined;
      return at(path, "schema-enum", `must be one of: ${allowed.join(", ")}${guess ? ` (did you mean "${guess}"?)` : ""}`);
    }
    case "const":
      return at(path, "schema-enum", `must be ${JSON.stringify(error.params.allowedValue)}`);
    case "pattern": {
      const rule = (schema.patternErrorMessage as string | undefined) ?? error.message ?? "is not valid";
      return error.propertyName === undefined
        ? at(path, "schema-pattern", rule)
        : at([...path, error.propertyName], "schema-pattern", `"${error.propertyName}" ${rule}`, "key");
    }
    case "minLength":
    case "minItems":
      return at(
        path,
        "schema-length",
        error.params.limit === 1 ? "must not be empty" : `must have at least ${error.params.limit} ${error.keyword === "minLength" ? "characters" : "entries"}`,
      );
    case "maxItems":
      // Chains are the only lists with a maximum: the kernel's tail-call limit.
      return at(path, "schema-length", `has ${(error.data as unknown[]).length} NFs; at most ${error.params.limit} can be chained`);
    case "uniqueItems": {
      // ajv's two ways of checking (deep equality, or a table of scalars) name the pair in opposite orders.
      const later = Math.max(error.params.i as number, error.params.j as number);
      return {
        ...doc.locate([...path, later]),
        path: formatPath([...path, later]),
        code: "schema-duplicate-item",
        message: `${JSON.stringify((error.data as unknown[])[later])} is listed twice`,
      };
    }
    case "anyOf": {
      // The schema's only anyOf lists alternatives of required fields (the hooks).
      const names = (schema.anyOf as Array<{ required?: string[] }>).flatMap((branch) => branch.required ?? []);
      return at(path, "schema-needs-one-of", `needs at least one of: ${names.join(", ")}`);
    }
    case "oneOf": {
      // The schema's only oneOf: where an NF's code comes from (object, artifact, image).
      const names = (schema.oneOf as Array<{ required?: string[] }>).flatMap((branch) => branch.required ?? []);
      const data = error.data;
      // Not a mapping at all: its type error says so, and "required" holds of anything else.
      if (data === null || typeof data !== "object" || Array.isArray(data)) return undefined;
      const given = names.filter((name) => Object.hasOwn(data, name));
      if (given.length === 0) return at(path, "schema-needs-one-of", `needs one of: ${names.join(", ")}`);
      return at([...path, given[1]!], "schema-needs-one-of", `has ${given.join(" and ")}: an NF's code comes from exactly one of ${names.join(", ")}`, "key");
    }
    case "dependentRequired":
      return at(
        [...path, String(error.params.property)],
        "schema-required",
        `"${error.params.property}" needs "${error.params.missingProperty}": only an image carries a signature to verify`,
        "key",
      );
    default:
      return at(path, "schema-invalid", error.message ?? "is not valid");
  }
}

/** A JSON pointer (/spec/interfaces/0) as path segments, list indices as numbers. */
export function dataPath(root: unknown, pointer: string): PathSegment[] {
  const path: PathSegment[] = [];
  let node = root;
  for (const raw of pointer.split("/").slice(1)) {
    const segment = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    const step: PathSegment = Array.isArray(node) ? Number(segment) : segment;
    path.push(step);
    node = node !== null && typeof node === "object" ? (node as Record<PathSegment, unknown>)[step] : undefined;
  }
  return path;
}
