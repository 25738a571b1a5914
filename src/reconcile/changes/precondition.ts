/**
 * The executor carries out exactly the plan it is given. Before it touches
 * a hook it checks that the plan was made for this state (its lineage),
 * that no apply came between (its serial), and that the kernel still runs
 * what the plan was made against; if not, it refuses, rather than plan
 * again.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { observeHook, type HookAddress, type RecordStore, type StateMeta } from "../../state/index.js";
import type { HookPlan, PlannedNf, Precondition } from "../plan.js";
import { describeHook } from "./hook-change.js";

/** The kernel no longer matches what a plan was made against. */
export class StalePlanError extends Error {
  override readonly name = "StalePlanError";
}

/** The plan was made for another state: another host's, or one a reboot cleared. */
export class StateMismatchError extends Error {
  override readonly name = "StateMismatchError";
}

/**
 * Throws unless the state is the one the plan was made against: the same
 * lineage, the same serial. A plan made before the first apply (no state)
 * only checks the serial, as Terraform does: there was no lineage to
 * compare.
 *
 * @example
 *     checkState({ lineage: "a", serial: 3 }, { lineage: "a", serial: 4 })
 *     // throws StalePlanError("the plan is stale: it was made at state serial 3, the state is now at serial 4; plan again")
 */
export function checkState(planned: StateMeta | undefined, now: StateMeta | undefined): void {
  if (planned && planned.lineage !== now?.lineage) {
    const here = now ? `this host's state is lineage ${now.lineage}` : "this host has no nfctl state (nothing applied since bpffs was mounted)";
    throw new StateMismatchError(
      `the plan was made for state lineage ${planned.lineage}, but ${here}; a saved plan applies only to the state it was made from: plan again here`,
    );
  }
  if ((planned?.serial ?? 0) !== (now?.serial ?? 0)) {
    const made = planned ? `at state serial ${planned.serial}` : "before the first apply (no state yet)";
    throw new StalePlanError(`the plan is stale: it was made ${made}, the state is now at serial ${now?.serial ?? 0}; plan again`);
  }
}

function show(value: number | boolean | undefined | number[]): string {
  if (Array.isArray(value)) return value.length === 0 ? "none" : value.join(", ");
  return value === undefined ? "none" : String(value);
}

/** Throws StalePlanError when the hook differs from the plan's precondition. */
export function checkPrecondition(root: string, addr: HookAddress, plan: HookPlan, records: RecordStore | undefined): void {
  const want = plan.precondition;
  const found = observeHook(root, addr, records);
  const firstProgId = found.live?.nfs[0]?.progId;
  const now: Precondition = {
    ...(found.ifindex !== undefined && { ifindex: found.ifindex }),
    ...(found.live && { generation: found.live.number }),
    ...(firstProgId !== undefined && { firstProgId }),
    ...(found.link && { linkId: found.link.id }),
    ...(found.drift.some((d) => d.kind === "link-defunct") && { linkDefunct: true as const }),
    stale: found.stale.map((g) => g.number),
  };
  const fields = [
    ["ifindex", "the interface's index"],
    ["generation", "the live generation"],
    ["firstProgId", "the program the hook runs"],
    ["linkId", "nfctl's link"],
    ["linkDefunct", "whether nfctl's link is defunct"],
    ["stale", "leftover generations"],
  ] as const;
  for (const [field, what] of fields) {
    if (show(want[field]) !== show(now[field])) {
      throw new StalePlanError(
        `the kernel changed since the plan was made: ${describeHook(addr)}: ${what} is ${show(now[field])}, the plan expected ${show(want[field])}; plan again`,
      );
    }
  }
}

/**
 * Reads each object of `chain` once and checks its bytes against the
 * sha256 the plan has (a saved plan may be applied later, the file changed
 * since). Returns the bytes by path: the generations load these very
 * bytes, never the file again, so the digest in the plan and in the record
 * is the code that runs. `held`: bytes the caller already holds by path
 * (the watch loop's last good config), taken instead of the file.
 *
 * @example
 *     readCheckedObjects([{ name: "counter", object: "/repo/counter.o", digest: "9f2c…" }])
 *     // Map { "/repo/counter.o" => <Buffer 7f 45 4c 46 …> }, or throws StalePlanError when the file's sha256 differs
 */
export function readCheckedObjects(
  chain: readonly Pick<PlannedNf, "name" | "object" | "digest">[],
  held: ReadonlyMap<string, Buffer> = new Map(),
): Map<string, Buffer> {
  const objects = new Map<string, Buffer>();
  const digests = new Map<string, string>();
  for (const nf of chain) {
    let digest = digests.get(nf.object);
    if (digest === undefined) {
      const bytes = held.get(nf.object) ?? readFileSync(nf.object);
      digest = createHash("sha256").update(bytes).digest("hex");
      objects.set(nf.object, bytes);
      digests.set(nf.object, digest);
    }
    if (digest !== nf.digest) {
      throw new StalePlanError(
        `object ${nf.object} of NF "${nf.name}" changed since the plan was made (sha256 ${digest}, the plan has ${nf.digest}); plan again`,
      );
    }
  }
  return objects;
}
