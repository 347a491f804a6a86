/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MOS: rtpengine's reference table (rtpengine-compat 6.1) bit for bit, the
 * monotonic hold above 16 % loss, RTT from SR/RR timing, the per-SSRC
 * aggregate and the exact keys/order/units of the 6.2 SSRC dict.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "monitor/mos.h"

static const struct mos_conf CQ = {.mode = MOS_CQ};
static const struct mos_conf LQ = {.mode = MOS_LQ};
static const struct mos_conf EXACT = {.mode = MOS_CQ, .rtpengine_exact = true};
static const struct mos_conf EXACT_LQ = {.mode = MOS_LQ, .rtpengine_exact = true};

/* rtt_us / jitter_ms / loss% -> NB, FB, legacy (rtpengine v26) */
static const struct {
	uint64_t rtt;
	uint32_t jitter, loss;
	unsigned int nb, fb, legacy;
} ref[] = {
	{35, 2, 0, 43, 43, 43},
	{100000, 20, 1, 41, 39, 42},
	{200000, 30, 2, 38, 34, 37},
	{400000, 40, 5, 27, 21, 22},
	{100000, 20, 20, 24, 14, 20},
};

static void
test_reference_table(void **state)
{
	unsigned int i;

	for (i = 0; i < sizeof(ref) / sizeof(ref[0]); i++) {
		assert_int_equal(mos_calc(MOS_NB, &EXACT, ref[i].rtt, ref[i].jitter, ref[i].loss),
			ref[i].nb);
		assert_int_equal(mos_calc(MOS_FB, &EXACT, ref[i].rtt, ref[i].jitter, ref[i].loss),
			ref[i].fb);
		assert_int_equal(mos_calc(MOS_LEGACY, &EXACT, ref[i].rtt, ref[i].jitter,
					 ref[i].loss),
			ref[i].legacy);
		/* default mode: identical except NB in the divergence region */
		assert_int_equal(mos_calc(MOS_FB, &CQ, ref[i].rtt, ref[i].jitter, ref[i].loss),
			ref[i].fb);
		assert_int_equal(mos_calc(MOS_LEGACY, &CQ, ref[i].rtt, ref[i].jitter, ref[i].loss),
			ref[i].legacy);
		if (ref[i].loss <= 16)
			assert_int_equal(mos_calc(MOS_NB, &CQ, ref[i].rtt, ref[i].jitter,
						 ref[i].loss),
				ref[i].nb);
	}
	/* the fifth row has 20 % loss: rtpengine 2.4, sluice holds it below 15 %'s 2.2 */
	assert_int_equal(mos_calc(MOS_NB, &CQ, 100000, 20, 15), 22);
	assert_int_equal(mos_calc(MOS_NB, &CQ, 100000, 20, 20), 20);
	/* a perfect call reads 4.3 */
	assert_int_equal(mos_calc(MOS_NB, &CQ, 1, 0, 0), 43);
}

static void
test_modes(void **state)
{
	/* CQ without an RTT: no MOS */
	assert_int_equal(mos_calc(MOS_NB, &CQ, 0, 2, 0), 0);
	assert_int_equal(mos_calc(MOS_FB, &CQ, 0, 2, 0), 0);
	assert_int_equal(mos_calc(MOS_LEGACY, &CQ, 0, 2, 0), 0);
	/* LQ: RTT ignored */
	assert_int_equal(mos_calc(MOS_NB, &LQ, 0, 20, 1), mos_calc(MOS_NB, &CQ, 1, 20, 1));
	assert_int_equal(mos_calc(MOS_NB, &LQ, 400000, 20, 1), mos_calc(MOS_NB, &LQ, 0, 20, 1));
	assert_int_equal(mos_calc(MOS_FB, &LQ, 400000, 40, 5), mos_calc(MOS_FB, &CQ, 1, 40, 5));
	/* legacy + LQ: sluice ignores the RTT, rtpengine (exact) still uses it */
	assert_int_equal(mos_calc(MOS_LEGACY, &LQ, 400000, 40, 5),
		mos_calc(MOS_LEGACY, &CQ, 1, 40, 5));
	assert_int_equal(mos_calc(MOS_LEGACY, &EXACT_LQ, 400000, 40, 5), 22);
	assert_int_equal(mos_calc(MOS_LEGACY, &EXACT_LQ, 0, 40, 5),
		mos_calc(MOS_LEGACY, &CQ, 1, 40, 5));
	/* NULL conf is the default (CQ, not exact) */
	assert_int_equal(mos_calc(MOS_NB, NULL, 100000, 20, 1), 41);
}

