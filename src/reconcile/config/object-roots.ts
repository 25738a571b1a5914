/**
 * Where a config that other people write may take BPF code from. A config
 * of a shared source (a git repository, a directory `nfctl watch` follows)
 * may name objects inside that source, nfctl's bundled NFs, and the
 * directories the operator names with --object-path; nothing else on the
 * machine, however its path or its symbolic links lead there, and nothing
 * in a .git directory.
 */
import { lstatSync, readlinkSync, realpathSync } from "node:fs";
import { dirname, isAbsolute, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

/** The bundled NFs and test fixtures (bpf/build/ of the package; this module runs as dist/src/reconcile/config/object-roots.js). */
export const BUNDLED_OBJECTS = fileURLToPath(new URL("../../../../bpf/build", import.meta.url));

/** Links followed at most while resolving one path, as the kernel's MAXSYMLINKS. */
const MAX_LINKS = 40;

/**
 * The directories of `dirs` that exist, with their symbolic links resolved,
 * as resolveWithin wants them.
 *
 * @example
 *     objectRoots(["/var/lib/nfctl/cache/git/3f1c", BUNDLED_OBJECTS]) // ["/var/lib/nfctl/cache/git/3f1c", "/opt/nfctl/bpf/build"]
 */
export function objectRoots(dirs: readonly string[]): string[] {
  return dirs.flatMap((dir) => {
    try {
      return [realpathSync(dir)];
    } catch {
      return [];
    }
  });
}

/**
 * `path` (absolute) with its symbolic links resolved one component at a
 * time, as the kernel would follow them, or undefined when the place it
 * leads to is outside every directory of `roots` (see objectRoots). A
 * component that does not exist ends the walk, the rest taken as written:
 * opening it then says that it does not exist. So the answer for a path
 * outside the roots is the same whether or not a file is there.
 *
 * @example
 *     resolveWithin("/repo/nfs/counter.o", ["/repo"])  // "/repo/nfs/counter.o"
 *     resolveWithin("/repo/../etc/shadow", ["/repo"])  // undefined
 *     resolveWithin("/repo/link.o", ["/repo"])         // undefined, when link.o -> /tmp/evil.o
 */
export function resolveWithin(path: string, roots: readonly string[]): string | undefined {
  let pending = path.split(sep);
  let current: string = sep;
  let links = 0;
  while (pending.length > 0) {
    const name = pending.shift()!;
    if (name === "" || name === ".") continue;
    if (name === "..") {
      current = dirname(current);
      continue;
    }
    const next = join(current, name);
    let isLink: boolean;
    try {
      isLink = lstatSync(next).isSymbolicLink();
    } catch {
      current = resolve(next, ...pending);
      break;
    }
    if (!isLink) {
      current = next;
      continue;
    }
    // Too many links: left as written, for the open to say so (ELOOP).
    if (++links > MAX_LINKS) return within(path, roots) ? path : undefined;
    const target = readlinkSync(next);
    if (isAbsolute(target)) current = sep;
    pending = [...target.split(sep), ...pending];
  }
  return within(current, roots) ? current : undefined;
}

/** Inside a root, and not in a .git directory there: git's own files (a checkout's objects, config, hooks) are no commit's files. */
function within(path: string, roots: readonly string[]): boolean {
  return roots.some((root) => {
    const prefix = root === sep ? sep : `${root}${sep}`;
    if (path !== root && !path.startsWith(prefix)) return false;
    return !path.slice(prefix.length).split(sep).includes(".git");
  });
}
