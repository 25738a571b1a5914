/**
 * The kernel layer on the real kernel: chains run every NF, swaps are one
 * generation and one link update, state survives, nothing is left behind.
 */
import t from "tap";
import { existsSync, readdirSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createLab, inNetns, ADDR, type Lab } from "../../scripts/test-lab.js";
import { udpExchange } from "../../scripts/traffic.js";
import { requireKernel, eventually, newPrograms, packets, pinTree, type TapTest } from "../helpers/kernel.js";
import { counter, blocklist, portfilter, BUILD } from "../../scripts/nfs.js";
import type { HookOutcome } from "../../src/reconcile/index.js";
import { setChain, type ChainNf, type ChainTarget } from "../../src/reconcile/set-chain.js";
import { observe, currentNetns, hookPaths, openRecords, buildGeneration, commitToHook, type HookAddress, type ObservedHook } from "../../src/state/index.js";
import {
  listIds,
  xdpAttachedPrograms,
  tcxAttachedPrograms,
  withHandle,
  openPinned,
  mapInfo,
  ifNameToIndex,
  openHandleCount,
  type MapInfo,
} from "../../src/native/index.js";

requireKernel();

const XDP: ChainTarget = { ifname: "veth-b", hook: "xdp" };
const TC_EGRESS: ChainTarget = { ifname: "veth-a", hook: "tc-egress" };

function labFor(t: TapTest): Lab {
  const lab = createLab();
  t.teardown(lab.cleanup);
  return lab;
}

function apply(lab: Lab, ns: string, target: ChainTarget, nfs: ChainNf[]): HookOutcome {
  return inNetns(ns, () => setChain(target, nfs, { root: lab.root }));
}

function observed(lab: Lab, ns: string, target: ChainTarget): ObservedHook {
  const hook = inNetns(ns, () => observe(lab.root, currentNetns())).hooks.find((h) => h.address.ifname === target.ifname && h.address.hook === target.hook);
  if (!hook) throw new Error(`no observed hook ${target.ifname} ${target.hook}`);
  return hook;
}

function address(ns: string, target: ChainTarget): HookAddress {
  return { netns: inNetns(ns, currentNetns), ifname: target.ifname, hook: target.hook };
}

/** A lab whose XDP hook runs one counter "c" that has seen 30 packets, and what its nf_stats pin holds. */
async function countingLab(t: TapTest): Promise<{ lab: Lab; addr: HookAddress; mapOf: () => MapInfo }> {
  const lab = labFor(t);
  apply(lab, lab.nsB, XDP, [counter("c", "xdp")]);
  await udpExchange(lab, [ADDR.allowed], 30);
  const addr = address(lab.nsB, XDP);
  const pin = hookPaths(lab.root, addr).dataMap("c", "nf_stats");
  return { lab, addr, mapOf: () => withHandle(openPinned("map", pin), mapInfo) };
}

/** Pins under the hook's maps/@aside-<N> directories. */
function setAsidePins(lab: Lab, addr: HookAddress): string[] {
  return pinTree(hookPaths(lab.root, addr).maps).filter((p) => p.startsWith("@"));
}

/** The programs nfctl loaded are exactly the live generation's: no orphans. */
async function onlyLivePrograms(t: TapTest, before: number[], hooks: ObservedHook[]): Promise<void> {
  const live = hooks.flatMap((h) => h.live?.nfs.map((n) => n.progId!) ?? []).sort((a, b) => a - b);
  const settled = await eventually(() => JSON.stringify(newPrograms(before).sort((a, b) => a - b)) === JSON.stringify(live));
  t.ok(settled, `loaded programs ${JSON.stringify(newPrograms(before))} are exactly the live ones ${JSON.stringify(live)}`);
}

