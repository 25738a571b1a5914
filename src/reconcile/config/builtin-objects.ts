/**
 * `object: builtin:NAME`: a bundled NF by name, wherever nfctl is
 * installed. It names BUNDLED_OBJECTS/NAME.o, so a config works from a
 * checkout, the npm package and the image alike, without a path that
 * depends on where the config file sits.
 */
import { join } from "node:path";
import { BUNDLED_OBJECTS } from "./object-roots.js";
import { resolveObjectPath } from "./objects.js";
import { closestName } from "./suggest.js";

/** The prefix that makes an `object` a bundled NF's name rather than a path. */
export const BUILTIN_PREFIX = "builtin:";

/** The bundled NFs (bpf/*.c, built into bpf/build/NAME.o); a test keeps this list equal to bpf/. */
export const BUILTIN_NFS = ["blocklist", "counter", "portfilter", "ratelimit"] as const;

/** Where an `object` leads: an absolute path, or why a builtin name is not one. */
export type LocatedObject = { ok: true; path: string } | { ok: false; code: "object-not-found"; message: string };

/**
 * The object file `written` names: a bundled NF for `builtin:NAME`, else a
 * path as resolveObjectPath takes it (relative to `baseDir`, the config
 * file's directory).
 *
 * @example
 *     locateObject("builtin:counter", "/etc/nfctl") // { ok: true, path: "/usr/lib/node_modules/nfctl/bpf/build/counter.o" }
 *     locateObject("../bpf/build/counter.o", "/repo/examples") // { ok: true, path: "/repo/bpf/build/counter.o" }
 *     locateObject("builtin:countr", "/etc/nfctl")
 *     // { ok: false, code: "object-not-found", message: 'builtin:countr is not a bundled NF (did you mean "builtin:counter"?); the bundled NFs are builtin:blocklist, ...' }
 */
export function locateObject(written: string, baseDir: string): LocatedObject {
  if (!written.startsWith(BUILTIN_PREFIX)) return { ok: true, path: resolveObjectPath(written, baseDir) };
  const name = written.slice(BUILTIN_PREFIX.length);
  if ((BUILTIN_NFS as readonly string[]).includes(name)) return { ok: true, path: join(BUNDLED_OBJECTS, `${name}.o`) };
  const guess = closestName(name, BUILTIN_NFS);
  const known = BUILTIN_NFS.map((nf) => `${BUILTIN_PREFIX}${nf}`).join(", ");
  return {
    ok: false,
    code: "object-not-found",
    message: `${written} is not a bundled NF${guess ? ` (did you mean "${BUILTIN_PREFIX}${guess}"?)` : ""}; the bundled NFs are ${known}`,
  };
}
