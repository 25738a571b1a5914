/**
 * Loading configs against the real objects in bpf/build (opened, never
 * loaded: no root needed): inputs, the checks JSON Schema cannot make, and
 * the DesiredState that comes out.
 */
import t from "tap";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { BUILD, configText, desiredOf, errorsOf, hookText, load, nfText } from "./helpers/configs.js";

const COUNTER = join(BUILD, "counter.o");
const BLOCKLIST = join(BUILD, "blocklist.o");
const UNAWARE = join(BUILD, "test/unaware.o");
const ODD = join(BUILD, "test/oddsection.o");

t.test("a duplicate NF name on a hook names both positions", async (t) => {
  const text = configText(
    hookText("eth1", "xdp", [nfText("c1", COUNTER, "xdp_counter"), nfText("c2", COUNTER, "xdp_counter"), nfText("c1", COUNTER, "xdp_counter")]),
  );
  const dir = t.testdir({ "c.yaml": text });
  t.same(errorsOf(load(dir, ["c.yaml"])), [
    'c.yaml:16:19: spec.interfaces[0].xdp.chain[2].name: NF name "c1" is already used by chain[0] at line 10; NF names must be unique within a hook',
  ]);
});

t.test("the same NF name on two hooks is two NFs", async (t) => {
  const text = configText(
    hookText("eth1", "xdp", [nfText("c", COUNTER, "xdp_counter")]) + "      tcEgress:\n        chain:\n" + nfText("c", COUNTER, "tc_counter"),
  );
  const dir = t.testdir({ "c.yaml": text });
  t.same(
    desiredOf(load(dir, ["c.yaml"])).hooks.map((h) => `${h.hook}:${h.chain[0]!.name}`),
    ["xdp:c", "tc-egress:c"],
  );
});

t.test("a missing object file names the resolved path", async (t) => {
  const dir = t.testdir({ conf: { "c.yaml": configText(hookText("eth1", "xdp", [nfText("c", "../objs/nope.o", "xdp_counter")])) } });
  t.same(errorsOf(load(dir, ["conf/c.yaml"])), [
    `conf/c.yaml:11:21: spec.interfaces[0].xdp.chain[0].object: object file ${join(dir, "objs/nope.o")} does not exist`,
  ]);
});

t.test("an object that cannot be opened", async (t) => {
  const dir = t.testdir({ "c.yaml": configText(hookText("eth1", "xdp", [nfText("c", "./not-elf.o", "xdp_counter")])), "not-elf.o": "hello\n" });
  t.same(errorsOf(load(dir, ["c.yaml"])), [`c.yaml:11:21: spec.interfaces[0].xdp.chain[0].object: ${join(dir, "not-elf.o")} is not a BPF object file (ELF)`]);
});

t.test("a program name the object lacks lists those it has", async (t) => {
  const dir = t.testdir({ "c.yaml": configText(hookText("eth1", "xdp", [nfText("c", COUNTER, "xdp_countr")])) });
  t.same(errorsOf(load(dir, ["c.yaml"])), [
    `c.yaml:12:22: spec.interfaces[0].xdp.chain[0].program: ${COUNTER} has no program "xdp_countr" (it has: xdp_counter, tc_counter)`,
  ]);
});

t.test("a program of the wrong type for its hook", async (t) => {
  const text = configText(
    hookText("eth1", "xdp", [nfText("c", COUNTER, "tc_counter")]) + "      tcIngress:\n        chain:\n" + nfText("c", COUNTER, "xdp_counter"),
  );
  const dir = t.testdir({ "c.yaml": text });
  t.same(errorsOf(load(dir, ["c.yaml"])), [
    `c.yaml:12:22: spec.interfaces[0].xdp.chain[0].program: program tc_counter in ${COUNTER} is a TC (SCHED_CLS) program, but the xdp hook runs XDP programs (SEC("xdp"))`,
    `c.yaml:17:22: spec.interfaces[0].tcIngress.chain[0].program: program xdp_counter in ${COUNTER} is an XDP program, but the tcIngress hook runs TC programs (SEC("tc"))`,
  ]);
});

t.test("a program in a section libbpf does not know runs on any hook", async (t) => {
  const text = configText(hookText("eth1", "xdp", [nfText("odd", ODD, "odd_pass")]) + "      tcEgress:\n        chain:\n" + nfText("odd", ODD, "odd_pass"));
  const dir = t.testdir({ "c.yaml": text });
  t.same(desiredOf(load(dir, ["c.yaml"])).hooks.length, 2);
});

