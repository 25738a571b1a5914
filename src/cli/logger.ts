/**
 * nfctl's logger: pino, JSON lines on stderr; and the sink that routes
 * libbpf's own messages into it (component "libbpf").
 */
import { pino, type Logger, type DestinationStream } from "pino";
import type { LibbpfLogSink } from "../reconcile/index.js";

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function createLogger(level: LogLevel, destination: DestinationStream = pino.destination(2)): Logger {
  return pino({ level, base: null }, destination);
}

/**
 * libbpf's messages as entries of `logger`. libbpf warns as it fails; every
 * such failure reaches the user as nfctl's own error (naming the call, and
 * with the verifier log), so its warnings are details: info. Its info is
 * debug, its debug is trace.
 *
 * @example
 *     BpfObject.open(path, { log: libbpfLogSink(createLogger("trace")) });
 */
export function libbpfLogSink(logger: Logger): LibbpfLogSink {
  const libbpf = logger.child({ component: "libbpf" });
  return {
    warn: (msg) => libbpf.info(msg),
    info: (msg) => libbpf.debug(msg),
    debug: (msg) => libbpf.trace(msg),
  };
}
