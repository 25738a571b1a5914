/**
 * Map contents between the config's text and the bytes the kernel holds.
 *
 * - Hash and array maps: keys and values are unsigned integers of 1, 2, 4
 *   or 8 bytes, little-endian (the host order of every machine libbpf runs
 *   BPF on here). Keys are written in decimal ("53") or hex ("0x35").
 * - LPM tries: keys are IP prefixes; the key is a u32 prefix length (host
 *   order) followed by the address (network order): 8 bytes for IPv4, 20
 *   for IPv6. Values are integers as above.
 *
 * Per-CPU maps take one value here; the state layer gives it to every CPU.
 * The planner uses the decoding side to show map changes as text.
 */
import { createHash } from "node:crypto";
import { MapType, type MapEntry, type MapSpec } from "../../state/index.js";
import { formatIpPrefix, networkOf, parseIpPrefix, type IpPrefix } from "./ip-prefix.js";

/** One entry as the config writes it. */
export interface ConfigMapEntry {
  /** As written: "53", "0x35", "10.0.0.0/8". */
  key: string;
  /** An integer; bigint where it exceeds 2^53. */
  value: number | bigint;
}

/** What is wrong, and with which part: the map as a whole, or one entry's key or value. */
export interface MapValueProblem {
  part: "map" | "key" | "value";
  /** Index into the entries given, for "key" and "value". */
  entry?: number;
  message: string;
}

export type EncodedMap = { ok: true; entries: MapEntry[] } | { ok: false; problems: MapValueProblem[] };

/** Map types whose keys and values are plain integers. */
const INTEGER_MAPS = new Set<number>([MapType.HASH, MapType.ARRAY, MapType.PERCPU_HASH, MapType.PERCPU_ARRAY, MapType.LRU_HASH, MapType.LRU_PERCPU_HASH]);
const ARRAY_MAPS = new Set<number>([MapType.ARRAY, MapType.PERCPU_ARRAY]);
const INTEGER_SIZES = [1, 2, 4, 8];
/** LPM trie key sizes: u32 prefix length + address. */
const LPM_KEY_SIZE = { 4: 8, 6: 20 } as const;

/**
 * Encodes a map's configured entries, sorted by key bytes. Reports every
 * problem at once: a map nfctl cannot write (then nothing else), or each
 * bad key and value.
 *
 * @example
 *     encodeMapEntries(portsSpec, [{ key: "53", value: 1 }, { key: "0x1bb", value: 1 }])
 *     // { ok: true, entries: [{ key: <35 00>, value: <01 00 00 00> }, { key: <bb 01>, value: <01 00 00 00> }] }
 *     encodeMapEntries(portsSpec, [{ key: "70000", value: 1 }])
 *     // { ok: false, problems: [{ part: "key", entry: 0, message: "key 70000 does not fit the 2-byte key of map ports (at most 65535)" }] }
 */
export function encodeMapEntries(spec: MapSpec, entries: readonly ConfigMapEntry[]): EncodedMap {
  const unwritable = unwritableReason(spec);
  if (unwritable) return { ok: false, problems: [{ part: "map", message: unwritable }] };
  const problems: MapValueProblem[] = [];
  const encoded: MapEntry[] = [];
  const firstByKey = new Map<string, string>();
  entries.forEach((entry, index) => {
    const key = spec.type === MapType.LPM_TRIE ? lpmKey(spec, entry.key) : integerKey(spec, entry.key);
    const value = integerBytes(BigInt(entry.value), spec.valueSize, `value ${entry.value} for key ${entry.key}`, `value of map ${spec.name}`);
    if (typeof key === "string") problems.push({ part: "key", entry: index, message: key });
    if (typeof value === "string") problems.push({ part: "value", entry: index, message: value });
    if (typeof key === "string" || typeof value === "string") return;
    const earlier = firstByKey.get(key.toString("hex"));
    if (earlier !== undefined) {
      problems.push({ part: "key", entry: index, message: `key ${entry.key} is the same entry as key ${earlier}` });
      return;
    }
    firstByKey.set(key.toString("hex"), entry.key);
    encoded.push({ key, value });
  });
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, entries: encoded.sort((a, b) => Buffer.compare(a.key, b.key)) };
}

/**
 * The canonical text of one entry: decimal integers, prefixes with their
 * length. Bytes of a layout nfctl does not write are shown as the
 * little-endian integer they spell.
 *
 * @example
 *     decodeMapEntry(blocklistV4Spec, Buffer.from("080000000a000000", "hex"), Buffer.from("01000000", "hex"))
 *     // { key: "10.0.0.0/8", value: "1" }
 */
export function decodeMapEntry(spec: MapSpec, key: Buffer, value: Buffer): { key: string; value: string } {
  const family = spec.type === MapType.LPM_TRIE ? lpmFamily(key.length) : undefined;
  const keyText = family ? formatIpPrefix({ family, length: key.readUInt32LE(0), address: key.subarray(4) }) : littleEndian(key).toString();
  return { key: keyText, value: littleEndian(value).toString() };
}

/**
 * Entries as `key: value` lines in a stable order (numbers by value,
 * prefixes by address), for plans and diffs.
 *
 * @example
 *     formatMapEntries(portsSpec, entries) // ["53: 1", "443: 1", "8080: 1"]
 */
