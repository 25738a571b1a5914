/**
 * Map contents between config text and kernel bytes, the digest over
 * them, and proceed-on masks.
 */
import t from "tap";
import { MapType, type MapEntry, type MapSpec } from "../../src/state/index.js";
import {
  decodeMapEntry,
  defaultProceedOn,
  encodeMapEntries,
  formatMapEntries,
  mapsDigest,
  proceedMask,
  type ConfigMapEntry,
  type EncodedMap,
} from "../../src/reconcile/config/index.js";
import { BUILD, configText, desiredOf, hookText, load, nfText } from "./helpers/configs.js";

function spec(name: string, type: number, keySize: number, valueSize: number, maxEntries = 1024): MapSpec {
  return { name, type, keySize, valueSize, maxEntries, flags: 0, internal: false };
}

const hex = (entries: MapEntry[]) => entries.map((e) => `${e.key.toString("hex")}=${e.value.toString("hex")}`);

function encoded(map: MapSpec, entries: ConfigMapEntry[]): string[] {
  const result = encodeMapEntries(map, entries);
  if (!result.ok) throw new Error(result.problems.map((p) => p.message).join("; "));
  return hex(result.entries);
}

function problems(result: EncodedMap): string[] {
  return result.ok ? [] : result.problems.map((p) => `${p.part}${p.entry ?? ""}: ${p.message}`);
}

t.test("integers of each size, little-endian, sorted by key bytes", async (t) => {
  t.same(encoded(spec("m", MapType.HASH, 1, 8), [{ key: "255", value: 2n ** 64n - 1n }]), ["ff=ffffffffffffffff"]);
  t.same(
    encoded(spec("m", MapType.HASH, 2, 4), [
      { key: "443", value: 1 },
      { key: "53", value: 7 },
    ]),
    ["3500=07000000", "bb01=01000000"],
  );
  t.same(encoded(spec("m", MapType.LRU_HASH, 4, 2), [{ key: "0x01020304", value: 0xbeef }]), ["04030201=efbe"]);
  t.same(encoded(spec("m", MapType.PERCPU_HASH, 8, 1), [{ key: "0xFFFFFFFFFFFFFFFF", value: 255 }]), ["ffffffffffffffff=ff"]);
  t.same(
    encoded(spec("m", MapType.ARRAY, 4, 8, 2), [
      { key: "1", value: 3 },
      { key: "0", value: 0 },
    ]),
    ["00000000=0000000000000000", "01000000=0300000000000000"],
  );
});

t.test("hex and decimal keys, out-of-range keys and values", async (t) => {
  const ports = spec("ports", MapType.HASH, 2, 4);
  t.same(encoded(ports, [{ key: "0x35", value: 1 }]), encoded(ports, [{ key: "53", value: 1 }]));
  t.same(
    problems(
      encodeMapEntries(ports, [
        { key: "65536", value: 1 },
        { key: "-1", value: 1 },
        { key: "1.5", value: 1 },
        { key: "0x35", value: 4294967296 },
        { key: "80", value: -1 },
        { key: "53", value: 1 },
        { key: "0x35", value: 1 },
      ]),
    ),
    [
      "key0: key 65536 does not fit the 2-byte key of map ports (at most 65535)",
      "key1: key -1 is negative; map keys are unsigned integers",
      "key2: key 1.5 is not an integer; write it in decimal (53) or hex (0x35)",
      "value3: value 4294967296 for key 0x35 does not fit the 4-byte value of map ports (at most 4294967295)",
      "value4: value -1 for key 80 is negative; nfctl writes unsigned integers",
      "key6: key 0x35 is the same entry as key 53",
    ],
  );
  t.same(problems(encodeMapEntries(spec("stats", MapType.PERCPU_ARRAY, 4, 8, 2), [{ key: "2", value: 1 }])), [
    "key0: index 2 is out of range: map stats is an array of 2 entries (0 to 1)",
  ]);
});

