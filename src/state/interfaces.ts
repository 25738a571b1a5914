/**
 * The network interfaces of the calling thread's network namespace.
 *
 * Read from /proc/thread-self/net/dev, which is the thread's namespace's
 * whatever the mounts: /sys/class/net is the namespace of whoever mounted
 * sysfs, so under `nsenter --net` it lists the host's interfaces.
 *
 * @example
 *     listInterfaces() // [{ name: "eth0", ifindex: 2 }, { name: "lo", ifindex: 1 }]
 */
import { readFileSync } from "node:fs";
import { findIfIndex } from "../native/index.js";

const NET_DEV = "/proc/thread-self/net/dev";

/** The interface names of a /proc/net/dev text: two header lines, then "  name: counters..." per interface. */
export function parseNetDev(text: string): string[] {
  return text
    .split("\n")
    .slice(2)
    .flatMap((line) => {
      const colon = line.indexOf(":");
      return colon < 0 ? [] : [line.slice(0, colon).trim()];
    })
    .filter((name) => name !== "");
}

/** Every interface, sorted by name; one deleted while it is read is left out. */
export function listInterfaces(): Array<{ name: string; ifindex: number }> {
  return parseNetDev(readFileSync(NET_DEV, "utf8"))
    .flatMap((name) => {
      const ifindex = findIfIndex(name);
      return ifindex === undefined ? [] : [{ name, ifindex }];
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
