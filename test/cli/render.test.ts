/**
 * Rendering is separate from planning: a Plan value in, text out.
 */
import t from "tap";
import { renderPlan, summaryLine } from "../../src/cli/render-plan.js";
import { colorsFor } from "../../src/cli/colors.js";
import type { Plan } from "../../src/reconcile/index.js";

const plain = colorsFor({ isTTY: false } as NodeJS.WriteStream, {});

const plan: Plan = {
  formatVersion: 1,
  netns: 1,
  hooks: [
    {
      ifname: "eth1",
      hook: "xdp",
      mode: "native",
      generation: 3,
      before: ["a", "b"],
      after: ["b", "a", "c"],
      execution: "swap",
      actions: [
        { kind: "start", nf: "c", reason: "added to the chain" },
        { kind: "update", nf: "a", reason: "the NF changed", changes: ["version 1 -> 2"] },
        { kind: "reconfigure", nf: "b", reason: "map contents differ from the config", maps: [{ map: "ports", before: ["22: 1", "23: 1"], after: ["22: 1", "80: 1"] }] },
        { kind: "reorder", reason: "the order of the chain changed" },
      ],
      warnings: ["program 9 (x) on eth1 xdp was not attached by nfctl; it is left alone"],
    },
    { ifname: "eth2", hook: "tc-egress", before: ["d"], after: [], execution: "detach", actions: [{ kind: "stop", nf: "d", reason: "interface no longer in the config" }], warnings: [] },
  ],
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
Warning: program 9 (x) on eth1 xdp was not attached by nfctl; it is left alone
`,
  );
});

t.test("the summary counts repairs only when there are some", async (t) => {
  t.equal(summaryLine({ ...plan, summary: { ...plan.summary, repair: 2 } }), "Plan: 1 to start, 1 to update, 1 to reorder, 1 to reconfigure, 1 to stop, 2 to repair.");
});

t.test("colour only on a terminal, and never with NO_COLOR", async (t) => {
  const tty = { isTTY: true } as NodeJS.WriteStream;
  t.match(renderPlan(plan, colorsFor(tty, {})), /\x1b\[/, "a terminal gets colour");
  t.notMatch(renderPlan(plan, colorsFor(tty, { NO_COLOR: "1" })), /\x1b\[/, "NO_COLOR wins");
  t.notMatch(renderPlan(plan, colorsFor({ isTTY: false } as NodeJS.WriteStream, { CI: "true", FORCE_COLOR: "1" })), /\x1b\[/, "a pipe gets none, whatever CI says");
});
