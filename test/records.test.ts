import t from "tap";
import {
  encodeRecord,
  decodeRecord,
  encodeRecordKey,
  decodeRecordKey,
  RECORD_FORMAT_VERSION,
  RECORD_KEY_SIZE,
  RECORD_VALUE_SIZE,
  type GenerationRecord,
} from "../src/state/records.js";

const record: GenerationRecord = {
  formatVersion: RECORD_FORMAT_VERSION,
  netns: 4026531840,
  ifname: "eth1",
  ifindex: 3,
  hook: "xdp",
  generation: 2,
  attachment: "link",
  mode: "native",
  nfs: [
    { name: "blocklist", object: "/o/blocklist.o", digest: "ab".repeat(32), program: "xdp_blocklist", proceedOn: ["pass"], proceedMask: 4 },
    { name: "legacy", object: "/o/third-party.o", digest: "cd".repeat(32), program: "xdp_prog" },
  ],
  source: { path: "/etc/nfctl/edge.yaml", revision: "0123abcd" },
  createdAt: "2026-11-22T10:00:00.000Z",
};

t.test("a record round-trips through its fixed-size map value", async (t) => {
  const buf = encodeRecord(record);
  t.equal(buf.length, RECORD_VALUE_SIZE);
  t.equal(buf.readUInt32LE(0), Buffer.byteLength(JSON.stringify(record)));
  t.same(decodeRecord(buf), record);
});

t.test("an oversized record is refused with its size", async (t) => {
  const big = { ...record, nfs: Array.from({ length: 200 }, (_, i) => ({ ...record.nfs[0]!, name: `nf-${i}`, object: "/x".repeat(40) })) };
  t.throws(() => encodeRecord(big), /record of generation 2 on eth1\/xdp is \d+ bytes, over the 32764 a record holds/);
});

t.test("a record of another format version is refused, naming both versions", async (t) => {
  const buf = encodeRecord({ ...record, formatVersion: 99 });
  t.throws(() => decodeRecord(buf), { message: `record format version 99 is not supported (this nfctl reads version ${RECORD_FORMAT_VERSION})` });
});

t.test("a corrupt length is detected", async (t) => {
  const buf = encodeRecord(record);
  buf.writeUInt32LE(RECORD_VALUE_SIZE, 0);
  t.throws(() => decodeRecord(buf), /corrupt record/);
});

t.test("keys are zero-padded and length-checked", async (t) => {
  const key = encodeRecordKey("4026531840/eth1/xdp/gen-2");
  t.equal(key.length, RECORD_KEY_SIZE);
  t.equal(decodeRecordKey(key), "4026531840/eth1/xdp/gen-2");
  t.throws(() => encodeRecordKey("x".repeat(RECORD_KEY_SIZE)), /record key too long/);
});
