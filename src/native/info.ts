/**
 * What the kernel says about a program, map or link (BPF_OBJ_GET_INFO_BY_FD).
 * Structures are read at their uapi offsets; the kernel fills what it knows
 * and the zeroed rest stays zero.
 */
import { koffi, lazyFunc, libbpf } from "./libraries.js";
import { checkRet } from "./errors.js";
import type { ObjectKind } from "./constants.js";
import type { Handle, LinkHandle, MapHandle, ProgramHandle } from "./handle.js";

const getInfoByFd = lazyFunc(libbpf, "int bpf_obj_get_info_by_fd(int fd, _Inout_ uint8_t *info, _Inout_ uint32_t *len)");

function readInfo(handle: Handle<ObjectKind>, size: number): Buffer {
  const info = Buffer.alloc(size);
  checkRet(getInfoByFd(handle.fd, info, [size]) as number, "bpf_obj_get_info_by_fd", `${handle.kind} ${handle.origin}`);
  return info;
}

function cString(buf: Buffer, offset: number, length: number): string {
  const end = buf.indexOf(0, offset);
  return buf.toString("utf8", offset, end < 0 || end > offset + length ? offset + length : end);
}

export interface ProgramInfo {
  id: number;
  type: number;
  /** The kernel's name for it: the first 15 bytes of the ELF program name. */
  name: string;
  /** Hex SHA-1 prefix of the translated instructions; equal tags, equal code. */
  tag: string;
  loadTimeNs: bigint;
  /** Total run time and run count; the kernel counts them only with kernel.bpf_stats_enabled=1. */
  runTimeNs: bigint;
  runCount: bigint;
}

/** IDs of the maps a program uses (struct bpf_prog_info nr_map_ids, map_ids). */
export function programMapIds(prog: ProgramHandle): number[] {
  const count = readInfo(prog, 232).readUInt32LE(52);
  if (count === 0) return [];
  const ids = new Uint32Array(count);
  const info = Buffer.alloc(232);
  info.writeUInt32LE(count, 52);
  info.writeBigUInt64LE(koffi().address(ids), 56);
  checkRet(getInfoByFd(prog.fd, info, [232]) as number, "bpf_obj_get_info_by_fd", `prog ${prog.origin} (map IDs)`);
  return Array.from(ids.subarray(0, Math.min(count, info.readUInt32LE(52))));
}

/** struct bpf_prog_info (232 bytes in 6.x). */
export function programInfo(prog: ProgramHandle): ProgramInfo {
  const info = readInfo(prog, 232);
  return {
    type: info.readUInt32LE(0),
    id: info.readUInt32LE(4),
    tag: info.subarray(8, 16).toString("hex"),
    loadTimeNs: info.readBigUInt64LE(40),
    name: cString(info, 64, 16),
    runTimeNs: info.readBigUInt64LE(192),
    runCount: info.readBigUInt64LE(200),
  };
}

export interface MapInfo {
  id: number;
  type: number;
  name: string;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
}

/** struct bpf_map_info (88 bytes in 6.x). */
export function mapInfo(map: MapHandle): MapInfo {
  const info = readInfo(map, 88);
  return {
    type: info.readUInt32LE(0),
    id: info.readUInt32LE(4),
    keySize: info.readUInt32LE(8),
    valueSize: info.readUInt32LE(12),
    maxEntries: info.readUInt32LE(16),
    flags: info.readUInt32LE(20),
    name: cString(info, 24, 16),
  };
}

export interface LinkInfo {
  id: number;
  type: number;
  progId: number;
  /** For XDP and TCX links; 0 once the interface is gone (the link is defunct). */
  ifindex: number;
  /** For TCX links: TCX_INGRESS or TCX_EGRESS. */
  attachType: number;
}

/** struct bpf_link_info: type, id, prog_id, then a per-type union at offset 16. */
export function linkInfo(link: LinkHandle): LinkInfo {
  const info = readInfo(link, 128);
  return {
    type: info.readUInt32LE(0),
    id: info.readUInt32LE(4),
    progId: info.readUInt32LE(8),
    ifindex: info.readUInt32LE(16),
    attachType: info.readUInt32LE(20),
  };
}
