// SPDX-License-Identifier: GPL-2.0
/*
 * Test fixture: an XDP program in a section name libbpf does not recognise,
 * as third-party objects sometimes have. nfctl sets the program type from
 * the hook it is loaded for.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("nfctl_custom")
int odd_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
