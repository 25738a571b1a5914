/**
 * Drift: every way the kernel disagrees with what nfctl made, as typed
 * values. Observing finds them (observe.ts); the planner turns them into
 * repairs; renderers (src/cli/views) write the words.
 */

export interface ForeignProgram {
  id: number;
  name: string;
}

export type Drift =
  /** The interface of a managed hook does not exist. */
  | { kind: "interface-missing"; ifname: string }
  /** Generations are pinned but nothing of nfctl's is attached (the link pin is gone). */
  | { kind: "link-missing"; ifname: string; hook: string }
  /** nfctl's link is no longer attached (detached by another tool, or its interface deleted). */
  | { kind: "link-defunct"; linkId: number; ifname: string }
  /** nfctl's link or filter runs a program that is the first NF of no generation. */
  | { kind: "unknown-program-attached"; attachment: "link" | "tc-legacy"; progId: number; progName: string }
  /** The program pin of an NF of the live generation is gone. */
  | { kind: "program-missing"; nf: string; position: number }
  /** An nf_next slot holds another program than the next NF's (undefined: empty slot). */
  | { kind: "wiring"; nf: string; holds?: number; expected?: number; expectedNf?: string }
  /** The live generation has no record. */
  | { kind: "record-missing"; generation: number }
  /** The live generation's pins name other NFs than its record. */
  | { kind: "record-mismatch"; generation: number; pinned: string[]; recorded: string[] }
  /** The record was made for another ifindex: the interface was deleted and created again. */
  | { kind: "interface-recreated"; generation: number; recordedIfindex: number; ifindex: number }
  /** A program another tool attached to the hook. */
  | { kind: "foreign-program"; program: ForeignProgram; ifname: string; hook: string };

export type DriftKind = Drift["kind"];
