// SPDX-License-Identifier: GPL-2.0
/*
 * Test fixture: chain-aware NF whose map is declared LIBBPF_PIN_BY_NAME, as
 * objects built for other loaders often are. nfctl must set the pin path
 * itself so the map does not land at the bpffs root.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "nfchain.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} shared_by_name SEC(".maps");

SEC("xdp")
int xdp_pinbyname(struct xdp_md *ctx)
{
	__u32 key = 0;
	__u64 *v = bpf_map_lookup_elem(&shared_by_name, &key);

	if (v)
		__sync_fetch_and_add(v, 1);
	return NF_XDP_RETURN(ctx, XDP_PASS);
}

char LICENSE[] SEC("license") = "GPL";
