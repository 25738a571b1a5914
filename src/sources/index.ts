/**
 * src/sources: where desired state comes from. Each source yields a
 * Snapshot (the config inputs, a Flux-style revision, a digest) or throws a
 * SourceError; the watch loop (src/controller) reads one afresh per run.
 */
export * from "./snapshot.js";
export * from "./directory.js";
export * from "./git.js";
