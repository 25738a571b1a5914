/**
 * HTTP for registries and artifact servers, bounded: every request ends
 * within a deadline, reads at most a given number of bytes, and follows
 * redirects by hand so that credentials never reach another origin. https
 * only, with the operator's CA file added to the system's; plain http only
 * to the hosts the operator names (--insecure-registry). Failures are one
 * ArtifactError line naming what was fetched (its URL without userinfo or
 * query values) and why, never a header's value.
 *
 * It is undici's fetch (the one Node ships) with an Agent of its own: Node's
 * global fetch takes no CA of the caller's.
 *
 * @example
 *     const request = httpClient({ ca: readFileSync("ca.pem", "utf8") });
 *     const { status, body } = await request("https://artifacts.example/nf.o", {
 *       maxBytes: MAX_DOWNLOAD_BYTES, code: "artifact-unavailable", what: "artifact https://artifacts.example/nf.o",
 *     });
 */
import { rootCertificates } from "node:tls";
import { Agent, fetch, type Headers, type Response } from "undici";
import type { CodeProblem } from "../../state/code-source.js";
import { redactUrl } from "../git-url.js";
import { ArtifactError } from "./errors.js";

/** Each request (its redirects and its whole body included) ends within 60 s. */
export const REQUEST_TIMEOUT_MS = 60_000;
/** A layer, a package or an object: at most 64 MiB. */
export const MAX_DOWNLOAD_BYTES = 64 * 1024 * 1024;
/** Redirects followed, as most clients do; a registry's blob store takes one. */
export const MAX_REDIRECTS = 5;
/** What is read of an error response (a registry's JSON errors), the rest dropped. */
const MAX_ERROR_BODY_BYTES = 16 * 1024;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export interface HttpOptions {
  /** PEM certificates trusted besides the system's CAs. */
  ca?: string;
  /** host[:port] names (as a URL's host) that may be reached over plain http; given (even empty) by registries, whose messages then name --insecure-registry. */
  insecureHosts?: readonly string[];
  /** The deadline of each request; REQUEST_TIMEOUT_MS when not given. */
  timeoutMs?: number;
}

export interface HttpRequest {
  method?: "GET" | "HEAD" | "POST" | "PUT";
  /** Sent to the first URL's origin; Authorization is dropped once a redirect leaves it. */
  headers?: Record<string, string>;
  body?: Buffer;
  /** The most bytes of a successful response's body read: more is an error, found without reading it all. */
  maxBytes: number;
  /** What a body over maxBytes is said to be; by default "the response is larger than <maxBytes>, the most nfctl reads of it". */
  tooLarge?: string;
  /** The code of the ArtifactError a failure throws. */
  code: CodeProblem;
  /** What is fetched, as messages start: "artifact https://…", "registry 127.0.0.1:5000". */
  what: string;
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  /** The body; of a status of 300 or more, at most its first 16 KiB. */
  body: Buffer;
}

/** Sends one request (following GET and HEAD redirects); any status is returned, failures to get one throw. */
export type HttpClient = (url: string, request: HttpRequest) => Promise<HttpResponse>;

/**
 * The connection pool of clients that trust `ca` (and Node's CAs), one for
 * the process's life: the watch loop makes a resolver, and so clients, for
 * every reconcile, and a pool a reconcile made and dropped would hold its
 * idle connections until they time out. Bounded by the CA files given (one
 * per --ca-file).
 */
const agents = new Map<string, Agent>();

function agentFor(ca: string | undefined): Agent {
  let agent = agents.get(ca ?? "");
  if (agent === undefined) {
    agent = new Agent(ca === undefined ? {} : { connect: { ca: [...rootCertificates, ca] } });
    agents.set(ca ?? "", agent);
  }
  return agent;
}

/**
 * An HttpClient on the connection pool of its CAs (agentFor), trusting `options.ca` too.
 * Redirects of GET and HEAD are followed (at most MAX_REDIRECTS), each
 * checked against the scheme rule; another method's redirect is returned
 * as it is.
 */
