/**
 * nfctl's bpffs root: making sure it exists on a bpf filesystem, the
 * namespace key, and the advisory lock that keeps two nfctl runs apart.
 */
import { existsSync, mkdirSync, openSync, closeSync, statSync, rmSync, readdirSync } from "node:fs";
import { dirname } from "node:path";
import { isBpffs, mountBpffs, flock, LOCK_EX, LOCK_NB, LOCK_UN } from "../native/index.js";

export const DEFAULT_ROOT = "/sys/fs/bpf/nfctl";
const STANDARD_MOUNT = "/sys/fs/bpf";

/**
 * The bpffs root from the flag, else NFCTL_BPFFS, else the default.
 */
export function resolveRoot(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return flag ?? env.NFCTL_BPFFS ?? DEFAULT_ROOT;
}

/**
 * Creates `root` on a bpf filesystem. Where no bpffs is mounted on the way,
 * mounts one: on /sys/fs/bpf when the root lies beneath it (the standard
 * place, shared with other tools), else on the root itself.
 */
export function ensureRoot(root: string): void {
  let existing = root;
  while (!existsSync(existing)) existing = dirname(existing);
  if (isBpffs(existing)) {
    mkdirSync(root, { recursive: true });
  } else if (existing === STANDARD_MOUNT && root.startsWith(`${STANDARD_MOUNT}/`)) {
    mountBpffs(STANDARD_MOUNT);
    mkdirSync(root, { recursive: true });
  } else {
    mkdirSync(root, { recursive: true });
    mountBpffs(root);
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
 * An exclusive flock on the root directory, held while the returned release
 * function has not been called. Another holder makes it wait, up to
 * `timeoutMs`, and then throws.
 */
export async function lockRoot(root: string, timeoutMs: number): Promise<() => void> {
  const fd = openSync(root, "r");
  const deadline = Date.now() + timeoutMs;
  while (!flock(fd, LOCK_EX | LOCK_NB, root)) {
    if (Date.now() >= deadline) {
      closeSync(fd);
      throw new Error(`another nfctl holds the lock on ${root}; gave up after ${timeoutMs} ms`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return () => {
    flock(fd, LOCK_UN, root);
    closeSync(fd);
  };
}
