/**
 * BPF ELF objects: open a file, inspect its programs and maps, prepare it
 * (which program loads, .rodata constants, map pin paths), load it into the
 * kernel and lend out handles to the resulting descriptors.
 *
 * A BpfObject owns libbpf's `struct bpf_object` and every fd libbpf opened
 * for it; close() releases them. The handles it lends out are borrowed:
 * closing one does nothing, and using one after close() throws. Pinned
 * programs and maps outlive close(). An open BpfObject counts as one in
 * openHandleCount().
 * libbpf's messages while it opens and loads the object go to the sink
 * given to open(), and nowhere without one.
 *
 * @example
 *     const obj = BpfObject.open("bpf/build/counter.o", { log: sink });
 *     try {
 *       obj.selectProgram("xdp_counter");
 *       obj.setConstant("nf_proceed_mask", 1 << 2);
 *       obj.setPinPath("nf_stats", "/sys/fs/bpf/demo/nf_stats");
 *       obj.load();
 *       pinObject(obj.programHandle("xdp_counter"), "/sys/fs/bpf/demo/prog");
 *     } finally {
 *       obj.close();
 *     }
 */
import { basename } from "node:path";
import { koffi, lazyFunc, libbpf } from "./libraries.js";
import { NativeError, checkRet } from "./errors.js";
import { AttachType, ProgramType } from "./constants.js";
import { withLibbpfLog, type LibbpfLogSink } from "./libbpf-log.js";
import { borrowHandle, countOpen, type MapHandle, type ProgramHandle } from "./handle.js";

const openFile = lazyFunc(libbpf, "bpf_object *bpf_object__open_file(const char *path, void *opts)");
const openMem = lazyFunc(libbpf, "bpf_object *bpf_object__open_mem(const void *obj_buf, size_t obj_buf_sz, const bpf_object_open_opts *opts)");
const objectLoad = lazyFunc(libbpf, "int bpf_object__load(bpf_object *obj)");
const objectClose = lazyFunc(libbpf, "void bpf_object__close(bpf_object *obj)");
const objectBtf = lazyFunc(libbpf, "btf *bpf_object__btf(bpf_object *obj)");
const nextProgram = lazyFunc(libbpf, "bpf_program *bpf_object__next_program(bpf_object *obj, bpf_program *prev)");
const nextMap = lazyFunc(libbpf, "bpf_map *bpf_object__next_map(bpf_object *obj, bpf_map *prev)");

const programName = lazyFunc(libbpf, "const char *bpf_program__name(bpf_program *prog)");
const programSection = lazyFunc(libbpf, "const char *bpf_program__section_name(bpf_program *prog)");
const programType = lazyFunc(libbpf, "int bpf_program__type(bpf_program *prog)");
const programSetType = lazyFunc(libbpf, "int bpf_program__set_type(bpf_program *prog, int type)");
const programSetExpectedAttachType = lazyFunc(libbpf, "int bpf_program__set_expected_attach_type(bpf_program *prog, int type)");
const programSetAutoload = lazyFunc(libbpf, "int bpf_program__set_autoload(bpf_program *prog, bool autoload)");
const programSetLogBuf = lazyFunc(libbpf, "int bpf_program__set_log_buf(bpf_program *prog, void *buf, size_t size)");
const programFd = lazyFunc(libbpf, "int bpf_program__fd(bpf_program *prog)");

const mapName = lazyFunc(libbpf, "const char *bpf_map__name(bpf_map *map)");
const mapType = lazyFunc(libbpf, "int bpf_map__type(bpf_map *map)");
const mapKeySize = lazyFunc(libbpf, "uint32_t bpf_map__key_size(bpf_map *map)");
const mapValueSize = lazyFunc(libbpf, "uint32_t bpf_map__value_size(bpf_map *map)");
const mapMaxEntries = lazyFunc(libbpf, "uint32_t bpf_map__max_entries(bpf_map *map)");
const mapFlags = lazyFunc(libbpf, "uint32_t bpf_map__map_flags(bpf_map *map)");
const mapIsInternal = lazyFunc(libbpf, "bool bpf_map__is_internal(bpf_map *map)");
const mapSetPinPath = lazyFunc(libbpf, "int bpf_map__set_pin_path(bpf_map *map, const char *path)");
const mapInitialValue = lazyFunc(libbpf, "void *bpf_map__initial_value(bpf_map *map, _Out_ size_t *size)");
const mapFd = lazyFunc(libbpf, "int bpf_map__fd(bpf_map *map)");

const btfFindByNameKind = lazyFunc(libbpf, "int btf__find_by_name_kind(btf *btf, const char *name, uint32_t kind)");
const btfTypeById = lazyFunc(libbpf, "void *btf__type_by_id(btf *btf, uint32_t id)");

const BTF_KIND_VAR = 14;
const BTF_KIND_DATASEC = 15;

export interface ProgramSpec {
  name: string;
  section: string;
  type: number;
}

