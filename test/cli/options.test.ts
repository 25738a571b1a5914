/**
 * The CLI's options and promises beyond the lifecycle: --dry-run,
 * NFCTL_BPFFS, help with examples, plan without root.
 */
import t from "tap";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createLab } from "../../scripts/test-lab.js";
import { attachedXdp, requireKernel, pinTree, programsLoadedDuring } from "../helpers/kernel.js";
import { nfctl, statusJson, writeConfig, type CliResult } from "../helpers/cli.js";

requireKernel();

const NFCTL = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

t.test("apply --dry-run prints the plan and changes nothing", async (t) => {
  const lab = createLab();
  t.teardown(lab.cleanup);
  const dir = t.testdir();
  const c1 = { name: "c1", nf: "counter" } as const;
  t.equal(nfctl(lab, ["apply", "-f", writeConfig(dir, "c1.yaml", { xdp: [c1] })]).code, 0, "c1 runs");
  const pins = pinTree(lab.root);
  const { state } = statusJson(lab);
  const attached = attachedXdp(lab.nsB, "veth-b");
  t.ok(attached !== undefined && state?.serial === 1, `the kernel runs program ${attached}, at serial ${state?.serial}`);

  const file = writeConfig(dir, "c.yaml", { xdp: [{ name: "c0", nf: "counter" }, c1], tcEgress: [c1] });
  let r: CliResult | undefined;
  const loaded = programsLoadedDuring(() => (r = nfctl(lab, ["apply", "--dry-run", "-f", file])));
  t.equal(r?.code, 0);
  t.match(r?.stdout, /Plan: 2 to start, 0 to update, 0 to reorder, 0 to reconfigure, 0 to stop\./);
  t.notMatch(r?.stdout, /Apply complete/);
  t.equal(loaded, 0, `no program was loaded, not even for a moment (${loaded})`);
  t.same(pinTree(lab.root), pins, "nothing pinned or unpinned, the records included");
  t.equal(attachedXdp(lab.nsB, "veth-b"), attached, "the same program runs on veth-b's XDP hook");
  t.same(statusJson(lab).state, state, "the state's lineage and serial are unchanged");
});

t.test("NFCTL_BPFFS names the root when --bpffs is absent", async (t) => {
  const lab = createLab();
  t.teardown(lab.cleanup);
  const file = writeConfig(t.testdir(), "c.yaml", { xdp: [{ name: "c1", nf: "counter" }] });
  const r = spawnSync("nsenter", [`--net=/run/netns/${lab.nsB}`, process.execPath, NFCTL, "apply", "-f", file], {
    encoding: "utf8",
    env: { ...process.env, NFCTL_BPFFS: lab.root, NO_COLOR: "1" },
  });
  t.equal(r.status, 0, r.stderr);
  t.ok(
    pinTree(lab.root).some((p) => p.endsWith("veth-b/xdp/link")),
    "the chain is pinned under NFCTL_BPFFS",
  );
});

t.test("every command's --help shows an example", async (t) => {
  for (const command of ["plan", "apply", "status", "destroy"]) {
    const r = spawnSync(process.execPath, [NFCTL, command, "--help"], { encoding: "utf8" });
    t.equal(r.status, 0, `${command} --help exits 0`);
    t.match(r.stdout, new RegExp(`Examples?:\\n  nfctl ${command}`), `${command} --help has an example`);
  }
  const unknown = spawnSync(process.execPath, [NFCTL, "frobnicate"], { encoding: "utf8" });
  t.equal(unknown.status, 1);
  t.match(unknown.stderr, /unknown command 'frobnicate'/);
});

t.test("plan without the capabilities to read the kernel names them; --offline needs none", async (t) => {
  const file = writeConfig(t.testdir(), "c.yaml", { ifname: "eth-nowhere", xdp: [{ name: "c1", nf: "counter" }] });
  // As a user runs it: `env -i` drops the hooks the test runner adds to every
  // child's environment (they write where nobody may not).
  const user = ["--reuid=65534", "--regid=65534", "--clear-groups", "env", "-i", `PATH=${process.env.PATH ?? ""}`, "NO_COLOR=1"];
  const r = spawnSync("setpriv", [...user, process.execPath, NFCTL, "plan", "-f", file, "--detailed-exitcode"], { encoding: "utf8" });
  t.equal(r.status, 1);
  t.equal(
    r.stderr,
    "nfctl: plan needs CAP_BPF, CAP_NET_ADMIN and CAP_SYS_ADMIN to read the kernel (missing: CAP_BPF, CAP_NET_ADMIN, CAP_SYS_ADMIN); run it as root, or with --offline to plan without a kernel\n",
    "one line, no stack trace",
  );
  const offline = spawnSync("setpriv", [...user, process.execPath, NFCTL, "plan", "-f", file, "--offline", "--detailed-exitcode"], { encoding: "utf8" });
  t.equal(offline.status, 2, offline.stderr);
  t.match(offline.stdout, /\+ start +c1/);
});

t.test("a --lock-timeout that is not a duration is refused before anything runs", async (t) => {
  const r = spawnSync(process.execPath, [NFCTL, "apply", "-f", "x.yaml", "--lock-timeout", "soon"], { encoding: "utf8" });
  t.equal(r.status, 1);
  t.match(r.stderr, /^nfctl: option '--lock-timeout <duration>' argument 'soon' is invalid\. "soon" is not a duration/);
});
