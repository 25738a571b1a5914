/**
 * Saved plans without a kernel: a plan written by `plan --out` reads back
 * as the same value, and a file that is not such a plan (not JSON, another
 * kind, another version, a field gone wrong) is one line naming the file.
 * A plan file's author is not trusted: each field the executor uses is
 * checked for its value, and only a plan made with --force removes other
 * tools' programs.
 */
import t from "tap";
import { lstatSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { checkPlanShape, executePlan, planChanges, type Plan } from "../../src/reconcile/index.js";
import { readSavedPlan, writeJsonFile } from "../../src/cli/json-files.js";
import { toJson } from "../../src/cli/views/json.js";
import { desiredHook, NETNS, nf, samplePlan, untouchedHook } from "./fixtures.js";

const a = nf("a");

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
      envelope({ ...plan, formatVersion: 2 }),
      /old\.json is not a plan this nfctl can apply: the plan has format version 2; this nfctl applies plans of format version 3: plan again with it$/,
    ],
    ["no-plan.json", JSON.stringify({ formatVersion: 1, kind: "Plan" }), /no-plan\.json is not a plan this nfctl can apply: plan must be an object$/],
  ];
  for (const [name, text, message] of cases) t.throws(() => readSavedPlan(write(name, text)), { message }, name);
  t.throws(() => readSavedPlan(join(dir, "missing.json")), { message: `cannot read the saved plan ${join(dir, "missing.json")}: no such file or directory` });
  t.throws(() => readSavedPlan(dir), { message: `cannot read the saved plan ${dir}: not a regular file` });
});

/** `plan` as JSON, with the field at `path` holding `value` (undefined: the field is gone). */
function edited(plan: Plan, path: Array<string | number>, value: unknown): Record<string | number, unknown> {
  const copy = JSON.parse(JSON.stringify(plan)) as Record<string | number, unknown>;
  let node = copy;
  for (const step of path.slice(0, -1)) node = node[step] as Record<string | number, unknown>;
  if (value === undefined) delete node[path[path.length - 1]!];
  else node[path[path.length - 1]!] = value;
  return copy;
}

/** What checkPlanShape says of `value`: "ok", or its problem. */
function verdict(value: unknown): string {
  const result = checkPlanShape(value);
  return result.ok ? "ok" : result.problem;
}

t.test("the shape check names the first field gone wrong", async (t) => {
  const good = samplePlan();
  t.equal(verdict(JSON.parse(JSON.stringify(good))), "ok", "the planner's plan passes");
  const withField = (path: Array<string | number>, value: unknown): string => verdict(edited(good, path, value));
  t.equal(withField(["hooks"], {}), "plan.hooks must be a list");
  t.equal(withField(["hooks", 0, "precondition"], undefined), "plan.hooks[0].precondition is missing");
  t.equal(
    withField(["hooks", 0, "commit"], "explode"),
    'plan.hooks[0].commit must be one of: "create", "update", "reattach", "in-place", "detach", "cleanup", "none"',
  );
  t.equal(withField(["hooks", 0, "chain", 0, "digest"], "abc"), "plan.hooks[0].chain[0].digest must be a sha256 in hex");
  t.equal(
    withField(["hooks", 0, "chain", 0, "maps", 0, "entries", 0, "key"], "zz"),
    "plan.hooks[0].chain[0].maps[0].entries[0].key must be 1 to 64 bytes in lowercase hex",
  );
  t.equal(withField(["hooks", 0, "id"], "eth9/xdp"), 'plan.hooks[0].id must be "eth1/xdp"');
  t.match(
    withField(["hooks", 0, "actions", 0, "reason"], { code: "because" }),
    /^plan\.hooks\[0\]\.actions\[0\]\.reason\.code must be one of: "not-running", /,
  );
  t.equal(withField(["hooks", 0, "actions", 0, "reason"], { code: "drift" }), "plan.hooks[0].actions[0].reason.drift is missing");
  t.equal(withField(["state", "serial"], -1), "plan.state.serial must be a whole number from 1 to 9007199254740991");
  t.equal(withField(["hooks", 0, "precondition", "stale"], [1.5]), "plan.hooks[0].precondition.stale[0] must be a whole number from 1 to 4294967295");
  t.equal(withField(["futureField"], { anything: true }), "ok", "fields of a later minor version are allowed");
  const image = { kind: "image", ref: "reg.example:5000/nfs/counter:v1", digest: `sha256:${"1".repeat(64)}`, format: "bpfman" };
  t.equal(withField(["hooks", 0, "chain", 0, "origin"], image), "ok", "an NF from an image");
  t.equal(
    withField(["hooks", 0, "chain", 0, "origin"], { ...image, digest: "sha256:abc" }),
    "plan.hooks[0].chain[0].origin.digest must be sha256: and 64 hex digits",
  );
  t.equal(
    withField(["hooks", 0, "chain", 0, "origin"], { kind: "ftp", url: "ftp://x" }),
    'plan.hooks[0].chain[0].origin.kind must be one of: "artifact", "image"',
  );
});

