/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * nfparse.h - minimal packet parsing shared by the bundled NFs (XDP and TC).
 *
 *   Ethernet, up to two 802.1Q / 802.1AD VLAN tags, IPv4 or IPv6, and the
 *   destination port of TCP or UDP.
 *
 * Not parsed: IPv6 extension headers (a TCP/UDP header behind one is not
 * seen), IPv4 non-first fragments (no L4 header, so no port), tunnels.
 *
 * Usage:
 *   struct nf_pkt pkt;
 *   nf_parse(data, data_end, &pkt);
 *   if (pkt.l3_proto == ETH_P_IP) ... nf_pkt_ip4(&pkt)->saddr ...
 *   if (pkt.l4_proto)             ... pkt.dport (host byte order) ...
 *
 * Or nf_parse_xdp(ctx, &pkt) / nf_parse_tc(skb, &pkt) (the latter first pulls
 * the headers into the linear part of the skb when they are not there).
 */
#ifndef NFCTL_NFPARSE_H
#define NFCTL_NFPARSE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#ifndef ETH_P_8021AD
#define ETH_P_8021AD 0x88A8
#endif

#define NF_IP_OFFSET 0x1FFF

/* Deepest header we read: eth + 2 VLAN tags + IPv6 + the first 4 bytes of
 * the L4 header (ports). */
#define NF_PARSE_DEPTH (14 + 2 * 4 + 40 + 4)

/* Like struct ethhdr, but not packed, so that clang loads h_proto with one
 * 16-bit load instead of two byte loads. */
struct nf_ethhdr {
	__u8 dst[ETH_ALEN];
	__u8 src[ETH_ALEN];
	__be16 proto;
};

struct nf_vlan_hdr {
	__be16 tci;
	__be16 encap_proto;
};

struct nf_pkt {
	void *l3; /* IPv4/IPv6 header (bounds checked), valid iff l3_proto */
	__u16 l3_proto; /* ETH_P_IP or ETH_P_IPV6 (host order), 0 = not IP */
	__u8 l4_proto; /* IPPROTO_TCP or IPPROTO_UDP when dport is valid, else 0 */
	__u16 dport; /* destination port, host byte order, valid iff l4_proto */
};

static __always_inline struct iphdr *nf_pkt_ip4(const struct nf_pkt *pkt)
{
	return pkt->l3;
}

static __always_inline struct ipv6hdr *nf_pkt_ip6(const struct nf_pkt *pkt)
{
	return pkt->l3;
}

static __always_inline int nf_is_l4(__u8 proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP;
}

static __always_inline void nf_parse_l4(void *l4, void *data_end,
					struct nf_pkt *pkt, __u8 proto)
{
	struct udphdr *uh = l4; /* TCP and UDP: dest port at the same offset */

	if (!nf_is_l4(proto) || (void *)&uh->dest + sizeof(uh->dest) > data_end)
		return;
	pkt->l4_proto = proto;
	pkt->dport = bpf_ntohs(uh->dest);
}

/* Fills *pkt. Never fails: what cannot be parsed is left zero. */
static __always_inline void nf_parse(void *data, void *data_end,
				     struct nf_pkt *pkt)
{
	struct nf_ethhdr *eth = data;
	void *p = eth + 1;
	__be16 proto;

	pkt->l3 = 0;
	pkt->l3_proto = 0;
	pkt->l4_proto = 0;
	pkt->dport = 0;

	if (p > data_end)
		return;
	proto = eth->proto;

#pragma unroll
	for (int i = 0; i < 2; i++) {
		struct nf_vlan_hdr *vh = p;

		if (proto != bpf_htons(ETH_P_8021Q) &&
		    proto != bpf_htons(ETH_P_8021AD))
			break;
		if ((void *)(vh + 1) > data_end)
			return;
		proto = vh->encap_proto;
		p = vh + 1;
	}

	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iph = p;
		__u32 ihl;

		if ((void *)(iph + 1) > data_end)
			return;
		pkt->l3 = iph;
		pkt->l3_proto = ETH_P_IP;
		if (iph->frag_off & bpf_htons(NF_IP_OFFSET))
			return; /* non-first fragment: no L4 header */
		ihl = iph->ihl * 4;
		if (ihl < sizeof(*iph))
			return;
		nf_parse_l4(p + ihl, data_end, pkt, iph->protocol);
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6h = p;

		if ((void *)(ip6h + 1) > data_end)
			return;
		pkt->l3 = ip6h;
		pkt->l3_proto = ETH_P_IPV6;
		nf_parse_l4(ip6h + 1, data_end, pkt, ip6h->nexthdr);
	}
}

static __always_inline void nf_parse_xdp(struct xdp_md *ctx, struct nf_pkt *pkt)
{
	nf_parse((void *)(long)ctx->data, (void *)(long)ctx->data_end, pkt);
}

/* Length of the packet as XDP sees it (linear part). */
static __always_inline __u64 nf_xdp_len(struct xdp_md *ctx)
{
	return ctx->data_end - ctx->data;
}

/* TC: make sure the headers we parse are in the linear part of the skb.
 * Costs one compare when they already are (the usual case). */
static __always_inline void nf_tc_pull(struct __sk_buff *skb)
{
	__u32 linear = skb->data_end - skb->data;

	if (linear < NF_PARSE_DEPTH && skb->len > linear)
		bpf_skb_pull_data(skb, skb->len < NF_PARSE_DEPTH ?
					       skb->len :
					       NF_PARSE_DEPTH);
}

/* Pulls the headers into the linear part if needed, then parses. */
static __always_inline void nf_parse_tc(struct __sk_buff *skb,
					struct nf_pkt *pkt)
{
	nf_tc_pull(skb);
	nf_parse((void *)(long)skb->data, (void *)(long)skb->data_end, pkt);
}

#endif /* NFCTL_NFPARSE_H */
