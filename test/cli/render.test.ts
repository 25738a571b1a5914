/**
 * Rendering is separate from planning: a Plan value in, text out.
 */
import t from "tap";
import { renderPlan, summaryLine } from "../../src/cli/views/plan-text.js";
import { colorsFor } from "../../src/cli/colors.js";
import type { Plan } from "../../src/reconcile/index.js";

/** The start of an ANSI colour escape (ESC [). */
const ANSI_ESCAPE = new RegExp(`${String.fromCharCode(27)}\\[`);

const plain = colorsFor({ isTTY: false } as NodeJS.WriteStream, {});

const plan: Plan = {
  formatVersion: 2,
  netns: 1,
  hooks: [
    {
      id: "eth1/xdp",
      ifname: "eth1",
      hook: "xdp",
      mode: "native",
      attachment: "link",
      generation: 3,
      nextGeneration: 4,
      before: ["a", "b"],
      after: ["b", "a", "c"],
      commit: "update",
      precondition: { ifindex: 2, generation: 3, firstProgId: 10, linkId: 1, stale: [] },
      chain: [],
      removeForeign: [],
      actions: [
        { kind: "start", nf: "c", reason: { code: "added-to-chain" } },
        { kind: "update", nf: "a", reason: { code: "nf-changed" }, changes: [{ field: "version", from: "1", to: "2" }] },
        { kind: "reconfigure", nf: "b", reason: { code: "maps-differ" }, maps: [{ map: "ports", before: ["22: 1", "23: 1"], after: ["22: 1", "80: 1"] }] },
        { kind: "reorder", reason: { code: "order-changed" } },
      ],
      warnings: [{ code: "foreign-program", program: { id: 9, name: "x" }, ifname: "eth1", hook: "xdp", blocksApply: false }],
    },
    {
      id: "eth2/tc-egress",
      ifname: "eth2",
      hook: "tc-egress",
      attachment: "link",
      generation: 1,
      before: ["d"],
      after: [],
      commit: "detach",
      precondition: { ifindex: 3, generation: 1, firstProgId: 20, linkId: 2, stale: [] },
      chain: [],
      removeForeign: [],
      actions: [{ kind: "stop", nf: "d", reason: { code: "interface-not-in-config" } }],
      warnings: [],
    },
  ],
  blockers: [],
  summary: { start: 1, update: 1, reorder: 1, reconfigure: 1, stop: 1, repair: 0 },
};

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
      chain:  a -> b  =>  b -> a -> c

# eth2 tc-egress: the chain is detached and its pins removed
  - stop        d                interface no longer in the config

Plan: 1 to start, 1 to update, 1 to reorder, 1 to reconfigure, 1 to stop.
Warning: program 9 (x) on eth1 xdp was not attached by nfctl; it is left alone (--force removes it)
`,
  );
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
