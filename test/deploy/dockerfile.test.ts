/**
 * deploy/Dockerfile, read as Docker reads it (no image is built here): the
 * stages, what each installs and runs, and that what the image copies from
 * the build is what `npm run build` makes.
 */
import t from "tap";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { serviceOf, unitText } from "../helpers/systemd-unit.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const text = readFileSync(`${ROOT}deploy/Dockerfile`, "utf8");

interface Instruction {
  keyword: string;
  args: string;
}
interface Stage {
  from: string;
  name?: string;
  steps: Instruction[];
}

/** Instructions with continuation lines joined; comments and blank lines dropped. */
function instructions(source: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = "";
  for (const raw of source.split("\n")) {
    const line = raw.trim();
    if (pending === "" && (line === "" || line.startsWith("#"))) continue;
    if (line.endsWith("\\")) {
      pending += `${line.slice(0, -1).trim()} `;
      continue;
    }
    const whole = pending + line;
    pending = "";
    const space = whole.indexOf(" ");
    out.push({ keyword: whole.slice(0, space).toUpperCase(), args: whole.slice(space + 1).trim() });
  }
  return out;
}

function stages(list: Instruction[]): { args: Instruction[]; stages: Stage[] } {
  const result: { args: Instruction[]; stages: Stage[] } = { args: [], stages: [] };
  for (const ins of list) {
    if (ins.keyword === "FROM") {
      const [from, as, name] = ins.args.split(/\s+/);
      result.stages.push({ from: from!, ...(as?.toUpperCase() === "AS" && name ? { name } : {}), steps: [] });
    } else if (result.stages.length === 0) result.args.push(ins);
    else result.stages.at(-1)!.steps.push(ins);
  }
  return result;
}

/** The packages of every `apt-get install` in a stage. */
function aptPackages(stage: Stage): string[] {
  return stage.steps
    .filter((s) => s.keyword === "RUN")
    .flatMap((s) => [...s.args.matchAll(/apt-get install ([^&]*)/g)].flatMap((m) => m[1]!.split(/\s+/).filter((w) => w !== "" && !w.startsWith("-"))));
}

const runs = (stage: Stage): string[] => stage.steps.filter((s) => s.keyword === "RUN").map((s) => s.args);
const copies = (stage: Stage): string[] => stage.steps.filter((s) => s.keyword === "COPY").map((s) => s.args);

const parsed = stages(instructions(text));
const [build, deps, image] = parsed.stages;

