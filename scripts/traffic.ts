/**
 * Real traffic across a lab network: UDP from each source address in the
 * client namespace to a sink in the server namespace; returns how many
 * packets of each source arrived.
 */
import { spawn, execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { ADDR, type LabNetwork } from "./lab-network.js";

const TOOL = fileURLToPath(new URL("./udp-tool.js", import.meta.url));

/** The longest the sink listens; it stops as soon as the senders are done. */
const SINK_MAX_MS = 30_000;

function inNs(ns: string, args: string[]): string[] {
  return [`--net=/run/netns/${ns}`, process.execPath, TOOL, ...args];
}

export async function udpExchange(net: LabNetwork, sources: string[], count: number, port = 9000): Promise<Record<string, number>> {
  const sink = spawn("nsenter", inNs(net.nsB, ["sink", ADDR.server, String(port), String(SINK_MAX_MS)]), { stdio: ["pipe", "pipe", "inherit"] });
  let out = "";
  sink.stdout.setEncoding("utf8");
  const exited = new Promise<number>((resolve) => sink.on("exit", (code) => resolve(code ?? -1)));
  await new Promise<void>((resolve, reject) => {
    sink.stdout.on("data", (chunk: string) => {
      out += chunk;
      if (out.startsWith("ready\n")) resolve();
    });
    sink.on("exit", () => reject(new Error(`udp sink exited early: ${out}`)));
  });
  try {
    for (const src of sources) {
      execFileSync("nsenter", inNs(net.nsA, ["send", src, ADDR.server, String(port), String(count)]), { stdio: "inherit" });
    }
  } finally {
    sink.stdin.end();
  }
  if ((await exited) !== 0) throw new Error("udp sink failed");
  const counts = JSON.parse(out.slice("ready\n".length)) as Record<string, number>;
  return Object.fromEntries(sources.map((s) => [s, counts[s] ?? 0]));
}
