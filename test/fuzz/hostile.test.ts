/**
 * The hostile inputs of test/fuzz-corpus/hostile/, each through the
 * boundary it attacks: object paths that escape a shared source, clones
 * with planted files, URLs that carry a secret, and hand-edited plans.
 * Every case runs on every run; a case is one JSON entry, so adding one
 * needs no code. No kernel: the git cases use local repositories.
 */
import t from "tap";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { BUNDLED_OBJECTS, formatConfigError, loadConfig, objectRoots } from "../../src/reconcile/config/index.js";
import { checkPlanShape } from "../../src/reconcile/index.js";
import { gitSnapshot, validateGitUrl } from "../../src/sources/git.js";
import { gitRemote, redactUrl } from "../../src/sources/git-url.js";
import { configText, hookText, nfText } from "../config/helpers/configs.js";
import { samplePlan } from "../plan/fixtures.js";
import { expectedDigest, makeRemote } from "../sources/helpers/git-fixtures.js";
import { tempDir } from "../sources/helpers/temp.js";

const CORPUS = fileURLToPath(new URL("../../../test/fuzz-corpus/hostile", import.meta.url));

function corpus<T>(file: string): T[] {
  const parsed = JSON.parse(readFileSync(join(CORPUS, file), "utf8")) as { cases: T[] };
  return parsed.cases;
}

t.test("escaping-objects.json: a shared config's object that leads out of its source is refused at its field, in the same words", async (t) => {
  const cases = corpus<{ name: string; object: string; links?: Record<string, string> }>("escaping-objects.json");
  t.ok(cases.length >= 10, `${cases.length} cases`);
  for (const c of cases) {
    const top = tempDir(t, "nfctl-hostile-objects-");
    const source = join(top, "source");
    const outside = join(top, "outside");
    mkdirSync(join(source, "nfs"), { recursive: true });
    mkdirSync(join(source, ".git"), { recursive: true });
    mkdirSync(join(source, "vendor", ".git"), { recursive: true });
    mkdirSync(outside);
    for (const dir of [outside, join(source, ".git"), join(source, "vendor", ".git")]) copyFileSync(join(BUNDLED_OBJECTS, "counter.o"), join(dir, "evil.o"));
    const at = (text: string) => text.replaceAll("@OUTSIDE@", outside);
    for (const [path, target] of Object.entries(c.links ?? {})) {
      mkdirSync(dirname(join(source, path)), { recursive: true });
      symlinkSync(at(target), join(source, path));
    }
    const file = join(source, "edge.yaml");
    writeFileSync(file, configText(hookText("eth1", "xdp", [nfText("counter", at(c.object), "xdp_counter")])));
    const result = loadConfig([source], { cwd: source, objectRoots: objectRoots([source, BUNDLED_OBJECTS]), host: { name: "edge-1", labels: {} } });
    const errors = result.ok ? [] : result.errors.map(formatConfigError);
    t.equal(errors.length, 1, `${c.name}: one error`);
    t.match(
      errors[0],
      new RegExp(
        `^${file}:11:21: spec\\.interfaces\\[0\\]\\.xdp\\.chain\\[0\\]\\.object: object \\S+ is outside this source: a shared config may name objects in its own tree`,
      ),
      `${c.name}: refused at the object field`,
    );
    t.notMatch(errors[0] ?? "", /does not exist|not a BPF object|permission|no such file/i, `${c.name}: nothing said of whether a file is there`);
  }
});

t.test("config-sizes.json: too many files or bytes are refused before any is parsed, at the file that crosses a limit", async (t) => {
  const cases = corpus<{ name: string; files: number; bytes: number; error: string | null }>("config-sizes.json");
  for (const c of cases) {
    const dir = tempDir(t, "nfctl-hostile-sizes-");
    for (let i = 0; i < c.files; i++) {
      const text = configText(hookText(`e${i}`, "xdp", [nfText("c", `${BUNDLED_OBJECTS}/counter.o`, "xdp_counter")]));
      writeFileSync(join(dir, `f${String(i).padStart(3, "0")}.yaml`), c.bytes === 0 ? text : `${text}#${"x".repeat(c.bytes - text.length - 2)}\n`);
    }
    const result = loadConfig([dir], { cwd: dir, host: { name: "edge-1", labels: {} } });
    const errors = result.ok ? [] : result.errors.map(formatConfigError);
    t.same(errors, c.error === null ? [] : [`${join(dir, c.error.split(":")[0]!)}:${c.error.slice(c.error.indexOf(":") + 1)}`], c.name);
  }
});

