// SPDX-License-Identifier: GPL-2.0
/*
 * Test fixture: a counter whose nf_stats has 4 entries instead of 2, so its
 * map cannot reuse a pinned nf_stats of ../counter.c. Used to test upgrades
 * that change a data map's layout. Same programs, built from that very file.
 */
#define NF_STATS_NO_DEFAULT_MAP
#include "nfstats.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct nf_counter);
} nf_stats SEC(".maps");

#define nf_stats_add(idx, bytes) nf_stats_add_to(&nf_stats, (idx), (bytes))

#include "../counter.c"
