/**
 * Planning against a host assumed converged on a config (`plan --base-ref`)
 * without a kernel: a config planned against the observation of itself
 * changes nothing, and a changed config gets the actions and commits it
 * would get on a host that really runs the base config.
 */
import t from "tap";
import { convergedObservation, hookId, isEmptyPlan, planChanges, planOnce, type DesiredState, type Plan } from "../../src/reconcile/index.js";
import type { DesiredHook } from "../../src/reconcile/desired.js";
import type { ObservedMapContents } from "../../src/reconcile/index.js";
import { desiredHook, liveHook, NETNS, nf, port, portsMap } from "./fixtures.js";

const a = nf("a", { maps: [portsMap(22, 80)] });
const b = nf("b", { version: "1", proceedOn: ["pass"] });
const c = nf("c");
const last = nf("last", { chainAware: false });
delete last.proceedMask;

function config(...hooks: DesiredHook[]): DesiredState {
  return { files: ["edge.yaml"], source: { path: "edge.yaml", revision: "main@sha1:".padEnd(50, "1") }, hooks };
}

/** Every kind of hook a config has: a mode, TC, maps, a disabled NF, a chain-unaware last NF, a hook with nothing enabled. */
const base = config(
  desiredHook("eth1", "xdp", [a, b, nf("off", { enabled: false }), last], "native"),
  desiredHook("eth1", "tc-egress", [c]),
  desiredHook("eth2", "xdp", [b, c]),
  desiredHook("eth3", "tc-ingress", [nf("idle", { enabled: false })]),
);

const kinds = (p: Plan) => p.hooks.map((h) => [h.id, h.commit, h.actions.map((x) => `${x.kind}${x.nf ? ` ${x.nf}` : ""}`)]);

t.test("a config against the observation of itself: no changes", async (t) => {
  const { observed, contents } = convergedObservation(base);
  const plan = planChanges(base, observed, contents);
  t.ok(isEmptyPlan(plan), "every hook's commit is none");
  t.same(kinds(plan), [
    ["eth1/xdp", "none", []],
    ["eth1/tc-egress", "none", []],
    ["eth2/xdp", "none", []],
    ["eth3/tc-ingress", "none", []],
  ]);
  t.same(plan.summary, { start: 0, update: 0, reorder: 0, reconfigure: 0, stop: 0, repair: 0 });
  t.equal(plan.state, undefined, "an assumed host has no lineage or serial");
  t.same(
    planOnce(base, { root: "/nowhere", base: { desired: { ...base, source: { revision: `main@sha1:${"a".repeat(40)}` } }, ref: "main" } }).plan,
    { ...plan, basis: { kind: "base", ref: "main", revision: `main@sha1:${"a".repeat(40)}` } },
    "planOnce with a base plans against it, and says so",
  );
});

t.test("the observation: the enabled NFs of each hook as its first generation, the maps as the config sets them", async (t) => {
  const { observed, contents } = convergedObservation(base);
  t.same(
    observed.hooks.map((h) => [hookId(h.address.ifname, h.address.hook), h.live?.nfs.map((n) => n.name), h.live?.record?.mode, h.drift, h.stale, h.foreign]),
    [
      ["eth1/xdp", ["a", "b", "last"], "native", [], [], []],
      ["eth1/tc-egress", ["c"], undefined, [], [], []],
      ["eth2/xdp", ["b", "c"], "auto", [], [], []],
    ],
    "a hook without an enabled NF is not nfctl's there",
  );
  t.same(
    observed.hooks[0]!.live!.nfs.map((n) => n.hasNext),
    [true, true, false],
    "a chain-unaware NF has no nf_next",
  );
  t.same(observed.hooks[0]!.live!.record!.source, base.source, "the records name the base config's source");
  t.same(contents.get(hookId("eth1", "xdp")), { a: { ports: [port(22), port(80)] }, b: {}, last: {} });
});

t.test("a changed config: the actions and commits it gets on a host that runs the base", async (t) => {
  const changed = config(
    // A map entry, a version and a reorder; the disabled NF enabled.
    desiredHook("eth1", "xdp", [nf("b", { version: "2", proceedOn: ["pass"] }), nf("a", { maps: [portsMap(22, 443)] }), nf("off"), last], "native"),
    // eth1 tc-egress: gone from the config. eth2: another object, and a mode.
    desiredHook("eth2", "xdp", [b, nf("c", { digest: "e".repeat(64) })], "generic"),
    desiredHook("eth3", "tc-ingress", [nf("idle")]),
  );
  const { observed, contents } = convergedObservation(base);
  const plan = planChanges(changed, observed, contents);
  t.same(kinds(plan), [
    ["eth1/xdp", "update", ["update b", "reconfigure a", "start off", "reorder"]],
    ["eth1/tc-egress", "detach", ["stop c"]],
    ["eth2/xdp", "reattach", ["update c", "update"]],
    ["eth3/tc-ingress", "create", ["start idle"]],
  ]);
  const eth1 = plan.hooks[0]!;
  t.same(eth1.actions.find((x) => x.kind === "reconfigure")?.maps, [{ map: "ports", before: ["22: 1", "80: 1"], after: ["22: 1", "443: 1"] }]);
  t.same(eth1.actions.find((x) => x.kind === "update")?.changes, [{ field: "version", from: "1", to: "2" }]);
  t.same(plan.hooks[1]!.actions[0]!.reason, { code: "hook-not-in-config" });
  t.same(plan.hooks[2]!.actions[1]!.reason, { code: "mode-changed", from: "auto", to: "generic" });

  // The host the planner tests model (test/plan/fixtures.ts): it runs the base config, with real IDs.
  const host = {
    root: "/sys/fs/bpf/nfctl",
    netns: NETNS,
    hooks: [
      liveHook("eth1", "xdp", [a, b, last], { mode: "native" }),
      liveHook("eth1", "tc-egress", [c]),
      liveHook("eth2", "xdp", [b, c]),
      { address: { netns: NETNS, ifname: "eth3", hook: "tc-ingress" as const }, ifindex: 7, stale: [], foreign: [], setAside: [], drift: [] },
    ],
  };
  const held: ObservedMapContents = new Map([[hookId("eth1", "xdp"), { a: { ports: [port(22), port(80)] } }]]);
  const real = planChanges(changed, host, held);
  t.same(kinds(plan), kinds(real), "the same commits and actions");
  t.same(
    plan.hooks.map((h) => [h.actions, h.before, h.after, h.chain]),
    real.hooks.map((h) => [h.actions, h.before, h.after, h.chain]),
    "with the same reasons, changes and chains to load",
  );
});
