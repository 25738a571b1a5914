/**
 * The loop's HTTP endpoint on 127.0.0.1 with a port the kernel chooses, fed
 * fake metrics and status: every route's code and body, the time limits,
 * what many clients can make it do (one scrape per interval, shared; the
 * in-flight and connection bounds), close(), and the listen addresses
 * --listen takes.
 */
import t, { type Test } from "tap";
import { Agent, request } from "node:http";
import { connect, type Socket } from "node:net";
import { networkInterfaces } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { Worker } from "node:worker_threads";
import {
  DEFAULT_HTTP_LIMITS,
  DEFAULT_LISTEN,
  STATUS_FORBIDDEN,
  parseListen,
  startHttpEndpoint,
  type HttpEndpoint,
  type HttpLimits,
} from "../../src/controller/http.js";
import { createMetrics, type NfCounter } from "../../src/controller/metrics.js";
import type { LoopStatus } from "../../src/controller/status.js";
import { promtoolCheckMetrics } from "../helpers/prometheus.js";

const loopStatus: LoopStatus = {
  formatVersion: 1,
  source: { kind: "git", url: "https://example.invalid/nf.git", ref: "main", path: "edge" },
  conditions: [
    { type: "Ready", status: "True", reason: "ReconciliationSucceeded", message: "applied main@sha1:0123abcd", lastTransitionTime: "2025-01-01T00:00:00.000Z" },
  ],
  lastAppliedRevision: "main@sha1:0123abcd",
  lastAttemptedRevision: "main@sha1:0123abcd",
  lastReconcile: { startedAt: "2025-01-01T00:00:00.000Z", durationSeconds: 0.25, result: "applied" },
  lastSuccessAt: "2025-01-01T00:00:00.250Z",
  reconciles: 1,
  pid: process.pid,
};

interface Fake {
  endpoint: HttpEndpoint;
  base: string;
  ready: boolean;
  status: unknown;
}

const c1: NfCounter[] = [{ ifname: "eth0", hook: "xdp", nf: "c1", verdict: "seen", packets: 9, bytes: 900 }];

async function start(tt: Test, limits: Partial<HttpLimits> = {}): Promise<Fake> {
  const metrics = createMetrics({ version: "0.1.0" });
  metrics.reconcileDone("applied", 0.25);
  const fake = { ready: false, status: loopStatus } as Fake;
  fake.endpoint = await startHttpEndpoint({
    listen: { host: "127.0.0.1", port: 0 },
    metrics,
    scrape: () => ({ status: () => fake.status, nfCounters: () => c1 }),
    ready: () => fake.ready,
    limits,
  });
  fake.base = `http://127.0.0.1:${fake.endpoint.address.port}`;
  tt.teardown(() => fake.endpoint.close());
  return fake;
}

async function get(url: string, init: RequestInit = {}): Promise<{ code: number; type: string | null; body: string; headers: Headers }> {
  const r = await fetch(url, init);
  return { code: r.status, type: r.headers.get("content-type"), body: await r.text(), headers: r.headers };
}

/** A raw connection and everything it received until the server closed it. */
function rawConnection(port: number): { socket: Socket; received: Promise<{ data: string; ms: number }> } {
  const startedAt = Date.now();
  const socket = connect({ host: "127.0.0.1", port });
  let data = "";
  socket.setEncoding("utf8").on("data", (s: string) => (data += s));
  const received = new Promise<{ data: string; ms: number }>((resolve) => socket.once("close", () => resolve({ data, ms: Date.now() - startedAt })));
  socket.on("error", () => undefined);
  return { socket, received };
}

t.test("the endpoint listens where it was told, and says where", async (t) => {
  const f = await start(t);
  t.equal(f.endpoint.address.host, "127.0.0.1");
  t.ok(f.endpoint.address.port > 0, "port 0 becomes a real port");
  t.equal(DEFAULT_LISTEN, "127.0.0.1:9464");
});

