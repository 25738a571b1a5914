import t from "tap";
import { compareHooks, encodeName, decodeName, hookPaths, parseGenerationDirName, parseNfDirName, recordKey, recordsPath } from "../src/state/layout.js";

const addr = { netns: 4026531840, ifname: "eth0.100", hook: "tc-egress" as const };

t.test("names are escaped into bpffs-safe components and back", async (t) => {
  t.equal(encodeName("blocklist"), "blocklist");
  t.equal(encodeName("eth0.100"), "eth0%2E100");
  t.equal(encodeName("counter.bss"), "counter%2Ebss");
  t.equal(encodeName("a/b%c"), "a%2Fb%25c");
  t.equal(encodeName("zähler"), "z%C3%A4hler");
  for (const name of ["eth0.100", "a/b%c", "zähler", "x y", "..", "-_AZaz09"]) {
    t.equal(decodeName(encodeName(name)), name, `round trip of ${name}`);
    t.notMatch(encodeName(name), /[./ ]/, `${name} has no dot, slash or space once escaped`);
  }
  t.throws(() => encodeName(""), /empty name/);
});

t.test("hook paths follow the DESIGN.md layout", async (t) => {
  const p = hookPaths("/r", addr);
  t.equal(p.dir, "/r/4026531840/eth0%2E100/tc-egress");
  t.equal(p.link, "/r/4026531840/eth0%2E100/tc-egress/link");
  t.equal(p.generation(7).dir, "/r/4026531840/eth0%2E100/tc-egress/gen-7");
  t.same(p.generation(7).nf(2, "rate.limit"), {
    dir: "/r/4026531840/eth0%2E100/tc-egress/gen-7/2-rate%2Elimit",
    prog: "/r/4026531840/eth0%2E100/tc-egress/gen-7/2-rate%2Elimit/prog",
    next: "/r/4026531840/eth0%2E100/tc-egress/gen-7/2-rate%2Elimit/next",
  });
  t.equal(p.dataMap("counter", "counter_.bss"), "/r/4026531840/eth0%2E100/tc-egress/maps/counter/counter_%2Ebss");
  t.equal(recordsPath("/r"), "/r/records");
});

t.test("directory names parse back", async (t) => {
  t.equal(parseGenerationDirName("gen-12"), 12);
  t.equal(parseGenerationDirName("gen-"), undefined);
  t.equal(parseGenerationDirName("maps"), undefined);
  t.equal(parseGenerationDirName("link"), undefined);
  t.same(parseNfDirName("3-rate%2Elimit"), { position: 3, name: "rate.limit" });
  t.same(parseNfDirName("10-a-b"), { position: 10, name: "a-b" });
  t.equal(parseNfDirName("prog"), undefined);
});

t.test("record keys name namespace, interface, hook and generation", async (t) => {
  t.equal(recordKey(addr, 3), "4026531840/eth0.100/tc-egress/gen-3");
});

t.test("hooks order by interface, then xdp, tc-ingress, tc-egress", async (t) => {
  const hooks = [
    { ifname: "eth1", hook: "tc-egress" as const },
    { ifname: "eth0", hook: "tc-ingress" as const },
    { ifname: "eth1", hook: "xdp" as const },
    { ifname: "eth0", hook: "xdp" as const },
  ];
  t.same(
    hooks.sort(compareHooks).map((h) => `${h.ifname}/${h.hook}`),
    ["eth0/xdp", "eth0/tc-ingress", "eth1/xdp", "eth1/tc-egress"],
  );
});