export function formatMapEntries(spec: MapSpec, entries: readonly MapEntry[]): string[] {
  const lines = entries.map(({ key, value }) => {
    const text = decodeMapEntry(spec, key, value);
    return `${text.key}: ${text.value}`;
  });
  return lines.sort(NATURAL_ORDER.compare);
}

/** Compares digit runs as numbers: "9" before "10", "10.0.0.0/8" before "192.168.0.0/16". */
const NATURAL_ORDER = new Intl.Collator("en", { numeric: true });

/**
 * sha256 over the configured contents of an NF's maps: map names, keys and
 * values. The same contents give the same digest however the YAML orders
 * or spells them (0x35 and 53 are one key).
 *
 * @example
 *     mapsDigest([{ name: "ports", entries }]) // "3f1c…" (64 hex digits)
 */
export function mapsDigest(maps: ReadonlyArray<{ name: string; entries: readonly MapEntry[] }>): string {
  // Map names are C identifiers and the rest is hex, so "=" and JSON's
  // quoting keep every part apart; plain sort() orders by code unit.
  const canonical = maps.map((map) => JSON.stringify([map.name, map.entries.map((e) => `${e.key.toString("hex")}=${e.value.toString("hex")}`).sort()])).sort();
  return createHash("sha256").update(canonical.join("\n")).digest("hex");
}

/** Whether a config can set this map's contents (then a plan compares them with the kernel's). */
export function isSettableMap(spec: MapSpec): boolean {
  return unwritableReason(spec) === undefined;
}

/** Why nfctl cannot fill this map from the config, or undefined when it can. */
function unwritableReason(spec: MapSpec): string | undefined {
  const sizes = "nfctl can only write integers of 1, 2, 4 or 8 bytes";
  if (spec.type === MapType.LPM_TRIE) {
    if (!lpmFamily(spec.keySize)) {
      return `map ${spec.name} is an LPM trie with ${spec.keySize}-byte keys; nfctl can only write IPv4 (8-byte) and IPv6 (20-byte) prefix keys`;
    }
  } else if (INTEGER_MAPS.has(spec.type)) {
    if (!INTEGER_SIZES.includes(spec.keySize)) return `the key of map ${spec.name} is ${spec.keySize} bytes; ${sizes}`;
  } else {
    return `nfctl cannot set map ${spec.name} of type ${mapTypeName(spec.type)} from the config`;
  }
  if (!INTEGER_SIZES.includes(spec.valueSize)) return `the value of map ${spec.name} is ${spec.valueSize} bytes; ${sizes}`;
  return undefined;
}

function mapTypeName(type: number): string {
  return Object.entries(MapType).find(([, value]) => value === type)?.[0] ?? `${type}`;
}

function integerKey(spec: MapSpec, written: string): Buffer | string {
  const number = parseUnsigned(written);
  if (typeof number === "string") return `key ${written} ${number}`;
  if (ARRAY_MAPS.has(spec.type) && number >= BigInt(spec.maxEntries)) {
    return `index ${written} is out of range: map ${spec.name} is an array of ${spec.maxEntries} entries (0 to ${spec.maxEntries - 1})`;
  }
  return integerBytes(number, spec.keySize, `key ${written}`, `key of map ${spec.name}`);
}

/** A decimal or 0x-hex unsigned integer, or why the text is not one. */
function parseUnsigned(text: string): bigint | string {
  if (/^[0-9]+$/.test(text) || /^0x[0-9a-f]+$/i.test(text)) return BigInt(text);
  if (/^-(0x)?[0-9a-f]+$/i.test(text)) return "is negative; map keys are unsigned integers";
  return "is not an integer; write it in decimal (53) or hex (0x35)";
}

/** `value` as a little-endian unsigned integer of `size` bytes, or why it does not fit. */
function integerBytes(value: bigint, size: number, what: string, slot: string): Buffer | string {
  if (value < 0n) return `${what} is negative; nfctl writes unsigned integers`;
  const max = (1n << BigInt(8 * size)) - 1n;
  if (value > max) return `${what} does not fit the ${size}-byte ${slot} (at most ${max})`;
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = Number((value >> BigInt(8 * i)) & 0xffn);
  return bytes;
}

function littleEndian(bytes: Buffer): bigint {
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]!);
  return value;
}

function lpmFamily(keySize: number): IpPrefix["family"] | undefined {
  return keySize === LPM_KEY_SIZE[4] ? 4 : keySize === LPM_KEY_SIZE[6] ? 6 : undefined;
}

function lpmKey(spec: MapSpec, written: string): Buffer | string {
  const prefix = parseIpPrefix(written);
  if (typeof prefix === "string") return prefix;
  const family = lpmFamily(spec.keySize)!;
  if (prefix.family !== family) {
    return `"${written}" is an IPv${prefix.family} prefix, but map ${spec.name} holds IPv${family} prefixes (${spec.keySize}-byte keys)`;
  }
  const network = networkOf(prefix);
  if (!network.address.equals(prefix.address)) {
    return `"${written}" has host bits set beyond the /${prefix.length}; the network is ${formatIpPrefix(network)}`;
  }
  const key = Buffer.alloc(spec.keySize);
  key.writeUInt32LE(prefix.length, 0);
  prefix.address.copy(key, 4);
  return key;
}
