/**
 * `object: builtin:NAME` names a bundled NF wherever nfctl is installed:
 * it resolves to BUNDLED_OBJECTS/NAME.o, from any config directory and in
 * a shared source too; an unknown name is one error at the field.
 */
import t from "tap";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { BUNDLED_OBJECTS, objectRoots } from "../../src/reconcile/config/index.js";
import { BUILTIN_NFS } from "../../src/reconcile/config/builtin-objects.js";
import { configText, desiredOf, errorsOf, hookText, load, nfText } from "./helpers/configs.js";

const BPF = fileURLToPath(new URL("../../../bpf", import.meta.url));

/** A config of one XDP NF whose object is `object` (line 11, column 21). */
const oneNf = (object: string, nf = "counter") => configText(hookText("eth1", "xdp", [nfText(nf, object, `xdp_${nf}`)]));

t.test("the builtin names are the bundled NFs of bpf/", async (t) => {
  const sources = readdirSync(BPF)
    .filter((f) => f.endsWith(".c"))
    .map((f) => f.slice(0, -2))
    .sort();
  t.same([...BUILTIN_NFS], sources);
});

t.test("builtin:NAME is the bundled object, from any directory, with the same bytes as its path", async (t) => {
  const dir = t.testdir({
    deep: {
      er: {
        "c.yaml": configText(
          hookText("eth1", "xdp", [nfText("blocklist", "builtin:blocklist", "xdp_blocklist"), nfText("counter", "builtin:counter", "xdp_counter")]),
        ),
      },
    },
    "p.yaml": oneNf(join(BUNDLED_OBJECTS, "counter.o")),
  });
  const chain = desiredOf(load(dir, ["deep/er/c.yaml"])).hooks[0]!.chain;
  t.same(
    chain.map((nf) => nf.object),
    [join(BUNDLED_OBJECTS, "blocklist.o"), join(BUNDLED_OBJECTS, "counter.o")],
  );
  const byPath = desiredOf(load(dir, ["p.yaml"])).hooks[0]!.chain[0]!;
  t.equal(chain[1]!.digest, byPath.digest, "the same object as by its path: the same sha256, so no update when a config switches");
});

t.test("an unknown builtin name is one error that lists the bundled NFs", async (t) => {
  const dir = t.testdir({ "typo.yaml": oneNf("builtin:countr"), "none.yaml": oneNf("builtin:firewall"), "out.yaml": oneNf("builtin:../build/counter") });
  const known = "the bundled NFs are builtin:blocklist, builtin:counter, builtin:portfilter, builtin:ratelimit";
  t.same(errorsOf(load(dir, ["typo.yaml"])), [
    `typo.yaml:11:21: spec.interfaces[0].xdp.chain[0].object: builtin:countr is not a bundled NF (did you mean "builtin:counter"?); ${known}`,
  ]);
  t.same(errorsOf(load(dir, ["none.yaml"])), [`none.yaml:11:21: spec.interfaces[0].xdp.chain[0].object: builtin:firewall is not a bundled NF; ${known}`]);
  t.same(
    errorsOf(load(dir, ["out.yaml"])),
    [`out.yaml:11:21: spec.interfaces[0].xdp.chain[0].object: builtin:../build/counter is not a bundled NF; ${known}`],
    "a name, never a path",
  );
});

t.test("a shared source may name builtin objects: they are among its roots", async (t) => {
  const dir = t.testdir({ "c.yaml": oneNf("builtin:counter") });
  const result = load(dir, ["c.yaml"], { objectRoots: objectRoots([dir, BUNDLED_OBJECTS]) });
  t.same(errorsOf(result), []);
  t.equal(desiredOf(result).hooks[0]!.chain[0]!.object, join(BUNDLED_OBJECTS, "counter.o"));
});
