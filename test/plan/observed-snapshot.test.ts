/**
 * Planning against a host's status (`plan --offline --observed FILE`)
 * without a kernel: the status of an observation, through JSON, turned
 * back into an observation, gives the plan the live observation gives.
 */
import t from "tap";
import {
  checkStatusShape,
  ConfigErrors,
  describeStatus,
  hookId,
  observationFromStatus,
  planChanges,
  planOnce,
  plannedEntries,
  type DesiredState,
  type HookId,
  type InterfaceStatus,
  type ObservedMapContents,
  type StatusReport,
} from "../../src/reconcile/index.js";
import type { MapEntry, ObservedHook, ObservedState } from "../../src/state/index.js";
import { desiredHook, liveHook, NETNS, nf, port, portsMap } from "./fixtures.js";

const a = nf("a", { maps: [portsMap(22, 80)] });
const b = nf("b", { version: "1" });
const c = nf("c");
const d = nf("d");

/** A hook nfctl manages whose live generation has no record. */
function unrecorded(hook: ObservedHook): ObservedHook {
  const live = { ...hook.live! };
  delete live.record;
  return { ...hook, live, drift: [{ kind: "record-missing", generation: live.number }] };
}

/** A TC hook nfctl attached with a clsact filter (no link), as where TCX is missing. */
function tcLegacy(hook: ObservedHook): ObservedHook {
  const legacy: ObservedHook = { ...hook, attachment: "tc-legacy" };
  delete legacy.link;
  return legacy;
}

/** What nfctl manages on the host (as observe() sees it). */
const managed: ObservedHook[] = [
  liveHook("eth1", "xdp", [a, b], { generation: 3, foreign: [{ id: 90, name: "xdp_other" }] }),
  {
    ...liveHook("eth2", "xdp", [a], { generation: 2, stale: [1], drift: [{ kind: "link-defunct", linkId: 3, ifname: "eth2" }] }),
    link: { id: 3, progId: 100, ifindex: 0 },
  },
  tcLegacy(liveHook("eth3", "tc-ingress", [d], { generation: 5 })),
  unrecorded(liveHook("eth4", "xdp", [a, c], { generation: 1 })),
];

/** The host's interfaces, and the programs other tools run on hooks nfctl does not manage. */
const interfaces: InterfaceStatus[] = [
  { name: "eth1", ifindex: 7, foreign: { "tc-egress": [{ id: 55, name: "tc_other" }] } },
  { name: "eth2", ifindex: 8, foreign: {} },
  { name: "eth3", ifindex: 9, foreign: {} },
  { name: "eth4", ifindex: 10, foreign: {} },
  { name: "eth5", ifindex: 11, foreign: {} },
];

/** What the kernel's data maps hold, by hook and NF: more than any config sets. */
const held = new Map<HookId, Record<string, Record<string, MapEntry[]>>>([
  [hookId("eth1", "xdp"), { a: { ports: [port(22), port(23)], other: [port(1)] }, b: { ports: [port(9)] } }],
  [hookId("eth2", "xdp"), { a: { ports: [port(22), port(80)] } }],
  [hookId("eth4", "xdp"), { a: { ports: [] } }],
]);

const desired: DesiredState = {
  files: ["fleet.yaml"],
  source: { path: "fleet.yaml" },
  hooks: [
    desiredHook("eth1", "xdp", [a, nf("b", { version: "2" })], "native"),
    desiredHook("eth1", "tc-egress", [c]),
    desiredHook("eth2", "xdp", [a]),
    desiredHook("eth4", "xdp", [a, c]),
    desiredHook("eth5", "tc-ingress", [d]),
  ],
};

/** The observation a live plan on the host makes: what observe() sees, plus the hooks the config names (gather.ts). */
function liveObservation(): { observed: ObservedState; contents: ObservedMapContents } {
  const extra = (ifname: string, hook: ObservedHook["address"]["hook"], ifindex: number, foreign: ObservedHook["foreign"] = []): ObservedHook => ({
    address: { netns: NETNS, ifname, hook },
    ifindex,
    stale: [],
    foreign,
    setAside: [],
    drift: foreign.map((program) => ({ kind: "foreign-program", program, ifname, hook })),
  });
  const observed: ObservedState = {
    root: "/sys/fs/bpf/nfctl",
    netns: NETNS,
    hooks: [...managed, extra("eth1", "tc-egress", 7, [{ id: 55, name: "tc_other" }]), extra("eth5", "tc-ingress", 11)],
    state: { lineage: "5b3c2a8e-0d7f-4c3e-9a1b-2f6e8d9c0a11", serial: 12 },
  };
  // gather reads only the maps the config sets, of NFs that run.
  const contents: ObservedMapContents = new Map([
    [hookId("eth1", "xdp"), { a: { ports: [port(22), port(23)] } }],
    [hookId("eth1", "tc-egress"), {}],
    [hookId("eth2", "xdp"), { a: { ports: [port(22), port(80)] } }],
    [hookId("eth4", "xdp"), { a: { ports: [] } }],
    [hookId("eth5", "tc-ingress"), {}],
  ]);
  return { observed, contents };
}