static void
test_monotonic(void **state)
{
	static const uint64_t rtts[] = {1, 35, 20000, 100000, 200000, 354600, 400000, 1000000,
		3000000};
	static const uint32_t jitters[] = {0, 2, 20, 100, 500};
	static const enum mos_formula fs[] = {MOS_NB, MOS_FB, MOS_LEGACY};
	unsigned int a, b, f, loss, m, prev;
	bool rose = false;

	for (f = 0; f < 3; f++)
		for (a = 0; a < sizeof(rtts) / sizeof(rtts[0]); a++)
			for (b = 0; b < sizeof(jitters) / sizeof(jitters[0]); b++) {
				prev = 99;
				for (loss = 0; loss <= 100; loss++) {
					m = mos_calc(fs[f], &CQ, rtts[a], jitters[b], loss);
					assert_in_range(m, 10, 45);
					assert_true(m <= prev); /* never rises with more loss */
					prev = m;
					/* bit-identical to rtpengine up to the knee */
					if (loss <= 16)
						assert_int_equal(m, mos_calc(fs[f], &EXACT,
							rtts[a], jitters[b], loss));
				}
			}
	/* what the hold is for: rtpengine's NB rises past the knee, to 4.5 */
	prev = mos_calc(MOS_NB, &EXACT, 35, 0, 16);
	for (loss = 17; loss <= 40; loss++) {
		m = mos_calc(MOS_NB, &EXACT, 35, 0, loss);
		rose |= m > prev;
	}
	assert_true(rose);
	assert_int_equal(mos_calc(MOS_NB, &EXACT, 35, 0, 50), 45);
	assert_int_equal(mos_calc(MOS_NB, &CQ, 35, 0, 50), 10);
	/* rtpengine's R -> MOS truncation wobble (divergence 1b): G.107.2 at
	 * 200 ms rtt goes 1.0 -> 1.1 from 57 % to 58 % loss; sluice stays at 1.0 */
	assert_int_equal(mos_calc(MOS_FB, &EXACT, 400000, 0, 57), 10);
	assert_int_equal(mos_calc(MOS_FB, &EXACT, 400000, 0, 58), 11);
	assert_int_equal(mos_calc(MOS_FB, &CQ, 400000, 0, 58), 10);
	/* and it is smooth at the knee: no step between 16 % and 17 % */
	assert_int_equal(mos_calc(MOS_NB, &CQ, 35, 0, 16), 23);
	assert_int_equal(mos_calc(MOS_NB, &CQ, 35, 0, 17), 23);

	/* delay: non-increasing over 0..2 s one-way (covers the R -> MOS map) */
	prev = 99;
	for (a = 0; a <= 4000000; a += 2000) {
		m = mos_calc(MOS_NB, &LQ, 0, a / 1000, 0);
		assert_true(m <= prev);
		prev = m;
	}
	assert_int_equal(prev, 10);
}

/* ---- RTT ---- */

#define T0 1795693417000000ull /* wall clock µs */

static struct rtcp_sr
sr_at(uint32_t ssrc, uint32_t msw, uint32_t lsw)
{
	return (struct rtcp_sr){.ssrc = ssrc, .ntp_msw = msw, .ntp_lsw = lsw};
}

