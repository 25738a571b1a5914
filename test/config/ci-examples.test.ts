/**
 * The CI examples (examples/ci/) are what they say: a GitHub Actions
 * workflow and a GitLab CI job that run on pull (merge) requests, plan
 * offline per host with markdown output against a committed snapshot, and
 * post the markdown as a comment. Parsed as YAML, checked field by field.
 */
import t from "tap";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { EXAMPLES } from "./helpers/configs.js";
import type { TapTest } from "../helpers/kernel.js";

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
}

function read(file: string): { text: string; value: Record<string, unknown> } {
  const text = readFileSync(join(EXAMPLES, "ci", file), "utf8");
  return { text, value: parse(text) as Record<string, unknown> };
}

const NFCTL = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

/** Whether bash can parse the script. */
function bashParses(script: string): string {
  const r = spawnSync("bash", ["-n"], { input: script, encoding: "utf8" });
  return r.status === 0 ? "ok" : r.stderr;
}

/** The nfctl command line of a script: offline, markdown, against a host's snapshot, for one named host with its labels. */
function checkPlanCommand(t: TapTest, script: string): void {
  const line = script.split("\n").find((l) => l.trim().startsWith("nfctl plan"));
  t.ok(line, "the script runs nfctl plan");
  for (const option of [
    "--offline",
    "-o markdown",
    '--observed "hosts/$HOST.json"',
    '--hostname "$HOST"',
    '"${args[@]}"',
    "--detailed-exitcode",
    "-f config/",
  ]) {
    t.match(line ?? "", option, `with ${option}`);
  }
  t.match(script, /for label in \$LABELS; do args\+=\(--host-label "\$label"\); done/, "the host's labels become --host-label options");
}

/** nfctl is installed from its release tarball (npm pack), not by a name the npm registry does not have. */
function checkInstall(t: TapTest, text: string, script: string): void {
  t.notMatch(text, /npm (install|i) (--global|-g) nfctl\b/, "not from the npm registry, where nfctl is not published");
  t.match(script, /npm install --global "\$NFCTL_TARBALL"\n/, "the release tarball");
  t.match(script, /apt-get install -y -qq libbpf1\b/, "with Debian's libbpf1");
  t.match(script, /\nnfctl version$/m, "and says which nfctl and libbpf ran the plan");
}