for (const [kind, ns, target] of [
  ["xdp", "nsB", XDP],
  ["tc", "nsA", TC_EGRESS],
] as const) {
  t.test(`a three-NF ${target.hook} chain runs every NF and the blocklist drops only the blocked source`, async (t) => {
    const lab = labFor(t);
    const nsName = lab[ns];
    const result = apply(lab, nsName, target, [counter("first", kind), blocklist("blocklist", kind, [ADDR.blocked]), counter("last", kind)]);
    t.equal(result.generation, 1);
    t.equal(result.commit, "create");

    const arrived = await udpExchange(lab, [ADDR.allowed, ADDR.blocked], 100);
    t.same(arrived, { [ADDR.allowed]: 100, [ADDR.blocked]: 0 }, "allowed traffic arrives, blocked traffic does not");

    const addr = address(nsName, target);
    const first = packets(lab.root, addr, "first");
    const last = packets(lab.root, addr, "last");
    t.ok(first >= 200n, `the first counter saw both sources (${first})`);
    t.equal(first - last, 100n, "the last counter saw all but the 100 blocked packets");
    t.equal(packets(lab.root, addr, "blocklist", 1), 100n, "the blocklist dropped exactly the blocked packets");

    const hook = observed(lab, nsName, target);
    t.same(hook.drift, [], "no drift");
    t.equal(hook.live?.nfs.map((n) => n.progName).join(","), `${kind}_counter,${kind}_blocklist,${kind}_counter`);
    const attached = inNetns(nsName, () =>
      kind === "xdp" ? xdpAttachedPrograms(hook.ifindex!).map((p) => p.id) : tcxAttachedPrograms(hook.ifindex!, "egress"),
    );
    t.same(attached, [hook.live!.nfs[0]!.progId], "the hook runs the first NF");
  });
}

t.test("reorder, insert, remove and replace are each one generation and one link update", async (t) => {
  const before = listIds("prog");
  const lab = labFor(t);
  const c1 = counter("c1", "xdp");
  const bl = blocklist("bl", "xdp", [ADDR.blocked]);
  const c2 = counter("c2", "xdp");
  const pf = portfilter("pf", "xdp", [9999]);
  const c2v2 = counter("c2", "xdp", "test/counter_v2.o");

  apply(lab, lab.nsB, XDP, [c1, bl, c2]);
  await udpExchange(lab, [ADDR.allowed, ADDR.blocked], 50);
  const addr = address(lab.nsB, XDP);
  const counts = () => ({ c1: packets(lab.root, addr, "c1"), c2: packets(lab.root, addr, "c2") });
  const start = observed(lab, lab.nsB, XDP);
  const statsMapId = () => withHandle(openPinned("map", hookPaths(lab.root, addr).dataMap("c1", "nf_stats")), mapInfo).id;
  const savedMapId = statsMapId();
  const savedCounts = counts();
  t.ok(savedCounts.c1 >= 100n && savedCounts.c2 >= 50n, "counters moved before the changes");

  const steps: Array<[string, ChainNf[], string[]]> = [
    ["reorder", [c2, bl, c1], ["c2", "bl", "c1"]],
    ["insert", [c2, pf, bl, c1], ["c2", "pf", "bl", "c1"]],
    ["remove", [c2, pf, c1], ["c2", "pf", "c1"]],
    ["replace", [c2v2, pf, c1], ["c2", "pf", "c1"]],
  ];
  let generation = 1;
  for (const [step, chain, names] of steps) {
    const result = apply(lab, lab.nsB, XDP, chain);
    generation += 1;
    t.equal(result.generation, generation, `${step}: a new generation`);
    t.equal(result.previous, generation - 1, `${step}: replaces the previous one`);
    t.equal(result.commit, "update", `${step}: committed by bpf_link_update`);
    const hook = observed(lab, lab.nsB, XDP);
    t.equal(hook.link!.id, start.link!.id, `${step}: the same link, updated in place`);
    t.equal(hook.link!.progId, hook.live!.nfs[0]!.progId, `${step}: the link runs the new first NF`);
    t.same(
      hook.live!.nfs.map((n) => n.name),
      names,
      `${step}: chain order`,
    );
    t.same(hook.stale, [], `${step}: no other generation remains`);
    t.same(hook.drift, [], `${step}: no drift`);
    t.same(
      pinTree(hookPaths(lab.root, addr).dir)
        .filter((p) => p.startsWith("gen-"))
        .map((p) => p.split("/")[0])
        .filter((v, i, a) => a.indexOf(v) === i),
      [`gen-${generation}`],
      `${step}: only the live generation is pinned`,
    );
    await onlyLivePrograms(t, before, [hook]);
    if (step === "reorder") {
      t.equal(statsMapId(), savedMapId, "the reordered NF keeps its counter map");
      t.ok(counts().c1 >= savedCounts.c1 && counts().c2 >= savedCounts.c2, "counters survive the reorder");
    }
  }
  t.same(
    pinTree(hookPaths(lab.root, addr).maps)
      .map((p) => p.split("/")[0])
      .filter((v, i, a) => a.indexOf(v) === i)
      .sort(),
    ["c1", "c2", "pf"],
    "the removed NF's data maps are unpinned",
  );
  t.ok(packets(lab.root, addr, "c2") >= savedCounts.c2, "the replaced NF kept its counters (compatible maps are reused)");

  const arrived = await udpExchange(lab, [ADDR.allowed, ADDR.blocked], 50);
  t.same(arrived, { [ADDR.allowed]: 50, [ADDR.blocked]: 50 }, "without the blocklist, both sources arrive");
  t.ok(packets(lab.root, addr, "c2", 1) >= 100n, "the replacement (counter_v2) runs: it counts packets over 100 bytes");
  const records = openRecords(lab.root);
  t.same(records.keys(), [`${addr.netns}/veth-b/xdp/gen-${generation}`], "one record, for the live generation");
  records.close();
});

