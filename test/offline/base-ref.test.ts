/**
 * `nfctl plan --base-ref REF -f PATH` in a local git work tree, as in the
 * checkout of a pull request: offline and unprivileged, the plan against
 * hosts that run the config at REF. The objects are built, not committed
 * (the work tree's are used), except one, which the base reads at REF.
 * The export of REF is removed after every run, failed or not.
 */
import t from "tap";
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { BUILD, configText, hookText, nfText } from "../config/helpers/configs.js";
import { git, makeRemote } from "../sources/helpers/git-fixtures.js";
import { tempDir, type Teardown } from "../sources/helpers/temp.js";
import { actionsOf, handOver, nfctl, planOf } from "./helpers/unprivileged.js";

const sha256 = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

/** The pull request's config: a blocklist and a counter on eth1's XDP (built objects), a counter on TC egress (a committed object). */
function edge(blocked: string[], order: "blocklist first" | "counter first" = "blocklist first", xdpProgram = "xdp_counter"): string {
  const maps = `            maps:\n              blocklist_v4:\n${blocked.map((a) => `                ${a}/32: 1\n`).join("")}`;
  const blocklist = nfText("blocklist", "../build/blocklist.o", "xdp_blocklist", maps);
  const counter = nfText("counter", "../build/counter.o", xdpProgram);
  const xdp = hookText("eth1", "xdp", order === "blocklist first" ? [blocklist, counter] : [counter, blocklist]);
  return configText(`${xdp}      tcEgress:\n        chain:\n${nfText("counter", "../objects/counter.o", "tc_counter")}`, "edge");
}

/**
 * A work tree with four tagged commits: broken (a program no object has),
 * one, two (a map entry added), three (the XDP chain reordered, the
 * committed object replaced, a file added in more/). Its HEAD is `head`.
 */
function workTree(t: Teardown) {
  const remote = makeRemote(t);
  const work = remote.work;
  mkdirSync(join(work, "build"));
  mkdirSync(join(work, "objects"));
  for (const name of ["counter", "blocklist"]) copyFileSync(join(BUILD, `${name}.o`), join(work, "build", `${name}.o`));
  const commit = (tag: string, files: Record<string, string>) => {
    remote.commit(files);
    remote.git(["tag", tag]);
  };
  copyFileSync(join(BUILD, "counter.o"), join(work, "objects/counter.o"));
  commit("broken", { ".gitignore": "/build/\n", "config/edge.yaml": edge(["198.18.0.3"], "blocklist first", "xdp_nothing") });
  commit("one", { "config/edge.yaml": edge(["198.18.0.3"]) });
  commit("two", { "config/edge.yaml": edge(["198.18.0.3", "198.18.0.5"]) });
  copyFileSync(join(BUILD, "test/counter_v2.o"), join(work, "objects/counter.o"));
  commit("three", {
    "config/edge.yaml": edge(["198.18.0.3", "198.18.0.5"], "counter first"),
    "more/eth2.yaml": configText(hookText("eth2", "tcIngress", [nfText("counter", "../build/counter.o", "tc_counter")]), "more"),
  });
  const tmp = join(dirname(work), "tmp");
  mkdirSync(tmp);
  handOver(dirname(work));
  /** Checks out `tag` as the work tree's HEAD (as root, in a tree that is nobody's). */
  const checkout = (tag: string) => git(work, ["-c", "advice.detachedHead=false", "checkout", "-q", tag], SAFE);
  /** nfctl in the work tree, its temporary files in `tmp`. */
  const plan = (args: string[]) => nfctl(["plan", ...args], { cwd: work, env: { TMPDIR: tmp } });
  /** The sha a tag names. */
  const sha = (tag: string) => git(work, ["rev-parse", `${tag}^{commit}`], SAFE).trim();
  return { work, tmp, checkout, plan, sha };
}

/** Lets root's git work in the tree it gave to nobody (safe.directory counts from the command line's config). */
const SAFE = { GIT_CONFIG_COUNT: "1", GIT_CONFIG_KEY_0: "safe.directory", GIT_CONFIG_VALUE_0: "*" };

