// SPDX-License-Identifier: GPL-2.0
/*
 * blocklist - drops packets whose IPv4/IPv6 SOURCE address matches a prefix
 * in blocklist_v4 / blocklist_v6 (LPM tries, see include/nfblocklist.h).
 * Non-IP traffic passes.
 *
 * Programs: xdp_blocklist (XDP), tc_blocklist (TC).
 * Maps: blocklist_v4, blocklist_v6, nf_stats, nf_next.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#include "nfchain.h"
#include "nfstats.h"
#include "nfparse.h"
#include "nffilter.h"
#include "nfblocklist.h"

NF_FILTER_PROGRAMS(blocklist, nf_blocklist_match)

char LICENSE[] SEC("license") = "GPL";
