/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_CALL_STATS_H
#define SL_CALL_STATS_H

#include <stdint.h>

#include "common/arena.h"
#include "control/call.h"
#include "control/ng_tree.h"

/** Totals over all streams of a call (ingress counters). */
struct call_totals {
	uint64_t rtp_pkts, rtp_bytes, rtp_errors;
	uint64_t rtcp_pkts, rtcp_bytes, rtcp_errors;
};

/**
 * Append rtpengine's per-call statistics (created, created_us, last signal,
 * SSRC, tags, totals) to @p reply. @p t (may be NULL) receives the totals.
 */
void call_stats_build(struct sl_arena *a, struct ng_val *reply, const struct call *c,
	uint64_t now_mono, uint64_t now_real_us, struct call_totals *t);

#endif /* SL_CALL_STATS_H */
