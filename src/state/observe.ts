/**
 * Reads the kernel back into an ObservedState: for each hook nfctl manages
 * in this network namespace, what is attached, which generation is live, how
 * its NFs are really wired, and every way that disagrees with what nfctl
 * made (drift).
 *
 * The kernel is the truth. The live generation is the one whose first
 * program is the program the hook runs; records only explain it.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import {
  compareHooks,
  hookPaths,
  netnsDir,
  decodeName,
  isHook,
  parseGenerationDirName,
  parseNfDirName,
  parseSetAsideDirName,
  recordKey,
  type HookAddress,
} from "./layout.js";
import { listDirs } from "./bpffs.js";
import { openRecords, type GenerationRecord, type RecordStore } from "./records.js";
import { readStateMeta, type StateMeta } from "./lineage.js";
import type { Attachment } from "./attach.js";
import type { Drift, ForeignProgram } from "./drift.js";
import {
  findIfIndex,
  findPinned,
  openById,
  withHandle,
  programInfo,
  programInSlot,
  linkInfo,
  xdpAttachedPrograms,
  tcxAttachedPrograms,
  tcLegacyAttachedProgram,
} from "../native/index.js";

export interface ObservedNf {
  position: number;
  name: string;
  /** Undefined when the program's pin is gone. */
  progId?: number;
  progName?: string;
  tag?: string;
  /** Whether the NF has an nf_next pin (chain-unaware NFs have none). */
  hasNext: boolean;
  /** The program ID in slot 0 of its nf_next; undefined when empty. */
  nextProgId?: number;
}

export interface ObservedGeneration {
  number: number;
  nfs: ObservedNf[];
  record?: GenerationRecord;
}

/**
 * A data map that the build of a generation set aside because it could not
 * reuse it (see generation.ts). Only an interrupted run leaves one; the
 * next build or removal of a generation on the hook settles it.
 */
export interface SetAsideMap {
  /** The generation whose build set it aside. */
  generation: number;
  nf: string;
  map: string;
  pin: string;
}

export interface ObservedHook {
  address: HookAddress;
  /** Undefined when the interface does not exist. */
  ifindex?: number;
  attachment?: Attachment;
  /** nfctl's link, when it has one pinned. */
  link?: { id: number; progId: number; ifindex: number };
  /** The program nfctl's link or filter runs. */
  attachedProgId?: number;
  live?: ObservedGeneration;
  /** Generations that are not live: left over by an interrupted run. */
  stale: ObservedGeneration[];
  /** Programs on the hook that nfctl did not put there. */
  foreign: ForeignProgram[];
  /** Data maps an interrupted build left set aside. */
  setAside: SetAsideMap[];
  drift: Drift[];
}

export interface ObservedState {
  root: string;
  netns: number;
  hooks: ObservedHook[];
  /** The state's lineage and serial; absent before the first apply. */
  state?: StateMeta;
}

function programSummary(path: string): { id: number; name: string; tag: string } | undefined {
  const prog = findPinned("prog", path);
  return prog && withHandle(prog, programInfo);
}

function programName(id: number): string {
  try {
    return withHandle(openById("prog", id), (prog) => programInfo(prog).name);
  } catch {
    return "?";
  }
}

function readGeneration(root: string, addr: HookAddress, number: number, records: RecordStore | undefined): ObservedGeneration {
  const dir = hookPaths(root, addr).generation(number).dir;
  const nfs: ObservedNf[] = [];
  for (const entry of listDirs(dir)) {
    const parsed = parseNfDirName(entry);
    if (!parsed) continue;
    const prog = programSummary(join(dir, entry, "prog"));
    const nextPin = join(dir, entry, "next");
    const next = findPinned("map", nextPin);
    const hasNext = next !== undefined;
    const nextProgId = next && withHandle(next, (map) => programInSlot(map, 0, nextPin));
    nfs.push({
      position: parsed.position,
      name: parsed.name,
      ...(prog && { progId: prog.id, progName: prog.name, tag: prog.tag }),
      hasNext,
      ...(nextProgId !== undefined && { nextProgId }),
    });
  }
  nfs.sort((a, b) => a.position - b.position);
  const record = records?.get(recordKey(addr, number));
  return record ? { number, nfs, record } : { number, nfs };
}

function wiringDrift(gen: ObservedGeneration): Drift[] {
  const drift: Drift[] = [];
  gen.nfs.forEach((nf, i) => {
    const next = gen.nfs[i + 1];
    if (nf.progId === undefined) {
      drift.push({ kind: "program-missing", nf: nf.name, position: i });
    }
    const want = next?.progId;
    if (nf.hasNext && nf.nextProgId !== want) {
      drift.push({
        kind: "wiring",
        nf: nf.name,
        ...(nf.nextProgId !== undefined && { holds: nf.nextProgId }),
        ...(want !== undefined && { expected: want, expectedNf: next!.name }),
      });
    }
  });
  return drift;
}

function recordDrift(gen: ObservedGeneration, ifindex: number | undefined): Drift[] {
  if (!gen.record) return [{ kind: "record-missing", generation: gen.number }];
  const pinned = gen.nfs.map((n) => n.name);
  const recorded = gen.record.nfs.map((n) => n.name);
  if (pinned.join("\0") !== recorded.join("\0")) return [{ kind: "record-mismatch", generation: gen.number, pinned, recorded }];
  if (ifindex !== undefined && gen.record.ifindex !== ifindex) {
    return [{ kind: "interface-recreated", generation: gen.number, recordedIfindex: gen.record.ifindex, ifindex }];
  }
  return [];
}

