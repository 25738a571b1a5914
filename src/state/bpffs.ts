/**
 * nfctl's bpffs root: making sure it exists on a bpf filesystem, the
 * namespace key, and the advisory lock that keeps two nfctl runs apart.
 */
import { accessSync, constants, existsSync, mkdirSync, statSync, rmSync, readdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { isBpffs, mountBpffs, openFileLock } from "../native/index.js";

export const DEFAULT_ROOT = "/sys/fs/bpf/nfctl";
const STANDARD_MOUNT = "/sys/fs/bpf";

/**
 * The bpffs root from the flag, else NFCTL_BPFFS, else the default.
 */
export function resolveRoot(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return flag ?? env.NFCTL_BPFFS ?? DEFAULT_ROOT;
}

/**
 * Creates `root` on a bpf filesystem and checks that nfctl can write there.
 * Where no bpffs is mounted on the way, mounts one: on /sys/fs/bpf when the
 * root lies beneath it (the standard place, shared with other tools), else
 * on the root itself.
 */
export function ensureRoot(root: string): void {
  let existing = root;
  while (!existsSync(existing)) existing = dirname(existing);
  if (isBpffs(existing)) {
    mkdirSync(root, { recursive: true });
  } else if (existing === STANDARD_MOUNT && root.startsWith(`${STANDARD_MOUNT}/`)) {
    mountOrExplain(STANDARD_MOUNT);
    mkdirSync(root, { recursive: true });
  } else {
    mkdirSync(root, { recursive: true });
    mountOrExplain(root);
  }
  try {
    accessSync(root, constants.W_OK);
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === "EROFS" ? "it is on a read-only mount" : (err as Error).message;
    throw new Error(`bpffs root ${root} is not writable: ${why}`);
  }
}

/**
 * Mounts bpffs on `target`, or says in one line that none is there and
 * what to do: a container or a service without CAP_SYS_ADMIN (or whose
 * LSM forbids mount) cannot mount one, and should not, as a mount of its
 * own would vanish with it, and every pin in it.
 */
function mountOrExplain(target: string): void {
  try {
    mountBpffs(target);
  } catch (err) {
    throw new Error(
      `no bpffs is mounted on ${target} and nfctl could not mount one (${(err as Error).message}); mount it on the host first: mount -t bpf bpf ${target}`,
      { cause: err },
    );
  }
}

/** Inode number of the calling process's network namespace. */
export function currentNetns(): number {
  return statSync("/proc/self/ns/net").ino;
}

/** Subdirectory names of `dir`, or none when it does not exist. */
export function listDirs(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

/** Removes a directory tree of pins. Unpinning frees what nothing else holds. */
export function removeTree(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Removes `dir` and then each parent up to (not including) `stop` while they are empty. */
export function removeEmptyDirs(dir: string, stop: string): void {
  for (let d = dir; d.startsWith(`${stop}/`); d = dirname(d)) {
    if (!existsSync(d)) continue;
    if (readdirSync(d).length > 0) return;
    rmSync(d, { recursive: true });
  }
}

/**
 * The process holding a flock on `path`, from the kernel's /proc/locks
 * ("1: FLOCK  ADVISORY  WRITE 4242 00:1f:4711 0 EOF": pid, then
 * major:minor:inode), or undefined when it cannot be told.
 */
export function flockHolder(path: string): number | undefined {
  const ino = statSync(path).ino;
  for (const line of readFileSync("/proc/locks", "utf8").split("\n")) {
    const m = /^\d+:\s+FLOCK\s+\S+\s+\S+\s+(\d+)\s+[0-9a-f]+:[0-9a-f]+:(\d+)\s/.exec(line);
    if (m && Number(m[2]) === ino && Number(m[1]) !== process.pid) return Number(m[1]);
  }
  return undefined;
}

/**
 * An exclusive flock on the root directory, held until the returned
 * release function is called (or the process ends: the kernel drops the
 * lock of a dead process). Another holder makes it wait, up to
 * `timeoutMs`, and then throws an error naming the holder's pid.
 */
export async function lockRoot(root: string, timeoutMs: number): Promise<() => void> {
  const lock = openFileLock(root);
  const deadline = Date.now() + timeoutMs;
  try {
    while (!lock.tryLock()) {
      if (Date.now() >= deadline) {
        const holder = flockHolder(root);
        const who = holder === undefined ? "another nfctl" : `another nfctl (pid ${holder})`;
        throw new Error(`${who} holds the lock on ${root}; gave up after ${timeoutMs} ms (--lock-timeout)`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  } catch (err) {
    lock.release();
    throw err;
  }
  return () => lock.release();
}
