/**
 * Owned descriptors of kernel objects: programs, maps and links. A handle
 * knows its kind, so a map cannot be passed where a program is expected,
 * and it knows where it came from, for messages. close() closes the fd
 * once (it is idempotent); the fd refuses use after that.
 *
 * A BpfObject lends out handles to the fds libbpf holds for it (see
 * object.ts): those are borrowed, their close() does nothing, and they
 * refuse use once the object is closed.
 *
 * @example
 *     const prog = openPinned("prog", "/sys/fs/bpf/nfctl/4026531840/eth1/xdp/gen-3/0-blocklist/prog");
 *     try {
 *       programInfo(prog).id;
 *     } finally {
 *       prog.close();
 *     }
 *     withHandle(openPinned("map", pin), mapInfo); // closed after the call
 */
import { closeSync, readlinkSync } from "node:fs";
import { constants } from "node:os";
import { lazyFunc, libbpf } from "./libraries.js";
import { NativeError, checkRet } from "./errors.js";
import type { ObjectKind } from "./constants.js";

export interface Handle<K extends ObjectKind> {
  readonly kind: K;
  /** The raw fd, for the native layer's calls; throws once closed. */
  readonly fd: number;
  /** What it refers to, for messages: a pin path, "prog id 42", "counter.o:xdp_counter". */
  readonly origin: string;
  /** Closes the fd; idempotent. */
  close(): void;
}

export type ProgramHandle = Handle<"prog">;
export type MapHandle = Handle<"map">;
export type LinkHandle = Handle<"link">;

const { ENOENT } = constants.errno;

const objPin = lazyFunc(libbpf, "int bpf_obj_pin(int fd, const char *path)");
const objGet = lazyFunc(libbpf, "int bpf_obj_get(const char *path)");
const fdById = {
  prog: lazyFunc(libbpf, "int bpf_prog_get_fd_by_id(uint32_t id)"),
  map: lazyFunc(libbpf, "int bpf_map_get_fd_by_id(uint32_t id)"),
  link: lazyFunc(libbpf, "int bpf_link_get_fd_by_id(uint32_t id)"),
};
const nextId = {
  prog: lazyFunc(libbpf, "int bpf_prog_get_next_id(uint32_t start, _Out_ uint32_t *next)"),
  map: lazyFunc(libbpf, "int bpf_map_get_next_id(uint32_t start, _Out_ uint32_t *next)"),
  link: lazyFunc(libbpf, "int bpf_link_get_next_id(uint32_t start, _Out_ uint32_t *next)"),
};

const KIND_NAMES: Record<ObjectKind, string> = { prog: "program", map: "map", link: "link" };

let openCount = 0;

/**
 * Owned handles and BPF objects this process has open now. A test that
 * compares it before and after an operation finds descriptors it leaked.
 */
export function openHandleCount(): number {
  return openCount;
}

/** Counts one more owner of descriptors open; the returned function counts it closed, once. */
export function countOpen(): () => void {
  openCount += 1;
  let counted = true;
  return () => {
    if (counted) openCount -= 1;
    counted = false;
  };
}

class OwnedHandle<K extends ObjectKind> implements Handle<K> {
  private raw: number | undefined;
  private readonly countClosed = countOpen();

  constructor(
    readonly kind: K,
    fd: number,
    readonly origin: string,
  ) {
    this.raw = fd;
  }

  get fd(): number {
    if (this.raw === undefined) throw new Error(`${KIND_NAMES[this.kind]} handle ${this.origin} used after close()`);
    return this.raw;
  }

  close(): void {
    if (this.raw === undefined) return;
    const fd = this.raw;
    this.raw = undefined;
    this.countClosed();
    closeSync(fd);
  }
}

class BorrowedHandle<K extends ObjectKind> implements Handle<K> {
  constructor(
    readonly kind: K,
    private readonly raw: number,
    readonly origin: string,
    private readonly ownerOpen: () => boolean,
  ) {}

  get fd(): number {
    if (!this.ownerOpen()) throw new Error(`${KIND_NAMES[this.kind]} handle ${this.origin} used after its BPF object was closed`);
    return this.raw;
  }

  /** Does nothing: the owner closes the fd. */
  close(): void {}
}

/** Takes ownership of a fresh fd. */
export function ownHandle<K extends ObjectKind>(kind: K, fd: number, origin: string): Handle<K> {
  return new OwnedHandle(kind, fd, origin);
}

/** Lends out an fd that `ownerOpen` says is valid, and that its owner closes. */
export function borrowHandle<K extends ObjectKind>(kind: K, fd: number, origin: string, ownerOpen: () => boolean): Handle<K> {
  return new BorrowedHandle(kind, fd, origin, ownerOpen);
}

/** The kind of object a BPF fd refers to, by its anon inode: "bpf-prog", "bpf-map", "bpf_link". */
function kindOfFd(fd: number): ObjectKind | undefined {
  const m = /^anon_inode:bpf[-_](prog|map|link)$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
  return m ? (m[1] as ObjectKind) : undefined;
}

/** Pins the object at `path` on bpffs; it then lives until the pin is removed. */
export function pinObject(handle: Handle<ObjectKind>, path: string): void {
  checkRet(objPin(handle.fd, path) as number, "bpf_obj_pin", `${handle.origin} -> ${path}`);
}

/**
 * Opens the object pinned at `path`, which must be of `kind`; the caller
 * closes the handle.
 */
export function openPinned<K extends ObjectKind>(kind: K, path: string): Handle<K> {
  const handle = findPinned(kind, path);
  if (handle === undefined) throw new NativeError("bpf_obj_get", path, ENOENT);
  return handle;
}

/** Like openPinned, but undefined when nothing is pinned at `path`: one bpf_obj_get, no stat before it. */
export function findPinned<K extends ObjectKind>(kind: K, path: string): Handle<K> | undefined {
  const ret = objGet(path) as number;
  if (ret === -ENOENT) return undefined;
  const fd = checkRet(ret, "bpf_obj_get", path);
  const found = kindOfFd(fd);
  if (found !== kind) {
    closeSync(fd);
    throw new Error(`${path} is ${found ? `a ${KIND_NAMES[found]}` : "no BPF object nfctl knows"}, not a ${KIND_NAMES[kind]}`);
  }
  return ownHandle(kind, fd, path);
}

/** Opens an object of `kind` by kernel ID; the caller closes the handle. */
export function openById<K extends ObjectKind>(kind: K, id: number): Handle<K> {
  const fd = checkRet(fdById[kind](id) as number, `bpf_${kind}_get_fd_by_id`, `${kind} id ${id}`);
  return ownHandle(kind, fd, `${kind} id ${id}`);
}

/** Runs `fn` with a handle and closes it afterwards, also when `fn` throws. */
export function withHandle<H extends Handle<ObjectKind>, T>(handle: H, fn: (handle: H) => T): T {
  try {
    return fn(handle);
  } finally {
    handle.close();
  }
}

/** Every ID of that kind the kernel has now, ascending. */
export function listIds(kind: ObjectKind): number[] {
  const ids: number[] = [];
  const next = [0];
  for (let id = 0; ; id = next[0]!) {
    const ret = nextId[kind](id, next) as number;
    if (ret === -ENOENT /* no more */) return ids;
    checkRet(ret, `bpf_${kind}_get_next_id`, `after ${kind} id ${id}`);
    ids.push(next[0]!);
  }
}
