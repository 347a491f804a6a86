/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MOS samples and per-SSRC aggregates, compatible with rtpengine's daemon/ssrc.c
 * and the SSRC dict of its delete/query replies (rtpengine-compat 6.1, 6.2).
 * Written from that description; the integer formulas keep rtpengine's order
 * of operations because its C truncation is part of the output (a perfect call
 * reads 4.3, not 4.4).
 *
 * Where sluice differs from rtpengine (all deliberate):
 *  1. NB formula above 16 % loss. rtpengine's loss term
 *     L(P) = 0.18 (93.2-P)^2 - 27.9 (93.2-P) + 1126.62 is a parabola with its
 *     minimum at P = 15.7 %; beyond it R rises again (MOS 4.5 from ~34 % loss
 *     at zero delay). For integer P <= 16 the term still falls, so sluice is
 *     bit-identical there; for P >= 17 it uses the parabola mirrored about its
 *     minimum, L'(P) = 2 Lmin - L(P) (Lmin = 45.495), which is continuous in
 *     slope at the knee and keeps falling (MOS 1.0 from 29 % loss).
 *     Example: rtt 100 ms, jitter 20 ms, 20 % loss: rtpengine 2.4, sluice 2.0.
 * 1b. Above 16 % loss, for every formula, the MOS is also capped by the MOS
 *     at each lower loss down to 16 %: rtpengine's integer R -> MOS mapping
 *     truncates its cubic term towards zero, which makes MOS step up by 0.1
 *     around 1.1 as R falls (seen with G.107.2 at 56..88 % loss). At or
 *     below 16 % sluice keeps that wobble, to stay bit-identical.
 *  2. Legacy formula with --mos=LQ: rtpengine ignores LQ there (it reads the
 *     raw RTT); sluice applies it (RTT 0).
 *  3. "MOS progression" is picked from at most MOS_HIST_MAX stored blocks
 *     (thinned evenly when full); identical to rtpengine while an SSRC has at
 *     most that many blocks. rtpengine keeps every block for the whole call.
 *  4. "cumulative loss" is the sign-extended 24-bit value (RFC 3550);
 *     rtpengine prints the raw 24 bits (-1 shows as 16777215).
 *  5. Jitter in ms is computed in 64 bits; rtpengine's 32-bit product wraps
 *     for jitter above 4294967 timestamp units (> 536 s at 8 kHz).
 * conf.rtpengine_exact restores 1, 1b and 2.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "monitor/mos.h"

/* NB loss term in R x 1e5 at its minimum (93.2 - P = 77.5): exact in integers */
#define NB_LOSS_MIN_E5 4549500
/* last integer loss % at which rtpengine's NB loss term still falls */
#define NB_KNEE_PCT 16

/* R x 1e5 -> MOS x 10, rtpengine's truncation order (e5 -> e3 -> e2 -> e1) */
static unsigned int
mos_from_r(int64_t r_e5)
{
	int64_t x, m, t;

	if (r_e5 < 0)
		return 10;
	if (r_e5 > 10000000)
		return 45;
	x = r_e5 / 100;			       /* R x 1e3 */
	m = 100 + 35 * x / 10000;	       /* 1 + 0.035 R, x 1e2 */
	t = (x - 60000) * (100000 - x) / 1000; /* (R-60)(100-R), x 1e3 */
	t = x * t / 1000;		       /* R(R-60)(100-R), x 1e3 */
	t = t * 7 / 10000000;		       /* 7e-6 R(R-60)(100-R), x 1e2 */
	m = (m + t) / 10;
	return m < 10 ? 10 : (unsigned int)m;
}

/* rtpengine's loss term of the NB formula, R x 1e5 */
static int64_t
nb_loss_term(int64_t r_e2)
{
	return 18 * r_e2 * r_e2 / 10 - 27900 * r_e2 + 112662000;
}

static unsigned int
mos_nb(uint64_t rtt_us, uint32_t jitter_ms, uint32_t loss, bool exact)
{
	uint64_t d, id;
	int64_t r, l;

	d = rtt_us / 2 + (uint64_t)jitter_ms * 1000; /* one-way delay, µs */
	id = 24 * d / 1000;			     /* Id x 1e3 */
	if (d > 177300)
		id += (d - 177300) * 11 / 100;
	if (exact || loss <= NB_KNEE_PCT) {
		r = loss <= 93 ? 9320 - (int64_t)loss * 100 : 0; /* (93.2 - P) x 1e2 */
		l = nb_loss_term(r);
	} else {
		/* mirrored about the minimum: keeps falling (see divergence 1) */
		l = 2 * (int64_t)NB_LOSS_MIN_E5 - nb_loss_term(9320 - (int64_t)loss * 100);
	}
	return mos_from_r(l - (int64_t)id * 100);
}

