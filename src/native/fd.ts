/**
 * File descriptors for kernel objects (programs, maps, links): pinning to
 * bpffs, opening pins, lookup by ID, and closing.
 */
import { closeSync } from "node:fs";
import { lazyFunc, libbpf } from "./libraries.js";
import { checkRet } from "./errors.js";
import type { ObjectKind } from "./constants.js";

const objPin = lazyFunc(libbpf, "int bpf_obj_pin(int fd, const char *path)");
const objGet = lazyFunc(libbpf, "int bpf_obj_get(const char *path)");
const progFdById = lazyFunc(libbpf, "int bpf_prog_get_fd_by_id(uint32_t id)");
const mapFdById = lazyFunc(libbpf, "int bpf_map_get_fd_by_id(uint32_t id)");
const linkFdById = lazyFunc(libbpf, "int bpf_link_get_fd_by_id(uint32_t id)");
const progNextId = lazyFunc(libbpf, "int bpf_prog_get_next_id(uint32_t start, _Out_ uint32_t *next)");
const mapNextId = lazyFunc(libbpf, "int bpf_map_get_next_id(uint32_t start, _Out_ uint32_t *next)");
const linkNextId = lazyFunc(libbpf, "int bpf_link_get_next_id(uint32_t start, _Out_ uint32_t *next)");

/** Pins `fd` at `path` on bpffs; the object then lives until the pin is removed. */
export function pinObject(fd: number, path: string): void {
  checkRet(objPin(fd, path) as number, "bpf_obj_pin", path);
}

/** Opens the object pinned at `path`; the caller closes the fd. */
export function openPinned(path: string): number {
  return checkRet(objGet(path) as number, "bpf_obj_get", path);
}

/** Opens an object by kernel ID; the caller closes the fd. */
export function openById(kind: ObjectKind, id: number): number {
  const fn = kind === "prog" ? progFdById : kind === "map" ? mapFdById : linkFdById;
  return checkRet(fn(id) as number, `bpf_${kind}_get_fd_by_id`, `${kind} id ${id}`);
}

/** Every ID of that kind the kernel has now, ascending. */
export function listIds(kind: ObjectKind): number[] {
  const fn = kind === "prog" ? progNextId : kind === "map" ? mapNextId : linkNextId;
  const ids: number[] = [];
  const next = [0];
  for (let id = 0; ; id = next[0]!) {
    const ret = fn(id, next) as number;
    if (ret === -2 /* ENOENT: no more */) return ids;
    checkRet(ret, `bpf_${kind}_get_next_id`, `after ${kind} id ${id}`);
    ids.push(next[0]!);
  }
}

export function closeFd(fd: number): void {
  closeSync(fd);
}

/** Runs `fn` with an fd and closes it afterwards, also when `fn` throws. */
export function withFd<T>(fd: number, fn: (fd: number) => T): T {
  try {
    return fn(fd);
  } finally {
    closeSync(fd);
  }
}
