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
 * Whoever reaches the port is not trusted, and the loop shares its one
 * thread with the endpoint, so what clients can make it do is bounded:
 *
 * - /status and /metrics are served from one scrape (one walk of the
 *   kernel, both bodies rendered once) begun less than `scrapeMaxAgeMs`
 *   before the request; requests that come while it is built wait for that
 *   build (scrape-cache.ts). However many clients ask, a walk of the kernel
 *   starts at most once per interval, and the loop has the rest of it.
 * - At most `maxInFlight` requests for /status and /metrics are in flight
 *   (until their response is written out); more get 503 with Retry-After
 *   at once.
 * - At most `maxConnections` connections are open; the kernel's further
 *   connections are closed as soon as they are accepted.
 * - /healthz and /readyz are answered from memory, at once, whatever the
 *   in-flight bound: a liveness probe must not fail, and get the process
 *   restarted, because scrapers are busy (a restart would not make them
 *   less busy). They still need one of the `maxConnections`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { isIPv4, isIPv6, type AddressInfo } from "node:net";
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
  /** Open connections; more are closed when accepted. */
  maxConnections: number;
}

/**
 * A scrape at most 1 s old: fresher than any Prometheus scrape interval
 * (15 s by default) or a person needs, while a walk of the kernel starts
 * at most once a second, leaving the loop the rest of each second. 16 in
 * flight and 128 connections are well above what honest clients use (one
 * Prometheus, a probe or two, a person) and bound what a flood costs.
 */
export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  headersMs: 5_000,
  requestMs: 10_000,
  keepAliveMs: 5_000,
  idleMs: 30_000,
  closeGraceMs: 2_000,
  scrapeMaxAgeMs: 1_000,
  maxInFlight: 16,
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

const ROUTES = ["/metrics", "/healthz", "/readyz", "/status"] as const;
type Route = (typeof ROUTES)[number];

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

