// SPDX-License-Identifier: GPL-2.0
/*
 * Test fixture: a chain-aware XDP NF with a hash map of two entries, so that
 * a config giving it three makes the kernel refuse the third (E2BIG).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "nfchain.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u32);
} tiny SEC(".maps");

SEC("xdp")
int xdp_tiny(struct xdp_md *ctx)
{
	__u32 key = 0;

	bpf_map_lookup_elem(&tiny, &key);
	return NF_XDP_RETURN(ctx, XDP_PASS);
}

char LICENSE[] SEC("license") = "GPL";
