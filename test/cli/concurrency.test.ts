/**
 * Two nfctl processes never interleave: the second waits for the lock up to
 * --lock-timeout, then fails naming the holder's pid.
 */
import t from "tap";
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createLab, ADDR, type Lab } from "../helpers/lab.js";
import { requireKernel } from "../helpers/kernel.js";
import { nfctl, writeConfig } from "../helpers/cli.js";

requireKernel();

const NFCTL = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

interface Started {
  child: ChildProcess;
  stderr: () => string;
  stdout: () => string;
  exited: Promise<number>;
}

function start(lab: Lab, args: string[], env: NodeJS.ProcessEnv = {}): Started {
  const child = spawn("nsenter", [`--net=/run/netns/${lab.nsB}`, process.execPath, NFCTL, "--bpffs", lab.root, ...args], {
    env: { ...process.env, NO_COLOR: "1", ...env },
  });
  let out = "";
  let err = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (out += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (err += d));
  return { child, stdout: () => out, stderr: () => err, exited: new Promise((resolve) => child.on("exit", (code) => resolve(code ?? -1))) };
}

async function until(probe: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !probe(); i++) await new Promise((r) => setTimeout(r, 20));
  if (!probe()) throw new Error("timed out waiting");
}

t.test("a second apply waits for the first, or gives up naming its pid", async (t) => {
  const lab = createLab();
  t.teardown(lab.cleanup);
  const dir = t.testdir();
  const first = writeConfig(dir, "first.yaml", { xdp: [{ name: "c1", nf: "counter" }] });
  const second = writeConfig(dir, "second.yaml", { xdp: [{ name: "bl", nf: "blocklist", maps: `blocklist_v4:\n  ${ADDR.blocked}/32: 1` }, { name: "c1", nf: "counter" }] });

  const holder = start(lab, ["apply", "-f", first], { NFCTL_TEST_PAUSE_AT: "1" });
  t.teardown(() => {
    if (holder.child.exitCode === null) holder.child.kill("SIGKILL");
  });
  await until(() => holder.stderr().includes("paused after step 1"));
  // nsenter enters a network namespace without forking: it execs node, so the pid is nfctl's.
  const holderPid = holder.child.pid!;

  const started = Date.now();
  const impatient = nfctl(lab, ["apply", "-f", second, "--lock-timeout", "400"]);
  t.equal(impatient.code, 1);
  t.equal(impatient.stderr, `nfctl: another nfctl (pid ${holderPid}) holds the lock on ${lab.root}; gave up after 400 ms (--lock-timeout)\n`);
  t.ok(Date.now() - started >= 400, "it waited the timeout");

  const patient = start(lab, ["apply", "-f", second, "--lock-timeout", "20000"]);
  await new Promise((r) => setTimeout(r, 300));
  t.equal(patient.child.exitCode, null, "a patient second apply is still waiting");
  holder.child.kill("SIGCONT");
  t.equal(await holder.exited, 0, "the first apply completes");
  t.equal(await patient.exited, 0, "then the second runs");
  t.match(patient.stdout(), /\+ start +bl/, "and plans against the first one's result: only the blocklist is new");
  t.notMatch(patient.stdout(), /\+ start +c1/);
});
