/**
 * Attaching programs to network hooks.
 *
 * XDP and TCX attach through bpf_links: a link holds one program on one hook,
 * can be pinned (so it outlives the process) and can be switched to another
 * program atomically with bpf_link_update. Where the kernel lacks TCX
 * (before 6.6), TC falls back to a clsact qdisc and a cls_bpf filter that is
 * replaced in place by netlink.
 */
import { lazyFunc, libbpf } from "./libraries.js";
import { checkRet, isErrno } from "./errors.js";
import { AttachType, type TcDirection, type XdpMode } from "./constants.js";
import { ownHandle, type LinkHandle, type ProgramHandle } from "./handle.js";
import { IFLA_XDP, linkAttributes, nestedAttributes } from "./rtnetlink.js";

const linkCreate = lazyFunc(libbpf, "int bpf_link_create(int prog_fd, int target_fd, int attach_type, const void *opts)");
const linkUpdate = lazyFunc(libbpf, "int bpf_link_update(int link_fd, int new_prog_fd, const void *opts)");
const linkDetach = lazyFunc(libbpf, "int bpf_link_detach(int link_fd)");
const xdpAttach = lazyFunc(libbpf, "int bpf_xdp_attach(int ifindex, int prog_fd, uint32_t flags, const void *opts)");
const xdpDetach = lazyFunc(libbpf, "int bpf_xdp_detach(int ifindex, uint32_t flags, const void *opts)");
const progDetach2 = lazyFunc(libbpf, "int bpf_prog_detach2(int prog_fd, int target_fd, int type)");
const progAttach = lazyFunc(libbpf, "int bpf_prog_attach(int prog_fd, int attachable_fd, int type, unsigned int flags)");
const progQuery = lazyFunc(
  libbpf,
  "int bpf_prog_query(int target_fd, int type, uint32_t query_flags, void *attach_flags, _Out_ uint32_t *ids, _Inout_ uint32_t *count)",
);
const tcHookCreate = lazyFunc(libbpf, "int bpf_tc_hook_create(const void *hook)");
const tcAttach = lazyFunc(libbpf, "int bpf_tc_attach(const void *hook, _Inout_ uint8_t *opts)");
const tcDetach = lazyFunc(libbpf, "int bpf_tc_detach(const void *hook, const void *opts)");
const tcQuery = lazyFunc(libbpf, "int bpf_tc_query(const void *hook, _Inout_ uint8_t *opts)");

const XDP_FLAGS: Record<XdpMode, number> = { auto: 0, generic: 1 << 1, native: 1 << 2 };
/** XDP_FLAGS_SKB_MODE, _DRV_MODE, _HW_MODE: the mode a netlink-attached program is detached from. */
const XDP_ATTACHED_FLAGS: Record<XdpAttached["mode"], number> = { generic: 1 << 1, native: 1 << 2, offload: 1 << 3 };
const BPF_F_REPLACE = 1 << 2;

/** Attaches an XDP program through a new link; the caller pins or closes it. */
export function createXdpLink(prog: ProgramHandle, ifindex: number, mode: XdpMode, what: string): LinkHandle {
  const opts = Buffer.alloc(64);
  opts.writeBigUInt64LE(64n, 0);
  opts.writeUInt32LE(XDP_FLAGS[mode], 8);
  const where = `XDP (${mode}) on ifindex ${ifindex}, ${what}`;
  return ownHandle("link", checkRet(linkCreate(prog.fd, ifindex, AttachType.XDP, opts) as number, "bpf_link_create", where), `new link: ${where}`);
}

/** Attaches a TC program through a new TCX link (kernel 6.6+), last in the hook's list. */
export function createTcxLink(prog: ProgramHandle, ifindex: number, direction: TcDirection, what: string): LinkHandle {
  const type = direction === "ingress" ? AttachType.TCX_INGRESS : AttachType.TCX_EGRESS;
  const where = `TCX ${direction} on ifindex ${ifindex}, ${what}`;
  return ownHandle("link", checkRet(linkCreate(prog.fd, ifindex, type, null) as number, "bpf_link_create", where), `new link: ${where}`);
}

