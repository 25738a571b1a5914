/**
 * One Plan value with a bit of everything, for the tests of the views: an
 * update with a start, an update, a reconfigure and a reorder, a detach,
 * and a warning.
 */
import type { Plan } from "../../src/reconcile/index.js";

export const samplePlan: Plan = {
  formatVersion: 3,
  netns: 1,
  force: false,
  hooks: [
    {
      id: "eth1/xdp",
      ifname: "eth1",
      hook: "xdp",
      mode: "native",
      attachment: "link",
      generation: 3,
      nextGeneration: 4,
      before: ["a", "b"],
      after: ["b", "a", "c"],
      commit: "update",
      precondition: { ifindex: 2, generation: 3, firstProgId: 10, linkId: 1, stale: [] },
      chain: [],
      removeForeign: [],
      actions: [
        { kind: "start", nf: "c", reason: { code: "added-to-chain" } },
        { kind: "update", nf: "a", reason: { code: "nf-changed" }, changes: [{ field: "version", from: "1", to: "2" }] },
        { kind: "reconfigure", nf: "b", reason: { code: "maps-differ" }, maps: [{ map: "ports", before: ["22: 1", "23: 1"], after: ["22: 1", "80: 1"] }] },
        { kind: "reorder", reason: { code: "order-changed" } },
      ],
      warnings: [{ code: "foreign-program", program: { id: 9, name: "x" }, ifname: "eth1", hook: "xdp", blocksApply: false }],
    },
    {
      id: "eth2/tc-egress",
      ifname: "eth2",
      hook: "tc-egress",
      attachment: "link",
      generation: 1,
      before: ["d"],
      after: [],
      commit: "detach",
      precondition: { ifindex: 3, generation: 1, firstProgId: 20, linkId: 2, stale: [] },
      chain: [],
      removeForeign: [],
      actions: [{ kind: "stop", nf: "d", reason: { code: "interface-not-in-config" } }],
      warnings: [],
    },
  ],
  blockers: [],
  summary: { start: 1, update: 1, reorder: 1, reconfigure: 1, stop: 1, repair: 0 },
};
