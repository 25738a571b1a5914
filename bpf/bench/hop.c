// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark: a chain-aware NF that does nothing but pass (through the chain
 * macro), to measure the cost of one chain hop.
 *
 * Programs: xdp_hop (XDP), tc_hop (TC). Maps: nf_next only.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#include "nfchain.h"

SEC("xdp")
int xdp_hop(struct xdp_md *ctx)
{
	return NF_XDP_RETURN(ctx, XDP_PASS);
}

SEC("tc")
int tc_hop(struct __sk_buff *skb)
{
	return NF_TC_RETURN(skb, TC_ACT_OK);
}

char LICENSE[] SEC("license") = "GPL";
