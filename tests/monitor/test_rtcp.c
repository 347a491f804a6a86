/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Compound RTCP parser: captured compounds, an XR with all seven RFC 3611
 * block types, hand-built SR/SDES/BYE with padding, and hostile input (every
 * truncation, lying length words, counts and padding, capacity limits, and a
 * seeded mutation run that must never read out of bounds under ASan).
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

#include "monitor/rtcp.h"

/*
 * A WebRTC (Firefox) compound from a packet dump, as published in pion/rtcp's
 * tests (MIT): RR + SDES(CNAME) + BYE + PLI + RRR + APP.
 */
static const uint8_t firefox_compound[] = {
	0x81, 0xc9, 0x00, 0x07, 0x90, 0x2f, 0x9e, 0x2e, 0xbc, 0x5e, 0x9a, 0x40,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46, 0xe1, 0x00, 0x00, 0x01, 0x11,
	0x09, 0xf3, 0x64, 0x32, 0x00, 0x02, 0x4a, 0x79,
	/* SDES at 32 */
	0x81, 0xca, 0x00, 0x0c, 0x90, 0x2f, 0x9e, 0x2e, 0x01, 0x26, 0x7b, 0x39,
	0x63, 0x30, 0x30, 0x65, 0x62, 0x39, 0x32, 0x2d, 0x31, 0x61, 0x66, 0x62,
	0x2d, 0x39, 0x64, 0x34, 0x39, 0x2d, 0x61, 0x34, 0x37, 0x64, 0x2d, 0x39,
	0x31, 0x66, 0x36, 0x34, 0x65, 0x65, 0x65, 0x36, 0x39, 0x66, 0x35, 0x7d,
	0x00, 0x00, 0x00, 0x00,
	/* BYE at 84 */
	0x81, 0xcb, 0x00, 0x01, 0x90, 0x2f, 0x9e, 0x2e,
	/* PLI at 92 */
	0x81, 0xce, 0x00, 0x02, 0x90, 0x2f, 0x9e, 0x2e, 0x90, 0x2f, 0x9e, 0x2e,
	/* RRR at 104 */
	0x85, 0xcd, 0x00, 0x02, 0x90, 0x2f, 0x9e, 0x2e, 0x90, 0x2f, 0x9e, 0x2e,
	/* APP at 116 */
	0x80, 0xcc, 0x00, 0x03, 0x4b, 0xaa, 0xe1, 0xab, 0x4e, 0x41, 0x4d, 0x45,
	0x41, 0x42, 0x43, 0x44,
};
static const size_t firefox_bounds[] = {32, 84, 92, 104, 116, 132};

/* SR + SDES captured "in the wild" (openvocs tests): a VoIP endpoint's report */
static const uint8_t wild_sr_sdes[] = {
	0x81, 0xc8, 0x00, 0x0c, 0x63, 0x9e, 0xda, 0x7b, 0xe8, 0x40, 0x07, 0x5b,
	0x1c, 0xc5, 0x64, 0x80, 0x00, 0x0e, 0x7e, 0xd0, 0x00, 0x00, 0x03, 0xde,
	0x00, 0x01, 0xb0, 0x52, 0x07, 0x5b, 0xcd, 0x15, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x1c, 0x28, 0x00, 0x00, 0x00, 0x2e, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00,
	/* SDES at 52 */
	0x81, 0xca, 0x00, 0x0b, 0x63, 0x9e, 0xda, 0x7b, 0x01, 0x24, 0x34, 0x65,
	0x34, 0x35, 0x33, 0x39, 0x33, 0x33, 0x2d, 0x65, 0x38, 0x33, 0x62, 0x2d,
	0x34, 0x65, 0x35, 0x64, 0x2d, 0x62, 0x36, 0x61, 0x34, 0x2d, 0x34, 0x65,
	0x33, 0x36, 0x32, 0x36, 0x31, 0x64, 0x35, 0x32, 0x39, 0x35, 0x00, 0x00,
};
static const size_t wild_bounds[] = {52, 100};

/*
 * XR with one block of each RFC 3611 type (pion/rtcp's extended report
 * vector, MIT): loss RLE, dup RLE, receipt times, RRT, DLRR x3, statistics
 * summary, VoIP metrics.
 */
