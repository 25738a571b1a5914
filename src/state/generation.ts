/**
 * Generations: one complete, pinned instance of a hook's chain.
 *
 * buildGeneration loads every NF as a fresh program, reuses the hook's data
 * maps from their pins, gives each NF a new `nf_next`, wires them in order
 * and pins it all under gen-<N>. Nothing it does is visible to packets until
 * the generation is committed (attach.ts). If any step fails, everything it
 * made is unpinned again before the error propagates.
 *
 * A build holds no descriptor once it returns, and at most one object's
 * while it runs: the pins hold everything, so an apply over thousands of
 * NFs stays far below the process's file limit. A data map the new program
 * cannot reuse (another layout) is set aside by moving its pin (rename(2)
 * works on bpffs) to maps/@aside-<N>: discard() moves it back, finalize()
 * removes it once the generation is committed.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import { hookPaths, type Hook, type HookAddress } from "./layout.js";
import { removeTree } from "./bpffs.js";
import { openRecords } from "./records.js";
import { observeHook, setAsideMaps } from "./observe.js";
import {
  BpfObject,
  ProgramType,
  MapType,
  pinObject,
  openPinned,
  openById,
  withHandle,
  mapInfo,
  programInfo,
  programMapIds,
  setProgramSlot,
  isErrno,
  type MapSpec,
  type ProgramSpec,
  type LibbpfLogSink,
} from "../native/index.js";

/** The map by which an NF joins a chain (see bpf/include/nfchain.h). */
export const NEXT_MAP = "nf_next";
/** The .rodata constant that selects the verdicts an NF passes packets on after. */
export const PROCEED_MASK = "nf_proceed_mask";

export interface ObjectSummary {
  path: string;
  /** sha256 of the file, hex. */
  digest: string;
  programs: ProgramSpec[];
  maps: MapSpec[];
  /** Declares a one-slot program array named nf_next. */
  chainAware: boolean;
  /** Declares const volatile __u32 nf_proceed_mask in .rodata. */
  hasProceedMask: boolean;
}

/**
 * Opens an object file and reports what it holds, without loading it;
 * libbpf's messages go to `options.log`.
 */
export function inspectObject(path: string, options: { log?: LibbpfLogSink } = {}): ObjectSummary {
  const obj = BpfObject.open(path, options);
  try {
    const maps = obj.maps();
    const next = maps.find((m) => m.name === NEXT_MAP);
    return {
      path,
      digest: fileDigest(path),
      programs: obj.programs(),
      maps,
      chainAware: next !== undefined && next.type === MapType.PROG_ARRAY && next.maxEntries >= 1,
      hasProceedMask: obj.hasConstant(PROCEED_MASK),
    };
  } finally {
    obj.close();
  }
}

