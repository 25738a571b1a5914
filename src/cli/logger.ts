/**
 * nfctl's logger: pino, JSON lines on stderr, with libbpf's own messages
 * routed into it (component "libbpf").
 */
import { pino, type Logger, type DestinationStream } from "pino";
import { routeLibbpfLog } from "../native/index.js";

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** libbpf dumps a failed load's verifier log as a warning; nfctl reports it in the error instead. */
function isVerifierDump(msg: string): boolean {
  return msg.includes("-- BEGIN PROG LOAD LOG --");
}

export function createLogger(level: LogLevel, destination: DestinationStream = pino.destination(2)): Logger {
  const logger = pino({ level, base: undefined }, destination);
  const libbpf = logger.child({ component: "libbpf" });
  routeLibbpfLog({
    warn: (msg) => (isVerifierDump(msg) ? libbpf.debug(msg) : libbpf.warn(msg)),
    info: (msg) => libbpf.info(msg),
    debug: (msg) => libbpf.debug(msg),
  });
  return logger;
}
