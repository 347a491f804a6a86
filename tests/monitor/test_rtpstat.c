/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RTP header parser (CSRC, RFC 8285 extensions, padding) and RFC 3550
 * appendix A statistics: A.1 probation, wrap, dropout, misorder, duplicates,
 * restart; A.3 loss and fraction; A.8 jitter against hand-computed values.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "monitor/rtpstat.h"

#define SSRC 0x11223344u
#define CLK 8000u
#define TS_NS 125000u /* one 8 kHz timestamp unit in ns */
#define T0_NS 1700000000000000000ull /* a realistic wall-clock-sized base */

/* ---- header parser ---- */

static void
test_rtp_basic(void **state)
{
	static const uint8_t p[] = {0x80, 0x88, 0x12, 0x34, 0x00, 0x01, 0xe2, 0x40, 0xde, 0xad,
		0xbe, 0xef, 'a', 'b', 'c'};
	struct rtp_hdr h;

	assert_int_equal(rtp_parse(p, sizeof(p), &h), 0);
	assert_int_equal(h.pt, 8);
	assert_int_equal(h.marker, 1);
	assert_int_equal(h.seq, 0x1234);
	assert_int_equal(h.ts, 123456);
	assert_int_equal(h.ssrc, 0xdeadbeef);
	assert_int_equal(h.payload_off, 12);
	assert_int_equal(h.payload_len, 3);
	assert_int_equal(h.ext_off, 0);
	assert_int_equal(h.pad_len, 0);
	/* header only is a valid, empty payload */
	assert_int_equal(rtp_parse(p, 12, &h), 0);
	assert_int_equal(h.payload_len, 0);
	assert_int_equal(rtp_parse(p, 11, &h), -EINVAL);
	assert_int_equal(rtp_parse(NULL, 12, &h), -EINVAL);
}

static void
test_rtp_csrc_padding(void **state)
{
	/* CC=2, P: payload "xy", 2 padding bytes (count 2) */
	uint8_t p[] = {0xa2, 0x00, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 1, 1, 1, 1, 2, 2, 2, 2, 'x', 'y',
		0, 2};
	struct rtp_hdr h;

	assert_int_equal(rtp_parse(p, sizeof(p), &h), 0);
	assert_int_equal(h.cc, 2);
	assert_int_equal(h.payload_off, 20);
	assert_int_equal(h.payload_len, 2);
	assert_int_equal(h.pad_len, 2);
	p[sizeof(p) - 1] = 4; /* padding eats the whole payload: empty, still valid */
	assert_int_equal(rtp_parse(p, sizeof(p), &h), 0);
	assert_int_equal(h.payload_len, 0);
	p[sizeof(p) - 1] = 5; /* into the CSRC list */
	assert_int_equal(rtp_parse(p, sizeof(p), &h), -EINVAL);
	p[sizeof(p) - 1] = 0; /* P set but a count of 0: a lie */
	assert_int_equal(rtp_parse(p, sizeof(p), &h), -EINVAL);
	/* CSRC list longer than the packet */
	p[0] = 0x8f;
	assert_int_equal(rtp_parse(p, sizeof(p), &h), -EINVAL);
	p[0] = 0x40; /* version 1 */
	assert_int_equal(rtp_parse(p, sizeof(p), &h), -EINVAL);
}