static unsigned int
mos_fb(uint64_t rtt_us, uint32_t jitter_ms, uint32_t loss, bool lq)
{
	double ta, ppl, iee, id, x, rx;

	/* same operation order as rtpengine: the result is truncated to e5 */
	ta = lq ? 0 : (double)rtt_us / 1000. / 2.;
	ta += jitter_ms;
	ppl = loss;
	iee = 10.2 + (132. - 10.2) * (ppl / (ppl + 4.3));
	if (ta <= 100) {
		id = 0;
	} else {
		x = log2(ta) - log2(100);
		id = 1.48 * 25 *
		     (pow(1 + pow(x, 6), 1. / 6.) - 3 * pow(1 + pow(x / 3, 6), 1. / 6.) + 2);
	}
	rx = 148 - id - iee; /* Ro - Is - Id - Iee + A with Is = A = 0 */
	return mos_from_r((int64_t)(rx / 1.48 * 100000));
}

static unsigned int
mos_legacy(uint64_t rtt_us, uint32_t jitter_ms, uint32_t loss)
{
	uint64_t eff = rtt_us / 1000 + (uint64_t)jitter_ms * 2 + 10; /* ms */
	int64_t r;						     /* R x 1e6 */

	if (eff < 160)
		r = 93200000 - (int64_t)(eff * 100000 / 4);
	else
		r = 93200000 - ((int64_t)eff * 100000 - 12000000);
	r -= (int64_t)loss * 2500000;
	return mos_from_r(r / 10);
}

static unsigned int
mos_raw(enum mos_formula f, bool lq, bool exact, uint64_t rtt_us, uint32_t jitter_ms, uint32_t loss)
{
	switch (f) {
	case MOS_FB:
		return mos_fb(rtt_us, jitter_ms, loss, lq);
	case MOS_LEGACY:
		return mos_legacy(lq && !exact ? 0 : rtt_us, jitter_ms, loss);
	case MOS_NB:
	default:
		return mos_nb(lq ? 0 : rtt_us, jitter_ms, loss, exact);
	}
}

unsigned int
mos_calc(enum mos_formula f, const struct mos_conf *c, uint64_t rtt_us, uint32_t jitter_ms,
	uint32_t loss_pct)
{
	bool lq = c != NULL && c->mode == MOS_LQ;
	bool exact = c != NULL && c->rtpengine_exact;
	unsigned int m, mk, k;

	if (!lq && rtt_us == 0)
		return 0; /* MOS-CQ needs the end-to-end RTT */
	if (loss_pct > 100)
		loss_pct = 100;
	m = mos_raw(f, lq, exact, rtt_us, jitter_ms, loss_pct);
	if (exact || loss_pct <= NB_KNEE_PCT)
		return m;
	/* above the knee: never more than at any lower loss (divergence 1b) */
	for (k = loss_pct; k > NB_KNEE_PCT && m > 10; k--) {
		mk = mos_raw(f, lq, exact, rtt_us, jitter_ms, k - 1);
		if (mk < m)
			m = mk;
	}
	return m;
}

void
mos_ssrc_init(struct mos_ssrc *e)
{
	memset(e, 0, sizeof(*e));
}

void
mos_sr(struct mos_ssrc *sender, const struct rtcp_sr *sr, uint64_t now_us)
{
	sender->sr_ntp_mid[sender->sr_head] = rtcp_ntp_mid(sr->ntp_msw, sr->ntp_lsw);
	sender->sr_arrival_us[sender->sr_head] = now_us;
	sender->sr_head = (uint8_t)((sender->sr_head + 1) % MOS_SR_HIST);
	if (sender->sr_n < MOS_SR_HIST)
		sender->sr_n++;
}

int
mos_rtt_leg(
	struct mos_ssrc *sr_sender, uint32_t lsr, uint32_t dlsr, uint64_t now_us, uint32_t *rtt_us)
{
	unsigned int k, idx;
	int64_t rtt;