static const uint8_t xr_all[] = {
	0x80, 0xcf, 0x00, 0x33, 0x01, 0x02, 0x03, 0x04,
	0x01, 0x0c, 0x00, 0x04, 0x12, 0x34, 0x56, 0x89, 0x00, 0x05, 0x00, 0x0c,
	0x40, 0x06, 0x00, 0x06, 0x87, 0x65, 0x00, 0x00,
	0x02, 0x06, 0x00, 0x04, 0x12, 0x34, 0x56, 0x89, 0x00, 0x05, 0x00, 0x0c,
	0x41, 0x23, 0x3f, 0xff, 0xff, 0xff, 0x00, 0x00,
	0x03, 0x03, 0x00, 0x07, 0x98, 0x76, 0x54, 0x32, 0x3c, 0x48, 0x3c, 0xd9,
	0x11, 0x11, 0x11, 0x11, 0x22, 0x22, 0x22, 0x22, 0x33, 0x33, 0x33, 0x33,
	0x44, 0x44, 0x44, 0x44, 0x55, 0x55, 0x55, 0x55,
	0x04, 0x00, 0x00, 0x02, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
	0x05, 0x00, 0x00, 0x09, 0x88, 0x88, 0x88, 0x88, 0x12, 0x34, 0x56, 0x78,
	0x99, 0x99, 0x99, 0x99, 0x09, 0x09, 0x09, 0x09, 0x12, 0x34, 0x56, 0x78,
	0x99, 0x99, 0x99, 0x99, 0x11, 0x22, 0x33, 0x44, 0x12, 0x34, 0x56, 0x78,
	0x99, 0x99, 0x99, 0x99,
	0x06, 0xe8, 0x00, 0x09, 0xfe, 0xdc, 0xba, 0x98, 0x12, 0x34, 0x56, 0x78,
	0x11, 0x11, 0x11, 0x11, 0x22, 0x22, 0x22, 0x22, 0x33, 0x33, 0x33, 0x33,
	0x44, 0x44, 0x44, 0x44, 0x55, 0x55, 0x55, 0x55, 0x66, 0x66, 0x66, 0x66,
	0x01, 0x02, 0x03, 0x04,
	/* VoIP metrics at 172 */
	0x07, 0x00, 0x00, 0x08, 0x89, 0xab, 0xcd, 0xef, 0x05, 0x06, 0x07, 0x08,
	0x11, 0x11, 0x22, 0x22, 0x33, 0x33, 0x44, 0x44, 0x11, 0x22, 0x33, 0x44,
	0x55, 0x66, 0x77, 0x88, 0x99, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66,
};

/*
 * Hand-built from RFC 3550 6.4.1/6.5/6.6 and RFC 3611 4.7: SR with two report
 * blocks (one with cumulative loss -3), SDES with two chunks (CNAME+TOOL,
 * then NAME+PRIV), XR VoIP metrics with realistic values, BYE with a reason,
 * 4 bytes of padding on the last packet.
 */
static const uint8_t built[] = {
	/* SR, RC=2, length 18 -> 76 bytes */
	0x82, 0xc8, 0x00, 0x12, 0x11, 0x11, 0x11, 0x11,
	0xe9, 0x2a, 0x5c, 0x10, 0x80, 0x00, 0x00, 0x00, /* NTP 3911342096.5 */
	0x00, 0x01, 0xe2, 0x40, 0x00, 0x00, 0x01, 0xf4, 0x00, 0x01, 0x38, 0x80,
	0x22, 0x22, 0x22, 0x22, 0x19, 0x00, 0x00, 0x2a, 0x00, 0x01, 0x03, 0xe8,
	0x00, 0x00, 0x00, 0x50, 0x5c, 0x10, 0x80, 0x00, 0x00, 0x01, 0x00, 0x00,
	0x33, 0x33, 0x33, 0x33, 0x00, 0xff, 0xff, 0xfd, 0x00, 0x00, 0x00, 0x07,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	/* SDES at 76, SC=2, length 8 -> 36 bytes; each chunk ends on a word */
	0x82, 0xca, 0x00, 0x08,
	0x11, 0x11, 0x11, 0x11, 0x01, 0x05, 'a', '@', 'h', '.', 'x', 0x06, 0x02, 's', 'l',
	0x00, /* END: chunk 1 is 16 bytes */
	0x44, 0x44, 0x44, 0x44, 0x02, 0x03, 'B', '"', 'b', 0x08, 0x04, 0x02, 'p', 'x', 'v',
	0x00,
	/* XR at 112: VoIP metrics, length 10 -> 44 bytes */
	0x80, 0xcf, 0x00, 0x0a, 0x11, 0x11, 0x11, 0x11,
	0x07, 0x00, 0x00, 0x08, 0x22, 0x22, 0x22, 0x22,
	0x0d, 0x02, 0x40, 0x05, 0x00, 0x3c, 0x05, 0xdc, 0x00, 0x78, 0x00, 0x50,
	0xec, 0xba, 0x7f, 0x10, 0x52, 0x7f, 0x29, 0x25, 0x00, 0x00, 0x00, 0x28,
	0x00, 0x78, 0x00, 0xc8,
	/* BYE at 156, P set, SC=1, reason "hup", 4 pad bytes: length 3 -> 16 bytes */
	0xa1, 0xcb, 0x00, 0x03, 0x11, 0x11, 0x11, 0x11, 0x03, 'h', 'u', 'p',
	0x00, 0x00, 0x00, 0x04,
};

