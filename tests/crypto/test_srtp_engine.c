/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The two per-packet engines (OpenSSL, intel-ipsec-mb) against each other,
 * byte for byte: every suite, session parameter and MKI length, random RTP
 * (CSRCs, header extensions, padding, empty to 1,400-byte payloads, both
 * sides of the library's length limit) and random RTCP with E = 1 and 0.
 * Each packet is protected by both engines (same bytes, same length, same
 * return), unprotected by each engine from the other's output, and a
 * tampered copy goes to both receivers first: both must return the same
 * error (or, unauthenticated, the same bytes). A thread that never set up
 * its managers must produce the same bytes through the OpenSSL fallback.
 * test_srtp.c and test_srtp_libsrtp.c run their RFC vectors and libsrtp2
 * exchanges on both engines as well.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/srtp.h"

#define BUF (70000 + SRTP_MAX_TRAILER_LEN)
#define PKTS 300 /* per suite and parameter set, each RTP and RTCP */
#define SRTP_IMB_EDGE (65534 - 4) /* srtp_priv.h SRTP_IMB_MAX_LEN: longest packet the library takes */

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static unsigned n_passed, n_rejected; /* genuine packets through, tampered ones refused (-EBADMSG) */

static uint32_t
rnd(void)
{
	/* xorshift64*: reproducible, the seed is printed on failure */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 0x2545f4914f6cdd1dull) >> 32);
}

/* Four contexts on one master: a sender and a receiver per engine */
struct quad {
	struct srtp_ctx tx[2], rx[2]; /* [0] OpenSSL, [1] intel-ipsec-mb */
	bool rtp_auth;		      /* false: a tampered SEQ can pass and move the ROC estimate */
};

static void
quad_init(struct quad *q, const struct srtp_master *m)
{
	int e;

	q->rtp_auth = !(m->flags & SRTP_F_UNAUTHENTICATED_SRTP);
	for (e = 0; e < 2; e++) {
		assert_int_equal(srtp_ctx_init(&q->tx[e], m), 0);
		assert_int_equal(srtp_ctx_init(&q->rx[e], m), 0);
	}
}

static void
quad_fini(struct quad *q)
{
	int e;

	for (e = 0; e < 2; e++) {
		srtp_ctx_fini(&q->tx[e]);
		srtp_ctx_fini(&q->rx[e]);
	}
}

static void
use_engine(int e)
{
	srtp_engine_force_openssl(e == 0);
}

/* A random RTP packet of SSRC @p ssrc, SEQ @p seq; @return its length */
static size_t
mk_rtp(uint8_t *p, uint32_t ssrc, uint16_t seq, size_t payload)
{
	unsigned cc = rnd() % 4 == 0 ? rnd() % 16 : 0, ext = rnd() % 4 == 0 ? rnd() % 8 : 0;
	bool x = rnd() % 3 == 0, pad = payload > 0 && rnd() % 5 == 0;
	size_t h = 12 + 4 * cc, i;

	p[0] = (uint8_t)(0x80 | (x ? 0x10 : 0) | (pad ? 0x20 : 0) | cc);
	p[1] = (uint8_t)(rnd() & 0xff);
	p[2] = (uint8_t)(seq >> 8);
	p[3] = (uint8_t)seq;
	for (i = 4; i < 8; i++)
		p[i] = (uint8_t)rnd();
	p[8] = (uint8_t)(ssrc >> 24);
	p[9] = (uint8_t)(ssrc >> 16);
	p[10] = (uint8_t)(ssrc >> 8);
	p[11] = (uint8_t)ssrc;
	for (i = 12; i < h; i++)
		p[i] = (uint8_t)rnd();
	if (x) {
		p[h] = 0xbe;
		p[h + 1] = 0xde;
		p[h + 2] = 0;
		p[h + 3] = (uint8_t)ext;
		for (i = h + 4; i < h + 4 + 4 * ext; i++)
			p[i] = (uint8_t)rnd();
		h += 4 + 4 * ext;
	}
	for (i = h; i < h + payload; i++)
		p[i] = (uint8_t)rnd();
	if (pad)
		p[h + payload - 1] = (uint8_t)(1 + rnd() % payload % 255);
	return h + payload;
}

