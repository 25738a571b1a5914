/**
 * The state's lineage and serial: stored under a reserved key of the
 * records map, counted by committed applies, and compared with a plan's.
 * A records map in memory stands in for the pinned one.
 */
import t from "tap";
import { checkState, StalePlanError, StateMismatchError } from "../src/reconcile/index.js";
import {
  decodeJsonValue,
  encodeJsonValue,
  nextStateMeta,
  readStateMeta,
  writeStateMeta,
  STATE_META_KEY,
  type GenerationRecord,
  type RecordStore,
} from "../src/state/index.js";

/** The records map's behaviour, in memory. */
function memoryRecords(): RecordStore & { values: Map<string, Buffer> } {
  const values = new Map<string, Buffer>();
  return {
    values,
    get: (key) => {
      const value = values.get(key);
      return value && (decodeJsonValue(value) as GenerationRecord);
    },
    put: (key, record) => void values.set(key, encodeJsonValue(JSON.stringify(record), key)),
    delete: (key) => void values.delete(key),
    keys: () => [...values.keys()].filter((k) => !k.startsWith("nfctl/")).sort(),
    getValue: (key) => values.get(key),
    putValue: (key, value) => void values.set(key, value),
    close: () => undefined,
  };
}

t.test("the first apply makes a lineage at serial 1; each later one keeps it and counts", async (t) => {
  const records = memoryRecords();
  t.equal(readStateMeta(records), undefined, "no state before the first apply");
  t.equal(readStateMeta(undefined), undefined, "nor without a records map");
  writeStateMeta(
    records,
    nextStateMeta(readStateMeta(records), () => "lineage-1"),
  );
  t.same(readStateMeta(records), { lineage: "lineage-1", serial: 1 });
  writeStateMeta(
    records,
    nextStateMeta(readStateMeta(records), () => "never-used"),
  );
  t.same(readStateMeta(records), { lineage: "lineage-1", serial: 2 });
  t.same(records.keys(), [], "the reserved key is no generation's");
  t.ok(STATE_META_KEY.startsWith("nfctl/"), "a key no generation has: theirs start with a netns inode number");
});

t.test("a new lineage is a random UUID", async (t) => {
  const a = nextStateMeta(undefined);
  const b = nextStateMeta(undefined);
  t.match(a.lineage, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  t.not(a.lineage, b.lineage);
});

t.test("a lineage record of another version, or corrupt, is an error that says so", async (t) => {
  const records = memoryRecords();
  records.putValue(STATE_META_KEY, encodeJsonValue(JSON.stringify({ formatVersion: 9, lineage: "x", serial: 1 }), "x"));
  t.throws(() => readStateMeta(records), { message: "the state's lineage record has format version 9; this nfctl reads version 1" });
  records.putValue(STATE_META_KEY, encodeJsonValue(JSON.stringify({ formatVersion: 1, lineage: "x", serial: -1 }), "x"));
  t.throws(() => readStateMeta(records), /^the state's lineage record is corrupt/);
});

t.test("a plan applies only to the state it was made against", async (t) => {
  t.doesNotThrow(() => checkState(undefined, undefined), "made before the first apply, applied before it");
  t.doesNotThrow(() => checkState({ lineage: "a", serial: 3 }, { lineage: "a", serial: 3 }));
  t.throws(() => checkState({ lineage: "a", serial: 3 }, { lineage: "a", serial: 4 }), {
    name: "StalePlanError",
    message: "the plan is stale: it was made at state serial 3, the state is now at serial 4; plan again",
  });
  t.throws(() => checkState(undefined, { lineage: "a", serial: 1 }), {
    name: "StalePlanError",
    message: "the plan is stale: it was made before the first apply (no state yet), the state is now at serial 1; plan again",
  });
  t.throws(() => checkState({ lineage: "a", serial: 3 }, { lineage: "b", serial: 3 }), {
    name: "StateMismatchError",
    message:
      "the plan was made for state lineage a, but this host's state is lineage b; a saved plan applies only to the state it was made from: plan again here",
  });
  t.throws(() => checkState({ lineage: "a", serial: 3 }, undefined), {
    name: "StateMismatchError",
    message:
      "the plan was made for state lineage a, but this host has no nfctl state (nothing applied since bpffs was mounted); a saved plan applies only to the state it was made from: plan again here",
  });
  // Two kinds of refusal, told apart by class: the controller reports only a stale plan as PlanStale.
  const stale = t.throws(() => checkState({ lineage: "a", serial: 1 }, { lineage: "a", serial: 2 }), StalePlanError, "throws a StalePlanError");
  t.notOk(stale instanceof StateMismatchError, "not a StateMismatchError");
  t.equal(stale instanceof Error && stale.message, "the plan is stale: it was made at state serial 1, the state is now at serial 2; plan again", "its message");
});