static void
expect_empty(const struct rtcp_report *r)
{
	assert_int_equal(r->n_pkts, 0);
	assert_int_equal(r->n_sr, 0);
	assert_int_equal(r->n_rb, 0);
	assert_int_equal(r->n_sdes, 0);
	assert_int_equal(r->n_bye, 0);
	assert_int_equal(r->n_voip + r->n_rrt + r->n_dlrr, 0);
	assert_null(r->bye_reason);
}

static void
test_firefox(void **state)
{
	struct rtcp_report r;

	assert_int_equal(rtcp_parse(firefox_compound, sizeof(firefox_compound), &r), 0);
	assert_int_equal(r.n_pkts, 6);
	assert_int_equal(r.pkts[0].pt, RTCP_PT_RR);
	assert_int_equal(r.pkts[0].ssrc, 0x902f9e2e);
	assert_int_equal(r.pkts[0].n, 1);
	assert_int_equal(r.n_rb, 1);
	assert_int_equal(r.rb[0].reporter, 0x902f9e2e);
	assert_int_equal(r.rb[0].ssrc, 0xbc5e9a40);
	assert_int_equal(r.rb[0].fraction, 0);
	assert_int_equal(r.rb[0].cum_lost, 0);
	assert_int_equal(r.rb[0].highest_seq, 0x46e1);
	assert_int_equal(r.rb[0].jitter, 273);
	assert_int_equal(r.rb[0].lsr, 0x9f36432);
	assert_int_equal(r.rb[0].dlsr, 150137);

	assert_int_equal(r.pkts[1].pt, RTCP_PT_SDES);
	assert_int_equal(r.pkts[1].off, 32);
	assert_int_equal(r.pkts[1].len, 52);
	assert_int_equal(r.n_sdes, 1);
	assert_int_equal(r.sdes[0].ssrc, 0x902f9e2e);
	assert_int_equal(r.sdes[0].type, RTCP_SDES_CNAME);
	assert_int_equal(r.sdes[0].len, 38);
	assert_int_equal(r.sdes[0].pkt, 1);
	assert_memory_equal(r.sdes[0].text, "{9c00eb92-1afb-9d49-a47d-91f64eee69f5}", 38);

	assert_int_equal(r.pkts[2].pt, RTCP_PT_BYE);
	assert_int_equal(r.n_bye, 1);
	assert_int_equal(r.bye[0], 0x902f9e2e);
	assert_null(r.bye_reason);

	assert_int_equal(r.pkts[3].pt, RTCP_PT_PSFB);
	assert_int_equal(r.pkts[3].count, 1); /* FMT 1 = PLI */
	assert_int_equal(r.pkts[3].media_ssrc, 0x902f9e2e);
	assert_int_equal(r.pkts[4].pt, RTCP_PT_RTPFB);
	assert_int_equal(r.pkts[4].count, 5); /* FMT 5 = RRR */
	assert_string_equal(rtcp_pt_name(r.pkts[4].pt), "RTPFB");
	assert_int_equal(r.pkts[5].pt, RTCP_PT_APP);
	assert_int_equal(r.pkts[5].ssrc, 0x4baae1ab);
	assert_memory_equal(r.pkts[5].name, "NAME", 4);
}

static void
test_wild_sr(void **state)
{
	struct rtcp_report r;

	assert_int_equal(rtcp_parse(wild_sr_sdes, sizeof(wild_sr_sdes), &r), 0);
	assert_int_equal(r.n_pkts, 2);
	assert_int_equal(r.n_sr, 1);
	assert_int_equal(r.pkts[0].sr, 0);
	assert_int_equal(r.sr[0].ssrc, 0x639eda7b);
	assert_int_equal(r.sr[0].ntp_msw, 0xe840075b);
	assert_int_equal(r.sr[0].ntp_lsw, 0x1cc56480);
	assert_int_equal(r.sr[0].rtp_ts, 0x000e7ed0);
	assert_int_equal(r.sr[0].packets, 990);
	assert_int_equal(r.sr[0].octets, 110674);
	assert_int_equal(rtcp_ntp_mid(r.sr[0].ntp_msw, r.sr[0].ntp_lsw), 0x075b1cc5);
	assert_int_equal(r.n_rb, 1);
	assert_int_equal(r.rb[0].reporter, 0x639eda7b);
	assert_int_equal(r.rb[0].ssrc, 0x075bcd15);
	assert_int_equal(r.rb[0].highest_seq, 7208);
	assert_int_equal(r.rb[0].jitter, 46);
	assert_int_equal(r.rb[0].lsr, 0);
	assert_int_equal(r.rb[0].dlsr, 0);
	assert_int_equal(r.n_sdes, 1);
	assert_int_equal(r.sdes[0].len, 36);
	assert_memory_equal(r.sdes[0].text, "4e453933-e83b-4e5d-b6a4-4e36261d5295", 36);
}

