/**
 * Every command's `-o json`: one versioned envelope per kind of output
 * (src/cli/views/json.ts), and no English inside: reasons, drift and
 * warnings are codes with fields.
 */
import t from "tap";
import { rmSync } from "node:fs";
import { createLab, inNetns, ADDR } from "../../scripts/test-lab.js";
import { requireKernel } from "../helpers/kernel.js";
import { jsonOutput, nfctl, writeConfig, type NfSpec } from "../helpers/cli.js";
import type { ApplyResult, Plan, StatusReport } from "../../src/reconcile/index.js";
import { currentNetns, hookPaths } from "../../src/state/index.js";

requireKernel();

const bl: NfSpec = { name: "bl", nf: "blocklist", maps: `blocklist_v4:\n  ${ADDR.blocked}/32: 1` };
const c1: NfSpec = { name: "c1", nf: "counter" };

/** Every string in a JSON value that reads as words ("two words"), with where it is. */
function prose(value: unknown, path = "$"): string[] {
  if (typeof value === "string") return /[A-Za-z]{2,} [A-Za-z]{2,}/.test(value) ? [`${path}: ${value}`] : [];
  if (Array.isArray(value)) return value.flatMap((v, i) => prose(v, `${path}[${i}]`));
  if (value && typeof value === "object") return Object.entries(value).flatMap(([k, v]) => prose(v, `${path}.${k}`));
  return [];
}

t.test("plan, apply, status and destroy: one envelope each, no prose", async (t) => {
  const lab = createLab();
  t.teardown(lab.cleanup);
  const file = writeConfig(t.testdir(), "c.yaml", { xdp: [c1, bl], tcEgress: [c1] });

  const planned = nfctl(lab, ["plan", "-f", file, "-o", "json"]);
  t.equal(planned.code, 0, planned.stderr);
  const plan = jsonOutput<Plan>(planned.stdout, "Plan", "plan");
  t.equal(plan.formatVersion, 3);
  t.same(
    plan.hooks.map((h) => [h.id, h.commit]),
    [
      ["veth-b/xdp", "create"],
      ["veth-b/tc-egress", "create"],
    ],
  );
  t.same(prose(JSON.parse(planned.stdout)), []);

  const applied = nfctl(lab, ["apply", "-f", file, "-o", "json"]);
  t.equal(applied.code, 0, applied.stderr);
  t.equal(jsonOutput<boolean>(applied.stdout, "ApplyResult", "applied"), true);
  t.same(
    jsonOutput<ApplyResult>(applied.stdout, "ApplyResult", "result").hooks.map((h) => [h.ifname, h.hook, h.commit, h.generation]),
    [
      ["veth-b", "xdp", "create", 1],
      ["veth-b", "tc-egress", "create", 1],
    ],
  );
  t.same(prose(JSON.parse(applied.stdout)), []);

  const converged = nfctl(lab, ["apply", "-f", file, "-o", "json"]);
  t.equal(jsonOutput<boolean>(converged.stdout, "ApplyResult", "applied"), false, "a converged apply applies nothing");
  t.equal(jsonOutput<unknown>(converged.stdout, "ApplyResult", "result"), undefined);

  // Drift, so that status and plan carry typed drift.
  const netns = inNetns(lab.nsB, currentNetns);
  rmSync(hookPaths(lab.root, { netns, ifname: "veth-b", hook: "tc-egress" }).link);
  const status = nfctl(lab, ["status", "-o", "json"]);
  t.equal(status.code, 0, status.stderr);
  const report = jsonOutput<StatusReport>(status.stdout, "Status", "status");
  t.same(report.hooks.find((h) => h.hook === "tc-egress")!.drift, [{ kind: "link-missing", ifname: "veth-b", hook: "tc-egress" }]);
  t.same(prose(JSON.parse(status.stdout)), []);
  const repair = jsonOutput<Plan>(nfctl(lab, ["plan", "-f", file, "-o", "json"]).stdout, "Plan", "plan");
  t.same(
    repair.hooks.find((h) => h.hook === "tc-egress")!.actions.map((a) => a.reason),
    [
      { code: "not-running" },
      { code: "drift", drift: { kind: "link-missing", ifname: "veth-b", hook: "tc-egress" } },
      { code: "stale-generation", generation: 1 },
    ],
  );

  const destroyed = nfctl(lab, ["destroy", "-o", "json"]);
  t.equal(destroyed.code, 0, destroyed.stderr);
  t.equal(jsonOutput<boolean>(destroyed.stdout, "DestroyResult", "applied"), true);
  t.same(
    jsonOutput<Plan>(destroyed.stdout, "DestroyResult", "plan").hooks.map((h) => [h.id, h.commit, h.actions.map((a) => [a.kind, a.nf ?? null, a.reason])]),
    [
      [
        "veth-b/xdp",
        "detach",
        [
          ["stop", "c1", { code: "destroy" }],
          ["stop", "bl", { code: "destroy" }],
        ],
      ],
      [
        "veth-b/tc-egress",
        "detach",
        [
          ["repair", null, { code: "drift", drift: { kind: "link-missing", ifname: "veth-b", hook: "tc-egress" } }],
          ["repair", null, { code: "stale-generation", generation: 1 }],
        ],
      ],
    ],
  );
  t.same(prose(JSON.parse(destroyed.stdout)), []);
});