	if (lsr == 0 || dlsr == 0)
		return -ENODATA;
	for (k = 0; k < sr_sender->sr_n; k++) { /* newest first, as rtpengine */
		idx = (sr_sender->sr_head + 2 * MOS_SR_HIST - 1 - k) % MOS_SR_HIST;
		if (sr_sender->sr_ntp_mid[idx] == lsr)
			goto found;
	}
	return -ENOENT;
found:
	rtt = (int64_t)(now_us - sr_sender->sr_arrival_us[idx]);
	rtt -= (int64_t)dlsr * 1000000 / 65536;
	if (rtt <= 0 || rtt > MOS_RTT_MAX_US)
		return -ERANGE;
	sr_sender->last_rtt_us = (uint32_t)rtt;
	*rtt_us = (uint32_t)rtt;
	return 0;
}

void
mos_xr_voip(struct mos_ssrc *source, const struct rtcp_xr_voip *vm)
{
	source->last_rtt_xr_ms = vm->round_trip_delay;
}

static void
hist_add(struct mos_ssrc *e, const struct mos_block *b)
{
	uint32_t seq = e->hist_seq++;
	unsigned int i;

	if (seq & ((1u << e->hist_shift) - 1))
		return;
	if (e->hist_n == MOS_HIST_MAX) {
		/* keep every other block: the history stays evenly spread in time */
		for (i = 0; i < MOS_HIST_MAX / 2; i++)
			e->hist[i] = e->hist[2 * i];
		e->hist_n = MOS_HIST_MAX / 2;
		e->hist_shift++;
		if (seq & ((1u << e->hist_shift) - 1))
			return;
	}
	e->hist[e->hist_n++] = *b;
}

int
mos_report_block(struct mos_ssrc *reporter, struct mos_ssrc *source, const struct rtcp_rb *rb,
	uint32_t clock_rate, enum mos_formula f, const struct mos_conf *c, uint64_t now_us,
	struct mos_block *out)
{
	struct mos_block b = {.reported_us = now_us};
	uint32_t leg = 0;
	uint64_t e2e;

	if (reporter == NULL || rb == NULL)
		return -EINVAL;
	/* rtpengine drops the block before anything else when it echoes no SR */
	if (rb->lsr == 0 || rb->dlsr == 0)
		return -ENODATA;
	if (source == NULL)
		return -ENOENT;
	if (mos_rtt_leg(source, rb->lsr, rb->dlsr, now_us, &leg) != 0)
		leg = 0;
	if (clock_rate == 0)
		return -ENOENT; /* no payload type known: jitter cannot be scaled */

	b.jitter_ms = (uint32_t)((uint64_t)rb->jitter * 1000 / clock_rate);
	/* end to end = this leg + the opposite leg, measured when the far party
	 * echoed the reporter's own SRs; an XR round-trip delay overrides both */
	e2e = reporter->last_rtt_us ? (uint64_t)leg + reporter->last_rtt_us : 0;
	if (reporter->last_rtt_xr_ms > 0)
		e2e = (uint64_t)reporter->last_rtt_xr_ms * 1000;
	b.rtt_us = (uint32_t)e2e; /* <= 20 s or 65.5 s: fits */
	b.rtt_leg_us = leg;
	b.loss_pct = (uint8_t)((unsigned int)rb->fraction * 100 / 256);
	reporter->cum_loss = rb->cum_lost;
	reporter->has_cum_loss = true;
	b.mos = (uint8_t)mos_calc(f, c, e2e, b.jitter_ms, b.loss_pct);
	if (out != NULL)
		*out = b;

	if (reporter->n_blocks > 0 && (int64_t)(now_us - reporter->last.reported_us) < 1000000)
		return -EAGAIN;

	if (reporter->n_blocks == 0)
		reporter->first = b;
	reporter->last = b;
	reporter->n_blocks++;
	if (b.mos != 0 && (!reporter->has_lowest || b.mos < reporter->lowest.mos)) {
		reporter->lowest = b;
		reporter->has_lowest = true;
	}
	if (!reporter->has_highest || b.mos > reporter->highest.mos) {
		reporter->highest = b;
		reporter->has_highest = true;
	}
	if (b.mos == 0) {
		reporter->no_mos++;
	} else {
		reporter->sum_mos += b.mos;
		reporter->sum_rtt += b.rtt_us;
		reporter->sum_rtt_leg += b.rtt_leg_us;
		reporter->sum_jitter += b.jitter_ms;
		reporter->sum_loss += b.loss_pct;
	}
	hist_add(reporter, &b);
	return 0;
}