t.test("maps nfctl cannot write", async (t) => {
  t.same(problems(encodeMapEntries(spec("nf_stats", MapType.PERCPU_ARRAY, 4, 16, 2), [])), [
    "map: the value of map nf_stats is 16 bytes; nfctl can only write integers of 1, 2, 4 or 8 bytes",
  ]);
  t.same(problems(encodeMapEntries(spec("odd", MapType.HASH, 3, 4), [])), [
    "map: the key of map odd is 3 bytes; nfctl can only write integers of 1, 2, 4 or 8 bytes",
  ]);
  t.same(problems(encodeMapEntries(spec("nf_next", MapType.PROG_ARRAY, 4, 4, 1), [])), [
    "map: nfctl cannot set map nf_next of type PROG_ARRAY from the config",
  ]);
  t.same(problems(encodeMapEntries(spec("ring", 27, 0, 0), [])), ["map: nfctl cannot set map ring of type 27 from the config"]);
  t.same(problems(encodeMapEntries(spec("lpm", MapType.LPM_TRIE, 12, 4), [])), [
    "map: map lpm is an LPM trie with 12-byte keys; nfctl can only write IPv4 (8-byte) and IPv6 (20-byte) prefix keys",
  ]);
});

const V4 = spec("blocklist_v4", MapType.LPM_TRIE, 8, 4, 65536);
const V6 = spec("blocklist_v6", MapType.LPM_TRIE, 20, 4, 65536);

t.test("LPM trie keys: prefix length (host order) then address (network order)", async (t) => {
  t.same(
    encoded(V4, [
      { key: "10.0.0.0/8", value: 1 },
      { key: "192.168.1.7", value: 2 },
      { key: "0.0.0.0/0", value: 3 },
    ]),
    ["0000000000000000=03000000", "080000000a000000=01000000", "20000000c0a80107=02000000"],
  );
  t.same(encoded(V6, [{ key: "2001:db8::/32", value: 1 }]), ["2000000020010db8000000000000000000000000=01000000"]);
  t.same(encoded(V6, [{ key: "::1", value: 1 }]), ["8000000000000000000000000000000000000001=01000000"]);
  t.same(encoded(V6, [{ key: "::ffff:192.0.2.1/128", value: 1 }]), ["8000000000000000000000000000ffffc0000201=01000000"]);
  t.same(encoded(V6, [{ key: "2001:DB8:0:0:1::/80", value: 1 }]), ["5000000020010db8000000000001000000000000=01000000"]);
});

t.test("LPM trie mistakes", async (t) => {
  t.same(
    problems(
      encodeMapEntries(V4, [
        { key: "10.0.0.1/8", value: 1 },
        { key: "2001:db8::/32", value: 1 },
        { key: "10.0.0.0/33", value: 1 },
        { key: "10.0.0.0/x", value: 1 },
        { key: "example.com", value: 1 },
        { key: "10.0.0.0/8", value: 1 },
        { key: "10.0.0.0/08", value: 1 },
      ]),
    ),
    [
      'key0: "10.0.0.1/8" has host bits set beyond the /8; the network is 10.0.0.0/8',
      'key1: "2001:db8::/32" is an IPv6 prefix, but map blocklist_v4 holds IPv4 prefixes (8-byte keys)',
      'key2: "10.0.0.0/33": prefix length 33 is too long for an IPv4 address (at most 32)',
      'key3: "10.0.0.0/x": the prefix length after "/" must be a number from 0 to 32',
      'key4: "example.com" is not an IPv4 or IPv6 address or prefix (like 10.0.0.0/8 or 2001:db8::/32)',
      "key6: key 10.0.0.0/08 is the same entry as key 10.0.0.0/8",
    ],
  );
  t.same(
    problems(
      encodeMapEntries(V6, [
        { key: "2001:db8::1/32", value: 1 },
        { key: "10.0.0.0/8", value: 1 },
      ]),
    ),
    [
      'key0: "2001:db8::1/32" has host bits set beyond the /32; the network is 2001:db8::/32',
      'key1: "10.0.0.0/8" is an IPv4 prefix, but map blocklist_v6 holds IPv6 prefixes (20-byte keys)',
    ],
  );
});