t.test("GET /metrics: the registry's exposition, which promtool accepts", async (t) => {
  const f = await start(t);
  const r = await get(`${f.base}/metrics`);
  t.equal(r.code, 200);
  t.equal(r.type, "text/plain; version=0.0.4; charset=utf-8");
  t.match(r.body, /^nfctl_reconciles_total\{result="applied"\} 1$/m);
  t.match(r.body, /^nfctl_nf_packets_total\{interface="eth0",hook="xdp",nf="c1",verdict="seen"\} 9$/m);
  t.match(r.body, /^process_resident_memory_bytes \d+$/m);
  const check = promtoolCheckMetrics(r.body);
  t.equal(check.code, 0, "promtool exits 0");
  t.equal(check.output, "", "and prints no lint problem");
});

t.test("GET /healthz: 200 ok whatever the loop's state", async (t) => {
  const f = await start(t);
  const r = await get(`${f.base}/healthz`);
  t.same([r.code, r.type, r.body], [200, "text/plain; charset=utf-8", "ok\n"]);
  t.equal(r.headers.get("cache-control"), "no-store");
});

t.test("GET /readyz: 503 and one line until ready, then 200", async (t) => {
  const f = await start(t);
  let r = await get(`${f.base}/readyz`);
  t.equal(r.code, 503);
  t.equal(r.type, "text/plain; charset=utf-8");
  t.match(r.body, /^not ready: [^\n]+\n$/, "one line that says why");
  // The server's thread hears of readiness with the loop's heartbeat, every 250 ms.
  f.ready = true;
  await sleep(300);
  r = await get(`${f.base}/readyz`);
  t.same([r.code, r.body], [200, "ready\n"]);
  f.ready = false;
  await sleep(300);
  t.equal((await get(`${f.base}/readyz`)).code, 503, "and back, when the loop says so");
});