/**
 * The programs on the hook that are not nfctl's. nfctl's own are the one
 * its link or filter runs, and the first program of any of the hook's
 * generations, by pin or by record: the kernel releases a link whose last
 * pin and fd are gone asynchronously, so for a moment after its pin is
 * removed the hook still runs nfctl's program with no link pin to account
 * for it. That program is nfctl's vanishing link, not another tool's.
 */
function foreignPrograms(addr: HookAddress, ifindex: number, ours: ReadonlySet<number>): ForeignProgram[] {
  const ids =
    addr.hook === "xdp" ? xdpAttachedPrograms(ifindex).map((p) => p.id) : tcxAttachedPrograms(ifindex, addr.hook === "tc-ingress" ? "ingress" : "egress");
  return ids.filter((id) => !ours.has(id)).map((id) => ({ id, name: programName(id) }));
}

function ownProgramIds(attached: number | undefined, generations: ObservedGeneration[]): Set<number> {
  const ids = new Set<number>();
  if (attached !== undefined) ids.add(attached);
  for (const g of generations) {
    const first = g.nfs[0]?.progId ?? g.record?.nfs[0]?.progId;
    if (first !== undefined) ids.add(first);
  }
  return ids;
}

/** The data maps set aside under the hook's maps directory, by generation. */
export function setAsideMaps(root: string, addr: HookAddress): SetAsideMap[] {
  const paths = hookPaths(root, addr);
  return listDirs(paths.maps).flatMap((entry) => {
    const generation = parseSetAsideDirName(entry);
    if (generation === undefined) return [];
    return listDirs(paths.setAsideDir(generation)).flatMap((nfDir) =>
      readdirSync(join(paths.setAsideDir(generation), nfDir), { withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => {
          const nf = decodeName(nfDir);
          const map = decodeName(e.name);
          return { generation, nf, map, pin: paths.setAsideMap(generation, nf, map) };
        }),
    );
  });
}

/** Observes one hook; works for a hook nfctl has never touched, too. */
export function observeHook(root: string, addr: HookAddress, records?: RecordStore): ObservedHook {
  const paths = hookPaths(root, addr);
  const ifindex = findIfIndex(addr.ifname);
  const generations = listDirs(paths.dir)
    .map(parseGenerationDirName)
    .filter((n): n is number => n !== undefined)
    .sort((a, b) => a - b)
    .map((n) => readGeneration(root, addr, n, records));

  const hook: ObservedHook = { address: addr, stale: [], foreign: [], setAside: setAsideMaps(root, addr), drift: [] };
  if (ifindex !== undefined) hook.ifindex = ifindex;

  const link = findPinned("link", paths.link);
  if (link) {
    const info = withHandle(link, linkInfo);
    hook.attachment = "link";
    hook.link = { id: info.id, progId: info.progId, ifindex: info.ifindex };
    hook.attachedProgId = info.progId;
    if (info.ifindex === 0) {
      hook.drift.push({ kind: "link-defunct", linkId: info.id, ifname: addr.ifname });
    }
  } else if (generations.some((g) => g.record?.attachment === "tc-legacy")) {
    hook.attachment = "tc-legacy";
    const id = ifindex === undefined ? undefined : tcLegacyAttachedProgram(ifindex, addr.hook === "tc-ingress" ? "ingress" : "egress");
    if (id !== undefined) hook.attachedProgId = id;
  }

  const live = generations.find((g) => g.nfs[0]?.progId !== undefined && g.nfs[0].progId === hook.attachedProgId);
  if (live) hook.live = live;
  hook.stale = generations.filter((g) => g !== live);

  if (generations.length > 0 && ifindex === undefined) {
    hook.drift.push({ kind: "interface-missing", ifname: addr.ifname });
  }
  if (generations.length > 0 && hook.attachedProgId === undefined && ifindex !== undefined) {
    hook.drift.push({ kind: "link-missing", ifname: addr.ifname, hook: addr.hook });
  }
  if (hook.attachedProgId !== undefined && !live) {
    hook.drift.push({
      kind: "unknown-program-attached",
      attachment: hook.attachment!,
      progId: hook.attachedProgId,
      progName: programName(hook.attachedProgId),
    });
  }
  if (live) hook.drift.push(...wiringDrift(live), ...recordDrift(live, ifindex));
  if (ifindex !== undefined) {
    hook.foreign = foreignPrograms(addr, ifindex, ownProgramIds(hook.attachedProgId, generations));
    for (const program of hook.foreign) hook.drift.push({ kind: "foreign-program", program, ifname: addr.ifname, hook: addr.hook });
  }
  return hook;
}

/** Every hook nfctl manages in the calling process's network namespace. */
export function observe(root: string, netns: number): ObservedState {
  const records = existsSync(root) ? openRecords(root, { create: false }) : undefined;
  try {
    const hooks: ObservedHook[] = [];
    for (const ifdir of listDirs(netnsDir(root, netns))) {
      for (const hook of listDirs(join(netnsDir(root, netns), ifdir))) {
        if (isHook(hook)) hooks.push(observeHook(root, { netns, ifname: decodeName(ifdir), hook }, records));
      }
    }
    hooks.sort((a, b) => compareHooks(a.address, b.address));
    const state = readStateMeta(records);
    return state ? { root, netns, hooks, state } : { root, netns, hooks };
  } finally {
    records?.close();
  }
}