t.test("a plan made offline against no host or an assumed one is refused, however it was saved", async (t) => {
  const good = samplePlan();
  const withBasis = (basis: unknown) => verdict(edited(good, ["basis"], basis));
  t.equal(withBasis({ kind: "kernel" }), "ok");
  t.equal(withBasis({ kind: "observed", file: "hosts/edge-1.json", netns: NETNS }), "ok", "a host's status: for that host");
  t.equal(
    withBasis({ kind: "empty" }),
    "plan.basis says the plan was made offline against no host, which no host can apply: plan on the host, or against its status with --observed",
  );
  t.equal(
    withBasis({ kind: "base", ref: "main" }),
    "plan.basis says the plan was made offline against an assumed host (--base-ref), which no host can apply: plan on the host, or against its status with --observed",
  );
  t.equal(withBasis({ kind: "guess" }), 'plan.basis.kind must be one of: "kernel", "empty", "observed", "base"');
});

/** A plan to start NF a on an XDP hook another tool's program occupies: made with --force, it removes that program. */
function forcedPlan(force: boolean): Plan {
  const occupied = { ...untouchedHook("eth1", "xdp"), foreign: [{ id: 55, name: "other" }] };
  return planChanges({ files: [], hooks: [desiredHook("eth1", "xdp", [a])] }, { root: "/r", netns: NETNS, hooks: [occupied] }, new Map(), { force });
}

const NOT_NORMALISED = 'plan.hooks[0].chain[0].object must be an absolute, normalised path (no "." or ".." component, no NUL, at most 4096 characters)';

