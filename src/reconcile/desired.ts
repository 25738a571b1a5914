/**
 * DesiredState: what the configuration asks for, resolved and checked —
 * object paths made absolute, objects opened (not loaded) and hashed,
 * proceed-on masks computed, map contents encoded to the bytes the kernel
 * will hold. The planner compares it with the ObservedState.
 */
import type { CodeOrigin, Hook, MapEntry, MapSpec, XdpMode } from "../state/index.js";

/** Where something was written: for messages that point at the config. */
export interface SourceLocation {
  /** File path as given (or "<stdin>"). */
  file: string;
  /** 1-based; 0 when unknown. */
  line: number;
  column: number;
}

export interface DesiredMap {
  name: string;
  /** The map as the object declares it. */
  spec: MapSpec;
  /** Exact contents, encoded, sorted by key bytes. */
  entries: MapEntry[];
  source: SourceLocation;
}

export interface DesiredNf {
  name: string;
  /** Absolute path of the ELF object (for an artifact or an image: the object in the cache). */
  object: string;
  /** sha256 of the object file, hex. */
  digest: string;
  /** The artifact or image the object came from; absent for an `object:` NF. */
  origin?: CodeOrigin;
  program: string;
  /** The object has a one-slot nf_next program array: the NF can pass packets on. */
  chainAware: boolean;
  version?: string;
  /** Verdict names as configured; undefined when not configured. */
  proceedOn?: string[];
  /** nf_proceed_mask to set; undefined for objects without that constant. */
  proceedMask?: number;
  /** Contents of the maps the config sets, by map name. */
  maps: DesiredMap[];
  /** sha256 over the configured map contents (names, keys, values), hex. */
  mapsDigest: string;
  /** false keeps the NF in the file but out of the kernel. */
  enabled: boolean;
  source: SourceLocation;
}

export interface DesiredHook {
  ifname: string;
  hook: Hook;
  /** XDP attach mode (xdp hook only). */
  mode?: XdpMode;
  /** In chain order, disabled NFs included. */
  chain: DesiredNf[];
  source: SourceLocation;
}

export interface DesiredState {
  /** Every config file read, in order. */
  files: string[];
  hooks: DesiredHook[];
  /** Where the config came from, recorded with each generation. */
  source?: { path?: string; revision?: string };
  /** Some document has a host selector: which host the config was loaded for decides what it configures. */
  selectsHosts?: true;
}

/** Nothing at all: what destroy converges on. */
export const EMPTY_DESIRED: DesiredState = { files: [], hooks: [] };