/**
 * Switches a link to another program in one step. With `expected` the
 * kernel refuses (EPERM) unless the link still runs that program, so a
 * concurrent change is never overwritten.
 */
export function updateLink(link: LinkHandle, prog: ProgramHandle, expected: ProgramHandle | undefined, what: string): void {
  const opts = Buffer.alloc(16);
  opts.writeBigUInt64LE(16n, 0);
  if (expected !== undefined) {
    opts.writeUInt32LE(BPF_F_REPLACE, 8);
    opts.writeUInt32LE(expected.fd, 12);
  }
  checkRet(linkUpdate(link.fd, prog.fd, opts) as number, "bpf_link_update", what);
}

/** Detaches a link from its hook even while other fds or pins hold it. */
export function detachLink(link: LinkHandle, what: string): void {
  checkRet(linkDetach(link.fd) as number, "bpf_link_detach", what);
}

/** An XDP program on an interface and the mode it runs in. */
export interface XdpAttached {
  id: number;
  mode: "native" | "generic" | "offload";
}

/**
 * IFLA_XDP_DRV_PROG_ID, _HW_PROG_ID and _SKB_PROG_ID: the kernel
 * (rtnl_xdp_fill) puts one in IFLA_XDP for each mode that runs a program.
 */
const XDP_MODE_PROGRAM_ATTRS = [
  [5, "native"],
  [7, "offload"],
  [6, "generic"],
] as const;

/**
 * Every XDP program attached to an interface, by link or by netlink, in any
 * mode: what bpf_xdp_query reports, read with a request for this interface
 * alone (see rtnetlink.ts). Like bpf_xdp_query, none for an interface that
 * is gone (removed since its index was looked up): the caller's next
 * observation finds it missing.
 */
export function xdpAttachedPrograms(ifindex: number): XdpAttached[] {
  let attributes: Map<number, Buffer>;
  try {
    attributes = linkAttributes(ifindex);
  } catch (err) {
    if (isErrno(err, "ENODEV")) return [];
    throw err;
  }
  const xdp = attributes.get(IFLA_XDP);
  if (xdp === undefined) return [];
  const attrs = nestedAttributes(xdp);
  return XDP_MODE_PROGRAM_ATTRS.flatMap(([type, mode]) => {
    const id = attrs.get(type)?.readUInt32LE(0) ?? 0;
    return id === 0 ? [] : [{ id, mode }];
  });
}

/** Attaches an XDP program by netlink, without a link, as tools before bpf_link did (ip link set ... xdp). */
export function xdpAttachProgram(prog: ProgramHandle, ifindex: number, mode: Exclude<XdpMode, "auto">): void {
  checkRet(xdpAttach(ifindex, prog.fd, XDP_FLAGS[mode], null) as number, "bpf_xdp_attach", `XDP (${mode}) on ifindex ${ifindex}`);
}

/** Detaches a netlink-attached (not link-based) XDP program in `mode`. */
export function xdpDetachProgram(ifindex: number, mode: XdpAttached["mode"]): void {
  checkRet(xdpDetach(ifindex, XDP_ATTACHED_FLAGS[mode], null) as number, "bpf_xdp_detach", `XDP (${mode}) on ifindex ${ifindex}`);
}

/** Detaches a program attached to a TCX hook without a link (BPF_PROG_ATTACH). */
export function tcxDetachProgram(prog: ProgramHandle, ifindex: number, direction: TcDirection): void {
  const type = direction === "ingress" ? AttachType.TCX_INGRESS : AttachType.TCX_EGRESS;
  checkRet(progDetach2(prog.fd, ifindex, type) as number, "bpf_prog_detach2", `TCX ${direction} on ifindex ${ifindex}`);
}

