/**
 * Where the git source may keep its clones. A cache under /proc or /sys
 * made `mkdirSync(..., { recursive: true })` spin for ever in one
 * synchronous call (mkdir /proc/x: ENOENT, so it makes /proc: EEXIST, and
 * again), deaf to SIGTERM. A kernel filesystem holds no clone, so it is
 * refused before anything is made there.
 */
import { statSync, statfsSync, type Stats } from "node:fs";
import { dirname, resolve } from "node:path";
import { SourceError, describeError } from "./snapshot.js";

/** statfs(2) f_type of the kernel's own filesystems (linux/magic.h): none of them is a disk. */
const KERNEL_FILESYSTEMS = new Map<number, string>([
  [0x9fa0, "proc"],
  [0x62656572, "sysfs"],
  [0x27e0eb, "cgroup"],
  [0x63677270, "cgroup2"],
  [0x64626720, "debugfs"],
  [0x74726163, "tracefs"],
  [0x73636673, "securityfs"],
  [0xcafe4a11, "bpf"],
  [0x1cd1, "devpts"],
  [0x62656570, "configfs"],
  [0x6165676c, "pstore"],
  [0xde5e81e4, "efivarfs"],
  [0xf97cff8c, "selinuxfs"],
  [0x42494e4d, "binfmt_misc"],
  [0x65735543, "fusectl"],
  [0x6e736673, "nsfs"],
  [0x19800202, "mqueue"],
  [0x958458f6, "hugetlbfs"],
]);

/**
 * Throws SourceError, one line, unless `dir` is a directory, or can be
 * made one, on a filesystem that is not one of the kernel's own: what of
 * it exists must be a directory (its nearest existing ancestor, when it
 * does not exist yet), and not on proc, sysfs, cgroup and the like.
 * `cache` names whose cache it is, in the message.
 *
 * @example
 *     checkCacheDir("/var/lib/nfctl/cache") // returns
 *     checkCacheDir("/proc/cache")          // throws: the git cache directory /proc/cache: /proc is on proc, a kernel filesystem, not a disk
 *     checkCacheDir("/proc/cache", "the artifact cache") // throws: the artifact cache directory /proc/cache: …
 */
export function checkCacheDir(dir: string, cache = "the git cache"): void {
  const what = `${cache} directory ${dir}`;
  let existing = resolve(dir);
  let stats: Stats;
  for (;;) {
    try {
      stats = statSync(existing);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT" || dirname(existing) === existing) {
        throw new SourceError("SourceFailed", `${what}: ${describeError(err)}`, { cause: err });
      }
      existing = dirname(existing);
    }
  }
  if (!stats.isDirectory())
    throw new SourceError("SourceFailed", `${what}: ${existing === resolve(dir) ? "not a directory" : `${existing} is not a directory`}`);
  const kind = KERNEL_FILESYSTEMS.get(statfsSync(existing).type);
  if (kind !== undefined) {
    throw new SourceError("SourceFailed", `${what}: ${existing} is on ${kind}, a kernel filesystem, not a disk; name a directory on a disk (--cache-dir)`);
  }
}
