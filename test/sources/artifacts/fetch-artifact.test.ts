/**
 * fetchArtifact: file:// (regular files inside the roots only) and
 * https:// from a server with a self-signed certificate trusted through
 * `ca` (as --ca-file gives it), bounded in time and size, redirects
 * followed by hand without credentials on another origin, never plain
 * http, and every failure one line naming the URL without its password.
 */
import t from "tap";
import { execFileSync } from "node:child_process";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { fetchArtifact } from "../../../src/sources/artifacts/fetch-artifact.js";
import { rejectionOf as failure } from "../helpers/artifact-errors.js";
import { localServer } from "../helpers/local-https.js";
import { tempDir } from "../helpers/temp.js";

const OBJECT = Buffer.from("\x7fELF pretend object");
const PASSWORD = "artifact-t0ken-SECRET";

t.test("file://: a regular file's bytes; inside the roots only, symlinks resolved", async (t) => {
  const dir = tempDir(t);
  const root = join(dir, "root");
  mkdirSync(root);
  writeFileSync(join(root, "nf.o"), OBJECT);
  writeFileSync(join(dir, "outside.o"), OBJECT);
  symlinkSync(join(dir, "outside.o"), join(root, "escape.o"));
  symlinkSync(join(root, "nf.o"), join(dir, "link-in.o"));
  const url = (path: string) => pathToFileURL(path).href;
  t.same(await fetchArtifact(url(join(root, "nf.o")), {}), OBJECT);
  t.same(await fetchArtifact(url(join(root, "nf.o")), { roots: [root] }), OBJECT);
  t.same(await fetchArtifact(url(join(dir, "link-in.o")), { roots: [root] }), OBJECT, "a link into the roots is its target");
  const escaped = await failure(fetchArtifact(url(join(root, "escape.o")), { roots: [root] }));
  t.equal(
    escaped.message,
    `artifact ${url(join(root, "escape.o"))}: it is ${join(dir, "outside.o")}, outside the directories the config may take code from (${root})`,
  );
  t.equal(escaped.code, "artifact-unavailable");
});

t.test("file://: missing, a directory, a FIFO (not waited on), too large, another host", async (t) => {
  const dir = tempDir(t);
  const url = (name: string) => pathToFileURL(join(dir, name)).href;
  t.equal((await failure(fetchArtifact(url("missing.o"), {}))).message, `artifact ${url("missing.o")}: cannot read it: no such file or directory`);
  mkdirSync(join(dir, "d"));
  t.equal((await failure(fetchArtifact(url("d"), {}))).message, `artifact ${url("d")}: it is not a regular file`);
  execFileSync("mkfifo", [join(dir, "fifo")]);
  t.equal((await failure(fetchArtifact(url("fifo"), {}))).message, `artifact ${url("fifo")}: it is not a regular file`);
  writeFileSync(join(dir, "big.o"), Buffer.alloc(11));
  t.equal(
    (await failure(fetchArtifact(url("big.o"), { maxBytes: 10 }))).message,
    `artifact ${url("big.o")}: it is larger than 10 bytes, the most nfctl reads of it`,
  );
  t.same(await fetchArtifact(url("big.o"), { maxBytes: 11 }), Buffer.alloc(11));
  t.equal(
    (await failure(fetchArtifact("file://files.example/nf.o", {}))).message,
    "artifact file://files.example/nf.o: is not a local file URL (file:///absolute/path)",
  );
});

t.test("https with the server's certificate trusted through ca; without it, one line pointing at --ca-file", async (t) => {
  const server = await localServer(t, (request, response) => {
    if (request.url === "/nfs/nf.o") response.end(OBJECT);
    else response.writeHead(404).end("no");
  });
  t.same(await fetchArtifact(`${server.origin}/nfs/nf.o`, { ca: server.ca }), OBJECT);
  t.equal((await failure(fetchArtifact(`${server.origin}/nfs/other.o`, { ca: server.ca }))).message, `artifact ${server.origin}/nfs/other.o: HTTP 404`);
  t.equal(
    (await failure(fetchArtifact(`${server.origin}/nfs/nf.o`, {}))).message,
    `artifact ${server.origin}/nfs/nf.o: self-signed certificate (trust the server's CA with --ca-file)`,
  );
});

t.test("plain http and other schemes are refused before any request", async (t) => {
  const server = await localServer(t, (_request, response) => response.end(OBJECT), { tls: false });
  t.equal(
    (await failure(fetchArtifact(`${server.origin}/nf.o`, {}))).message,
    `artifact ${server.origin}/nf.o: plain http is refused: use https:// (with --ca-file for a private CA) or file://`,
  );
  t.equal(server.requests.length, 0);
  t.equal(
    (await failure(fetchArtifact("ftp://files.example/nf.o", {}))).message,
    "artifact ftp://files.example/nf.o: the scheme ftp: is not supported (file:// or https://)",
  );
  t.equal((await failure(fetchArtifact("nf.o", {}))).message, "artifact nf.o: is not a URL (file:///path or https://host/path)");
});

