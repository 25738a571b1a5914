/**
 * Map operations on map handles: lookup, update, delete, iteration,
 * creation, and program arrays (whose slots take a program and read back a
 * program ID).
 */
import { lazyFunc, libbpf } from "./libraries.js";
import { checkRet } from "./errors.js";
import { UpdateFlags } from "./constants.js";
import { ownHandle, type MapHandle, type ProgramHandle } from "./handle.js";

const lookupElem = lazyFunc(libbpf, "int bpf_map_lookup_elem(int fd, const void *key, _Out_ uint8_t *value)");
const updateElem = lazyFunc(libbpf, "int bpf_map_update_elem(int fd, const void *key, const void *value, uint64_t flags)");
const deleteElem = lazyFunc(libbpf, "int bpf_map_delete_elem(int fd, const void *key)");
const getNextKey = lazyFunc(libbpf, "int bpf_map_get_next_key(int fd, const void *key, _Out_ uint8_t *next)");
const mapCreate = lazyFunc(
  libbpf,
  "int bpf_map_create(int type, const char *name, uint32_t key_size, uint32_t value_size, uint32_t max_entries, const void *opts)",
);
const numPossibleCpus = lazyFunc(libbpf, "int libbpf_num_possible_cpus(void)");

const ENOENT = 2;

/**
 * The value for `key`, or undefined when there is none. `valueSize` is the
 * size the syscall fills: for per-CPU maps, the rounded value size times the
 * number of possible CPUs (see perCpuValueSize).
 */
export function lookup(map: MapHandle, key: Buffer, valueSize: number, what: string): Buffer | undefined {
  const value = Buffer.alloc(valueSize);
  const ret = lookupElem(map.fd, key, value) as number;
  if (ret === -ENOENT) return undefined;
  checkRet(ret, "bpf_map_lookup_elem", what);
  return value;
}

export function update(map: MapHandle, key: Buffer, value: Buffer, what: string, flags: number = UpdateFlags.ANY): void {
  checkRet(updateElem(map.fd, key, value, flags) as number, "bpf_map_update_elem", what);
}

/** Deletes `key`; false when it was not there. */
export function remove(map: MapHandle, key: Buffer, what: string): boolean {
  const ret = deleteElem(map.fd, key) as number;
  if (ret === -ENOENT) return false;
  checkRet(ret, "bpf_map_delete_elem", what);
  return true;
}

/** Every key of a hash-like map (or every index of an array map). */
export function keys(map: MapHandle, keySize: number, what: string): Buffer[] {
  const out: Buffer[] = [];
  let key: Buffer | null = null;
  for (;;) {
    const next = Buffer.alloc(keySize);
    const ret = getNextKey(map.fd, key, next) as number;
    if (ret === -ENOENT) return out;
    checkRet(ret, "bpf_map_get_next_key", what);
    out.push(next);
    key = next;
  }
}

export interface MapDefinition {
  type: number;
  name: string;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  /** map_flags, e.g. MapFlags.NO_PREALLOC. */
  flags?: number;
}

/** Creates a map; the caller owns (and pins or closes) the handle. */
export function createMap(def: MapDefinition): MapHandle {
  // struct bpf_map_create_opts (48 bytes): map_flags at offset 28.
  const opts = Buffer.alloc(48);
  opts.writeBigUInt64LE(48n, 0);
  opts.writeUInt32LE(def.flags ?? 0, 28);
  const fd = checkRet(mapCreate(def.type, def.name, def.keySize, def.valueSize, def.maxEntries, opts) as number, "bpf_map_create", def.name);
  return ownHandle("map", fd, `new map ${def.name}`);
}

/** Number of possible CPUs: per-CPU maps hold one value slot for each. */
export function possibleCpus(): number {
  return checkRet(numPossibleCpus() as number, "libbpf_num_possible_cpus", "system");
}

/** Bytes the syscall reads or writes for one per-CPU value of `valueSize`. */
export function perCpuValueSize(valueSize: number): number {
  return Math.ceil(valueSize / 8) * 8 * possibleCpus();
}

function u32(value: number): Buffer {
  const buf = Buffer.alloc(4);
  buf.writeUInt32LE(value);
  return buf;
}

/** Puts `prog` into slot `index` of the program array `map` (the slot takes its fd). */
export function setProgramSlot(map: MapHandle, index: number, prog: ProgramHandle, what: string): void {
  update(map, u32(index), u32(prog.fd), `${what}[${index}]`);
}

/** The ID of the program in slot `index`, or undefined for an empty slot. */
export function programInSlot(map: MapHandle, index: number, what: string): number | undefined {
  return lookup(map, u32(index), 4, `${what}[${index}]`)?.readUInt32LE(0);
}

export function clearProgramSlot(map: MapHandle, index: number, what: string): void {
  remove(map, u32(index), `${what}[${index}]`);
}
