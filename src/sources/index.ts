/**
 * src/sources: where desired state comes from. Each source yields a
 * Snapshot (the config inputs, a Flux-style revision, a digest) or throws a
 * SourceError; the watch loop (src/controller) reads one afresh per run.
 */
export { SourceError, type Snapshot, type SourceErrorReason } from "./snapshot.js";
export { directorySnapshot, watchPaths, type PathWatch, type WatchOptions } from "./directory.js";
export { DEFAULT_CACHE_DIR, DEFAULT_GIT_TIMEOUT_MS, gitSnapshot, validateGitRef, validateGitUrl, type GitSourceOptions } from "./git.js";
export { redactUrl } from "./git-url.js";
