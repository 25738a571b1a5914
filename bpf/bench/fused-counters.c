// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark: chains of N counter NFs (N = 1, 2, 4, 8, 16) hand-fused into
 * one XDP program each, without tail calls. Each counter of a chain has its
 * own nf_stats map, so each fused counter has its own stats map too: the
 * same maps, lookups and adds as the chain, the packet length read once.
 *
 * Programs: xdp_fused_1, xdp_fused_2, xdp_fused_4, xdp_fused_8,
 * xdp_fused_16. Maps: stats_0 .. stats_15.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define NF_STATS_NO_DEFAULT_MAP
#include "nfstats.h"
#include "nfparse.h"

NF_STATS_MAP(stats_0);
NF_STATS_MAP(stats_1);
NF_STATS_MAP(stats_2);
NF_STATS_MAP(stats_3);
NF_STATS_MAP(stats_4);
NF_STATS_MAP(stats_5);
NF_STATS_MAP(stats_6);
NF_STATS_MAP(stats_7);
NF_STATS_MAP(stats_8);
NF_STATS_MAP(stats_9);
NF_STATS_MAP(stats_10);
NF_STATS_MAP(stats_11);
NF_STATS_MAP(stats_12);
NF_STATS_MAP(stats_13);
NF_STATS_MAP(stats_14);
NF_STATS_MAP(stats_15);

static __always_inline int fused(struct xdp_md *ctx, int n)
{
	__u64 len = nf_xdp_len(ctx);

	/* n is a constant in each program below: the compiler keeps the
	 * first n adds and drops the tests. */
	if (n > 0)
		nf_stats_add_to(&stats_0, NF_STATS_SEEN, len);
	if (n > 1)
		nf_stats_add_to(&stats_1, NF_STATS_SEEN, len);
	if (n > 2)
		nf_stats_add_to(&stats_2, NF_STATS_SEEN, len);
	if (n > 3)
		nf_stats_add_to(&stats_3, NF_STATS_SEEN, len);
	if (n > 4)
		nf_stats_add_to(&stats_4, NF_STATS_SEEN, len);
	if (n > 5)
		nf_stats_add_to(&stats_5, NF_STATS_SEEN, len);
	if (n > 6)
		nf_stats_add_to(&stats_6, NF_STATS_SEEN, len);
	if (n > 7)
		nf_stats_add_to(&stats_7, NF_STATS_SEEN, len);
	if (n > 8)
		nf_stats_add_to(&stats_8, NF_STATS_SEEN, len);
	if (n > 9)
		nf_stats_add_to(&stats_9, NF_STATS_SEEN, len);
	if (n > 10)
		nf_stats_add_to(&stats_10, NF_STATS_SEEN, len);
	if (n > 11)
		nf_stats_add_to(&stats_11, NF_STATS_SEEN, len);
	if (n > 12)
		nf_stats_add_to(&stats_12, NF_STATS_SEEN, len);
	if (n > 13)
		nf_stats_add_to(&stats_13, NF_STATS_SEEN, len);
	if (n > 14)
		nf_stats_add_to(&stats_14, NF_STATS_SEEN, len);
	if (n > 15)
		nf_stats_add_to(&stats_15, NF_STATS_SEEN, len);
	return XDP_PASS;
}

/* One program per chain length: xdp_fused_<n>. */
#define FUSED_PROGRAM(n)                      \
	SEC("xdp")                            \
	int xdp_fused_##n(struct xdp_md *ctx) \
	{                                     \
		return fused(ctx, n);         \
	}

FUSED_PROGRAM(1)
FUSED_PROGRAM(2)
FUSED_PROGRAM(4)
FUSED_PROGRAM(8)
FUSED_PROGRAM(16)

char LICENSE[] SEC("license") = "GPL";
