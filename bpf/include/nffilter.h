/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nffilter.h - the XDP and TC programs of a bundled filtering NF, from one
 * match function.
 *
 *   static __always_inline int my_match(const struct nf_pkt *pkt) { ... }
 *   NF_FILTER_PROGRAMS(myfilter, my_match)
 *
 * defines SEC("xdp") xdp_myfilter and SEC("tc") tc_myfilter. Each parses the
 * packet once, counts it in nf_stats[NF_STATS_SEEN], and drops it (counted in
 * nf_stats[NF_STATS_DROPPED]) when my_match returns nonzero; otherwise it
 * passes. Both end through the chain macros of nfchain.h.
 *
 * Include nfchain.h, nfstats.h and nfparse.h first.
 */
#ifndef NFCTL_NFFILTER_H
#define NFCTL_NFFILTER_H

#include <linux/pkt_cls.h>

#define NF_FILTER_PROGRAMS(name, match)                                   \
	static __always_inline int name##_drops(const struct nf_pkt *pkt, \
						__u64 len)                \
	{                                                                 \
		nf_stats_add(NF_STATS_SEEN, len);                         \
		if (match(pkt)) {                                         \
			nf_stats_add(NF_STATS_DROPPED, len);              \
			return 1;                                         \
		}                                                         \
		return 0;                                                 \
	}                                                                 \
                                                                          \
	SEC("xdp")                                                        \
	int xdp_##name(struct xdp_md *ctx)                                \
	{                                                                 \
		struct nf_pkt pkt;                                        \
                                                                          \
		nf_parse_xdp(ctx, &pkt);                                  \
		if (name##_drops(&pkt, nf_xdp_len(ctx)))                  \
			return NF_XDP_RETURN(ctx, XDP_DROP);              \
		return NF_XDP_RETURN(ctx, XDP_PASS);                      \
	}                                                                 \
                                                                          \
	SEC("tc")                                                         \
	int tc_##name(struct __sk_buff *skb)                              \
	{                                                                 \
		struct nf_pkt pkt;                                        \
                                                                          \
		nf_parse_tc(skb, &pkt);                                   \
		if (name##_drops(&pkt, skb->len))                         \
			return NF_TC_RETURN(skb, TC_ACT_SHOT);            \
		return NF_TC_RETURN(skb, TC_ACT_OK);                      \
	}

#endif /* NFCTL_NFFILTER_H */
