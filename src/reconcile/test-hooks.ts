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
 *                           step k (<label>)" on stderr; SIGCONT resumes it;
 *   NFCTL_TEST_STEP_DELAY=ms
 *                           every step takes that much longer (a blocking
 *                           sleep, as the apply itself blocks): an apply
 *                           long enough to show its progress line.
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

/** The delay of NFCTL_TEST_STEP_DELAY, in ms (0 when unset). */
function stepDelay(): number {
  const value = process.env.NFCTL_TEST_STEP_DELAY ?? "";
  return /^\d+$/.test(value) ? Number(value) : 0;
}

/** A step counter for one apply, honouring the test hooks. */
export function stepHook(logger?: Logger): (label: string) => void {
  const crash = trigger("NFCTL_TEST_CRASH_AT");
  const pause = trigger("NFCTL_TEST_PAUSE_AT");
  const delay = stepDelay();
  let count = 0;
  return (label) => {
    count += 1;
    logger?.debug({ step: count }, label);
    if (delay > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, delay);
    if (crash(count, label)) process.kill(process.pid, "SIGKILL");
    if (pause(count, label)) {
      process.stderr.write(`nfctl: test hook: paused after step ${count} (${label})\n`);
      process.kill(process.pid, "SIGSTOP");
    }
  };
}
