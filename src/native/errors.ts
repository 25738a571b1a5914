/**
 * Errors raised by the native layer. Each names the kernel or libbpf call,
 * the object it acted on and the errno text, in the manner of cilium/ebpf:
 *
 *     bpf_link_create(xdp on ifindex 7, program xdp_counter): Device or resource busy (EBUSY)
 *
 * A failed program load also carries the verifier log.
 */
import { constants } from "node:os";
import { lazyFunc, libbpf } from "./libraries.js";
import { strerror } from "./libc.js";

/**
 * libbpf's own error codes (enum libbpf_errno, LIBBPF_ERRNO__LIBELF = 4000
 * upwards), which it returns as -errno like the kernel's: strerror does
 * not know them, libbpf_strerror does.
 */
const LIBBPF_ERRNO_START = 4000;
const LIBBPF_ERRNO_NAMES = [
  "LIBELF",
  "FORMAT",
  "KVERSION",
  "ENDIAN",
  "INTERNAL",
  "RELOC",
  "LOAD",
  "VERIFY",
  "PROG2BIG",
  "KVER",
  "PROGTYPE",
  "WRNGPID",
  "INVSEQ",
  "NLPARSE",
];
const libbpfStrerrorFn = lazyFunc(libbpf, "int libbpf_strerror(int err, _Out_ uint8_t *buf, size_t size)");

const errnoNames = new Map<number, string>([
  ...Object.entries(constants.errno).map(([name, value]) => [value, name] as const),
  ...LIBBPF_ERRNO_NAMES.map((name, i) => [LIBBPF_ERRNO_START + i, `LIBBPF_ERRNO__${name}`] as const),
]);

export class NativeError extends Error {
  override readonly name = "NativeError";

  constructor(
    /** The libbpf or libc function that failed. */
    readonly call: string,
    /** What it acted on, in words: a path, an interface, a program. */
    readonly object: string,
    /** Positive errno value. */
    readonly errno: number,
    /** The kernel verifier's log, when a program load failed. */
    readonly verifierLog?: string,
  ) {
    super(`${call}(${object}): ${describeErrno(errno)}`);
  }

  /** Symbolic errno, e.g. "ENOENT", or libbpf's, e.g. "LIBBPF_ERRNO__FORMAT". */
  get code(): string {
    return errnoNames.get(this.errno) ?? `E${this.errno}`;
  }
}

/**
 * The errno in words, with its name.
 *
 * @example
 *     describeErrno(2)    // "No such file or directory (ENOENT)"
 *     describeErrno(4001) // "BPF object format invalid (LIBBPF_ERRNO__FORMAT)"
 */
export function describeErrno(errno: number): string {
  const name = errnoNames.get(errno);
  const text = errno >= LIBBPF_ERRNO_START ? libbpfStrerror(errno) : strerror(errno);
  return name ? `${text} (${name})` : text;
}

function libbpfStrerror(errno: number): string {
  const buf = Buffer.alloc(128);
  libbpfStrerrorFn(errno, buf, buf.length);
  return buf.toString("utf8", 0, buf.indexOf(0));
}

/**
 * libbpf 1.x returns -errno from int functions. Throw for a negative result,
 * return the (non-negative) result otherwise.
 */
export function checkRet(ret: number, call: string, object: string): number {
  if (ret < 0) throw new NativeError(call, object, -ret);
  return ret;
}

export function isErrno(err: unknown, code: string): boolean {
  return err instanceof NativeError && err.code === code;
}
