/**
 * Link events of this network namespace (interfaces created, changed and
 * deleted), from iproute2's `ip -o monitor link`, as interface names. The
 * loop triggers a reconcile when an interface its config names appears or
 * is created again, so its chains are attached within a second rather than
 * at the next resync.
 *
 * @example
 *     const events = watchLinks((name) => wanted.has(name) && loop.trigger(`link ${name}`), logger);
 *     await events.close();
 */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import type { Logger } from "pino";

/**
 * The interface a line of `ip -o monitor link` is about:
 * "7: veth-b@if6: <BROADCAST,...> ..." or "Deleted 7: veth-b@if6: ...".
 *
 * @example
 *     linkEventName("Deleted 7: veth-b@if6: <BROADCAST> mtu 1500") // "veth-b"
 */
export function linkEventName(line: string): string | undefined {
  return /^(?:Deleted )?\d+: ([^:@\s]+)/.exec(line)?.[1];
}

export interface LinkWatch {
  close(): Promise<void>;
}

export function watchLinks(onLink: (name: string) => void, logger: Logger): LinkWatch {
  const child = spawn("ip", ["-o", "monitor", "link"], { stdio: ["ignore", "pipe", "pipe"] });
  let exited = false;
  const done = new Promise<void>((resolve) => {
    child.once("close", () => {
      exited = true;
      resolve();
    });
    child.once("error", () => resolve());
  });
  child.once("error", (err) => {
    exited = true;
    logger.error({ err }, "cannot follow link events (ip -o monitor link); interfaces that appear wait for the next resync");
  });
  child.stderr.on("data", (chunk: Buffer) => logger.warn({ component: "ip monitor" }, chunk.toString().trim()));
  createInterface({ input: child.stdout }).on("line", (line) => {
    const name = linkEventName(line);
    if (name !== undefined) onLink(name);
  });
  return {
    async close() {
      if (!exited) child.kill("SIGTERM");
      await done;
    },
  };
}