t.test("a map name the object lacks lists those it has", async (t) => {
  const dir = t.testdir({
    "c.yaml": configText(hookText("eth1", "xdp", [nfText("b", BLOCKLIST, "xdp_blocklist", "            maps:\n              blocklist_v9: {}\n")])),
  });
  t.same(errorsOf(load(dir, ["c.yaml"])), [
    `c.yaml:14:15: spec.interfaces[0].xdp.chain[0].maps.blocklist_v9: ${BLOCKLIST} has no map "blocklist_v9" (it has: nf_next, nf_stats, blocklist_v4, blocklist_v6)`,
  ]);
});

t.test("map entries that cannot be encoded point at the key or value", async (t) => {
  const maps =
    '            maps:\n              blocklist_v4:\n                "10.0.0.1/8": 1\n                "10.1.0.0/16": -1\n              nf_stats: { 0: 1 }\n';
  const dir = t.testdir({ "c.yaml": configText(hookText("eth1", "xdp", [nfText("b", BLOCKLIST, "xdp_blocklist", maps)])) });
  t.same(errorsOf(load(dir, ["c.yaml"])), [
    'c.yaml:15:17: spec.interfaces[0].xdp.chain[0].maps.blocklist_v4["10.0.0.1/8"]: "10.0.0.1/8" has host bits set beyond the /8; the network is 10.0.0.0/8',
    'c.yaml:16:32: spec.interfaces[0].xdp.chain[0].maps.blocklist_v4["10.1.0.0/16"]: value -1 for key 10.1.0.0/16 is negative; nfctl writes unsigned integers',
    "c.yaml:17:15: spec.interfaces[0].xdp.chain[0].maps.nf_stats: the value of map nf_stats is 16 bytes; nfctl can only write integers of 1, 2, 4 or 8 bytes",
  ]);
});

t.test("proceedOn needs an object with nf_proceed_mask", async (t) => {
  const dir = t.testdir({ "c.yaml": configText(hookText("eth1", "xdp", [nfText("u", UNAWARE, "xdp_unaware", "            proceedOn: [pass]\n")])) });
  t.same(errorsOf(load(dir, ["c.yaml"])), [
    `c.yaml:13:24: spec.interfaces[0].xdp.chain[0].proceedOn: ${UNAWARE} has no nf_proceed_mask constant, so nfctl cannot choose the verdicts it proceeds on; remove proceedOn`,
  ]);
});

t.test("a chain-unaware object must be the last enabled NF", async (t) => {
  const notLast = configText(hookText("eth1", "xdp", [nfText("u", UNAWARE, "xdp_unaware"), nfText("c", COUNTER, "xdp_counter")]));
  const lastEnabled = configText(
    hookText("eth1", "xdp", [
      nfText("c", COUNTER, "xdp_counter"),
      nfText("u", UNAWARE, "xdp_unaware"),
      nfText("off", COUNTER, "xdp_counter", "            enabled: false\n"),
    ]),
  );
  const dir = t.testdir({ "not-last.yaml": notLast, "last-enabled.yaml": lastEnabled });
  t.same(errorsOf(load(dir, ["not-last.yaml"])), [
    `not-last.yaml:10:13: spec.interfaces[0].xdp.chain[0]: NF "u" must be the last enabled NF of its chain: ${UNAWARE} has no nf_next map (it is not chain-aware), so it cannot pass packets on to "c"`,
  ]);
  const chain = desiredOf(load(dir, ["last-enabled.yaml"])).hooks[0]!.chain;
  t.same(
    chain.map((nf) => [nf.name, nf.enabled, nf.proceedMask]),
    [
      ["c", true, 4],
      ["u", true, undefined],
      ["off", false, 4],
    ],
    "an unaware NF followed only by disabled ones is fine; it has no proceed mask",
  );
});

t.test("an interface listed twice in one file", async (t) => {
  const text = configText(hookText("eth1", "xdp", [nfText("c", COUNTER, "xdp_counter")]) + hookText("eth1", "tcEgress", [nfText("c", COUNTER, "tc_counter")]));
  const dir = t.testdir({ "c.yaml": text });
  t.same(errorsOf(load(dir, ["c.yaml"])), [
    'c.yaml:13:13: spec.interfaces[1].name: interface "eth1" is already listed at line 7 (spec.interfaces[0]); list each interface once, with all its hooks',
  ]);
});