t.test("the chain keeps working after the process that built it exits, and a fresh process sees no drift", async (t) => {
  const lab = labFor(t);
  const nfs = [counter("c1", "xdp"), blocklist("bl", "xdp", [ADDR.blocked]), counter("c2", "xdp")].map((nf) => ({
    ...nf,
    maps: Object.fromEntries(
      Object.entries(nf.maps ?? {}).map(([m, es]) => [m, es.map((e) => ({ key: e.key.toString("hex"), value: e.value.toString("hex") }))]),
    ),
  }));
  const child = fileURLToPath(new URL("../helpers/set-chain-child.js", import.meta.url));
  const out = execFileSync("nsenter", [`--net=/run/netns/${lab.nsB}`, process.execPath, child, JSON.stringify({ root: lab.root, target: XDP, nfs })], {
    encoding: "utf8",
  });
  const built = JSON.parse(out) as { result: HookOutcome; progIds: number[] };
  t.equal(built.result.commit, "create");

  const arrived = await udpExchange(lab, [ADDR.allowed, ADDR.blocked], 100);
  t.same(arrived, { [ADDR.allowed]: 100, [ADDR.blocked]: 0 }, "the chain filters with its builder gone");
  const addr = address(lab.nsB, XDP);
  t.equal(packets(lab.root, addr, "c1") - packets(lab.root, addr, "c2"), 100n, "both counters ran");

  const hook = observed(lab, lab.nsB, XDP);
  t.same(
    hook.live!.nfs.map((n) => n.progId),
    built.progIds,
    "this process observes the programs the child loaded",
  );
  t.same(hook.drift, [], "no drift");
  t.same(
    hook.live!.record!.nfs.map((n) => n.name),
    ["c1", "bl", "c2"],
    "the record is readable",
  );
});

t.test("emptying a hook detaches it and removes every pin of it", async (t) => {
  const before = listIds("prog");
  const lab = labFor(t);
  apply(lab, lab.nsB, XDP, [counter("c1", "xdp"), blocklist("bl", "xdp", [ADDR.blocked])]);
  apply(lab, lab.nsA, TC_EGRESS, [counter("c1", "tc")]);
  const addr = address(lab.nsB, XDP);
  const ifindex = observed(lab, lab.nsB, XDP).ifindex!;

  const result = apply(lab, lab.nsB, XDP, []);
  t.equal(result.commit, "detach");
  t.same(
    inNetns(lab.nsB, () => xdpAttachedPrograms(ifindex)),
    [],
    "no XDP program on the interface",
  );
  t.notOk(existsSync(hookPaths(lab.root, addr).dir), "the hook's directory is gone");
  t.notOk(existsSync(`${lab.root}/${addr.netns}`), "the namespace's directory is gone (it managed nothing else)");
  const records = openRecords(lab.root);
  t.same(
    records.keys().filter((k) => k.startsWith(`${addr.netns}/`)),
    [],
    "its records are gone",
  );
  records.close();
  t.same(inNetns(lab.nsB, () => observe(lab.root, currentNetns())).hooks, [], "nothing is observed in that namespace");
  await onlyLivePrograms(t, before, [observed(lab, lab.nsA, TC_EGRESS)]);
  const arrived = await udpExchange(lab, [ADDR.allowed, ADDR.blocked], 20);
  t.same(arrived, { [ADDR.allowed]: 20, [ADDR.blocked]: 20 }, "traffic is no longer filtered");
  t.same(apply(lab, lab.nsB, XDP, []).commit, "none", "emptying an empty hook does nothing");
});