static void
test_xr_all_blocks(void **state)
{
	struct rtcp_report r;
	const struct rtcp_xr_voip *v;

	assert_int_equal(rtcp_parse(xr_all, sizeof(xr_all), &r), 0);
	assert_int_equal(r.n_pkts, 1);
	assert_int_equal(r.pkts[0].ssrc, 0x01020304);
	assert_int_equal(r.n_rrt, 1);
	assert_int_equal(r.rrt[0].ssrc, 0x01020304);
	assert_int_equal(r.rrt[0].ntp_msw, 0x01020304);
	assert_int_equal(r.rrt[0].ntp_lsw, 0x05060708);
	assert_int_equal(r.n_dlrr, 3);
	assert_int_equal(r.dlrr[0].ssrc, 0x88888888);
	assert_int_equal(r.dlrr[1].ssrc, 0x09090909);
	assert_int_equal(r.dlrr[2].ssrc, 0x11223344);
	assert_int_equal(r.dlrr[2].lrr, 0x12345678);
	assert_int_equal(r.dlrr[2].dlrr, 0x99999999);
	assert_int_equal(r.dlrr[2].reporter, 0x01020304);
	assert_int_equal(r.n_voip, 1);
	v = &r.voip[0];
	assert_int_equal(v->reporter, 0x01020304);
	assert_int_equal(v->ssrc, 0x89abcdef);
	assert_int_equal(v->loss_rate, 5);
	assert_int_equal(v->discard_rate, 6);
	assert_int_equal(v->burst_density, 7);
	assert_int_equal(v->gap_density, 8);
	assert_int_equal(v->burst_duration, 0x1111);
	assert_int_equal(v->gap_duration, 0x2222);
	assert_int_equal(v->round_trip_delay, 0x3333);
	assert_int_equal(v->end_system_delay, 0x4444);
	assert_int_equal(v->signal_level, 0x11);
	assert_int_equal(v->noise_level, 0x22);
	assert_int_equal(v->rerl, 0x33);
	assert_int_equal(v->gmin, 0x44);
	assert_int_equal(v->r_factor, 0x55);
	assert_int_equal(v->ext_r_factor, 0x66);
	assert_int_equal(v->mos_lq, 0x77);
	assert_int_equal(v->mos_cq, 0x88);
	assert_int_equal(v->rx_config, 0x99);
	assert_int_equal(v->jb_nominal, 0x1122);
	assert_int_equal(v->jb_max, 0x3344);
	assert_int_equal(v->jb_abs_max, 0x5566);
}

