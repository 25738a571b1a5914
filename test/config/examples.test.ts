/**
 * Every example config loads without errors, from examples/ itself (its
 * objects are bundled NFs, builtin:NAME, which resolve from anywhere).
 * examples/images/ names images in a registry that a reader starts, so it
 * is not among the files loaded here (they are examples/*.yaml only).
 */
import t from "tap";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { createHash } from "node:crypto";
import { loadConfigYielding } from "../../src/reconcile/config/index.js";
import { codeSourceKey, type CodeSource, type ResolvedCode } from "../../src/state/index.js";
import { BUILD, EXAMPLES, desiredOf, errorsOf, load } from "./helpers/configs.js";

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

t.test("examples/fleet/ gives each host its own hooks", async (t) => {
  for (const file of readdirSync(join(EXAMPLES, "fleet"))) {
    t.match(
      readFileSync(join(EXAMPLES, "fleet", file), "utf8"),
      /^# yaml-language-server: \$schema=\.\.\/\.\.\/schemas\/nfconfig\.schema\.json\n/,
      `editors find the schema from fleet/${file}`,
    );
  }
  const hooksOf = (name: string, labels: Record<string, string>) =>
    desiredOf(load(EXAMPLES, ["fleet"], { host: { name, labels } })).hooks.map((h) => `${h.ifname} ${h.hook}: ${h.chain.map((nf) => nf.name).join(" -> ")}`);
  t.same(hooksOf("edge-1", { role: "edge", zone: "eu-1" }), ["eth1 tc-egress: counter", "eth1 xdp: blocklist -> counter", "eth2 xdp: portfilter"]);
  t.same(hooksOf("edge-2", { role: "edge", zone: "us-1" }), ["eth1 tc-egress: counter", "eth1 xdp: blocklist -> counter"]);
  t.same(hooksOf("core-1", { role: "core" }), ["eth1 tc-egress: counter", "eth1 xdp: ratelimit"]);
  t.same(hooksOf("core-lab", { role: "core", lab: "yes" }), ["eth1 tc-egress: counter"]);
  t.same(hooksOf("other", {}), ["eth1 tc-egress: counter"]);
});

t.test("examples/images/ names images by tag and by digest, in the placeholders its README fills in", async (t) => {
  const text = readFileSync(join(EXAMPLES, "images", "chain.yaml"), "utf8");
  t.match(text, /^# yaml-language-server: \$schema=\.\.\/\.\.\/schemas\/nfconfig\.schema\.json\n/, "editors find the schema");
  const config = parse(text) as { spec: { interfaces: [{ xdp: { chain: Record<string, unknown>[] } }] } };
  const chain = config.spec.interfaces[0].xdp.chain;
  t.same(
    chain.map((nf) => ["object", "artifact", "image"].filter((field) => field in nf)),
    [["image"], ["image"]],
    "each NF's code is an image",
  );
  t.same(
    chain.map((nf) => (nf.image as { ref: string }).ref),
    [`registry.example:5000/nfctl/blocklist@sha256:${"0".repeat(64)}`, "registry.example:5000/nfctl/counter:v1"],
  );
  // The README's sed turns the placeholders into a local registry and the digest nfctl image push printed.
  const readme = readFileSync(join(EXAMPLES, "images", "README.md"), "utf8");
  t.match(readme, `sed -e "s/registry.example:5000/$REG/" -e "s/0\\{64\\}/$blocklist/" examples/images/chain.yaml`);
});

t.test("examples/images/chain.yaml loads, its images standing for the bundled objects they are built from", async (t) => {
  const resolveCode = async (sources: readonly CodeSource[]) =>
    new Map(
      sources.map((source): [string, ResolvedCode] => {
        const ref = source.kind === "image" ? source.ref : source.url;
        const nf = /nfctl\/(blocklist|counter)/.exec(ref)![1]!;
        const path = join(BUILD, `${nf}.o`);
        const digest = createHash("sha256").update(readFileSync(path)).digest("hex");
        return [codeSourceKey(source), { ok: true, path, digest, origin: { kind: "image", ref, digest: `sha256:${"1".repeat(64)}`, format: "bpfman" } }];
      }),
    );
  const result = await loadConfigYielding([join(EXAMPLES, "images", "chain.yaml")], { resolveCode });
  t.same(errorsOf(result), [], "programs and maps are the objects'");
  const chain = desiredOf(result).hooks[0]!.chain;
  t.same(
    chain.map((nf) => [nf.name, nf.program, nf.origin?.kind === "image" && nf.origin.ref]),
    [
      ["blocklist", "xdp_blocklist", `registry.example:5000/nfctl/blocklist@sha256:${"0".repeat(64)}`],
      ["counter", "xdp_counter", "registry.example:5000/nfctl/counter:v1"],
    ],
  );
});