/* An RTP packet of exactly @p n bytes: 12-byte header, random payload */
static void
mk_rtp_plain(uint8_t *p, uint32_t ssrc, uint16_t seq, size_t n)
{
	size_t i;

	memset(p, 0, 12);
	p[0] = 0x80;
	p[1] = 0;
	p[2] = (uint8_t)(seq >> 8);
	p[3] = (uint8_t)seq;
	p[8] = (uint8_t)(ssrc >> 24);
	p[9] = (uint8_t)(ssrc >> 16);
	p[10] = (uint8_t)(ssrc >> 8);
	p[11] = (uint8_t)ssrc;
	for (i = 12; i < n; i++)
		p[i] = (uint8_t)rnd();
}

/* A random RTCP compound: version 2, sender SSRC, random body; @return its length */
static size_t
mk_rtcp(uint8_t *p, uint32_t ssrc, size_t body)
{
	size_t i;

	p[0] = 0x80;
	p[1] = 200;
	p[2] = (uint8_t)((body + 4) / 4 >> 8);
	p[3] = (uint8_t)((body + 4) / 4);
	p[4] = (uint8_t)(ssrc >> 24);
	p[5] = (uint8_t)(ssrc >> 16);
	p[6] = (uint8_t)(ssrc >> 8);
	p[7] = (uint8_t)ssrc;
	for (i = 8; i < 8 + body; i++)
		p[i] = (uint8_t)rnd();
	return 8 + body;
}

static int
protect(struct srtp_ctx *c, bool rtcp, uint8_t *p, size_t *len)
{
	return rtcp ? srtcp_protect(c, p, len, BUF) : srtp_rtp_protect(c, p, len, BUF);
}

static int
unprotect(struct srtp_ctx *c, bool rtcp, uint8_t *p, size_t *len)
{
	return rtcp ? srtcp_unprotect(c, p, len) : srtp_rtp_unprotect(c, p, len);
}

/*
 * One packet through both engines. @p plain: the packet, @p n its length.
 * Sender and receiver state advance identically in both engines, so the
 * outcomes must match at every step.
 */
static void
one_packet(struct quad *q, bool rtcp, const uint8_t *plain, size_t n, uint8_t *bufs[4])
{
	uint8_t *enc[2] = {bufs[0], bufs[1]}, *dec[2] = {bufs[2], bufs[3]};
	size_t elen[2], dlen[2], pos;
	uint8_t flip;
	int rc[2], e;

	for (e = 0; e < 2; e++) {
		use_engine(e);
		memcpy(enc[e], plain, n);
		elen[e] = n;
		rc[e] = protect(&q->tx[e], rtcp, enc[e], &elen[e]);
	}
	assert_int_equal(rc[0], rc[1]);
	if (rc[0] < 0)
		return;
	assert_int_equal(elen[0], elen[1]);
	assert_memory_equal(enc[0], enc[1], elen[0]);

	/* a tampered copy first: it must not pass (or, unauthenticated, pass alike) */
	pos = rnd() % elen[0];
	flip = (uint8_t)(1u << (rnd() % 8));
	for (e = 0; e < 2; e++) {
		use_engine(e);
		memcpy(dec[e], enc[1 - e], elen[0]);
		dec[e][pos] ^= flip;
		dlen[e] = elen[0];
		rc[e] = unprotect(&q->rx[e], rtcp, dec[e], &dlen[e]);
	}
	assert_int_equal(rc[0], rc[1]);
	if (rc[0] == 0) {
		assert_int_equal(dlen[0], dlen[1]);
		assert_memory_equal(dec[0], dec[1], dlen[0]);
	} else if (rc[0] == -EBADMSG) {
		n_rejected++;
	}

	/* the genuine packet, each engine unprotecting the other's output */
	for (e = 0; e < 2; e++) {
		use_engine(e);
		memcpy(dec[e], enc[1 - e], elen[0]);
		dlen[e] = elen[0];
		rc[e] = unprotect(&q->rx[e], rtcp, dec[e], &dlen[e]);
	}
	assert_int_equal(rc[0], rc[1]);
	if (rc[0] == 0) {
		assert_int_equal(dlen[0], dlen[1]);
		assert_memory_equal(dec[0], dec[1], dlen[0]);
		if (rtcp || q->rtp_auth) {
			assert_int_equal(dlen[0], n);
			assert_memory_equal(dec[0], plain, n);
		}
		n_passed++;
	}
}

