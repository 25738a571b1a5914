/**
 * The rules a chain must obey, each decided by one pure function. The
 * config layer applies them with file positions and words
 * (src/reconcile/config); the executor asserts them on the plan it is given
 * (a plan that breaks one was not made by the planner).
 *
 * @example
 *     duplicateNames(["a", "b", "a"]) // [{ index: 2, firstIndex: 0 }]
 *     unawareNotLast([{ chainAware: false }, { chainAware: true }]) // [0]
 */
import { programTypeOf, type Hook } from "../state/index.js";

/** BPF_PROG_TYPE_UNSPEC: a section name libbpf does not know; the loader gives it the hook's type. */
export const UNKNOWN_PROGRAM_TYPE = 0;

/** Every name used again after its first place in a chain. */
export function duplicateNames(names: readonly string[]): Array<{ index: number; firstIndex: number }> {
  const first = new Map<string, number>();
  const out: Array<{ index: number; firstIndex: number }> = [];
  names.forEach((name, index) => {
    const firstIndex = first.get(name);
    if (firstIndex === undefined) first.set(name, index);
    else out.push({ index, firstIndex });
  });
  return out;
}

/**
 * Positions of chain-unaware NFs (no nf_next) that are not the last of
 * the (enabled) chain: they cannot pass packets on.
 */
export function unawareNotLast(chain: ReadonlyArray<{ chainAware: boolean }>): number[] {
  return chain.flatMap((nf, i) => (!nf.chainAware && i < chain.length - 1 ? [i] : []));
}

export type ProgramProblem = { problem: "missing"; available: string[] } | { problem: "wrong-type"; type: number };

/** Whether `program` is among `programs` and can run on `hook`; undefined when it can. */
export function programProblem(programs: ReadonlyArray<{ name: string; type: number }>, program: string, hook: Hook): ProgramProblem | undefined {
  const found = programs.find((p) => p.name === program);
  if (!found) return { problem: "missing", available: programs.map((p) => p.name) };
  if (found.type !== UNKNOWN_PROGRAM_TYPE && found.type !== programTypeOf(hook)) return { problem: "wrong-type", type: found.type };
  return undefined;
}

/** proceedOn can only be set on an object that has the nf_proceed_mask constant. */
export function proceedOnAllowed(hasProceedMask: boolean, proceedOnSet: boolean): boolean {
  return hasProceedMask || !proceedOnSet;
}

/** A hook with NFs to run needs its interface to exist. */
export function interfaceMissing(enabledNfs: number, ifindex: number | undefined): boolean {
  return enabledNfs > 0 && ifindex === undefined;
}
