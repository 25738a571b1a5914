/**
 * Where libbpf's own messages go. libbpf_set_print is process-wide, so
 * libraries.ts installs one printer when it loads libbpf; the operations
 * that make libbpf log (opening and loading objects) take a sink and run
 * with it installed, and outside them libbpf's messages are dropped.
 *
 * @example
 *     const obj = BpfObject.open(path, { log: { warn: (m) => logger.info(m), info: (m) => logger.debug(m), debug: (m) => logger.trace(m) } });
 */

/** Receives libbpf's messages by libbpf's level (LIBBPF_WARN, _INFO, _DEBUG). */
export interface LibbpfLogSink {
  warn(msg: string): void;
  info(msg: string): void;
  debug(msg: string): void;
}

/** The sink of the libbpf call in progress; calls are synchronous, so there is one at most. */
let current: LibbpfLogSink | undefined;

/**
 * Runs `fn` with libbpf's messages going to `sink` (dropped when it is
 * undefined), and puts back the sink that was installed before, also when
 * `fn` throws.
 */
export function withLibbpfLog<T>(sink: LibbpfLogSink | undefined, fn: () => T): T {
  const previous = current;
  current = sink;
  try {
    return fn();
  } finally {
    current = previous;
  }
}

/** Whether a message libbpf prints now has somewhere to go (else it is not even formatted). */
export function wantsLibbpfMessages(): boolean {
  return current !== undefined;
}

/** Hands one formatted libbpf message to the installed sink. */
export function deliverLibbpfMessage(level: keyof LibbpfLogSink, text: string): void {
  current?.[level](text);
}
