/**
 * Bad input and kernel refusals leave the live chain exactly as it was and
 * say what went wrong.
 */
import t from "tap";
import { createLab, inNetns, ADDR, type Lab } from "../../scripts/test-lab.js";
import { udpExchange } from "../../scripts/traffic.js";
import { requireKernel, eventually, newPrograms, pinTree, type TapTest } from "../helpers/kernel.js";
import { counter, blocklist, BUILD } from "../../scripts/nfs.js";
import { setChain, type ChainNf, type ChainTarget } from "../../src/reconcile/set-chain.js";
import { observe, currentNetns } from "../../src/state/index.js";
import { listIds, NativeError } from "../../src/native/index.js";

requireKernel();

const XDP: ChainTarget = { ifname: "veth-b", hook: "xdp" };

interface Snapshot {
  pins: string[];
  linkProg: number | undefined;
  programs: number[];
}

function snapshot(lab: Lab, before: number[]): Snapshot {
  const hook = inNetns(lab.nsB, () => observe(lab.root, currentNetns())).hooks[0];
  return { pins: pinTree(lab.root), linkProg: hook?.link?.progId, programs: newPrograms(before).sort((a, b) => a - b) };
}

async function withLiveChain(t: TapTest, fn: (lab: Lab) => void): Promise<void> {
  const before = listIds("prog");
  const lab = createLab();
  t.teardown(lab.cleanup);
  inNetns(lab.nsB, () => setChain(XDP, [counter("c1", "xdp"), blocklist("bl", "xdp", [ADDR.blocked])], { root: lab.root }));
  const expected = snapshot(lab, before);
  fn(lab);
  t.ok(
    await eventually(() => JSON.stringify(snapshot(lab, before)) === JSON.stringify(expected)),
    "pins, the link's program and the set of loaded programs are as before",
  );
  t.same(snapshot(lab, before), expected);
  t.same(await udpExchange(lab, [ADDR.allowed, ADDR.blocked], 20), { [ADDR.allowed]: 20, [ADDR.blocked]: 0 }, "the live chain still filters");
}

function attempt(lab: Lab, nfs: ChainNf[], target: ChainTarget = XDP): unknown {
  try {
    inNetns(lab.nsB, () => setChain(target, nfs, { root: lab.root }));
  } catch (err) {
    return err;
  }
  throw new Error("setChain succeeded where it should have failed");
}

t.test("an object the verifier rejects: the error names the call, object and errno, and carries the log", async (t) => {
  await withLiveChain(t, (lab) => {
    const err = attempt(lab, [counter("c1", "xdp"), counter("c2", "xdp"), { name: "bad", object: `${BUILD}/test/bad_verifier.o`, program: "xdp_bad" }]);
    t.type(err, NativeError);
    const e = err as NativeError;
    t.equal(e.message, `bpf_object__load(${BUILD}/test/bad_verifier.o, program xdp_bad): Permission denied (EACCES)`);
    t.match(e.verifierLog, /invalid access to packet/, "the verifier's reason is in the log");
  });
});

t.test("a program name the object does not have", async (t) => {
  await withLiveChain(t, (lab) => {
    const err = attempt(lab, [counter("c1", "xdp"), { name: "c2", object: `${BUILD}/counter.o`, program: "xdp_nope" }]);
    t.match(err, { name: "ChainError", message: `NF "c2": object ${BUILD}/counter.o has no program named "xdp_nope" (it has: xdp_counter, tc_counter)` });
  });
});

t.test("a missing object file", async (t) => {
  await withLiveChain(t, (lab) => {
    const err = attempt(lab, [{ name: "gone", object: `${BUILD}/nope.o`, program: "xdp_counter" }]);
    t.match(err, {
      name: "ChainError",
      message: `NF "gone": cannot open object ${BUILD}/nope.o: bpf_object__open_file(${BUILD}/nope.o): No such file or directory (ENOENT)`,
    });
  });
});

t.test("a missing interface", async (t) => {
  await withLiveChain(t, (lab) => {
    const err = attempt(lab, [counter("c1", "xdp")], { ifname: "nosuch0", hook: "xdp" });
    const netns = inNetns(lab.nsB, currentNetns);
    t.match(err, { name: "ChainError", message: `interface nosuch0 does not exist in network namespace ${netns}` });
  });
});

t.test("a TC program on the XDP hook", async (t) => {
  await withLiveChain(t, (lab) => {
    const err = attempt(lab, [counter("c1", "tc")]);
    t.match(err, {
      message: `NF "c1": program tc_counter in ${BUILD}/counter.o (section "tc") cannot run on the xdp hook; it needs an XDP program (SEC("xdp"))`,
    });
  });
});

t.test("proceedOn for an object without nf_proceed_mask, and a duplicate NF name", async (t) => {
  await withLiveChain(t, (lab) => {
    t.match(attempt(lab, [{ name: "u", object: `${BUILD}/test/unaware.o`, program: "xdp_unaware", proceedMask: 4 }]), {
      name: "ChainError",
      message: `NF "u": object ${BUILD}/test/unaware.o has no nf_proceed_mask constant, so proceedOn cannot be set for it`,
    });
    t.match(attempt(lab, [counter("c1", "xdp"), counter("c1", "xdp")]), {
      name: "ChainError",
      message: `NF name "c1" appears twice in the chain of veth-b xdp`,
    });
  });
});

t.test("a map the kernel refuses a value for: undone before the commit", async (t) => {
  await withLiveChain(t, (lab) => {
    const badPrefix = Buffer.alloc(8);
    badPrefix.writeUInt32LE(99, 0);
    const refused: ChainNf = { ...blocklist("bl2", "xdp", []), maps: { blocklist_v4: [{ key: badPrefix, value: Buffer.alloc(4) }] } };
    const err = attempt(lab, [counter("c1", "xdp"), refused]);
    t.type(err, NativeError);
    t.match(err, { message: /^bpf_map_update_elem\(.*\/maps\/bl2\/blocklist_v4\): Invalid argument \(EINVAL\)$/ });
    const wrongSize: ChainNf = { ...blocklist("bl2", "xdp", []), maps: { blocklist_v4: [{ key: Buffer.alloc(8), value: Buffer.alloc(8) }] } };
    t.match(attempt(lab, [counter("c1", "xdp"), wrongSize]), {
      message: 'map blocklist_v4 of NF "bl2": entry of 8+8 bytes does not fit key 8 + value 4 bytes',
    });
  });
});

t.test("NFs the kernel refuses to chain (XDP frags mismatch) are named", async (t) => {
  await withLiveChain(t, (lab) => {
    const frags: ChainNf = { name: "frags", object: `${BUILD}/test/frags.o`, program: "xdp_frags" };
    t.match(attempt(lab, [counter("c1", "xdp"), frags]), {
      message:
        /^NF "c1" cannot pass packets on to NF "frags": the kernel refused to chain them \(bpf_map_update_elem\(nf_next of NF "c1"\[0\]\): Invalid argument \(EINVAL\)\)\. Chained NFs need the same program type, expected attach type and XDP frags setting$/,
    });
  });
});

t.test("a failed first swap on a hook leaves nothing of it in bpffs", async (t) => {
  const lab = createLab();
  t.teardown(lab.cleanup);
  const err = attempt(lab, [counter("c1", "xdp"), { name: "bad", object: `${BUILD}/test/bad_verifier.o`, program: "xdp_bad" }]);
  t.type(err, NativeError);
  t.same(pinTree(lab.root), ["records"], "only the records map, no directories of the hook");
});
