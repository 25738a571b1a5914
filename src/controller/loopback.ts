/**
 * Whether an HTTP client's address is this machine's loopback: the rule
 * that keeps GET /status (the config source, map contents and errors) to
 * local clients when --listen opens the endpoint to the network.
 */
import { BlockList, isIP } from "node:net";

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet("127.0.0.0", 8, "ipv4");
LOOPBACK.addAddress("::1", "ipv6");

/**
 * True for 127.0.0.0/8 and ::1, in any spelling, including the IPv4-mapped
 * form a dual-stack socket reports (`::ffff:127.0.0.1`); false for every
 * other address and for a socket that has none (already closed).
 *
 * @example
 *   isLoopbackAddress("127.0.0.1")        // true
 *   isLoopbackAddress("::ffff:127.0.0.1") // true
 *   isLoopbackAddress("10.0.0.7")         // false
 */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  const family = isIP(address);
  if (family === 0) return false;
  return LOOPBACK.check(address, family === 4 ? "ipv4" : "ipv6");
}
