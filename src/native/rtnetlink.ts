/**
 * One interface's attributes from rtnetlink: an RTM_GETLINK request for
 * that interface alone, in the calling thread's network namespace.
 *
 * libbpf's bpf_xdp_query asks the kernel to dump every link of the
 * namespace and keeps the one it wants, so observing the XDP hooks of N
 * interfaces read N x N links (2 ms a query among 200 veths). A request
 * that names the interface reads one.
 *
 * @example
 *     const attrs = linkAttributes(7);
 *     const xdp = attrs.get(IFLA_XDP); // nested: nestedAttributes(xdp)
 */
import { closeSync } from "node:fs";
import { constants } from "node:os";
import { koffi, lazyFunc, libc } from "./libraries.js";
import { NativeError } from "./errors.js";

const socketFn = lazyFunc(libc, "int socket(int domain, int type, int protocol)");
const sendFn = lazyFunc(libc, "long send(int fd, const uint8_t *buf, size_t len, int flags)");
const recvFn = lazyFunc(libc, "long recv(int fd, _Out_ uint8_t *buf, size_t len, int flags)");

const AF_NETLINK = 16;
const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0o2000000;
const NETLINK_ROUTE = 0;
const NLM_F_REQUEST = 1;
const NLMSG_ERROR = 2;
const RTM_NEWLINK = 16;
const RTM_GETLINK = 18;
const IFLA_EXT_MASK = 29;
/** RTEXT_FILTER_SKIP_STATS: the reply leaves out the interface's statistics. */
const RTEXT_FILTER_SKIP_STATS = 1 << 3;
const NLMSG_HDRLEN = 16;
const IFINFOMSG_LEN = 16;
/** The type bits of an attribute, without NLA_F_NESTED and NLA_F_NET_BYTEORDER. */
const NLA_TYPE_MASK = 0x3fff;
const { EINTR } = constants.errno;
/** A link's reply without statistics is a few kilobytes. */
const REPLY_MAX = 64 * 1024;

/** IFLA_XDP: the interface's XDP programs, a nest of IFLA_XDP_* attributes. */
export const IFLA_XDP = 43;

function fail(call: string, ifindex: number, errno: number): never {
  throw new NativeError(call, `ifindex ${ifindex}`, errno);
}

/** Retries a call that a signal interrupted (EINTR); a negative result otherwise throws. */
function retrying(call: string, ifindex: number, fn: () => number): number {
  for (;;) {
    const ret = fn();
    if (ret >= 0) return ret;
    const errno = koffi().errno();
    if (errno !== EINTR) fail(call, ifindex, errno);
  }
}

/** The attributes in `buf` (type -> payload); a type that repeats keeps its first. */
export function nestedAttributes(buf: Buffer): Map<number, Buffer> {
  const attrs = new Map<number, Buffer>();
  for (let offset = 0; offset + 4 <= buf.length;) {
    const len = buf.readUInt16LE(offset);
    if (len < 4 || offset + len > buf.length) break;
    const type = buf.readUInt16LE(offset + 2) & NLA_TYPE_MASK;
    if (!attrs.has(type)) attrs.set(type, buf.subarray(offset + 4, offset + len));
    offset += (len + 3) & ~3;
  }
  return attrs;
}

/** The IFLA_* attributes of the interface `ifindex`; throws NativeError (ENODEV when there is none). */
export function linkAttributes(ifindex: number): Map<number, Buffer> {
  const request = Buffer.alloc(NLMSG_HDRLEN + IFINFOMSG_LEN + 8);
  request.writeUInt32LE(request.length, 0);
  request.writeUInt16LE(RTM_GETLINK, 4);
  request.writeUInt16LE(NLM_F_REQUEST, 6);
  request.writeUInt32LE(1, 8);
  request.writeInt32LE(ifindex, NLMSG_HDRLEN + 4);
  const attr = NLMSG_HDRLEN + IFINFOMSG_LEN;
  request.writeUInt16LE(8, attr);
  request.writeUInt16LE(IFLA_EXT_MASK, attr + 2);
  request.writeUInt32LE(RTEXT_FILTER_SKIP_STATS, attr + 4);

  const fd = retrying("netlink socket", ifindex, () => socketFn(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE) as number);
  try {
    retrying("netlink send", ifindex, () => Number(sendFn(fd, request, request.length, 0)));
    const reply = Buffer.allocUnsafe(REPLY_MAX);
    const len = retrying("netlink recv", ifindex, () => Number(recvFn(fd, reply, REPLY_MAX, 0)));
    if (len < NLMSG_HDRLEN) throw new Error(`RTM_GETLINK of ifindex ${ifindex}: the kernel's reply is ${len} bytes, shorter than a message header`);
    const type = reply.readUInt16LE(4);
    // NLMSG_ERROR carries the negative errno, e.g. -ENODEV for no such interface.
    if (type === NLMSG_ERROR) fail("RTM_GETLINK", ifindex, -reply.readInt32LE(NLMSG_HDRLEN));
    if (type !== RTM_NEWLINK) throw new Error(`RTM_GETLINK of ifindex ${ifindex}: the kernel answered with message type ${type}, not RTM_NEWLINK`);
    const end = Math.min(len, reply.readUInt32LE(0));
    return nestedAttributes(reply.subarray(NLMSG_HDRLEN + IFINFOMSG_LEN, end));
  } finally {
    closeSync(fd);
  }
}
