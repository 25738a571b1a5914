/**
 * isLoopbackAddress: which client addresses count as this machine's own,
 * in every spelling a socket may report them.
 */
import t from "tap";
import { isLoopbackAddress } from "../../src/controller/loopback.js";

t.test("127.0.0.0/8 and ::1 are loopback, also mapped into IPv6", async (t) => {
  for (const address of ["127.0.0.1", "127.0.0.53", "127.255.255.255", "::1", "0:0:0:0:0:0:0:1", "::ffff:127.0.0.1", "::FFFF:127.1.2.3", "::ffff:7f00:1"])
    t.equal(isLoopbackAddress(address), true, address);
});

t.test("every other address, and none, is not", async (t) => {
  for (const address of [
    "10.0.0.7",
    "192.0.2.2",
    "128.0.0.1",
    "126.255.255.255",
    "0.0.0.0",
    "::",
    "::2",
    "fe80::1",
    "::ffff:10.0.0.7",
    "::127.0.0.1",
    "localhost",
    "",
    "not an address",
    undefined,
  ])
    t.equal(isLoopbackAddress(address), false, String(address));
});
