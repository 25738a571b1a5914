/**
 * The BPF objects a config names: where they are, and what they hold.
 * Objects are opened, never loaded, so checking a config needs no root.
 */
import { existsSync, statSync } from "node:fs";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { LibraryError, NativeError, inspectObject, type LibbpfLogSink, type ObjectSummary } from "../../state/index.js";
import { describeFsError } from "./inputs.js";
import type { ConfigErrorCode } from "./errors.js";
import { BUNDLED_OBJECTS, resolveWithin } from "./object-roots.js";

/** An object's summary, or why it cannot be had. */
export type InspectedObject = { ok: true; summary: ObjectSummary } | { ok: false; code: ConfigErrorCode; message: string };

/**
 * Inspects an object file by absolute path; see objectInspector. `anywhere`:
 * a file the loader was given by a CodeResolver (in the artifact cache,
 * verified by digest), which no fallback or root applies to.
 */
export type Inspector = (path: string, options?: { anywhere?: boolean }) => InspectedObject;

/**
 * Where an `object:` path points: relative paths are taken from the
 * directory of the config file that names them, and every path is
 * normalised (no "." or ".." left), as a plan carries it.
 *
 * @example
 *     resolveObjectPath("../bpf/build/counter.o", "/repo/examples") // "/repo/bpf/build/counter.o"
 *     resolveObjectPath("/repo/examples/../bpf/build/counter.o", "/elsewhere") // "/repo/bpf/build/counter.o"
 */
export function resolveObjectPath(written: string, baseDir: string): string {
  return resolve(baseDir, written);
}

/** Where to open an object that is missing under `tree`: the same relative path under `fallback`. */
export interface ObjectFallback {
  tree: string;
  fallback: string;
}

/**
 * An Inspector that opens each object once, however many NFs name it;
 * libbpf's messages go to `log`. With a fallback, an object missing under
 * its tree is opened in the fallback's place instead; the summary's path
 * says which file was opened. With `roots` (a shared source's, see
 * object-roots.ts), an object must resolve into one of them, and is opened
 * by the path it resolves to; one outside is refused unopened.
 *
 * @example
 *     const inspect = objectInspector();
 *     inspect("/repo/bpf/build/nope.o") // { ok: false, code: "object-not-found", message: "object file /repo/bpf/build/nope.o does not exist" }
 *     objectInspector(undefined, { tree: "/tmp/base", fallback: "/repo" })("/tmp/base/bpf/build/counter.o").summary.path
 *     // "/repo/bpf/build/counter.o", when the export has no such file
 */
export function objectInspector(log?: LibbpfLogSink, fallback?: ObjectFallback, roots?: readonly string[]): Inspector {
  const seen = new Map<string, InspectedObject>();
  return (written, options) => {
    const wanted = fallback && !options?.anywhere ? fallbackPath(written, fallback) : written;
    const path = roots && !options?.anywhere ? resolveWithin(wanted, roots) : wanted;
    if (path === undefined) return { ok: false, code: "object-outside-source", message: outsideRoots(wanted) };
    let result = seen.get(path);
    if (!result) {
      result = inspect(path, log);
      seen.set(path, result);
    }
    return result;
  };
}

function outsideRoots(path: string): string {
  return `object ${path} is outside this source: a shared config may name objects in its own tree, nfctl's bundled NFs (${BUNDLED_OBJECTS}) or a directory given with --object-path`;
}

function fallbackPath(path: string, { tree, fallback }: ObjectFallback): string {
  const inside = relative(tree, path);
  if (inside === ".." || inside.startsWith(`..${sep}`) || isAbsolute(inside) || existsSync(path)) return path;
  return join(fallback, inside);
}

function inspect(path: string, log: LibbpfLogSink | undefined): InspectedObject {
  // Node refuses such a path with a message about its own argument types.
  if (path.includes("\0")) return { ok: false, code: "object-invalid", message: `${path} is not a file name: it holds a NUL character` };
  try {
    if (!statSync(path).isFile()) return { ok: false, code: "object-invalid", message: `${path} is not a file; "object" names a BPF object file (ELF)` };
    return { ok: true, summary: inspectObject(path, log ? { log } : {}) };
  } catch (err) {
    // No object can be inspected without libbpf: one error for the run, not one per NF.
    if (err instanceof LibraryError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return { ok: false, code: "object-not-found", message: `object file ${path} does not exist` };
    if (err instanceof NativeError && err.code === "LIBBPF_ERRNO__FORMAT")
      return { ok: false, code: "object-invalid", message: `${path} is not a BPF object file (ELF)` };
    if (err instanceof NativeError) return { ok: false, code: "object-invalid", message: `cannot open ${path} as a BPF object: ${err.message}` };
    // ELOOP, ENAMETOOLONG, EACCES, EIO...: Node's text repeats the code and the path.
    return { ok: false, code: "object-invalid", message: `cannot open ${path}: ${describeFsError(err)}` };
  }
}
