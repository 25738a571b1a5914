/**
 * The endpoint's HTTP server, in a worker thread of its own (see http.ts):
 * the watch loop's thread runs synchronous FFI for a second or more on a
 * large host (a reconcile of 1,500 hooks), and a server on that thread
 * would leave /healthz unanswered meanwhile, and a liveness probe would
 * restart a process that is merely busy.
 *
 * Here the server keeps every limit on clients (time, connections, requests
 * in flight) and answers /healthz and /readyz itself, from what the loop's
 * thread last said: /healthz is 200 while that thread's heartbeat is
 * younger than `stallMs` (a wedged loop is restarted; a busy one is not),
 * /readyz as the loop last reported. /status and /metrics are asked of the
 * loop's thread, which serves them from its scrape cache.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { isIPv6, type AddressInfo } from "node:net";
import { parentPort, workerData } from "node:worker_threads";
import type { EndpointMessage, ServerMessage, ServerSettings, WholeResponse } from "./http-protocol.js";
import { ROUTES, TEXT, oneLine, quote, type Route } from "./http-protocol.js";

const settings = workerData as ServerSettings;

const { limits } = settings;
const port = parentPort!;
const heartbeat = new BigInt64Array(settings.heartbeat);

let readiness: { ready: boolean; reason: string } = { ready: false, reason: "the watch loop has not finished its first reconcile (GET /status tells more)" };
const asked = new Map<number, (response: WholeResponse) => void>();
let nextId = 1;
let inFlight = 0;
const bodies = tokenBucket(limits.maxBodiesPerSecond);

const post = (message: ServerMessage) => port.postMessage(message);

const server = createServer({
  headersTimeout: limits.headersMs,
  requestTimeout: limits.requestMs,
  keepAliveTimeout: limits.keepAliveMs,
  // How often Node checks the two timeouts above (default 30 s): often enough to keep them.
  connectionsCheckingInterval: Math.max(100, Math.min(1_000, limits.headersMs / 2)),
});
server.setTimeout(limits.idleMs);
server.maxConnections = limits.maxConnections;
server.on("request", (req: IncomingMessage, res: ServerResponse) => {
  handle(req, res).catch((err: unknown) => {
    // Nothing may be sent once headers are: end the connection instead.
    if (res.headersSent) res.destroy();
    else send(req, res, { code: 500, type: TEXT, body: `internal error: ${oneLine(err)}\n` });
  });
});

port.on("message", (message: EndpointMessage) => {
  switch (message.kind) {
    case "response":
      asked.get(message.id)?.(message.response);
      asked.delete(message.id);
      return;
    case "readiness":
      readiness = { ready: message.ready, reason: message.reason };
      return;
    case "close": {
      const grace = setTimeout(() => server.closeAllConnections(), limits.closeGraceMs);
      server.close(() => {
        clearTimeout(grace);
        port.close();
      });
      server.closeIdleConnections();
      return;
    }
  }
});

server.once("error", (err: NodeJS.ErrnoException) => {
  const { host, port: wanted } = settings.listen;
  const code = err.code ? ` (${err.code})` : "";
  const where = isIPv6(host) ? `[${host}]:${wanted}` : `${host}:${wanted}`;
  post({ kind: "listen-error", message: `cannot listen on ${where}: ${err.code === "EADDRINUSE" ? "the address is in use" : err.message}${code}` });
  port.close();
});
server.listen({ host: settings.listen.host, port: settings.listen.port }, () => {
  const info = server.address() as AddressInfo;
  post({ kind: "listening", host: info.address, port: info.port });
});

/** How long ago the loop's thread last beat, ms. */
function stalledFor(): number {
  return Date.now() - Number(Atomics.load(heartbeat, 0));
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
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
    case "/healthz": {
      const stalled = stalledFor();
      if (stalled < settings.stallMs) send(req, res, { code: 200, type: TEXT, body: "ok\n" });
      else send(req, res, { code: 503, type: TEXT, body: `unhealthy: the watch loop's thread has not run for ${Math.round(stalled / 1000)} s\n` });
      return;
    }
    case "/readyz":
      if (readiness.ready) send(req, res, { code: 200, type: TEXT, body: "ready\n" });
      else send(req, res, { code: 503, type: TEXT, body: `not ready: ${readiness.reason}\n` });
      return;
    case "/metrics":
    case "/status": {
      if (inFlight >= limits.maxInFlight) {
        busy(req, res, `${limits.maxInFlight} requests for /status and /metrics are in flight`);
        return;
      }
      if (!bodies.take()) {
        busy(req, res, `/status and /metrics are served ${limits.maxBodiesPerSecond} times a second at most`);
        return;
      }
      inFlight += 1;
      res.once("close", () => (inFlight -= 1));
      const id = nextId++;
      const response = await new Promise<WholeResponse>((resolve) => {
        asked.set(id, resolve);
        post({ kind: "request", id, route: route === "/status" ? "/status" : "/metrics", remoteAddress: req.socket.remoteAddress });
      });
      send(req, res, response);
      return;
    }
  }
}

/**
 * A 503 for a request over a bound, with Retry-After, sent after
 * `busyDelayMs`: a client that asks again as soon as it is refused (a
 * scraper in a loop) is paced to one request a delay, rather than spinning
 * on cheap refusals that take the CPU the loop needs.
 */
function busy(req: IncomingMessage, res: ServerResponse, why: string): void {
  const timer = setTimeout(() => {
    res.setHeader("Retry-After", "1");
    send(req, res, { code: 503, type: TEXT, body: `busy: ${why}; retry in 1 s\n` });
  }, limits.busyDelayMs);
  res.once("close", () => clearTimeout(timer));
}

/** One whole response with its length; HEAD gets the headers only (Node drops the body). */
function send(req: IncomingMessage, res: ServerResponse, { code, type, body }: WholeResponse): void {
  res.statusCode = code;
  res.setHeader("Content-Type", type);
  const bytes = typeof body === "string" ? Buffer.from(body) : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  res.setHeader("Content-Length", bytes.length);
  res.setHeader("Cache-Control", "no-store");
  res.end(req.method === "HEAD" ? undefined : bytes);
}

/** `perSecond` tokens a second, at most `perSecond` saved up: take() says whether one was left. */
function tokenBucket(perSecond: number): { take(): boolean } {
  let tokens = perSecond;
  let at = performance.now();
  return {
    take() {
      const now = performance.now();
      tokens = Math.min(perSecond, tokens + ((now - at) / 1_000) * perSecond);
      at = now;
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
  };
}
