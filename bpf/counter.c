// SPDX-License-Identifier: GPL-2.0
/*
 * counter - counts every packet (and its bytes) into nf_stats[0] and passes.
 *
 * Programs: xdp_counter (XDP), tc_counter (TC). Maps: nf_stats, nf_next.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#include "nfchain.h"
#include "nfstats.h"
#include "nfparse.h"

/* Extra work per packet; test/counter_v2.c builds this file with a hook. */
#ifndef NF_COUNTER_HOOK
#define NF_COUNTER_HOOK(len) \
	do {                 \
	} while (0)
#endif

static __always_inline void count(__u64 len)
{
	nf_stats_add(NF_STATS_SEEN, len);
	NF_COUNTER_HOOK(len);
}

SEC("xdp")
int xdp_counter(struct xdp_md *ctx)
{
	count(nf_xdp_len(ctx));
	return NF_XDP_RETURN(ctx, XDP_PASS);
}

SEC("tc")
int tc_counter(struct __sk_buff *skb)
{
	count(skb->len);
	return NF_TC_RETURN(skb, TC_ACT_OK);
}

char LICENSE[] SEC("license") = "GPL";
