import t from "tap";
import { planChanges, hookId, isEmptyPlan, PLAN_FORMAT_VERSION, type ObservedMapContents, type Plan } from "../../src/reconcile/index.js";
import { describeChange, describeReason, describeWarning } from "../../src/cli/views/words.js";
import type { DesiredHook } from "../../src/reconcile/desired.js";
import type { ObservedHook } from "../../src/state/index.js";
import { MapType } from "../../src/state/index.js";
import { NETNS, desiredHook, liveHook, nf, port, portsMap, untouchedHook } from "./fixtures.js";

/** The kernel's contents of one live map. */
function contentsOf(ifname: string, hook: DesiredHook["hook"], nf: string, map: string, entries: Array<{ key: Buffer; value: Buffer }>): ObservedMapContents {
  return new Map([[hookId(ifname, hook), { [nf]: { [map]: entries } }]]);
}

function plan(desired: DesiredHook[], observed: ObservedHook[], contents: ObservedMapContents = new Map()): Plan {
  return planChanges({ files: ["edge.yaml"], hooks: desired }, { root: "/r", netns: NETNS, hooks: observed }, contents);
}

const kinds = (p: Plan) => p.hooks.flatMap((h) => h.actions.map((a) => `${a.kind}${a.nf ? ` ${a.nf}` : ""}`));
const [a, b, c] = [nf("a"), nf("b"), nf("c")];

t.test("nothing configured, nothing managed: an empty plan", async (t) => {
  const p = plan([], []);
  t.same(p, {
    formatVersion: PLAN_FORMAT_VERSION,
    netns: NETNS,
    force: false,
    hooks: [],
    blockers: [],
    summary: { start: 0, update: 0, reorder: 0, reconfigure: 0, stop: 0, repair: 0 },
  });
  t.ok(isEmptyPlan(p));
});

t.test("a new hook starts every NF, in one swap", async (t) => {
  const p = plan([desiredHook("eth1", "xdp", [a, b])], [untouchedHook("eth1", "xdp")]);
  t.same(kinds(p), ["start a", "start b"]);
  t.equal(p.hooks[0]!.commit, "create");
  t.equal(p.hooks[0]!.nextGeneration, 1);
  t.same(p.hooks[0]!.precondition, { ifindex: 7, stale: [] }, "nothing of nfctl's ran there");
  t.same(
    p.hooks[0]!.chain.map((n) => [n.name, n.object, n.digest, n.program, n.proceedMask]),
    [
      ["a", "/objs/a.o", a.digest, "xdp_a", 4],
      ["b", "/objs/b.o", b.digest, "xdp_b", 4],
    ],
  );
  t.equal(p.hooks[0]!.mode, "auto");
  t.same(p.hooks[0]!.after, ["a", "b"]);
  t.same(p.hooks[0]!.before, []);
  t.same(p.hooks[0]!.actions[0]!.reason, { code: "not-running" });
  t.equal(describeReason(p.hooks[0]!.actions[0]!.reason), "in the config, not running");
  t.same(p.summary, { start: 2, update: 0, reorder: 0, reconfigure: 0, stop: 0, repair: 0 });
});

t.test("a converged hook needs nothing", async (t) => {
  const p = plan([desiredHook("eth1", "xdp", [a, b])], [liveHook("eth1", "xdp", [a, b])]);
  t.same(kinds(p), []);
  t.equal(p.hooks[0]!.commit, "none");
  t.same(p.hooks[0]!.chain, [], "nothing to load");
  t.ok(isEmptyPlan(p));
});

t.test("updates say what changed: object, program, version, proceedOn", async (t) => {
  const changed = nf("b", { digest: "f".repeat(64), program: "xdp_b2", version: "2.0", proceedOn: ["pass", "drop"], proceedMask: 6 });
  const p = plan([desiredHook("eth1", "xdp", [a, changed])], [liveHook("eth1", "xdp", [a, b])]);
  t.same(kinds(p), ["update b"]);
  t.same(p.hooks[0]!.actions[0]!.changes!.map(describeChange), [
    `object sha256 ${"b".padEnd(12, "0")}… -> ffffffffffff…`,
    "program xdp_b -> xdp_b2",
    "version (none) -> 2.0",
    "proceedOn [pass] -> [pass, drop]",
  ]);
  t.same(p.hooks[0]!.actions[0]!.changes![0], { field: "digest", from: b.digest, to: "f".repeat(64), objectFrom: "/objs/b.o", objectTo: "/objs/b.o" });
  t.equal(p.hooks[0]!.commit, "update");
  t.same(p.hooks[0]!.precondition, { ifindex: 7, generation: 1, firstProgId: 100, linkId: 3, stale: [] });
  t.equal(p.hooks[0]!.nextGeneration, 2);
});

