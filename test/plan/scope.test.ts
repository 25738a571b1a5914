/**
 * `--interface NAME`: the planner cuts the desired and the observed state
 * down to the named interfaces before it compares them, so that every
 * other interface is left as it is, whatever the config or the kernel
 * says of it, and the plan records the scope.
 */
import t from "tap";
import { checkPlanShape, planChanges, type Plan } from "../../src/reconcile/index.js";
import type { DesiredHook } from "../../src/reconcile/desired.js";
import type { ObservedHook } from "../../src/state/index.js";
import { renderPlan } from "../../src/cli/views/plan-text.js";
import { renderPlanMarkdown } from "../../src/cli/views/plan-markdown.js";
import { colorsFor } from "../../src/cli/colors.js";
import { NETNS, desiredHook, liveHook, nf, untouchedHook } from "./fixtures.js";

function plan(desired: DesiredHook[], observed: ObservedHook[], interfaces?: string[]): Plan {
  return planChanges({ files: ["edge.yaml"], hooks: desired }, { root: "/r", netns: NETNS, hooks: observed }, new Map(), {
    ...(interfaces && { interfaces }),
  });
}

const NO_COLORS = colorsFor({ isTTY: false } as NodeJS.WriteStream, {});
const planned = (p: Plan) => p.hooks.map((h) => `${h.id} ${h.commit}`);
const [a, b, c] = [nf("a"), nf("b"), nf("c")];

t.test("only the named interface is planned, though the config changes both", async (t) => {
  const desired = [desiredHook("eth1", "xdp", [b, a]), desiredHook("eth2", "xdp", [c])];
  const observed = [liveHook("eth1", "xdp", [a, b]), liveHook("eth2", "xdp", [a])];
  t.same(planned(plan(desired, observed)), ["eth1/xdp update", "eth2/xdp update"], "unscoped, both change");
  const p = plan(desired, observed, ["eth1"]);
  t.same(planned(p), ["eth1/xdp update"]);
  t.same(p.scope, { interfaces: ["eth1"] });
  t.same(p.summary, { start: 0, update: 0, reorder: 1, reconfigure: 0, stop: 0, repair: 0 }, "the summary counts the scope only");
});

t.test("a managed interface the config left out is not stopped when out of scope, and is when in it", async (t) => {
  const desired = [desiredHook("eth1", "xdp", [a, c])];
  const observed = [liveHook("eth1", "xdp", [a]), liveHook("eth2", "xdp", [b]), liveHook("eth2", "tc-ingress", [b])];
  t.same(planned(plan(desired, observed, ["eth1"])), ["eth1/xdp update"], "eth2's NFs keep running");
  const p = plan(desired, observed, ["eth2"]);
  t.same(planned(p), ["eth2/xdp detach", "eth2/tc-ingress detach"]);
  t.same(p.hooks[0]!.actions[0]!.reason, { code: "interface-not-in-config" }, "the reason is the config's, as unscoped");
});

t.test("drift and leftovers out of scope are neither repaired nor cleaned up", async (t) => {
  const drift = [{ kind: "wiring" as const, nf: "a", expected: 101, expectedNf: "b" }];
  const desired = [desiredHook("eth1", "xdp", [a]), desiredHook("eth2", "xdp", [a, b])];
  const observed = [liveHook("eth1", "xdp", []), liveHook("eth2", "xdp", [a, b], { drift, stale: [4] })];
  t.same(planned(plan(desired, observed, ["eth1"])), ["eth1/xdp update"]);
});

t.test("another tool's program occupying an out-of-scope hook does not block", async (t) => {
  const foreign = { ...untouchedHook("eth2", "xdp"), foreign: [{ id: 55, name: "other" }] };
  const desired = [desiredHook("eth1", "xdp", [a]), desiredHook("eth2", "xdp", [b])];
  const observed = [untouchedHook("eth1", "xdp"), foreign];
  t.equal(plan(desired, observed).blockers.length, 1, "unscoped, apply would refuse");
  const p = plan(desired, observed, ["eth1"]);
  t.same(p.blockers, []);
  t.same(
    p.hooks.flatMap((h) => h.warnings),
    [],
    "nor is it warned about",
  );
  t.same(planned(p), ["eth1/xdp create"]);
});

t.test("several interfaces; one the config names that nfctl does not manage yet", async (t) => {
  const desired = [desiredHook("eth1", "xdp", [a]), desiredHook("eth2", "tc-egress", [a]), desiredHook("eth3", "xdp", [a])];
  const observed = [untouchedHook("eth1", "xdp"), untouchedHook("eth2", "tc-egress"), untouchedHook("eth3", "xdp")];
  const p = plan(desired, observed, ["eth3", "eth1"]);
  t.same(planned(p), ["eth1/xdp create", "eth3/xdp create"]);
  t.same(p.scope, { interfaces: ["eth3", "eth1"] });
});

t.test("an interface neither in the config nor managed is refused", async (t) => {
  const desired = [desiredHook("eth1", "xdp", [a])];
  const observed = [liveHook("eth2", "xdp", [a])];
  t.throws(() => plan(desired, observed, ["eth1", "eth9"]), { message: "--interface eth9: not in the configuration and not managed here" });
  t.doesNotThrow(() => plan(desired, observed, ["eth2"]), "managed only is enough");
  t.doesNotThrow(() => plan(desired, [], ["eth1"]), "in the config only is enough (offline, nothing is observed)");
});

t.test("the scope is said in text and markdown, and kept in a saved plan", async (t) => {
  const desired = [desiredHook("eth1", "xdp", [a]), desiredHook("eth2", "xdp", [a])];
  const observed = [untouchedHook("eth1", "xdp"), untouchedHook("eth2", "xdp")];
  const one = plan(desired, observed, ["eth1"]);
  t.match(renderPlan(one, NO_COLORS), /^Plan: 1 to start, .*\nPlanned for interface eth1 only; other interfaces are left as they are\.\n$/m);
  t.match(renderPlanMarkdown(one), /\n\nPlanned for interface `eth1` only; other interfaces are left as they are\.\n$/);
  const both = plan(desired, observed, ["eth1", "eth2"]);
  t.match(renderPlan(both, NO_COLORS), /Planned for interfaces eth1, eth2 only; other interfaces are left as they are\./);
  const converged = plan([], [], undefined);
  t.notMatch(renderPlan(converged, NO_COLORS), /Planned for/, "an unscoped plan says nothing of it");
  const empty = plan([desiredHook("eth1", "xdp", [a])], [liveHook("eth1", "xdp", [a])], ["eth1"]);
  t.equal(
    renderPlan(empty, NO_COLORS),
    "No changes. The kernel matches the configuration.\nPlanned for interface eth1 only; other interfaces are left as they are.\n",
  );

  const read = checkPlanShape(JSON.parse(JSON.stringify(one)));
  t.ok(read.ok, "a saved plan with a scope is read back");
  t.same(read.ok && read.plan.scope, { interfaces: ["eth1"] });
  t.same(checkPlanShape({ ...one, scope: { interfaces: ["a/b"] } }), {
    ok: false,
    problem: 'plan.scope.interfaces[0] must be an interface name: 1 to 15 characters without "/", ":" or whitespace, and not "." or ".."',
  });
});
