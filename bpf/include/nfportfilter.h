/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * nfportfilter.h - map and match logic of the portfilter NF (portfilter.c,
 * and the hand-fused benchmark program).
 *
 *   ports: HASH, key __u16 destination port in HOST byte order,
 *          value __u32 (nonzero = drop), 1024 entries.
 * Applies to TCP and UDP over IPv4 and IPv6 (no IPv6 extension headers).
 */
#ifndef NFCTL_NFPORTFILTER_H
#define NFCTL_NFPORTFILTER_H

#include "nfparse.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u16);
	__type(value, __u32);
} ports SEC(".maps");

/* 1 if the packet's TCP/UDP destination port is to be dropped. */
static __always_inline int nf_portfilter_match(const struct nf_pkt *pkt)
{
	__u16 port = pkt->dport;
	__u32 *v;

	if (!pkt->l4_proto)
		return 0;
	v = bpf_map_lookup_elem(&ports, &port);
	return v && *v;
}

#endif /* NFCTL_NFPORTFILTER_H */
