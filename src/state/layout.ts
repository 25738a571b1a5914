/**
 * Where nfctl pins things under its bpffs root. Pure path arithmetic:
 *
 *     <root>/<netns-ino>/<ifname>/<hook>/link
 *     <root>/<netns-ino>/<ifname>/<hook>/gen-<N>/<pos>-<nf>/{prog,next}
 *     <root>/<netns-ino>/<ifname>/<hook>/maps/<nf>/<map>
 *     <root>/<netns-ino>/<ifname>/<hook>/maps/@aside-<N>/<nf>/<map>
 *     <root>/records
 *
 * bpffs refuses names containing "." (reserved by the kernel), yet interface
 * names ("eth0.100") and libbpf's map names ("counter.bss") may contain one,
 * so every name component is escaped: bytes outside [A-Za-z0-9_-] become %XX.
 *
 * maps/@aside-<N> holds the data maps that the build of generation N could
 * not reuse, until N is committed or discarded (see generation.ts). "@" is
 * legal on bpffs but never in an escaped name, so no NF's maps can be there.
 *
 * @example
 *     const paths = hookPaths("/sys/fs/bpf/nfctl", { netns: 4026531840, ifname: "eth1", hook: "xdp" });
 *     paths.generation(3).nf(0, "blocklist").prog
 *     // "/sys/fs/bpf/nfctl/4026531840/eth1/xdp/gen-3/0-blocklist/prog"
 */
import { join } from "node:path";

export const HOOKS = ["xdp", "tc-ingress", "tc-egress"] as const;
export type Hook = (typeof HOOKS)[number];

/** One hook of one interface in one network namespace. */
export interface HookAddress {
  /** Inode number of the network namespace (stat /proc/self/ns/net). */
  netns: number;
  ifname: string;
  hook: Hook;
}

/** Orders hooks by interface name, then xdp, tc-ingress, tc-egress: the order nfctl shows them in. */
export function compareHooks(a: { ifname: string; hook: Hook }, b: { ifname: string; hook: Hook }): number {
  if (a.ifname !== b.ifname) return a.ifname < b.ifname ? -1 : 1;
  return HOOKS.indexOf(a.hook) - HOOKS.indexOf(b.hook);
}

export function isHook(name: string): name is Hook {
  return (HOOKS as readonly string[]).includes(name);
}

/** Escapes a name for use as one bpffs path component. */
export function encodeName(name: string): string {
  if (name === "") throw new Error("empty name cannot be a bpffs path component");
  let out = "";
  for (const byte of Buffer.from(name, "utf8")) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9_-]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

export function decodeName(component: string): string {
  return decodeURIComponent(component);
}

export interface NfPaths {
  dir: string;
  prog: string;
  next: string;
}

export interface GenerationPaths {
  dir: string;
  nf(position: number, name: string): NfPaths;
}

export interface HookPaths {
  dir: string;
  link: string;
  maps: string;
  generation(n: number): GenerationPaths;
  /** Directory of one NF's data maps, shared by every generation of the hook. */
  dataMaps(nf: string): string;
  dataMap(nf: string, map: string): string;
  /** Where the build of generation n keeps the data maps it set aside. */
  setAsideDir(n: number): string;
  setAsideMap(n: number, nf: string, map: string): string;
}

export function netnsDir(root: string, netns: number): string {
  return join(root, String(netns));
}

export function hookPaths(root: string, addr: HookAddress): HookPaths {
  const dir = join(netnsDir(root, addr.netns), encodeName(addr.ifname), addr.hook);
  const maps = join(dir, "maps");
  return {
    dir,
    link: join(dir, "link"),
    maps,
    generation(n) {
      const genDir = join(dir, generationDirName(n));
      return {
        dir: genDir,
        nf(position, name) {
          const nfDir = join(genDir, `${position}-${encodeName(name)}`);
          return { dir: nfDir, prog: join(nfDir, "prog"), next: join(nfDir, "next") };
        },
      };
    },
    dataMaps: (nf) => join(maps, encodeName(nf)),
    dataMap: (nf, map) => join(maps, encodeName(nf), encodeName(map)),
    setAsideDir: (n) => join(maps, setAsideDirName(n)),
    setAsideMap: (n, nf, map) => join(maps, setAsideDirName(n), encodeName(nf), encodeName(map)),
  };
}

export function recordsPath(root: string): string {
  return join(root, "records");
}

export function generationDirName(n: number): string {
  return `gen-${n}`;
}

/** The generation number of a "gen-<N>" directory, or undefined for other names. */
export function parseGenerationDirName(name: string): number | undefined {
  const m = /^gen-(\d+)$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

export function setAsideDirName(n: number): string {
  return `@aside-${n}`;
}

/** The generation number of an "@aside-<N>" directory, or undefined for other names. */
export function parseSetAsideDirName(name: string): number | undefined {
  const m = /^@aside-(\d+)$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** Position and NF name of a "<pos>-<nf>" directory, or undefined for other names. */
export function parseNfDirName(name: string): { position: number; name: string } | undefined {
  const m = /^(\d+)-(.+)$/.exec(name);
  return m ? { position: Number(m[1]), name: decodeName(m[2]!) } : undefined;
}

/** The records-map key of one generation of one hook. */
export function recordKey(addr: HookAddress, generation: number): string {
  return `${addr.netns}/${addr.ifname}/${addr.hook}/${generationDirName(generation)}`;
}