t.test("decoding gives the canonical text; formatting sorts it naturally", async (t) => {
  const entry = (map: MapSpec, key: string, value: number) => {
    const result = encodeMapEntries(map, [{ key, value }]);
    if (!result.ok) throw new Error("unexpected");
    return result.entries[0]!;
  };
  const decode = (map: MapSpec, key: string, value = 1) => {
    const e = entry(map, key, value);
    return decodeMapEntry(map, e.key, e.value);
  };
  t.same(decode(V4, "10.0.0.0/8"), { key: "10.0.0.0/8", value: "1" });
  t.same(decode(V4, "192.0.2.1"), { key: "192.0.2.1/32", value: "1" });
  t.same(decode(V6, "2001:0DB8:0000:0000:0000:0000:0000:0001"), { key: "2001:db8::1/128", value: "1" });
  t.same(decode(V6, "2001:db8:0:0:1:0:0:0/128"), { key: "2001:db8:0:0:1::/128", value: "1" }, "the longest run of zeros is the one shortened");
  t.same(decode(V6, "2001:0:0:1:0:0:0:0/64"), { key: "2001:0:0:1::/64", value: "1" });
  t.same(decode(V6, "1:0:1:1:1:1:1:1"), { key: "1:0:1:1:1:1:1:1/128", value: "1" }, "a single zero group stays");
  t.same(decode(V6, "::/0"), { key: "::/0", value: "1" });
  const ports = spec("ports", MapType.HASH, 2, 8);
  t.same(decode(ports, "0x1bb", 7), { key: "443", value: "7" });
  t.same(formatMapEntries(ports, [entry(ports, "8080", 1), entry(ports, "53", 2), entry(ports, "443", 3)]), ["53: 2", "443: 3", "8080: 1"]);
  t.same(formatMapEntries(V4, [entry(V4, "192.168.0.0/16", 1), entry(V4, "10.0.0.0/8", 1), entry(V4, "9.0.0.0/8", 1)]), [
    "9.0.0.0/8: 1",
    "10.0.0.0/8: 1",
    "192.168.0.0/16: 1",
  ]);
});

t.test("the maps digest depends on contents only, not on YAML order or notation", async (t) => {
  const blocklist = `${BUILD}/blocklist.o`;
  const nf = (maps: string) => configText(hookText("eth1", "xdp", [nfText("b", blocklist, "xdp_blocklist", `            maps:\n${maps}`)]));
  const dir = t.testdir({
    "a.yaml": nf('              blocklist_v4: { "10.0.0.0/8": 1, "192.0.2.1": 1 }\n              blocklist_v6: { "2001:db8::/32": 1 }\n'),
    "b.yaml": nf('              blocklist_v6: { "2001:0db8:0::/32": 0x1 }\n              blocklist_v4: { "192.0.2.1/32": 1, "10.0.0.0/8": 1 }\n'),
    "c.yaml": nf('              blocklist_v4: { "10.0.0.0/8": 1, "192.0.2.1": 2 }\n              blocklist_v6: { "2001:db8::/32": 1 }\n'),
    "d.yaml": nf('              blocklist_v4: { "10.0.0.0/8": 1, "192.0.2.1": 1 }\n'),
  });
  const digest = (file: string) => desiredOf(load(dir, [file])).hooks[0]!.chain[0]!.mapsDigest;
  t.equal(digest("a.yaml"), digest("b.yaml"), "same contents, another order and spelling");
  t.not(digest("a.yaml"), digest("c.yaml"), "another value");
  t.not(digest("a.yaml"), digest("d.yaml"), "one map fewer");
  const ports = spec("ports", MapType.HASH, 2, 4);
  const one = encodeMapEntries(ports, [{ key: "53", value: 1 }]);
  if (!one.ok) throw new Error("unexpected");
  t.not(mapsDigest([{ name: "ports", entries: one.entries }]), mapsDigest([{ name: "other", entries: one.entries }]), "the map name counts");
  // Pinned: applied generations keep the digest in their records, and status and plans show it,
  // so the same contents must give the same digest from one nfctl version to the next.
  t.equal(mapsDigest([]), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "no maps: the sha256 of nothing");
  t.equal(
    mapsDigest([{ name: "ports", entries: one.entries }]),
    "9a29bfd678ca7f558ee6c6aa8908ce29a0a6a5b0ab07ac5cf9b4a45dfb0eac96",
    'one map: the sha256 of ["ports",["3500=01000000"]] (53 a little-endian u16 key, 1 a u32 value)',
  );
});

t.test("proceed masks", async (t) => {
  t.equal(proceedMask("xdp", ["aborted", "drop", "pass", "tx", "redirect"]), 0b11111);
  t.equal(proceedMask("xdp", ["pass"]), 1 << 2);
  t.equal(proceedMask("tc-ingress", ["unspec"]), 1 << 0);
  t.equal(proceedMask("tc-egress", ["ok", "reclassify", "shot", "pipe", "stolen", "queued", "repeat", "redirect"]), 0b111111110);
  t.equal(proceedMask("xdp", []), 0, "an empty list: every verdict is final");
  t.same(defaultProceedOn("xdp"), ["pass"]);
  t.same(defaultProceedOn("tc-ingress"), ["ok"]);
  t.throws(() => proceedMask("xdp", ["ok"]), /"ok" is not a verdict of the xdp hook/);
});