static void
test_rtp_ext(void **state)
{
	/* one-byte: id 1 len 1, padding, id 3 len 3; then payload */
	uint8_t one[] = {0x90, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0xbe, 0xde, 0x00, 0x02, 0x10,
		0xaa, 0x00, 0x32, 0x01, 0x02, 0x03, 0x00, 'P'};
	/* two-byte (0x1000): id 5 len 0, id 200 len 3, padding */
	uint8_t two[] = {0x90, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0x10, 0x00, 0x00, 0x02, 0x05,
		0x00, 0xc8, 0x03, 0x07, 0x08, 0x09, 0x00, 'Q', 'R'};
	/* opaque profile: not walked */
	uint8_t opq[] = {0x90, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0x12, 0x34, 0x00, 0x01, 0xff,
		0xff, 0xff, 0xff};
	struct rtp_hdr h;
	uint16_t off, len;

	assert_int_equal(rtp_parse(one, sizeof(one), &h), 0);
	assert_int_equal(h.ext_profile, 0xbede);
	assert_int_equal(h.ext_off, 16);
	assert_int_equal(h.ext_len, 8);
	assert_int_equal(h.payload_off, 24);
	assert_int_equal(h.payload_len, 1);
	assert_int_equal(rtp_ext_find(one, &h, 1, &off, &len), 0);
	assert_int_equal(off, 17);
	assert_int_equal(len, 1);
	assert_int_equal(rtp_ext_find(one, &h, 3, &off, &len), 0);
	assert_int_equal(off, 20);
	assert_int_equal(len, 3);
	assert_int_equal(rtp_ext_find(one, &h, 2, &off, &len), -ENOENT);
	one[19] = 0x34; /* id 3 now claims 5 bytes: overruns the block */
	assert_int_equal(rtp_parse(one, sizeof(one), &h), -EINVAL);
	one[19] = 0xf0; /* id 15: stop processing, the rest is not read */
	assert_int_equal(rtp_parse(one, sizeof(one), &h), 0);
	assert_int_equal(rtp_ext_find(one, &h, 3, &off, &len), -ENOENT);
	one[15] = 0x03; /* extension longer than the packet */
	assert_int_equal(rtp_parse(one, sizeof(one), &h), -EINVAL);
	assert_int_equal(rtp_parse(one, 15, &h), -EINVAL); /* no room for the ext header */

	assert_int_equal(rtp_parse(two, sizeof(two), &h), 0);
	assert_int_equal(h.payload_len, 2);
	assert_int_equal(rtp_ext_find(two, &h, 5, &off, &len), 0);
	assert_int_equal(len, 0);
	assert_int_equal(rtp_ext_find(two, &h, 200, &off, &len), 0);
	assert_int_equal(off, 20);
	assert_int_equal(len, 3);
	two[19] = 0x04; /* id 200 now fills the block exactly: valid */
	assert_int_equal(rtp_parse(two, sizeof(two), &h), 0);
	two[19] = 0x05; /* one more: overruns */
	assert_int_equal(rtp_parse(two, sizeof(two), &h), -EINVAL);
	two[19] = 0x03;
	two[23] = 0x09; /* last byte starts an element without its length byte */
	assert_int_equal(rtp_parse(two, sizeof(two), &h), -EINVAL);

	assert_int_equal(rtp_parse(opq, sizeof(opq), &h), 0);
	assert_int_equal(h.ext_len, 4);
	assert_int_equal(h.payload_len, 0);
	assert_int_equal(rtp_ext_find(opq, &h, 1, &off, &len), -ENOENT);
}

/* every truncation of a packet with CSRC, extension and padding is rejected */
static void
test_rtp_truncations(void **state)
{
	static const uint8_t p[] = {0xb1, 0x00, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 9, 9, 9, 9, 0xbe,
		0xde, 0x00, 0x01, 0x21, 0x01, 0x02, 0x00, 'x', 0, 0, 3};
	struct rtp_hdr h;
	size_t cut;

	assert_int_equal(rtp_parse(p, sizeof(p), &h), 0);
	assert_int_equal(h.payload_len, 1);
	for (cut = 0; cut < sizeof(p); cut++) {
		uint8_t *b = malloc(cut + 1);
		int rc;

		assert_non_null(b);
		memcpy(b, p, cut);
		rc = rtp_parse(b, cut, &h);
		/* shorter copies stay parseable only while the padding count (last
		 * byte) happens to fit; whatever is accepted lies inside the copy */
		if (rc == 0)
			assert_true((size_t)h.payload_off + h.payload_len + h.pad_len <= cut);
		else
			assert_int_equal(rc, -EINVAL);
		free(b);
	}
}

/* ---- A.1 / A.3 ---- */

static enum rtpstat_verdict
pkt(struct rtpstat *s, uint16_t seq)
{
	/* ideal timing: no jitter */
	return rtpstat_update(s, SSRC, seq, (uint32_t)seq * 160, 0,
		T0_NS + (uint64_t)seq * 160 * TS_NS, CLK);
}

