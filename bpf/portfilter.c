// SPDX-License-Identifier: GPL-2.0
/*
 * portfilter - drops TCP and UDP packets (IPv4, IPv6 without extension
 * headers) whose destination port has a nonzero value in `ports` (key: port
 * in host byte order, see include/nfportfilter.h). IPv4 non-first fragments
 * and everything else pass.
 *
 * Programs: xdp_portfilter (XDP), tc_portfilter (TC).
 * Maps: ports, nf_stats, nf_next.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#include "nfchain.h"
#include "nfstats.h"
#include "nfparse.h"
#include "nffilter.h"
#include "nfportfilter.h"

NF_FILTER_PROGRAMS(portfilter, nf_portfilter_match)

char LICENSE[] SEC("license") = "GPL";