t.test("three stages from one Node 20 bookworm image", async (t) => {
  t.match(text, /^# syntax=docker\/dockerfile:1$/m);
  t.same(parsed.args, [{ keyword: "ARG", args: "NODE_IMAGE=node:20-bookworm-slim" }]);
  t.same(
    parsed.stages.map((s) => [s.from, s.name]),
    [
      ["${NODE_IMAGE}", "build"],
      ["${NODE_IMAGE}", "deps"],
      ["${NODE_IMAGE}", undefined],
    ],
  );
  t.match(text, /^#\s+docker build -f deploy\/Dockerfile -t \S+ \.$/m, "a usage comment: how to build");
  const run = /^#\s+docker run (?:.*\\\n#)*.*$/m.exec(text)?.[0] ?? "";
  t.match(run, /--network host /, "and how to run: on the host's network");
  t.notMatch(run, /--privileged/, "not privileged");
  const added = [...run.matchAll(/--cap-add (\S+)/g)].map((m) => m[1]).sort();
  t.same(
    added,
    serviceOf(unitText())
      .words("CapabilityBoundingSet")
      .map((c) => c.replace(/^CAP_/, ""))
      .sort(),
    "the systemd unit's capabilities",
  );
  for (const flag of ["--cap-drop ALL", "--security-opt no-new-privileges", "--read-only", "--tmpfs /tmp"]) t.ok(run.includes(` ${flag} `), flag);
  t.match(run, /-v \/sys\/fs\/bpf:\/sys\/fs\/bpf:rslave /, "the host's bpffs, propagated from the host");
});

t.test("build: every dependency and clang, then npm run build", async (t) => {
  t.same(aptPackages(build!).sort(), ["clang", "gcc", "libbpf-dev", "libc6-dev", "llvm", "make"]);
  const steps = build!.steps.map((s) => `${s.keyword} ${s.args}`);
  const ci = steps.indexOf("RUN npm ci --no-audit --no-fund");
  const all = steps.indexOf("COPY . .");
  t.ok(ci > 0 && steps[ci - 1] === "COPY package.json package-lock.json ./", "the lock file alone before npm ci (a cached layer)");
  t.ok(all > ci, "the tree after the dependencies");
  t.equal(steps.at(-1), "RUN npm run build", "and the build last");
});

t.test("deps: the production dependencies alone", async (t) => {
  t.same(runs(deps!), ["npm ci --omit=dev --no-audit --no-fund"]);
  t.same(aptPackages(deps!), []);
});

t.test("the image: runtime packages, no compiler, what the build made", async (t) => {
  t.same(aptPackages(image!).sort(), ["ca-certificates", "git", "gnupg", "iproute2", "libbpf1", "tini"]);
  for (const stage of parsed.stages) {
    for (const run of runs(stage).filter((r) => r.includes("apt-get install"))) {
      t.match(
        run,
        /^apt-get update && apt-get install -y --no-install-recommends .* && rm -rf \/var\/lib\/apt\/lists\/\*$/,
        "one layer, no recommends, no lists left",
      );
    }
  }
  t.same(copies(image!), [
    "--from=deps /opt/nfctl/node_modules ./node_modules",
    "--from=build /src/package.json ./",
    "--from=build /src/dist/src ./dist/src",
    "--from=build /src/bpf/build/*.o ./bpf/build/",
    "--from=build /src/schemas ./schemas",
    "--from=build /src/examples ./examples",
  ]);
  // What it copies from /src exists here once `npm run build` has run.
  for (const path of ["package.json", "dist/src/cli/main.js", "schemas/nfconfig.schema.json", "examples/counter.yaml"])
    t.ok(existsSync(`${ROOT}${path}`), path);
  t.same(
    readdirSync(`${ROOT}bpf/build`)
      .filter((f) => f.endsWith(".o"))
      .sort(),
    ["blocklist.o", "counter.o", "portfilter.o", "ratelimit.o"],
    "the bundled NFs",
  );
  t.match(
    readFileSync(`${ROOT}dist/src/cli/main.js`, "utf8"),
    /^#!\/usr\/bin\/env -S node --max-semi-space-size=1\n/,
    "main.js runs as a command, with its V8 flags (env -S: coreutils 8.30 and later, as in bookworm)",
  );
  const entry = image!.steps.find((s) => s.keyword === "ENTRYPOINT");
  const cmd = image!.steps.find((s) => s.keyword === "CMD");
  t.same(JSON.parse(entry?.args ?? "null"), ["/usr/bin/tini", "--", "nfctl"]);
  t.same(JSON.parse(cmd?.args ?? "null"), ["watch", "-f", "/etc/nfctl"]);
  t.ok(
    runs(image!).some((r) => r.includes("ln -s /opt/nfctl/dist/src/cli/main.js /usr/local/bin/nfctl")),
    "nfctl on PATH",
  );
  t.notOk(
    image!.steps.some((s) => s.keyword === "USER"),
    "root: the capabilities and the pins need it",
  );
});

t.test("the build context leaves out build output and dependencies", async (t) => {
  const ignored = readFileSync(`${ROOT}deploy/Dockerfile.dockerignore`, "utf8")
    .split("\n")
    .filter((l) => l !== "" && !l.startsWith("#"));
  t.same(ignored.sort(), [".git", ".tap", "bpf/build", "dist", "node_modules", "test/harness/build"]);
});
