/**
 * `node git-group.js <git arguments>`: runs git in a process group (and
 * session) of its own, and ends the whole group when this process is
 * stopped. The git source runs its network commands (ls-remote, fetch)
 * through it, as simple-git's `binary`, because simple-git's timeout
 * interrupts git alone: git does not stop its transport helper
 * (git-remote-https, ssh), which then waits on a silent server for as long
 * as the server keeps the connection (curl's handshake has no timeout of
 * git's). SIGTERM first, so that git removes its lock files; SIGKILL after
 * a grace period. A new session also means no terminal to prompt on.
 */
import { spawn } from "node:child_process";
import { constants } from "node:os";

const GRACE_MS = 2000;

let stopping = false;
const signalGroup = (signal: NodeJS.Signals) => {
  // The group's id is git's pid, which no other process can take while git or any of its group lives.
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is gone already.
  }
};
const stop = () => {
  if (stopping) return;
  stopping = true;
  signalGroup("SIGTERM");
  setTimeout(() => signalGroup("SIGKILL"), GRACE_MS).unref();
};
// Before git starts: a signal from then on finds its listener (listeners run on the event loop, after this
// script, so `child` is set by the time one does).
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, stop);
const child = spawn("git", process.argv.slice(2), { stdio: "inherit", detached: true });

child.on("error", (error) => {
  process.stderr.write(`fatal: cannot run git: ${error.message}\n`);
  process.exit(128);
});
child.on("exit", (code, signal) => {
  // A helper that outlived git after SIGTERM does not wait for the grace period.
  if (stopping) signalGroup("SIGKILL");
  process.exit(code ?? 128 + (signal !== null ? constants.signals[signal] : 0));
});
