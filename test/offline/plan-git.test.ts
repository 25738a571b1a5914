/**
 * `nfctl plan --git URL` (and apply's refusals) against local bare
 * repositories, offline and unprivileged: the plan of a commit, which names
 * the commit as the watch loop's records do; `--base-ref` against another
 * ref of the same repository; and every source problem as one line.
 */
import t from "tap";
import { copyFileSync, mkdirSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { BUILD, configText, hookText, nfText } from "../config/helpers/configs.js";
import { gpgKey, makeRemote } from "../sources/helpers/git-fixtures.js";
import { tempDir, type Teardown } from "../sources/helpers/temp.js";
import { actionsOf, handOver, nfctl, planOf } from "./helpers/unprivileged.js";

/**
 * A repository whose main runs a counter on eth1 and whose branch "change"
 * puts a blocklist before it; objects beside it, outside, which a config
 * from git may name only through --object-path (`objectPath`).
 */
function repository(t: Teardown) {
  const objects = tempDir(t, "nfctl-test-objects-");
  for (const name of ["counter", "blocklist"]) copyFileSync(join(BUILD, `${name}.o`), join(objects, `${name}.o`));
  const counter = nfText("counter", join(objects, "counter.o"), "xdp_counter");
  const blocklist = nfText("blocklist", join(objects, "blocklist.o"), "xdp_blocklist");
  const remote = makeRemote(t);
  const main = remote.commit({ "hosts/edge.yaml": configText(hookText("eth1", "xdp", [counter])) });
  remote.push("main");
  remote.git(["checkout", "-q", "-b", "change"]);
  const change = remote.commit({ "hosts/edge.yaml": configText(hookText("eth1", "xdp", [blocklist, counter])) });
  remote.push("change");
  const home = tempDir(t, "nfctl-test-home-");
  const cache = join(home, "cache");
  mkdirSync(cache);
  /** Everything nfctl reads and writes, given to the user it runs as. */
  const handOverAll = () => [dirname(remote.bare), home, objects].forEach(handOver);
  return { remote, main, change, cache, handOverAll, objects, objectPath: ["--object-path", objects] };
}

t.test("plan --git: the config of a commit, recorded with its revision", async (t) => {
  const { remote, main, cache, handOverAll, objectPath } = repository(t);
  handOverAll();
  const r = nfctl(["plan", "--offline", "--git", remote.url, "--path", "hosts", "--cache-dir", cache, ...objectPath, "-o", "json", "--detailed-exitcode"]);
  t.equal(r.stderr, "");
  t.equal(r.code, 2, "changes");
  const plan = planOf(r.stdout);
  t.same(plan.source, { path: remote.url, revision: `main@sha1:${main}` }, "the URL and the commit, as nfctl watch records them");
  t.same(actionsOf(plan), [["eth1/xdp", "create", ["start counter"]]]);
  const text = nfctl(["plan", "--offline", "--git", remote.url, "--path", "hosts", "--cache-dir", cache, ...objectPath]);
  t.equal(text.code, 0, text.stderr);
  t.match(
    text.stdout,
    /^Planned offline, against an empty host \(--offline: nothing read from a kernel\)\.\nnfctl will make these changes:\n\n# eth1 xdp \(mode auto\): a new generation is attached\n {2}\+ start +counter /,
  );
});

t.test("plan --git --base-ref: against hosts that run another ref of the repository", async (t) => {
  const { remote, main, change, cache, handOverAll, objectPath } = repository(t);
  handOverAll();
  const base = (ref: string | undefined, baseRef: string) =>
    nfctl([
      "plan",
      ...objectPath,
      "--git",
      remote.url,
      ...(ref ? ["--ref", ref] : []),
      "--base-ref",
      baseRef,
      "--path",
      "hosts",
      "--cache-dir",
      cache,
      "--detailed-exitcode",
      "-o",
      "json",
    ]);
  const changed = base("change", "main");
  t.equal(changed.code, 2, changed.stderr);
  const plan = planOf(changed.stdout);
  t.same(actionsOf(plan), [["eth1/xdp", "update", ["start blocklist"]]], "the blocklist joins the running counter: one switch");
  t.same(plan.hooks[0]!.actions[0]!.reason, { code: "added-to-chain" });
  t.same(plan.source, { path: remote.url, revision: `change@sha1:${change}` }, "the plan is of the ref planned, not of the base");
  t.same(plan.state, undefined, "no host's lineage: the hosts are assumed");

  const same = nfctl(["plan", "--git", remote.url, "--base-ref", "main", "--path", "hosts", "--cache-dir", cache, ...objectPath, "--detailed-exitcode"]);
  t.equal(same.code, 0, same.stderr);
  t.equal(
    same.stdout,
    `No changes. The configuration matches hosts assumed to run the config at main (sha1:${main}).\n`,
    "main against main (the default ref)",
  );
  t.equal(base("change", "change").code, 0);
  const relative = base("change", "change~1");
  t.equal(relative.code, 2, relative.stderr);
  t.same(actionsOf(planOf(relative.stdout)), [["eth1/xdp", "update", ["start blocklist"]]], "change~1 is main's commit, resolved after a deeper fetch");
  const tooFar = base("change", "main~1");
  t.equal(tooFar.code, 1);
  // With -o json, an error is one JSON document on stdout (diagnostics.ts): its one message is the line text would show.
  const messageOf = (stdout: string) => (JSON.parse(stdout) as { diagnostics: { message: string }[] }).diagnostics.map((d) => d.message);
  t.match(messageOf(tooFar.stdout), [new RegExp(`^cannot find the commit of branch main~1 from ${remote.url}: `)], "a ref beyond the history: one line");
  t.same(messageOf(base("change", "HEAD~1").stdout), ['invalid git ref "HEAD~1": a repository\'s ref starts from a branch, tag or sha (main~1), not HEAD']);
  const unknown = base("change", "nope");
  t.equal(unknown.code, 1);
  // With -o json, the error is a JSON document on stdout.
  t.equal(unknown.stderr, "");
  t.same(JSON.parse(unknown.stdout), {
    formatVersion: 1,
    kind: "Error",
    diagnostics: [
      {
        file: null,
        line: 0,
        column: 0,
        path: "",
        code: "source-failed",
        severity: "error",
        message: `ref nope is neither a branch nor a tag of ${remote.url}`,
      },
    ],
  });
});

t.test("a config from git takes objects only from its own tree, the bundled NFs and --object-path, whatever its paths and links say", async (t) => {
  const { remote, cache, handOverAll, objects, objectPath } = repository(t);
  const outside = join(objects, "counter.o");
  const missing = join(objects, "nope.o");
  const nf = (object: string) => configText(hookText("eth1", "xdp", [nfText("counter", object, "xdp_counter")]));
  remote.git(["checkout", "-q", "main"]);
  remote.commit({
    "absolute/edge.yaml": nf(outside),
    "missing/edge.yaml": nf(missing),
    "dotdot/edge.yaml": nf(`${"../".repeat(20)}${outside.slice(1)}`),
    "link/edge.yaml": nf("counter.o"),
    "link/counter.o": { symlink: outside },
    "bundled/edge.yaml": nf(join(BUILD, "counter.o")),
  });
  remote.push("main");
  const sha = remote.git(["rev-parse", "--short=7", "HEAD"]);
  handOverAll();
  const plan = (path: string, extra: string[] = []) => nfctl(["plan", "--offline", "--git", remote.url, "--path", path, "--cache-dir", cache, ...extra]);
  const cases: Array<[string, string]> = [
    ["absolute", outside],
    ["missing", missing],
    ["dotdot", outside],
    ["link", `${sha}:link/counter.o`],
  ];
  for (const [path, object] of cases) {
    const r = plan(path);
    t.equal(r.code, 1, `${path}: refused`);
    // Files of the repository named as git does at a commit (no --ref: its short sha), not by their place in the cache.
    t.equal(
      r.stderr,
      `nfctl: ${sha}:${path}/edge.yaml:11:21: spec.interfaces[0].xdp.chain[0].object: object ${object} is outside this source: a shared config may name objects in its own tree, nfctl's bundled NFs (${BUILD}) or a directory given with --object-path\n`,
      `${path}: one line at the object field, the same whether or not the file exists`,
    );
  }
  t.equal(plan("bundled").code, 0, "a bundled NF is taken");
  for (const path of ["absolute", "dotdot", "link"]) t.equal(plan(path, objectPath).code, 0, `${path}: taken from a directory given with --object-path`);
  const typo = plan("bundled", ["--object-path", join(objects, "nope")]);
  t.same(
    [typo.code, typo.stderr],
    [1, `nfctl: --object-path ${join(objects, "nope")}: no such file or directory\n`],
    "an --object-path that is not there is one line, not a silent refusal of its objects",
  );
  const file = plan("bundled", ["--object-path", outside]);
  t.same([file.code, file.stderr], [1, `nfctl: --object-path ${outside}: not a directory\n`]);
  t.match(plan("missing", objectPath).stderr, new RegExp(`object file ${missing} does not exist`), "where it may look, a missing file is said to be missing");
});

t.test("errors in a config from --git name the file as REF:path, the ref the user gave, or the short sha", async (t) => {
  const { remote, cache, handOverAll, objectPath } = repository(t);
  remote.git(["checkout", "-q", "-b", "broken", "main"]);
  const broken = remote.commit({
    "hosts/edge.yaml": configText(hookText("eth1", "xdp", [nfText("counter", join(BUILD, "counter.o"), "xdp_counter", "            progam: x\n")])),
  });
  remote.push("broken");
  remote.push("broken:refs/heads/later");
  handOverAll();
  const plan = (...args: string[]) => nfctl(["plan", "--offline", "--git", remote.url, "--path", "hosts", "--cache-dir", cache, ...objectPath, ...args]);
  const line = (ref: string) => `nfctl: ${ref}:hosts/edge.yaml:13:13: spec.interfaces[0].xdp.chain[0]: unknown field "progam" (did you mean "program"?)\n`;
  const cases: Array<[string[], string]> = [
    [["--ref", "broken"], line("broken")],
    [["--ref", broken], line(broken)],
    [["--ref", "broken", "--base-ref", "main"], line("broken")],
    [["--ref", "main", "--base-ref", "broken"], line("broken")],
  ];
  for (const [args, expected] of cases) {
    const r = plan(...args);
    t.equal(r.stderr, expected, args.join(" "));
    t.equal(r.code, 1);
  }
  t.equal(plan("--ref", "refs/heads/later").stderr, line("refs/heads/later"), "a full ref name, as given");
});

t.test("a source problem is one line and exit 1, from plan and from apply, before anything else", async (t) => {
  const { remote, main, cache, handOverAll } = repository(t);
  const key = gpgKey(t, "nfctl signer <signer@nfctl.invalid>");
  const keyring = key.exportTo(join(cache, "keys.asc"), true);
  handOverAll();
  const cases: Array<[string[], string]> = [
    [
      ["--git", "ftp://example.com/nfs.git"],
      'invalid git URL "ftp://example.com/nfs.git": the ftp:// transport is not supported; use https://, ssh://, user@host:path, file:// or an absolute path',
    ],
    [
      ["--git", "file:///nonexistent/nfs.git"],
      "cannot list the HEAD of file:///nonexistent/nfs.git: '/nonexistent/nfs.git' does not appear to be a git repository",
    ],
    [["--git", remote.url, "--ref", "nope"], `ref nope is neither a branch nor a tag of ${remote.url}`],
    [["--git", remote.url, "--path", "../etc"], 'invalid path "../etc" in the repository: it contains ".."'],
    [["--git", remote.url, "--path", "elsewhere"], `path elsewhere of main@sha1:${main} of ${remote.url} holds no .yaml or .yml file`],
    [["--git", remote.url, "--verify-signatures", keyring], `commit ${main.slice(0, 7)} on main of ${remote.url} is not signed`],
  ];
  // apply reads its source as plan does: two cases show it refuses the same way, before the kernel.
  for (const [command, [args, message]] of [...cases.map((c) => ["plan", c] as const), ["apply", cases[0]!] as const, ["apply", cases.at(-1)!] as const]) {
    const r = nfctl([command, ...args, "--cache-dir", cache]);
    t.equal(r.stderr, `nfctl: ${message}\n`, `${command} ${args.join(" ")}`);
    t.equal(r.code, 1);
    t.equal(r.stdout, "");
  }
});

t.test("a --cache-dir where no clone can live is one line and exit 1 at once, not a spin", async (t) => {
  const { remote, cache, handOverAll } = repository(t);
  const file = join(cache, "file");
  copyFileSync(join(BUILD, "counter.o"), file);
  handOverAll();
  const cases: Array<[string, string]> = [
    // mkdirSync(..., { recursive: true }) spun here for ever, deaf to SIGTERM.
    [
      "/proc/nfctl-cache",
      "the git cache directory /proc/nfctl-cache: /proc is on proc, a kernel filesystem, not a disk; name a directory on a disk (--cache-dir)",
    ],
    [
      "/sys/kernel/nfctl",
      "the git cache directory /sys/kernel/nfctl: /sys/kernel is on sysfs, a kernel filesystem, not a disk; name a directory on a disk (--cache-dir)",
    ],
    ["/dev/null", "the git cache directory /dev/null: not a directory"],
    [join(file, "x"), `the git cache directory ${join(file, "x")}: not a directory`],
  ];
  for (const [dir, message] of cases) {
    const started = performance.now();
    const r = nfctl(["plan", "--offline", "--git", remote.url, "--cache-dir", dir]);
    t.equal(r.stderr, `nfctl: ${message}\n`, dir);
    t.equal(r.code, 1);
    t.ok(performance.now() - started < 10_000, `${dir}: ${Math.round(performance.now() - started)} ms`);
  }
});

t.test("without --cache-dir, a user's own cache: $NFCTL_CACHE_DIR, else $XDG_CACHE_HOME/nfctl, else ~/.cache/nfctl; else a hint", async (t) => {
  const { remote, cache, handOverAll, objectPath } = repository(t);
  // `cache` is the user's home here; nfctl runs as nobody when the tests run as root.
  handOverAll();
  const plan = (env: Record<string, string>) => nfctl(["plan", "--offline", "--git", remote.url, "--path", "hosts", ...objectPath], { env });
  const cases: Array<[Record<string, string>, string]> = [
    [{ HOME: cache }, join(cache, ".cache/nfctl")],
    [{ HOME: cache, XDG_CACHE_HOME: join(cache, "xdg") }, join(cache, "xdg/nfctl")],
    [{ HOME: cache, XDG_CACHE_HOME: "relative" }, join(cache, ".cache/nfctl")],
    [{ HOME: cache, XDG_CACHE_HOME: join(cache, "xdg"), NFCTL_CACHE_DIR: join(cache, "env") }, join(cache, "env")],
  ];
  for (const [env, dir] of cases) {
    const r = plan(env);
    t.equal(r.stderr, "", JSON.stringify(env));
    t.equal(r.code, 0);
    t.equal(readdirSync(join(dir, "git")).length, 1, `the clone is in ${dir}`);
  }
  if (process.getuid?.() === 0) {
    const refused = plan({ HOME: "/" });
    t.equal(refused.stderr, "nfctl: cannot create the git cache /.cache/nfctl: permission denied; name a directory you may write with --cache-dir\n");
    t.equal(refused.code, 1);
  }
});

t.test("-f and --git: exactly one of them, and the options of --git only with it", async (t) => {
  const cases: Array<[string[], string]> = [
    [["plan", "-f", "config/", "--git", "https://example.com/nfs.git"], "-f and --git are mutually exclusive: give one source of the config"],
    [["plan"], "plan needs -f PATH (repeatable) or --git URL"],
    [["plan", "-f", "config/", "--ref", "main"], "--ref belongs to --git URL, which is not given"],
    [["plan", "-f", "config/", "--path", "hosts", "--verify-signatures", "keys.asc"], "--path and --verify-signatures belong to --git URL, which is not given"],
    [["apply", "-f", "config/", "--git", "https://example.com/nfs.git"], "-f and --git are mutually exclusive: give one source of the config"],
    [["apply"], "apply needs -f PATH (repeatable) or --git URL, or a saved plan: nfctl apply plan.json"],
    [
      ["apply", "plan.json", "--git", "https://example.com/nfs.git"],
      "give a saved plan (plan.json) or --git, not both: a saved plan is applied as it was made",
    ],
    [["watch", "-f", "config/", "--git", "https://example.com/nfs.git"], "-f and --git are mutually exclusive: give one source of the config"],
  ];
  for (const [args, message] of cases) {
    const r = nfctl(args);
    t.equal(r.stderr, `nfctl: ${message}\n`, args.join(" "));
    t.equal(r.code, 1);
  }
});
