/**
 * The watch loop's HTTP endpoint (node:http, no framework):
 *
 *     GET /metrics   the Prometheus exposition of the loop's registry
 *     GET /healthz   200 "ok" while the process runs (liveness)
 *     GET /readyz    200 "ready" once the loop says so, else 503 and one line why (readiness)
 *     GET /status    application/json: the body of `nfctl status -o json`,
 *                    to loopback clients only unless statusAllowed says otherwise
 *
 * HEAD is answered like GET without the body; other methods get 405, other
 * paths 404. Every request is bounded in time (headers, whole request, idle
 * socket), and close() ends idle keep-alive sockets at once and busy ones
 * after a grace period, so that a stopping loop never waits on a client.
 *
 * Whoever reaches the port is not trusted, and the loop's thread runs
 * long synchronous walks of the kernel, so the server runs in a worker
 * thread of its own (http-server.ts) and what clients can make the loop do
 * is bounded:
 *
 * - /healthz and /readyz are answered by the server's thread at once, from
 *   the loop's heartbeat and its last readiness: a liveness probe neither
 *   waits for a reconcile of 1,500 hooks nor fails because scrapers are
 *   busy (a restart would not make them less busy); it fails when the
 *   loop's thread has not run for `stallMs`.
 * - /status and /metrics are served by the loop's thread from one scrape
 *   (one walk of the kernel, both bodies rendered once) begun less than
 *   `scrapeMaxAgeMs` before the request (or twice the last walk's time,
 *   when a walk is slow); requests that come while it is built wait for
 *   that build (scrape-cache.ts).
 * - At most `maxInFlight` requests for /status and /metrics are in flight
 *   (until their response is written out); more get 503 with Retry-After
 *   at once.
 * - At most `maxConnections` connections are open; the kernel's further
 *   connections are closed as soon as they are accepted.
 */
import { isIPv4, isIPv6 } from "node:net";
import { Worker } from "node:worker_threads";
import type { EndpointMessage, ServerMessage, ServerSettings, WholeResponse } from "./http-protocol.js";
import { TEXT, oneLine, quote } from "./http-protocol.js";
import type { LoopMetrics, NfCounter } from "./metrics.js";
import { cachedScrape } from "./scrape-cache.js";
import { isLoopbackAddress } from "./loopback.js";

export interface HttpEndpoint {
  /** Where it listens, read back from the socket (so port 0 shows the port chosen). */
  address: { host: string; port: number };
  /** Stops listening and closes every connection; resolves when all are closed. Safe to call twice. */
  close(): Promise<void>;
}

/** Loopback only: exposing metrics and status beyond the machine is a choice (`--listen 0.0.0.0:9464`). */
export const DEFAULT_LISTEN = "127.0.0.1:9464";

/** Limits of the endpoint: times in milliseconds, and how much it serves at once. */
export interface HttpLimits {
  /** From a connection's first byte to the end of the request headers. */
  headersMs: number;
  /** From a connection's first byte to the end of the whole request. */
  requestMs: number;
  /** A keep-alive socket idle for this long after a response is closed. */
  keepAliveMs: number;
  /** A socket with no activity at all for this long is destroyed. */
  idleMs: number;
  /** close() waits this long for busy sockets before it destroys them. */
  closeGraceMs: number;
  /** /status and /metrics serve a scrape begun less than this before the request; a walk of the kernel starts at most once per this. */
  scrapeMaxAgeMs: number;
  /** Requests for /status and /metrics served at once; more get 503. */
  maxInFlight: number;
  /** Responses with a scrape's body (/status, /metrics) per second, in bursts of as many; more get 503. */
  maxBodiesPerSecond: number;
  /** A request over maxInFlight or maxBodiesPerSecond gets its 503 after this long. */
  busyDelayMs: number;
  /** Open connections; more are closed when accepted. */
  maxConnections: number;
}

/**
 * A scrape at most 1 s old: fresher than any Prometheus scrape interval
 * (15 s by default) or a person needs, while a walk of the kernel starts
 * at most once a second, leaving the loop the rest of each second. 16 in
 * flight, 10 bodies a second and 128 connections are well above what
 * honest clients use (one Prometheus, a probe or two, a person) and bound
 * what a flood costs: the status of 1,500 hooks is 2 MB, and serving it as
 * fast as 50 clients pull it took a CPU from the loop on a 2-CPU host.
 */
