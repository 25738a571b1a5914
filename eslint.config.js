// ESLint 9 flat config: typescript-eslint's type-checked rules, and the
// layers of DESIGN.md ("Layers") as import boundaries. Run by `npm run lint`.
import { defineConfig, globalIgnores } from "eslint/config";
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import { importX } from "eslint-plugin-import-x";
import { createNodeResolver } from "eslint-plugin-import-x/node-resolver";
import globals from "globals";

const root = import.meta.dirname;

// src/<layer> -> the layers it may import besides itself, bottom to top.
// events and sources stand side by side: neither imports the other.
// controller uses reconcile, sources and events (DESIGN.md), and reaches
// state through reconcile's public entry; cli may use every layer.
// A layer that does not exist yet is restricted as soon as it does.
const layers = {
  native: [],
  state: ["native"],
  events: ["state", "native"],
  sources: ["state", "native"],
  reconcile: ["sources", "events", "state", "native"],
  controller: ["reconcile", "sources", "events"],
  cli: ["controller", "reconcile", "sources", "events", "state", "native"],
};

const layerZones = Object.entries(layers).map(([layer, uses]) => ({
  target: `./src/${layer}`,
  from: "./src",
  except: [`./${layer}`, ...uses.map((u) => `./${u}`)],
  message: `src/${layer} may import ${uses.length > 0 ? uses.map((u) => `src/${u}`).join(", ") : "nothing else of src/"} (DESIGN.md, "Layers").`,
}));

export default defineConfig(
  // Build output and what scripts/gen-config-*.mjs write (node_modules/ is ignored anyway).
  globalIgnores(["dist/", "bpf/build/", "test/harness/build/", ".tap/", "src/reconcile/config/schema-types.ts", "src/reconcile/config/schema-validator.ts"]),
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: root } },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      // In recommendedTypeChecked already; named so that they stay errors.
      "@typescript-eslint/no-floating-promises": [
        "error",
        {
          // tap queues a subtest and reports its failures itself: the promise
          // t.test() returns never rejects, so a test need not await it.
          allowForKnownSafeCalls: [{ from: "package", package: "@tapjs/test", name: ["test", "todo", "skip", "only"] }],
        },
      ],
      "@typescript-eslint/no-misused-promises": "error",
      // Off: tap callbacks are async by habit, and commands share an async
      // signature; a missing await that matters is a floating promise, which
      // the rule above finds.
      "@typescript-eslint/require-await": "off",
    },
  },
  {
    // The import boundaries. A relative import names the emitted .js; the
    // resolver finds the .ts beside it. An import it cannot resolve would pass
    // no-restricted-paths unseen, so that is an error too.
    plugins: { "import-x": importX },
    settings: { "import-x/resolver-next": [createNodeResolver({ extensionAlias: { ".js": [".ts", ".js"] } })] },
    rules: {
      "import-x/no-unresolved": "error",
      "import-x/no-restricted-paths": [
        "error",
        {
          basePath: root,
          zones: [
            ...layerZones,
            {
              // Everything outside src/native: !(native) is minimatch's "any other name".
              target: ["./src/!(native)/**", "./src/*", "./bench", "./test", "./scripts"],
              from: "./node_modules/koffi",
              message: 'Only src/native imports koffi (DESIGN.md, "Layers").',
            },
            { target: "./src", from: ["./test", "./bench", "./scripts"], message: "src/ imports no tests, benchmarks or scripts." },
            { target: "./bench", from: "./test", message: "bench/ does not import test/: what both need belongs in src/ or scripts/." },
          ],
        },
      ],
    },
  },
  {
    // Plain JavaScript (this file, scripts/*.mjs): no type information; Node's globals.
    files: ["**/*.js", "**/*.mjs"],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: globals.node },
  },
);
