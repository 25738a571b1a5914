/**
 * The lab: nfctl end to end on this machine, as a first-time user would see
 * it. Run as root with `npm run lab`.
 *
 * It creates two network namespaces joined by a veth pair, applies
 * examples/lab.yaml to the server side's edge0 (blocklist, ratelimit and
 * counter on XDP; a counter on TC egress), sends traffic and shows it
 * filtered and counted with `nfctl status`; then plans and applies
 * examples/lab-changed.yaml (a reorder and a map change), and tears it all
 * down again, whatever happens.
 */
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ADDR, createLabNetwork } from "./lab-network.js";
import { udpExchange } from "./traffic.js";

const NFCTL = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));
const name = `nfctl-lab-${process.pid}`;
const root = `/sys/fs/bpf/${name}`;

function step(title: string): void {
  process.stdout.write(`\n\x1b[1m== ${title}\x1b[0m\n`);
}

/** Runs nfctl inside the server namespace, as an operator on that host would, and shows its output. */
function nfctl(ns: string, ...args: string[]): void {
  process.stdout.write(`$ nfctl ${args.join(" ")}\n`);
  const r = spawnSync("nsenter", [`--net=/run/netns/${ns}`, process.execPath, NFCTL, "--bpffs", root, ...args], { stdio: "inherit" });
  if (r.status !== 0) throw new Error(`nfctl ${args[0]} exited with ${r.status}`);
}

async function traffic(net: ReturnType<typeof createLabNetwork>): Promise<void> {
  const general = await udpExchange(net, [ADDR.allowed, ADDR.blocked], 100, 9000);
  process.stdout.write(
    `port 9000: 100 packets from ${ADDR.allowed} -> ${general[ADDR.allowed]} arrived; 100 from ${ADDR.blocked} (blocklisted) -> ${general[ADDR.blocked]} arrived\n`,
  );
  const limited = await udpExchange(net, [ADDR.allowed], 300, 9001);
  process.stdout.write(`port 9001 (rate limited): 300 packets sent at once -> ${limited[ADDR.allowed]} arrived\n`);
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error("the lab needs root: it creates network namespaces and loads BPF programs");
  step(`Creating the lab: namespaces ${name}-a (client) and ${name}-b (server, interface edge0)`);
  const net = createLabNetwork(name, "client0", "edge0");
  try {
    step("Plan and apply examples/lab.yaml");
    nfctl(net.nsB, "plan", "-f", "examples/lab.yaml");
    nfctl(net.nsB, "apply", "-f", "examples/lab.yaml");

    step("Traffic from the client: the blocklisted source is dropped, port 9001 is rate limited");
    await traffic(net);
    nfctl(net.nsB, "status");

    step("Plan examples/lab-changed.yaml: counter moves to the front (reorder), port 9001 gets 100/s (map change)");
    nfctl(net.nsB, "plan", "-f", "examples/lab-changed.yaml");
    nfctl(net.nsB, "apply", "-f", "examples/lab-changed.yaml");
    await traffic(net);
    nfctl(net.nsB, "status");

    step("Applying the same config again changes nothing");
    nfctl(net.nsB, "apply", "-f", "examples/lab-changed.yaml");

    step("Destroy: nfctl removes what it manages");
    nfctl(net.nsB, "destroy");
    nfctl(net.nsB, "status");
  } finally {
    step("Tearing the lab down");
    net.remove();
    rmSync(root, { recursive: true, force: true });
    process.stdout.write("done\n");
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`lab: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
