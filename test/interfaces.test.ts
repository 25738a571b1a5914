/**
 * The interfaces of a network namespace, as /proc/<tid>/net/dev lists them.
 */
import t from "tap";
import { parseNetDev } from "../src/state/interfaces.js";

t.test("interface names are what comes before the colon, after the two header lines", async (t) => {
  const text = [
    "Inter-|   Receive                                                |  Transmit",
    " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed",
    "    lo:  452408    1922    0    0    0     0          0         0   452408    1922    0    0    0     0       0          0",
    "eth0.100: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16",
    "  veth-b:0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0",
    "",
  ].join("\n");
  t.same(parseNetDev(text), ["lo", "eth0.100", "veth-b"]);
});