t.test("a tag that moved to new content is an update from the old image digest to the new one", async (t) => {
  const ref = "reg.example:5000/nfs/b:v1";
  const old = `sha256:${"1".repeat(64)}`;
  const moved = `sha256:${"2".repeat(64)}`;
  const before = nf("b", { origin: { kind: "image", ref, digest: old, format: "bpfman" } });
  const after = nf("b", { digest: "f".repeat(64), origin: { kind: "image", ref, digest: moved, format: "bpfman" } });
  const p = plan([desiredHook("eth1", "xdp", [a, after])], [liveHook("eth1", "xdp", [a, before])]);
  t.same(kinds(p), ["update b"]);
  t.same(p.hooks[0]!.actions[0]!.changes!.map(describeChange), [`image ${ref} ${old} -> ${moved} (object sha256 ${"b".padEnd(12, "0")}… -> ffffffffffff…)`]);
  t.same(p.hooks[0]!.chain.find((n) => n.name === "b")!.origin, after.origin, "the plan carries the new origin, as the record will");
  const local = plan([desiredHook("eth1", "xdp", [a, nf("b", { digest: "f".repeat(64) })])], [liveHook("eth1", "xdp", [a, before])]);
  t.same(local.hooks[0]!.actions[0]!.changes!.map(describeChange), [
    `image ${ref}@${old} -> /objs/b.o (object sha256 ${"b".padEnd(12, "0")}… -> ffffffffffff…)`,
  ]);
});

t.test("a new object path with the same content is no update", async (t) => {
  const moved = nf("b", { object: "/elsewhere/b.o" });
  t.same(kinds(plan([desiredHook("eth1", "xdp", [a, moved])], [liveHook("eth1", "xdp", [a, b])])), []);
});

t.test("a reorder alone", async (t) => {
  const p = plan([desiredHook("eth1", "xdp", [c, b, a])], [liveHook("eth1", "xdp", [a, b, c])]);
  t.same(kinds(p), ["reorder"]);
  t.same(p.hooks[0]!.before, ["a", "b", "c"]);
  t.same(p.hooks[0]!.after, ["c", "b", "a"]);
  t.equal(p.hooks[0]!.commit, "update");
  t.same(p.summary.reorder, 1);
});

t.test("inserting or removing keeps the others' relative order: no reorder", async (t) => {
  t.same(kinds(plan([desiredHook("eth1", "xdp", [a, c, b])], [liveHook("eth1", "xdp", [a, b])])), ["start c"]);
  t.same(kinds(plan([desiredHook("eth1", "xdp", [a, c])], [liveHook("eth1", "xdp", [a, b, c])])), ["stop b"]);
});

t.test("map contents only: reconfigure in place, with before and after", async (t) => {
  const withMaps = nf("b", { maps: [portsMap(22, 8080)] });
  const contents = contentsOf("eth1", "xdp", "b", "ports", [port(22), port(23)]);
  const p = plan([desiredHook("eth1", "xdp", [a, withMaps])], [liveHook("eth1", "xdp", [a, withMaps], { generation: 4 })], contents);
  t.same(kinds(p), ["reconfigure b"]);
  t.equal(p.hooks[0]!.commit, "in-place");
  t.equal(p.hooks[0]!.generation, 4);
  t.same(
    p.hooks[0]!.chain.map((n) => [n.name, n.maps]),
    [["b", [{ name: "ports", entries: [port(22), port(8080)].map((e) => ({ key: e.key.toString("hex"), value: e.value.toString("hex") })) }]]],
    "only the map that differs is written",
  );
  t.same(p.hooks[0]!.actions[0]!.maps, [{ map: "ports", before: ["22: 1", "23: 1"], after: ["22: 1", "8080: 1"] }]);
});

t.test("identical map contents in any order: nothing", async (t) => {
  const withMaps = nf("b", { maps: [portsMap(8080, 22)] });
  const contents = contentsOf("eth1", "xdp", "b", "ports", [port(22), port(8080)]);
  t.same(kinds(plan([desiredHook("eth1", "xdp", [withMaps])], [liveHook("eth1", "xdp", [withMaps])], contents)), []);
});

