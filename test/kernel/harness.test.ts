/**
 * The traffic harness (test/harness) itself: at 100,000 packets per second
 * across a lab's veth pair it loses nothing that an NF did not drop, so that
 * "lost" and "bypassed" in other tests are the NFs' doing.
 */
import t from "tap";
import { createLab, inNetns, ADDR, type Lab } from "../../scripts/test-lab.js";
import { requireKernel, packets, type TapTest } from "../helpers/kernel.js";
import { blocklist } from "../../scripts/nfs.js";
import { setChain, type ChainTarget } from "../../src/reconcile/set-chain.js";
import { currentNetns } from "../../src/state/index.js";
import { startTraffic, describeReport, type TrafficReport } from "../../scripts/traffic-harness.js";

requireKernel();

const XDP: ChainTarget = { ifname: "veth-b", hook: "xdp" };
/** What the tests must achieve, and what they ask for: a margin for a busy machine (2 cores, tests in parallel). */
const MIN_PPS = 100_000;
const RATE = 110_000;
const RUN_MS = 3_000;

function labFor(t: TapTest): Lab {
  const lab = createLab();
  t.teardown(lab.cleanup);
  return lab;
}

async function run(t: TapTest, lab: Lab, ms: number): Promise<TrafficReport> {
  const traffic = await startTraffic(lab, { rate: RATE });
  t.teardown(traffic.kill);
  await new Promise((r) => setTimeout(r, ms));
  const report = await traffic.stop();
  t.comment(describeReport(report));
  return report;
}

/** What every run must show, whatever the NFs: the harness itself dropped, repeated and reordered nothing. */
function harnessClean(t: TapTest, r: TrafficReport): void {
  t.ok(r.pps >= MIN_PPS, `achieved at least ${MIN_PPS} pps (${Math.round(r.pps)})`);
  t.ok(r.sent.allowed + r.sent.blocked >= (MIN_PPS * RUN_MS) / 1000, `sent at least ${(MIN_PPS * RUN_MS) / 1000} packets (${r.sent.allowed + r.sent.blocked})`);
  t.ok(Math.abs(r.sent.allowed - r.sent.blocked) <= 1, `half from each source (${r.sent.allowed} / ${r.sent.blocked})`);
  t.equal(r.reordered, 0, "nothing reordered");
  t.equal(r.duplicates, 0, "nothing duplicated");
  t.equal(r.socketDrops, 0, "the sink's socket dropped nothing");
  t.equal(r.foreign, 0, "only this run's packets at the sink");
}

t.test("no NFs: over 100k pps across the veth pair, nothing lost, nothing filtered", async (t) => {
  const lab = labFor(t);
  const r = await run(t, lab, RUN_MS);
  harnessClean(t, r);
  t.equal(r.lost, 0, "no allowed packet lost");
  t.equal(r.received.allowed, r.sent.allowed, "every allowed packet arrived");
  t.equal(r.bypassed, r.sent.blocked, "every blocked packet arrived too: nothing filters");
});

t.test("an XDP blocklist on veth-b: every blocked packet dropped, every allowed one arrives", async (t) => {
  const lab = labFor(t);
  const result = inNetns(lab.nsB, () => setChain(XDP, [blocklist("blocklist", "xdp", [ADDR.blocked])], { root: lab.root }));
  t.equal(result.commit, "create", "the blocklist is attached");
  const r = await run(t, lab, RUN_MS);
  harnessClean(t, r);
  t.equal(r.bypassed, 0, "no blocked packet arrived");
  t.equal(r.lost, 0, "no allowed packet lost");
  const addr = { netns: inNetns(lab.nsB, currentNetns), ...XDP };
  t.equal(packets(lab.root, addr, "blocklist", 1), BigInt(r.sent.blocked), "the blocklist dropped exactly the blocked packets");
  const seen = packets(lab.root, addr, "blocklist", 0);
  const sent = BigInt(r.sent.allowed + r.sent.blocked);
  t.ok(seen >= sent && seen <= sent + 10n, `and saw every packet sent, plus the odd ARP (${seen} seen, ${sent} sent)`);
});

t.test("the harness notices loss: blocking the allowed source loses exactly its packets", async (t) => {
  const lab = labFor(t);
  inNetns(lab.nsB, () => setChain(XDP, [blocklist("blocklist", "xdp", [ADDR.allowed])], { root: lab.root }));
  const r = await run(t, lab, 1_000);
  t.equal(r.received.allowed, 0, "no allowed packet arrived");
  t.equal(r.lost, r.sent.allowed, "lost counts every one of them");
  t.ok(r.lost > 0, "and there were some");
  t.equal(r.bypassed, r.sent.blocked, "the other source passes");
});
