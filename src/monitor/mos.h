/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_MOS_H
#define SL_MOS_H

/**
 * @file
 * Call quality the way rtpengine reports it (rtpengine-compat 6.1/6.2): one
 * sample per RTCP report block, stored on the *reporting* SSRC, with RTT from
 * SR/RR timing, jitter in ms, loss in % and MOS x10 from rtpengine's integer
 * formulas. Control thread only; no allocation (struct mos_ssrc is fixed-size).
 *
 * Deliberate differences from rtpengine are listed in mos.c's header comment;
 * the only one visible at default settings is the NB loss term above 16 %
 * loss, held monotonic (rtpengine's MOS rises again there).
 */

#include <stdbool.h>
#include <stdint.h>

#include "monitor/rtcp.h"

enum mos_formula {
	MOS_NB = 0, /* "G.107 simplified", rtpengine's default, fixed point */
	MOS_FB,	    /* G.107.2 fullband (48 kHz codecs), floating point like rtpengine */
	MOS_LEGACY, /* PingPlotter-style, rtpengine >= 2024 fixed point */
};

enum mos_mode {
	MOS_CQ = 0, /* conversational: needs the end-to-end RTT, else no MOS */
	MOS_LQ,	    /* listening: RTT taken as 0 */
};

struct mos_conf {
	enum mos_mode mode;
	/* true: reproduce rtpengine bit for bit, including its NB MOS rising above
	 * ~16 % loss and --mos=LQ not applying to the legacy formula */
	bool rtpengine_exact;
};

/**
 * MOS x10 of one sample. @return 10..45, or 0 when there is none (CQ and
 * @p rtt_us == 0).
 * @param rtt_us     end-to-end round trip, µs (0 = unknown)
 * @param jitter_ms  ms
 * @param loss_pct   0..100
 */
unsigned int mos_calc(enum mos_formula f, const struct mos_conf *c, uint64_t rtt_us,
	uint32_t jitter_ms, uint32_t loss_pct);

#define MOS_SR_HIST 10		 /* SRs remembered per SSRC for LSR matching (rtpengine: 10) */
#define MOS_HIST_MAX 32		 /* stats blocks kept for "MOS progression" */
#define MOS_RTT_MAX_US 10000000u /* legs beyond 10 s are discarded */

/** One stats block (rtpengine's ssrc_stats_block). */
struct mos_block {
	uint64_t reported_us; /* wall clock, µs since 1970 */
	uint32_t rtt_us;      /* end-to-end, 0 = unknown */
	uint32_t rtt_leg_us;  /* this leg, 0 = unknown */
	uint32_t jitter_ms;
	uint8_t loss_pct;
	uint8_t mos; /* x10, 0 = none */
};

/** Per-SSRC state on the control thread; zero with mos_ssrc_init(). */
struct mos_ssrc {
	/* SRs this SSRC sent, as they passed us (ring, newest at head-1) */
	uint32_t sr_ntp_mid[MOS_SR_HIST];
	uint64_t sr_arrival_us[MOS_SR_HIST];
	uint8_t sr_head, sr_n;
	bool has_cum_loss;
	int32_t cum_loss;	 /* last RR's cumulative loss sent by this SSRC */
	uint32_t last_rtt_us;	 /* leg RTT measured on RRs about this SSRC's SRs */
	uint16_t last_rtt_xr_ms; /* XR VoIP metrics round trip about this SSRC */
	/* blocks this SSRC reported (what its owner received) */
	uint32_t n_blocks, no_mos;
	uint64_t sum_mos, sum_rtt, sum_rtt_leg, sum_jitter, sum_loss;
	struct mos_block first, last, lowest, highest;
	bool has_lowest, has_highest;
	uint8_t hist_n;
	uint8_t hist_shift; /* keep every 2^shift-th block (history thinned) */
	uint32_t hist_seq;  /* blocks offered to the history */
	struct mos_block hist[MOS_HIST_MAX];
};
/* bounded per SSRC for the whole call (rtpengine's list grows per block, #2174) */
_Static_assert(sizeof(struct mos_ssrc) <= 1152, "mos_ssrc is about 1 KB");

void mos_ssrc_init(struct mos_ssrc *e);

/** An SR from @p sender arrived at @p now_us. */
void mos_sr(struct mos_ssrc *sender, const struct rtcp_sr *sr, uint64_t now_us);

/**
 * RTT of the leg an RR block describes: now - arrival of the SR it echoes -
 * DLSR. On success also stores it as @p sr_sender's last_rtt_us.
 * @return 0; -ENODATA (LSR or DLSR is 0); -ENOENT (SR not in the last 10);
 *         -ERANGE (<= 0 or > 10 s).
 */
int mos_rtt_leg(
	struct mos_ssrc *sr_sender, uint32_t lsr, uint32_t dlsr, uint64_t now_us, uint32_t *rtt_us);

/** XR VoIP metrics about @p source: remembers its round-trip delay. */
void mos_xr_voip(struct mos_ssrc *source, const struct rtcp_xr_voip *vm);

/**
 * One report block @p rb sent by @p reporter about @p source (the SSRC whose
 * SRs it echoes), arrived at @p now_us (wall clock µs). @p clock_rate is the
 * RTP clock of @p source's most used payload type (0 = unknown).
 * @param out  the sample (also on -EAGAIN: rtpengine feeds its interface
 *             metrics with it even when it does not store it)
 * @return 0 stored; -EINVAL (@p reporter or @p rb NULL);
 *         -ENODATA (LSR/DLSR 0: rtpengine ignores the block);
 *         -ENOENT (@p source NULL or clock rate unknown: ignored);
 *         -EAGAIN (< 1 s after the previous stored block: not stored).
 */
int mos_report_block(struct mos_ssrc *reporter, struct mos_ssrc *source, const struct rtcp_rb *rb,
	uint32_t clock_rate, enum mos_formula f, const struct mos_conf *c, uint64_t now_us,
	struct mos_block *out);

/** Integers of one "... MOS" dict. */
struct mos_entry {
	int64_t mos, rtt, rtt_leg, jitter, loss;
	int64_t reported_at; /* Unix s; unused in "average MOS" */
};

/** Contents of the 6.2 SSRC dict's MOS part. */
struct mos_report {
	bool has_mos;	  /* false: rtpengine emits none of the keys below */
	int32_t cum_loss; /* "cumulative loss" */
	struct mos_entry average, lowest, highest;
	int64_t samples;    /* "average MOS"."samples" */
	int64_t interval_s; /* "MOS progression"."interval" */
	unsigned int n_prog;
	struct mos_entry prog[MOS_HIST_MAX];
};

void mos_ssrc_report(const struct mos_ssrc *e, struct mos_report *r);

/**
 * Tree builder for mos_ssrc_emit(), shaped after ng_tree: each call adds to
 * @p parent and returns the new node or NULL on failure (ENOMEM).
 */
struct mos_emit_ops {
	void *(*dict)(void *ctx, void *parent, const char *key);
	void *(*list)(void *ctx, void *parent, const char *key);
	void *(*list_dict)(void *ctx, void *list);
	void *(*integer)(void *ctx, void *parent, const char *key, int64_t v);
};

/**
 * Add "cumulative loss", "average MOS", "lowest MOS", "highest MOS" and
 * "MOS progression" to @p ssrc_dict with rtpengine's key names, order and
 * integer units (nothing if there is no MOS sample).
 * @return 0 or -ENOMEM.
 */
int mos_ssrc_emit(
	const struct mos_ssrc *e, const struct mos_emit_ops *ops, void *ctx, void *ssrc_dict);

#endif /* SL_MOS_H */
