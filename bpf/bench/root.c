// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark: the root program of an l3afd-style chain. l3afd attaches one
 * root program per hook that does nothing but tail-call the first NF from
 * its own program array (xdp_root in l3af-arch/xdp-root); the NFs then
 * chain by tail calls as nfctl's do. nfctl attaches the first NF itself.
 *
 * Program: xdp_root. Maps: root_array.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} root_array SEC(".maps");

SEC("xdp")
int xdp_root(struct xdp_md *ctx)
{
	bpf_tail_call(ctx, &root_array, 0);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
