/**
 * The native layer's own promises: libbpf's log reaches pino, errors name
 * the call, handles keep to their kind, bpffs is mounted where missing,
 * test runs measure programs, an interface's XDP programs are read as
 * iproute2 reads them.
 */
import t from "tap";
import { Writable } from "node:stream";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually, requireKernel } from "../helpers/kernel.js";
import { createLab, inNetns } from "../../scripts/test-lab.js";
import { BUILD } from "../../scripts/nfs.js";
import { createLogger, libbpfLogSink } from "../../src/cli/logger.js";
import {
  BpfObject,
  NativeError,
  isBpffs,
  testRun,
  ifNameToIndex,
  openPinned,
  findPinned,
  openHandleCount,
  pinObject,
  programInfo,
  mapInfo,
  withHandle,
  xdpAttachedPrograms,
  xdpAttachProgram,
  xdpDetachProgram,
  createXdpLink,
} from "../../src/native/index.js";
import { linkAttributes } from "../../src/native/rtnetlink.js";
import { ensureRoot } from "../../src/state/index.js";

requireKernel();

t.test("libbpf's messages are routed into the pino logger", async (t) => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(...String(chunk).trim().split("\n"));
      done();
    },
  });
  const log = libbpfLogSink(createLogger("trace", sink));
  t.throws(() => BpfObject.open("/nonexistent/x.o", { log }), { message: "bpf_object__open_file(/nonexistent/x.o): No such file or directory (ENOENT)" });
  const entries = lines.map((l) => JSON.parse(l) as { level: number; component: string; msg: string });
  t.ok(
    entries.some((e) => e.component === "libbpf" && e.level === 30 && e.msg === "libbpf: elf: failed to open /nonexistent/x.o: No such file or directory"),
    "libbpf's warning arrives as a pino info entry (nfctl's own error reports the failure)",
  );
  t.ok(
    entries.some((e) => e.component === "libbpf" && e.level === 10 && /loading object/.test(e.msg)),
    "its debug messages arrive at trace level",
  );
});

t.test("errors name the call, the object and the errno text", async (t) => {
  t.throws(() => ifNameToIndex("nosuch0"), { message: "if_nametoindex(nosuch0): No such device (ENODEV)", code: "ENODEV" });
  let err: unknown;
  try {
    openPinned("prog", "/sys/fs/bpf/nfctl-no-such-pin");
  } catch (e) {
    err = e;
  }
  t.type(err, NativeError);
  t.match(err, {
    call: "bpf_obj_get",
    object: "/sys/fs/bpf/nfctl-no-such-pin",
    errno: 2,
    message: "bpf_obj_get(/sys/fs/bpf/nfctl-no-such-pin): No such file or directory (ENOENT)",
  });
});

t.test("a pin opens only as its own kind; handles count until closed, borrowed ones until their object is", async (t) => {
  const root = `/sys/fs/bpf/nfctl-native-${process.pid}`;
  ensureRoot(root);
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const before = openHandleCount();
  const obj = BpfObject.open(`${BUILD}/counter.o`);
  t.teardown(() => obj.close());
  obj.selectProgram("xdp_counter");
  obj.load();
  const borrowed = obj.programHandle("xdp_counter");
  pinObject(borrowed, `${root}/prog`);
  pinObject(obj.mapHandle("nf_stats"), `${root}/map`);
  t.equal(openHandleCount(), before + 1, "the open object counts as one");
  t.throws(() => openPinned("map", `${root}/prog`), { message: `${root}/prog is a program, not a map` });
  t.throws(() => openPinned("link", `${root}/map`), { message: `${root}/map is a map, not a link` });
  t.throws(() => findPinned("map", `${root}/prog`), { message: `${root}/prog is a program, not a map` });
  t.equal(openHandleCount(), before + 1, "a refused open leaves nothing open");
  t.equal(findPinned("prog", `${root}/nothing`), undefined, "findPinned: nothing pinned there");
  t.throws(() => openPinned("prog", `${root}/nothing`), { message: `bpf_obj_get(${root}/nothing): No such file or directory (ENOENT)` });
  t.equal(withHandle(findPinned("prog", `${root}/prog`)!, programInfo).id, programInfo(borrowed).id, "findPinned opens what is pinned");
  const prog = openPinned("prog", `${root}/prog`);
  t.equal(openHandleCount(), before + 2);
  t.equal(programInfo(prog).id, programInfo(borrowed).id, "the pin holds the object's program");
  prog.close();
  prog.close();
  t.equal(openHandleCount(), before + 1, "closed once, however often close() is called");
  t.throws(() => programInfo(prog), { message: `program handle ${root}/prog used after close()` });
  obj.close();
  t.equal(openHandleCount(), before);
  t.throws(() => programInfo(borrowed), { message: `program handle ${BUILD}/counter.o:xdp_counter used after its BPF object was closed` });
  t.equal(withHandle(openPinned("map", `${root}/map`), mapInfo).name, "nf_stats", "the pins outlive the object");
  t.equal(openHandleCount(), before);
});

