/**
 * Two nfctl processes never interleave: the second waits for the lock up to
 * --lock-timeout, then fails naming the holder's pid.
 */
import t from "tap";
import { createLab, ADDR } from "../../scripts/test-lab.js";
import { requireKernel } from "../helpers/kernel.js";
import { nfctl, startNfctl, untilOpened, untilPaused, writeConfig } from "../helpers/cli.js";

requireKernel();

t.test("a second apply waits for the first, or gives up naming its pid", async (t) => {
  const lab = createLab();
  t.teardown(lab.cleanup);
  const dir = t.testdir();
  const first = writeConfig(dir, "first.yaml", { xdp: [{ name: "c1", nf: "counter" }] });
  const second = writeConfig(dir, "second.yaml", {
    xdp: [
      { name: "bl", nf: "blocklist", maps: `blocklist_v4:\n  ${ADDR.blocked}/32: 1` },
      { name: "c1", nf: "counter" },
    ],
  });

  const holder = startNfctl(t, lab, ["apply", "-f", first], { NFCTL_TEST_PAUSE_AT: "1" });
  await untilPaused(holder);
  const holderPid = holder.child.pid!;

  const started = Date.now();
  const impatient = nfctl(lab, ["apply", "-f", second, "--lock-timeout", "400ms"]);
  t.equal(impatient.code, 1);
  t.equal(impatient.stderr, `nfctl: another nfctl (pid ${holderPid}) holds the lock on ${lab.root}; gave up after 400 ms (--lock-timeout)\n`);
  t.ok(Date.now() - started >= 400, "it waited the timeout");

  const patient = startNfctl(t, lab, ["apply", "-f", second, "--lock-timeout", "20s"]);
  // Holding the root open, the lock's file, it has asked for the lock; a
  // while later, it still waits (a run without the lock ends in far less).
  await untilOpened(patient, lab.root);
  await new Promise((r) => setTimeout(r, 1000));
  t.equal(patient.child.exitCode, null, "a patient second apply is still waiting");
  holder.child.kill("SIGCONT");
  t.equal(await holder.exited, 0, "the first apply completes");
  t.equal(await patient.exited, 0, "then the second runs");
  t.match(patient.stdout(), /\+ start +bl/, "and plans against the first one's result: only the blocklist is new");
  t.notMatch(patient.stdout(), /\+ start +c1/);
});
