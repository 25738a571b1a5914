/**
 * A tiny UDP source and sink, run inside a lab namespace (by the lab and by
 * scripts/traffic.ts):
 *
 *     node udp-tool.js sink <bind-addr> <port> <ms>   prints "ready"; once its stdin ends (the senders are done), or
 *                                                    after <ms> at the latest, a JSON {source: count}
 *     node udp-tool.js send <src-addr> <dst-addr> <port> <count>
 */
import { createSocket } from "node:dgram";

/** How long packets sent before the senders exited may still take to arrive. */
const SETTLE_MS = 200;

async function sink(addr: string, port: number, ms: number): Promise<void> {
  const counts: Record<string, number> = {};
  const socket = createSocket("udp4");
  socket.on("message", (_msg, rinfo) => {
    counts[rinfo.address] = (counts[rinfo.address] ?? 0) + 1;
  });
  await new Promise<void>((resolve) => socket.bind(port, addr, resolve));
  process.stdout.write("ready\n");
  // The window ends when the caller says its senders are done, not after a
  // fixed time a loaded machine may need for starting them; ms bounds it.
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    process.stdin.on("end", () => {
      clearTimeout(timer);
      setTimeout(resolve, SETTLE_MS);
    });
    process.stdin.resume();
  });
  socket.close();
  process.stdout.write(`${JSON.stringify(counts)}\n`);
}

async function send(src: string, dst: string, port: number, count: number): Promise<void> {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, src, resolve));
  const payload = Buffer.alloc(64, 0x61);
  for (let i = 0; i < count; i++) {
    payload.writeUInt32BE(i, 0);
    await new Promise<void>((resolve, reject) => socket.send(payload, port, dst, (err) => (err ? reject(err) : resolve())));
  }
  socket.close();
}

const [mode, ...args] = process.argv.slice(2);
if (mode === "sink") await sink(args[0]!, Number(args[1]), Number(args[2]));
else if (mode === "send") await send(args[0]!, args[1]!, Number(args[2]), Number(args[3]));
else throw new Error(`usage: udp-tool sink|send ...`);