t.test("credential-urls.json: a URL's secret reaches no message, no shown form and no git command line", async (t) => {
  const cases = corpus<{ name: string; url: string }>("credential-urls.json");
  const SECRET = "s3cr3t";
  for (const c of cases) {
    t.ok(c.url.includes(SECRET), `${c.name}: the case carries the secret`);
    t.notOk(redactUrl(c.url).includes(SECRET), `${c.name}: redactUrl hides it (${redactUrl(c.url)})`);
    let refusal: string | undefined;
    try {
      validateGitUrl(c.url);
    } catch (err) {
      refusal = (err as Error).message;
    }
    if (refusal !== undefined) {
      t.notOk(refusal.includes(SECRET), `${c.name}: the refusal hides it (${refusal})`);
      continue;
    }
    const remote = gitRemote(c.url);
    t.notOk(remote.url.includes(SECRET), `${c.name}: the URL git gets on its command line holds no secret (${remote.url})`);
  }
});

t.test("planted-caches.json: what is planted in a clone is never read, and runs nothing", async (t) => {
  const cases = corpus<{ name: string; files: Record<string, string>; mode?: string }>("planted-caches.json");
  const config = configText(hookText("eth1", "xdp", [nfText("counter", `${BUNDLED_OBJECTS}/counter.o`, "xdp_counter")]));
  for (const c of cases) {
    const remote = makeRemote(t);
    remote.commit({ "edge.yaml": config });
    remote.push("main");
    const cacheDir = tempDir(t, "nfctl-hostile-cache-");
    const canary = join(tempDir(t, "nfctl-hostile-canary-"), "ran");
    const read = () => gitSnapshot({ url: remote.url, cacheDir, timeoutMs: 30_000 });
    const first = await read();
    const checkout = first.inputs[0]!;
    const next = remote.commit({ "edge.yaml": `${config}# the next commit\n` });
    const tokens = (text: string) => text.replaceAll("@NEXT@", next).replaceAll("@MISSING@", "f".repeat(40)).replaceAll("@CANARY@", canary);
    for (const [path, content] of Object.entries(c.files)) {
      mkdirSync(dirname(join(checkout, path)), { recursive: true });
      writeFileSync(join(checkout, path), tokens(content));
      if (c.mode !== undefined) chmodSync(join(checkout, path), parseInt(c.mode, 8));
    }
    // Pushed or not, the snapshot is a commit's files: the first, or (once pushed) the next.
    const again = await read();
    t.equal(again.digest, first.digest, `${c.name}: the commit's files, not the planted ones`);
    t.same(readdirSync(checkout).sort(), [".git", "edge.yaml"], `${c.name}: nothing planted is left beside them`);
    remote.push("main");
    const moved = await read();
    t.equal(moved.digest, expectedDigest({ "edge.yaml": `${config}# the next commit\n` }), `${c.name}: and the next commit is read as pushed`);
    t.notOk(existsSync(canary), `${c.name}: no planted command ran`);
  }
});

t.test("edited-plans.json: a hand-edited plan is refused at the field that is wrong", async (t) => {
  const cases = corpus<{ name: string; path: Array<string | number>; value: unknown; problem: string }>("edited-plans.json");
  const verdict = (value: unknown) => {
    const checked = checkPlanShape(value);
    return checked.ok ? "ok" : checked.problem;
  };
  t.equal(verdict(JSON.parse(JSON.stringify(samplePlan()))), "ok", "the unedited plan is accepted");
  for (const c of cases) {
    // Parsed from text, as a plan file is: a "__proto__" key is then an own field.
    const plan = JSON.parse(JSON.stringify(samplePlan())) as Record<string, unknown>;
    let parent: Record<string | number, unknown> = plan;
    for (const key of c.path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
    const last = c.path.at(-1)!;
    Object.defineProperty(parent, last, { value: c.value, enumerable: true, writable: true, configurable: true });
    t.equal(verdict(JSON.parse(JSON.stringify(plan))), c.problem, c.name);
  }
});
