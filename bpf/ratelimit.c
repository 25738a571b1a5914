// SPDX-License-Identifier: GPL-2.0
/*
 * ratelimit - token bucket in packets per second per TCP/UDP destination
 * port (IPv4 and IPv6). Packets over the limit are dropped; ports without a
 * (nonzero) rate, and non-TCP/UDP traffic, pass.
 *
 * Programs: xdp_ratelimit (XDP), tc_ratelimit (TC).
 * Maps:
 *   rl_config: HASH, key __u16 dport (host byte order) -> __u32 packets/s
 *              (0 or absent = not limited), 1024 entries. Written by users.
 *   rl_state:  HASH, key __u16 dport (host byte order) -> struct rl_bucket,
 *              1024 entries. Owned by the program (created on the first
 *              packet of a limited port, with a full bucket).
 *   nf_stats, nf_next.
 *
 * Bucket units: one packet costs RL_UNIT (1e9) tokens; every nanosecond adds
 * `pps` tokens; the capacity is pps * RL_UNIT, i.e. a burst of one second.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#include "nfchain.h"
#include "nfstats.h"
#include "nfparse.h"
#include "nffilter.h"

#define RL_UNIT 1000000000ULL /* tokens per packet = ns per second */

struct rl_bucket {
	struct bpf_spin_lock lock;
	__u64 tokens;
	__u64 last_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u16);
	__type(value, __u32);
} rl_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u16);
	__type(value, struct rl_bucket);
} rl_state SEC(".maps");

/* 1 = over the limit */
static __always_inline int rl_over_limit(const struct nf_pkt *pkt)
{
	__u16 port = pkt->dport;
	__u64 pps, cap, now, tokens;
	struct rl_bucket *b;
	__u32 *rate;
	int over;

	if (!pkt->l4_proto)
		return 0;
	rate = bpf_map_lookup_elem(&rl_config, &port);
	if (!rate || !*rate)
		return 0;
	pps = *rate;
	cap = pps * RL_UNIT; /* < 2^32 * 1e9 < 2^63: no overflow */
	now = bpf_ktime_get_ns();

	b = bpf_map_lookup_elem(&rl_state, &port);
	if (!b) {
		struct rl_bucket init = { .tokens = cap, .last_ns = now };

		/* Another CPU may win the race: then use its entry. */
		bpf_map_update_elem(&rl_state, &port, &init, BPF_NOEXIST);
		b = bpf_map_lookup_elem(&rl_state, &port);
		if (!b)
			return 0; /* map full: fail open */
	}

	bpf_spin_lock(&b->lock);
	tokens = b->tokens;
	if (now > b->last_ns) {
		__u64 elapsed = now - b->last_ns;

		/* A full second refills the whole bucket; below that the
		 * product stays < 2^32 * 1e9, so the sum cannot overflow. */
		tokens = elapsed >= RL_UNIT ? cap : tokens + elapsed * pps;
		b->last_ns = now;
	}
	if (tokens > cap) /* also clamps after the rate was lowered */
		tokens = cap;
	over = tokens < RL_UNIT;
	if (!over)
		tokens -= RL_UNIT;
	b->tokens = tokens;
	bpf_spin_unlock(&b->lock);
	return over;
}

NF_FILTER_PROGRAMS(ratelimit, rl_over_limit)

char LICENSE[] SEC("license") = "GPL";