t.test("a hook claimed by two files names both", async (t) => {
  const first = configText(hookText("eth1", "xdp", [nfText("c", COUNTER, "xdp_counter")]), "first");
  const second = configText(
    hookText("eth2", "xdp", [nfText("c", COUNTER, "xdp_counter")]) + hookText("eth1", "xdp", [nfText("d", COUNTER, "xdp_counter")]),
    "second",
  );
  const dir = t.testdir({ "a.yaml": first, "b.yaml": second });
  t.same(errorsOf(load(dir, ["a.yaml", "b.yaml"])), [
    'b.yaml:14:7: spec.interfaces[1].xdp: the xdp hook of interface "eth1" is already configured at a.yaml:8:7 (spec.interfaces[0].xdp); a hook can be configured in one place only',
  ]);
  const otherHook = configText(hookText("eth1", "tcIngress", [nfText("c", COUNTER, "tc_counter")]), "third");
  const merged = t.testdir({ "a.yaml": first, "c.yaml": otherHook });
  t.same(
    desiredOf(load(merged, ["a.yaml", "c.yaml"])).hooks.map((h) => `${h.ifname}/${h.hook} from ${h.source.file}`),
    ["eth1/xdp from a.yaml", "eth1/tc-ingress from c.yaml"],
    "different hooks of one interface merge across files",
  );
});

t.test("a hook claimed by two documents of one file", async (t) => {
  const doc = configText(hookText("eth1", "xdp", [nfText("c", COUNTER, "xdp_counter")]));
  const dir = t.testdir({ "c.yaml": `${doc}---\n${doc}` });
  t.same(errorsOf(load(dir, ["c.yaml"])), [
    'c.yaml:21:7: spec.interfaces[0].xdp: the xdp hook of interface "eth1" is already configured at c.yaml:8:7 (spec.interfaces[0].xdp); a hook can be configured in one place only',
  ]);
});

t.test("a directory means its .yaml and .yml files, sorted by name", async (t) => {
  const config = (ifname: string) => configText(hookText(ifname, "xdp", [nfText("c", COUNTER, "xdp_counter")]));
  const dir = t.testdir({
    conf: {
      "b.yml": config("eth2"),
      "a.yaml": config("eth1"),
      "c.yaml.orig": "not: [yaml",
      "notes.txt": "not: [yaml",
      "sub.yaml": { "d.yaml": config("eth9") },
    },
  });
  const desired = desiredOf(load(dir, ["conf"]));
  t.same(desired.files, ["conf/a.yaml", "conf/b.yml"]);
  t.same(
    desired.hooks.map((h) => h.ifname),
    ["eth1", "eth2"],
  );
  t.same(desiredOf(load(dir, ["conf/b.yml", "conf"])).files, ["conf/b.yml", "conf/a.yaml"], "a file named twice is read once");
  t.same(errorsOf(load(t.testdir({ empty: {} }), ["empty"])), ["empty: the directory has no .yaml or .yml files"]);
  t.same(errorsOf(load(dir, ["nope.yaml"])), ["nope.yaml: no such file or directory"]);
  t.same(errorsOf(load(dir, [])), ["-f: no config given; name a file, a directory, or - for standard input"]);
});

t.test("stdin is <stdin>, and its relative object paths start at cwd", async (t) => {
  const dir = t.testdir({ objs: { "counter.o": readFileSync(COUNTER) } });
  const text = configText(hookText("eth1", "xdp", [nfText("c", "objs/counter.o", "xdp_counter"), nfText("d", "objs/nope.o", "xdp_counter")]));
  t.same(errorsOf(load(dir, ["-"], { stdin: () => text })), [
    `<stdin>:14:21: spec.interfaces[0].xdp.chain[1].object: object file ${join(dir, "objs/nope.o")} does not exist`,
  ]);
  const desired = desiredOf(load(dir, ["-"], { stdin: () => text.slice(0, text.indexOf("          - name: d")) }));
  t.same(desired.files, ["<stdin>"]);
  t.equal(desired.hooks[0]!.chain[0]!.object, join(dir, "objs/counter.o"));
  t.equal(desired.hooks[0]!.source.file, "<stdin>");
});

t.test("relative object paths start at the directory of the file naming them", async (t) => {
  const config = configText(hookText("eth1", "xdp", [nfText("c", "../objs/counter.o", "xdp_counter")]));
  const dir = t.testdir({ objs: { "counter.o": readFileSync(COUNTER) }, conf: { "c.yaml": config } });
  t.equal(desiredOf(load(dir, ["conf/c.yaml"])).hooks[0]!.chain[0]!.object, join(dir, "objs/counter.o"));
  t.equal(desiredOf(load(join(dir, "conf"), ["c.yaml"])).hooks[0]!.chain[0]!.object, join(dir, "objs/counter.o"), "whatever the cwd");
});