export function httpClient(options: HttpOptions): HttpClient {
  const dispatcher = agentFor(options.ca);
  const timeoutMs = options.timeoutMs ?? REQUEST_TIMEOUT_MS;
  const insecure = new Set((options.insecureHosts ?? []).map((host) => host.toLowerCase()));
  return async (url, request) => {
    const fail = (why: string, cause?: unknown): never => {
      throw new ArtifactError(request.code, `${request.what}: ${why}`, cause === undefined ? undefined : { cause });
    };
    const signal = AbortSignal.timeout(timeoutMs);
    const method = request.method ?? "GET";
    const first = URL.canParse(url) ? new URL(url) : fail("is not a URL");
    let current = first;
    let headers: Record<string, string> = { "accept-encoding": "identity", ...request.headers };
    try {
      for (let hop = 0; ; hop++) {
        if (current.protocol !== "https:" && !(current.protocol === "http:" && insecure.has(current.host.toLowerCase()))) {
          fail(`${hop === 0 ? "" : `redirected to ${redactUrl(current.href)}: `}${schemeProblem(current, options.insecureHosts !== undefined)}`);
        }
        const response = await fetch(current, { method, headers, body: request.body ?? null, redirect: "manual", signal, dispatcher });
        const location = response.headers.get("location");
        if (!REDIRECTS.has(response.status) || location === null || (method !== "GET" && method !== "HEAD")) {
          // A HEAD's Content-Length is the resource's, not a body's.
          const tooLarge = request.tooLarge ?? `the response is larger than ${byteSize(request.maxBytes)}, the most nfctl reads of it`;
          const body = method === "HEAD" ? Buffer.alloc(0) : await readBody(response, request.maxBytes, () => fail(tooLarge));
          return { status: response.status, headers: response.headers, body };
        }
        await response.body?.cancel();
        if (hop === MAX_REDIRECTS) fail(`more than ${MAX_REDIRECTS} redirects`);
        if (!URL.canParse(location, current)) fail("redirected to a Location that is not a URL");
        const next = new URL(location, current);
        // Userinfo in a Location is never used: credentials go in headers, to the first origin only.
        next.username = "";
        next.password = "";
        if (next.origin !== first.origin) headers = withoutAuthorization(headers);
        current = next;
      }
    } catch (err) {
      if (err instanceof ArtifactError) throw err;
      return fail(networkProblem(err, signal, timeoutMs), err);
    }
  };
}

function schemeProblem(url: URL, registries: boolean): string {
  const hint = registries ? " (only hosts named with --insecure-registry are reached over http)" : "";
  if (url.protocol === "http:") return `plain http to ${url.host} is refused${hint}`;
  return `the scheme ${url.protocol} is not supported (https only)`;
}

function withoutAuthorization(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => name.toLowerCase() !== "authorization"));
}

/**
 * The body, read chunk by chunk: a successful response longer than
 * `maxBytes` (by its Content-Length, or once that many bytes came) fails
 * and the rest is never read; an error response is cut at 16 KiB.
 */
async function readBody(response: Response, maxBytes: number, tooLarge: () => never): Promise<Buffer> {
  const isError = response.status >= 300;
  const limit = isError ? MAX_ERROR_BODY_BYTES : maxBytes;
  const length = Number(response.headers.get("content-length") ?? Number.NaN);
  if (!isError && length > limit) {
    await response.body?.cancel();
    tooLarge();
  }
  const chunks: Buffer[] = [];
  let total = 0;
  if (response.body === null) return Buffer.alloc(0);
  for await (const chunk of response.body) {
    const bytes = Buffer.from(chunk as Uint8Array);
    if (total + bytes.length > limit) {
      // Leaving the loop cancels the stream: the rest is not downloaded.
      if (!isError) tooLarge();
      chunks.push(bytes.subarray(0, limit - total));
      break;
    }
    chunks.push(bytes);
    total += bytes.length;
  }
  return Buffer.concat(chunks);
}

/** Why no response came: the deadline, or the connection's own error (a refused connection, an untrusted certificate). */
function networkProblem(err: unknown, signal: AbortSignal, timeoutMs: number): string {
  if (signal.aborted) return `no complete answer within ${timeoutMs / 1000} s`;
  // Only a network failure's own words: an invalid header's message would quote the header's value.
  if (!(err instanceof TypeError && err.message === "fetch failed")) return `the request could not be made (${err instanceof Error ? err.name : "error"})`;
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  const code = (cause as NodeJS.ErrnoException).code;
  // OpenSSL's message is a library trace; its reason is the words ("wrong version number").
  const reason = (cause as { reason?: unknown }).reason;
  if (code?.startsWith("ERR_SSL_") && typeof reason === "string") return `TLS failed: ${oneLine(reason)}`;
  const message = cause instanceof Error ? cause.message : String(cause);
  const tls = code !== undefined && /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/.test(code) ? " (trust the server's CA with --ca-file)" : "";
  return `${oneLine(message)}${tls}`;
}

/** `text` on one line, at most 200 characters: a server's words in a message. */
export function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  const line = text.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

/**
 * A limit as messages say it.
 *
 * @example
 *     byteSize(64 * 1024 * 1024); // "64 MiB"
 *     byteSize(16 * 1024);        // "16 KiB"
 */
export function byteSize(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}
