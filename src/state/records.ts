/**
 * Generation records: what produced each generation of each hook, one JSON
 * document per generation in a pinned BPF hash map at <root>/records.
 *
 * Keeping them in bpffs means a reboot clears records and kernel state
 * together, so they cannot disagree across one. Records explain; the kernel
 * is the truth (see observe.ts).
 *
 * The same map holds a few values of nfctl's own under reserved keys
 * ("nfctl/..."), such as the state's lineage and serial (lineage.ts). A
 * generation's key starts with its network namespace's inode number, so
 * the two never collide.
 */
import { existsSync } from "node:fs";
import type { Hook } from "./layout.js";
import type { CodeOrigin } from "./code-source.js";
import { recordsPath } from "./layout.js";
import { createMap, pinObject, openPinned, lookup, update, remove, keys, mapInfo, MapType, MapFlags, type MapHandle, type XdpMode } from "../native/index.js";

export const RECORD_FORMAT_VERSION = 1;
export const RECORD_KEY_SIZE = 256;
/** A u32 length, then the JSON text, zero padded. */
export const RECORD_VALUE_SIZE = 32 * 1024;
const RECORDS_MAX = 4096;
/** Keys of nfctl's own values; never a generation's (those start with a number). */
export const RESERVED_KEY_PREFIX = "nfctl/";

export interface NfRecord {
  name: string;
  /** Absolute path of the object file as loaded. */
  object: string;
  /** sha256 of the object file, hex. */
  digest: string;
  /** The artifact or image the object came from: its reference and the digest it resolved to. */
  origin?: CodeOrigin;
  version?: string;
  program: string;
  /** The kernel's ID of the program as loaded for this generation. */
  progId?: number;
  /** Verdict names the NF passes the packet on after, as configured. */
  proceedOn?: string[];
  /** The nf_proceed_mask written to .rodata; absent for chain-unaware NFs. */
  proceedMask?: number;
  /** sha256 of the NF's configured map contents, hex. */
  mapsDigest?: string;
}

export interface GenerationRecord {
  formatVersion: number;
  netns: number;
  ifname: string;
  ifindex: number;
  hook: Hook;
  generation: number;
  /** How the chain is attached: a bpf_link (XDP, TCX) or a clsact filter. */
  attachment: "link" | "tc-legacy";
  mode?: XdpMode;
  nfs: NfRecord[];
  source?: { path?: string; revision?: string };
  createdAt: string;
}

export function encodeRecordKey(key: string): Buffer {
  const bytes = Buffer.from(key, "utf8");
  if (bytes.length >= RECORD_KEY_SIZE) throw new Error(`record key too long (${bytes.length} bytes): ${key}`);
  const out = Buffer.alloc(RECORD_KEY_SIZE);
  bytes.copy(out);
  return out;
}

export function decodeRecordKey(buf: Buffer): string {
  const end = buf.indexOf(0);
  return buf.toString("utf8", 0, end < 0 ? buf.length : end);
}

/** A JSON text as a map value: a u32 length, then the text, zero padded. `what` names it in the error when it does not fit. */
export function encodeJsonValue(json: string, what: string): Buffer {
  const bytes = Buffer.from(json, "utf8");
  if (bytes.length > RECORD_VALUE_SIZE - 4) throw new Error(`${what} is ${bytes.length} bytes, over the ${RECORD_VALUE_SIZE - 4} a record holds`);
  const out = Buffer.alloc(RECORD_VALUE_SIZE);
  out.writeUInt32LE(bytes.length, 0);
  bytes.copy(out, 4);
  return out;
}

/** The JSON text of a map value made by encodeJsonValue, parsed. */
export function decodeJsonValue(buf: Buffer): unknown {
  const length = buf.readUInt32LE(0);
  if (length > buf.length - 4) throw new Error(`corrupt record: length ${length} exceeds ${buf.length - 4}`);
  return JSON.parse(buf.toString("utf8", 4, 4 + length));
}

export function encodeRecord(record: GenerationRecord): Buffer {
  return encodeJsonValue(JSON.stringify(record), `record of generation ${record.generation} on ${record.ifname}/${record.hook}`);
}

export function decodeRecord(buf: Buffer): GenerationRecord {
  const record = decodeJsonValue(buf) as GenerationRecord;
  if (record.formatVersion !== RECORD_FORMAT_VERSION) {
    throw new Error(`record format version ${record.formatVersion} is not supported (this nfctl reads version ${RECORD_FORMAT_VERSION})`);
  }
  return record;
}

/** The pinned records map. Open with openRecords(); close() when done (closing again does nothing). */
export interface RecordStore {
  get(key: string): GenerationRecord | undefined;
  put(key: string, record: GenerationRecord): void;
  delete(key: string): void;
  /** The keys of generation records, sorted; reserved keys are not listed. */
  keys(): string[];
  /** The raw value under a key (a reserved one: see lineage.ts). */
  getValue(key: string): Buffer | undefined;
  putValue(key: string, value: Buffer): void;
  close(): void;
}

/**
 * Opens the records map, creating and pinning it on first use; with
 * `create: false`, undefined when there is none yet.
 */
export function openRecords(root: string, options: { create: false }): RecordStore | undefined;
export function openRecords(root: string, options?: { create: true }): RecordStore;
export function openRecords(root: string, options: { create: boolean } = { create: true }): RecordStore | undefined {
  const path = recordsPath(root);
  if (!existsSync(path) && !options.create) return undefined;
  const map = existsSync(path) ? openRecordsMap(path) : createRecordsMap(path);
  return {
    get(key) {
      const value = lookup(map, encodeRecordKey(key), RECORD_VALUE_SIZE, `${path} key ${key}`);
      return value && decodeRecord(value);
    },
    put(key, record) {
      update(map, encodeRecordKey(key), encodeRecord(record), `${path} key ${key}`);
    },
    getValue(key) {
      return lookup(map, encodeRecordKey(key), RECORD_VALUE_SIZE, `${path} key ${key}`);
    },
    putValue(key, value) {
      update(map, encodeRecordKey(key), value, `${path} key ${key}`);
    },
    delete(key) {
      remove(map, encodeRecordKey(key), `${path} key ${key}`);
    },
    keys() {
      return keys(map, RECORD_KEY_SIZE, path)
        .map(decodeRecordKey)
        .filter((key) => !key.startsWith(RESERVED_KEY_PREFIX))
        .sort();
    },
    close() {
      map.close();
    },
  };
}

function openRecordsMap(path: string): MapHandle {
  const map = openPinned("map", path);
  const info = mapInfo(map);
  if (info.keySize !== RECORD_KEY_SIZE || info.valueSize !== RECORD_VALUE_SIZE) {
    map.close();
    throw new Error(`${path} is not an nfctl records map (key ${info.keySize} bytes, value ${info.valueSize} bytes)`);
  }
  return map;
}

function createRecordsMap(path: string): MapHandle {
  const map = createMap({
    type: MapType.HASH,
    name: "nfctl_records",
    keySize: RECORD_KEY_SIZE,
    valueSize: RECORD_VALUE_SIZE,
    maxEntries: RECORDS_MAX,
    flags: MapFlags.NO_PREALLOC,
  });
  try {
    pinObject(map, path);
  } catch (err) {
    map.close();
    throw err;
  }
  return map;
}
