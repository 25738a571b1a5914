/**
 * The two shared libraries nfctl calls over FFI, and koffi itself, loaded
 * on first use rather than on import: importing any module of nfctl loads
 * no native code, so `nfctl --help` and the planner run where libbpf is
 * missing. A library that cannot be loaded, or a libbpf that is too old,
 * raises a LibraryError whose message is one line saying what to install.
 *
 * @example
 *     const objPin = lazyFunc(libbpf, "int bpf_obj_pin(int fd, const char *path)");
 *     objPin(fd, "/sys/fs/bpf/x"); // the first call loads libbpf.so.1 and binds bpf_obj_pin
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { LibraryHandle } from "koffi";
import { deliverLibbpfMessage, wantsLibbpfMessages } from "./libbpf-log.js";

type Koffi = typeof import("koffi");

/** A C function bound through koffi; arguments and result as koffi converts them. */
export type NativeFunction = (...args: unknown[]) => unknown;

/** A shared library (or koffi) that cannot be loaded, or a libbpf older than nfctl needs. */
export class LibraryError extends Error {
  override readonly name = "LibraryError";
}

const LIBBPF_HINT = "install Debian's libbpf1 (apt-get install libbpf1)";
/** bpf_program__set_log_buf and bpf_xdp_attach are 1.0; Debian 12 ships 1.1, the oldest tested. */
const LIBBPF_MINIMUM = { major: 1, minor: 1 };
/** libbpf's opaque structs, named by the signatures of the bindings in object.ts. */
const LIBBPF_OPAQUE_TYPES = ["bpf_object", "bpf_program", "bpf_map", "btf"];

let koffiModule: Koffi | undefined;
let libcHandle: LibraryHandle | undefined;
let libbpfHandle: LibraryHandle | undefined;

/** dlopen's reason, without koffi's preamble, on one line. */
function reason(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text
    .replace(/^Failed to load shared library:\s*/, "")
    .replace(/\s+/g, " ")
    .trim();
}

/** koffi, loaded on first call. */
export function koffi(): Koffi {
  if (!koffiModule) {
    try {
      koffiModule = createRequire(import.meta.url)("koffi") as Koffi;
    } catch (err) {
      throw new LibraryError(`koffi, nfctl's FFI, cannot be loaded (${reason(err)}); reinstall nfctl's npm dependencies (npm ci)`);
    }
  }
  return koffiModule;
}

function load(soname: string, hint: string): LibraryHandle {
  try {
    return koffi().load(soname);
  } catch (err) {
    if (err instanceof LibraryError) throw err;
    throw new LibraryError(`${soname} cannot be loaded (${reason(err)}); ${hint}`);
  }
}

/** glibc, loaded on first call. */
export function libc(): LibraryHandle {
  libcHandle ??= load("libc.so.6", "nfctl needs glibc");
  return libcHandle;
}

/**
 * libbpf, loaded on first call: its version checked, its opaque types
 * declared and its log routed (see libbpf-log.ts) before any function of
 * it is bound.
 */
export function libbpf(): LibraryHandle {
  if (libbpfHandle) return libbpfHandle;
  const lib = load("libbpf.so.1", LIBBPF_HINT);
  const version = versionOf(lib);
  if (version.major < LIBBPF_MINIMUM.major || (version.major === LIBBPF_MINIMUM.major && version.minor < LIBBPF_MINIMUM.minor)) {
    throw new LibraryError(
      `libbpf.so.1 is version ${version.major}.${version.minor}, older than the ${LIBBPF_MINIMUM.major}.${LIBBPF_MINIMUM.minor} nfctl needs; ${LIBBPF_HINT}`,
    );
  }
  for (const name of LIBBPF_OPAQUE_TYPES) koffi().opaque(name);
  routeLibbpfPrint(lib);
  libbpfHandle = lib;
  return lib;
}

function versionOf(lib: LibraryHandle): { major: number; minor: number } {
  const major = lib.func("uint32_t libbpf_major_version(void)") as () => number;
  const minor = lib.func("uint32_t libbpf_minor_version(void)") as () => number;
  return { major: major(), minor: minor() };
}

/** The system libbpf's version, e.g. "1.1". */
export function libbpfVersion(): string {
  const { major, minor } = versionOf(libbpf());
  return `${major}.${minor}`;
}

/**
 * The file the dynamic loader opened for libbpf.so.1 (its real name, which
 * Debian's carries the patch level in), as /proc/self/maps shows it once
 * libbpf is loaded; undefined where the maps do not name it.
 *
 * @example
 *     libbpfVersion(); libbpfFile() // "/usr/lib/x86_64-linux-gnu/libbpf.so.1.1.0"
 */
export function libbpfFile(): string | undefined {
  libbpf();
  for (const line of readFileSync("/proc/self/maps", "utf8").split("\n")) {
    // address perms offset dev inode path: the path is the rest of the line.
    const path = line.split(/\s+/).slice(5).join(" ");
    if (/\/libbpf\.so[.\d]*$/.test(path)) return path;
  }
  return undefined;
}

/**
 * A function of `library`, bound on its first call (which loads the
 * library) and kept bound after.
 */
export function lazyFunc(library: () => LibraryHandle, signature: string): NativeFunction {
  let bound: NativeFunction | undefined;
  return (...args) => {
    bound ??= library().func(signature) as NativeFunction;
    return bound(...args);
  };
}

const LIBBPF_WARN = 0;
const LIBBPF_INFO = 1;
/** Messages longer than this are cut; the verifier log is captured separately. */
const MESSAGE_MAX = 64 * 1024;

/**
 * Replaces libbpf's default printer (stderr) with one that hands each
 * message to the sink of the call in progress, or drops it.
 *
 * libbpf hands its printer a printf format and a va_list. On x86-64 and
 * arm64 a va_list parameter is passed as a pointer, so the callback
 * receives it as `void *` and formats it with libc's vsnprintf, at most
 * once. The callback stays registered for the life of the process, as
 * libbpf_set_print's setting does.
 */
function routeLibbpfPrint(lib: LibraryHandle): void {
  const ffi = koffi();
  const printFn = ffi.proto("int libbpf_print_fn(int level, void *format, void *args)");
  const setPrint = lib.func("void *libbpf_set_print(libbpf_print_fn *fn)");
  const vsnprintf = libc().func("int vsnprintf(_Out_ uint8_t *buf, size_t size, void *format, void *args)");
  const buffer = Buffer.alloc(MESSAGE_MAX);
  const callback = ffi.register((level: number, format: unknown, args: unknown): number => {
    if (!wantsLibbpfMessages()) return 0;
    const written = vsnprintf(buffer, MESSAGE_MAX, format, args) as number;
    const text = buffer.toString("utf8", 0, Math.max(0, Math.min(written, MESSAGE_MAX - 1))).trimEnd();
    deliverLibbpfMessage(level === LIBBPF_WARN ? "warn" : level === LIBBPF_INFO ? "info" : "debug", text);
    return 0;
  }, ffi.pointer(printFn));
  setPrint(callback);
}