static void
entry_of(const struct mos_block *b, struct mos_entry *o)
{
	o->mos = b->mos;
	o->rtt = b->rtt_us;
	o->rtt_leg = b->rtt_leg_us;
	o->jitter = b->jitter_ms;
	o->loss = b->loss_pct;
	o->reported_at = (int64_t)(b->reported_us / 1000000);
}

void
mos_ssrc_report(const struct mos_ssrc *e, struct mos_report *r)
{
	int64_t samples, interval, next;
	unsigned int i;

	memset(r, 0, sizeof(*r));
	if (e->n_blocks == 0 || !e->has_lowest || !e->has_highest)
		return;
	r->has_mos = true;
	r->cum_loss = e->cum_loss;
	samples = (int64_t)e->n_blocks - e->no_mos;
	if (samples < 1)
		samples = 1;
	r->samples = samples;
	r->average.mos = (int64_t)e->sum_mos / samples;
	r->average.rtt = (int64_t)e->sum_rtt / samples;
	r->average.rtt_leg = (int64_t)e->sum_rtt_leg / samples;
	r->average.jitter = (int64_t)e->sum_jitter / samples;
	r->average.loss = (int64_t)e->sum_loss / samples;
	entry_of(&e->lowest, &r->lowest);
	entry_of(&e->highest, &r->highest);

	/* about 10 entries: the first block at or after each tenth of the span */
	interval = ((int64_t)e->last.reported_us - (int64_t)e->first.reported_us) / 10;
	r->interval_s = interval / 1000000;
	next = (int64_t)e->first.reported_us;
	for (i = 0; i < e->hist_n; i++) {
		if ((int64_t)e->hist[i].reported_us < next)
			continue;
		next += interval;
		entry_of(&e->hist[i], &r->prog[r->n_prog++]);
	}
}

static int
emit_entry(const struct mos_emit_ops *ops, void *ctx, void *d, const struct mos_entry *m,
	const char *last_key, int64_t last)
{
	if (ops->integer(ctx, d, "MOS", m->mos) == NULL ||
		ops->integer(ctx, d, "round-trip time", m->rtt) == NULL ||
		ops->integer(ctx, d, "round-trip time leg", m->rtt_leg) == NULL ||
		ops->integer(ctx, d, "jitter", m->jitter) == NULL ||
		ops->integer(ctx, d, "packet loss", m->loss) == NULL ||
		ops->integer(ctx, d, last_key, last) == NULL)
		return -ENOMEM;
	return 0;
}

int
mos_ssrc_emit(const struct mos_ssrc *e, const struct mos_emit_ops *ops, void *ctx, void *ssrc_dict)
{
	struct mos_report r;
	void *d, *prog, *list;
	unsigned int i;

	mos_ssrc_report(e, &r);
	if (!r.has_mos)
		return 0;
	if (ops->integer(ctx, ssrc_dict, "cumulative loss", r.cum_loss) == NULL)
		return -ENOMEM;
	if ((d = ops->dict(ctx, ssrc_dict, "average MOS")) == NULL ||
		emit_entry(ops, ctx, d, &r.average, "samples", r.samples) != 0)
		return -ENOMEM;
	if ((d = ops->dict(ctx, ssrc_dict, "lowest MOS")) == NULL ||
		emit_entry(ops, ctx, d, &r.lowest, "reported at", r.lowest.reported_at) != 0)
		return -ENOMEM;
	if ((d = ops->dict(ctx, ssrc_dict, "highest MOS")) == NULL ||
		emit_entry(ops, ctx, d, &r.highest, "reported at", r.highest.reported_at) != 0)
		return -ENOMEM;
	if ((prog = ops->dict(ctx, ssrc_dict, "MOS progression")) == NULL ||
		ops->integer(ctx, prog, "interval", r.interval_s) == NULL ||
		(list = ops->list(ctx, prog, "entries")) == NULL)
		return -ENOMEM;
	for (i = 0; i < r.n_prog; i++) {
		if ((d = ops->list_dict(ctx, list)) == NULL ||
			emit_entry(ops, ctx, d, &r.prog[i], "reported at", r.prog[i].reported_at) !=
				0)
			return -ENOMEM;
	}
	return 0;
}