static void
test_built(void **state)
{
	struct rtcp_report r;
	const struct rtcp_xr_voip *v;

	assert_int_equal(sizeof(built), 172);
	assert_int_equal(rtcp_parse(built, sizeof(built), &r), 0);
	assert_int_equal(r.n_pkts, 4);
	assert_int_equal(r.sr[0].ntp_msw, 0xe92a5c10);
	assert_int_equal(r.sr[0].ntp_lsw, 0x80000000);
	assert_int_equal(r.sr[0].rtp_ts, 123456);
	assert_int_equal(r.sr[0].packets, 500);
	assert_int_equal(r.sr[0].octets, 80000);
	assert_int_equal(r.n_rb, 2);
	assert_int_equal(r.pkts[0].first, 0);
	assert_int_equal(r.pkts[0].n, 2);
	assert_int_equal(r.rb[0].ssrc, 0x22222222);
	assert_int_equal(r.rb[0].fraction, 25);
	assert_int_equal(r.rb[0].cum_lost, 42);
	assert_int_equal(r.rb[0].highest_seq, 66536);
	assert_int_equal(r.rb[0].jitter, 80);
	assert_int_equal(r.rb[0].lsr, 0x5c108000);
	assert_int_equal(r.rb[0].dlsr, 65536);
	assert_int_equal(r.rb[1].ssrc, 0x33333333);
	assert_int_equal(r.rb[1].cum_lost, -3); /* duplicates outnumber losses */
	assert_int_equal(r.rb[1].cum_lost_raw, 0xfffffd);
	assert_int_equal(r.rb[1].reporter, 0x11111111);

	assert_int_equal(r.n_sdes, 4);
	assert_int_equal(r.pkts[1].first, 0);
	assert_int_equal(r.pkts[1].n, 4);
	assert_int_equal(r.pkts[1].ssrc, 0x11111111);
	assert_int_equal(r.sdes[0].type, RTCP_SDES_CNAME);
	assert_memory_equal(r.sdes[0].text, "a@h.x", 5);
	assert_int_equal(r.sdes[1].type, 6);
	assert_memory_equal(r.sdes[1].text, "sl", 2);
	assert_int_equal(r.sdes[2].ssrc, 0x44444444);
	assert_int_equal(r.sdes[2].type, 2);
	assert_memory_equal(r.sdes[2].text, "B\"b", 3);
	assert_int_equal(r.sdes[3].type, RTCP_SDES_PRIV);
	assert_int_equal(r.sdes[3].len, 4);

	assert_int_equal(r.n_voip, 1);
	v = &r.voip[0];
	assert_int_equal(v->ssrc, 0x22222222);
	assert_int_equal(v->loss_rate, 13);
	assert_int_equal(v->burst_duration, 60);
	assert_int_equal(v->gap_duration, 1500);
	assert_int_equal(v->round_trip_delay, 120);
	assert_int_equal(v->end_system_delay, 80);
	assert_int_equal(v->signal_level, -20);
	assert_int_equal(v->noise_level, -70);
	assert_int_equal(v->rerl, 127);
	assert_int_equal(v->gmin, 16);
	assert_int_equal(v->r_factor, 82);
	assert_int_equal(v->ext_r_factor, 127);
	assert_int_equal(v->mos_lq, 41);
	assert_int_equal(v->mos_cq, 37);
	assert_int_equal(v->jb_nominal, 40);
	assert_int_equal(v->jb_max, 120);
	assert_int_equal(v->jb_abs_max, 200);

	assert_int_equal(r.n_bye, 1);
	assert_int_equal(r.pkts[3].len, 16);
	assert_int_equal(r.bye_reason_len, 3);
	assert_memory_equal(r.bye_reason, "hup", 3);
}

/*
 * Cutting a compound anywhere but at a packet boundary is malformed; at a
 * boundary it is a shorter, valid compound.
 */
static void
truncations(const uint8_t *pkt, size_t len, const size_t *bounds, size_t nb)
{
	struct rtcp_report r;
	size_t cut, k, npk;
	bool at;
	int rc;

	for (cut = 0; cut < len; cut++) {
		uint8_t *copy = malloc(cut + 1); /* exact size: ASan sees any overread */

		assert_non_null(copy);
		memcpy(copy, pkt, cut);
		memset(&r, 0xa5, sizeof(r));
		rc = rtcp_parse(copy, cut, &r);
		at = false;
		npk = 0;
		for (k = 0; k < nb; k++)
			if (bounds[k] == cut) {
				at = true;
				npk = k + 1;
			}
		if (at) {
			assert_int_equal(rc, 0);
			assert_int_equal(r.n_pkts, npk);
		} else {
			assert_int_equal(rc, -EINVAL);
			expect_empty(&r);
		}
		free(copy);
	}
}

static void
test_truncations(void **state)
{
	static const size_t xr_bounds[] = {sizeof(xr_all)};
	static const size_t built_bounds[] = {76, 112, 156, 172};

	truncations(firefox_compound, sizeof(firefox_compound), firefox_bounds, 6);
	truncations(wild_sr_sdes, sizeof(wild_sr_sdes), wild_bounds, 2);
	truncations(xr_all, sizeof(xr_all), xr_bounds, 1);
	truncations(built, sizeof(built), built_bounds, 4);
}

static int
parse_mod(const uint8_t *src, size_t len, size_t at, uint8_t val, struct rtcp_report *r)
{
	uint8_t b[256];

	assert_true(len <= sizeof(b));
	memcpy(b, src, len);
	b[at] = val;
	return rtcp_parse(b, len, r);
}

