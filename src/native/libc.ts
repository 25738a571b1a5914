/**
 * The few libc calls nfctl needs: interface names, advisory locks, errno
 * text, mounting bpffs, entering network namespaces and handing freed
 * heap back to the system.
 */
import { closeSync, openSync } from "node:fs";
import { koffi, lazyFunc, libc } from "./libraries.js";
import { NativeError } from "./errors.js";

const ifNametoindexFn = lazyFunc(libc, "unsigned int if_nametoindex(const char *ifname)");
const flockFn = lazyFunc(libc, "int flock(int fd, int operation)");
const strerrorFn = lazyFunc(libc, "const char *strerror(int errnum)");
const mountFn = lazyFunc(libc, "int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const void *data)");
const statfsFn = lazyFunc(libc, "int statfs(const char *path, _Out_ uint8_t *buf)");
const setnsFn = lazyFunc(libc, "int setns(int fd, int nstype)");
const mallocTrimFn = lazyFunc(libc, "int malloc_trim(size_t pad)");

/** Linux `struct statfs` is 120 bytes on 64-bit; f_type is its first field. */
const STATFS_SIZE = 120;
const BPF_FS_MAGIC = 0xcafe4a11;
const CLONE_NEWNET = 0x40000000;

const LOCK_EX = 2;
const LOCK_NB = 4;
const LOCK_UN = 8;

export function strerror(errno: number): string {
  return strerrorFn(errno) as string;
}

function fail(call: string, object: string): never {
  throw new NativeError(call, object, koffi().errno());
}

/** Resolves an interface name in the calling thread's network namespace. */
export function ifNameToIndex(ifname: string): number {
  const index = ifNametoindexFn(ifname) as number;
  if (index === 0) fail("if_nametoindex", ifname);
  return index;
}

/** Like ifNameToIndex, but undefined when the interface does not exist. */
export function findIfIndex(ifname: string): number | undefined {
  const index = ifNametoindexFn(ifname) as number;
  return index === 0 ? undefined : index;
}

/**
 * flock(2). Returns false when `operation` includes LOCK_NB and the lock is
 * held elsewhere.
 */
function flock(fd: number, operation: number, what: string): boolean {
  if ((flockFn(fd, operation) as number) === 0) return true;
  const errno = koffi().errno();
  if (errno === 11 /* EWOULDBLOCK */) return false;
  throw new NativeError("flock", what, errno);
}

/** A file held open to take an exclusive flock(2) on. */
export interface FileLock {
  /** Takes the lock without waiting; false while another process holds it. */
  tryLock(): boolean;
  /** Releases the lock, if held, and closes the file; idempotent. */
  release(): void;
}

/**
 * Opens `path` (a file or directory) for locking.
 *
 * @example
 *     const lock = openFileLock("/sys/fs/bpf/nfctl");
 *     if (lock.tryLock()) try { ... } finally { lock.release(); }
 */
export function openFileLock(path: string): FileLock {
  const fd = openSync(path, "r");
  let open = true;
  return {
    tryLock: () => flock(fd, LOCK_EX | LOCK_NB, path),
    release() {
      if (!open) return;
      open = false;
      try {
        flock(fd, LOCK_UN, path);
      } finally {
        closeSync(fd);
      }
    },
  };
}

/** True when `path` is on a bpf filesystem. */
export function isBpffs(path: string): boolean {
  const buf = Buffer.alloc(STATFS_SIZE);
  if ((statfsFn(path, buf) as number) !== 0) fail("statfs", path);
  return Number(buf.readBigInt64LE(0)) === BPF_FS_MAGIC;
}

export function mountBpffs(target: string): void {
  if ((mountFn("bpf", target, "bpf", 0, null) as number) !== 0) fail("mount", `bpffs on ${target}`);
}

/** Moves the calling thread into the network namespace open at `fd`. */
export function enterNetns(fd: number, what: string): void {
  if ((setnsFn(fd, CLONE_NEWNET) as number) !== 0) fail("setns", what);
}

/**
 * malloc_trim(3): returns the C heap's free pages (libbpf's and koffi's
 * freed buffers) to the system. glibc keeps them otherwise, so a daemon's
 * resident set would stay at its busiest moment's.
 */
export function trimCHeap(): void {
  mallocTrimFn(0);
}
