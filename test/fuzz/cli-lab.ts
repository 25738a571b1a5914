/**
 * The setting of the CLI fuzz stage: a lab (createLab) with a good config
 * applied, the kernel's state noted, and nfctl (test/helpers/cli.ts) run
 * two at a time in worker threads, plan and apply of the same input side
 * by side. Every refused run is checked against the promise of README
 * "Errors": exit 1, nothing on stdout, only "nfctl: " lines on stderr, no
 * stack trace, the kernel unchanged.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { linkInfo, listIds, mapInfo, openPinned, programInfo, withHandle } from "../../src/native/index.js";
import { createLab, ipIn, ADDR, type Lab } from "../../scripts/test-lab.js";
import { requireKernel, eventually, newPrograms, pinTree, type TapTest } from "../helpers/kernel.js";
import { pinKind } from "../helpers/residue.js";
import { nfctl, writeConfig, type CliResult } from "../helpers/cli.js";
import type { CliReply, CliRequest } from "./cli-worker.js";
import { createWorkspace, stderrViolations, type Workspace } from "./workspace.js";

export interface CliLab {
  lab: Lab;
  ws: Workspace;
  /** The good config applied at the start. */
  good: string;
  /** One nfctl run on worker 0 or 1. */
  run(worker: 0 | 1, args: string[], stdin?: string): Promise<CliResult>;
  /** `nfctl plan` and `nfctl apply` with `-f` of each input, side by side. */
  planAndApply(inputs: string[], stdin?: string): Promise<Array<{ command: string; r: CliResult }>>;
  /** How the kernel differs from when the good config was applied; [] when not at all. */
  kernelChanges(): Promise<string[]>;
  /** Checks plan and apply of `inputs` refuse cleanly (and, given `first`, with that first line) and leave the kernel as it was. */
  refuses(t: TapTest, name: string, inputs: string[], names: string[], input: string, first?: RegExp, stdin?: string): Promise<void>;
  /** How many times kernelChanges() compared the kernel with the baseline. */
  comparisons(): number;
}

/** What kernelChanges() reads of `tc -j qdisc show` (all strings, each may be missing). */
interface Qdisc {
  dev?: string;
  kind?: string;
  handle?: string;
  parent?: string;
}