static void
test_bad_lengths(void **state)
{
	struct rtcp_report r;
	size_t i;

	/* first length word: larger than the buffer, one word short (the next
	 * "header" then lands mid-packet), zero */
	assert_int_equal(parse_mod(wild_sr_sdes, sizeof(wild_sr_sdes), 3, 0x0d, &r), -EINVAL);
	assert_int_equal(parse_mod(wild_sr_sdes, sizeof(wild_sr_sdes), 3, 0x0b, &r), -EINVAL);
	assert_int_equal(parse_mod(wild_sr_sdes, sizeof(wild_sr_sdes), 3, 0x00, &r), -EINVAL);
	assert_int_equal(parse_mod(wild_sr_sdes, sizeof(wild_sr_sdes), 2, 0x80, &r), -EINVAL);
	/* last length word one word long: runs past the end */
	assert_int_equal(parse_mod(wild_sr_sdes, sizeof(wild_sr_sdes), 55, 0x0c, &r), -EINVAL);
	expect_empty(&r);
	/* every single length word of the Firefox compound, +1 and -1 */
	for (i = 0; i < 6; i++) {
		size_t at = (i == 0 ? 0 : firefox_bounds[i - 1]) + 3;

		assert_int_equal(parse_mod(firefox_compound, sizeof(firefox_compound), at,
					 firefox_compound[at] + 1, &r),
			-EINVAL);
		assert_int_equal(parse_mod(firefox_compound, sizeof(firefox_compound), at,
					 firefox_compound[at] - 1, &r),
			-EINVAL);
		expect_empty(&r);
	}
	/* trailing 1..3 bytes after a valid compound */
	{
		uint8_t b[sizeof(wild_sr_sdes) + 3];

		memcpy(b, wild_sr_sdes, sizeof(wild_sr_sdes));
		memset(b + sizeof(wild_sr_sdes), 0, 3);
		for (i = 1; i <= 3; i++)
			assert_int_equal(rtcp_parse(b, sizeof(wild_sr_sdes) + i, &r), -EINVAL);
	}
	/* not RTCP: version 1, version 0, PT 72 (RTP with M bit would be 0xc8 too,
	 * but a PT outside 192..223 is not RTCP), PT 191, PT 224 */
	assert_int_equal(parse_mod(wild_sr_sdes, sizeof(wild_sr_sdes), 0, 0x41, &r), -EINVAL);
	assert_int_equal(parse_mod(wild_sr_sdes, sizeof(wild_sr_sdes), 0, 0x01, &r), -EINVAL);
	assert_int_equal(parse_mod(wild_sr_sdes, sizeof(wild_sr_sdes), 1, 72, &r), -EINVAL);
	assert_int_equal(parse_mod(wild_sr_sdes, sizeof(wild_sr_sdes), 1, 191, &r), -EINVAL);
	assert_int_equal(parse_mod(wild_sr_sdes, sizeof(wild_sr_sdes), 53, 224, &r), -EINVAL);
	expect_empty(&r);
	/* unknown RTCP type in range (195, RFC 5450 IJ) is skipped, not an error */
	assert_int_equal(parse_mod(wild_sr_sdes, sizeof(wild_sr_sdes), 53, 195, &r), 0);
	assert_int_equal(r.n_pkts, 2);
	assert_int_equal(r.n_sdes, 0);
	assert_int_equal(rtcp_parse(NULL, 4, &r), -EINVAL);
	assert_int_equal(rtcp_parse(wild_sr_sdes, 0, &r), -EINVAL);
	assert_int_equal(rtcp_parse(wild_sr_sdes, sizeof(wild_sr_sdes), NULL), -EINVAL);
}