t.test("the same keys in another order with one value changed: reconfigure", async (t) => {
  const withMaps = nf("b", { maps: [portsMap(8080, 22)] });
  const contents = contentsOf("eth1", "xdp", "b", "ports", [port(8080), port(22, 2)]);
  t.same(kinds(plan([desiredHook("eth1", "xdp", [withMaps])], [liveHook("eth1", "xdp", [withMaps])], contents)), ["reconfigure b"]);
});

t.test("array maps: zeroed indices count as absent", async (t) => {
  const spec = { name: "cfg", type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 4, flags: 0, internal: false };
  const entry = (i: number, v: number) => {
    const key = Buffer.alloc(4);
    key.writeUInt32LE(i);
    const value = Buffer.alloc(4);
    value.writeUInt32LE(v);
    return { key, value };
  };
  const withArray = nf("b", { maps: [{ name: "cfg", spec, entries: [entry(1, 5)], source: { file: "x", line: 1, column: 1 } }] });
  const contents = contentsOf("eth1", "xdp", "b", "cfg", [entry(0, 0), entry(1, 5), entry(2, 0), entry(3, 0)]);
  t.same(kinds(plan([desiredHook("eth1", "xdp", [withArray])], [liveHook("eth1", "xdp", [withArray])], contents)), []);
});

t.test("a started NF shows the map contents it will get", async (t) => {
  const withMaps = nf("b", { maps: [portsMap(22)] });
  const p = plan([desiredHook("eth1", "xdp", [a, withMaps])], [liveHook("eth1", "xdp", [a])]);
  t.same(p.hooks[0]!.actions[0], { kind: "start", nf: "b", reason: { code: "added-to-chain" }, maps: [{ map: "ports", before: [], after: ["22: 1"] }] });
});

t.test("disabled and removed NFs stop, with the reason", async (t) => {
  const p = plan([desiredHook("eth1", "xdp", [a, nf("b", { enabled: false })])], [liveHook("eth1", "xdp", [a, b, c])]);
  t.same(
    p.hooks[0]!.actions.map((x) => [x.kind, x.nf, describeReason(x.reason)]),
    [
      ["stop", "b", "disabled in the config"],
      ["stop", "c", "removed from the config"],
    ],
  );
  t.same(p.hooks[0]!.after, ["a"]);
});

t.test("a hook or interface gone from the config is detached", async (t) => {
  const p = plan([desiredHook("eth1", "xdp", [a])], [liveHook("eth1", "xdp", [a]), liveHook("eth1", "tc-egress", [b]), liveHook("eth2", "xdp", [c])]);
  t.same(
    p.hooks.map((h) => [h.ifname, h.hook, h.commit]),
    [
      ["eth1", "xdp", "none"],
      ["eth1", "tc-egress", "detach"],
      ["eth2", "xdp", "detach"],
    ],
  );
  t.same(p.hooks[1]!.actions[0]!.reason, { code: "hook-not-in-config" });
  t.same(p.hooks[2]!.actions[0]!.reason, { code: "interface-not-in-config" });
  t.same(p.summary.stop, 2);
});

t.test("a hook whose NFs are all disabled is detached", async (t) => {
  const p = plan([desiredHook("eth1", "xdp", [nf("a", { enabled: false })])], [liveHook("eth1", "xdp", [a])]);
  t.equal(p.hooks[0]!.commit, "detach");
  t.same(kinds(p), ["stop a"]);
});

t.test("drift is repaired by a swap; foreign programs are only warned about", async (t) => {
  const drift = [{ kind: "wiring" as const, nf: "a", expected: 101, expectedNf: "b" }];
  const p = plan([desiredHook("eth1", "xdp", [a, b])], [liveHook("eth1", "xdp", [a, b], { drift, stale: [7] })]);
  t.same(
    p.hooks[0]!.actions.map((x) => [x.kind, describeReason(x.reason)]),
    [
      ["repair", 'nf_next of NF "a" holds an empty slot, expected program 101 (NF "b")'],
      ["repair", "generation 7 was left behind by an interrupted run"],
    ],
  );
  t.same(p.hooks[0]!.actions[0]!.reason, { code: "drift", drift: drift[0] });
  t.equal(p.hooks[0]!.commit, "update");
  t.same(p.hooks[0]!.precondition.stale, [7], "apply removes exactly the leftover it was planned against");

  const foreign = [{ id: 55, name: "other" }];
  const f = plan(
    [desiredHook("eth1", "xdp", [a])],
    [liveHook("eth1", "xdp", [a], { foreign, drift: [{ kind: "foreign-program", program: foreign[0]!, ifname: "eth1", hook: "xdp" }] })],
  );
  t.equal(f.hooks[0]!.commit, "none");
  t.same(f.hooks[0]!.warnings.map(describeWarning), ["program 55 (other) on eth1 xdp was not attached by nfctl; it is left alone (--force removes it)"]);
  t.same(f.blockers, [], "a foreign program beside a live link does not block");
});