t.test("credentials in the URL: Basic auth to its origin, not after a redirect to another; never in a message", async (t) => {
  const storage = await localServer(t, (request, response) => {
    if (request.url === "/blob") response.end(OBJECT);
    else response.writeHead(404).end();
  });
  const server = await localServer(t, (request, response) => {
    if (request.url === "/nf.o") response.end(OBJECT);
    else if (request.url === "/moved.o") response.writeHead(302, { location: "/nf.o" }).end();
    else if (request.url === "/away.o") response.writeHead(307, { location: `${storage.origin}/blob` }).end();
    else if (request.url === "/away-missing.o") response.writeHead(302, { location: `https://ci:${PASSWORD}@${storage.host}/missing` }).end();
    else response.writeHead(404).end();
  });
  const ca = server.ca + storage.ca;
  const url = (path: string) => `https://ci:${PASSWORD}@${server.host}${path}`;
  const basic = `Basic ${Buffer.from(`ci:${PASSWORD}`).toString("base64")}`;
  t.same(await fetchArtifact(url("/nf.o"), { ca }), OBJECT);
  t.same(await fetchArtifact(url("/moved.o"), { ca }), OBJECT);
  t.same(
    server.requests.map((r) => [r.url, r.headers.authorization]),
    [
      ["/nf.o", basic],
      ["/moved.o", basic],
      ["/nf.o", basic],
    ],
    "the same origin gets the credentials after a redirect",
  );
  t.same(await fetchArtifact(url("/away.o"), { ca }), OBJECT);
  t.same(
    storage.requests.map((r) => [r.url, r.headers.authorization]),
    [["/blob", undefined]],
    "another origin does not",
  );
  const missing = await failure(fetchArtifact(url("/away-missing.o"), { ca }));
  t.equal(missing.message, `artifact https://***@${server.host}/away-missing.o: HTTP 404`);
  t.equal(storage.requests[1]?.headers.authorization, undefined, "a Location's own user info is not used either");
  const none = await failure(fetchArtifact(`https://ci:${PASSWORD}@${server.host}/none.o?sig=${PASSWORD}`, { ca }));
  t.equal(none.message, `artifact https://***@${server.host}/none.o?sig=***: HTTP 404`);
});

t.test("redirects: to plain http refused, more than 5 refused", async (t) => {
  const plain = await localServer(t, (_request, response) => response.end(OBJECT), { tls: false });
  const server = await localServer(t, (request, response) => {
    const hop = Number(/^\/loop\/(\d+)$/.exec(request.url ?? "")?.[1] ?? Number.NaN);
    if (request.url === "/to-http") response.writeHead(301, { location: `${plain.origin}/nf.o` }).end();
    else if (!Number.isNaN(hop)) response.writeHead(302, { location: `/loop/${hop + 1}` }).end();
    else if (request.url === "/bad-location") response.writeHead(302, { location: "https://[bad" }).end();
    else response.writeHead(404).end();
  });
  t.equal(
    (await failure(fetchArtifact(`${server.origin}/to-http`, { ca: server.ca }))).message,
    `artifact ${server.origin}/to-http: redirected to ${plain.origin}/nf.o: plain http to ${plain.host} is refused`,
  );
  t.equal(plain.requests.length, 0);
  t.equal(
    (await failure(fetchArtifact(`${server.origin}/bad-location`, { ca: server.ca }))).message,
    `artifact ${server.origin}/bad-location: redirected to a Location that is not a URL`,
  );
  t.equal((await failure(fetchArtifact(`${server.origin}/loop/0`, { ca: server.ca }))).message, `artifact ${server.origin}/loop/0: more than 5 redirects`);
  t.equal(server.requests.filter((r) => r.url.startsWith("/loop/")).length, 6, "the first request and 5 redirects followed");
});

t.test("size: refused by Content-Length before the body, and while reading a body without one", async (t) => {
  let chunksSent = 0;
  const server = await localServer(t, (request, response) => {
    if (request.url === "/declared") {
      response.writeHead(200, { "content-length": String(1024 * 1024) });
      response.end(Buffer.alloc(1024 * 1024));
      return;
    }
    // An endless body: chunks until the client goes away.
    response.writeHead(200);
    const more = (): void => {
      if (response.destroyed || chunksSent > 10_000) {
        response.end();
        return;
      }
      chunksSent++;
      if (response.write(Buffer.alloc(16 * 1024))) setImmediate(more);
      else response.once("drain", more);
    };
    more();
  });
  t.equal(
    (await failure(fetchArtifact(`${server.origin}/declared`, { ca: server.ca, maxBytes: 1000 }))).message,
    `artifact ${server.origin}/declared: the response is larger than 1000 bytes, the most nfctl reads of it`,
  );
  t.equal(
    (await failure(fetchArtifact(`${server.origin}/endless`, { ca: server.ca, maxBytes: 64 * 1024 }))).message,
    `artifact ${server.origin}/endless: the response is larger than 64 KiB, the most nfctl reads of it`,
  );
  t.ok(chunksSent < 10_000, `the endless body was not read to its end (${chunksSent} chunks sent)`);
});

t.test("time: a server that never answers, and one that stops in the middle of the body", async (t) => {
  const server = await localServer(t, (request, response) => {
    if (request.url === "/half") {
      response.writeHead(200, { "content-length": "100" });
      response.write(Buffer.alloc(50));
    }
    // Otherwise: silence.
  });
  const started = Date.now();
  t.equal(
    (await failure(fetchArtifact(`${server.origin}/silent`, { ca: server.ca, timeoutMs: 300 }))).message,
    `artifact ${server.origin}/silent: no complete answer within 0.3 s`,
  );
  t.equal(
    (await failure(fetchArtifact(`${server.origin}/half`, { ca: server.ca, timeoutMs: 300 }))).message,
    `artifact ${server.origin}/half: no complete answer within 0.3 s`,
  );
  t.ok(Date.now() - started < 5000, "both ended at their deadline");
});