t.test("ensureRoot mounts bpffs where none is mounted", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "nfctl-bpffs-"));
  const root = join(dir, "root");
  t.teardown(() => {
    if (existsSync(root) && isBpffs(root)) execFileSync("umount", [root]);
    rmSync(dir, { recursive: true, force: true });
  });
  t.notOk(isBpffs(dir), "the temporary directory is not bpffs");
  ensureRoot(root);
  t.ok(isBpffs(root), "bpffs is mounted on the root");
  ensureRoot(root);
  ensureRoot(join(root, "sub"));
  t.ok(isBpffs(join(root, "sub")), "a root below an existing bpffs is a plain directory on it");
});

t.test("BPF_PROG_TEST_RUN runs a loaded program on a packet", async (t) => {
  const obj = BpfObject.open(`${BUILD}/counter.o`);
  t.teardown(() => obj.close());
  obj.selectProgram("xdp_counter");
  obj.load();
  const packet = Buffer.alloc(64);
  packet.writeUInt16BE(0x0800, 12);
  const result = testRun(obj.programHandle("xdp_counter"), packet, 1000);
  t.equal(result.retval, 2, "XDP_PASS");
  t.ok(result.durationNs > 0 && result.durationNs < 100_000, `a run takes ${result.durationNs} ns`);
  t.equal(result.data.length, 64, "the packet comes back");
});

t.test("an interface's XDP programs, read by RTM_GETLINK of that interface, are the ones ip link shows", async (t) => {
  const lab = createLab();
  t.teardown(lab.cleanup);
  const objects = [0, 1].map(() => {
    const obj = BpfObject.open(`${BUILD}/counter.o`);
    t.teardown(() => obj.close());
    obj.selectProgram("xdp_counter");
    obj.load();
    return obj;
  });
  const [native, generic] = objects.map((obj) => obj.programHandle("xdp_counter"));
  const ids = [native!, generic!].map((prog) => programInfo(prog).id);
  /** What iproute2 reports for veth-b: { mode: id } of each attached program. */
  const ipLink = () => {
    const [link] = JSON.parse(execFileSync("ip", ["-n", lab.nsB, "-d", "-j", "link", "show", "dev", "veth-b"], { encoding: "utf8" })) as Array<{
      xdp?: { mode: number; prog?: { id: number } };
    }>;
    const mode = { 1: "native", 2: "generic", 3: "offload" }[link!.xdp?.mode ?? 0];
    return mode && link!.xdp!.prog ? [{ id: link!.xdp!.prog.id, mode }] : [];
  };
  const attached = () => inNetns(lab.nsB, () => xdpAttachedPrograms(ifNameToIndex("veth-b")));

  t.same(attached(), [], "nothing attached");
  t.same(ipLink(), []);
  inNetns(lab.nsB, () => xdpAttachProgram(native!, ifNameToIndex("veth-b"), "native"));
  t.same(attached(), [{ id: ids[0], mode: "native" }], "native, by netlink");
  t.same(attached(), ipLink());
  inNetns(lab.nsB, () => xdpDetachProgram(ifNameToIndex("veth-b"), "native"));
  inNetns(lab.nsB, () => xdpAttachProgram(generic!, ifNameToIndex("veth-b"), "generic"));
  t.same(attached(), [{ id: ids[1], mode: "generic" }], "generic, by netlink");
  t.same(attached(), ipLink());
  inNetns(lab.nsB, () => xdpDetachProgram(ifNameToIndex("veth-b"), "generic"));
  const link = inNetns(lab.nsB, () => createXdpLink(native!, ifNameToIndex("veth-b"), "native", "test"));
  t.same(attached(), [{ id: ids[0], mode: "native" }], "native, by a link");
  t.same(attached(), ipLink());
  link.close();
  t.ok(await eventually(() => attached().length === 0), "the link's last fd closed: nothing attached");

  const err = t.throws(() => inNetns(lab.nsB, () => linkAttributes(2 ** 31 - 1))) as NativeError;
  t.equal(err.message, "RTM_GETLINK(ifindex 2147483647): No such device (ENODEV)");
  t.same(
    inNetns(lab.nsB, () => xdpAttachedPrograms(2 ** 31 - 1)),
    [],
    "an interface that is gone runs none, as bpf_xdp_query said",
  );
});
