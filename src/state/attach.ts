/**
 * Committing a generation to its hook, and detaching a hook.
 *
 * XDP and TCX chains hang off a pinned bpf_link: the first commit creates and
 * pins it, every later commit is one bpf_link_update, so packets see the old
 * chain or the new one and never a mix. Without TCX (kernels before 6.6), TC
 * chains use a clsact cls_bpf filter that netlink replaces in place.
 */
import { existsSync, rmSync } from "node:fs";
import { hookPaths, type HookAddress } from "./layout.js";
import {
  createTcxLink,
  createXdpLink,
  detachLink,
  openPinned,
  pinObject,
  withHandle,
  updateLink,
  tcLegacyAttach,
  tcLegacyDetach,
  isErrno,
  listIds,
  linkInfo,
  LinkType,
  openById,
  xdpAttachedPrograms,
  xdpAttachProgram,
  xdpDetachProgram,
  tcxAttachProgram,
  tcxDetachProgram,
  type LinkHandle,
  type ProgramHandle,
  type TcDirection,
  type XdpMode,
} from "../native/index.js";

export type Attachment = "link" | "tc-legacy";

function direction(addr: HookAddress): TcDirection {
  return addr.hook === "tc-ingress" ? "ingress" : "egress";
}

/** A program named by its pin; opened only for the call that needs it. */
export interface ProgramPin {
  pin: string;
}

function withProgram<T>(ref: ProgramPin, fn: (prog: ProgramHandle) => T): T {
  return withHandle(openPinned("prog", ref.pin), fn);
}

export interface CommitRequest {
  ifindex: number;
  /** The program the hook is to run: the first NF of a generation. */
  program: ProgramPin;
  /** XDP attach mode. */
  mode: XdpMode;
  /**
   * The program the hook must still run for the switch to happen (the
   * generation being replaced); undefined to switch whatever runs.
   */
  expected?: ProgramPin;
  /** "auto" uses the hook's link if it has one, else TCX, falling back to clsact. */
  attachment: Attachment | "auto";
}

/**
 * Points the hook at `req.program` in one step. Returns how the hook is
 * attached afterwards.
 */
export function commitToHook(root: string, addr: HookAddress, req: CommitRequest): Attachment {
  const linkPin = hookPaths(root, addr).link;
  const what = `chain ${addr.ifname}/${addr.hook}`;
  return withProgram(req.program, (prog): Attachment => {
    if (req.attachment === "tc-legacy") {
      tcLegacyAttach(prog, req.ifindex, direction(addr), what);
      return "tc-legacy";
    }
    if (existsSync(linkPin)) {
      withHandle(openPinned("link", linkPin), (link) => {
        if (req.expected === undefined) return updateLink(link, prog, undefined, `link ${linkPin}`);
        return withProgram(req.expected, (expected) => updateLink(link, prog, expected, `link ${linkPin}`));
      });
      return "link";
    }
    let link: LinkHandle;
    try {
      link = addr.hook === "xdp" ? createXdpLinkWhenFree(prog, req.ifindex, req.mode, what) : createTcxLink(prog, req.ifindex, direction(addr), what);
    } catch (err) {
      if (addr.hook !== "xdp" && req.attachment === "auto" && isErrno(err, "EINVAL")) {
        tcLegacyAttach(prog, req.ifindex, direction(addr), what);
        return "tc-legacy";
      }
      throw err;
    }
    try {
      pinObject(link, linkPin);
    } catch (err) {
      detachLink(link, `link for ${addr.ifname}/${addr.hook}`);
      throw err;
    } finally {
      link.close();
    }
    return "link";
  });
}

