/**
 * src/reconcile/config: the config files (schemas/nfconfig.schema.json)
 * to a checked DesiredState, and map contents between text and bytes.
 */
export { loadConfig, loadConfigYielding, type LoadConfigOptions, type LoadConfigResult } from "./load.js";
export { describeFsError } from "./inputs.js";
export type { ObjectFallback } from "./objects.js";
export { BUNDLED_OBJECTS, objectRoots } from "./object-roots.js";
export { selectsHost, globMatches } from "./host-selector.js";
export { formatConfigError, formatPath, readable, type ConfigError, type ConfigErrorCode, type PathSegment } from "./errors.js";
export {
  encodeMapEntries,
  decodeMapEntry,
  isSettableMap,
  formatMapEntries,
  mapsDigest,
  type ConfigMapEntry,
  type EncodedMap,
  type MapValueProblem,
} from "./map-values.js";
export { proceedMask, defaultProceedOn } from "./verdicts.js";
export type { NetworkFunctionsConfig } from "./schema-types.js";
