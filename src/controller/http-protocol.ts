/**
 * What the endpoint's two threads say to each other (http.ts, the loop's
 * side; http-server.ts, the server's), and the few things both use.
 */
import type { HttpLimits } from "./http.js";

export const ROUTES = ["/metrics", "/healthz", "/readyz", "/status"] as const;
export type Route = (typeof ROUTES)[number];

export const TEXT = "text/plain; charset=utf-8";

/** A whole response: scraped ones are bytes, written as they are to every client. */
export interface WholeResponse {
  code: number;
  type: string;
  body: string | Uint8Array;
}

/** The server thread's start: where to listen, its limits, and the loop's heartbeat (ms since the epoch, in a BigInt64Array). */
export interface ServerSettings {
  listen: { host: string; port: number };
  limits: HttpLimits;
  heartbeat: SharedArrayBuffer;
  /** /healthz fails once the heartbeat is this old. */
  stallMs: number;
}

/** From the server thread. */
export type ServerMessage =
  | { kind: "listening"; host: string; port: number }
  | { kind: "listen-error"; message: string }
  | { kind: "request"; id: number; route: "/status" | "/metrics"; remoteAddress: string | undefined };

/** From the loop's thread. */
export type EndpointMessage =
  { kind: "response"; id: number; response: WholeResponse } | { kind: "readiness"; ready: boolean; reason: string } | { kind: "close" };

/** A value quoted for a message: JSON escapes, and at most 100 characters of it. */
export function quote(value: string): string {
  return JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}...` : value);
}

export function oneLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/\s*\n\s*/g, " ").slice(0, 500);
}
