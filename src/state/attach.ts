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
  xdpDetachProgram,
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
      link = addr.hook === "xdp" ? createXdpLink(prog, req.ifindex, req.mode, what) : createTcxLink(prog, req.ifindex, direction(addr), what);
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

/**
 * Removes a program that another tool attached to the hook (nfctl --force):
 * detaches the links that hold it there, else the netlink or BPF_PROG_ATTACH
 * attachment itself.
 */
export function removeForeignProgram(addr: HookAddress, ifindex: number, progId: number): void {
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
  if (detached) return;
  if (addr.hook === "xdp") {
    for (const p of xdpAttachedPrograms(ifindex).filter((p) => p.id === progId)) xdpDetachProgram(ifindex, p.mode);
  } else {
    withHandle(openById("prog", progId), (prog) => tcxDetachProgram(prog, ifindex, direction(addr)));
  }
}