static void
test_rtt_leg(void **state)
{
	struct mos_ssrc e;
	struct rtcp_sr sr = sr_at(1, 0xe92a5c10, 0x80000000);
	uint32_t lsr = rtcp_ntp_mid(sr.ntp_msw, sr.ntp_lsw), rtt = 0;
	unsigned int i;

	mos_ssrc_init(&e);
	mos_sr(&e, &sr, T0);
	/* RR 150 ms later, held 6554/65536 s (100006 µs truncated) at the far end */
	assert_int_equal(mos_rtt_leg(&e, lsr, 6554, T0 + 150000, &rtt), 0);
	assert_int_equal(rtt, 49994);
	assert_int_equal(e.last_rtt_us, 49994);
	/* LSR or DLSR 0: no RTT (DLSR 0 is what one-way RTCP produces) */
	assert_int_equal(mos_rtt_leg(&e, 0, 6554, T0 + 150000, &rtt), -ENODATA);
	assert_int_equal(mos_rtt_leg(&e, lsr, 0, T0 + 150000, &rtt), -ENODATA);
	/* unknown SR */
	assert_int_equal(mos_rtt_leg(&e, lsr + 1, 6554, T0 + 150000, &rtt), -ENOENT);
	/* DLSR longer than the elapsed time, and a leg over 10 s */
	assert_int_equal(mos_rtt_leg(&e, lsr, 65536, T0 + 150000, &rtt), -ERANGE);
	assert_int_equal(mos_rtt_leg(&e, lsr, 1, T0 + 10000001 + 15, &rtt), -ERANGE);
	assert_int_equal(mos_rtt_leg(&e, lsr, 1, T0 + 10000000 + 15, &rtt), 0);
	assert_int_equal(rtt, 10000000);
	assert_int_equal(e.last_rtt_us, 10000000);

	/* ten SRs are remembered: the first is gone after ten more */
	for (i = 1; i <= 10; i++) {
		struct rtcp_sr s = sr_at(1, 0xe92a5c10 + i, 0);

		mos_sr(&e, &s, T0 + i * 5000000ull);
	}
	assert_int_equal(mos_rtt_leg(&e, lsr, 1, T0 + 50000100, &rtt), -ENOENT);
	assert_int_equal(mos_rtt_leg(&e, rtcp_ntp_mid(0xe92a5c10 + 1, 0), 1, T0 + 5000100, &rtt),
		0);
	assert_int_equal(rtt, 85); /* 100 µs - 1/65536 s (15 µs) */
	/* the same LSR twice: the newest SR counts */
	{
		struct rtcp_sr s = sr_at(1, 0xe92a5c10 + 10, 0);

		mos_sr(&e, &s, T0 + 60000000);
		assert_int_equal(mos_rtt_leg(&e, rtcp_ntp_mid(s.ntp_msw, 0), 1, T0 + 60000100,
					 &rtt),
			0);
		assert_int_equal(rtt, 85);
	}
}

/* ---- aggregate ---- */

static struct rtcp_rb
rb_of(uint32_t reporter, uint32_t ssrc, uint8_t fraction, int32_t cum, uint32_t jitter,
	uint32_t lsr, uint32_t dlsr)
{
	return (struct rtcp_rb){.reporter = reporter, .ssrc = ssrc, .fraction = fraction,
		.cum_lost = cum, .jitter = jitter, .lsr = lsr, .dlsr = dlsr};
}

/* a minimal tree for mos_ssrc_emit(), printed as compact JSON */
struct node {
	const char *key;
	int kind; /* 0 int, 1 dict, 2 list */
	int64_t v;
	struct node *child, *last, *next;
};
struct pool {
	struct node n[512];
	unsigned int used, fail_after;
};

static struct node *
add(struct pool *p, struct node *parent, const char *key, int kind, int64_t v)
{
	struct node *n;

	if (p->used >= p->fail_after || p->used >= 512)
		return NULL;
	n = &p->n[p->used++];
	*n = (struct node){.key = key, .kind = kind, .v = v};
	if (parent->last != NULL)
		parent->last->next = n;
	else
		parent->child = n;
	parent->last = n;
	return n;
}

static void *
op_dict(void *ctx, void *parent, const char *key)
{
	return add(ctx, parent, key, 1, 0);
}

static void *
op_list(void *ctx, void *parent, const char *key)
{
	return add(ctx, parent, key, 2, 0);
}

static void *
op_list_dict(void *ctx, void *list)
{
	return add(ctx, list, NULL, 1, 0);
}

static void *
op_int(void *ctx, void *parent, const char *key, int64_t v)
{
	return add(ctx, parent, key, 0, v);
}

static const struct mos_emit_ops ops = {op_dict, op_list, op_list_dict, op_int};

static void
print(const struct node *n, char *out, size_t *o)
{
	const struct node *c;

	if (n->key != NULL)
		*o += (size_t)sprintf(out + *o, "\"%s\":", n->key);
	if (n->kind == 0) {
		*o += (size_t)sprintf(out + *o, "%lld", (long long)n->v);
		return;
	}
	out[(*o)++] = n->kind == 1 ? '{' : '[';
	for (c = n->child; c != NULL; c = c->next) {
		print(c, out, o);
		if (c->next != NULL)
			out[(*o)++] = ',';
	}
	out[(*o)++] = n->kind == 1 ? '}' : ']';
	out[*o] = 0;
}

