/**
 * Rendering is separate from planning: a Plan value in, text out.
 */
import t from "tap";
import { renderPlan, summaryLine } from "../../src/cli/views/plan-text.js";
import { colorsFor } from "../../src/cli/colors.js";
import { mapDiffLines } from "../../src/cli/views/map-diff.js";
import { samplePlan } from "../helpers/sample-plan.js";

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
      chain:  a -> b  =>  b -> a -> c

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
