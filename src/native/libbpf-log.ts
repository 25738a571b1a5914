/**
 * Routes libbpf's own messages (libbpf_set_print) into a logger.
 *
 * libbpf hands its callback a printf format and a va_list. On x86-64 and
 * arm64 a va_list parameter is passed as a pointer, so the callback receives
 * it as `void *` and formats it with libc's vsnprintf, exactly once.
 */
import koffi from "koffi";
import { libbpf, libc } from "./libraries.js";

export interface LibbpfLogSink {
  warn(msg: string): void;
  info(msg: string): void;
  debug(msg: string): void;
}

const PrintFn = koffi.proto("int libbpf_print_fn(int level, void *format, void *args)");
const setPrint = libbpf.func("void *libbpf_set_print(libbpf_print_fn *fn)");
const vsnprintf = libc.func("int vsnprintf(_Out_ uint8_t *buf, size_t size, void *format, void *args)");

const LIBBPF_WARN = 0;
const LIBBPF_INFO = 1;

/** Messages longer than this are cut; the verifier log is captured separately. */
const MESSAGE_MAX = 64 * 1024;
const buffer = Buffer.alloc(MESSAGE_MAX);

let registered: bigint | undefined;

/** Sends every later libbpf message to `sink`; replaces any earlier sink. */
export function routeLibbpfLog(sink: LibbpfLogSink): void {
  if (registered !== undefined) koffi.unregister(registered);
  registered = koffi.register((level: number, format: unknown, args: unknown): number => {
    const written = vsnprintf(buffer, MESSAGE_MAX, format, args) as number;
    const text = buffer.toString("utf8", 0, Math.max(0, Math.min(written, MESSAGE_MAX - 1))).trimEnd();
    if (level === LIBBPF_WARN) sink.warn(text);
    else if (level === LIBBPF_INFO) sink.info(text);
    else sink.debug(text);
    return 0;
  }, koffi.pointer(PrintFn));
  setPrint(registered);
}
