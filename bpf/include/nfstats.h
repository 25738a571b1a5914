/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * nfstats.h - per-CPU packet/byte counters of the bundled NFs.
 *
 * Including this header defines the map `nf_stats` (PERCPU_ARRAY, key __u32,
 * value struct nf_counter, 2 entries):
 *   nf_stats[NF_STATS_SEEN]    = packets (and bytes) this NF saw
 *   nf_stats[NF_STATS_DROPPED] = packets (and bytes) this NF dropped
 * User space sums the per-CPU values.
 *
 * Define NF_STATS_NO_DEFAULT_MAP before including it to get only the type and
 * helpers, and declare your own maps with NF_STATS_MAP(name).
 */
#ifndef NFCTL_NFSTATS_H
#define NFCTL_NFSTATS_H

#ifndef __VMLINUX_H__ /* NFs built on a bpftool-generated vmlinux.h */
#include <linux/bpf.h>
#endif
#include <bpf/bpf_helpers.h>

struct nf_counter {
	__u64 packets;
	__u64 bytes;
};

enum {
	NF_STATS_SEEN = 0,
	NF_STATS_DROPPED = 1,
	NF_STATS_MAX = 2,
};

#define NF_STATS_MAP(name)                               \
	struct {                                         \
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); \
		__uint(max_entries, NF_STATS_MAX);       \
		__type(key, __u32);                      \
		__type(value, struct nf_counter);        \
	} name SEC(".maps")

static __always_inline void nf_stats_add_to(void *map, __u32 idx, __u64 bytes)
{
	struct nf_counter *c = bpf_map_lookup_elem(map, &idx);

	if (c) {
		/* per-CPU slot: no atomics needed */
		c->packets++;
		c->bytes += bytes;
	}
}

#ifndef NF_STATS_NO_DEFAULT_MAP
NF_STATS_MAP(nf_stats);

/* nf_stats_add(NF_STATS_SEEN, len); */
#define nf_stats_add(idx, bytes) nf_stats_add_to(&nf_stats, (idx), (bytes))
#endif

#endif /* NFCTL_NFSTATS_H */