static void
emit_json(const struct mos_ssrc *e, char *out)
{
	static struct pool p;
	struct node root = {.kind = 1};
	size_t o = 0;

	p.used = 0;
	p.fail_after = 512;
	assert_int_equal(mos_ssrc_emit(e, &ops, &p, &root), 0);
	print(&root, out, &o);
}

/*
 * Two parties through the relay: A (SSRC 0xA) and B (0xB), 8 kHz.
 * Leg A<->relay is 60 ms, leg B<->relay 40 ms.
 */
static void
test_call_flow(void **state)
{
	struct mos_ssrc A, B;
	struct rtcp_sr sra = sr_at(0xA, 3000000000u, 0x40000000);
	struct rtcp_sr srb = sr_at(0xB, 3000000001u, 0x80000000);
	struct mos_block blk;
	struct rtcp_rb rb;
	char json[4096];
	uint32_t midA = rtcp_ntp_mid(sra.ntp_msw, sra.ntp_lsw);
	uint32_t midB = rtcp_ntp_mid(srb.ntp_msw, srb.ntp_lsw);
	struct mos_report r;

	mos_ssrc_init(&A);
	mos_ssrc_init(&B);

	/* A's SR passes at 10.0 s; B echoes it 40 ms + 0.5 s hold later */
	mos_sr(&A, &sra, T0 + 10000000);
	rb = rb_of(0xB, 0xA, 0, 0, 80, midA, 32768);
	assert_int_equal(mos_report_block(&B, &A, &rb, 8000, MOS_NB, &CQ, T0 + 10540000, &blk),
		0);
	assert_int_equal(blk.rtt_leg_us, 40000);
	assert_int_equal(blk.rtt_us, 0); /* the other leg is not known yet */
	assert_int_equal(blk.mos, 0);    /* CQ needs it */
	assert_int_equal(A.last_rtt_us, 40000);
	emit_json(&B, json);
	assert_string_equal(json, "{}"); /* no MOS sample yet: no keys at all */

	/* B's SR passes at 10.5 s; A echoes it 60 ms + 1 s hold later */
	mos_sr(&B, &srb, T0 + 10500000);
	rb = rb_of(0xA, 0xB, 3, 2, 160, midB, 65536);
	assert_int_equal(mos_report_block(&A, &B, &rb, 8000, MOS_NB, &CQ, T0 + 11560000, &blk),
		0);
	assert_int_equal(blk.rtt_leg_us, 60000);
	assert_int_equal(blk.rtt_us, 100000); /* 60 ms + A's opposite leg 40 ms */
	assert_int_equal(blk.jitter_ms, 20);
	assert_int_equal(blk.loss_pct, 1);    /* 3 * 100 / 256 */
	assert_int_equal(blk.mos, 41);        /* reference row 2 */
	assert_int_equal(B.last_rtt_us, 60000);

	/* B again, 12.0 s: now both legs known */
	rb = rb_of(0xB, 0xA, 0, 5, 80, midA, 2 * 65536 + 6554); /* 2.100006 s */
	assert_int_equal(mos_report_block(&B, &A, &rb, 8000, MOS_NB, &CQ, T0 + 12140006, &blk),
		0);
	assert_int_equal(blk.rtt_leg_us, 40000);
	assert_int_equal(blk.rtt_us, 100000);
	assert_int_equal(blk.jitter_ms, 10);
	assert_int_equal(blk.mos, mos_calc(MOS_NB, &CQ, 100000, 10, 0));
	assert_int_equal(blk.mos, 42);

	/* < 1 s later: computed, not stored; cumulative loss still updated */
	rb = rb_of(0xB, 0xA, 128, -1, 800, midA, 32768);
	assert_int_equal(mos_report_block(&B, &A, &rb, 8000, MOS_NB, &CQ, T0 + 12900000, &blk),
		-EAGAIN);
	assert_int_equal(blk.loss_pct, 50);
	assert_int_equal(B.n_blocks, 2);
	assert_int_equal(B.cum_loss, -1);

	/* no SR echoed: rtpengine ignores the block entirely */
	rb = rb_of(0xB, 0xA, 128, 7, 800, 0, 0);
	assert_int_equal(mos_report_block(&B, &A, &rb, 8000, MOS_NB, &CQ, T0 + 20000000, &blk),
		-ENODATA);
	assert_int_equal(B.cum_loss, -1);
	/* unknown clock rate: ignored, but the leg RTT was measured */
	A.last_rtt_us = 0;
	rb = rb_of(0xB, 0xA, 0, 9, 80, midA, 65536);
	assert_int_equal(mos_report_block(&B, &A, &rb, 0, MOS_NB, &CQ, T0 + 11100000, &blk),
		-ENOENT);
	assert_int_equal(A.last_rtt_us, 100000);
	assert_int_equal(mos_report_block(&B, NULL, &rb, 8000, MOS_NB, &CQ, T0 + 21000000, &blk),
		-ENOENT);
	assert_int_equal(mos_report_block(NULL, &A, &rb, 8000, MOS_NB, &CQ, T0 + 21000000, &blk),
		-EINVAL);

	mos_ssrc_report(&B, &r);
	assert_true(r.has_mos);
	assert_int_equal(r.samples, 1);
	assert_int_equal(r.lowest.reported_at, 1795693429);
	emit_json(&B, json);
	assert_string_equal(json,
		"{\"cumulative loss\":-1,"
		"\"average MOS\":{\"MOS\":42,\"round-trip time\":100000,"
		"\"round-trip time leg\":40000,"
		"\"jitter\":10,\"packet loss\":0,\"samples\":1},"
		"\"lowest MOS\":{\"MOS\":42,\"round-trip time\":100000,"
		"\"round-trip time leg\":40000,"
		"\"jitter\":10,\"packet loss\":0,\"reported at\":1795693429},"
		"\"highest MOS\":{\"MOS\":42,\"round-trip time\":100000,"
		"\"round-trip time leg\":40000,"
		"\"jitter\":10,\"packet loss\":0,\"reported at\":1795693429},"
		"\"MOS progression\":{\"interval\":0,\"entries\":["
		"{\"MOS\":0,\"round-trip time\":0,\"round-trip time leg\":40000,\"jitter\":10,"
		"\"packet loss\":0,\"reported at\":1795693427},"
		"{\"MOS\":42,\"round-trip time\":100000,\"round-trip time leg\":40000,"
		"\"jitter\":10,"
		"\"packet loss\":0,\"reported at\":1795693429}]}}");

	/* an XR VoIP-metrics round trip about A replaces A's end-to-end RTT */
	{
		struct rtcp_xr_voip vm = {.reporter = 0xB, .ssrc = 0xA, .round_trip_delay = 150};

		mos_xr_voip(&A, &vm);
		rb = rb_of(0xA, 0xB, 0, 2, 160, midB, 65536);
		assert_int_equal(mos_report_block(&A, &B, &rb, 8000, MOS_NB, &CQ, T0 + 13000000,
					 &blk),
			0);
		assert_int_equal(blk.rtt_us, 150000);
	}
	/* allocation failure propagates */
	{
		static struct pool p;
		struct node root = {.kind = 1};
		unsigned int k;

		for (k = 0; k < 39; k++) { /* B's MOS part is 39 nodes */
			p.used = 0;
			p.fail_after = k;
			root = (struct node){.kind = 1};
			assert_int_equal(mos_ssrc_emit(&B, &ops, &p, &root), -ENOMEM);
		}
	}
}