static void
test_probation(void **state)
{
	struct rtpstat s;
	struct rtpstat_snap sn;

	rtpstat_init(&s);
	rtpstat_snapshot(&s, &sn);
	assert_false(sn.valid);
	assert_int_equal(pkt(&s, 100), RTPSTAT_NEW_SSRC);
	rtpstat_snapshot(&s, &sn);
	assert_false(sn.valid);
	assert_int_equal(sn.expected, 0);
	assert_int_equal(pkt(&s, 101), RTPSTAT_OK); /* MIN_SEQUENTIAL = 2 */
	rtpstat_snapshot(&s, &sn);
	assert_true(sn.valid);
	assert_int_equal(sn.received, 1);
	assert_int_equal(sn.expected, 1);
	assert_int_equal(sn.ext_max_seq, 101);
	assert_int_equal(sn.lost, 0);

	/* out-of-sequence during probation restarts it */
	rtpstat_init(&s);
	assert_int_equal(pkt(&s, 100), RTPSTAT_NEW_SSRC);
	assert_int_equal(pkt(&s, 105), RTPSTAT_PROBATION);
	assert_int_equal(pkt(&s, 107), RTPSTAT_PROBATION);
	assert_int_equal(pkt(&s, 108), RTPSTAT_OK);
	rtpstat_snapshot(&s, &sn);
	assert_int_equal(sn.received, 1);
	assert_int_equal(sn.expected, 1);

	/* another SSRC starts over */
	assert_int_equal(rtpstat_update(&s, SSRC + 1, 7, 0, 0, T0_NS, CLK), RTPSTAT_NEW_SSRC);
	rtpstat_snapshot(&s, &sn);
	assert_int_equal(sn.ssrc, SSRC + 1);
	assert_false(sn.valid);
}

static void
test_wrap(void **state)
{
	struct rtpstat s;
	struct rtpstat_snap sn;

	rtpstat_init(&s);
	pkt(&s, 65533);
	assert_int_equal(pkt(&s, 65534), RTPSTAT_OK);
	assert_int_equal(pkt(&s, 65535), RTPSTAT_OK);
	assert_int_equal(pkt(&s, 0), RTPSTAT_OK);
	assert_int_equal(pkt(&s, 2), RTPSTAT_OK); /* 1 lost across the wrap */
	rtpstat_snapshot(&s, &sn);
	assert_int_equal(sn.ext_max_seq, 65536 + 2);
	assert_int_equal(sn.expected, 5); /* 65534 .. 65538 */
	assert_int_equal(sn.received, 4);
	assert_int_equal(sn.lost, 1);
	/* a late packet from before the wrap does not count another cycle */
	assert_int_equal(pkt(&s, 1), RTPSTAT_LATE);
	rtpstat_snapshot(&s, &sn);
	assert_int_equal(sn.ext_max_seq, 65538);
	assert_int_equal(sn.lost, 0);
	assert_int_equal(sn.reordered, 1);
}

static void
test_dropout_restart(void **state)
{
	struct rtpstat s;
	struct rtpstat_snap sn;
	uint16_t q;

	rtpstat_init(&s);
	for (q = 1000; q < 1010; q++)
		pkt(&s, q);
	/* a jump below MAX_DROPOUT is loss */
	assert_int_equal(pkt(&s, 1009 + 2999), RTPSTAT_OK);
	rtpstat_snapshot(&s, &sn);
	assert_int_equal(sn.lost, 2998);
	/* at MAX_DROPOUT: bad, not counted, not even as loss */
	assert_int_equal(pkt(&s, 4008 + 3000), RTPSTAT_BAD);
	rtpstat_snapshot(&s, &sn);
	assert_int_equal(sn.ext_max_seq, 4008);
	assert_int_equal(sn.lost, 2998);
	/* a different sequence then: still bad (bad_seq moves) */
	assert_int_equal(pkt(&s, 20000), RTPSTAT_BAD);
	/* the next one in sequence with the last bad: the sender restarted */
	assert_int_equal(pkt(&s, 20001), RTPSTAT_RESTART);
	rtpstat_snapshot(&s, &sn);
	assert_int_equal(sn.restarts, 1);
	assert_int_equal(sn.expected, 1);
	assert_int_equal(sn.received, 1);
	assert_int_equal(sn.lost, 0);
	assert_int_equal(pkt(&s, 20002), RTPSTAT_OK);
	/* 100 back (udelta = 2^16 - MAX_MISORDER) is already a big jump; 99 back
	 * is a late packet */
	assert_int_equal(pkt(&s, 20002 - 100), RTPSTAT_BAD);
	assert_int_equal(pkt(&s, 20002 - 99), RTPSTAT_LATE);
}

