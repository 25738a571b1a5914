/**
 * nfctl's logger: pino, JSON lines on stderr, with libbpf's own messages
 * routed into it (component "libbpf").
 */
import { pino, type Logger, type DestinationStream } from "pino";
import { routeLibbpfLog, type LibbpfLogSink } from "../reconcile/index.js";

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];


export function createLogger(level: LogLevel, destination: DestinationStream = pino.destination(2)): Logger {
  const logger = pino({ level, base: undefined }, destination);
  routeLibbpfLog(libbpfLogSink(logger));
  return logger;
}

/** Where libbpf's own messages go: the logger, as component "libbpf". */
export function libbpfLogSink(logger: Logger): LibbpfLogSink {
  const libbpf = logger.child({ component: "libbpf" });
  // libbpf warns as it fails; every such failure reaches the user as nfctl's
  // own error (naming the call, and with the verifier log), so its warnings
  // are details: info. Its info is debug, its debug is trace.
  return {
    warn: (msg) => libbpf.info(msg),
    info: (msg) => libbpf.debug(msg),
    debug: (msg) => libbpf.trace(msg),
  };
}
