/**
 * Saved plans without a kernel: a plan written by `plan --out` reads back
 * as the same value, and a file that is not such a plan (not JSON, another
 * kind, another version, a field gone wrong) is one line naming the file.
 */
import t from "tap";
import { lstatSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { checkPlanShape, hookId, planChanges, type Plan } from "../../src/reconcile/index.js";
import { readSavedPlan, writeJsonFile } from "../../src/cli/json-files.js";
import { toJson } from "../../src/cli/views/json.js";
import { desiredHook, liveHook, NETNS, nf, port, portsMap, untouchedHook } from "./fixtures.js";

const a = nf("a");
const b = nf("b", { maps: [portsMap(22, 80)] });

/** A plan with a bit of everything: a start with maps, an update, a stop, a state. */
function samplePlan(): Plan {
  return planChanges(
    {
      files: ["edge.yaml"],
      hooks: [desiredHook("eth1", "xdp", [b, nf("a", { version: "2" })]), desiredHook("eth2", "tc-egress", [a])],
      source: { path: "edge.yaml" },
    },
    {
      root: "/sys/fs/bpf/nfctl",
      netns: NETNS,
      hooks: [liveHook("eth1", "xdp", [a, nf("c")], { generation: 4, stale: [2] }), untouchedHook("eth2", "tc-egress")],
      state: { lineage: "7d0c6c1e-0b0a-4f5e-9a51-3f1f0c9b2d11", serial: 5 },
    },
    new Map([[hookId("eth1", "xdp"), { a: { ports: [port(22)] } }]]),
  );
}

t.test("a saved plan reads back as the plan that was saved", async (t) => {
  const dir = t.testdir();
  const plan = samplePlan();
  t.equal(plan.state?.serial, 5, "the plan records the state it was made against");
  const file = join(dir, "plan.json");
  writeJsonFile(file, toJson("Plan", { plan }));
  t.same(readSavedPlan(file), JSON.parse(JSON.stringify(plan)));
  t.same(readdirSync(dir), ["plan.json"], "no temporary file is left beside it");
  writeJsonFile(file, toJson("Plan", { plan: { ...plan, hooks: [] } }));
  t.same(readSavedPlan(file).hooks, [], "writing again replaces the file");
});

t.test("a symlink in the way is replaced, never written through", async (t) => {
  const dir = t.testdir({ "victim.txt": "not nfctl's\n", sub: {} });
  const victim = join(dir, "victim.txt");
  const text = toJson("Plan", { plan: samplePlan() });
  // At the target: the link itself becomes the plan.
  const file = join(dir, "plan.json");
  symlinkSync(victim, file);
  writeJsonFile(file, text);
  t.equal(readFileSync(victim, "utf8"), "not nfctl's\n", "the link's target is unchanged");
  t.ok(lstatSync(file).isFile(), "plan.json is a file of its own");
  t.equal(readFileSync(file, "utf8"), text);
  // At the temporary name an earlier nfctl used (.NAME.PID.tmp), which anyone could guess: not used.
  const guessed = join(dir, `.plan.json.${process.pid}.tmp`);
  symlinkSync(victim, guessed);
  writeJsonFile(file, text);
  t.equal(readFileSync(victim, "utf8"), "not nfctl's\n", "the guessed name's target is unchanged");
  t.same(readdirSync(dir).sort(), [basename(guessed), "plan.json", "sub", "victim.txt"].sort(), "nothing else left beside it");
  // A target that cannot be replaced: one line naming it.
  t.throws(() => writeJsonFile(join(dir, "sub"), text), { message: new RegExp(`^cannot write ${join(dir, "sub")}: [^\n]+$`) });
  t.same(readdirSync(dir).sort(), [basename(guessed), "plan.json", "sub", "victim.txt"].sort(), "no temporary file left after a failure");
});

t.test("a file that is not a saved plan is one line naming it", async (t) => {
  const dir = t.testdir();
  const write = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  const plan = JSON.parse(JSON.stringify(samplePlan())) as Plan;
  const envelope = (body: unknown) => JSON.stringify({ formatVersion: 1, kind: "Plan", plan: body });
  const cases: Array<[string, string, RegExp]> = [
    ["truncated.json", toJson("Plan", { plan }).slice(0, 200), /truncated\.json is not a saved nfctl plan \(nfctl plan --out\): it is not JSON \(/],
    [
      "status.json",
      JSON.stringify({ formatVersion: 1, kind: "Status", status: {} }),
      /status\.json is not a saved nfctl plan \(nfctl plan --out\): it is a "Status" output$/,
    ],
    ["list.json", "[]", /list\.json is not a saved nfctl plan \(nfctl plan --out\): it is not a JSON object$/],
    [
      "envelope.json",
      JSON.stringify({ formatVersion: 2, kind: "Plan", plan }),
      /envelope\.json was written in nfctl's JSON format version 2; this nfctl reads version 1$/,
    ],
    [
      "old.json",
      envelope({ ...plan, formatVersion: 1 }),
      /old\.json is not a plan this nfctl can apply: the plan has format version 1; this nfctl applies plans of format version 2: plan again with it$/,
    ],
    ["no-plan.json", JSON.stringify({ formatVersion: 1, kind: "Plan" }), /no-plan\.json is not a plan this nfctl can apply: plan must be an object$/],
  ];
  for (const [name, text, message] of cases) t.throws(() => readSavedPlan(write(name, text)), { message }, name);
  t.throws(() => readSavedPlan(join(dir, "missing.json")), { message: `cannot read the saved plan ${join(dir, "missing.json")}: no such file or directory` });
  t.throws(() => readSavedPlan(dir), { message: `cannot read the saved plan ${dir}: not a regular file` });
});

t.test("the shape check names the first field gone wrong", async (t) => {
  const good = JSON.parse(JSON.stringify(samplePlan())) as unknown;
  t.ok(checkPlanShape(good).ok, "the planner's plan passes");
  /** The problem with the plan where the field at `path` holds `value` (undefined: the field is gone). */
  const withField = (path: Array<string | number>, value: unknown): string => {
    const copy = JSON.parse(JSON.stringify(good)) as Record<string | number, unknown>;
    let node = copy;
    for (const step of path.slice(0, -1)) node = node[step] as Record<string | number, unknown>;
    if (value === undefined) delete node[path[path.length - 1]!];
    else node[path[path.length - 1]!] = value;
    const result = checkPlanShape(copy);
    return result.ok ? "ok" : result.problem;
  };
  t.equal(withField(["hooks"], {}), "plan.hooks must be a list");
  t.equal(withField(["hooks", 0, "precondition"], undefined), "plan.hooks[0].precondition is missing");
  t.equal(
    withField(["hooks", 0, "commit"], "explode"),
    'plan.hooks[0].commit must be one of: "create", "update", "reattach", "in-place", "detach", "cleanup", "none"',
  );
  t.equal(withField(["hooks", 0, "chain", 0, "digest"], "abc"), "plan.hooks[0].chain[0].digest must be a sha256 in hex");
  t.equal(
    withField(["hooks", 0, "chain", 0, "maps", 0, "entries", 0, "key"], "zz"),
    "plan.hooks[0].chain[0].maps[0].entries[0].key must be bytes in lowercase hex",
  );
  t.equal(withField(["hooks", 0, "id"], "eth9/xdp"), 'plan.hooks[0].id must be "eth1/xdp"');
  t.match(
    withField(["hooks", 0, "actions", 0, "reason"], { code: "because" }),
    /^plan\.hooks\[0\]\.actions\[0\]\.reason\.code must be one of: "not-running", /,
  );
  t.equal(withField(["hooks", 0, "actions", 0, "reason"], { code: "drift" }), "plan.hooks[0].actions[0].reason.drift is missing");
  t.equal(withField(["state", "serial"], -1), "plan.state.serial must be a whole number");
  t.equal(withField(["hooks", 0, "precondition", "stale"], [1.5]), "plan.hooks[0].precondition.stale[0] must be a whole number");
  t.equal(withField(["futureField"], { anything: true }), "ok", "fields of a later minor version are allowed");
});