static void
run_suite(const struct srtp_master *m, uint8_t *bufs[4], uint8_t *plain)
{
	static const uint32_t ssrcs[3] = {0x11223344, 0xdeadbeef, 0x00000001};
	uint16_t seq[3] = {0xfff0, 7, 0x7ff0};
	struct quad q;
	unsigned i;
	size_t n;

	quad_init(&q, m);
	for (i = 0; i < PKTS; i++) {
		unsigned s = rnd() % 3;
		size_t payload = rnd() % 8 == 0 ? rnd() % 16 : rnd() % 1400;

		/* mostly in order, some reordering and gaps (ROC wraps at 0xffff) */
		seq[s] = (uint16_t)(seq[s] + (rnd() % 8 == 0 ? (uint16_t)(rnd() % 64 - 16) : 1));
		n = mk_rtp(plain, ssrcs[s], seq[s], payload);
		one_packet(&q, false, plain, n, bufs);
		n = mk_rtcp(plain, ssrcs[s], 4 * (rnd() % 300));
		one_packet(&q, true, plain, n, bufs);
	}
	/* around the library's length limit (longer packets go to OpenSSL) */
	for (n = SRTP_IMB_EDGE - 2; n <= SRTP_IMB_EDGE + 2; n++) {
		seq[0]++;
		mk_rtp_plain(plain, ssrcs[0], seq[0], n);
		one_packet(&q, false, plain, n, bufs);
		one_packet(&q, true, plain, mk_rtcp(plain, ssrcs[0], n - 8), bufs);
	}
	quad_fini(&q);
}

static void
test_engines_agree(void **unused)
{
	static const unsigned flag_sets[] = {
		0,
		SRTP_F_UNENCRYPTED_SRTP,
		SRTP_F_UNENCRYPTED_SRTCP,
		SRTP_F_UNAUTHENTICATED_SRTP,
		SRTP_F_UNENCRYPTED_SRTP | SRTP_F_UNENCRYPTED_SRTCP | SRTP_F_UNAUTHENTICATED_SRTP,
	};
	static const uint8_t mki_lens[] = {0, 4};
	uint8_t *bufs[4], *plain = malloc(BUF);
	struct srtp_master m;
	unsigned s, f, k, i;

	if (!srtp_engine_thread_uses_imb()) {
		printf("intel-ipsec-mb not usable here (%s): nothing to compare\n",
			srtp_engine_name());
		free(plain);
		skip();
	}
	printf("seed %#llx\n", (unsigned long long)rng);
	for (i = 0; i < 4; i++)
		assert_non_null(bufs[i] = malloc(BUF));
	for (s = 0; s < SRTP_SUITE_COUNT; s++) {
		for (f = 0; f < sizeof(flag_sets) / sizeof(flag_sets[0]); f++) {
			for (k = 0; k < sizeof(mki_lens); k++) {
				memset(&m, 0, sizeof(m));
				m.suite = &srtp_suites[s];
				if (m.suite->aead && (flag_sets[f] & SRTP_F_UNAUTHENTICATED_SRTP))
					continue; /* refused by srtp_keys_create (RFC 7714 14.2) */
				for (i = 0; i < SRTP_MAX_KEY_LEN; i++)
					m.key[i] = (uint8_t)rnd();
				for (i = 0; i < SRTP_MAX_SALT_LEN; i++)
					m.salt[i] = (uint8_t)rnd();
				m.mki_len = mki_lens[k];
				for (i = 0; i < m.mki_len; i++)
					m.mki[i] = (uint8_t)rnd();
				m.flags = flag_sets[f];
				run_suite(&m, bufs, plain);
			}
		}
	}
	for (i = 0; i < 4; i++)
		free(bufs[i]);
	free(plain);
	srtp_engine_force_openssl(false);
	/* most packets made it through both, most tampered ones were refused by both */
	printf("%u packets through both engines, %u tampered ones refused by both\n", n_passed,
		n_rejected);
	assert_true(n_passed > 40000);
	assert_true(n_rejected > 30000);
}

