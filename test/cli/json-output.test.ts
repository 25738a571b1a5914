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
import { BUILD } from "../../scripts/nfs.js";

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

t.test("a failed apply with -o json: one Error document on stdout, its causes as diagnostics, exit 1", async (t) => {
  const lab = createLab();
  t.teardown(lab.cleanup);
  const dir = t.testdir();
  const missing = writeConfig(dir, "missing.yaml", { ifname: "nosuch0", xdp: [c1] });
  const absent = nfctl(lab, ["apply", "-f", missing, "-o", "json"]);
  t.equal(absent.code, 1);
  t.equal(absent.stderr, "");
  t.same(JSON.parse(absent.stdout), {
    formatVersion: 1,
    kind: "Error",
    diagnostics: [
      {
        file: missing,
        line: 8,
        column: 7,
        path: "",
        code: "interface-not-found",
        severity: "error",
        message: 'interface "nosuch0" does not exist in this network namespace',
      },
    ],
  });

  const bad = writeConfig(dir, "bad.yaml", { xdp: [c1, { name: "bad", object: "test/bad_verifier.o", program: "xdp_bad" }] });
  const refused = nfctl(lab, ["apply", "-f", bad, "-o", "json"]);
  t.equal(refused.code, 1);
  t.equal(refused.stderr, "");
  const out = JSON.parse(refused.stdout) as { formatVersion: number; kind: string; diagnostics: Array<Record<string, unknown>> };
  t.match(out, { formatVersion: 1, kind: "Error" });
  const [load, outcome, ...rest] = out.diagnostics;
  t.same(rest, []);
  t.match(load, {
    file: null,
    code: "native",
    errno: "EACCES",
    message: `bpf_object__load(${BUILD}/test/bad_verifier.o, program xdp_bad): Permission denied (EACCES)`,
  });
  t.match(load?.verifierLog, /\S/, "the verifier's log, whole");
  t.same(outcome, {
    file: null,
    line: 0,
    column: 0,
    path: "",
    code: "apply-undone",
    severity: "error",
    message: "apply failed and was undone: every hook runs what it ran before, and nothing of this apply is left pinned",
  });
  t.same(jsonOutput<StatusReport>(nfctl(lab, ["status", "-o", "json"]).stdout, "Status", "status").hooks, [], "nothing applied");
});
