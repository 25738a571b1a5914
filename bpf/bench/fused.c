// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark: the chain blocklist -> portfilter -> counter hand-fused into one
 * XDP program, without tail calls. Same maps (names, types, semantics) as the
 * three NFs: blocklist_v4, blocklist_v6, ports; and, since each NF of a chain
 * has its own nf_stats, three stats maps of the same type: bl_stats,
 * pf_stats, ct_stats. The packet is parsed once.
 *
 * Program: xdp_fused.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define NF_STATS_NO_DEFAULT_MAP
#include "nfstats.h"
#include "nfparse.h"
#include "nfblocklist.h"
#include "nfportfilter.h"

NF_STATS_MAP(bl_stats);
NF_STATS_MAP(pf_stats);
NF_STATS_MAP(ct_stats);

SEC("xdp")
int xdp_fused(struct xdp_md *ctx)
{
	__u64 len = nf_xdp_len(ctx);
	struct nf_pkt pkt;

	nf_parse_xdp(ctx, &pkt);

	/* blocklist */
	nf_stats_add_to(&bl_stats, NF_STATS_SEEN, len);
	if (nf_blocklist_match(&pkt)) {
		nf_stats_add_to(&bl_stats, NF_STATS_DROPPED, len);
		return XDP_DROP;
	}

	/* portfilter */
	nf_stats_add_to(&pf_stats, NF_STATS_SEEN, len);
	if (nf_portfilter_match(&pkt)) {
		nf_stats_add_to(&pf_stats, NF_STATS_DROPPED, len);
		return XDP_DROP;
	}

	/* counter */
	nf_stats_add_to(&ct_stats, NF_STATS_SEEN, len);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