t.test("against the config HEAD has: no changes, exit 0, in every rendering", async (t) => {
  const { tmp, plan } = workTree(t);
  for (const ref of ["main", "three"]) {
    const r = plan(["-f", "config", "--base-ref", ref, "--detailed-exitcode"]);
    t.equal(r.stderr, "", `--base-ref ${ref}`);
    t.equal(r.code, 0);
    t.match(r.stdout, new RegExp(`^No changes\\. The configuration matches hosts assumed to run the config at ${ref} \\(sha1:[0-9a-f]{40}\\)\\.\\n$`));
  }
  const markdown = plan(["-f", "config", "--offline", "--base-ref", "main", "-o", "markdown"]);
  t.match(markdown.stdout, /^### No changes\.\n\nThe configuration matches hosts assumed to run the config at main \(sha1:[0-9a-f]{40}\)\.\n$/);
  t.notMatch(markdown.stdout, /kernel/);
  const json = plan(["-f", "config/edge.yaml", "--base-ref", "main", "-o", "json"]);
  t.same(actionsOf(planOf(json.stdout)), [
    ["eth1/xdp", "none", []],
    ["eth1/tc-egress", "none", []],
  ]);
  t.same(readdirSync(tmp), [], "the export of the base is gone");
});

t.test("a commit that added a map entry: that entry, written in place", async (t) => {
  const { tmp, checkout, plan, sha } = workTree(t);
  checkout("two");
  const r = plan(["-f", "config", "--base-ref", "one", "--detailed-exitcode"]);
  t.equal(r.stderr, "");
  t.equal(r.code, 2, "--detailed-exitcode: changes");
  t.equal(
    r.stdout,
    [
      `Planned offline, against hosts assumed to run the config at one (sha1:${sha("one")}).`,
      "nfctl will make these changes:",
      "",
      "# eth1 xdp (mode auto): maps of generation 1 are written in place",
      "  ~ reconfigure blocklist        map contents differ from the config",
      "      --- blocklist_v4 (base)",
      "      +++ blocklist_v4 (config)",
      "      @@ -1,1 +1,2 @@",
      "       198.18.0.3/32: 1",
      "      +198.18.0.5/32: 1",
      "",
      "Plan: 0 to start, 0 to update, 0 to reorder, 1 to reconfigure, 0 to stop.",
      "",
    ].join("\n"),
  );
  const json = plan(["-f", "config", "--base-ref", "one", "-o", "json"]);
  t.equal(json.code, 0);
  const planned = planOf(json.stdout);
  t.same(actionsOf(planned), [
    ["eth1/xdp", "in-place", ["reconfigure blocklist"]],
    ["eth1/tc-egress", "none", []],
  ]);
  t.same(planned.hooks[0]!.actions[0]!.maps, [{ map: "blocklist_v4", before: ["198.18.0.3/32: 1"], after: ["198.18.0.3/32: 1", "198.18.0.5/32: 1"] }]);
  const markdown = plan(["-f", "config", "--base-ref", "one", "-o", "markdown", "--hostname", "edge-1"]);
  t.match(markdown.stdout, /^### Plan for `edge-1`: 0 to start, 0 to update, 0 to reorder, 1 to reconfigure, 0 to stop\n/);
  t.same(readdirSync(tmp), []);
});

t.test("a relative ref (HEAD~1, a tag's parent): resolved to its commit, the diff between it and the work tree", async (t) => {
  const { work, checkout, plan } = workTree(t);
  checkout("two");
  for (const ref of ["HEAD~1", "HEAD^", "two~1", "three^^"]) {
    const r = plan(["-f", "config", "--base-ref", ref, "-o", "json", "--detailed-exitcode"]);
    t.equal(r.stderr, "", ref);
    t.equal(r.code, 2, `${ref}: changes`);
    t.same(
      planOf(r.stdout).hooks[0]!.actions[0]!.maps,
      [{ map: "blocklist_v4", before: ["198.18.0.3/32: 1"], after: ["198.18.0.3/32: 1", "198.18.0.5/32: 1"] }],
      `${ref} is one`,
    );
  }
  const back = plan(["-f", "config", "--base-ref", "HEAD~2", "--detailed-exitcode"]);
  t.match(back.stderr, /^nfctl: HEAD~2:config\/edge\.yaml:18:22: /, "its errors name the file at the ref as given");
  t.equal(back.code, 1);
  const none = plan(["-f", "config", "--base-ref", "HEAD~9"]);
  t.equal(
    none.stderr,
    `nfctl: ref HEAD~9 names no commit of the git work tree ${work}; a branch of the remote must be fetched first (a CI checkout is often shallow)\n`,
  );
  t.equal(none.code, 1);
});

t.test("a commit that reordered the chain and replaced a committed object: a reorder, and an update of that object", async (t) => {
  const { work, plan } = workTree(t);
  const r = plan(["-f", "config", "--base-ref", "two", "-o", "json", "--detailed-exitcode"]);
  t.equal(r.code, 2, r.stderr);
  const planned = planOf(r.stdout);
  t.same(actionsOf(planned), [
    ["eth1/xdp", "update", ["reorder"]],
    ["eth1/tc-egress", "update", ["update counter"]],
  ]);
  t.same(planned.hooks[0]!.before, ["blocklist", "counter"]);
  t.same(planned.hooks[0]!.after, ["counter", "blocklist"]);
  const object = join(work, "objects/counter.o");
  t.same(
    planned.hooks[1]!.actions[0]!.changes,
    [{ field: "digest", from: sha256(join(BUILD, "counter.o")), to: sha256(join(BUILD, "test/counter_v2.o")), objectFrom: object, objectTo: object }],
    "the object as committed at two, named by its place in the work tree",
  );
  const text = plan(["-f", "config", "--base-ref", "two"]);
  t.match(text.stdout, /^ {2}~ update +counter +the NF changed\n {6}object sha256 [0-9a-f]+… -> [0-9a-f]+…$/m);
  t.notMatch(text.stdout, /nfctl-base-/, "no path of the export");

  const added = plan(["-f", "config", "-f", "more", "--base-ref", "two", "-o", "json"]);
  t.equal(added.code, 0, added.stderr);
  t.same(actionsOf(planOf(added.stdout)).at(-1), ["eth2/tc-ingress", "create", ["start counter"]], "a path added since two configured nothing there");
});

t.test("a bad ref, a bad config at the ref, and paths git cannot compare are one line, exit 1", async (t) => {
  const { work, tmp, plan } = workTree(t);
  const outside = tempDir(t, "nfctl-test-outside-");
  handOver(outside);
  const cases: Array<[string[], string]> = [
    [
      ["--base-ref", "nosuch"],
      `ref nosuch names no commit of the git work tree ${work}; a branch of the remote must be fetched first (a CI checkout is often shallow)`,
    ],
    [["--base-ref", "a..b"], 'invalid git ref "a..b": it contains ".."'],
    [
      ["--base-ref", "broken"],
      `broken:config/edge.yaml:18:22: spec.interfaces[0].xdp.chain[1].program: ${work}/build/counter.o has no program "xdp_nothing" (it has: xdp_counter, tc_counter)`,
    ],
    [
      ["--base-ref", "one", "--observed", "edge.json"],
      "--base-ref and --observed are mutually exclusive: plan against a revision's config or against a host's status",
    ],
    [
      ["--base-ref", "one", "--out", "plan.json"],
      "--out saves a plan for the host it was made against, and --base-ref plans against an assumed host; save a plan made on the host, or with --observed",
    ],
  ];
  for (const [args, message] of cases) {
    const r = plan(["-f", "config", ...args]);
    t.equal(r.stderr, `nfctl: ${message}\n`, args.join(" "));
    t.equal(r.code, 1);
    t.equal(r.stdout, "");
  }
  const stdin = nfctl(["plan", "-f", "-", "--base-ref", "one"], { cwd: work });
  t.equal(stdin.stderr, "nfctl: standard input (-f -) has no git revision; name config files in a git work tree\n");
  const elsewhere = plan(["-f", outside, "--base-ref", "one"]);
  t.equal(
    elsewhere.stderr,
    `nfctl: cannot find the git work tree of ${outside} (--base-ref compares it with a revision): not a git repository (or any of the parent directories): .git\n`,
  );
  t.same(readdirSync(tmp), [], "no export left behind by a failed run");
});