t.test("the GitHub Actions workflow", async (t) => {
  const { text, value } = read("github-actions.yml");
  t.match(text, /^# nfctl plan on every pull request[^]*\n# How to use it: copy this file to \.github\/workflows\//, "a comment says how to use it");
  t.ok((value.on as Record<string, unknown>).pull_request, "triggered by pull requests");
  t.same(value.permissions, { contents: "read", "pull-requests": "write" }, "may comment, and no more");
  const job = (
    value.jobs as Record<string, { strategy: { matrix: { include: Array<{ host: string; labels: string }> } }; env: Record<string, string>; steps: Step[] }>
  ).plan;
  t.ok(job, "a plan job");
  const groups = job!.strategy.matrix.include;
  t.ok(groups.length >= 2, "one entry per host group");
  for (const group of groups) t.match(group, { host: /^[a-z0-9-]+$/, labels: /^(\S+=\S*)( \S+=\S*)*$/ });
  t.same(job!.env, { HOST: "${{ matrix.host }}", LABELS: "${{ matrix.labels }}" }, "the matrix reaches the scripts as environment, not spliced into them");
  const steps = job!.steps;
  const install = steps.find((s) => s.name === "Install nfctl");
  checkInstall(t, text, install?.run ?? "");
  t.match((install as { env?: Record<string, string> } | undefined)?.env, { NFCTL_TARBALL: /^https:\/\/.+\/nfctl-\d+\.\d+\.\d+\.tgz$/ }, "a pinned tarball");
  const plan = steps.find((s) => s.run?.includes("nfctl plan"));
  checkPlanCommand(t, plan?.run ?? "");
  t.equal((plan as { id?: string } | undefined)?.id, "plan");
  const comment = steps.find((s) => s.uses?.startsWith("actions/github-script@"));
  t.ok(comment, "posts with actions/github-script");
  const script = String(comment?.with?.script);
  t.match(script, /readFileSync\("plan\.md"/, "the markdown the plan wrote");
  t.match(script, /github\.rest\.issues\.createComment/);
  t.match(script, /github\.rest\.issues\.updateComment/, "and updates its own comment on the next push");
  t.ok(steps.indexOf(comment!) > steps.indexOf(plan!), "after the plan");
  t.match(steps[steps.length - 1], { if: "steps.plan.outputs.exitcode == '1'", run: "exit 1" }, "a plan error fails the job, after the comment");
  t.equal(bashParses(plan?.run ?? ""), "ok", "the plan step is valid bash");
});

t.test("the workflow's plan step, run as it is, writes one host's plan as markdown", async (t) => {
  const { value } = read("github-actions.yml");
  const steps = (value.jobs as Record<string, { steps: Step[] }>).plan!.steps;
  const script = steps.find((s) => s.run?.includes("nfctl plan"))!.run!;
  // A repository as the workflow expects it: config/, hosts/<name>.json, and nfctl on the PATH.
  const dir = t.testdir();
  mkdirSync(join(dir, "config"));
  mkdirSync(join(dir, "hosts"));
  mkdirSync(join(dir, "bin"));
  for (const file of readdirSync(join(EXAMPLES, "fleet"))) {
    writeFileSync(join(dir, "config", file), readFileSync(join(EXAMPLES, "fleet", file), "utf8"));
  }
  const status = {
    formatVersion: 1,
    netns: 4026532000,
    root: "/sys/fs/bpf/nfctl",
    hooks: [],
    interfaces: ["eth1", "eth2"].map((name, i) => ({ name, ifindex: i + 2, foreign: {} })),
  };
  writeFileSync(join(dir, "hosts", "edge-1.json"), JSON.stringify({ formatVersion: 1, kind: "Status", status }));
  writeFileSync(join(dir, "bin", "nfctl"), `#!/bin/sh\nexec "${process.execPath}" "${NFCTL}" "$@"\n`);
  chmodSync(join(dir, "bin", "nfctl"), 0o755);
  const run = (host: string, labels: string) =>
    spawnSync("bash", ["-e", "-c", script], {
      cwd: dir,
      encoding: "utf8",
      env: { PATH: `${join(dir, "bin")}:${process.env.PATH ?? ""}`, HOST: host, LABELS: labels, GITHUB_OUTPUT: join(dir, "output"), NO_COLOR: "1" },
    });
  const r = run("edge-1", "role=edge zone=eu-1");
  t.equal(r.status, 0, r.stderr);
  t.equal(readFileSync(join(dir, "output"), "utf8"), "exitcode=2\n", "--detailed-exitcode: changes");
  const markdown = readFileSync(join(dir, "plan.md"), "utf8");
  t.match(markdown, /^### Plan for `edge-1`: 4 to start, 0 to update, 0 to reorder, 0 to reconfigure, 0 to stop\n/);
  t.match(markdown, "#### `eth2 xdp` (mode auto): a new generation is attached", "the edge host in eu-1 gets the port filter");
  const missing = run("edge-2", "role=edge");
  t.equal(missing.status, 0, "the step itself succeeds: the error goes into the comment, a later step fails the job");
  t.match(readFileSync(join(dir, "output"), "utf8"), /exitcode=1\n$/);
  t.match(
    readFileSync(join(dir, "plan.md"), "utf8"),
    /^### nfctl plan for `edge-2` failed\n\n```\nnfctl: cannot read the observed status hosts\/edge-2\.json: no such file or directory\n```\n$/,
  );
});

t.test("the GitLab CI job", async (t) => {
  const { text, value } = read("gitlab-ci.yml");
  t.match(text, /^# nfctl plan on every merge request[^]*\n# How to use it: include this file from your \.gitlab-ci\.yml/, "a comment says how to use it");
  const job = value["nfctl-plan"] as {
    rules: Array<{ if: string }>;
    parallel: { matrix: Array<{ HOST: string; LABELS: string }> };
    script: string[];
    variables: Record<string, string>;
    before_script: string[];
  };
  t.ok(job, "an nfctl-plan job");
  checkInstall(t, text, `${job.before_script.join("\n")}\n`);
  t.match(job.variables, { NFCTL_TARBALL: /^https:\/\/.+\/nfctl-\d+\.\d+\.\d+\.tgz$/ }, "a pinned tarball");
  t.ok(
    job.rules.some((r) => r.if.includes('$CI_PIPELINE_SOURCE == "merge_request_event"')),
    "runs in merge request pipelines",
  );
  t.ok(job.parallel.matrix.length >= 2, "one entry per host group");
  for (const group of job.parallel.matrix) t.match(group, { HOST: /^[a-z0-9-]+$/, LABELS: /^(\S+=\S*)( \S+=\S*)*$/ });
  const script = job.script.join("\n");
  checkPlanCommand(t, script);
  t.match(script, '"$CI_API_V4_URL/projects/$CI_PROJECT_ID/merge_requests/$CI_MERGE_REQUEST_IID/notes"', "posts to the merge request's notes");
  t.match(script, /--request POST [^\n]*\n?[^\n]*"\$notes"/, "a new note");
  t.match(script, /--request PUT [^\n]*\n?[^\n]*"\$notes\/\$earlier"/, "or its own note, updated");
  t.match(script, '--header "PRIVATE-TOKEN: $NFCTL_PLAN_TOKEN"', "with a token that may write notes");
  t.match(script, /test "\$code" -ne 1\s*$/, "a plan error fails the job, after the note");
  t.equal(bashParses(script), "ok", "the script is valid bash");
});