export interface MapSpec {
  name: string;
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  /** libbpf-made maps for global data: .rodata, .data, .bss, .kconfig. */
  internal: boolean;
}

/** Room for the verifier's log of a failed load; the kernel keeps its tail. */
const VERIFIER_LOG_SIZE = 4 * 1024 * 1024;

type Pointer = unknown;

/**
 * The head of libbpf's struct bpf_object_open_opts, up to object_name: sz
 * tells libbpf how much of the struct the caller knows, and it takes every
 * later field as unset (OPTS_GET).
 */
let openOpts: unknown;
function declareOpenOpts(): void {
  openOpts ??= koffi().struct("bpf_object_open_opts", { sz: "size_t", object_name: "const char *" });
}

export class BpfObject {
  /** null once closed. */
  private ptr: Pointer;
  private logBuffers = new Map<string, Buffer>();
  private selected: string | undefined;
  private readonly countClosed = countOpen();

  private constructor(
    readonly path: string,
    ptr: Pointer,
    private readonly log: LibbpfLogSink | undefined,
    /** The ELF an object opened from memory was parsed from: libbpf reads it until load() has finished, so it lives as long as the object. */
    readonly bytes?: Buffer,
  ) {
    this.ptr = ptr;
  }

  /**
   * Parses an ELF file; nothing reaches the kernel until load(). `log`
   * receives libbpf's messages of this object's open and load.
   */
  static open(path: string, options: { log?: LibbpfLogSink } = {}): BpfObject {
    const ptr = withLibbpfLog(options.log, () => openFile(path, null));
    if (!ptr) throw new NativeError("bpf_object__open_file", path, koffi().errno());
    return new BpfObject(path, ptr, options.log);
  }

  /**
   * Parses an ELF held in memory, as open() parses a file: the bytes given
   * are the bytes loaded, whatever happens to the file they were read from
   * since. `path` names the object in errors and messages, and its base
   * name, up to the first dot, names the object to libbpf (its internal
   * maps), as open() does.
   *
   * @example
   *     const bytes = readFileSync("bpf/build/counter.o"); // hashed, checked...
   *     const obj = BpfObject.openBytes(bytes, "bpf/build/counter.o");
   */
  static openBytes(bytes: Buffer, path: string, options: { log?: LibbpfLogSink } = {}): BpfObject {
    declareOpenOpts();
    const name = basename(path).split(".")[0] || "object";
    const ptr = withLibbpfLog(options.log, () => openMem(bytes, bytes.length, { sz: koffi().sizeof("bpf_object_open_opts"), object_name: name }));
    if (!ptr) throw new NativeError("bpf_object__open_mem", path, koffi().errno());
    return new BpfObject(path, ptr, options.log, bytes);
  }

  programs(): ProgramSpec[] {
    return this.programPointers().map(([name, prog]) => ({
      name,
      section: programSection(prog) as string,
      type: programType(prog) as number,
    }));
  }

  maps(): MapSpec[] {
    return this.mapPointers().map(([name, map]) => ({
      name,
      type: mapType(map) as number,
      keySize: mapKeySize(map) as number,
      valueSize: mapValueSize(map) as number,
      maxEntries: mapMaxEntries(map) as number,
      flags: mapFlags(map) as number,
      internal: mapIsInternal(map) as boolean,
    }));
  }

  /**
   * Loads only `name` of the object's programs, with its verifier log
   * captured for the error should the load fail.
   */
  selectProgram(name: string): void {
    const programs = this.programPointers();
    if (!programs.some(([n]) => n === name)) {
      const have = programs.map(([n]) => n).join(", ") || "none";
      throw new Error(`${this.path} has no program named "${name}" (it has: ${have})`);
    }
    for (const [n, prog] of programs) {
      checkRet(programSetAutoload(prog, n === name) as number, "bpf_program__set_autoload", `${this.path}:${n}`);
    }
    const log = Buffer.alloc(VERIFIER_LOG_SIZE);
    checkRet(programSetLogBuf(this.programPointer(name), log, log.length) as number, "bpf_program__set_log_buf", `${this.path}:${name}`);
    this.logBuffers.set(name, log);
    this.selected = name;
  }

  /**
   * Sets the type of a program whose section name libbpf did not recognise.
   * XDP programs also get the XDP expected attach type, which the kernel
   * requires to match across programs chained by tail calls.
   */
  setProgramType(name: string, type: number): void {
    const prog = this.programPointer(name);
    checkRet(programSetType(prog, type) as number, "bpf_program__set_type", `${this.path}:${name}`);
    if (type === ProgramType.XDP) {
      checkRet(programSetExpectedAttachType(prog, AttachType.XDP) as number, "bpf_program__set_expected_attach_type", `${this.path}:${name}`);
    }
  }

  /** True when the object declares a `const volatile` variable `name` in .rodata. */
  hasConstant(name: string): boolean {
    return this.constantLocation(name) !== undefined;
  }