t.test("a chain-unaware program runs as the last NF, and only there", async (t) => {
  const lab = labFor(t);
  const unaware: ChainNf = { name: "legacy", object: `${BUILD}/test/unaware.o`, program: "xdp_unaware" };
  apply(lab, lab.nsB, XDP, [counter("c1", "xdp"), unaware]);
  await udpExchange(lab, [ADDR.allowed], 30);
  const addr = address(lab.nsB, XDP);
  t.ok(packets(lab.root, addr, "legacy", 0, "unaware_stats") >= 30n, "the unaware program ran after the counter");
  t.same(observed(lab, lab.nsB, XDP).drift, []);
  const live = observed(lab, lab.nsB, XDP).link!.progId;
  t.throws(() => apply(lab, lab.nsB, XDP, [unaware, counter("c1", "xdp")]), {
    name: "ChainError",
    message: `NF "legacy" (${BUILD}/test/unaware.o) is chain-unaware (it has no nf_next map), so it can only be the last NF of a chain; it is at position 1 of 2 on veth-b xdp`,
  });
  t.equal(observed(lab, lab.nsB, XDP).link!.progId, live, "the live chain is untouched");
});

t.test("maps declared LIBBPF_PIN_BY_NAME are pinned in nfctl's layout, not at the bpffs root", async (t) => {
  const lab = labFor(t);
  apply(lab, lab.nsB, XDP, [{ name: "pbn", object: `${BUILD}/test/pinbyname.o`, program: "xdp_pinbyname", proceedMask: 4 }]);
  const addr = address(lab.nsB, XDP);
  t.ok(existsSync(hookPaths(lab.root, addr).dataMap("pbn", "shared_by_name")), "pinned under the hook's maps");
  t.notOk(existsSync("/sys/fs/bpf/shared_by_name"), "not at the bpffs root");
});

t.test("stale generations of an interrupted run are removed by the next swap", async (t) => {
  const before = listIds("prog");
  const lab = labFor(t);
  apply(lab, lab.nsB, XDP, [counter("c1", "xdp")]);
  const addr = address(lab.nsB, XDP);
  // An interrupted run: generation 2 built and pinned, never committed.
  inNetns(lab.nsB, () => buildGeneration(lab.root, addr, 2, [counter("c1", "xdp"), counter("c2", "xdp")]));
  const hook = observed(lab, lab.nsB, XDP);
  t.equal(hook.live!.number, 1, "the live generation is the one the link runs");
  t.same(
    hook.stale.map((g) => g.number),
    [2],
    "the uncommitted one is stale",
  );

  const result = apply(lab, lab.nsB, XDP, [counter("c1", "xdp")]);
  t.same(result.removedStale, [2]);
  t.equal(result.generation, 3);
  await onlyLivePrograms(t, before, [observed(lab, lab.nsB, XDP)]);
});

t.test("XDP attach modes: generic, and a mode change re-attaches", async (t) => {
  const lab = labFor(t);
  apply(lab, lab.nsB, { ...XDP, mode: "generic" }, [blocklist("bl", "xdp", [ADDR.blocked])]);
  t.same(await udpExchange(lab, [ADDR.allowed, ADDR.blocked], 20), { [ADDR.allowed]: 20, [ADDR.blocked]: 0 }, "generic XDP filters");
  const result = apply(lab, lab.nsB, { ...XDP, mode: "native" }, [blocklist("bl", "xdp", [ADDR.blocked])]);
  t.equal(result.commit, "reattach", "a mode change needs a new link");
  t.equal(observed(lab, lab.nsB, XDP).live!.record!.mode, "native");
  t.same(await udpExchange(lab, [ADDR.allowed, ADDR.blocked], 20), { [ADDR.allowed]: 20, [ADDR.blocked]: 0 }, "native XDP filters");
});