/* rtpengine's progression pick over the full block list */
static unsigned int
ref_progression(const uint64_t *t, unsigned int n, uint64_t *out)
{
	int64_t interval = ((int64_t)t[n - 1] - (int64_t)t[0]) / 10, next = (int64_t)t[0];
	unsigned int i, k = 0;

	for (i = 0; i < n; i++) {
		if ((int64_t)t[i] < next)
			continue;
		next += interval;
		out[k++] = t[i];
	}
	return k;
}

static void
test_progression(void **state)
{
	static const unsigned int ns[] = {1, 2, 5, 11, 32, 33, 100, 1000};
	static uint64_t t[1000], want[1000];
	static struct mos_ssrc e, src; /* static: keeps the stack small */
	struct mos_report r;
	unsigned int c, i, k, nw;

	for (c = 0; c < sizeof(ns) / sizeof(ns[0]); c++) {
		uint64_t now = T0;

		mos_ssrc_init(&e);
		e.last_rtt_us = 30000;
		for (i = 0; i < ns[c]; i++) {
			struct rtcp_rb rb =
				rb_of(1, 2, (uint8_t)(i * 7 % 40), 0, 8 * (i % 50), 1, 1);
			struct mos_block b;

			now += 1000000 + (i % 7) * 350000; /* RTCP every 1..3.1 s */
			t[i] = now;
			/* no source: ignored; a fresh source without SRs: leg unknown */
			assert_int_equal(mos_report_block(&e, NULL, &rb, 8000, MOS_NB, &CQ, now,
						 &b),
				-ENOENT);
			mos_ssrc_init(&src);
			assert_int_equal(
				mos_report_block(&e, &src, &rb, 8000, MOS_NB, &CQ, now, &b), 0);
		}
		assert_true(e.hist_n <= MOS_HIST_MAX);
		mos_ssrc_report(&e, &r);
		assert_true(r.has_mos);
		assert_int_equal(r.samples, ns[c]);
		nw = ref_progression(t, ns[c], want);
		assert_int_equal(r.interval_s, (int64_t)((t[ns[c] - 1] - t[0]) / 10) / 1000000);
		if (ns[c] <= MOS_HIST_MAX) {
			/* every block kept: exactly rtpengine's pick */
			assert_int_equal(r.n_prog, nw);
			for (k = 0; k < nw; k++)
				assert_int_equal(r.prog[k].reported_at,
					(int64_t)(want[k] / 1000000));
		} else {
			/* thinned history: still about ten entries, in order, from the start */
			assert_in_range(r.n_prog, 9, 11);
			assert_int_equal(r.prog[0].reported_at, (int64_t)(t[0] / 1000000));
			for (k = 1; k < r.n_prog; k++)
				assert_true(r.prog[k].reported_at > r.prog[k - 1].reported_at);
		}
	}
}