t.test("/healthz answers while the loop's thread is busy, and fails once it has not run for stallMs", async (t) => {
  const metrics = createMetrics({ version: "0.1.0" });
  const endpoint = await startHttpEndpoint({
    listen: { host: "127.0.0.1", port: 0 },
    metrics,
    scrape: () => ({ status: () => loopStatus, nfCounters: () => [] }),
    ready: () => true,
    stallMs: 1_500,
  });
  t.teardown(() => endpoint.close());
  const url = `http://127.0.0.1:${endpoint.address.port}/healthz`;
  // A client in another thread: this one is about to be blocked, as a reconcile of 1,500 hooks blocks it.
  const probe = new Worker(
    `const { parentPort, workerData } = require("node:worker_threads");
     (async () => {
       const seen = [];
       for (let i = 0; i < 12; i++) {
         const started = performance.now();
         const r = await fetch(workerData, { signal: AbortSignal.timeout(1000) }).then(async (r) => r.status + " " + (await r.text()).trim(), (e) => "error " + e.name);
         seen.push({ at: i * 250, took: Math.round(performance.now() - started), answer: r });
         await new Promise((resolve) => setTimeout(resolve, 250));
       }
       parentPort.postMessage(seen);
     })();`,
    { eval: true, workerData: url },
  );
  const seen = new Promise<Array<{ at: number; took: number; answer: string }>>((resolve) => probe.once("message", resolve));
  await sleep(100);
  busy(2_500);
  const answers = await seen;
  await probe.terminate();
  const during = answers.filter((a) => a.at < 1_250);
  t.ok(during.length >= 3, `${during.length} probes while the loop's thread was blocked`);
  t.ok(
    during.every((a) => a.answer === "200 ok" && a.took < 1_000),
    `answered at once while busy: ${JSON.stringify(during)}`,
  );
  t.ok(
    answers.some((a) => /^503 unhealthy: the watch loop's thread has not run for [12] s$/.test(a.answer)),
    `and 503, in one line, once it had not run for 1.5 s: ${JSON.stringify(answers.map((a) => a.answer))}`,
  );
  await sleep(300);
  t.equal((await get(url)).code, 200, "healthy again once it runs");
});

t.test("GET /status: the status as JSON, read again once the scrape is older than scrapeMaxAgeMs", async (t) => {
  const f = await start(t, { scrapeMaxAgeMs: 300 });
  const r = await get(`${f.base}/status`);
  t.equal(r.code, 200);
  t.equal(r.type, "application/json; charset=utf-8");
  t.same(JSON.parse(r.body), loopStatus);
  t.ok(r.body.endsWith("}\n"), "a final newline, as nfctl status -o json");
  f.status = { formatVersion: 1, kind: "Status", status: { loop: loopStatus, hooks: [] } };
  t.same(JSON.parse((await get(`${f.base}/status`)).body), loopStatus, "within the interval, the scrape already made");
  await sleep(350);
  t.same(JSON.parse((await get(`${f.base}/status?pretty=0`)).body), f.status, "after it, a new one; the query string is ignored");
  t.equal(DEFAULT_HTTP_LIMITS.scrapeMaxAgeMs, 1_000);
});

t.test("a status or readiness callback that throws is a 500 or a 503 with one line; /metrics goes on without the NF counters", async (t) => {
  const metrics = createMetrics({ version: "0.1.0" });
  const unreadable = (): never => {
    throw new Error("records map\nunreadable");
  };
  const endpoint = await startHttpEndpoint({
    listen: { host: "127.0.0.1", port: 0 },
    metrics,
    scrape: () => ({ status: unreadable, nfCounters: unreadable }),
    ready: () => {
      throw new Error("loop gone");
    },
  });
  t.teardown(() => endpoint.close());
  const base = `http://127.0.0.1:${endpoint.address.port}`;
  t.same(await get(`${base}/status`).then((r) => [r.code, r.body]), [500, "internal error: records map unreadable\n"]);
  const m = await get(`${base}/metrics`);
  t.equal(m.code, 200);
  t.match(m.body, /^nfctl_nf_stats_read_errors_total 1$/m, "the failed read is counted once for the one scrape");
  t.same(await get(`${base}/readyz`).then((r) => [r.code, r.body]), [503, "not ready: loop gone\n"]);
  t.equal((await get(`${base}/healthz`)).code, 200, "and the endpoint goes on");
});

/** This machine's first IPv4 address that is not loopback: a client connecting from it is not local to the endpoint's rule. */
function nonLoopbackAddress(): string | undefined {
  return Object.values(networkInterfaces())
    .flat()
    .find((a) => a?.family === "IPv4" && !a.internal)?.address;
}

const outside = nonLoopbackAddress();
const noOutside = outside === undefined && "this machine has no IPv4 address but loopback to be a client from";
t.test("listening on every address, /status answers loopback clients only; the other routes answer every client", { skip: noOutside }, async (t) => {
  const metrics = createMetrics({ version: "0.1.0" });
  for (const host of ["0.0.0.0", "::"]) {
    const endpoint = await startHttpEndpoint({
      listen: { host, port: 0 },
      metrics,
      scrape: () => ({ status: () => loopStatus, nfCounters: () => [] }),
      ready: () => true,
    });
    t.teardown(() => endpoint.close());
    const port = endpoint.address.port;
    const local = await get(`http://127.0.0.1:${port}/status`);
    t.same([local.code, JSON.parse(local.body)], [200, loopStatus], `${host}: 127.0.0.1 reads /status (on "::" it arrives as ::ffff:127.0.0.1)`);
    const far = await get(`http://${outside!}:${port}/status`);
    t.same([far.code, far.type, far.body], [403, "text/plain; charset=utf-8", `${STATUS_FORBIDDEN}\n`], `${host}: ${outside} is refused, with one line`);
    t.same((await get(`http://${outside}:${port}/status`, { method: "HEAD" })).code, 403, `${host}: HEAD as GET`);
    for (const path of ["/metrics", "/healthz", "/readyz"])
      t.equal((await get(`http://${outside}:${port}${path}`)).code, 200, `${host}: ${outside} reads ${path}`);
    await endpoint.close();
  }
  t.match(STATUS_FORBIDDEN, /^forbidden: [^\n]*--expose-status$/, "the line says how to allow it");
});

t.test("statusAllowed decides who reads /status, from the client's address", async (t) => {
  const metrics = createMetrics({ version: "0.1.0" });
  const asked: (string | undefined)[] = [];
  let allow = false;
  const endpoint = await startHttpEndpoint({
    listen: { host: "127.0.0.1", port: 0 },
    metrics,
    scrape: () => ({ status: () => loopStatus, nfCounters: () => [] }),
    ready: () => true,
    statusAllowed: (address) => (asked.push(address), allow),
  });
  t.teardown(() => endpoint.close());
  const base = `http://127.0.0.1:${endpoint.address.port}`;
  t.same(await get(`${base}/status`).then((r) => [r.code, r.body]), [403, `${STATUS_FORBIDDEN}\n`], "refused when it says no");
  allow = true;
  t.equal((await get(`${base}/status`)).code, 200, "served when it says yes");
  t.equal((await get(`${base}/metrics`)).code, 200);
  t.same(asked, ["127.0.0.1", "127.0.0.1"], "asked with the client's address, for /status only");
});

/** Keeps the thread busy for `ms`, as a synchronous walk of the kernel through FFI does. */
function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

/** A time that threads share (performance.now() counts from each thread's own start). */
const clock = () => performance.timeOrigin + performance.now();

/**
 * `clients` clients that GET `url` back to back for `ms`, in a worker
 * thread so that their own work does not slow the endpoint's: how many
 * responses they had, and how long before each request the oldest scrape
 * served to it was built (its body's `builtAt`).
 */
async function hammer(url: string, clients: number, ms: number): Promise<{ responses: number; oldest: number; errors: string[] }> {
  const code = `
    const { parentPort, workerData: { url, clients, ms } } = require("node:worker_threads");
    const clock = () => performance.timeOrigin + performance.now();
    const end = clock() + ms;
    let responses = 0, oldest = 0;
    const errors = [];
    const client = async () => {
      while (clock() < end) {
        const askedAt = clock();
        const r = await fetch(url);
        const body = await r.text();
        if (r.status !== 200) { errors.push(r.status + " " + body); continue; }
        oldest = Math.max(oldest, askedAt - JSON.parse(body).builtAt);
        responses++;
      }
    };
    Promise.all(Array.from({ length: clients }, client)).then(() => parentPort.postMessage({ responses, oldest, errors: errors.slice(0, 5) }));
  `;
  const worker = new Worker(code, { eval: true, workerData: { url, clients, ms } });
  try {
    return await new Promise((resolve, reject) => {
      worker.once("message", resolve);
      worker.once("error", reject);
    });
  } finally {
    await worker.terminate();
  }
}

t.test("50 clients hammering /status for 2 s: one scrape per interval, never older than it, and /healthz within 1 s", async (t) => {
  const intervalMs = 250;
  const hammerMs = 2_000;
  let scrapes = 0;
  // A scrape like the real one: 40 ms walking the kernel synchronously, then
  // 10 ms more in which requests that come wait for this same scrape.
  const scrape = async () => {
    scrapes++;
    busy(40);
    await sleep(10);
    const builtAt = clock();
    return { status: () => ({ builtAt }), nfCounters: () => [] };
  };
  // In flight, as many as there are clients: this test is about the scrapes, the next ones about the bounds.
  const endpoint = await startHttpEndpoint({
    listen: { host: "127.0.0.1", port: 0 },
    metrics: createMetrics({ version: "0.1.0" }),
    scrape,
    ready: () => true,
    limits: { scrapeMaxAgeMs: intervalMs, maxInFlight: 64, maxBodiesPerSecond: 1_000_000 },
  });
  t.teardown(() => endpoint.close());
  const base = `http://127.0.0.1:${endpoint.address.port}`;
  const end = clock() + hammerMs;
  const healthz: number[] = [];
  const probe = async () => {
    while (clock() < end) {
      const startedAt = clock();
      const r = await get(`${base}/healthz`);
      healthz.push(r.code === 200 ? clock() - startedAt : Infinity);
      await sleep(100);
    }
  };
  const [{ responses, oldest, errors }] = await Promise.all([hammer(`${base}/status`, 50, hammerMs), probe()]);
  t.same(errors, [], "every request was answered 200");
  t.ok(responses > 100, `the clients were served (${responses} responses)`);
  t.ok(scrapes <= hammerMs / intervalMs + 1, `${scrapes} scrapes for ${responses} requests in ${hammerMs} ms, at most ${hammerMs / intervalMs + 1}`);
  t.ok(oldest <= intervalMs, `no response older than ${intervalMs} ms when asked for (oldest ${oldest.toFixed(1)} ms)`);
  t.ok(healthz.length >= 10, `/healthz was probed ${healthz.length} times`);
  t.ok(Math.max(...healthz) < 1_000, `/healthz answered within 1 s each time (slowest ${Math.max(...healthz).toFixed(0)} ms)`);
});

t.test("/status and /metrics share one scrape: the kernel is read once for both", async (t) => {
  let scrapes = 0;
  const endpoint = await startHttpEndpoint({
    listen: { host: "127.0.0.1", port: 0 },
    metrics: createMetrics({ version: "0.1.0" }),
    scrape: () => {
      scrapes++;
      return { status: () => ({ scrape: scrapes }), nfCounters: () => c1 };
    },
    ready: () => true,
  });
  t.teardown(() => endpoint.close());
  const base = `http://127.0.0.1:${endpoint.address.port}`;
  const [status, metrics] = await Promise.all([get(`${base}/status`), get(`${base}/metrics`)]);
  t.same(JSON.parse(status.body), { scrape: 1 });
  t.match(metrics.body, /^nfctl_nf_packets_total\{interface="eth0",hook="xdp",nf="c1",verdict="seen"\} 9$/m);
  t.equal(scrapes, 1, "one scrape served both");
});

t.test("beyond maxInFlight requests for /status and /metrics: 503 and Retry-After after busyDelayMs; /healthz and /readyz still answer", async (t) => {
  let open: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const endpoint = await startHttpEndpoint({
    listen: { host: "127.0.0.1", port: 0 },
    metrics: createMetrics({ version: "0.1.0" }),
    // A scrape that takes until the test says: the first two requests stay in flight.
    scrape: async () => {
      await gate;
      return { status: () => ({ ok: true }), nfCounters: () => [] };
    },
    ready: () => true,
    limits: { maxInFlight: 2, busyDelayMs: 300 },
  });
  t.teardown(() => endpoint.close());
  const base = `http://127.0.0.1:${endpoint.address.port}`;
  const waiting = [get(`${base}/status`), get(`${base}/metrics`)];
  await sleep(100);
  const startedAt = performance.now();
  const refused = await Promise.race([get(`${base}/status`), sleep(2_000).then(() => undefined)]);
  const ms = performance.now() - startedAt;
  t.same(refused && [refused.code, refused.body, refused.headers.get("retry-after")], [
    503,
    "busy: 2 requests for /status and /metrics are in flight; retry in 1 s\n",
    "1",
  ]);
  t.ok(ms >= 290 && ms < 1_000, `refused after the busy delay of 300 ms (${ms.toFixed(0)} ms)`);
  t.equal((await get(`${base}/metrics`)).code, 503, "/metrics counts against the same bound");
  t.same(await get(`${base}/healthz`).then((r) => [r.code, r.body]), [200, "ok\n"], "liveness does not wait for scrapers");
  t.same(await get(`${base}/readyz`).then((r) => [r.code, r.body]), [200, "ready\n"], "nor does readiness");
  open();
  t.same(
    (await Promise.all(waiting)).map((r) => r.code),
    [200, 200],
  );
  t.equal((await get(`${base}/status`)).code, 200, "a finished response leaves the bound");
});

t.test("beyond maxBodiesPerSecond, /status and /metrics are 503 with Retry-After until the next second", async (t) => {
  const f = await start(t, { maxBodiesPerSecond: 2, busyDelayMs: 10 });
  const codes: number[] = [];
  for (const path of ["/status", "/metrics"]) codes.push((await get(`${f.base}${path}`)).code);
  const third = await get(`${f.base}/status`);
  t.same([...codes, third.code], [200, 200, 503], "two bodies a second, then busy");
  t.equal(third.body, "busy: /status and /metrics are served 2 times a second at most; retry in 1 s\n");
  t.equal(third.headers.get("retry-after"), "1");
  t.equal((await get(`${f.base}/healthz`)).code, 200, "/healthz is not counted");
  await sleep(600);
  t.equal((await get(`${f.base}/status`)).code, 200, "a body again half a second later");
});

t.test("beyond maxConnections, a connection is closed as soon as it is accepted", async (t) => {
  const f = await start(t, { maxConnections: 2 });
  const held = [rawConnection(f.endpoint.address.port), rawConnection(f.endpoint.address.port)];
  await Promise.all(held.map(({ socket }) => new Promise((resolve) => socket.once("connect", resolve))));
  await sleep(100);
  const extra = rawConnection(f.endpoint.address.port);
  extra.socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  const { data, ms } = await extra.received;
  t.equal(data, "", "no answer");
  t.ok(ms < 1_000, `closed after ${ms} ms`);
  for (const { socket } of held) socket.destroy();
  await Promise.all(held.map(({ received }) => received));
  await sleep(100);
  t.equal((await get(`${f.base}/healthz`)).code, 200, "a freed place is taken again");
});

t.test("HEAD: the headers of GET, no body", async (t) => {
  const f = await start(t);
  for (const path of ["/healthz", "/metrics", "/status", "/readyz"]) {
    const g = await get(`${f.base}${path}`);
    const h = await get(`${f.base}${path}`, { method: "HEAD" });
    t.equal(h.code, g.code, `${path}: the code of GET`);
    t.equal(h.body, "", `${path}: no body`);
    t.equal(h.type, g.type, `${path}: the type of GET`);
  }
  t.equal((await get(`${f.base}/healthz`, { method: "HEAD" })).headers.get("content-length"), "3");
});

t.test("other paths are 404, other methods 405", async (t) => {
  const f = await start(t);
  for (const path of ["/", "/metrics/", "/nope", "/status.json", "/healthz/x"]) {
    const r = await get(`${f.base}${path}`);
    t.equal(r.code, 404, path);
    t.equal(r.body, "not found; the routes are /metrics, /healthz, /readyz, /status\n");
  }
  for (const method of ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"]) {
    const r = await get(`${f.base}/metrics`, { method });
    t.equal(r.code, 405, method);
    t.equal(r.headers.get("allow"), "GET, HEAD");
    t.equal(r.body, `method "${method}" not allowed; use GET or HEAD\n`);
  }
});

t.test("a client that never finishes its headers is cut off", async (t) => {
  const f = await start(t, { headersMs: 300, requestMs: 600 });
  const { socket, received } = rawConnection(f.endpoint.address.port);
  socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n");
  const { data, ms } = await received;
  t.match(data, /^HTTP\/1\.1 408 /, "408 Request Timeout");
  t.ok(ms < 3_000, `closed after ${ms} ms`);
  t.equal((await get(`${f.base}/healthz`)).code, 200, "other clients are served");
});

t.test("a silent connection is closed", async (t) => {
  const f = await start(t, { idleMs: 300 });
  const { received } = rawConnection(f.endpoint.address.port);
  const { data, ms } = await received;
  t.ok(ms < 3_000, `closed after ${ms} ms`);
  t.ok(data === "" || data.startsWith("HTTP/1.1 408"), "with nothing or a 408");
});

t.test("close() ends idle keep-alive sockets at once", async (t) => {
  const f = await start(t, { keepAliveMs: 60_000, idleMs: 60_000, closeGraceMs: 30_000 });
  const agent = new Agent({ keepAlive: true });
  t.teardown(() => agent.destroy());
  const code = await new Promise<number>((resolve, reject) => {
    request(`${f.base}/healthz`, { agent }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    })
      .on("error", reject)
      .end();
  });
  t.equal(code, 200);
  const startedAt = Date.now();
  await f.endpoint.close();
  const ms = Date.now() - startedAt;
  t.ok(ms < 1_000, `closed in ${ms} ms, not after the keep-alive timeout`);
  await t.rejects(fetch(`${f.base}/healthz`), "nobody listens any more");
  await f.endpoint.close();
  t.pass("a second close() is harmless");
});

