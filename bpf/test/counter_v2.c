// SPDX-License-Identifier: GPL-2.0
/*
 * Test fixture: an "upgraded" counter. Same programs (xdp_counter,
 * tc_counter) and same maps as ../counter.c, built from that very file; in
 * addition every packet longer than 100 bytes is counted into nf_stats[1].
 * Used to test updates that keep map state.
 */
#define NF_COUNTER_HOOK(len)                                   \
	do {                                                   \
		if ((len) > 100)                               \
			nf_stats_add(NF_STATS_DROPPED, (len)); \
	} while (0)

#include "../counter.c"