t.test("TC falls back to clsact + cls_bpf, replaced in place", async (t) => {
  const lab = labFor(t);
  const target: ChainTarget = { ...TC_EGRESS, attachment: "tc-legacy" };
  t.equal(apply(lab, lab.nsA, target, [counter("c1", "tc"), blocklist("bl", "tc", [ADDR.blocked])]).commit, "create");
  t.same(await udpExchange(lab, [ADDR.allowed, ADDR.blocked], 20), { [ADDR.allowed]: 20, [ADDR.blocked]: 0 });
  let hook = observed(lab, lab.nsA, TC_EGRESS);
  t.equal(hook.attachment, "tc-legacy");
  t.notOk(existsSync(hookPaths(lab.root, hook.address).link), "no link pin");
  t.same(hook.drift, []);

  t.equal(apply(lab, lab.nsA, target, [counter("c1", "tc")]).commit, "update");
  hook = observed(lab, lab.nsA, TC_EGRESS);
  t.equal(hook.attachedProgId, hook.live!.nfs[0]!.progId, "the filter runs the new generation");
  t.same(await udpExchange(lab, [ADDR.allowed, ADDR.blocked], 20), { [ADDR.allowed]: 20, [ADDR.blocked]: 20 });

  t.equal(apply(lab, lab.nsA, target, []).commit, "detach");
  t.same(inNetns(lab.nsA, () => observe(lab.root, currentNetns())).hooks, []);
  t.notOk(
    /bpf/.test(execFileSync("nsenter", [`--net=/run/netns/${lab.nsA}`, "tc", "filter", "show", "dev", "veth-a", "egress"], { encoding: "utf8" })),
    "the filter is gone",
  );
});

t.test("portfilter drops by destination port and ratelimit holds a port to its rate", async (t) => {
  const lab = labFor(t);
  const rate: ChainNf = {
    name: "rl",
    object: `${BUILD}/ratelimit.o`,
    program: "xdp_ratelimit",
    proceedMask: 4,
    maps: { rl_config: [{ key: Buffer.from([0x29, 0x23]) /* 9001 */, value: Buffer.from([10, 0, 0, 0]) /* 10 pps */ }] },
  };
  apply(lab, lab.nsB, XDP, [portfilter("pf", "xdp", [9000]), rate, counter("c", "xdp")]);
  t.same(await udpExchange(lab, [ADDR.allowed], 50, 9000), { [ADDR.allowed]: 0 }, "port 9000 is filtered");
  const limited = (await udpExchange(lab, [ADDR.allowed], 200, 9001))[ADDR.allowed]!;
  t.ok(limited >= 10 && limited <= 20, `port 9001 passes its one-second burst of 10 and little more (${limited} of 200)`);
  t.same(await udpExchange(lab, [ADDR.allowed], 50, 9002), { [ADDR.allowed]: 50 }, "other ports pass");
});

t.test("an upgrade that changes a data map's layout gets a fresh map; a failed one restores the old map", async (t) => {
  const { lab, addr, mapOf } = await countingLab(t);
  const old = mapOf();
  const oldCount = packets(lab.root, addr, "c");
  t.ok(oldCount >= 30n);

  const wide = counter("c", "xdp", "test/counter_wide.o");
  const bad: ChainNf = { name: "bad", object: `${BUILD}/test/bad_verifier.o`, program: "xdp_bad" };
  t.throws(() => apply(lab, lab.nsB, XDP, [wide, bad]), { code: "EACCES" });
  t.equal(mapOf().id, old.id, "after a failed upgrade the old map is pinned again");
  t.equal(packets(lab.root, addr, "c"), oldCount, "with its counts");
  t.same(setAsidePins(lab, addr), [], "and nothing is left set aside");

  t.equal(apply(lab, lab.nsB, XDP, [wide]).commit, "update");
  const fresh = mapOf();
  t.not(fresh.id, old.id, "a new map");
  t.equal(fresh.maxEntries, 4, "with the new layout");
  t.same(setAsidePins(lab, addr), [], "the old map is not kept set aside");
  await udpExchange(lab, [ADDR.allowed], 20);
  const count = packets(lab.root, addr, "c");
  t.ok(count >= 20n && count < oldCount + 20n, `the upgraded NF counts into the new map (${count})`);
  t.same(observed(lab, lab.nsB, XDP).drift, []);
});

t.test("a program in a section libbpf does not know gets the hook's program type", async (t) => {
  const lab = labFor(t);
  const odd: ChainNf = { name: "odd", object: `${BUILD}/test/oddsection.o`, program: "odd_pass" };
  t.equal(apply(lab, lab.nsB, XDP, [counter("c", "xdp"), odd]).commit, "create");
  t.same(await udpExchange(lab, [ADDR.allowed], 10), { [ADDR.allowed]: 10 }, "it runs as XDP and passes traffic");
  t.equal(observed(lab, lab.nsB, XDP).live!.nfs[1]!.progName, "odd_pass");
});