/** How long a new XDP link waits for a released link to leave the hook. */
const LINK_RELEASE_WAIT_MS = 2000;
const LINK_RELEASE_POLL_MS = 10;

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Creates an XDP link, waiting for the hook to become free if it is busy.
 * The kernel frees a link whose last pin and fd are gone asynchronously,
 * so right after nfctl's link pin was removed (by hand, or by a detach)
 * the hook can still be held by it for a moment. A program of another tool
 * was refused by the plan already; one that does not leave within the wait
 * ends in the kernel's EBUSY.
 */
function createXdpLinkWhenFree(prog: ProgramHandle, ifindex: number, mode: XdpMode, what: string): LinkHandle {
  const deadline = Date.now() + LINK_RELEASE_WAIT_MS;
  for (;;) {
    try {
      return createXdpLink(prog, ifindex, mode, what);
    } catch (err) {
      if (!isErrno(err, "EBUSY") || Date.now() >= deadline) throw err;
      sleepSync(LINK_RELEASE_POLL_MS);
    }
  }
}

/**
 * Takes the chain off the hook: detaches and unpins the link, or removes the
 * clsact filter. `ifindex` is undefined when the interface is gone (the
 * kernel has then detached everything already).
 */
export function detachFromHook(root: string, addr: HookAddress, attachment: Attachment, ifindex: number | undefined): void {
  const linkPin = hookPaths(root, addr).link;
  if (existsSync(linkPin)) {
    withHandle(openPinned("link", linkPin), (link) => {
      try {
        detachLink(link, `link ${linkPin}`);
      } catch (err) {
        // A link whose interface vanished is already detached.
        if (!isErrno(err, "ENOLINK") && !isErrno(err, "EINVAL")) throw err;
      }
    });
    rmSync(linkPin);
  }
  if (attachment === "tc-legacy" && ifindex !== undefined) tcLegacyDetach(ifindex, direction(addr));
}

/** A foreign program removed from a hook, and how to put it back. */
export interface RemovedProgram {
  progId: number;
  /**
   * How it was attached: a netlink XDP attachment or a TCX program
   * attachment can be made again; another tool's bpf_link cannot (a
   * detached link is defunct for good).
   */
  via: "link" | "netlink" | "tcx";
  /** Attaches it again as it was; throws for a link. */
  restore(): void;
  /** Closes the descriptor kept for restore(). */
  release(): void;
}

/**
 * Removes a program that another tool attached to the hook (nfctl --force):
 * detaches the links that hold it there, else the netlink or BPF_PROG_ATTACH
 * attachment itself. The program is kept open until release(), so that
 * restore() can attach it again after a failed apply.
 */
export function removeForeignProgram(addr: HookAddress, ifindex: number, progId: number): RemovedProgram {
  let detached = false;
  for (const id of listIds("link")) {
    withHandle(openById("link", id), (link) => {
      const info = linkInfo(link);
      if ((info.type === LinkType.XDP || info.type === LinkType.TCX) && info.progId === progId && info.ifindex === ifindex) {
        detachLink(link, `link ${id} of program ${progId}`);
        detached = true;
      }
    });
  }
  const none = () => undefined;
  if (detached) {
    return {
      progId,
      via: "link",
      restore() {
        throw new Error(`program ${progId} was attached by another tool's bpf_link, which cannot be attached again once detached`);
      },
      release: none,
    };
  }
  const prog = openById("prog", progId);
  let open = true;
  const release = () => {
    if (open) prog.close();
    open = false;
  };
  try {
    if (addr.hook === "xdp") {
      const attached = xdpAttachedPrograms(ifindex).filter((p) => p.id === progId);
      for (const p of attached) xdpDetachProgram(ifindex, p.mode);
      const mode = attached[0]?.mode === "native" ? "native" : "generic";
      return { progId, via: "netlink", restore: () => xdpAttachProgram(prog, ifindex, mode), release };
    }
    tcxDetachProgram(prog, ifindex, direction(addr));
    return { progId, via: "tcx", restore: () => tcxAttachProgram(prog, ifindex, direction(addr)), release };
  } catch (err) {
    release();
    throw err;
  }
}