t.test("a foreign program where nfctl must attach: the warning says apply will fail; --force plans its removal", async (t) => {
  const foreign = [{ id: 55, name: "other" }];
  const hook = { ...untouchedHook("eth1", "xdp"), foreign };
  const p = plan([desiredHook("eth1", "xdp", [a])], [hook]);
  t.same(p.hooks[0]!.warnings.map(describeWarning), [
    "program 55 (other) on eth1 xdp was not attached by nfctl and occupies the hook; nfctl leaves it alone, so apply will fail unless run with --force",
  ]);
  t.same(p.blockers, [{ code: "foreign-program-occupies-hook", programs: foreign, ifname: "eth1", hook: "xdp" }], "and apply refuses it, as the warning says");
  t.same(p.hooks[0]!.removeForeign, []);
  const forced = planChanges({ files: [], hooks: [desiredHook("eth1", "xdp", [a])] }, { root: "/r", netns: NETNS, hooks: [hook] }, new Map(), { force: true });
  t.same(forced.blockers, []);
  t.same(forced.hooks[0]!.removeForeign, foreign, "apply removes exactly the planned program");
  t.same(
    forced.hooks[0]!.actions.map((x) => [x.kind, describeReason(x.reason)]),
    [
      ["start", "in the config, not running"],
      ["repair", "program 55 (other) was not attached by nfctl; --force removes it"],
    ],
  );
  t.same(forced.hooks[0]!.warnings, []);
});

t.test("leftover generations alone are cleaned up without a new generation", async (t) => {
  const p = plan([desiredHook("eth1", "xdp", [a])], [liveHook("eth1", "xdp", [a], { stale: [2, 3] })]);
  t.equal(p.hooks[0]!.commit, "cleanup");
  t.same(p.hooks[0]!.actions, [
    { kind: "repair", reason: { code: "stale-generation", generation: 2 } },
    { kind: "repair", reason: { code: "stale-generation", generation: 3 } },
  ]);
  t.same(p.hooks[0]!.precondition.stale, [2, 3]);
  t.same(p.hooks[0]!.chain, [], "nothing is loaded");
});

t.test("an XDP mode change is an update of the hook", async (t) => {
  const p = plan([desiredHook("eth1", "xdp", [a], "native")], [liveHook("eth1", "xdp", [a], { mode: "generic" })]);
  t.same(p.hooks[0]!.actions, [{ kind: "update", reason: { code: "mode-changed", from: "generic", to: "native" } }]);
  t.equal(describeReason(p.hooks[0]!.actions[0]!.reason), "XDP mode generic -> native: the chain is attached again, which is not atomic");
  t.equal(p.hooks[0]!.mode, "native");
  t.equal(p.hooks[0]!.commit, "reattach", "a mode change needs a new link");
});

t.test("combinations: reorder + insert + update + reconfigure + stop on one hook, a start elsewhere", async (t) => {
  const withMaps = nf("b", { maps: [portsMap(22)], version: "2" });
  const contents = contentsOf("eth1", "xdp", "b", "ports", [port(23)]);
  const p = plan(
    [desiredHook("eth2", "tc-ingress", [nf("t", { program: "tc_t" })]), desiredHook("eth1", "xdp", [withMaps, nf("d"), a])],
    [liveHook("eth1", "xdp", [a, nf("b", { maps: [portsMap(22)] }), c]), untouchedHook("eth2", "tc-ingress")],
    contents,
  );
  t.same(
    kinds(p),
    ["stop c", "update b", "reconfigure b", "start d", "reorder", "start t"],
    "stops first, then the chain in its new order, then hook-wide actions",
  );
  t.same(p.summary, { start: 2, update: 1, reorder: 1, reconfigure: 1, stop: 1, repair: 0 });
  t.same(
    p.hooks.map((h) => `${h.ifname}/${h.hook}`),
    ["eth1/xdp", "eth2/tc-ingress"],
    "hooks in a stable order whatever the config order",
  );
  t.same(JSON.parse(JSON.stringify(p)), p, "a plan is plain JSON");
  t.same(
    p.hooks.map((h) => h.id),
    ["eth1/xdp", "eth2/tc-ingress"],
  );
});