t.test("close() ends a busy socket after the grace period", async (t) => {
  const f = await start(t, { headersMs: 60_000, requestMs: 60_000, idleMs: 60_000, closeGraceMs: 300 });
  const { socket, received } = rawConnection(f.endpoint.address.port);
  socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n");
  await new Promise((resolve) => setTimeout(resolve, 100));
  const startedAt = Date.now();
  await f.endpoint.close();
  const ms = Date.now() - startedAt;
  t.ok(ms >= 250 && ms < 3_000, `closed in ${ms} ms`);
  await received;
  t.ok(socket.destroyed, "the client's socket is closed");
});

t.test("a taken port is one clear error", async (t) => {
  const f = await start(t);
  const metrics = createMetrics({ version: "0.1.0" });
  const port = f.endpoint.address.port;
  await t.rejects(
    startHttpEndpoint({ listen: { host: "127.0.0.1", port }, metrics, scrape: () => ({ status: () => ({}), nfCounters: () => [] }), ready: () => true }),
    {
      message: `cannot listen on 127.0.0.1:${port}: the address is in use (EADDRINUSE)`,
    },
  );
});

t.test("parseListen takes HOST:PORT and [IPV6]:PORT", async (t) => {
  t.same(parseListen("127.0.0.1:9464"), { host: "127.0.0.1", port: 9464 });
  t.same(parseListen(DEFAULT_LISTEN), { host: "127.0.0.1", port: 9464 });
  t.same(parseListen("0.0.0.0:80"), { host: "0.0.0.0", port: 80 });
  t.same(parseListen("[::1]:9464"), { host: "::1", port: 9464 });
  t.same(parseListen("[::]:9464"), { host: "::", port: 9464 });
  t.same(parseListen("[fe80::1%eth0]:9464"), { host: "fe80::1%eth0", port: 9464 });
  t.same(parseListen("localhost:0"), { host: "localhost", port: 0 });
  t.same(parseListen("node-1.example.org:65535"), { host: "node-1.example.org", port: 65535 });
});

