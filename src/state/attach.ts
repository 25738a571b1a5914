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
  closeFd,
  withFd,
  updateLink,
  tcLegacyAttach,
  tcLegacyDetach,
  isErrno,
  type TcDirection,
  type XdpMode,
} from "../native/index.js";

export type Attachment = "link" | "tc-legacy";

function direction(addr: HookAddress): TcDirection {
  return addr.hook === "tc-ingress" ? "ingress" : "egress";
}

export interface CommitRequest {
  ifindex: number;
  /** The first program of the new generation: the one the hook runs. */
  progFd: number;
  /** XDP attach mode. */
  mode: XdpMode;
  /**
   * Pin of the program the hook must still run for the switch to happen
   * (the live generation's first program); undefined to switch whatever runs.
   */
  expectedProgPin?: string;
  /** "auto" uses the hook's link if it has one, else TCX, falling back to clsact. */
  attachment: Attachment | "auto";
}

/**
 * Points the hook at `req.progFd` in one step. Returns how the hook is
 * attached afterwards.
 */
export function commitToHook(root: string, addr: HookAddress, req: CommitRequest): Attachment {
  const linkPin = hookPaths(root, addr).link;
  if (req.attachment === "tc-legacy") {
    tcLegacyAttach(req.progFd, req.ifindex, direction(addr), `chain ${addr.ifname}/${addr.hook}`);
    return "tc-legacy";
  }
  if (existsSync(linkPin)) {
    withFd(openPinned(linkPin), (linkFd) => {
      if (req.expectedProgPin === undefined) return updateLink(linkFd, req.progFd, undefined, `link ${linkPin}`);
      return withFd(openPinned(req.expectedProgPin), (expectedFd) => updateLink(linkFd, req.progFd, expectedFd, `link ${linkPin}`));
    });
    return "link";
  }
  let linkFd: number;
  try {
    linkFd =
      addr.hook === "xdp"
        ? createXdpLink(req.progFd, req.ifindex, req.mode, `chain ${addr.ifname}/${addr.hook}`)
        : createTcxLink(req.progFd, req.ifindex, direction(addr), `chain ${addr.ifname}/${addr.hook}`);
  } catch (err) {
    if (addr.hook !== "xdp" && req.attachment === "auto" && isErrno(err, "EINVAL")) {
      return commitToHook(root, addr, { ...req, attachment: "tc-legacy" });
    }
    throw err;
  }
  try {
    pinObject(linkFd, linkPin);
  } catch (err) {
    detachLink(linkFd, `link for ${addr.ifname}/${addr.hook}`);
    throw err;
  } finally {
    closeFd(linkFd);
  }
  return "link";
}

/**
 * Takes the chain off the hook: detaches and unpins the link, or removes the
 * clsact filter. `ifindex` is undefined when the interface is gone (the
 * kernel has then detached everything already).
 */
export function detachFromHook(root: string, addr: HookAddress, attachment: Attachment, ifindex: number | undefined): void {
  const linkPin = hookPaths(root, addr).link;
  if (existsSync(linkPin)) {
    withFd(openPinned(linkPin), (linkFd) => {
      try {
        detachLink(linkFd, `link ${linkPin}`);
      } catch (err) {
        // A link whose interface vanished is already detached.
        if (!isErrno(err, "ENOLINK") && !isErrno(err, "EINVAL")) throw err;
      }
    });
    rmSync(linkPin);
  }
  if (attachment === "tc-legacy" && ifindex !== undefined) tcLegacyDetach(ifindex, direction(addr));
}
