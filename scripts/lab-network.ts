/**
 * A two-namespace network for the lab and the tests: a client namespace and
 * a server namespace joined by a veth pair.
 *
 *     <name>-a: <clientIf>  198.18.0.1/24 (allowed source), 198.18.0.3/24 (blocked source)
 *     <name>-b: <serverIf>  198.18.0.2/24
 *
 * Addresses are from 198.18.0.0/15, set aside for network benchmarks, and
 * only ever talk to each other. IPv6 is off, so that no neighbour discovery
 * adds packets nobody sent. The machine's own interfaces are never touched.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

export const ADDR = {
  allowed: "198.18.0.1",
  blocked: "198.18.0.3",
  server: "198.18.0.2",
} as const;

export interface LabNetwork {
  /** Namespace of the traffic sources. */
  nsA: string;
  /** Namespace of the traffic sink, where NFs are attached. */
  nsB: string;
  /** Deletes both namespaces (and so the veth pair). */
  remove(): void;
}

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/**
 * The command line that runs `command` in namespace `ns` (in this one when
 * undefined) as a child bound to this process, for spawn(): setpriv sets
 * PR_SET_PDEATHSIG, so the kernel kills the child should this process end
 * without its teardowns (tap's timeout ends a test file with SIGALRM, and
 * no exit handler runs then). setpriv and nsenter each exec the next, so
 * the child's pid is the command's own, and a signal sent to it reaches it.
 */
export function boundChild(ns: string | undefined, command: string[]): [string, string[]] {
  return ["setpriv", ["--pdeathsig", "SIGKILL", ...(ns === undefined ? [] : ["nsenter", `--net=/run/netns/${ns}`]), ...command]];
}

/** Runs a command inside a namespace with nsenter (ip netns exec would hide the host's bpffs). */
export function inNamespace(ns: string, cmd: string, ...args: string[]): string {
  return sh("nsenter", [`--net=/run/netns/${ns}`, cmd, ...args]);
}

export function createLabNetwork(name: string, clientIf: string, serverIf: string): LabNetwork {
  const net: LabNetwork = {
    nsA: `${name}-a`,
    nsB: `${name}-b`,
    remove() {
      for (const ns of [net.nsA, net.nsB]) if (existsSync(`/run/netns/${ns}`)) sh("ip", ["netns", "delete", ns]);
    },
  };
  try {
    for (const ns of [net.nsA, net.nsB]) {
      sh("ip", ["netns", "add", ns]);
      inNamespace(ns, "sh", "-c", "echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6 && echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6");
    }
    inNamespace(net.nsA, "ip", "link", "add", clientIf, "type", "veth", "peer", "name", serverIf, "netns", net.nsB);
    inNamespace(net.nsA, "ip", "addr", "add", `${ADDR.allowed}/24`, "dev", clientIf);
    inNamespace(net.nsA, "ip", "addr", "add", `${ADDR.blocked}/24`, "dev", clientIf);
    inNamespace(net.nsB, "ip", "addr", "add", `${ADDR.server}/24`, "dev", serverIf);
    for (const [ns, dev] of [
      [net.nsA, clientIf],
      [net.nsB, serverIf],
    ] as const) {
      inNamespace(ns, "ip", "link", "set", "lo", "up");
      inNamespace(ns, "ip", "link", "set", dev, "up");
    }
  } catch (err) {
    net.remove();
    throw err;
  }
  return net;
}
