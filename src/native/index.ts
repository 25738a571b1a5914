/**
 * src/native: the only part of nfctl that knows about pointers and errno.
 * Everything above it calls libbpf and libc through these functions, and
 * holds kernel objects by owned handles (handle.ts), never by bare fds.
 * Importing it loads no native code: koffi and the libraries are loaded by
 * the first call that needs them (see libraries.ts).
 */
export * from "./constants.js";
export { NativeError, describeErrno, isErrno } from "./errors.js";
export { LibraryError, libbpfVersion, libbpfFile } from "./libraries.js";
export { type LibbpfLogSink } from "./libbpf-log.js";
export { ifNameToIndex, findIfIndex, openFileLock, isBpffs, mountBpffs, enterNetns, trimCHeap, type FileLock } from "./libc.js";
export { BpfObject, type ProgramSpec, type MapSpec } from "./object.js";
export {
  pinObject,
  openPinned,
  findPinned,
  openById,
  withHandle,
  listIds,
  openHandleCount,
  type Handle,
  type ProgramHandle,
  type MapHandle,
  type LinkHandle,
} from "./handle.js";
export {
  lookup,
  update,
  remove,
  keys,
  createMap,
  possibleCpus,
  perCpuValueSize,
  setProgramSlot,
  programInSlot,
  clearProgramSlot,
  type MapDefinition,
} from "./maps.js";
export {
  createXdpLink,
  createTcxLink,
  updateLink,
  detachLink,
  xdpAttachedPrograms,
  xdpAttachProgram,
  xdpDetachProgram,
  tcxAttachProgram,
  tcxDetachProgram,
  tcxAttachedPrograms,
  tcLegacyAttach,
  tcLegacyDetach,
  tcLegacyAttachedProgram,
  type XdpAttached,
} from "./links.js";
export { programInfo, programMapIds, mapInfo, linkInfo, type ProgramInfo, type MapInfo, type LinkInfo } from "./info.js";
export { testRun, type TestRunResult } from "./test-run.js";
