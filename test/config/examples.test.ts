/**
 * Every example config loads without errors, from examples/ itself so
 * that its relative object paths (../bpf/build/...) resolve.
 */
import t from "tap";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { EXAMPLES, desiredOf, errorsOf, load } from "./helpers/configs.js";

const files = readdirSync(EXAMPLES)
  .filter((name) => /\.ya?ml$/.test(name))
  .sort();

t.test("the bundled NFs each have an example", async (t) => {
  for (const nf of ["counter", "blocklist", "portfilter", "ratelimit"]) t.ok(files.includes(`${nf}.yaml`), `examples/${nf}.yaml`);
});

for (const file of files) {
  t.test(`examples/${file} loads`, async (t) => {
    const result = load(EXAMPLES, [file]);
    t.match(readFileSync(join(EXAMPLES, file), "utf8"), /^# yaml-language-server: \$schema=\.\.\/schemas\/nfconfig\.schema\.json\n/, "editors find the schema");
    t.same(errorsOf(result), []);
    t.ok(desiredOf(result).hooks.length > 0, "it configures at least one hook");
  });
}
