/**
 * src/state: nfctl's state in bpffs. The layout, the generation records,
 * the state's lineage and serial, building and committing generations, and
 * observing the kernel.
 */
export * from "./layout.js";
export * from "./bpffs.js";
export * from "./records.js";
export * from "./lineage.js";
export * from "./generation.js";
export * from "./attach.js";
export * from "./observe.js";
export * from "./drift.js";
// What the layers above need of the native layer, so that they talk to this one only.
export { NativeError, LibraryError, findIfIndex, MapType, type MapSpec, type ProgramSpec, type XdpMode, type LibbpfLogSink } from "../native/index.js";
export * from "./data-maps.js";
export * from "./interfaces.js";
export * from "./capabilities.js";
export * from "./code-source.js";
