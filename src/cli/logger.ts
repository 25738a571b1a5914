/**
 * nfctl's logger: pino on stderr, as JSON lines or, for a person at a
 * terminal, as pino-pretty's text; and the sink that routes libbpf's own
 * messages into it (component "libbpf").
 */
import { writeSync } from "node:fs";
import { createRequire } from "node:module";
import { pino, type Logger, type DestinationStream } from "pino";
import type { LibbpfLogSink } from "../reconcile/index.js";

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const LOG_FORMATS = ["text", "json"] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** The log format when none is given: text for a person at a terminal, JSON for a collector. */
export function defaultLogFormat(stderr: { isTTY?: boolean } = process.stderr): LogFormat {
  return stderr.isTTY === true ? "text" : "json";
}

/**
 * Log lines as text on stderr, written as they come. pino-pretty's
 * formatter runs in this thread, not as a transport in a worker: a short
 * command exits at once, and the watcher keeps the threads it has. It is
 * loaded only for text (35 modules a JSON log does not need).
 *
 * @example
 *     createLogger("info", textDestination(true)).info("reconciled") // "[10:00:00.000] INFO: reconciled"
 */
export function textDestination(colorize: boolean, fd = 2): DestinationStream {
  const { prettyFactory } = createRequire(import.meta.url)("pino-pretty") as typeof import("pino-pretty");
  const prettify = prettyFactory({ colorize, translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname" });
  return { write: (line: string) => void writeSync(fd, prettify(line)) };
}

/**
 * The logger of one command: JSON lines on stderr, or text ("text").
 *
 * @example
 *     createLogger("warn", pino.destination(2))       // JSON lines, as a collector reads them
 *     createLogger("info", textDestination(false))    // text
 */
export function createLogger(level: LogLevel, destination: DestinationStream = pino.destination(2)): Logger {
  return pino({ level, base: null }, destination);
}

/** The destination of `format` on stderr; text is coloured as the rest of nfctl's output is (colors.ts). */
export function logDestination(format: LogFormat, colorize: boolean): DestinationStream {
  return format === "text" ? textDestination(colorize) : pino.destination(2);
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
