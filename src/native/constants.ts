/**
 * The kernel's numbers that nfctl names: program, map, attach and link
 * types, flags, modes. Pure data that imports nothing, so that code which
 * only needs a name for a number (the planner, the config checks, the
 * bpffs layout) loads neither koffi nor libbpf.
 */

/** The kinds of kernel object a descriptor or a pin can refer to. */
export type ObjectKind = "prog" | "map" | "link";

/** Program types nfctl deals in (enum bpf_prog_type). */
export const ProgramType = { SCHED_CLS: 3, XDP: 6 } as const;

/** Map types nfctl refers to by name (enum bpf_map_type). */
export const MapType = {
  HASH: 1,
  ARRAY: 2,
  PROG_ARRAY: 3,
  PERCPU_HASH: 5,
  PERCPU_ARRAY: 6,
  LRU_HASH: 9,
  LRU_PERCPU_HASH: 10,
  LPM_TRIE: 11,
} as const;

/** map_flags of bpf_map_create. */
export const MapFlags = { NO_PREALLOC: 1 } as const;

/** Flags of bpf_map_update_elem. */
export const UpdateFlags = { ANY: 0, NOEXIST: 1, EXIST: 2 } as const;

/** enum bpf_attach_type values (TCX postdates the system headers). */
export const AttachType = { XDP: 37, TCX_INGRESS: 46, TCX_EGRESS: 47 } as const;

/** enum bpf_link_type values. */
export const LinkType = { XDP: 6, TCX: 11 } as const;

export type XdpMode = "native" | "generic" | "auto";
export type TcDirection = "ingress" | "egress";
