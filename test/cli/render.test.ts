/**
 * Rendering is separate from planning: a Plan value in, text out.
 */
import t from "tap";
import { renderPlan, summaryLine } from "../../src/cli/views/plan-text.js";
import { colorsFor } from "../../src/cli/colors.js";
import { mapDiffLines } from "../../src/cli/views/map-diff.js";
import { samplePlan } from "../helpers/sample-plan.js";
import { desiredHook, liveHook, NETNS, nf } from "../plan/fixtures.js";
import { planChanges, type Plan } from "../../src/reconcile/index.js";

/** The start of an ANSI colour escape (ESC [). */
const ANSI_ESCAPE = new RegExp(`${String.fromCharCode(27)}\\[`);

const plain = colorsFor({ isTTY: false } as NodeJS.WriteStream, {});

const plan = samplePlan;

t.test("a plan as text", async (t) => {
  t.equal(
    renderPlan(plan, plain),
    `nfctl will make these changes:

# eth1 xdp (mode native): generation 3 is replaced by a new one in one step
  + start       c                added to the chain
  ~ update      a                the NF changed
      version 1 -> 2
  ~ reconfigure b                map contents differ from the config
      --- ports (kernel)
      +++ ports (config)
      @@ -1,2 +1,2 @@
       22: 1
      -23: 1
      +80: 1
  ↕ reorder                      the order of the chain changed
      before: a -> b
      after:  b -> a -> c

# eth2 tc-egress: the chain is detached and its pins removed
  - stop        d                interface no longer in the config

Plan: 1 to start, 1 to update, 1 to reorder, 1 to reconfigure, 1 to stop.
Warning: program 9 (x) on eth1 xdp was not attached by nfctl; it is left alone (--force removes it)
`,
  );
});

t.test("a map diff of 200,000 entries is rendered, not a stack overflow", async (t) => {
  const after = Array.from({ length: 200_000 }, (_, i) => `${i}: 1`);
  const lines = mapDiffLines({ map: "big", before: [], after });
  t.equal(lines.length, 3 + after.length);
  t.equal(lines[2], "@@ -1,0 +1,200000 @@");
  t.equal(lines.at(-1), "+199999: 1");
});

t.test("the summary counts repairs only when there are some", async (t) => {
  t.equal(
    summaryLine({ ...plan, summary: { ...plan.summary, repair: 2 } }),
    "Plan: 1 to start, 1 to update, 1 to reorder, 1 to reconfigure, 1 to stop, 2 to repair.",
  );
});

t.test("colour only on a terminal, and never with NO_COLOR", async (t) => {
  const tty = { isTTY: true } as NodeJS.WriteStream;
  t.match(renderPlan(plan, colorsFor(tty, {})), ANSI_ESCAPE, "a terminal gets colour");
  t.notMatch(renderPlan(plan, colorsFor(tty, { NO_COLOR: "1" })), ANSI_ESCAPE, "NO_COLOR wins");
  t.notMatch(
    renderPlan(plan, colorsFor({ isTTY: false } as NodeJS.WriteStream, { CI: "true", FORCE_COLOR: "1" })),
    ANSI_ESCAPE,
    "a pipe gets none, whatever CI says",
  );
});

t.test("a reorder that comes with an update shows the chain before and after once", async (t) => {
  const plan = planChanges(
    { files: ["edge.yaml"], hooks: [desiredHook("eth1", "xdp", [nf("b"), nf("a", { version: "2" })])] },
    { root: "/r", netns: NETNS, hooks: [liveHook("eth1", "xdp", [nf("a"), nf("b")])] },
  );
  t.same(
    plan.hooks[0]!.actions.map((a) => a.kind),
    ["update", "reorder"],
  );
  const text = renderPlan(plan, plain);
  t.equal(text.match(/a -> b/g)?.length, 1, text);
  t.equal(text.match(/b -> a/g)?.length, 1, text);
  const update = planChanges(
    { files: ["edge.yaml"], hooks: [desiredHook("eth1", "xdp", [nf("a", { version: "2" })])] },
    { root: "/r", netns: NETNS, hooks: [liveHook("eth1", "xdp", [nf("a")])] },
  );
  t.match(renderPlan(update, plain), /\n {6}chain: {2}a {2}=> {2}a\n/, "an update without a reorder shows the chain");
});

t.test("an offline plan says what it planned against, and never that the kernel matches", async (t) => {
  const none = { ...plan, hooks: [], summary: { start: 0, update: 0, reorder: 0, reconfigure: 0, stop: 0, repair: 0 } };
  const cases: Array<[Plan["basis"], string]> = [
    [undefined, "No changes. The kernel matches the configuration.\n"],
    [{ kind: "kernel" }, "No changes. The kernel matches the configuration.\n"],
    [{ kind: "empty" }, "No changes. The configuration matches an empty host (--offline: nothing read from a kernel).\n"],
    [
      { kind: "observed", file: "hosts/edge-1.json", netns: 4026531840 },
      "No changes. The configuration matches the host status in hosts/edge-1.json (network namespace 4026531840).\n",
    ],
    [
      { kind: "base", ref: "origin/main", revision: `origin/main@sha1:${"ab".repeat(20)}` },
      `No changes. The configuration matches hosts assumed to run the config at origin/main (sha1:${"ab".repeat(20)}).\n`,
    ],
  ];
  for (const [basis, text] of cases) t.equal(renderPlan({ ...none, ...(basis && { basis }) }, plain), text, basis?.kind ?? "apply's plan");
  const observed = renderPlan({ ...plan, basis: { kind: "observed", file: "edge.json", netns: 1 } }, plain);
  t.match(observed, /^Planned offline, against the host status in edge.json \(network namespace 1\)\.\nnfctl will make these changes:\n/);
  t.match(observed, /--- ports \(observed\)\n +\+\+\+ ports \(config\)/, "the map diff's sides");
  t.notMatch(observed, /kernel/);
  t.match(renderPlan({ ...plan, basis: { kind: "base", ref: "main" } }, plain), /--- ports \(base\)/);
  t.match(renderPlan({ ...plan, basis: { kind: "empty" } }, plain), /--- ports \(empty\)/);
});

t.test("a fleet plan says which host it assumed", async (t) => {
  const assumed = renderPlan({ ...plan, basis: { kind: "empty" }, assumedHost: { name: "ci-7", labels: {} } }, plain);
  t.match(assumed, /^Planned for the assumed host ci-7 with no labels \(this machine's name; --hostname and --host-label name the host planned for\)\.\n/);
});
