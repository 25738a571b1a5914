/**
 * Errors raised by the native layer. Each names the kernel or libbpf call,
 * the object it acted on and the errno text, in the manner of cilium/ebpf:
 *
 *     bpf_link_create(xdp on ifindex 7, program xdp_counter): Device or resource busy (EBUSY)
 *
 * A failed program load also carries the verifier log.
 */
import { constants } from "node:os";
import { strerror } from "./libc.js";

const errnoNames = new Map<number, string>(
  Object.entries(constants.errno).map(([name, value]) => [value, name]),
);

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

  /** Symbolic errno, e.g. "ENOENT". */
  get code(): string {
    return errnoNames.get(this.errno) ?? `E${this.errno}`;
  }
}

/** "No such file or directory (ENOENT)". */
export function describeErrno(errno: number): string {
  const name = errnoNames.get(errno);
  return name ? `${strerror(errno)} (${name})` : strerror(errno);
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