t.test("parseListen refuses the rest with one line each", async (t) => {
  const cases: [string, RegExp][] = [
    ["", /^listen address "" has no port: write HOST:PORT, e\.g\. 127\.0\.0\.1:9464/],
    ["127.0.0.1", /^listen address "127\.0\.0\.1" has no port/],
    [
      ":9464",
      /^listen address ":9464" names no host: write 127\.0\.0\.1:9464 for this machine only, 0\.0\.0\.0:9464 for every IPv4 address, or \[::\]:9464 for every address$/,
    ],
    ["::1:9464", /^listen address "::1:9464": write an IPv6 address in brackets, e\.g\. \[::1\]:9464$/],
    ["[127.0.0.1]:9464", /brackets hold an IPv6 address/],
    ["[::1]", /^listen address "\[::1\]" has no port: write \[IPV6\]:PORT/],
    ["[::1]x:80", /write \[IPV6\]:PORT, e\.g\. \[::1\]:9464$/],
    ["[::1]:", /the port must be a number from 0 to 65535/],
    ["127.0.0.1:", /the port must be a number from 0 to 65535/],
    ["127.0.0.1:http", /the port must be a number/],
    ["127.0.0.1:-1", /the port must be a number/],
    ["127.0.0.1:+80", /the port must be a number/],
    ["127.0.0.1:123456", /the port must be a number/],
    ["127.0.0.1:65536", /port 65536 is out of range \(0 to 65535\)$/],
    [" 127.0.0.1:9464", /" 127\.0\.0\.1" is neither an IPv4 address nor a host name/],
    ["under_score:1", /is neither an IPv4 address nor a host name/],
    ["http://127.0.0.1:9464", /write an IPv6 address in brackets|neither/],
    ["x\ny:1", /"x\\ny" is neither/],
    [`${"a".repeat(300)}:1`, /"a{100}\.\.\."/],
  ];
  for (const [value, message] of cases) {
    let error: unknown;
    try {
      parseListen(value);
    } catch (err) {
      error = err;
    }
    t.ok(error instanceof Error, `${JSON.stringify(value)} is refused`);
    const text = error instanceof Error ? error.message : "";
    t.match(text, message, JSON.stringify(value));
    t.notMatch(text, /\n/, "in one line");
  }
});
