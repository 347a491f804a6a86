/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * G.722 (ITU-T G.722, 64 kbit/s mode 1) lower sub-band decoder, for
 * recording G.722 calls at 8 kHz.
 *
 * Why only the lower band: every output of the transcoder is 8000 Hz, and
 * the lower sub-band of SB-ADPCM *is* the 0-4 kHz signal sampled at 8 kHz,
 * one sample per octet, which also matches G.722's 8000 Hz RTP clock
 * (RFC 3551 4.5.2; the "320 instead of 160" trap of field-lessons 3.1).
 * The 2 high-band bits of each octet are ignored: decoding them and
 * running the receive QMF would give 16 kHz wideband audio that the 8 kHz
 * outputs would have to low-pass away again. The result is the same as
 * spandsp's G722_SAMPLE_RATE_8000 decoder, bit for bit (checked in
 * tests/record/test_tc.c).
 *
 * Blocks as named in the Recommendation: 5L INVQBL (6-bit inverse quantiser
 * for the output), 6L limiter, 2L INVQAL (4-bit inverse quantiser for the
 * adaptation), 3L LOGSCL/SCALEL (scale factor), 4L (RECONS, PARREC, UPPOL2,
 * UPPOL1, UPZERO, DELAYA, FILTEP, FILTEZ, PREDIC). The tables are the
 * Recommendation's; ilb[] (SCALEL's antilog) is 2048 * 2^(i/32), rounded.
 */
#include <stdint.h>
#include <string.h>

#include "record/tc_priv.h"

/* clang-format off */
/* 5L: 6-bit code -> reconstruction level (Q15 of the scale factor) */
static const int16_t qm6[64] = {
	-136, -136, -136, -136, -24808, -21904, -19008, -16704,
	-14984, -13512, -12280, -11192, -10232, -9360, -8576, -7856,
	-7192, -6576, -6000, -5456, -4944, -4464, -4008, -3576,
	-3168, -2776, -2400, -2032, -1688, -1360, -1040, -728,
	24808, 21904, 19008, 16704, 14984, 13512, 12280, 11192,
	10232, 9360, 8576, 7856, 7192, 6576, 6000, 5456,
	4944, 4464, 4008, 3576, 3168, 2776, 2400, 2032,
	1688, 1360, 1040, 728, 432, 136, -432, -136,
};

/* 2L: the code's 4 most significant bits -> level */
static const int16_t qm4[16] = {
	0, -20456, -12896, -8968, -6288, -4240, -2584, -1200,
	20456, 12896, 8968, 6288, 4240, 2584, 1200, 0,
};

/* 3L LOGSCL: 4-bit code -> magnitude index -> log scale factor step */
static const uint8_t rl42[16] = { 0, 7, 6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1, 0 };
static const int16_t wl[8] = { -60, -30, 58, 172, 334, 538, 1198, 3042 };

/* 3L SCALEL: 2048 * 2^(i/32) */
static const int16_t ilb[32] = {
	2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383,
	2435, 2489, 2543, 2599, 2656, 2714, 2774, 2834,
	2896, 2960, 3025, 3091, 3158, 3228, 3298, 3371,
	3444, 3520, 3597, 3676, 3756, 3838, 3922, 4008,
};
/* clang-format on */

static inline int
sat16(int x)
{
	return x > 32767 ? 32767 : x < -32768 ? -32768 : x;
}

void
tc_g722_init(struct tc_g722 *g)
{
	memset(g, 0, sizeof(*g));
	g->det = 32; /* the Recommendation's reset value for the lower band */
}

/* Block 4L: adapt the predictor to the new quantised difference dq. */
static void
adapt(struct tc_g722 *g, int dq)
{
	int i, wd1, wd2, wd3, sg0, sg1, sg2;

	/* RECONS, PARREC; dq becomes d[1] in DELAYA */
	g->d[0] = dq;
	g->r[0] = sat16(g->s + dq);
	g->p[0] = sat16(g->sz + dq);
	/* UPPOL2: second pole */
	sg0 = g->p[0] >> 15;
	sg1 = g->p[1] >> 15;
	sg2 = g->p[2] >> 15;
	wd1 = sat16(g->a[1] * 4);
	wd2 = sg0 == sg1 ? -wd1 : wd1;
	if (wd2 > 32767)
		wd2 = 32767;
	wd3 = (wd2 >> 7) + (sg0 == sg2 ? 128 : -128);
	wd3 += (g->a[2] * 32512) >> 15;
	if (wd3 > 12288)
		wd3 = 12288;
	else if (wd3 < -12288)
		wd3 = -12288;
	g->ap[2] = wd3;
	/* UPPOL1: first pole, bounded by the second for stability */
	wd1 = sg0 == sg1 ? 192 : -192;
	wd2 = (g->a[1] * 32640) >> 15;
	g->ap[1] = sat16(wd1 + wd2);
	wd3 = sat16(15360 - g->ap[2]);
	if (g->ap[1] > wd3)
		g->ap[1] = wd3;
	else if (g->ap[1] < -wd3)
		g->ap[1] = -wd3;
	/* UPZERO: six zeros, sign-sign LMS with leakage */
	wd1 = dq == 0 ? 0 : 128;
	sg0 = dq >> 15;
	for (i = 1; i < 7; i++) {
		wd2 = (g->d[i] >> 15) == sg0 ? wd1 : -wd1;
		wd3 = (g->b[i] * 32640) >> 15;
		g->bp[i] = sat16(wd2 + wd3);
	}
	/* DELAYA */
	for (i = 6; i > 0; i--) {
		g->d[i] = g->d[i - 1];
		g->b[i] = g->bp[i];
	}
	for (i = 2; i > 0; i--) {
		g->r[i] = g->r[i - 1];
		g->p[i] = g->p[i - 1];
		g->a[i] = g->ap[i];
	}
	/* FILTEP, FILTEZ, PREDIC */
	wd1 = (g->a[1] * sat16(g->r[1] + g->r[1])) >> 15;
	wd2 = (g->a[2] * sat16(g->r[2] + g->r[2])) >> 15;
	g->sp = sat16(wd1 + wd2);
	g->sz = 0;
	for (i = 6; i > 0; i--)
		g->sz += (g->b[i] * sat16(g->d[i] + g->d[i])) >> 15;
	g->sz = sat16(g->sz);
	g->s = sat16(g->sp + g->sz);
}

void
tc_g722_decode(struct tc_g722 *g, const uint8_t *in, int16_t *out, unsigned n)
{
	int ilr, rl, dq, wd1, wd2;
	unsigned k;

	for (k = 0; k < n; k++) {
		ilr = in[k] & 0x3f;
		/* 5L, 6L: output sample, 15-bit range, doubled to 16 bits */
		rl = g->s + ((g->det * qm6[ilr]) >> 15);
		if (rl > 16383)
			rl = 16383;
		else if (rl < -16384)
			rl = -16384;
		out[k] = rl * 2;
		/* 2L: the adaptation sees the 4-bit code only (embedded coding) */
		dq = (g->det * qm4[ilr >> 2]) >> 15;
		/* 3L: scale factor */
		wd1 = ((g->nb * 127) >> 7) + wl[rl42[ilr >> 2]];
		g->nb = wd1 < 0 ? 0 : wd1 > 18432 ? 18432 : wd1;
		wd1 = (g->nb >> 6) & 31;
		wd2 = 8 - (g->nb >> 11);
		g->det = (wd2 < 0 ? ilb[wd1] << -wd2 : ilb[wd1] >> wd2) << 2;
		adapt(g, dq);
	}
}
