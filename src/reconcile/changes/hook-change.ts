/**
 * One hook's change between prepare and finalize: the protocol every kind
 * of hook change (swap, in-place, detach, cleanup) follows, so that the
 * executor can carry out a plan over many hooks all or nothing.
 *
 * - prepare (the function that makes the change): build what the commit
 *   needs beside the live state; the hook still runs what it ran.
 * - commit(): switch the hook in one step.
 * - revert(): undo commit(); the hook runs what it ran before. Returns what
 *   it could not put back, in words, for the error that reports it.
 * - abort(): undo prepare (after revert, if committed).
 * - finalize(): unpin what the hook ran before; the change can no longer
 *   be undone.
 */
import type { HookAddress, LibbpfLogSink, RecordStore } from "../../state/index.js";
import type { CommitKind, HookPlan } from "../plan.js";

export interface HookOutcome {
  ifname: string;
  hook: HookPlan["hook"];
  /** What apply did: the commit kind of the plan. */
  commit: CommitKind;
  /** The generation live afterwards (create, update, reattach, cleanup), or the one written in place. */
  generation?: number;
  /** The generation it replaced or detached. */
  previous?: number;
  /** Generations an interrupted run had left, now removed. */
  removedStale: number[];
}

export interface HookChange {
  readonly address: HookAddress;
  commit(): void;
  revert(): string[];
  abort(): void;
  finalize(): HookOutcome;
}

/** What every kind of change gets from the executor. */
export interface ChangeContext {
  root: string;
  netns: number;
  records: RecordStore;
  /** Called after every step that changes bpffs or the kernel (see test-hooks.ts). */
  step: (label: string) => void;
  /** Where libbpf's own messages go while objects load. */
  log?: LibbpfLogSink;
  /** Each object of the plan's new generations, by path: its bytes, read once and checked against the plan's sha256; loaded instead of the file. */
  objects: ReadonlyMap<string, Buffer>;
  source?: { path?: string; revision?: string };
}

export function describeHook(addr: { ifname: string; hook: string }): string {
  return `${addr.ifname} ${addr.hook}`;
}

export function addressOf(plan: HookPlan, netns: number): HookAddress {
  return { netns, ifname: plan.ifname, hook: plan.hook };
}
