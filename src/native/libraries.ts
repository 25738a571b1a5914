/**
 * The two shared libraries nfctl calls over FFI. They are loaded once, on
 * first import; a missing libbpf.so.1 is reported in words, not as a dlopen
 * stack trace.
 */
import koffi, { type LibraryHandle } from "koffi";

function load(soname: string, hint: string): LibraryHandle {
  try {
    return koffi.load(soname);
  } catch (err) {
    throw new Error(`cannot load ${soname}: ${(err as Error).message}. ${hint}`);
  }
}

export const libc = load("libc.so.6", "nfctl needs glibc.");
export const libbpf = load(
  "libbpf.so.1",
  "Install libbpf 1.1 or later (Debian: apt-get install libbpf1).",
);

const major = libbpf.func("uint32_t libbpf_major_version(void)") as () => number;
const minor = libbpf.func("uint32_t libbpf_minor_version(void)") as () => number;

/** The system libbpf's version, e.g. "1.1". */
export const libbpfVersion = `${major()}.${minor()}`;

if (major() < 1 || (major() === 1 && minor() < 1)) {
  throw new Error(`nfctl needs libbpf 1.1 or later; libbpf.so.1 is version ${libbpfVersion}`);
}
