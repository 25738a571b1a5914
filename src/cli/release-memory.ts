/**
 * Gives a quiet watcher's memory back to the system. Each reconcile leaves
 * a few kilobytes of garbage in V8's old generation, which V8 collects only
 * once that generation has grown (its memory reducer did not, after 10 s
 * idle), so a watcher's resident set crept up with the number of
 * reconciles. A full collection once the loop is idle, then malloc_trim for
 * the C heap (libbpf's and koffi's freed buffers), returns it.
 *
 * @example
 *     startLoop({ ..., whenIdle: { afterMs: 1000, run: releaseMemory } });
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { trimCHeap } from "../native/index.js";

let collectGarbage: (() => void) | undefined;

/** A full garbage collection, then malloc_trim(3); about 5 ms on a watcher's heap. */
export function releaseMemory(): void {
  collectGarbage ??= exposedGc();
  collectGarbage();
  trimCHeap();
}

/** V8's gc(), which --expose-gc puts in every context created after it is set. */
function exposedGc(): () => void {
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}