/** Attaches a program to a TCX hook without a link (BPF_PROG_ATTACH), last in run order. */
export function tcxAttachProgram(prog: ProgramHandle, ifindex: number, direction: TcDirection): void {
  const type = direction === "ingress" ? AttachType.TCX_INGRESS : AttachType.TCX_EGRESS;
  checkRet(progAttach(prog.fd, ifindex, type, 0) as number, "bpf_prog_attach", `TCX ${direction} on ifindex ${ifindex}`);
}

/** IDs of the programs attached to a TCX hook, in run order. */
export function tcxAttachedPrograms(ifindex: number, direction: TcDirection): number[] {
  const type = direction === "ingress" ? AttachType.TCX_INGRESS : AttachType.TCX_EGRESS;
  const ids = new Uint32Array(64);
  const count = [ids.length];
  checkRet(progQuery(ifindex, type, 0, null, ids, count) as number, "bpf_prog_query", `TCX ${direction} on ifindex ${ifindex}`);
  return Array.from(ids.subarray(0, count[0]));
}

/** clsact fallback: the filter nfctl owns sits at this handle and priority. */
const TC_HANDLE = 1;
const TC_PRIORITY = 1;
const BPF_TC_INGRESS = 1;
const BPF_TC_EGRESS = 2;
const BPF_TC_F_REPLACE = 1;

function tcHook(ifindex: number, direction: TcDirection): Buffer {
  const hook = Buffer.alloc(24);
  hook.writeBigUInt64LE(24n, 0);
  hook.writeInt32LE(ifindex, 8);
  hook.writeUInt32LE(direction === "ingress" ? BPF_TC_INGRESS : BPF_TC_EGRESS, 12);
  return hook;
}

/** struct bpf_tc_opts for nfctl's filter; `progFd` 0 where the call takes no program. */
function tcOpts(progFd: number, flags: number): Buffer {
  const opts = Buffer.alloc(32);
  opts.writeBigUInt64LE(32n, 0);
  opts.writeInt32LE(progFd, 8);
  opts.writeUInt32LE(flags, 12);
  opts.writeUInt32LE(TC_HANDLE, 20);
  opts.writeUInt32LE(TC_PRIORITY, 24);
  return opts;
}

/**
 * Attaches (or atomically replaces) nfctl's cls_bpf filter on a clsact
 * qdisc, creating the qdisc only when the interface has none.
 */
export function tcLegacyAttach(prog: ProgramHandle, ifindex: number, direction: TcDirection, what: string): void {
  const hook = tcHook(ifindex, direction);
  const attach = () => tcAttach(hook, tcOpts(prog.fd, BPF_TC_F_REPLACE)) as number;
  let ret = attach();
  if (ret === -22 /* EINVAL: no clsact qdisc yet */) {
    checkRet(tcHookCreate(hook) as number, "bpf_tc_hook_create", `clsact on ifindex ${ifindex}`);
    ret = attach();
  }
  checkRet(ret, "bpf_tc_attach", `tc ${direction} on ifindex ${ifindex}, ${what}`);
}

/** Removes nfctl's cls_bpf filter; the clsact qdisc stays for other users. */
export function tcLegacyDetach(ifindex: number, direction: TcDirection): void {
  const ret = tcDetach(tcHook(ifindex, direction), tcOpts(0, 0)) as number;
  if (ret === -2 /* ENOENT */) return;
  checkRet(ret, "bpf_tc_detach", `tc ${direction} on ifindex ${ifindex}`);
}

/** ID of the program in nfctl's cls_bpf filter, or undefined when absent. */
export function tcLegacyAttachedProgram(ifindex: number, direction: TcDirection): number | undefined {
  const opts = tcOpts(0, 0);
  const ret = tcQuery(tcHook(ifindex, direction), opts) as number;
  if (ret === -2 /* ENOENT */ || ret === -22 /* EINVAL: no clsact */) return undefined;
  checkRet(ret, "bpf_tc_query", `tc ${direction} on ifindex ${ifindex}`);
  return opts.readUInt32LE(16);
}
