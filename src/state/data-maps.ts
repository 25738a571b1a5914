/**
 * Reading and writing an NF's data maps through their pins. Per-CPU maps
 * hold one value per possible CPU: writes give every CPU the same value,
 * reads return all of them.
 */
import { hookPaths, type HookAddress } from "./layout.js";
import { openPinned, withHandle, mapInfo, lookup, update, remove, keys, possibleCpus, MapType, type MapInfo } from "../native/index.js";

export interface MapEntry {
  key: Buffer;
  value: Buffer;
}

export interface MapContents {
  info: MapInfo;
  /** For per-CPU maps, `values` has one buffer per possible CPU. */
  entries: Array<{ key: Buffer; values: Buffer[] }>;
}

const PER_CPU_TYPES = new Set<number>([MapType.PERCPU_ARRAY, MapType.PERCPU_HASH, MapType.LRU_PERCPU_HASH]);
const ARRAY_TYPES = new Set<number>([MapType.ARRAY, MapType.PERCPU_ARRAY]);

function slotSize(info: MapInfo): number {
  return Math.ceil(info.valueSize / 8) * 8;
}

function cpuCount(info: MapInfo): number {
  return PER_CPU_TYPES.has(info.type) ? possibleCpus() : 1;
}

function expand(info: MapInfo, value: Buffer): Buffer {
  if (!PER_CPU_TYPES.has(info.type)) return value;
  const out = Buffer.alloc(slotSize(info) * possibleCpus());
  for (let cpu = 0; cpu < possibleCpus(); cpu++) value.copy(out, cpu * slotSize(info));
  return out;
}

/** Reads every entry of a pinned data map. */
export function readDataMap(root: string, addr: HookAddress, nf: string, map: string): MapContents {
  const path = hookPaths(root, addr).dataMap(nf, map);
  return withHandle(openPinned("map", path), (dataMap) => {
    const info = mapInfo(dataMap);
    const cpus = cpuCount(info);
    const size = cpus > 1 ? slotSize(info) * cpus : info.valueSize;
    const entries = keys(dataMap, info.keySize, path).flatMap((key) => {
      const raw = lookup(dataMap, key, size, path);
      if (!raw) return [];
      const values = Array.from({ length: cpus }, (_, cpu) => (cpus > 1 ? raw.subarray(cpu * slotSize(info), cpu * slotSize(info) + info.valueSize) : raw));
      return [{ key, values }];
    });
    return { info, entries };
  });
}

/**
 * Makes a pinned data map hold exactly `entries`: listed keys are written,
 * other keys are deleted (array maps, which cannot delete, have them zeroed).
 */
export function syncDataMap(root: string, addr: HookAddress, nf: string, map: string, entries: MapEntry[]): void {
  const path = hookPaths(root, addr).dataMap(nf, map);
  withHandle(openPinned("map", path), (dataMap) => {
    const info = mapInfo(dataMap);
    for (const { key, value } of entries) {
      if (key.length !== info.keySize || value.length !== info.valueSize) {
        throw new Error(
          `map ${map} of NF "${nf}": entry of ${key.length}+${value.length} bytes does not fit key ${info.keySize} + value ${info.valueSize} bytes`,
        );
      }
      update(dataMap, key, expand(info, value), `${path}`);
    }
    const wanted = new Set(entries.map((e) => e.key.toString("hex")));
    for (const key of keys(dataMap, info.keySize, path)) {
      if (wanted.has(key.toString("hex"))) continue;
      if (ARRAY_TYPES.has(info.type)) update(dataMap, key, expand(info, Buffer.alloc(info.valueSize)), path);
      else remove(dataMap, key, path);
    }
  });
}