/** The host's `nfctl status -o json`, as a file holds it. */
function statusFile(): StatusReport {
  const { observed } = liveObservation();
  const report = describeStatus(
    { ...observed, hooks: managed },
    {
      counters: () => undefined,
      dataMaps: (addr, name) =>
        Object.entries(held.get(hookId(addr.ifname, addr.hook))?.[name] ?? {}).map(([map, entries]) => ({ name: map, entries: plannedEntries(entries) })),
      interfaces,
    },
  );
  const checked = checkStatusShape(JSON.parse(JSON.stringify(report)));
  if (!checked.ok) throw new Error(checked.problem);
  return checked.status;
}

t.test("a host's status gives the plan the host's own observation gives", async (t) => {
  const live = liveObservation();
  const expected = planChanges(desired, live.observed, live.contents);
  const fromStatus = observationFromStatus(statusFile(), desired);
  t.same(planChanges(desired, fromStatus.observed, fromStatus.contents), expected);
  t.same(planChanges(desired, fromStatus.observed, fromStatus.contents, { force: true }), planChanges(desired, live.observed, live.contents, { force: true }));
  t.same(
    expected.hooks.map((h) => [h.id, h.commit]),
    [
      ["eth1/xdp", "reattach"],
      ["eth1/tc-egress", "create"],
      ["eth2/xdp", "reattach"],
      ["eth3/tc-ingress", "detach"],
      ["eth4/xdp", "update"],
      ["eth5/tc-ingress", "create"],
    ],
    "the sample covers every kind of hook it means to",
  );
  t.same(expected.state, { lineage: "5b3c2a8e-0d7f-4c3e-9a1b-2f6e8d9c0a11", serial: 12 }, "and the state a saved plan is checked against");
  t.ok(
    expected.hooks.some((h) => h.warnings.length > 0),
    "and other tools' programs",
  );
});

t.test("planOnce against a status: the same plan, and a missing interface is the same error", async (t) => {
  const status = statusFile();
  const live = liveObservation();
  t.same(planOnce(desired, { root: "/nowhere", observed: { status, name: "hosts/edge-1.json" } }).plan, {
    ...planChanges(desired, live.observed, live.contents),
    basis: { kind: "observed", file: "hosts/edge-1.json", netns: status.netns },
  });
  const elsewhere: DesiredState = { ...desired, hooks: [desiredHook("eth9", "xdp", [a])] };
  t.throws(() => planOnce(elsewhere, { root: "/nowhere", observed: { status, name: "hosts/edge-1.json" } }), ConfigErrors);
  try {
    planOnce(elsewhere, { root: "/nowhere", observed: { status, name: "hosts/edge-1.json" } });
  } catch (err) {
    t.match((err as ConfigErrors).errors, [{ message: `interface "eth9" does not exist on the host of hosts/edge-1.json (network namespace ${NETNS})` }]);
  }
});

t.test("a status file without what a plan needs is refused, saying what is missing", async (t) => {
  const status = JSON.parse(JSON.stringify(statusFile())) as Record<string, unknown>;
  t.same(checkStatusShape({ ...status, formatVersion: 2 }), { ok: false, problem: "the status has format version 2; this nfctl reads version 1" });
  const old = { ...status };
  delete old.interfaces;
  t.same(checkStatusShape(old), {
    ok: false,
    problem: "the status has no interfaces: it was taken by an nfctl older than this one; take it again (nfctl status -o json)",
  });
  const hooks = status.hooks as Array<Record<string, unknown>>;
  t.same(checkStatusShape({ ...status, hooks: [{ ...hooks[0], drift: [{ kind: "wiring" }] }] }), {
    ok: false,
    problem: "status.hooks[0].drift[0].nf is missing",
  });
});