t.test("a hand-edited plan is refused at the field that is wrong, as strictly as a config", async (t) => {
  const good = samplePlan();
  const nf0 = ["hooks", 0, "chain", 0];
  const cases: Array<[string, Array<string | number>, unknown, string]> = [
    ["a relative object", [...nf0, "object"], "bpf/build/b.o", NOT_NORMALISED],
    ["an object path with ..", [...nf0, "object"], "/opt/nf/../../etc/b.o", NOT_NORMALISED],
    ["an object path with NUL", [...nf0, "object"], "/opt/nf/b.o\0x", NOT_NORMALISED],
    [
      "an empty NF name",
      [...nf0, "name"],
      "",
      'plan.hooks[0].chain[0].name must be 1 to 63 lowercase letters, digits, "-" or "_", starting and ending with a letter or digit',
    ],
    [
      "an NF name with a slash",
      ["hooks", 0, "after", 1],
      "../x",
      'plan.hooks[0].after[1] must be 1 to 63 lowercase letters, digits, "-" or "_", starting and ending with a letter or digit',
    ],
    [
      "a program that is not a C identifier",
      [...nf0, "program"],
      "xdp prog",
      "plan.hooks[0].chain[0].program must be a C identifier: the name of the program's function in the object",
    ],
    [
      "a map name that is not a C identifier",
      [...nf0, "maps", 0, "name"],
      "ports/../x",
      "plan.hooks[0].chain[0].maps[0].name must be a C identifier: the name of a map in the object",
    ],
    [
      "an interface name with a slash",
      ["hooks", 0, "ifname"],
      "eth1/x",
      'plan.hooks[0].ifname must be an interface name: 1 to 15 characters without "/", ":" or whitespace, and not "." or ".."',
    ],
    ["an interface name of 16 bytes", ["hooks", 0, "ifname"], "\u00e9".repeat(8), "plan.hooks[0].ifname must be at most 15 bytes (IFNAMSIZ - 1)"],
    ["an unknown hook", ["hooks", 0, "hook"], "tc", 'plan.hooks[0].hook must be one of: "xdp", "tc-ingress", "tc-egress"'],
    [
      "an unknown action",
      ["hooks", 0, "actions", 0, "kind"],
      "explode",
      'plan.hooks[0].actions[0].kind must be one of: "start", "stop", "update", "reorder", "reconfigure", "repair"',
    ],
    ["a digest in upper case", [...nf0, "digest"], "AB".repeat(32), "plan.hooks[0].chain[0].digest must be a sha256 in hex"],
    ["a maps digest that is not a sha256", [...nf0, "mapsDigest"], "x", "plan.hooks[0].chain[0].mapsDigest must be a sha256 in hex"],
    ["a generation of 0", ["hooks", 0, "nextGeneration"], 0, "plan.hooks[0].nextGeneration must be a whole number from 1 to 4294967295"],
    [
      "an ifindex beyond an int",
      ["hooks", 0, "precondition", "ifindex"],
      2 ** 31,
      "plan.hooks[0].precondition.ifindex must be a whole number from 1 to 2147483647",
    ],
    [
      "a link ID beyond a u32",
      ["hooks", 0, "precondition", "linkId"],
      2 ** 32,
      "plan.hooks[0].precondition.linkId must be a whole number from 1 to 4294967295",
    ],
    ["a serial of 0", ["state", "serial"], 0, "plan.state.serial must be a whole number from 1 to 9007199254740991"],
    ["a lineage that is not a UUID", ["state", "lineage"], "../x", "plan.state.lineage must be a UUID in lowercase hex"],
    ["an empty map key", [...nf0, "maps", 0, "entries", 0, "key"], "", "plan.hooks[0].chain[0].maps[0].entries[0].key must be 1 to 64 bytes in lowercase hex"],
    [
      "a map value of 65 bytes",
      [...nf0, "maps", 0, "entries", 0, "value"],
      "00".repeat(65),
      "plan.hooks[0].chain[0].maps[0].entries[0].value must be 1 to 64 bytes in lowercase hex",
    ],
    [
      "map entries of two key sizes",
      [...nf0, "maps", 0, "entries", 1, "key"],
      "0050ff",
      "plan.hooks[0].chain[0].maps[0].entries[1] must have the key and value sizes of plan.hooks[0].chain[0].maps[0].entries[0]",
    ],
    ["a chain of 33 NFs", ["hooks", 0, "chain"], Array.from({ length: 33 }, () => good.hooks[0]!.chain[0]), "plan.hooks[0].chain must hold at most 32 items"],
    ["a TC verdict on XDP", [...nf0, "proceedOn"], ["ok"], 'plan.hooks[0].chain[0].proceedOn[0] must be one of: "aborted", "drop", "pass", "tx", "redirect"'],
    ["a proceed mask beyond a u32", [...nf0, "proceedMask"], 2 ** 32, "plan.hooks[0].chain[0].proceedMask must be a whole number from 0 to 4294967295"],
    ["a forged revision", ["source", "revision"], "main@sha1:abc", 'plan.source.revision must be "sha256:<64 hex>" or "<ref>@sha1:<40 hex>"'],
    [
      "a revision with a newline",
      ["source", "revision"],
      `main\n@sha1:${"ab".repeat(20)}`,
      'plan.source.revision must be "sha256:<64 hex>" or "<ref>@sha1:<40 hex>"',
    ],
    [
      "a source URL with a token",
      ["source", "path"],
      "https://ghp_secret@git.example.com/edge.git",
      'plan.source.path must not hold a URL\'s user or password (only "***@")',
    ],
    [
      "an ssh source URL with its user",
      ["source", "path"],
      "ssh://deploy@git.example.com/edge.git",
      'plan.source.path must not hold a URL\'s user or password (only "***@")',
    ],
    [
      "a source with a control character",
      ["source", "path"],
      "edge.yaml\u001b[2J",
      "plan.source.path must be at most 65536 characters without control characters",
    ],
    [
      "a version with a newline",
      ["hooks", 0, "chain", 1, "version"],
      "2\nforged",
      "plan.hooks[0].chain[1].version must be at most 256 characters without control characters",
    ],
    ["no record of --force", ["force"], undefined, "plan.force is missing"],
  ];
  t.equal(verdict(JSON.parse(JSON.stringify(good))), "ok", "the unedited plan is accepted");
  for (const [what, path, value, problem] of cases) t.equal(verdict(edited(good, path, value)), problem, what);
});

t.test("only a plan made with --force removes other tools' programs", async (t) => {
  const forced = forcedPlan(true);
  t.same(forced.hooks[0]!.removeForeign, [{ id: 55, name: "other" }]);
  t.equal(forced.force, true, "the plan records --force");
  t.equal(verdict(JSON.parse(JSON.stringify(forced))), "ok", "a plan made with --force may remove them");
  t.equal(forcedPlan(false).force, false);
  t.equal(
    verdict(edited(forced, ["force"], false)),
    "plan.hooks[0].removeForeign lists programs of other tools to remove, but the plan was not made with --force",
    "a plan edited to remove one without --force is refused",
  );
  const unforced = edited(samplePlan(), ["hooks", 1, "removeForeign"], [{ id: 55, name: "other" }]);
  t.equal(verdict(unforced), "plan.hooks[1].removeForeign lists programs of other tools to remove, but the plan was not made with --force");
  t.equal(verdict(edited(forced, ["hooks", 0, "removeForeign", 0, "id"], 0)), "plan.hooks[0].removeForeign[0].id must be a whole number from 1 to 4294967295");
  t.throws(
    () => executePlan({ ...forced, force: false }, { root: "/nonexistent/nfctl" }),
    { name: "PlanRefusedError", message: "the plan removes programs of other tools from eth1 xdp but was not made with --force; plan again with --force" },
    "the executor refuses such a plan too, before it looks at the kernel",
  );
});
