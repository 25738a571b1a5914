// SPDX-License-Identifier: GPL-2.0
/*
 * Test fixture: a chain-unaware XDP program built for multi-buffer packets
 * (SEC("xdp.frags")). The kernel refuses to tail-call it from a program
 * without frags support, so it cannot follow the bundled NFs in a chain.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp.frags")
int xdp_frags(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
