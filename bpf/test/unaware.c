// SPDX-License-Identifier: GPL-2.0
/*
 * Test fixture: a chain-UNAWARE NF (no nf_next, no nfchain.h), like a
 * third-party object. Counts packets into unaware_stats[0] and passes.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} unaware_stats SEC(".maps");

static __always_inline void count(void)
{
	__u32 key = 0;
	__u64 *packets = bpf_map_lookup_elem(&unaware_stats, &key);

	if (packets)
		(*packets)++;
}

SEC("xdp")
int xdp_unaware(struct xdp_md *ctx)
{
	count();
	return XDP_PASS;
}

SEC("tc")
int tc_unaware(struct __sk_buff *skb)
{
	count();
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
