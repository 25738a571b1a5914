/**
 * What SIGINT, SIGTERM and SIGHUP do to a running command.
 *
 * Node's default is to die at once. In the middle of an apply that would
 * leave some hooks switched and others not, until the next apply repairs
 * them: crash-safe, but half-applied meanwhile. So a command says when its
 * changes begin (`hold`):
 *
 * - before that (waiting for the lock, planning), a signal ends nfctl at
 *   once, having changed nothing;
 * - after it, the signal is held: the apply runs to its end (committed, or
 *   rolled back), its outcome is printed, and only then does nfctl say it
 *   was interrupted.
 *
 * Either way nfctl exits with 128 + the signal's number, as a shell reports
 * a process a signal ended. (An apply runs synchronously once begun, so a
 * listener could not run in its middle anyway; holding makes the promise
 * explicit rather than an accident of the event loop.)
 */
import { constants } from "node:os";

const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

export interface Interrupts {
  /** From here on a signal waits for the command to end: call before the first change. */
  hold(): void;
}

/**
 * Runs `command` with the listeners installed and returns its exit code,
 * or 128 + the number of a signal held meanwhile.
 *
 * @example
 *     process.exitCode = await runInterruptible((interrupts) => applyCommand(opts, { ...context, interrupts }));
 */
export async function runInterruptible(command: (interrupts: Interrupts) => Promise<number>): Promise<number> {
  let holding = false;
  let held: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (holding) {
      held ??= signal;
      return;
    }
    process.stderr.write(`nfctl: interrupted (${signal}) before any change was made\n`);
    process.exit(exitCode(signal));
  };
  for (const signal of SIGNALS) process.on(signal, onSignal);
  try {
    const code = await command({ hold: () => (holding = true) });
    if (holding) await untilPolled();
    if (held === undefined) return code;
    process.stderr.write(`nfctl: interrupted (${held}) while changing the kernel; the change ran to its end first, as shown above\n`);
    return exitCode(held);
  } finally {
    for (const signal of SIGNALS) process.off(signal, onSignal);
  }
}

const nextCheckPhase = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Returns once the event loop has polled for I/O since the caller's
 * synchronous work ended. A signal that came while an apply ran
 * (synchronously) waits in libuv's signal pipe, and becomes a JS event only
 * when the loop polls. One immediate is not enough: if the apply ran in
 * this iteration's poll phase, the check phase that follows runs it before
 * any new poll. The second immediate runs in the next iteration's check
 * phase, after a poll (with no wait, as an immediate is pending) has read
 * the pipe. Timers would work too, but cost their delay on every apply.
 */
async function untilPolled(): Promise<void> {
  await nextCheckPhase();
  await nextCheckPhase();
}

function exitCode(signal: NodeJS.Signals): number {
  return 128 + constants.signals[signal];
}