/* ---- a thread without managers falls back to OpenSSL ---- */

struct fallback_arg {
	struct srtp_ctx *ctx;
	uint8_t *pkt;
	size_t len;
	int rc;
	bool imb;
};

static void *
fallback_thread(void *p)
{
	struct fallback_arg *a = p;

	a->imb = srtp_engine_thread_uses_imb();
	a->rc = srtp_rtp_protect(a->ctx, a->pkt, &a->len, BUF);
	return NULL;
}

static void
test_thread_without_manager(void **unused)
{
	const struct srtp_suite *suites[2] = {&srtp_suites[SRTP_AES_128_CM_SHA1_80],
		&srtp_suites[SRTP_AEAD_AES_128_GCM]};
	uint8_t a[256], b[256];
	struct srtp_master m;
	struct srtp_ctx c1, c2;
	struct fallback_arg arg;
	pthread_t t;
	size_t n, lb;
	int i;

	for (i = 0; i < 2; i++) {
		memset(&m, 0, sizeof(m));
		m.suite = suites[i];
		memset(m.key, 0x42, sizeof(m.key));
		memset(m.salt, 0x17, sizeof(m.salt));
		assert_int_equal(srtp_ctx_init(&c1, &m), 0);
		assert_int_equal(srtp_ctx_init(&c2, &m), 0);
		n = mk_rtp(a, 0xcafe, 1, 160);
		memcpy(b, a, n);
		arg = (struct fallback_arg){.ctx = &c1, .pkt = a, .len = n};
		assert_int_equal(pthread_create(&t, NULL, fallback_thread, &arg), 0);
		assert_int_equal(pthread_join(t, NULL), 0);
		assert_false(arg.imb);
		assert_int_equal(arg.rc, 0);
		srtp_engine_force_openssl(false);
		lb = n;
		assert_int_equal(srtp_rtp_protect(&c2, b, &lb, sizeof(b)), 0);
		assert_int_equal(arg.len, lb);
		assert_memory_equal(a, b, lb);
		srtp_ctx_fini(&c1);
		srtp_ctx_fini(&c2);
	}
}

static void
test_force_switch(void **unused)
{
	bool had = srtp_engine_thread_uses_imb();

	srtp_engine_force_openssl(true);
	assert_false(srtp_engine_thread_uses_imb());
	srtp_engine_force_openssl(false);
	assert_int_equal(srtp_engine_thread_uses_imb(), had);
	assert_non_null(srtp_engine_name());
	/* idempotent */
	assert_int_equal(srtp_engine_thread_init(), 0);
	assert_int_equal(srtp_engine_thread_uses_imb(), had);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_force_switch),
		cmocka_unit_test(test_thread_without_manager),
		cmocka_unit_test(test_engines_agree),
	};
	int rc;

	if (srtp_engine_thread_init() < 0)
		return 1;
	printf("srtp engine: %s\n", srtp_engine_name());
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	srtp_engine_thread_fini();
	return rc;
}