static void
test_misorder_duplicates(void **state)
{
	struct rtpstat s;
	struct rtpstat_snap sn, prev;
	uint16_t q;

	rtpstat_init(&s);
	pkt(&s, 9);
	for (q = 10; q < 20; q++)
		if (q != 15 && q != 16)
			pkt(&s, q);
	rtpstat_snapshot(&s, &sn);
	assert_int_equal(sn.expected, 10);
	assert_int_equal(sn.received, 8);
	assert_int_equal(sn.lost, 2);
	/* 16 arrives late, then again: late, then duplicate */
	assert_int_equal(pkt(&s, 16), RTPSTAT_LATE);
	assert_int_equal(pkt(&s, 16), RTPSTAT_DUP);
	assert_int_equal(pkt(&s, 19), RTPSTAT_DUP); /* the newest again */
	assert_int_equal(pkt(&s, 12), RTPSTAT_DUP);
	rtpstat_snapshot(&s, &sn);
	assert_int_equal(sn.received, 12); /* A.1 counts duplicates */
	assert_int_equal(sn.lost, -2);     /* so cumulative loss goes negative */
	assert_int_equal(sn.duplicates, 3);
	assert_int_equal(sn.reordered, 1);
	/* duplicates never drive the interval fraction below 0 */
	prev = sn;
	pkt(&s, 20);
	pkt(&s, 20);
	rtpstat_snapshot(&s, &sn);
	assert_int_equal(rtpstat_fraction(&prev, &sn), 0);
	/* an old packet beyond the 32-entry window is late, not provably a dup */
	for (q = 21; q < 80; q++)
		pkt(&s, q);
	assert_int_equal(pkt(&s, 30), RTPSTAT_LATE);
}

static void
test_fraction(void **state)
{
	struct rtpstat s;
	struct rtpstat_snap a, b;
	uint16_t q;

	rtpstat_init(&s);
	pkt(&s, 0);
	pkt(&s, 1);
	rtpstat_snapshot(&s, &a);
	assert_int_equal(rtpstat_interval(&s), 0);
	/* next 100 expected, 10 lost: 10 * 256 / 100 = 25 */
	for (q = 2; q < 102; q++)
		if (q % 10 != 0)
			pkt(&s, q);
	rtpstat_snapshot(&s, &b);
	assert_int_equal(b.expected - a.expected, 100);
	assert_int_equal(rtpstat_fraction(&a, &b), 25);
	assert_int_equal(rtpstat_interval(&s), 25);
	assert_int_equal(rtpstat_interval(&s), 0); /* empty interval */
	/* everything lost in an interval is 255, not 256 wrapped to 0 */
	a = b;
	pkt(&s, 200);
	rtpstat_snapshot(&s, &b);
	assert_int_equal(rtpstat_fraction(&a, &b), (98 * 256) / 99);
	assert_int_equal(rtpstat_fraction(NULL, &b),
		(uint8_t)(((uint64_t)b.lost << 8) / b.expected));
	/* 24-bit clamp of the cumulative value */
	rtpstat_init(&s);
	pkt(&s, 0);
	pkt(&s, 1);
	for (q = 1; q < 5000; q++)
		pkt(&s, (uint16_t)(q * 2999 + 1));
	rtpstat_snapshot(&s, &b);
	assert_int_equal(b.lost, 0x7fffff);
	/* nothing received in an interval: 256/256 is reported as 255 */
	{
		struct rtpstat_snap c = b;

		c.expected += 10;
		assert_int_equal(rtpstat_fraction(&b, &c), 255);
	}
}

/* ---- A.8 ---- */