export async function startHttpEndpoint(options: {
  listen: { host: string; port: number };
  metrics: LoopMetrics;
  /** Reads the kernel for /status and /metrics; called at most once per `scrapeMaxAgeMs`, whoever asks. */
  scrape: () => Scrape | Promise<Scrape>;
  ready: () => boolean;
  /** Whether a client at this remote address may read /status (default: loopback clients only; see isLoopbackAddress). */
  statusAllowed?: (remoteAddress: string | undefined) => boolean;
  limits?: Partial<HttpLimits>;
}): Promise<HttpEndpoint> {
  const limits = { ...DEFAULT_HTTP_LIMITS, ...options.limits };
  const server = createServer({
    headersTimeout: limits.headersMs,
    requestTimeout: limits.requestMs,
    keepAliveTimeout: limits.keepAliveMs,
    // How often Node checks the two timeouts above (default 30 s): often enough to keep them.
    connectionsCheckingInterval: Math.max(100, Math.min(1_000, limits.headersMs / 2)),
  });
  server.setTimeout(limits.idleMs);
  server.maxConnections = limits.maxConnections;
  const scraped = cachedScrape(() => render(options), { maxAgeMs: limits.scrapeMaxAgeMs });
  let inFlight = 0;
  const serve: Serve = {
    scraped,
    ready: options.ready,
    statusAllowed: options.statusAllowed ?? isLoopbackAddress,
    admit(res) {
      if (inFlight >= limits.maxInFlight) return false;
      inFlight += 1;
      res.once("close", () => (inFlight -= 1));
      return true;
    },
    maxInFlight: limits.maxInFlight,
  };
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res, serve).catch((err: unknown) => {
      // Nothing may be sent once headers are: end the connection instead.
      if (res.headersSent) res.destroy();
      else send(req, res, { code: 500, type: TEXT, body: `internal error: ${oneLine(err)}\n` });
    });
  });

  const { host, port } = options.listen;
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      server.off("listening", onListening);
      const code = err.code ? ` (${err.code})` : "";
      const where = isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
      reject(new Error(`cannot listen on ${where}: ${err.code === "EADDRINUSE" ? "the address is in use" : err.message}${code}`, { cause: err }));
    };
    const onListening = (): void => {
      server.off("error", onError);
      resolve();
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen({ host, port });
  });
  const info = server.address() as AddressInfo;

  let closing: Promise<void> | undefined;
  return {
    address: { host: info.address, port: info.port },
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        const grace = setTimeout(() => server.closeAllConnections(), limits.closeGraceMs);
        grace.unref();
        server.close((err) => {
          clearTimeout(grace);
          if (err) reject(err);
          else resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}

const TEXT = "text/plain; charset=utf-8";

/** A whole response; scraped ones are kept as bytes, written as they are to every client. */
interface Response {
  code: number;
  type: string;
  body: string | Buffer;
}

/** The responses of /status and /metrics for one scrape. */
interface Rendered {
  status: Response;
  metrics: Response;
}

/** What handle() needs of the endpoint. */
interface Serve {
  scraped: () => Promise<Rendered>;
  ready: () => boolean;
  /** Whether a client at this remote address may read /status. */
  statusAllowed: (remoteAddress: string | undefined) => boolean;
  /** Counts `res` in flight until it closes, or says no when maxInFlight are. */
  admit(res: ServerResponse): boolean;
  maxInFlight: number;
}

/**
 * One scrape rendered: the kernel read once, both bodies made once. A
 * status that cannot be read is a 500 with one line; /metrics is still
 * served without the NF counters (metrics.ts counts the failure).
 */
async function render(options: { metrics: LoopMetrics; scrape: () => Scrape | Promise<Scrape> }): Promise<Rendered> {
  const scrape = await options.scrape();
  let status: Response;
  try {
    status = { code: 200, type: "application/json; charset=utf-8", body: Buffer.from(`${JSON.stringify(scrape.status(), null, 2) ?? "null"}\n`) };
  } catch (err) {
    status = { code: 500, type: TEXT, body: `internal error: ${oneLine(err)}\n` };
  }
  const metrics = { code: 200, type: options.metrics.registry.contentType, body: Buffer.from(await options.metrics.exposition(() => scrape.nfCounters())) };
  return { status, metrics };
}

async function handle(req: IncomingMessage, res: ServerResponse, serve: Serve): Promise<void> {
  const path = (req.url ?? "").split("?", 1)[0] ?? "";
  const route = ROUTES.find((r) => r === path);
  if (route === undefined) {
    send(req, res, { code: 404, type: TEXT, body: `not found; the routes are ${ROUTES.join(", ")}\n` });
    return;
  }
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.setHeader("Allow", "GET, HEAD");
    send(req, res, { code: 405, type: TEXT, body: `method ${quote(req.method ?? "")} not allowed; use GET or HEAD\n` });
    return;
  }
  switch (route satisfies Route) {
    case "/healthz":
      send(req, res, { code: 200, type: TEXT, body: "ok\n" });
      return;
    case "/readyz": {
      let ready: boolean;
      try {
        ready = serve.ready();
      } catch (err) {
        send(req, res, { code: 503, type: TEXT, body: `not ready: ${oneLine(err)}\n` });
        return;
      }
      if (ready) send(req, res, { code: 200, type: TEXT, body: "ready\n" });
      else send(req, res, { code: 503, type: TEXT, body: "not ready: the watch loop has not finished its first reconcile (GET /status tells more)\n" });
      return;
    }
    case "/metrics":
    case "/status": {
      if (route === "/status" && !serve.statusAllowed(req.socket.remoteAddress)) {
        send(req, res, { code: 403, type: TEXT, body: `${STATUS_FORBIDDEN}\n` });
        return;
      }
      if (!serve.admit(res)) {
        res.setHeader("Retry-After", "1");
        send(req, res, { code: 503, type: TEXT, body: `busy: ${serve.maxInFlight} requests for /status and /metrics are in flight; retry in 1 s\n` });
        return;
      }
      const rendered = await serve.scraped();
      send(req, res, route === "/status" ? rendered.status : rendered.metrics);
      return;
    }
  }
}

/** One whole response with its length; HEAD gets the headers only (Node drops the body). */
function send(req: IncomingMessage, res: ServerResponse, { code, type, body }: Response): void {
  res.statusCode = code;
  res.setHeader("Content-Type", type);
  res.setHeader("Content-Length", Buffer.byteLength(body));
  res.setHeader("Cache-Control", "no-store");
  res.end(req.method === "HEAD" ? undefined : body);
}

function isHostName(host: string): boolean {
  return host.length <= 253 && /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(host);
}

/** A value quoted for a message: JSON escapes, and at most 100 characters of it. */
function quote(value: string): string {
  return JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}...` : value);
}

function oneLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/\s*\n\s*/g, " ").slice(0, 500);
}