export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  headersMs: 5_000,
  requestMs: 10_000,
  keepAliveMs: 5_000,
  idleMs: 30_000,
  closeGraceMs: 2_000,
  scrapeMaxAgeMs: 1_000,
  maxInFlight: 16,
  maxBodiesPerSecond: 10,
  busyDelayMs: 1_000,
  maxConnections: 128,
};

/**
 * One read of the kernel for /status and /metrics: the costly part of both,
 * made once per scrape. Each accessor returns what its route serves, or
 * throws what reading the kernel threw.
 */
export interface Scrape {
  /** The value GET /status serves as JSON. */
  status(): unknown;
  /** The NFs' counters for GET /metrics. */
  nfCounters(): NfCounter[];
}

/** The 403 of /status to a client that may not read it: why, and the two ways to read it. */
export const STATUS_FORBIDDEN =
  "forbidden: /status (the config source, its errors, the maps) answers loopback clients only; ask from this machine (127.0.0.1 or ::1) or start nfctl watch with --expose-status";

/**
 * A listen address: `HOST:PORT` with an IPv4 address or a host name
 * (`127.0.0.1:9464`, `localhost:9464`, `0.0.0.0:9464` for every IPv4
 * address), or `[IPV6]:PORT` (`[::1]:9464`, `[::]:9464` for every address).
 * The host is required: `:9464` would mean every address, which should be
 * written out. Port 0 asks for any free port. A host name is resolved when
 * the endpoint starts. Throws an Error with one line that says what is wrong.
 */
export function parseListen(value: string): { host: string; port: number } {
  const shown = quote(value);
  const examples = "e.g. 127.0.0.1:9464, [::1]:9464 or 0.0.0.0:9464";
  const bracketed = /^\[([^\]]*)\]:([^:]*)$/.exec(value);
  let host: string;
  let portText: string;
  if (bracketed) {
    host = bracketed[1] ?? "";
    portText = bracketed[2] ?? "";
    if (!isIPv6(host)) throw new Error(`listen address ${shown}: brackets hold an IPv6 address, e.g. [::1]:9464`);
  } else if (value.startsWith("[")) {
    if (/^\[[^\]]*\]$/.test(value)) throw new Error(`listen address ${shown} has no port: write [IPV6]:PORT, e.g. [::1]:9464`);
    throw new Error(`listen address ${shown}: write [IPV6]:PORT, e.g. [::1]:9464`);
  } else {
    const colon = value.lastIndexOf(":");
    if (colon < 0) throw new Error(`listen address ${shown} has no port: write HOST:PORT, ${examples}`);
    host = value.slice(0, colon);
    portText = value.slice(colon + 1);
    if (host.includes(":")) throw new Error(`listen address ${shown}: write an IPv6 address in brackets, e.g. [::1]:9464`);
    if (host === "")
      throw new Error(
        `listen address ${shown} names no host: write 127.0.0.1${value} for this machine only, 0.0.0.0${value} for every IPv4 address, or [::]${value} for every address`,
      );
    if (!isIPv4(host) && !isHostName(host)) throw new Error(`listen address ${shown}: ${quote(host)} is neither an IPv4 address nor a host name; ${examples}`);
  }
  if (!/^[0-9]{1,5}$/.test(portText)) throw new Error(`listen address ${shown}: the port must be a number from 0 to 65535, ${examples}`);
  const port = Number(portText);
  if (port > 65535) throw new Error(`listen address ${shown}: port ${port} is out of range (0 to 65535)`);
  return { host, port };
}

const SERVER = new URL("./http-server.js", import.meta.url);

/** The loop's thread beats this often; /healthz fails after `stallMs` without a beat. */
const HEARTBEAT_MS = 250;
/** A loop's thread silent this long is wedged, not busy: the longest reconcile measured (1,500 hooks) blocks it for about 2 s. */
export const DEFAULT_STALL_MS = 60_000;

