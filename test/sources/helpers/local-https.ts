/**
 * An in-process web server on 127.0.0.1 for the artifact tests' edge
 * cases, which no real server does on demand (a wrong digest, an endless
 * body, a silent peer, a redirect to another origin): node:https with a
 * self-signed certificate made by openssl, or node:http for the
 * plain-http rules. It records every request, so that a test can check
 * which headers went where. Closed, with its connections, at teardown.
 */
import { readFileSync } from "node:fs";
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { selfSignedCert } from "./servers.js";
import { tempDir, type Teardown } from "./temp.js";

/** A request as the server saw it. */
export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
}

export type Handler = (request: IncomingMessage, response: ServerResponse, body: Buffer) => void;

export interface LocalServer {
  /** https://127.0.0.1:PORT (http:// for a plain server). */
  origin: string;
  /** 127.0.0.1:PORT */
  host: string;
  /** The certificate to trust (PEM text); "" for a plain server. */
  ca: string;
  requests: SeenRequest[];
}

/** Starts `handler` on a port the kernel picks; `tls: false` for plain http. */
export async function localServer(t: Teardown, handler: Handler, { tls = true } = {}): Promise<LocalServer> {
  const requests: SeenRequest[] = [];
  const listener = (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      requests.push({ method: request.method ?? "", url: request.url ?? "", headers: request.headers });
      handler(request, response, Buffer.concat(chunks));
    });
  };
  let ca = "";
  let server;
  if (tls) {
    const { cert, key } = selfSignedCert(tempDir(t, "nfctl-test-https-"));
    ca = readFileSync(cert, "utf8");
    server = createHttpsServer({ cert: ca, key: readFileSync(key) }, listener);
  } else {
    server = createHttpServer(listener);
  }
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as { port: number };
  return { origin: `${tls ? "https" : "http"}://127.0.0.1:${port}`, host: `127.0.0.1:${port}`, ca, requests };
}
