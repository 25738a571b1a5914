/**
 * src/native: the only part of nfctl that knows about pointers and errno.
 * Everything above it calls libbpf and libc through these functions.
 */
export { NativeError, describeErrno, isErrno } from "./errors.js";
export { libbpfVersion } from "./libraries.js";
export { routeLibbpfLog, type LibbpfLogSink } from "./libbpf-log.js";
export { ifNameToIndex, findIfIndex, flock, isBpffs, mountBpffs, enterNetns, LOCK_EX, LOCK_NB, LOCK_UN } from "./libc.js";
export { BpfObject, ProgramType, MapType, type ProgramSpec, type MapSpec } from "./object.js";
export { pinObject, openPinned, openById, listIds, closeFd, withFd, type ObjectKind } from "./fd.js";
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
  UpdateFlags,
  MapFlags,
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
  AttachType,
  LinkType,
  type XdpMode,
  type TcDirection,
  type XdpAttached,
} from "./links.js";
export { programInfo, programMapIds, mapInfo, linkInfo, type ProgramInfo, type MapInfo, type LinkInfo } from "./info.js";
export { testRun, type TestRunResult } from "./test-run.js";