/** Sets the lab up and registers its removal with `t` (and at exit, should tap end the test early). */
export function setUpCliLab(t: TapTest | typeof import("tap").default): CliLab {
  requireKernel();

  const before = listIds("prog");
  const lab = createLab();
  t.teardown(() => lab.cleanup());
  const ws = createWorkspace();
  t.teardown(ws.remove);
  // tap's timeout ends the process with SIGALRM, and teardowns do not run then.
  const removeAll = () => {
    lab.cleanup();
    ws.remove();
  };
  process.once("exit", removeAll);
  process.once("SIGALRM", removeAll);

  const good = writeConfig(ws.root, "good.yaml", {
    xdp: [
      { name: "c1", nf: "counter" },
      { name: "bl", nf: "blocklist", maps: `blocklist_v4:\n  ${ADDR.blocked}/32: 1` },
    ],
    tcEgress: [{ name: "c1", nf: "counter" }],
  });
  const applied = nfctl(lab, ["apply", "-f", good]);
  if (applied.code !== 0) throw new Error(`setup apply failed: ${applied.stderr}`);

  /**
   * What a refused run must not change in the lab: each pin under its root
   * and the object it holds (a program, a link and its program, a map), and
   * what is attached to the namespace's interfaces outside bpffs (XDP by
   * netlink, qdiscs). Whatever an exited nfctl left alive would be held by
   * one of these.
   */
  const labState = (): string => {
    const objects = pinTree(lab.root)
      .filter((p) => !p.endsWith("/"))
      .map((p) => {
        const pin = join(lab.root, p);
        const kind = pinKind(lab.root, pin);
        if (kind === "prog") return `${p}=prog ${withHandle(openPinned("prog", pin), programInfo).id}`;
        if (kind === "link") return withHandle(openPinned("link", pin), (link) => `${p}=link ${linkInfo(link).id} prog ${linkInfo(link).progId}`);
        return `${p}=map ${withHandle(openPinned("map", pin), mapInfo).id}`;
      });
    // Only what is attached: carrier and operational state change on their own.
    const links = (JSON.parse(ipIn(lab.nsB, "-j", "-d", "link", "show")) as Array<{ ifname: string; xdp?: unknown }>).map((l) => ({
      ifname: l.ifname,
      xdp: l.xdp ?? null,
    }));
    const qdiscJson = execFileSync("nsenter", [`--net=/run/netns/${lab.nsB}`, "tc", "-j", "qdisc", "show"], { encoding: "utf8" }) || "[]";
    const qdiscs = (JSON.parse(qdiscJson) as Qdisc[]).map((q) => `${String(q.dev)} ${String(q.kind)} ${String(q.handle)} ${String(q.parent ?? "root")}`);
    return JSON.stringify({ pins: pinTree(lab.root), objects, links, qdiscs });
  };

  /**
   * And, as test/cli/bad-input.test.ts notes them, the programs loaded on
   * the machine since the test began: no new one may stay. That list is the
   * whole machine's: the suite runs one test file at a time, so that no
   * other test's programs come and go in it. Another lab's namespaces are
   * named in the failure, should one be running all the same.
   */
  const labPrefix = lab.nsA.replace(/-a$/, "");
  const otherLabs = () =>
    execFileSync("ip", ["netns", "list"], { encoding: "utf8" })
      .split("\n")
      .filter((l) => /^nft/.test(l) && !l.startsWith(labPrefix));
  const baselinePrograms = new Set(newPrograms(before));
  const addedPrograms = () => newPrograms(before).filter((id) => !baselinePrograms.has(id));
  const baseline = labState();
  let comparisons = 0;

  const kernelChanges = async (): Promise<string[]> => {
    const same = () => labState() === baseline && addedPrograms().length === 0;
    // Programs an exited nfctl held are freed a moment later (RCU).
    if (!same()) await eventually(same, 3000);
    comparisons += 1;
    const out: string[] = [];
    const now = labState();
    if (now !== baseline) out.push(`the lab changed: ${now} (before: ${baseline})`);
    const added = addedPrograms();
    if (added.length > 0) {
      const others = otherLabs();
      out.push(
        `programs loaded since the good config was applied are still there: ${added.join(", ")}` +
          (others.length > 0
            ? ` (other labs' namespaces exist: ${others.join(", ")}; the machine's program list is compared only when this test runs alone)`
            : ""),
      );
    }
    return out;
  };

  // execArgv: [] keeps tap's hooks out of the workers, so that the nfctl they
  // start runs as a user's would (see cli-worker.ts).
  const workers = [0, 1].map(
    () => new Worker(new URL("./cli-worker.js", import.meta.url), { workerData: { nsA: lab.nsA, nsB: lab.nsB, root: lab.root }, execArgv: [] }),
  );
  t.teardown(() => Promise.all(workers.map((w) => w.terminate())));
  let nextId = 0;
  const pending = new Map<number, (r: CliResult) => void>();
  for (const w of workers) w.on("message", (reply: CliReply) => pending.get(reply.id)?.(reply.result));

  const run = (worker: 0 | 1, args: string[], stdin?: string): Promise<CliResult> => {
    const id = nextId++;
    return new Promise((resolve) => {
      pending.set(id, (r) => {
        pending.delete(id);
        resolve(r);
      });
      workers[worker]!.postMessage({ id, args, ...(stdin !== undefined && { stdin }) } satisfies CliRequest);
    });
  };

  const planAndApply = async (inputs: string[], stdin?: string) => {
    const fileArgs = inputs.flatMap((a) => ["-f", a]);
    const [plan, apply] = await Promise.all([run(0, ["plan", ...fileArgs], stdin), run(1, ["apply", ...fileArgs], stdin)]);
    return [
      { command: "plan", r: plan },
      { command: "apply", r: apply },
    ];
  };

  const refuses = async (t: TapTest, name: string, inputs: string[], names: string[], input: string, first?: RegExp, stdin?: string) => {
    for (const { command, r } of await planAndApply(inputs, stdin)) {
      t.same(stderrViolations(r, input, names), [], `${name}: ${command} refuses cleanly`);
      if (first) t.match(r.stderr.split("\n")[0], first, `${name}: ${command}'s first line`);
    }
    t.same(await kernelChanges(), [], `${name}: the kernel is unchanged`);
  };

  return { lab, ws, good, run, planAndApply, kernelChanges, refuses, comparisons: () => comparisons };
}

/** The check that the lab really holds the good config: call first. */
export function labChecks(t: typeof import("tap").default, cli: CliLab): void {
  t.test("the lab holds the good config", async (t) => {
    const pins = pinTree(cli.lab.root);
    t.ok(pins.some((p) => p.endsWith("/xdp/link")) && pins.some((p) => p.endsWith("/tc-egress/link")), "its links are pinned");
  });
}

/** The check that the kernel was compared at all, and how: call last (it runs after every test before it). */
export function comparisonNote(t: typeof import("tap").default, cli: CliLab): void {
  t.test("the kernel was compared after the runs", async (t) => {
    t.ok(cli.comparisons() > 0, `pins, pinned objects, attachments and the machine's program list, ${cli.comparisons()} times`);
  });
}
