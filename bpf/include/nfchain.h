/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * nfchain.h - the nfctl chain convention for XDP and TC network functions.
 *
 * How to make an NF chain-aware:
 *
 *   #include <linux/bpf.h>
 *   #include <bpf/bpf_helpers.h>
 *   #include "nfchain.h"   // in ONE .c file per object: it defines nf_next
 *                          // and nf_proceed_mask
 *
 *   SEC("xdp")
 *   int xdp_my_nf(struct xdp_md *ctx)
 *   {
 *           if (bad_packet(ctx))
 *                   return NF_XDP_RETURN(ctx, XDP_DROP);
 *           return NF_XDP_RETURN(ctx, XDP_PASS);
 *   }
 *
 *   SEC("tc")
 *   int tc_my_nf(struct __sk_buff *skb)
 *   {
 *           return NF_TC_RETURN(skb, TC_ACT_OK);
 *   }
 *
 * End EVERY return path with NF_XDP_RETURN / NF_TC_RETURN. If the verdict's
 * bit is set in nf_proceed_mask, the macro tail-calls slot 0 of nf_next
 * (the next NF of the chain, wired by nfctl). If that slot is empty (this is
 * the last NF) or the bit is clear, the verdict itself is returned.
 *
 * nf_proceed_mask is set by nfctl from the NF's `proceedOn` before load:
 *   XDP: bit N      = go on after XDP verdict N (XDP_PASS = 2 -> bit 2).
 *   TC:  bit N + 1  = go on after TC verdict N (TC_ACT_UNSPEC = -1 -> bit 0,
 *                     TC_ACT_OK = 0 -> bit 1, TC_ACT_SHOT = 2 -> bit 3).
 * The default 0 means "never go on": the NF behaves exactly as a standalone
 * program. The mask lives in .rodata (frozen at load), so the verifier sees a
 * constant: where a verdict's bit is clear, it removes the tail call
 * altogether. The map and key are constants, so the JIT turns the tail call
 * into a direct jump.
 *
 * Rules of tail calls apply:
 *  - all NFs of one chain must have the same program type, expected attach
 *    type (checked since kernel 6.17: do not mix SEC("tc") with
 *    SEC("tcx/ingress")) and XDP frags setting (do not mix SEC("xdp") with
 *    SEC("xdp.frags"));
 *  - nf_next belongs to the first program type that uses it, so load ONE
 *    program per object instance (an object may hold an XDP and a TC program,
 *    but loading both from one instance fails with EINVAL);
 *  - at most 33 tail calls per packet (a chain of 34 NFs);
 *  - prefer __always_inline helpers: mixing BPF-to-BPF calls with tail calls
 *    limits the stack to 256 bytes per frame.
 */
#ifndef NFCTL_NFCHAIN_H
#define NFCTL_NFCHAIN_H

#ifndef __VMLINUX_H__ /* NFs built on a bpftool-generated vmlinux.h */
#include <linux/bpf.h>
#endif
#include <bpf/bpf_helpers.h>

/* Slot 0 = the next NF. Written by nfctl after load; empty = end of chain.
 * key_size/value_size (not __type) because the kernel refuses BTF types on
 * a PROG_ARRAY, and libbpf would otherwise retry the creation without BTF. */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} nf_next SEC(".maps");

/* Set by the loader before load (it is in .rodata, frozen at load). */
const volatile __u32 nf_proceed_mask = 0;

static __always_inline int nf_chain_go(void *ctx, int bit, int verdict)
{
	/* bit is a compile-time constant on almost every path, so the range
	 * check folds away. The verifier knows the mask: where the bit is
	 * clear, it removes the tail call. Where it is set, the test stays
	 * (a load, an and and a branch, about 0.5 ns with the hop): the
	 * branch's target is also where a failed tail call falls through. */
	if ((__u32)bit < 32 && ((nf_proceed_mask >> bit) & 1))
		bpf_tail_call(ctx, &nf_next, 0);
	return verdict;
}

/* return NF_XDP_RETURN(ctx, XDP_PASS); */
#define NF_XDP_RETURN(ctx, verdict) \
	nf_chain_go((ctx), (int)(verdict), (int)(verdict))

/* return NF_TC_RETURN(skb, TC_ACT_OK); */
#define NF_TC_RETURN(skb, verdict) \
	nf_chain_go((skb), (int)(verdict) + 1, (int)(verdict))

#endif /* NFCTL_NFCHAIN_H */