export function fileDigest(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

/** The program type a hook runs. */
export function programTypeOf(hook: Hook): number {
  return hook === "xdp" ? ProgramType.XDP : ProgramType.SCHED_CLS;
}

export interface NfInstance {
  /** The NF's name in the chain; names its data maps. */
  name: string;
  /** Absolute path of the ELF object. */
  object: string;
  /**
   * The object's contents, loaded instead of reading `object` again: the
   * executor gives the bytes whose digest it checked. Read from `object`
   * when absent (a caller that checks nothing, such as a benchmark).
   */
  bytes?: Buffer;
  program: string;
  /** Written to nf_proceed_mask before load; undefined leaves the object's default. */
  proceedMask?: number;
}

/** One NF of a built generation, by pin and kernel ID: a build holds no descriptor. */
export interface BuiltNf {
  name: string;
  progId: number;
  progPin: string;
}

/** A built, pinned, not yet committed generation. */
export interface BuiltGeneration {
  number: number;
  nfs: BuiltNf[];
  /**
   * Once the generation is committed: removes the data maps its build set
   * aside, whose contents are then not wanted back. Idempotent.
   */
  finalize(): void;
  /** Undoes the build: unpins all it made and pins set-aside data maps back. */
  discard(): void;
}

/** What a build changed in bpffs outside its own generation directory. */
interface DataMapChanges {
  /** Data map pins that did not exist before. */
  created: string[];
  /** Incompatible data maps, moved from their pins to pins under maps/@aside-<N>. */
  setAside: Array<{ pin: string; aside: string }>;
}

/** Maps that live and die with one program instance rather than with the hook. */
function isInstanceMap(map: MapSpec): boolean {
  return map.internal && (map.name.endsWith(".rodata") || map.name.endsWith(".kconfig"));
}

/** Whether libbpf can reuse the map pinned at `pin` for `spec` (its own checks). */
function reusable(pin: string, spec: MapSpec): boolean {
  const info = withHandle(openPinned("map", pin), mapInfo);
  return (
    info.type === spec.type &&
    info.keySize === spec.keySize &&
    info.valueSize === spec.valueSize &&
    info.maxEntries === spec.maxEntries &&
    info.flags === spec.flags
  );
}

/** Moves a pin within bpffs (rename(2) works there), creating the target's directory. */
function movePin(from: string, to: string): void {
  mkdirSync(dirname(to), { recursive: true });
  renameSync(from, to);
}

/**
 * Loads one NF of generation `generation` and pins its program (libbpf pins
 * its maps); its object, and every descriptor with it, is closed before
 * this returns.
 */
function loadNf(
  root: string,
  addr: HookAddress,
  generation: number,
  position: number,
  nf: NfInstance,
  changes: DataMapChanges,
  log: LibbpfLogSink | undefined,
): { built: BuiltNf; nextPin?: string } {
  const paths = hookPaths(root, addr);
  const nfPaths = paths.generation(generation).nf(position, nf.name);
  const obj = BpfObject.openBytes(nf.bytes ?? readFileSync(nf.object), nf.object, log ? { log } : {});
  try {
    obj.selectProgram(nf.program);
    let spec = obj.programs().find((p) => p.name === nf.program)!;
    if (spec.type === 0 /* BPF_PROG_TYPE_UNSPEC: a section name libbpf does not know */) {
      obj.setProgramType(nf.program, programTypeOf(addr.hook));
      spec = { ...spec, type: programTypeOf(addr.hook) };
    }
    if (spec.type !== programTypeOf(addr.hook)) {
      throw new Error(
        `NF "${nf.name}": program ${nf.program} in ${nf.object} (section "${spec.section}") cannot run on the ${addr.hook} hook; it needs ${addr.hook === "xdp" ? 'an XDP program (SEC("xdp"))' : 'a TC program (SEC("tc"))'}`,
      );
    }
    if (nf.proceedMask !== undefined) obj.setConstant(PROCEED_MASK, nf.proceedMask);
    let chainAware = false;
    mkdirSync(nfPaths.dir, { recursive: true });
    mkdirSync(paths.dataMaps(nf.name), { recursive: true });
    for (const map of obj.maps()) {
      if (map.name === NEXT_MAP) {
        chainAware = true;
        obj.setPinPath(map.name, nfPaths.next);
      } else if (isInstanceMap(map)) {
        obj.setPinPath(map.name, null);
      } else {
        const pin = paths.dataMap(nf.name, map.name);
        if (existsSync(pin) && !reusable(pin, map)) {
          const aside = paths.setAsideMap(generation, nf.name, map.name);
          movePin(pin, aside);
          changes.setAside.push({ pin, aside });
        }
        if (!existsSync(pin)) changes.created.push(pin);
        obj.setPinPath(map.name, pin);
      }
    }
    obj.load();
    const prog = obj.programHandle(nf.program);
    pinObject(prog, nfPaths.prog);
    const built = { name: nf.name, progId: programInfo(prog).id, progPin: nfPaths.prog };
    return chainAware ? { built, nextPin: nfPaths.next } : { built };
  } finally {
    obj.close();
  }
}

export interface BuildOptions {
  /** Called after each step that changes bpffs or the kernel. */
  onStep?: (label: string) => void;
  /** Receives libbpf's messages while the NFs' objects are opened and loaded. */
  log?: LibbpfLogSink;
}

/**
 * Loads, wires and pins generation `number` of a hook, one NF's object
 * open at a time, and returns holding no descriptor: the pins keep
 * everything alive (an unpinned nf_next would be emptied by the kernel).
 * On failure, undoes what it did (see BuiltGeneration.discard) and
 * rethrows.
 *
 * @example
 *     const built = buildGeneration(root, addr, 3, nfs, { log });
 *     commitToHook(root, addr, { ifindex, program: { pin: built.nfs[0].progPin }, mode: "auto", attachment: "auto" });
 *     built.finalize();
 */
export function buildGeneration(root: string, addr: HookAddress, number: number, nfs: NfInstance[], options: BuildOptions = {}): BuiltGeneration {
  const step = options.onStep ?? (() => undefined);
  const paths = hookPaths(root, addr);
  const genDir = paths.generation(number).dir;
  if (existsSync(genDir)) throw new Error(`${genDir} already exists; refusing to overwrite a generation`);
  settleSetAside(root, addr);
  const changes: DataMapChanges = { created: [], setAside: [] };
  const finalize = () => {
    removeTree(paths.setAsideDir(number));
    changes.setAside = [];
  };
  const discard = () => {
    removeTree(genDir);
    for (const pin of changes.created) rmSync(pin, { force: true });
    for (const { pin, aside } of changes.setAside) movePin(aside, pin);
    finalize();
  };
  try {
    const loaded = nfs.map((nf, position) => {
      const result = loadNf(root, addr, number, position, nf, changes, options.log);
      step(`loaded and pinned ${nf.name} of generation ${number}`);
      return result;
    });
    for (let i = 0; i + 1 < loaded.length; i++) {
      const nextPin = loaded[i]!.nextPin;
      if (nextPin === undefined) {
        throw new Error(`NF "${nfs[i]!.name}" has no ${NEXT_MAP} map, so it can only be the last NF of a chain`);
      }
      try {
        withHandle(openPinned("map", nextPin), (next) =>
          withHandle(openPinned("prog", loaded[i + 1]!.built.progPin), (prog) => setProgramSlot(next, 0, prog, `${NEXT_MAP} of NF "${nfs[i]!.name}"`)),
        );
      } catch (err) {
        if (!isErrno(err, "EINVAL")) throw err;
        throw new Error(
          `NF "${nfs[i]!.name}" cannot pass packets on to NF "${nfs[i + 1]!.name}": the kernel refused to chain them (${(err as Error).message}). Chained NFs need the same program type, expected attach type and XDP frags setting`,
        );
      }
    }
    step(`wired generation ${number}`);
    return { number, nfs: loaded.map((l) => l.built), finalize, discard };
  } catch (err) {
    discard();
    throw err;
  }
}

/**
 * Puts back, or removes, the data maps that an interrupted run left set
 * aside. A build sets aside the maps it cannot reuse until its generation
 * is committed (they are garbage then) or discarded (they go back). A
 * crash in between leaves them: a map the live chain still uses goes back
 * to its pin (the build's replacement, which only the unfinished
 * generation uses, is unpinned); the others are removed.
 */
function settleSetAside(root: string, addr: HookAddress): void {
  const leftovers = setAsideMaps(root, addr);
  if (leftovers.length === 0) return;
  const used = liveMapIds(root, addr);
  const paths = hookPaths(root, addr);
  for (const m of leftovers) {
    if (used.has(withHandle(openPinned("map", m.pin), mapInfo).id)) movePin(m.pin, paths.dataMap(m.nf, m.map));
  }
  for (const generation of new Set(leftovers.map((m) => m.generation))) removeTree(paths.setAsideDir(generation));
}

/** IDs of the maps the programs of the hook's live generation use. */
function liveMapIds(root: string, addr: HookAddress): Set<number> {
  const records = openRecords(root, { create: false });
  try {
    const live = observeHook(root, addr, records).live;
    const progIds = live?.nfs.flatMap((nf) => (nf.progId === undefined ? [] : [nf.progId])) ?? [];
    return new Set(progIds.flatMap((id) => withHandle(openById("prog", id), programMapIds)));
  } finally {
    records?.close();
  }
}

/**
 * Unpins a generation; programs and nf_next maps nothing else holds are
 * freed. Data maps an interrupted build left set aside are settled too
 * (see settleSetAside), so removing a stale generation undoes its build.
 */
export function removeGeneration(root: string, addr: HookAddress, number: number): void {
  removeTree(hookPaths(root, addr).generation(number).dir);
  settleSetAside(root, addr);
}
