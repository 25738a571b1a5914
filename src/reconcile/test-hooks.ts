/**
 * Test hooks of the executor, read from the environment by it alone. They
 * exist so that tests can prove crash safety and concurrency on the real
 * kernel; operators never set them.
 *
 *   NFCTL_TEST_CRASH_AT=k   the process kills itself (SIGKILL) right after
 *                           the k-th step of an apply that changes bpffs or
 *                           the kernel (k counts from 1);
 *   NFCTL_TEST_PAUSE_AT=k   the process stops itself (SIGSTOP) after step k,
 *                           having printed "nfctl: test hook: paused after
 *                           step k (<label>)" on stderr; SIGCONT resumes it.
 *
 * Instead of a number, either takes a text: the first step whose label
 * contains it (e.g. "veth-b xdp: committed").
 *
 * Every step is also logged at debug level with its number.
 */
import type { Logger } from "pino";

type Trigger = (count: number, label: string) => boolean;

function trigger(name: string): Trigger {
  const value = process.env[name];
  if (value === undefined || value === "") return () => false;
  if (/^\d+$/.test(value)) return (count) => count === Number(value);
  let fired = false;
  return (_count, label) => {
    if (fired || !label.includes(value)) return false;
    fired = true;
    return true;
  };
}

/** A step counter for one apply, honouring the test hooks. */
export function stepHook(logger?: Logger): (label: string) => void {
  const crash = trigger("NFCTL_TEST_CRASH_AT");
  const pause = trigger("NFCTL_TEST_PAUSE_AT");
  let count = 0;
  return (label) => {
    count += 1;
    logger?.debug({ step: count }, label);
    if (crash(count, label)) process.kill(process.pid, "SIGKILL");
    if (pause(count, label)) {
      process.stderr.write(`nfctl: test hook: paused after step ${count} (${label})\n`);
      process.kill(process.pid, "SIGSTOP");
    }
  };
}