t.test("a built generation holds no descriptor: its pins keep the programs and the wiring", async (t) => {
  const lab = labFor(t);
  const addr = address(lab.nsB, XDP);
  const nfs = [counter("c1", "xdp"), blocklist("bl", "xdp", [ADDR.blocked]), portfilter("pf", "xdp", [9]), counter("c2", "xdp")];
  const openFds = () => readdirSync("/proc/self/fd").length;
  const built = inNetns(lab.nsB, () => {
    buildGeneration(lab.root, addr, 1, nfs); // loads libbpf, so that the count below sees only the build
    const before = { fds: openFds(), handles: openHandleCount() };
    const gen = buildGeneration(lab.root, addr, 2, nfs);
    t.equal(openFds(), before.fds, "the process has no descriptor more than before the build");
    t.equal(openHandleCount(), before.handles, "and no handle or BPF object open");
    return gen;
  });
  const paths = hookPaths(lab.root, addr).generation(2);
  t.same(
    built.nfs.map((nf) => nf.progPin),
    nfs.map((nf, i) => paths.nf(i, nf.name).prog),
    "it names its programs by pin",
  );
  const gen = observed(lab, lab.nsB, XDP).stale.find((g) => g.number === 2)!;
  t.same(
    gen.nfs.map((nf) => nf.progId),
    built.nfs.map((nf) => nf.progId),
    "and by ID",
  );
  t.same(
    gen.nfs.map((nf) => nf.nextProgId),
    [gen.nfs[1]!.progId, gen.nfs[2]!.progId, gen.nfs[3]!.progId, undefined],
    "each nf_next holds the next NF, the last is empty",
  );
});

t.test("an interrupted upgrade that set a map aside: the next apply pins the live chain's map back", async (t) => {
  const { lab, addr, mapOf } = await countingLab(t);
  const old = mapOf();
  const oldCount = packets(lab.root, addr, "c");
  // Killed after the build of generation 2 (a new layout: the old map set aside), before its commit.
  inNetns(lab.nsB, () => buildGeneration(lab.root, addr, 2, [counter("c", "xdp", "test/counter_wide.o")]));
  const hook = observed(lab, lab.nsB, XDP);
  t.equal(hook.live!.number, 1, "generation 1 still runs");
  t.same(
    hook.setAside.map((m) => [m.generation, m.nf, m.map]),
    [[2, "c", "nf_stats"]],
    "observe reports the map set aside",
  );
  t.not(mapOf().id, old.id, "the pin holds the unfinished generation's map");

  t.same(apply(lab, lab.nsB, XDP, [counter("c", "xdp")]).removedStale, [2]);
  t.equal(mapOf().id, old.id, "the map generation 1 used is pinned again, and reused");
  t.ok(packets(lab.root, addr, "c") >= oldCount, "with its counts");
  t.same(observed(lab, lab.nsB, XDP).setAside, []);
  t.same(setAsidePins(lab, addr), [], "nothing is left set aside");
});

t.test("an upgrade killed between commit and finalize: the next apply removes the map it set aside", async (t) => {
  const before = listIds("prog");
  const { lab, addr, mapOf } = await countingLab(t);
  const old = mapOf();
  const wide = counter("c", "xdp", "test/counter_wide.o");
  inNetns(lab.nsB, () => {
    const built = buildGeneration(lab.root, addr, 2, [wide]);
    commitToHook(lab.root, addr, { ifindex: ifNameToIndex("veth-b"), program: { pin: built.nfs[0]!.progPin }, mode: "auto", attachment: "auto" });
  });
  const hook = observed(lab, lab.nsB, XDP);
  t.equal(hook.live!.number, 2, "generation 2 runs");
  t.same(
    hook.stale.map((g) => g.number),
    [1],
  );
  t.same(
    hook.setAside.map((m) => [m.generation, m.nf, m.map]),
    [[2, "c", "nf_stats"]],
    "observe reports the old map, set aside",
  );
  const fresh = mapOf();
  t.not(fresh.id, old.id);

  t.same(apply(lab, lab.nsB, XDP, [wide]).removedStale, [1]);
  t.equal(mapOf().id, fresh.id, "the committed generation's map stays pinned");
  t.same(setAsidePins(lab, addr), [], "the old map is no longer pinned");
  await onlyLivePrograms(t, before, [observed(lab, lab.nsB, XDP)]);
});