  /**
   * Sets a 32-bit `const volatile` variable in .rodata before load, so the
   * verifier sees a constant and prunes the branches that depend on it.
   */
  setConstant(name: string, value: number): void {
    const location = this.constantLocation(name);
    if (!location) throw new Error(`${this.path} has no const volatile variable "${name}" in .rodata`);
    if (location.size !== 4) throw new Error(`${this.path}: "${name}" is ${location.size} bytes, expected a __u32`);
    const size = [0];
    const data = mapInitialValue(location.map, size);
    if (!data) throw new Error(`${this.path}: .rodata has no initial value to set "${name}" in`);
    new DataView(koffi().view(data, size[0]!)).setUint32(location.offset, value >>> 0, true);
  }

  /**
   * Where libbpf pins `mapName` at load time, or null for no pin. An existing
   * compatible pin is reused instead of creating the map (this is how data
   * maps outlive generations); a new map is pinned there after creation.
   */
  setPinPath(mapName: string, path: string | null): void {
    checkRet(mapSetPinPath(this.mapPointer(mapName), path) as number, "bpf_map__set_pin_path", `${this.path}:${mapName} -> ${path}`);
  }

  /** Creates the maps and loads the selected program into the kernel. */
  load(): void {
    const ret = withLibbpfLog(this.log, () => objectLoad(this.handle())) as number;
    if (ret < 0) {
      const log = this.selected ? this.logBuffers.get(this.selected) : undefined;
      const text = log ? log.toString("utf8", 0, Math.max(0, log.indexOf(0))).trim() : "";
      const what = this.selected ? `${this.path}, program ${this.selected}` : this.path;
      throw new NativeError("bpf_object__load", what, -ret, text || undefined);
    }
    this.logBuffers.clear();
  }

  /** The loaded program, borrowed from this object: valid until close(). */
  programHandle(name: string): ProgramHandle {
    const fd = checkRet(programFd(this.programPointer(name)) as number, "bpf_program__fd", `${this.path}:${name}`);
    return borrowHandle("prog", fd, `${this.path}:${name}`, () => this.ptr !== null);
  }

  /** The map, borrowed from this object: valid until close(). */
  mapHandle(name: string): MapHandle {
    const fd = checkRet(mapFd(this.mapPointer(name)) as number, "bpf_map__fd", `${this.path}:${name}`);
    return borrowHandle("map", fd, `${this.path}:${name}`, () => this.ptr !== null);
  }

  /** Releases libbpf's object and the fds it holds; its borrowed handles refuse use after. Idempotent. */
  close(): void {
    if (this.ptr) objectClose(this.ptr);
    this.ptr = null;
    this.logBuffers.clear();
    this.countClosed();
  }

  private handle(): Pointer {
    if (!this.ptr) throw new Error(`${this.path}: BPF object used after close()`);
    return this.ptr;
  }

  private programPointers(): Array<[string, Pointer]> {
    const out: Array<[string, Pointer]> = [];
    for (let prog = nextProgram(this.handle(), null); prog; prog = nextProgram(this.handle(), prog)) {
      out.push([programName(prog) as string, prog]);
    }
    return out;
  }

  private mapPointers(): Array<[string, Pointer]> {
    const out: Array<[string, Pointer]> = [];
    for (let map = nextMap(this.handle(), null); map; map = nextMap(this.handle(), map)) {
      out.push([mapName(map) as string, map]);
    }
    return out;
  }

  private programPointer(name: string): Pointer {
    const found = this.programPointers().find(([n]) => n === name);
    if (!found) throw new Error(`${this.path} has no program named "${name}"`);
    return found[1];
  }

  private mapPointer(name: string): Pointer {
    const found = this.mapPointers().find(([n]) => n === name);
    if (!found) throw new Error(`${this.path} has no map named "${name}"`);
    return found[1];
  }

  /** Finds a variable's offset in the .rodata section through the object's BTF. */
  private constantLocation(name: string): { map: Pointer; offset: number; size: number } | undefined {
    const btf = objectBtf(this.handle());
    if (!btf) return undefined;
    const varId = btfFindByNameKind(btf, name, BTF_KIND_VAR) as number;
    const secId = btfFindByNameKind(btf, ".rodata", BTF_KIND_DATASEC) as number;
    if (varId < 0 || secId < 0) return undefined;
    // struct btf_type { u32 name_off; u32 info; u32 size; } then vlen x
    // struct btf_var_secinfo { u32 type; u32 offset; u32 size; }
    const header = new Uint32Array(koffi().view(btfTypeById(btf, secId), 12));
    const vlen = header[1]! & 0xffff;
    const entries = new Uint32Array(koffi().view(btfTypeById(btf, secId), 12 + 12 * vlen), 12, 3 * vlen);
    for (let i = 0; i < vlen; i++) {
      if (entries[3 * i] !== varId) continue;
      const rodata = this.mapPointers().find(([n, m]) => (mapIsInternal(m) as boolean) && n.endsWith(".rodata"));
      if (!rodata) return undefined;
      return { map: rodata[1], offset: entries[3 * i + 1]!, size: entries[3 * i + 2]! };
    }
    return undefined;
  }
}