t.test("an object fallback: an object missing under the tree is opened at the same place under the fallback", async (t) => {
  const good = configText(
    hookText("eth1", "xdp", [nfText("built", "../objs/counter.o", "xdp_counter"), nfText("committed", "../objs/blocklist.o", "xdp_blocklist")]) +
      "      tcEgress:\n        chain:\n" +
      nfText("elsewhere", COUNTER, "tc_counter"),
  );
  const bad = configText(hookText("eth1", "xdp", [nfText("nowhere", "../objs/nope.o", "xdp_counter")]));
  const dir = t.testdir({
    exported: { objs: { "blocklist.o": readFileSync(BLOCKLIST) }, conf: { "good.yaml": good, "bad.yaml": bad } },
    work: { objs: { "counter.o": readFileSync(COUNTER), "blocklist.o": readFileSync(UNAWARE) } },
  });
  const objectFallback = { tree: join(dir, "exported"), fallback: join(dir, "work") };
  const sha256 = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");
  const desired = desiredOf(load(dir, ["exported/conf/good.yaml"], { objectFallback }));
  t.same(
    desired.hooks.flatMap((h) => h.chain.map((n) => [n.name, n.object, n.digest])),
    [
      ["built", join(dir, "work/objs/counter.o"), sha256(COUNTER)],
      ["committed", join(dir, "exported/objs/blocklist.o"), sha256(BLOCKLIST)],
      ["elsewhere", COUNTER, sha256(COUNTER)],
    ],
    "the object the tree lacks from the fallback, the one it has from the tree, one outside it where it is",
  );
  t.same(errorsOf(load(dir, ["exported/conf/bad.yaml"], { objectFallback })), [
    `exported/conf/bad.yaml:11:21: spec.interfaces[0].xdp.chain[0].object: object file ${join(dir, "work/objs/nope.o")} does not exist`,
  ]);
});

t.test("an NF failing the schema is not checked against its object", async (t) => {
  const dir = t.testdir({ "c.yaml": configText(hookText("eth1", "xdp", [nfText("c", "nope.o", "xdp_counter", "            enabled: maybe\n")])) });
  t.same(errorsOf(load(dir, ["c.yaml"])), ["c.yaml:13:22: spec.interfaces[0].xdp.chain[0].enabled: must be true or false"]);
});

t.test("the desired state", async (t) => {
  const text = configText(
    "    - name: eth1\n      xdp:\n        mode: native\n        chain:\n" +
      nfText(
        "b",
        BLOCKLIST,
        "xdp_blocklist",
        '            version: "1.2.0"\n            proceedOn: [pass, tx]\n            maps:\n              blocklist_v4: { "10.0.0.0/8": 1 }\n',
      ) +
      nfText("c", COUNTER, "xdp_counter", "            enabled: false\n") +
      "      tcEgress:\n        chain:\n" +
      nfText("c", COUNTER, "tc_counter", "            proceedOn: [unspec, redirect]\n") +
      "      tcIngress:\n        chain:\n" +
      nfText("c", COUNTER, "tc_counter"),
  );
  const dir = t.testdir({ "c.yaml": text });
  const desired = desiredOf(load(dir, ["c.yaml"]));
  t.same(desired.files, ["c.yaml"]);
  t.same(
    desired.hooks.map((h) => [h.ifname, h.hook, h.mode, h.source.line]),
    [
      ["eth1", "xdp", "native", 8],
      ["eth1", "tc-ingress", undefined, 28],
      ["eth1", "tc-egress", undefined, 22],
    ],
    "hooks in xdp, tc-ingress, tc-egress order; mode only where set",
  );
  const [xdp, ingress, egress] = desired.hooks;
  const [b, c] = xdp!.chain;
  t.match(b, {
    name: "b",
    object: BLOCKLIST,
    digest: createHash("sha256").update(readFileSync(BLOCKLIST)).digest("hex"),
    program: "xdp_blocklist",
    version: "1.2.0",
    proceedOn: ["pass", "tx"],
    proceedMask: (1 << 2) | (1 << 3),
    enabled: true,
    source: { file: "c.yaml", line: 11, column: 13 },
  });
  t.same(
    b!.maps.map((m) => [m.name, m.spec.keySize, m.entries.map((e) => `${e.key.toString("hex")}=${e.value.toString("hex")}`), m.source]),
    [["blocklist_v4", 8, ["080000000a000000=01000000"], { file: "c.yaml", line: 17, column: 15 }]],
  );
  t.match(b!.mapsDigest, /^[0-9a-f]{64}$/);
  t.match(c, { name: "c", enabled: false, proceedMask: 1 << 2, maps: [] });
  t.notOk("version" in c! || "proceedOn" in c!, "version and proceedOn only when configured");
  t.equal(egress!.chain[0]!.proceedMask, (1 << 0) | (1 << 8), "TC: bit N+1 for verdict N");
  t.equal(ingress!.chain[0]!.proceedMask, 1 << 1, "TC default: ok");
});
