/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * nfblocklist.h - maps and match logic of the blocklist NF (blocklist.c, and
 * the hand-fused benchmark program).
 *
 *   blocklist_v4: LPM_TRIE, key struct nf_lpm_v4_key, value __u32, 65536
 *   blocklist_v6: LPM_TRIE, key struct nf_lpm_v6_key, value __u32, 65536
 * Key: prefixlen (host byte order) followed by the address in network byte
 * order. Any entry matching the packet's SOURCE address blocks it; the value
 * is not interpreted.
 */
#ifndef NFCTL_NFBLOCKLIST_H
#define NFCTL_NFBLOCKLIST_H

#include "nfparse.h"

struct nf_lpm_v4_key {
	__u32 prefixlen;
	__u8 addr[4];
};

struct nf_lpm_v6_key {
	__u32 prefixlen;
	__u8 addr[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 65536);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct nf_lpm_v4_key);
	__type(value, __u32);
} blocklist_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 65536);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct nf_lpm_v6_key);
	__type(value, __u32);
} blocklist_v6 SEC(".maps");

/* 1 if the packet's source address is blocklisted. */
static __always_inline int nf_blocklist_match(const struct nf_pkt *pkt)
{
	if (pkt->l3_proto == ETH_P_IP) {
		struct nf_lpm_v4_key k = { .prefixlen = 32 };

		__builtin_memcpy(k.addr, &nf_pkt_ip4(pkt)->saddr,
				 sizeof(k.addr));
		return bpf_map_lookup_elem(&blocklist_v4, &k) != NULL;
	}
	if (pkt->l3_proto == ETH_P_IPV6) {
		struct nf_lpm_v6_key k = { .prefixlen = 128 };

		__builtin_memcpy(k.addr, &nf_pkt_ip6(pkt)->saddr,
				 sizeof(k.addr));
		return bpf_map_lookup_elem(&blocklist_v6, &k) != NULL;
	}
	return 0;
}

#endif /* NFCTL_NFBLOCKLIST_H */