export async function startHttpEndpoint(options: {
  listen: { host: string; port: number };
  metrics: LoopMetrics;
  /** Reads the kernel for /status and /metrics; called at most once per `scrapeMaxAgeMs`, whoever asks. */
  scrape: () => Scrape | Promise<Scrape>;
  ready: () => boolean;
  /** Whether a client at this remote address may read /status (default: loopback clients only; see isLoopbackAddress). */
  statusAllowed?: (remoteAddress: string | undefined) => boolean;
  limits?: Partial<HttpLimits>;
  /** /healthz fails once the loop's thread has not run for this long (default DEFAULT_STALL_MS). */
  stallMs?: number;
}): Promise<HttpEndpoint> {
  const limits = { ...DEFAULT_HTTP_LIMITS, ...options.limits };
  const scraped = cachedScrape(() => render(options), { maxAgeMs: limits.scrapeMaxAgeMs });
  const statusAllowed = options.statusAllowed ?? isLoopbackAddress;
  const heartbeat = new BigInt64Array(new SharedArrayBuffer(8));
  const beat = () => Atomics.store(heartbeat, 0, BigInt(Date.now()));
  beat();
  const settings: ServerSettings = {
    listen: options.listen,
    limits,
    heartbeat: heartbeat.buffer,
    stallMs: options.stallMs ?? DEFAULT_STALL_MS,
  };
  const worker = new Worker(SERVER, { workerData: settings });
  const tell = (message: EndpointMessage) => worker.postMessage(message);
  const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));

  let lastReadiness = "";
  const report = () => {
    beat();
    let readiness: { ready: boolean; reason: string };
    try {
      readiness = options.ready()
        ? { ready: true, reason: "" }
        : { ready: false, reason: "the watch loop has not finished its first reconcile (GET /status tells more)" };
    } catch (err) {
      readiness = { ready: false, reason: oneLine(err) };
    }
    const key = JSON.stringify(readiness);
    if (key !== lastReadiness) tell({ kind: "readiness", ...readiness });
    lastReadiness = key;
  };
  const answer = async (id: number, route: "/status" | "/metrics", remoteAddress: string | undefined): Promise<void> => {
    let response: WholeResponse;
    if (route === "/status" && !statusAllowed(remoteAddress)) response = { code: 403, type: TEXT, body: `${STATUS_FORBIDDEN}\n` };
    else {
      try {
        const rendered = await scraped();
        response = route === "/status" ? rendered.status : rendered.metrics;
      } catch (err) {
        response = { code: 500, type: TEXT, body: `internal error: ${oneLine(err)}\n` };
      }
    }
    tell({ kind: "response", id, response });
  };

  const address = await new Promise<{ host: string; port: number }>((resolve, reject) => {
    const onExit = () => reject(new Error("the HTTP server's thread ended before it listened"));
    worker.once("exit", onExit);
    worker.on("error", (err) => reject(err));
    worker.on("message", (message: ServerMessage) => {
      switch (message.kind) {
        case "listening":
          worker.off("exit", onExit);
          resolve({ host: message.host, port: message.port });
          return;
        case "listen-error":
          worker.off("exit", onExit);
          reject(new Error(message.message));
          return;
        case "request":
          void answer(message.id, message.route, message.remoteAddress);
          return;
      }
    });
  });
  report();
  const ticker = setInterval(report, HEARTBEAT_MS);
  // The heartbeat alone does not keep the process alive.
  ticker.unref();

  let closing: Promise<void> | undefined;
  return {
    address,
    close() {
      closing ??= (async () => {
        clearInterval(ticker);
        tell({ kind: "close" });
        // The server's thread ends once its connections are closed (busy ones after the grace period).
        const deadline = setTimeout(() => void worker.terminate(), limits.closeGraceMs + 1_000);
        await exited;
        clearTimeout(deadline);
      })();
      return closing;
    },
  };
}

/** The responses of /status and /metrics for one scrape. */
interface Rendered {
  status: WholeResponse;
  metrics: WholeResponse;
}

/**
 * One scrape rendered: the kernel read once, both bodies made once. A
 * status that cannot be read is a 500 with one line; /metrics is still
 * served without the NF counters (metrics.ts counts the failure).
 */
async function render(options: { metrics: LoopMetrics; scrape: () => Scrape | Promise<Scrape> }): Promise<Rendered> {
  const scrape = await options.scrape();
  let status: WholeResponse;
  try {
    status = { code: 200, type: "application/json; charset=utf-8", body: shared(`${JSON.stringify(scrape.status(), null, 2) ?? "null"}\n`) };
  } catch (err) {
    status = { code: 500, type: TEXT, body: `internal error: ${oneLine(err)}\n` };
  }
  const metrics = { code: 200, type: options.metrics.registry.contentType, body: shared(await options.metrics.exposition(() => scrape.nfCounters())) };
  return { status, metrics };
}

/**
 * `text` as bytes in shared memory: a scrape's body (megabytes for 1,500
 * hooks) is handed to the server's thread for each request, and shared
 * memory crosses threads without a copy.
 */
function shared(text: string): Uint8Array {
  const bytes = Buffer.from(text);
  const body = new Uint8Array(new SharedArrayBuffer(bytes.length));
  body.set(bytes);
  return body;
}

function isHostName(host: string): boolean {
  return host.length <= 253 && /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(host);
}
