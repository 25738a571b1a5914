/**
 * Plans as markdown for a pull-request comment: a Plan value in, markdown
 * out, no kernel.
 */
import t from "tap";
import { renderPlanMarkdown } from "../../src/cli/views/plan-markdown.js";
import type { Plan } from "../../src/reconcile/index.js";
import { samplePlan } from "../helpers/sample-plan.js";

t.test("a plan as markdown: heading, a table per hook, map diffs, warnings", async (t) => {
  t.equal(
    renderPlanMarkdown(samplePlan, { host: "edge-1" }),
    `### Plan for \`edge-1\`: 1 to start, 1 to update, 1 to reorder, 1 to reconfigure, 1 to stop

#### \`eth1 xdp\` (mode native): generation 3 is replaced by a new one in one step

| | action | NF | reason |
|---|---|---|---|
| \`+\` | start | \`c\` | added to the chain |
| \`~\` | update | \`a\` | the NF changed; version 1 -> 2 |
| \`~\` | reconfigure | \`b\` | map contents differ from the config |
| \`↕\` | reorder |  | the order of the chain changed |

Chain: \`a -> b\` → \`b -> a -> c\`

Map \`ports\` of \`b\`:

\`\`\`diff
--- ports (kernel)
+++ ports (config)
@@ -1,2 +1,2 @@
 22: 1
-23: 1
+80: 1
\`\`\`

#### \`eth2 tc-egress\`: the chain is detached and its pins removed

| | action | NF | reason |
|---|---|---|---|
| \`-\` | stop | \`d\` | interface no longer in the config |

**Warnings**

- program 9 (x) on eth1 xdp was not attached by nfctl; it is left alone (--force removes it)
`,
  );
});

t.test("an empty plan says No changes, with its warnings", async (t) => {
  const empty: Plan = { ...samplePlan, hooks: [], summary: { start: 0, update: 0, reorder: 0, reconfigure: 0, stop: 0, repair: 0 } };
  t.equal(renderPlanMarkdown(empty), "### No changes.\n\nThe kernel matches the configuration.\n");
  const quiet: Plan = { ...samplePlan, hooks: [{ ...samplePlan.hooks[0]!, commit: "none", actions: [] }] };
  t.equal(
    renderPlanMarkdown(quiet, { host: "edge-1" }),
    "### No changes for `edge-1`.\n\nThe kernel matches the configuration.\n\n**Warnings**\n\n- program 9 (x) on eth1 xdp was not attached by nfctl; it is left alone (--force removes it)\n",
  );
});

t.test("names from elsewhere cannot break the table or the page", async (t) => {
  const hook = samplePlan.hooks[1]!;
  const odd: Plan = {
    ...samplePlan,
    hooks: [{ ...hook, ifname: "a|b`<x>", actions: [{ kind: "stop", nf: "d", reason: { code: "destroy", interface: "a|b<img src=x>" } }] }],
  };
  const text = renderPlanMarkdown(odd);
  t.match(text, "#### ``a|b`<x> tc-egress``: the chain is detached", "a backtick in a name lengthens the code span");
  t.match(text, "| `-` | stop | `d` | nfctl destroy --interface a\\|b&lt;img src=x> |", "a | stays in its cell, < starts no tag");
});

t.test("a map diff holding backticks gets a longer fence", async (t) => {
  const hook = samplePlan.hooks[0]!;
  const odd: Plan = {
    ...samplePlan,
    hooks: [{ ...hook, actions: [{ kind: "reconfigure", nf: "b", reason: { code: "maps-differ" }, maps: [{ map: "m", before: [], after: ["```: 1"] }] }] }],
  };
  t.match(renderPlanMarkdown(odd), "````diff\n--- m (kernel)\n+++ m (config)\n@@ -1,0 +1,1 @@\n+```: 1\n````\n");
});

t.test("an offline plan as markdown says what it planned against, and the host it assumed", async (t) => {
  const empty: Plan = { ...samplePlan, hooks: [], summary: { start: 0, update: 0, reorder: 0, reconfigure: 0, stop: 0, repair: 0 } };
  t.equal(
    renderPlanMarkdown({ ...empty, basis: { kind: "base", ref: "main", revision: `main@sha1:${"ab".repeat(20)}` } }),
    `### No changes.\n\nThe configuration matches hosts assumed to run the config at main (sha1:${"ab".repeat(20)}).\n`,
  );
  const offline = renderPlanMarkdown({ ...samplePlan, basis: { kind: "empty" }, assumedHost: { name: "ci-7", labels: { role: "edge" } } });
  t.match(
    offline,
    /^### Plan: 1 to start, [^\n]*\n\nPlanned for the assumed host ci-7 with labels role=edge \(this machine's name; [^\n]*\)\.\n\nPlanned offline, against an empty host \(--offline: nothing read from a kernel\)\.\n\n####/,
  );
  t.match(offline, "--- ports (empty)\n+++ ports (config)");
  t.notMatch(offline, /\(kernel\)/);
});
