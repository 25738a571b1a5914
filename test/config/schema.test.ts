/**
 * The schema itself: what editors show comes from it, so every field is
 * described, every object closed, and every pattern explained in words.
 */
import t from "tap";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

type Schema = { [key: string]: unknown; properties?: Record<string, Schema>; $ref?: string };

const schema = JSON.parse(readFileSync(fileURLToPath(new URL("../../../schemas/nfconfig.schema.json", import.meta.url)), "utf8")) as Schema & {
  $defs: Record<string, Schema>;
};

/** Every subschema, with where it is. */
function* walk(node: unknown, at: string): Generator<[string, Schema]> {
  if (node === null || typeof node !== "object") return;
  if (!Array.isArray(node)) yield [at, node as Schema];
  for (const [key, child] of Object.entries(node)) yield* walk(child, `${at}/${key}`);
}

const target = (s: Schema): Schema => (s.$ref ? schema.$defs[s.$ref.replace("#/$defs/", "")]! : s);

t.test("every property has a description", async (t) => {
  for (const [at, node] of walk(schema, "#")) {
    for (const [name, property] of Object.entries(node.properties ?? {})) {
      t.ok(property.description ?? target(property).description, `${at}/properties/${name}`);
    }
  }
});

t.test("every object with properties admits no others", async (t) => {
  for (const [at, node] of walk(schema, "#")) if (node.properties) t.equal(node.additionalProperties, false, at);
});

t.test("every pattern says in words what it wants", async (t) => {
  for (const [at, node] of walk(schema, "#")) if (typeof node.pattern === "string") t.type(node.patternErrorMessage, "string", at);
});
