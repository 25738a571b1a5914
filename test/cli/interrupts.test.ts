/**
 * Ctrl-C (SIGINT), SIGTERM and SIGHUP never leave an apply half done: a
 * signal during the apply waits for it to end, and one before it (while
 * waiting for the lock) ends nfctl at once, having changed nothing. Either
 * way the exit code is 128 + the signal's number.
 */
import t from "tap";
import { createLab, ADDR } from "../../scripts/test-lab.js";
import { requireKernel } from "../helpers/kernel.js";
import { nfctl, startNfctl, untilOpened, untilPaused, writeConfig, type NfSpec } from "../helpers/cli.js";

requireKernel();

const bl: NfSpec = { name: "bl", nf: "blocklist", maps: `blocklist_v4:\n  ${ADDR.blocked}/32: 1` };
const c1: NfSpec = { name: "c1", nf: "counter" };

t.test("a signal during an apply waits for the apply to end", async (t) => {
  for (const [signal, code] of [
    ["SIGTERM", 143],
    ["SIGINT", 130],
  ] as const) {
    const lab = createLab();
    t.teardown(lab.cleanup);
    const dir = t.testdir();
    const file = writeConfig(dir, "both.yaml", { xdp: [bl, c1], tcEgress: [c1] });
    // Stopped after the XDP hook switched, before the TC hook did.
    const run = startNfctl(t, lab, ["apply", "-f", file], { NFCTL_TEST_PAUSE_AT: "veth-b xdp: committed" });
    await untilPaused(run);
    run.child.kill(signal);
    run.child.kill("SIGCONT");
    t.equal(await run.exited, code, `${signal}: exit ${code}`);
    t.match(run.stdout(), /Apply complete: 2 hooks changed\./, `${signal}: the apply ran to its end`);
    t.match(run.stderr(), new RegExp(`\\nnfctl: interrupted \\(${signal}\\) while changing the kernel; the change ran to its end first, as shown above\\n$`));
    const plan = nfctl(lab, ["plan", "-f", file, "--detailed-exitcode"]);
    t.equal(plan.code, 0, `${signal}: both hooks were switched, none is left to do: ${plan.stdout}`);
  }
});

t.test("a signal while waiting for the lock ends nfctl at once, having changed nothing", async (t) => {
  const lab = createLab();
  t.teardown(lab.cleanup);
  const dir = t.testdir();
  const first = writeConfig(dir, "first.yaml", { xdp: [c1] });
  const second = writeConfig(dir, "second.yaml", { xdp: [bl, c1] });
  const holder = startNfctl(t, lab, ["apply", "-f", first], { NFCTL_TEST_PAUSE_AT: "1" });
  await untilPaused(holder);

  const waiter = startNfctl(t, lab, ["apply", "-f", second, "--lock-timeout", "60s"]);
  await untilOpened(waiter, lab.root);
  t.equal(waiter.child.exitCode, null, "the second apply waits for the lock");
  const signalled = Date.now();
  waiter.child.kill("SIGINT");
  t.equal(await waiter.exited, 130);
  t.ok(Date.now() - signalled < 2000, "it ends at once, not when the lock comes free");
  t.equal(waiter.stderr(), "nfctl: interrupted (SIGINT) before any change was made\n");
  t.equal(waiter.stdout(), "");

  holder.child.kill("SIGCONT");
  t.equal(await holder.exited, 0, "the holder's apply completes");
  t.equal(nfctl(lab, ["plan", "-f", first, "--detailed-exitcode"]).code, 0, "and the kernel holds what the holder applied, nothing of the interrupted one");
});
