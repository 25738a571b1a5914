// SPDX-License-Identifier: GPL-2.0
/*
 * Test fixture: chain-aware, compiles, and is REJECTED by the verifier
 * (reads packet data without a bounds check against data_end).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "nfchain.h"

SEC("xdp")
int xdp_bad(struct xdp_md *ctx)
{
	__u8 *data = (void *)(long)ctx->data;

	/* deliberately no `if (data + 1 > data_end)` check */
	if (data[0] == 0xff)
		return NF_XDP_RETURN(ctx, XDP_DROP);
	return NF_XDP_RETURN(ctx, XDP_PASS);
}

char LICENSE[] SEC("license") = "GPL";
