/**
 * BPF_PROG_TEST_RUN: run a loaded program on a packet in the kernel, without
 * a network, for tests and benchmarks.
 */
import { koffi, lazyFunc, libbpf } from "./libraries.js";
import { checkRet } from "./errors.js";
import type { ProgramHandle } from "./handle.js";

const testRunOpts = lazyFunc(libbpf, "int bpf_prog_test_run_opts(int prog_fd, _Inout_ uint8_t *opts)");

export interface TestRunResult {
  /** The program's return value (its verdict). */
  retval: number;
  /** Mean time of one run in nanoseconds, as measured by the kernel. */
  durationNs: number;
  /** The packet as the program left it. */
  data: Buffer;
}

/**
 * Runs `prog` on `packet` `repeat` times in the kernel.
 *
 * @example
 *     const { retval, durationNs } = testRun(obj.programHandle("xdp_counter"), frame, 1_000_000);
 */
export function testRun(prog: ProgramHandle, packet: Buffer, repeat = 1): TestRunResult {
  const dataOut = Buffer.alloc(packet.length + 256);
  // struct bpf_test_run_opts (80 bytes): sz, data_in, data_out,
  // data_size_in, data_size_out, ctx_in, ctx_out, ctx_size_in,
  // ctx_size_out, retval, repeat, duration, flags, cpu, batch_size.
  const opts = Buffer.alloc(80);
  opts.writeBigUInt64LE(80n, 0);
  opts.writeBigUInt64LE(koffi().address(packet), 8);
  opts.writeBigUInt64LE(koffi().address(dataOut), 16);
  opts.writeUInt32LE(packet.length, 24);
  opts.writeUInt32LE(dataOut.length, 28);
  opts.writeInt32LE(repeat, 60);
  checkRet(testRunOpts(prog.fd, opts) as number, "bpf_prog_test_run_opts", `prog ${prog.origin}`);
  return {
    retval: opts.readInt32LE(56),
    durationNs: opts.readUInt32LE(64),
    data: dataOut.subarray(0, opts.readUInt32LE(28)),
  };
}
