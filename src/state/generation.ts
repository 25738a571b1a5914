/**
 * Generations: one complete, pinned instance of a hook's chain.
 *
 * buildGeneration loads every NF as a fresh program, reuses the hook's data
 * maps from their pins, gives each NF a new `nf_next`, wires them in order
 * and pins it all under gen-<N>. Nothing it does is visible to packets until
 * the generation is committed (attach.ts). If any step fails, everything it
 * made is unpinned again before the error propagates.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, unlinkSync } from "node:fs";
import { hookPaths, type Hook, type HookAddress } from "./layout.js";
import { removeTree } from "./bpffs.js";
import {
  BpfObject,
  ProgramType,
  MapType,
  pinObject,
  openPinned,
  closeFd,
  mapInfo,
  programInfo,
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
  program: string;
  /** Written to nf_proceed_mask before load; undefined leaves the object's default. */
  proceedMask?: number;
}

export interface LoadedNf {
  name: string;
  progFd: number;
  progId: number;
}

/** A built, pinned, not yet committed generation. */
export interface BuiltGeneration {
  number: number;
  nfs: LoadedNf[];
  /** Releases its fds once committed; the pins stay. */
  close(): void;
  /** Undoes the build: unpins all it made and restores set-aside data maps. */
  discard(): void;
}

/** What a build changed in bpffs outside its own generation directory. */
interface DataMapChanges {
  /** Data map pins that did not exist before. */
  created: string[];
  /** Incompatible data maps whose pins were removed; the fd keeps each map. */
  setAside: Array<{ pin: string; fd: number }>;
}

/** Maps that live and die with one program instance rather than with the hook. */
function isInstanceMap(map: MapSpec): boolean {
  return map.internal && (map.name.endsWith(".rodata") || map.name.endsWith(".kconfig"));
}

/** Whether libbpf can reuse the map pinned at `pin` for `spec` (its own checks). */
function reusable(pin: string, spec: MapSpec): boolean {
  const fd = openPinned(pin);
  try {
    const info = mapInfo(fd);
    return info.type === spec.type && info.keySize === spec.keySize && info.valueSize === spec.valueSize && info.maxEntries === spec.maxEntries && info.flags === spec.flags;
  } finally {
    closeFd(fd);
  }
}

function loadNf(root: string, addr: HookAddress, generation: number, position: number, nf: NfInstance, changes: DataMapChanges, log: LibbpfLogSink | undefined): { obj: BpfObject; loaded: LoadedNf; nextFd?: number } {
  const paths = hookPaths(root, addr);
  const nfPaths = paths.generation(generation).nf(position, nf.name);
  const obj = BpfObject.open(nf.object, { log });
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
          changes.setAside.push({ pin, fd: openPinned(pin) });
          unlinkSync(pin);
        }
        if (!existsSync(pin)) changes.created.push(pin);
        obj.setPinPath(map.name, pin);
      }
    }
    obj.load();
    const progFd = obj.programFd(nf.program);
    pinObject(progFd, nfPaths.prog);
    const loaded = { name: nf.name, progFd, progId: programInfo(progFd).id };
    return chainAware ? { obj, loaded, nextFd: obj.mapFd(NEXT_MAP) } : { obj, loaded };
  } catch (err) {
    obj.close();
    throw err;
  }
}

export interface BuildOptions {
  /** Called after each step that changes bpffs or the kernel. */
  onStep?: (label: string) => void;
  /** Receives libbpf's messages while the NFs' objects are opened and loaded. */
  log?: LibbpfLogSink;
}

/**
 * Loads, wires and pins generation `number` of a hook. On failure, undoes
 * what it did (see BuiltGeneration.discard) and rethrows.
 */
export function buildGeneration(root: string, addr: HookAddress, number: number, nfs: NfInstance[], options: BuildOptions = {}): BuiltGeneration {
  const step = options.onStep ?? (() => undefined);
  const genDir = hookPaths(root, addr).generation(number).dir;
  if (existsSync(genDir)) throw new Error(`${genDir} already exists; refusing to overwrite a generation`);
  const objects: BpfObject[] = [];
  const changes: DataMapChanges = { created: [], setAside: [] };
  const close = () => {
    objects.forEach((o) => o.close());
    changes.setAside.forEach(({ fd }) => closeFd(fd));
    changes.setAside = [];
  };
  const discard = () => {
    objects.forEach((o) => o.close());
    removeTree(genDir);
    for (const pin of changes.created) rmSync(pin, { force: true });
    for (const { pin, fd } of changes.setAside) {
      pinObject(fd, pin);
      closeFd(fd);
    }
    changes.setAside = [];
  };
  try {
    const loaded = nfs.map((nf, position) => {
      const result = loadNf(root, addr, number, position, nf, changes, options.log);
      objects.push(result.obj);
      step(`loaded and pinned ${nf.name} of generation ${number}`);
      return result;
    });
    for (let i = 0; i + 1 < loaded.length; i++) {
      const nextFd = loaded[i]!.nextFd;
      if (nextFd === undefined) {
        throw new Error(`NF "${nfs[i]!.name}" has no ${NEXT_MAP} map, so it can only be the last NF of a chain`);
      }
      try {
        setProgramSlot(nextFd, 0, loaded[i + 1]!.loaded.progFd, `${NEXT_MAP} of NF "${nfs[i]!.name}"`);
      } catch (err) {
        if (!isErrno(err, "EINVAL")) throw err;
        throw new Error(
          `NF "${nfs[i]!.name}" cannot pass packets on to NF "${nfs[i + 1]!.name}": the kernel refused to chain them (${(err as Error).message}). Chained NFs need the same program type, expected attach type and XDP frags setting`,
        );
      }
    }
    step(`wired generation ${number}`);
    return { number, nfs: loaded.map((l) => l.loaded), close, discard };
  } catch (err) {
    discard();
    throw err;
  }
}

/** Unpins a generation; programs and nf_next maps nothing else holds are freed. */
export function removeGeneration(root: string, addr: HookAddress, number: number): void {
  removeTree(hookPaths(root, addr).generation(number).dir);
}