static void
test_aggregate(void **state)
{
	static const uint8_t fr[] = {0, 26, 0, 128, 13}; /* 0, 10, 0, 50, 5 % */
	struct mos_ssrc e, src;
	struct mos_report r;
	struct mos_block b;
	unsigned int i;
	int64_t sum = 0;

	mos_ssrc_init(&e);
	mos_ssrc_init(&src);
	e.last_rtt_us = 50000;
	for (i = 0; i < 5; i++) {
		struct rtcp_rb rb = rb_of(1, 2, fr[i], (int32_t)i, 160, 1, 1);

		assert_int_equal(mos_report_block(&e, &src, &rb, 8000, MOS_NB, &CQ,
					 T0 + i * 5000000ull, &b),
			0);
		sum += b.mos;
		if (i == 3)
			assert_int_equal(b.mos, 10);
	}
	mos_ssrc_report(&e, &r);
	assert_int_equal(r.samples, 5);
	assert_int_equal(r.average.mos, sum / 5);
	assert_int_equal(r.average.loss, (0 + 10 + 0 + 50 + 5) / 5);
	assert_int_equal(r.average.rtt, 50000); /* leg unknown (0) + opposite 50 ms */
	assert_int_equal(r.lowest.mos, 10);
	assert_int_equal(r.lowest.reported_at, (int64_t)((T0 + 15000000) / 1000000));
	/* ties keep the first block, like rtpengine's strict comparisons */
	assert_int_equal(r.highest.reported_at, (int64_t)(T0 / 1000000));
	assert_int_equal(r.cum_loss, 4);

	/* LQ: MOS without any RTT */
	mos_ssrc_init(&e);
	{
		struct rtcp_rb rb = rb_of(1, 2, 0, 0, 16, 1, 1);

		assert_int_equal(mos_report_block(&e, &src, &rb, 8000, MOS_NB, &LQ, T0, &b), 0);
		assert_int_equal(b.mos, 43);
		assert_int_equal(b.rtt_us, 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reference_table),
		cmocka_unit_test(test_modes),
		cmocka_unit_test(test_monotonic),
		cmocka_unit_test(test_rtt_leg),
		cmocka_unit_test(test_call_flow),
		cmocka_unit_test(test_progression),
		cmocka_unit_test(test_aggregate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