static void
test_jitter_hand(void **state)
{
	/*
	 * 8 kHz, 20 ms packets (ts step 160). Transit alternates 0 and 16 units,
	 * so |D| = 16 for every packet after the first. A.8 in integers
	 * (J16 += |D| - ((J16 + 8) >> 4)) gives J16 = 16, 31, 45, 58, 70, 82, 93,
	 * 103, ... and reported J = J16 >> 4 = 1, 1, 2, 3, 4, 5, 5, 6; the real
	 * J_n = 16 (1 - (15/16)^n) is 1.00, 1.94, 2.82, 3.64, 4.41, 5.13, 5.81,
	 * 6.45.
	 */
	static const uint32_t want16[] = {16, 31, 45, 58, 70, 82, 93, 103};
	struct rtpstat s;
	struct rtpstat_snap sn;
	unsigned int i;

	rtpstat_init(&s);
	for (i = 0; i < 9; i++) {
		uint64_t at = T0_NS + ((uint64_t)i * 160 + (i % 2) * 16) * TS_NS;

		rtpstat_update(&s, SSRC, (uint16_t)(500 + i), 1000 + i * 160, 0, at, CLK);
		if (i == 0)
			continue;
		assert_int_equal(s.jitter_q4, want16[i - 1]);
		rtpstat_snapshot(&s, &sn);
		assert_int_equal(sn.jitter, want16[i - 1] >> 4);
		assert_true(fabs(16.0 * (1 - pow(15.0 / 16, i)) - want16[i - 1] / 16.0) < 1.0);
	}
	/* converges to |D| */
	for (; i < 300; i++)
		rtpstat_update(&s, SSRC, (uint16_t)(500 + i), 1000 + i * 160, 0,
			T0_NS + ((uint64_t)i * 160 + (i % 2) * 16) * TS_NS, CLK);
	rtpstat_snapshot(&s, &sn);
	assert_in_range(sn.jitter, 15, 16);
}

static void
test_jitter_cases(void **state)
{
	struct rtpstat s;
	struct rtpstat_snap sn;
	unsigned int i;

	/* perfect timing: zero, across the timestamp wrap and at 48 kHz */
	rtpstat_init(&s);
	for (i = 0; i < 100; i++)
		rtpstat_update(&s, SSRC, (uint16_t)i, 0xfffff000u + i * 960, 111,
			T0_NS + (uint64_t)i * 20000000, 48000);
	rtpstat_snapshot(&s, &sn);
	assert_int_equal(sn.jitter, 0);
	assert_int_equal(sn.last_ts, 0xfffff000u + 99 * 960);
	assert_int_equal(sn.pt, 111);

	/* one 10 ms late packet at 8 kHz: D = 80 twice (late, then back) */
	rtpstat_init(&s);
	for (i = 0; i < 10; i++)
		rtpstat_update(&s, SSRC, (uint16_t)i, i * 160, 0,
			T0_NS + (uint64_t)i * 20000000 + (i == 5 ? 10000000 : 0), CLK);
	/* D = 0, 0, 0, 0, 80, 80, 0, 0, 0 -> J16 = 80, 155, 145, 136, 127 */
	assert_int_equal(s.jitter_q4, 127);
	/* duplicates do not feed jitter; a payload type change skips one sample */
	{
		uint32_t j = s.jitter_q4;

		rtpstat_update(&s, SSRC, 9, 9 * 160, 0, T0_NS + 900000000, CLK);
		assert_int_equal(s.jitter_q4, j);
		rtpstat_update(&s, SSRC, 10, 10 * 160, 8, T0_NS + 999000000, CLK);
		assert_int_equal(s.jitter_q4, j);
	}
	/* clock rate 0: counted, no jitter */
	rtpstat_init(&s);
	for (i = 0; i < 10; i++)
		rtpstat_update(&s, SSRC, (uint16_t)i, 0, 0, T0_NS + i * 7777777ull, 0);
	rtpstat_snapshot(&s, &sn);
	assert_int_equal(sn.jitter, 0);
	assert_int_equal(sn.received, 9);
	/* hostile timestamps cannot overflow the estimator */
	rtpstat_init(&s);
	for (i = 0; i < 2000; i++)
		rtpstat_update(&s, SSRC, (uint16_t)i, (i % 2) ? 0x80000000u : 0, 0, T0_NS, CLK);
	rtpstat_snapshot(&s, &sn);
	assert_true(sn.jitter <= (1u << 24));
	assert_true(sn.jitter > (1u << 23));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rtp_basic),
		cmocka_unit_test(test_rtp_csrc_padding),
		cmocka_unit_test(test_rtp_ext),
		cmocka_unit_test(test_rtp_truncations),
		cmocka_unit_test(test_probation),
		cmocka_unit_test(test_wrap),
		cmocka_unit_test(test_dropout_restart),
		cmocka_unit_test(test_misorder_duplicates),
		cmocka_unit_test(test_fraction),
		cmocka_unit_test(test_jitter_hand),
		cmocka_unit_test(test_jitter_cases),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