static void
test_bad_counts(void **state)
{
	/* RR RC=2 with one block */
	static const uint8_t rr_rc[] = {0x82, 0xc9, 0x00, 0x07, 1, 1, 1, 1, 2, 2, 2, 2, 0, 0, 0, 0,
		0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
	/* SR RC=1 without the block */
	static const uint8_t sr_rc[] = {0x81, 0xc8, 0x00, 0x06, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
	/* SDES SC=2 with one chunk */
	static const uint8_t sdes_sc[] = {0x82, 0xca, 0x00, 0x02, 1, 1, 1, 1, 1, 1, 'x', 0};
	/* SDES item length runs past the packet */
	static const uint8_t sdes_len[] = {0x81, 0xca, 0x00, 0x02, 1, 1, 1, 1, 1, 5, 'x', 0};
	/* SDES chunk without END */
	static const uint8_t sdes_end[] = {0x81, 0xca, 0x00, 0x02, 1, 1, 1, 1, 1, 2, 'x', 'y'};
	/* SDES SC=1 but no chunk at all */
	static const uint8_t sdes_none[] = {0x81, 0xca, 0x00, 0x00};
	/* SDES SC=0 is valid and empty */
	static const uint8_t sdes_zero[] = {0x80, 0xca, 0x00, 0x00};
	/* BYE SC=2 with one SSRC; BYE reason longer than the packet */
	static const uint8_t bye_sc[] = {0x82, 0xcb, 0x00, 0x01, 1, 1, 1, 1};
	static const uint8_t bye_rsn[] = {0x81, 0xcb, 0x00, 0x02, 1, 1, 1, 1, 9, 'a', 'b', 'c'};
	/* APP and PSFB shorter than their fixed part */
	static const uint8_t app_short[] = {0x80, 0xcc, 0x00, 0x01, 1, 1, 1, 1};
	static const uint8_t fb_short[] = {0x81, 0xce, 0x00, 0x01, 1, 1, 1, 1};
	/* XR: VoIP block with length 7, block running past the packet, DLRR of
	 * 2 words, RRT of 3 words, XR without sender SSRC; an unknown block type
	 * is skipped, but padding that leaves 2 stray bytes is not */
	static const uint8_t xr_voip7[] = {0x80, 0xcf, 0x00, 0x09, 1, 1, 1, 1, 7, 0, 0, 7, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
	static const uint8_t xr_over[] = {0x80, 0xcf, 0x00, 0x02, 1, 1, 1, 1, 6, 0, 0, 9, 0, 0, 0,
		0};
	static const uint8_t xr_dlrr[] = {0x80, 0xcf, 0x00, 0x04, 1, 1, 1, 1, 5, 0, 0, 2, 0, 0, 0,
		0, 0, 0, 0, 0};
	static const uint8_t xr_rrt[] = {0x80, 0xcf, 0x00, 0x05, 1, 1, 1, 1, 4, 0, 0, 3, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0};
	static const uint8_t xr_skip[] = {0x80, 0xcf, 0x00, 0x02, 1, 1, 1, 1, 9, 0, 0, 0};
	static const uint8_t xr_stray[] = {0xa0, 0xcf, 0x00, 0x03, 1, 1, 1, 1, 9, 0, 0, 0, 0, 0,
		0, 2};
	static const uint8_t xr_nossrc[] = {0x80, 0xcf, 0x00, 0x00};
	struct rtcp_report r;

#define BAD(a) assert_int_equal(rtcp_parse(a, sizeof(a), &r), -EINVAL)
	BAD(rr_rc);
	BAD(sr_rc);
	BAD(sdes_sc);
	BAD(sdes_len);
	BAD(sdes_end);
	BAD(sdes_none);
	BAD(bye_sc);
	BAD(bye_rsn);
	BAD(app_short);
	BAD(fb_short);
	BAD(xr_voip7);
	BAD(xr_over);
	BAD(xr_dlrr);
	BAD(xr_rrt);
	BAD(xr_nossrc);
	BAD(xr_stray);
#undef BAD
	expect_empty(&r);
	assert_int_equal(rtcp_parse(xr_skip, sizeof(xr_skip), &r), 0);
	assert_int_equal(r.n_voip, 0);
	_Static_assert(sizeof(xr_voip7) == 40, "xr_voip7 length word");
	assert_int_equal(rtcp_parse(sdes_zero, sizeof(sdes_zero), &r), 0);
	assert_int_equal(r.n_pkts, 1);
	assert_int_equal(r.n_sdes, 0);
	/* RR + a lying RR: the valid first packet must not be reported either */
	{
		uint8_t b[8 + sizeof(rr_rc)] = {0x80, 0xc9, 0x00, 0x01, 9, 9, 9, 9};

		memcpy(b + 8, rr_rc, sizeof(rr_rc));
		assert_int_equal(rtcp_parse(b, sizeof(b), &r), -EINVAL);
		expect_empty(&r);
	}
}

static void
test_padding(void **state)
{
	/* RR RC=0 with P: 8 bytes + 4 padding, count 4 */
	uint8_t rr[] = {0xa0, 0xc9, 0x00, 0x02, 1, 1, 1, 1, 0, 0, 0, 4};
	/* RR RC=1 whose padding would eat the report block */
	uint8_t rr1[36] = {0xa1, 0xc9, 0x00, 0x08, 1, 1, 1, 1};
	struct rtcp_report r;
	uint8_t comp[sizeof(rr) + 8];

	assert_int_equal(rtcp_parse(rr, sizeof(rr), &r), 0);
	assert_int_equal(r.n_pkts, 1);
	rr[11] = 0; /* count 0 with P set: a lie */
	assert_int_equal(rtcp_parse(rr, sizeof(rr), &r), -EINVAL);
	rr[11] = 9; /* more than the packet after its header */
	assert_int_equal(rtcp_parse(rr, sizeof(rr), &r), -EINVAL);
	rr[11] = 8; /* padding would eat the sender SSRC */
	assert_int_equal(rtcp_parse(rr, sizeof(rr), &r), -EINVAL);
	rr[11] = 4;

	rr1[35] = 4;
	assert_int_equal(rtcp_parse(rr1, sizeof(rr1), &r), 0);
	rr1[35] = 8;
	assert_int_equal(rtcp_parse(rr1, sizeof(rr1), &r), -EINVAL);

	/* padding on a packet that is not the last of the compound */
	memcpy(comp, rr, sizeof(rr));
	memcpy(comp + sizeof(rr), (const uint8_t[]){0x80, 0xc9, 0x00, 0x01, 2, 2, 2, 2}, 8);
	assert_int_equal(rtcp_parse(comp, sizeof(comp), &r), -EINVAL);
	comp[0] = 0x80; /* clear P: now a 12-byte RR with 4 bytes of extension */
	assert_int_equal(rtcp_parse(comp, sizeof(comp), &r), 0);
	assert_int_equal(r.n_pkts, 2);

	/* built[]: the BYE's padding hides nothing and its reason stays inside */
	{
		uint8_t b[sizeof(built)];

		memcpy(b, built, sizeof(b));
		b[sizeof(b) - 1] = 5; /* padding now eats the reason's last byte */
		assert_int_equal(rtcp_parse(b, sizeof(b), &r), -EINVAL);
		b[sizeof(b) - 1] = 0;
		assert_int_equal(rtcp_parse(b, sizeof(b), &r), -EINVAL);
	}
}

static void
test_capacity(void **state)
{
	uint8_t b[(RTCP_MAX_PKTS + 1) * 8];
	uint8_t big[3 * (8 + 31 * 24)];
	struct rtcp_report r;
	size_t i;

	for (i = 0; i <= RTCP_MAX_PKTS; i++)
		memcpy(b + 8 * i, (const uint8_t[]){0x80, 0xc9, 0x00, 0x01, 0, 0, 0, (uint8_t)i},
			8);
	assert_int_equal(rtcp_parse(b, 8 * RTCP_MAX_PKTS, &r), 0);
	assert_int_equal(r.n_pkts, RTCP_MAX_PKTS);
	assert_int_equal(rtcp_parse(b, sizeof(b), &r), -E2BIG);
	expect_empty(&r);

	/* three RRs with 31 blocks each: 93 > RTCP_MAX_RB */
	memset(big, 0, sizeof(big));
	for (i = 0; i < 3; i++) {
		uint8_t *p = big + i * (8 + 31 * 24);

		p[0] = 0x80 | 31;
		p[1] = 0xc9;
		p[3] = 31 * 6 + 1;
	}
	assert_int_equal(rtcp_parse(big, 2 * (8 + 31 * 24), &r), 0);
	assert_int_equal(r.n_rb, 62);
	assert_int_equal(rtcp_parse(big, sizeof(big), &r), -E2BIG);
	expect_empty(&r);
}

static uint32_t
xorshift(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Mutated real packets: whatever is accepted must be self-consistent. */
static void
test_mutations(void **state)
{
	static const struct {
		const uint8_t *p;
		size_t len;
	} seeds[] = {
		{firefox_compound, sizeof(firefox_compound)},
		{wild_sr_sdes, sizeof(wild_sr_sdes)},
		{xr_all, sizeof(xr_all)},
		{built, sizeof(built)},
	};
	struct rtcp_report r;
	uint32_t rng = 0x5eed1234;
	unsigned int it, k, ok = 0, i;

	for (it = 0; it < 40000; it++) {
		size_t si = it % 4, len = seeds[si].len;
		uint8_t *b;

		if (xorshift(&rng) % 4 == 0)
			len = xorshift(&rng) % (len + 1);
		b = malloc(len + 1);
		assert_non_null(b);
		memcpy(b, seeds[si].p, len);
		for (k = xorshift(&rng) % 4 + 1; k > 0 && len > 0; k--)
			b[xorshift(&rng) % len] ^= (uint8_t)(1u << (xorshift(&rng) % 8));
		if (rtcp_parse(b, len, &r) == 0) {
			ok++;
			assert_true(r.n_pkts <= RTCP_MAX_PKTS && r.n_rb <= RTCP_MAX_RB);
			assert_true(r.n_sdes <= RTCP_MAX_SDES && r.n_bye <= RTCP_MAX_BYE);
			for (i = 0; i < r.n_sdes; i++) {
				assert_true(r.sdes[i].text >= b);
				assert_true(r.sdes[i].text + r.sdes[i].len <= b + len);
				assert_true(r.sdes[i].pkt < r.n_pkts);
			}
			for (i = 0; i < r.n_pkts; i++) {
				assert_true((size_t)r.pkts[i].off + r.pkts[i].len <= len);
				if (r.pkts[i].pt == RTCP_PT_SR || r.pkts[i].pt == RTCP_PT_RR)
					assert_true(r.pkts[i].first + r.pkts[i].n <= r.n_rb);
			}
		} else {
			expect_empty(&r);
		}
		free(b);
	}
	assert_true(ok > 100); /* the run exercised the accept path too */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_firefox),
		cmocka_unit_test(test_wild_sr),
		cmocka_unit_test(test_xr_all_blocks),
		cmocka_unit_test(test_built),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_bad_lengths),
		cmocka_unit_test(test_bad_counts),
		cmocka_unit_test(test_padding),
		cmocka_unit_test(test_capacity),
		cmocka_unit_test(test_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
