/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DTLS-SRTP: two associations in one process shuttling datagrams. Handshake
 * and mirrored key split, profile choice, fingerprint verification, the
 * early ClientHello, retransmission timers, hostile input, certificates and
 * the SDP helpers.
 *
 * OpenSSL 3.0 runs its DTLS timers on gettimeofday(); this file defines
 * gettimeofday() so the executable's definition wins over libc's for
 * libssl, and time can jump forward without sleeping (see clock_skip()).
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
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "common/log.h"
#include "crypto/dtls.h"

/* ---- a clock the test can advance ---- */

static int64_t skew_us; /* added to both clocks below */

int
gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
	struct timespec ts;
	int64_t us;

	clock_gettime(CLOCK_REALTIME, &ts);
	us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000 + skew_us;
	tv->tv_sec = us / 1000000;
	tv->tv_usec = us % 1000000;
	return 0;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000 +
	       (uint64_t)(skew_us / 1000);
}

static void
clock_skip(uint64_t ms)
{
	skew_us += (int64_t)ms * 1000;
}

/* ---- fixtures ---- */

static struct dtls_cert *cert_a, *cert_b; /* client and server identities */

static int
setup_certs(void **state)
{
	sl_log_init(SL_LOG_WARNING, 1);
	cert_a = dtls_cert_generate();
	cert_b = dtls_cert_generate();
	return cert_a != NULL && cert_b != NULL ? 0 : -1;
}

static int
teardown_certs(void **state)
{
	dtls_cert_unref(cert_a);
	dtls_cert_unref(cert_b);
	dtls_fini();
	return 0;
}

static void
fp_of(const struct dtls_cert *cert, enum dtls_hash hash, struct dtls_fingerprint *fp)
{
	const char *s = dtls_cert_fingerprint(cert, hash);

	assert_non_null(s);
	assert_int_equal(dtls_fingerprint_parse(fp, s, strlen(s)), 0);
}

/* the two ends of a test association and what each has seen */
struct pair {
	struct dtls_conn *cli, *srv;
	unsigned int ev_cli, ev_srv; /* DTLS_EV_* seen so far */
	unsigned int max_dgram;	     /* bytes: largest datagram either side sent */
	unsigned int dgrams;
	struct dtls_out q[2]; /* q[0]: to the server, q[1]: to the client */
	struct dtls_out tmp;
};

static void
enqueue(struct pair *p, int dir, const struct dtls_out *o)
{
	unsigned int i;

	for (i = 0; i < o->n; i++) {
		struct dtls_out *q = &p->q[dir];

		assert_true(o->dg[i].len <= DTLS_MTU);
		if (o->dg[i].len > p->max_dgram)
			p->max_dgram = o->dg[i].len;
		p->dgrams++;
		assert_true(q->n < DTLS_OUT_MAX);
		q->dg[q->n].len = o->dg[i].len;
		memcpy(q->dg[q->n].data, o->dg[i].data, o->dg[i].len);
		q->n++;
	}
}

/* Deliver queued datagrams back and forth until both queues are empty. */
static void
pump(struct pair *p)
{
	struct dtls_out in;
	unsigned int i;
	int round, rc;

	for (round = 0; round < 20 && (p->q[0].n > 0 || p->q[1].n > 0); round++) {
		in = p->q[0];
		p->q[0].n = 0;
		for (i = 0; i < in.n; i++) {
			rc = dtls_input(p->srv, in.dg[i].data, in.dg[i].len, now_ms(), &p->tmp);
			assert_true(rc >= 0);
			p->ev_srv |= (unsigned int)rc;
			enqueue(p, 1, &p->tmp);
		}
		in = p->q[1];
		p->q[1].n = 0;
		for (i = 0; i < in.n; i++) {
			rc = dtls_input(p->cli, in.dg[i].data, in.dg[i].len, now_ms(), &p->tmp);
			assert_true(rc >= 0);
			p->ev_cli |= (unsigned int)rc;
			enqueue(p, 0, &p->tmp);
		}
	}
	assert_true(round < 20);
}

/*
 * Create both ends; the server starts first (it just waits), then the client
 * sends its ClientHello. Fingerprints are what each side expects of the other.
 */
static struct pair *
pair_new(unsigned int cli_suites, unsigned int srv_suites,
	const struct dtls_fingerprint *cli_expect, const struct dtls_fingerprint *srv_expect)
{
	struct pair *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	p->cli = dtls_conn_create(cert_a, cli_suites);
	p->srv = dtls_conn_create(cert_b, srv_suites);
	assert_non_null(p->cli);
	assert_non_null(p->srv);
	assert_int_equal(
		dtls_conn_start(p->srv, DTLS_ROLE_SERVER, srv_expect, NULL, now_ms(), &p->tmp), 0);
	assert_int_equal(p->tmp.n, 0);
	assert_int_equal(
		dtls_conn_start(p->cli, DTLS_ROLE_CLIENT, cli_expect, NULL, now_ms(), &p->tmp), 0);
	assert_true(p->tmp.n >= 1); /* ClientHello */
	enqueue(p, 0, &p->tmp);
	return p;
}

static struct pair *
pair_default(unsigned int cli_suites, unsigned int srv_suites)
{
	struct dtls_fingerprint fa, fb;

	fp_of(cert_a, DTLS_HASH_SHA256, &fa);
	fp_of(cert_b, DTLS_HASH_SHA256, &fb);
	return pair_new(cli_suites, srv_suites, &fb, &fa);
}

static void
pair_free(struct pair *p)
{
	dtls_conn_destroy(p->cli);
	dtls_conn_destroy(p->srv);
	free(p);
}

static void
assert_mirrored(const struct pair *p, struct dtls_srtp_keys *kc, struct dtls_srtp_keys *ks)
{
	assert_int_equal(dtls_conn_keys(p->cli, kc), 0);
	assert_int_equal(dtls_conn_keys(p->srv, ks), 0);
	assert_int_equal(kc->suite, ks->suite);
	assert_string_equal(kc->suite_name, ks->suite_name);
	assert_int_equal(kc->key_len, ks->key_len);
	assert_int_equal(kc->salt_len, ks->salt_len);
	assert_memory_equal(kc->local_key, ks->remote_key, kc->key_len);
	assert_memory_equal(kc->local_salt, ks->remote_salt, kc->salt_len);
	assert_memory_equal(kc->remote_key, ks->local_key, kc->key_len);
	assert_memory_equal(kc->remote_salt, ks->local_salt, kc->salt_len);
	/* the two directions have independent keys */
	assert_memory_not_equal(kc->local_key, kc->remote_key, kc->key_len);
	assert_memory_not_equal(kc->local_salt, kc->remote_salt, kc->salt_len);
}

/* ---- tests ---- */

static void
test_handshake(void **state)
{
	struct dtls_srtp_keys kc, ks;
	struct pair *p = pair_default(0, 0);

	assert_int_equal(dtls_conn_keys(p->cli, &kc), -EAGAIN);
	pump(p);
	assert_int_equal(p->ev_cli, DTLS_EV_CONNECTED);
	assert_int_equal(p->ev_srv, DTLS_EV_CONNECTED);
	assert_int_equal(dtls_conn_state(p->cli), DTLS_ST_CONNECTED);
	assert_int_equal(dtls_conn_state(p->srv), DTLS_ST_CONNECTED);
	assert_int_equal(dtls_conn_role(p->cli), DTLS_ROLE_CLIENT);
	assert_int_equal(dtls_conn_role(p->srv), DTLS_ROLE_SERVER);
	assert_string_equal(dtls_conn_reason(p->cli), "");
	assert_mirrored(p, &kc, &ks);
	/* our preference order: AES-256-GCM first */
	assert_int_equal(kc.suite, DTLS_SRTP_AEAD_AES_256_GCM);
	assert_string_equal(kc.suite_name, "AEAD_AES_256_GCM");
	assert_int_equal(kc.profile, 0x0008);
	assert_int_equal(kc.key_len, 32);
	assert_int_equal(kc.salt_len, 12);
	/* flights respect the MTU and nothing was lost inside the library */
	assert_true(p->max_dgram <= DTLS_MTU);
	assert_int_equal(dtls_conn_stats(p->cli)->tx_dropped, 0);
	assert_int_equal(dtls_conn_stats(p->srv)->tx_dropped, 0);
	assert_int_equal(dtls_conn_stats(p->cli)->retransmits, 0);
	/* a completed client has no timer left */
	assert_true(dtls_tick(p->cli, now_ms(), &p->tmp) == DTLS_NO_DEADLINE);
	assert_int_equal(p->tmp.n, 0);
	pair_free(p);
}

static void
check_suite(unsigned int cli, unsigned int srv, enum dtls_srtp_suite want, uint8_t key_len,
	uint8_t salt_len)
{
	struct dtls_srtp_keys kc, ks;
	struct pair *p = pair_default(cli, srv);

	pump(p);
	assert_int_equal(p->ev_cli, DTLS_EV_CONNECTED);
	assert_int_equal(p->ev_srv, DTLS_EV_CONNECTED);
	assert_mirrored(p, &kc, &ks);
	assert_int_equal(kc.suite, want);
	assert_string_equal(kc.suite_name, dtls_srtp_suite_name(want));
	assert_int_equal(kc.key_len, key_len);
	assert_int_equal(kc.salt_len, salt_len);
	pair_free(p);
}

#define S(x) (1u << DTLS_SRTP_##x)

static void
test_profiles(void **state)
{
	struct pair *p;

	/* client restricted to one profile: that one */
	check_suite(S(AES_CM_128_HMAC_SHA1_80), 0, DTLS_SRTP_AES_CM_128_HMAC_SHA1_80, 16, 14);
	check_suite(S(AES_CM_128_HMAC_SHA1_32), 0, DTLS_SRTP_AES_CM_128_HMAC_SHA1_32, 16, 14);
	check_suite(S(AEAD_AES_128_GCM), 0, DTLS_SRTP_AEAD_AES_128_GCM, 16, 12);
	/* the server's preference wins among what the client offers */
	check_suite(S(AES_CM_128_HMAC_SHA1_32) | S(AES_CM_128_HMAC_SHA1_80) | S(AEAD_AES_128_GCM),
		0, DTLS_SRTP_AEAD_AES_128_GCM, 16, 12);
	check_suite(S(AES_CM_128_HMAC_SHA1_32) | S(AES_CM_128_HMAC_SHA1_80), 0,
		DTLS_SRTP_AES_CM_128_HMAC_SHA1_80, 16, 14);
	/* and the server's restriction holds too */
	check_suite(0, S(AES_CM_128_HMAC_SHA1_32), DTLS_SRTP_AES_CM_128_HMAC_SHA1_32, 16, 14);

	/* no common profile: DTLS completes, but there is nothing to key SRTP with */
	p = pair_default(S(AES_CM_128_HMAC_SHA1_80), S(AEAD_AES_256_GCM));
	pump(p);
	assert_true(p->ev_cli & DTLS_EV_FAILED);
	assert_false(p->ev_cli & DTLS_EV_CONNECTED);
	assert_non_null(strstr(dtls_conn_reason(p->cli), "SRTP profile"));
	assert_false(p->ev_srv & DTLS_EV_CONNECTED);
	pair_free(p);

	/* bad masks */
	assert_null(dtls_conn_create(cert_a, 1u << DTLS_SRTP_NUM));
	assert_int_equal(errno, EINVAL);
}

static void
test_fingerprint_mismatch(void **state)
{
	struct dtls_fingerprint fa, fb, bad;
	struct dtls_srtp_keys kc, ks;
	struct pair *p;
	int h;

	fp_of(cert_a, DTLS_HASH_SHA256, &fa);
	fp_of(cert_b, DTLS_HASH_SHA256, &fb);

	/* the client expects another server certificate */
	bad = fb;
	bad.digest[7] ^= 0x01;
	p = pair_new(0, 0, &bad, &fa);
	pump(p);
	assert_int_equal(p->ev_cli, DTLS_EV_FAILED);
	assert_int_equal(dtls_conn_state(p->cli), DTLS_ST_FAILED);
	assert_string_equal(dtls_conn_reason(p->cli),
		"peer certificate does not match a=fingerprint (sha-256)");
	assert_int_equal(dtls_conn_keys(p->cli, &kc), -EAGAIN);
	/* the server hears the alert and fails too */
	assert_int_equal(p->ev_srv, DTLS_EV_FAILED);
	assert_non_null(strstr(dtls_conn_reason(p->srv), "DTLS error"));
	assert_int_equal(dtls_conn_keys(p->srv, &ks), -EAGAIN);
	/* after failure input is ignored, no timer runs */
	assert_int_equal(dtls_input(p->cli, p->tmp.dg[0].data, 20, now_ms(), &p->tmp), 0);
	assert_true(dtls_tick(p->cli, now_ms(), &p->tmp) == DTLS_NO_DEADLINE);
	pair_free(p);

	/* the server expects another client certificate (here: its own) */
	p = pair_new(0, 0, &fb, &fb);
	pump(p);
	assert_int_equal(p->ev_srv, DTLS_EV_FAILED);
	assert_string_equal(dtls_conn_reason(p->srv),
		"peer certificate does not match a=fingerprint (sha-256)");
	assert_false(p->ev_cli & DTLS_EV_CONNECTED);
	assert_true(p->ev_cli & DTLS_EV_FAILED);
	pair_free(p);

	/* a digest whose length does not fit its hash is refused up front */
	p = calloc(1, sizeof(*p));
	assert_non_null(p);
	p->cli = dtls_conn_create(cert_a, 0);
	bad = fb;
	bad.hash = DTLS_HASH_SHA384;
	assert_int_equal(
		dtls_conn_start(p->cli, DTLS_ROLE_CLIENT, &bad, NULL, now_ms(), &p->tmp), -EINVAL);
	assert_int_equal(dtls_conn_state(p->cli), DTLS_ST_PENDING);
	pair_free(p);

	/* each hash algorithm verifies, on both sides */
	for (h = 0; h < DTLS_HASH_NUM; h++) {
		fp_of(cert_a, (enum dtls_hash)h, &fa);
		fp_of(cert_b, (enum dtls_hash)h, &fb);
		p = pair_new(0, 0, &fb, &fa);
		pump(p);
		assert_int_equal(p->ev_cli, DTLS_EV_CONNECTED);
		assert_int_equal(p->ev_srv, DTLS_EV_CONNECTED);
		assert_mirrored(p, &kc, &ks);
		pair_free(p);
	}
}

/*
 * We offered (actpass); Chrome answers active and sends its ClientHello
 * before the answer reaches us. The server side is pending: no role, no
 * fingerprint. It must keep the ClientHello and answer it once started.
 */
static void
test_early_client_hello(void **state)
{
	struct dtls_fingerprint fa, fb;
	struct dtls_srtp_keys kc, ks;
	struct pair *p = calloc(1, sizeof(*p));
	struct dtls_out ch;
	int role;

	assert_non_null(p);
	fp_of(cert_a, DTLS_HASH_SHA256, &fa);
	fp_of(cert_b, DTLS_HASH_SHA256, &fb);
	p->srv = dtls_conn_create(cert_b, 0); /* at offer time */
	assert_non_null(p->srv);
	assert_int_equal(dtls_conn_state(p->srv), DTLS_ST_PENDING);
	assert_int_equal(dtls_conn_role(p->srv), -EAGAIN);
	assert_int_equal(dtls_setup_offer(), DTLS_SETUP_ACTPASS);

	/* browser side: it answered active, so it is the client */
	p->cli = dtls_conn_create(cert_a, 0);
	assert_non_null(p->cli);
	assert_int_equal(dtls_conn_start(p->cli, DTLS_ROLE_CLIENT, &fb, NULL, now_ms(), &ch), 0);
	assert_true(ch.n >= 1);
	assert_true(ch.next_ms != DTLS_NO_DEADLINE);

	/* the ClientHello (twice: a retransmission) reaches the pending server */
	assert_int_equal(dtls_input(p->srv, ch.dg[0].data, ch.dg[0].len, now_ms(), &p->tmp), 0);
	assert_int_equal(p->tmp.n, 0);
	assert_true(p->tmp.next_ms == DTLS_NO_DEADLINE);
	assert_int_equal(dtls_input(p->srv, ch.dg[0].data, ch.dg[0].len, now_ms(), &p->tmp), 0);
	/* what is not a ClientHello is not kept */
	assert_int_equal(dtls_input(p->srv, (const uint8_t *)"\x17\xfe\xfd\0\1\0\0\0\0\0\1\0\1x",
				 14, now_ms(), &p->tmp),
		0);
	assert_int_equal(dtls_conn_stats(p->srv)->early_queued, 2);
	assert_int_equal(dtls_conn_stats(p->srv)->rx_ignored, 1);
	assert_int_equal(dtls_tick(p->srv, now_ms(), &p->tmp), DTLS_NO_DEADLINE);
	/* a pending association cannot tell whether the remote changed */
	assert_false(dtls_conn_remote_changed(p->srv, &fa, NULL));

	/* the answer: a=setup:active plus the fingerprint */
	role = dtls_setup_role(DTLS_SETUP_ACTPASS, DTLS_SETUP_ACTIVE);
	assert_int_equal(role, DTLS_ROLE_SERVER);
	assert_int_equal(dtls_conn_start(p->srv, (enum dtls_role)role, &fa,
				 "0123456789abcdef0123456789abcdef", now_ms(), &p->tmp),
		0);
	assert_true(p->tmp.n >= 1); /* the server flight, answering the kept ClientHello */
	assert_int_equal(dtls_conn_state(p->srv), DTLS_ST_HANDSHAKING);
	assert_int_equal(
		dtls_conn_start(p->srv, DTLS_ROLE_SERVER, &fa, NULL, now_ms(), &ch), -EALREADY);
	pair_free(p);

	/* again, keeping the flight this time, through to the keys */
	p = calloc(1, sizeof(*p));
	assert_non_null(p);
	p->srv = dtls_conn_create(cert_b, 0);
	p->cli = dtls_conn_create(cert_a, 0);
	assert_int_equal(dtls_conn_start(p->cli, DTLS_ROLE_CLIENT, &fb, NULL, now_ms(), &ch), 0);
	assert_int_equal(dtls_input(p->srv, ch.dg[0].data, ch.dg[0].len, now_ms(), &p->tmp), 0);
	assert_int_equal(
		dtls_conn_start(p->srv, DTLS_ROLE_SERVER, &fa, NULL, now_ms(), &p->tmp), 0);
	enqueue(p, 1, &p->tmp);
	pump(p);
	assert_int_equal(p->ev_cli, DTLS_EV_CONNECTED);
	assert_int_equal(p->ev_srv, DTLS_EV_CONNECTED);
	assert_mirrored(p, &kc, &ks);
	assert_int_equal(dtls_conn_stats(p->cli)->retransmits, 0);
	pair_free(p);

	/* the answer made us client after all: the kept ClientHello is dropped
	 * and we send our own */
	p = calloc(1, sizeof(*p));
	assert_non_null(p);
	p->srv = dtls_conn_create(cert_b, 0);
	assert_int_equal(dtls_input(p->srv, ch.dg[0].data, ch.dg[0].len, now_ms(), &p->tmp), 0);
	assert_int_equal(
		dtls_conn_start(p->srv, DTLS_ROLE_CLIENT, &fa, NULL, now_ms(), &p->tmp), 0);
	assert_true(p->tmp.n >= 1);
	assert_int_equal(p->tmp.dg[0].data[13], 1); /* client_hello */
	assert_int_equal(dtls_conn_state(p->srv), DTLS_ST_HANDSHAKING);
	pair_free(p);
}

static void
test_retransmit(void **state)
{
	struct dtls_srtp_keys kc, ks;
	struct pair *p = pair_default(0, 0);
	struct dtls_out lost;
	uint64_t t0, next, cdl;
	unsigned int i;
	int rc;

	/* the client armed a ~1 s timer with its ClientHello */
	t0 = now_ms();
	cdl = dtls_tick(p->cli, t0, &p->tmp);
	assert_int_equal(p->tmp.n, 0); /* not due yet: nothing sent */
	assert_true(cdl >= t0 + DTLS_RTX_INITIAL_MS - 20 && cdl <= t0 + DTLS_RTX_INITIAL_MS);

	/* deliver the ClientHello; lose the whole server flight */
	for (i = 0; i < p->q[0].n; i++) {
		rc = dtls_input(p->srv, p->q[0].dg[i].data, p->q[0].dg[i].len, now_ms(), &lost);
		assert_int_equal(rc, 0);
		assert_true(lost.n >= 1);
		assert_true(lost.next_ms != DTLS_NO_DEADLINE); /* the server retransmits too */
	}
	p->q[0].n = 0;

	/* before the deadline a tick does nothing */
	clock_skip(500);
	next = dtls_tick(p->cli, now_ms(), &p->tmp);
	assert_int_equal(p->tmp.n, 0);
	assert_true(next >= cdl - 20 && next <= cdl + 20);

	/* at the deadline the client's tick retransmits its ClientHello */
	clock_skip(DTLS_RTX_INITIAL_MS - 500 + 1);
	t0 = now_ms();
	next = dtls_tick(p->cli, t0, &p->tmp);
	assert_true(p->tmp.n >= 1);
	assert_int_equal(p->tmp.dg[0].data[13], 1); /* client_hello */
	assert_int_equal(dtls_conn_stats(p->cli)->retransmits, 1);
	/* the interval doubled */
	assert_true(
		next >= t0 + 2 * DTLS_RTX_INITIAL_MS - 20 && next <= t0 + 2 * DTLS_RTX_INITIAL_MS);
	enqueue(p, 0, &p->tmp);

	/* the server sees a repeated ClientHello; its own timer is due as well */
	next = dtls_tick(p->srv, now_ms(), &p->tmp);
	assert_true(p->tmp.n >= 1); /* server flight again */
	assert_true(next > now_ms());
	enqueue(p, 1, &p->tmp);
	pump(p);
	assert_int_equal(p->ev_cli, DTLS_EV_CONNECTED);
	assert_int_equal(p->ev_srv, DTLS_EV_CONNECTED);
	assert_mirrored(p, &kc, &ks);
	pair_free(p);

	/* lose the client's second flight: the client's timer repairs it, and
	 * a completed server answers the repeat with its final flight again */
	p = pair_default(0, 0);
	rc = dtls_input(p->srv, p->q[0].dg[0].data, p->q[0].dg[0].len, now_ms(), &p->tmp);
	p->q[0].n = 0;
	for (i = 0; i < p->tmp.n; i++) {
		rc = dtls_input(p->cli, p->tmp.dg[i].data, p->tmp.dg[i].len, now_ms(), &lost);
		assert_int_equal(rc, 0);
	}
	assert_true(lost.n >= 1); /* client's Certificate..Finished: lost */
	clock_skip(DTLS_RTX_INITIAL_MS + 1);
	dtls_tick(p->cli, now_ms(), &p->tmp);
	assert_true(p->tmp.n >= 1);
	enqueue(p, 0, &p->tmp);
	pump(p);
	assert_int_equal(p->ev_cli, DTLS_EV_CONNECTED);
	assert_int_equal(p->ev_srv, DTLS_EV_CONNECTED);
	assert_mirrored(p, &kc, &ks);

	/* lose the server's final flight: the client's repeat makes the
	 * connected server send it again */
	pair_free(p);
	p = pair_default(0, 0);
	rc = dtls_input(p->srv, p->q[0].dg[0].data, p->q[0].dg[0].len, now_ms(), &p->tmp);
	p->q[0].n = 0;
	lost = p->tmp; /* server flight: delivered */
	for (i = 0; i < lost.n; i++)
		dtls_input(p->cli, lost.dg[i].data, lost.dg[i].len, now_ms(), &p->tmp);
	lost = p->tmp; /* client's second flight: delivered */
	for (i = 0; i < lost.n; i++) {
		rc = dtls_input(p->srv, lost.dg[i].data, lost.dg[i].len, now_ms(), &p->tmp);
		p->ev_srv |= (unsigned int)rc;
	}
	assert_int_equal(p->ev_srv, DTLS_EV_CONNECTED); /* its CCS+Finished: lost */
	assert_true(p->tmp.n >= 1);
	clock_skip(DTLS_RTX_INITIAL_MS + 1);
	dtls_tick(p->cli, now_ms(), &p->tmp);
	assert_true(p->tmp.n >= 1);
	enqueue(p, 0, &p->tmp);
	pump(p);
	assert_int_equal(p->ev_cli, DTLS_EV_CONNECTED);
	assert_mirrored(p, &kc, &ks);
	pair_free(p);
}

/* Nobody answers: 1, 2, 4, 8, 8, 8 s, then the association fails. */
static void
test_retransmit_schedule(void **state)
{
	static const unsigned int want[] = {1000, 2000, 4000, 8000, 8000, 8000, 8000};
	struct dtls_fingerprint fb;
	struct dtls_conn *c;
	struct dtls_out o;
	uint64_t t, next;
	unsigned int i;

	fp_of(cert_b, DTLS_HASH_SHA256, &fb);
	c = dtls_conn_create(cert_a, 0);
	assert_non_null(c);
	assert_int_equal(dtls_conn_start(c, DTLS_ROLE_CLIENT, &fb, NULL, now_ms(), &o), 0);
	next = o.next_ms;
	t = now_ms();
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_true(next - t >= want[i] - 20 && next - t <= want[i]);
		clock_skip(next - t + 1);
		t = now_ms();
		next = dtls_tick(c, t, &o);
		if (i < DTLS_RTX_LIMIT) {
			assert_int_equal(o.events, 0);
			assert_int_equal(o.n, 1); /* the ClientHello, again */
		}
	}
	/* the expiry after the last retransmission fails the association */
	assert_int_equal(o.events, DTLS_EV_FAILED);
	assert_int_equal(o.n, 0);
	assert_true(next == DTLS_NO_DEADLINE);
	assert_int_equal(dtls_conn_state(c), DTLS_ST_FAILED);
	assert_non_null(strstr(dtls_conn_reason(c), "timed out"));
	assert_int_equal(dtls_conn_stats(c)->retransmits, DTLS_RTX_LIMIT);
	dtls_conn_destroy(c);
}

static void
test_hostile_input(void **state)
{
	struct dtls_fingerprint fa, fb;
	struct dtls_srtp_keys kc, ks, kc2, ks2;
	struct dtls_out ch, o;
	struct dtls_conn *s, *c2;
	uint8_t buf[1500];
	struct pair *p;
	unsigned int i, len;
	int rc;

	fp_of(cert_a, DTLS_HASH_SHA256, &fa);
	fp_of(cert_b, DTLS_HASH_SHA256, &fb);
	srand(12345);
	c2 = dtls_conn_create(cert_a, 0);
	assert_int_equal(dtls_conn_start(c2, DTLS_ROLE_CLIENT, &fb, NULL, now_ms(), &ch), 0);

	/* random bytes, random lengths, fed to started and to pending servers */
	s = dtls_conn_create(cert_b, 0);
	assert_int_equal(dtls_conn_start(s, DTLS_ROLE_SERVER, &fa, NULL, now_ms(), &o), 0);
	for (i = 0; i < 2000; i++) {
		unsigned int j;

		len = (unsigned int)rand() % sizeof(buf);
		for (j = 0; j < len; j++)
			buf[j] = (uint8_t)rand();
		if (i & 1) /* make half of them look like DTLS handshake records */
			memcpy(buf, "\x16\xfe\xfd\0\0", len < 5 ? len : 5);
		rc = dtls_input(s, buf, len, now_ms(), &o);
		assert_true(rc >= 0);
		assert_false(rc & DTLS_EV_CONNECTED);
	}
	assert_int_not_equal(dtls_conn_state(s), DTLS_ST_CONNECTED);
	assert_int_equal(dtls_input(s, NULL, 0, now_ms(), &o), 0);
	assert_int_equal(dtls_input(s, NULL, 5, now_ms(), &o), -EINVAL);
	dtls_conn_destroy(s);

	/* every truncation of a real ClientHello, then mutations of it */
	for (len = 0; len < ch.dg[0].len; len++) {
		s = dtls_conn_create(cert_b, 0);
		assert_int_equal(dtls_conn_start(s, DTLS_ROLE_SERVER, &fa, NULL, now_ms(), &o), 0);
		rc = dtls_input(s, ch.dg[0].data, len, now_ms(), &o);
		assert_true(rc >= 0);
		assert_false(rc & DTLS_EV_CONNECTED);
		/* pending: kept or not, replay must not crash either */
		dtls_conn_destroy(s);
		s = dtls_conn_create(cert_b, 0);
		dtls_input(s, ch.dg[0].data, len, now_ms(), &o);
		rc = dtls_conn_start(s, DTLS_ROLE_SERVER, &fa, NULL, now_ms(), &o);
		assert_int_equal(rc, 0);
		assert_false(o.events & DTLS_EV_CONNECTED);
		dtls_conn_destroy(s);
	}
	for (i = 0; i < 300; i++) {
		memcpy(buf, ch.dg[0].data, ch.dg[0].len);
		buf[(unsigned int)rand() % ch.dg[0].len] ^= (uint8_t)(1u << (rand() % 8));
		buf[(unsigned int)rand() % ch.dg[0].len] = (uint8_t)rand();
		s = dtls_conn_create(cert_b, 0);
		assert_int_equal(dtls_conn_start(s, DTLS_ROLE_SERVER, &fa, NULL, now_ms(), &o), 0);
		rc = dtls_input(s, buf, ch.dg[0].len, now_ms(), &o);
		assert_true(rc >= 0);
		assert_false(rc & DTLS_EV_CONNECTED);
		dtls_conn_destroy(s);
	}
	dtls_conn_destroy(c2);

	/* an established association shrugs off ClientHellos and garbage */
	p = pair_default(0, 0);
	memcpy(buf, p->q[0].dg[0].data, p->q[0].dg[0].len); /* its own ClientHello */
	len = p->q[0].dg[0].len;
	pump(p);
	assert_mirrored(p, &kc, &ks);
	rc = dtls_input(p->srv, buf, len, now_ms(), &o); /* replayed */
	assert_int_equal(rc, 0);
	c2 = dtls_conn_create(cert_a, 0); /* a fresh client, same 5-tuple */
	assert_int_equal(dtls_conn_start(c2, DTLS_ROLE_CLIENT, &fb, NULL, now_ms(), &ch), 0);
	rc = dtls_input(p->srv, ch.dg[0].data, ch.dg[0].len, now_ms(), &o);
	assert_int_equal(rc, 0);
	assert_int_equal(o.n, 0); /* no renegotiation, no new handshake */
	for (i = 0; i < 200; i++) {
		unsigned int j;

		len = 13 + (unsigned int)rand() % 200;
		for (j = 0; j < len; j++)
			buf[j] = (uint8_t)rand();
		buf[0] = (uint8_t)(20 + rand() % 4);
		buf[1] = 0xfe;
		buf[2] = 0xfd;
		rc = dtls_input(p->srv, buf, len, now_ms(), &o);
		assert_int_equal(rc, 0);
		rc = dtls_input(p->cli, buf, len, now_ms(), &o);
		assert_int_equal(rc, 0);
	}
	assert_int_equal(dtls_conn_state(p->srv), DTLS_ST_CONNECTED);
	assert_int_equal(dtls_conn_state(p->cli), DTLS_ST_CONNECTED);
	assert_mirrored(p, &kc2, &ks2);
	assert_memory_equal(&kc, &kc2, sizeof(kc));
	assert_memory_equal(&ks, &ks2, sizeof(ks));
	dtls_conn_destroy(c2);
	pair_free(p);
}

/*
 * An oracle for the RFC 5764 §4.2 layout that does not share our split: a
 * plain OpenSSL peer on memory BIOs (dpdk-notes §7), whose raw exporter
 * output we slice by hand. The mirrored checks above cannot catch a layout
 * error made identically on both ends; this can.
 */
struct raw_peer {
	SSL_CTX *ctx;
	SSL *ssl;
	BIO *rb, *wb; /* memory BIOs: in, out */
	EVP_PKEY *pk;
	X509 *x;
};

static X509 *make_x509(EVP_PKEY *pk);

static int
raw_verify(int ok, X509_STORE_CTX *store)
{
	return 1; /* the oracle trusts; our side is the one under test */
}

static void
raw_new(struct raw_peer *r, bool server, const char *profiles)
{
	r->pk = EVP_EC_gen("P-256");
	assert_non_null(r->pk);
	r->x = make_x509(r->pk);
	r->ctx = SSL_CTX_new(server ? DTLS_server_method() : DTLS_client_method());
	assert_non_null(r->ctx);
	assert_int_equal(SSL_CTX_use_certificate(r->ctx, r->x), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(r->ctx, r->pk), 1);
	assert_int_equal(SSL_CTX_set_tlsext_use_srtp(r->ctx, profiles), 0); /* 0 = success */
	SSL_CTX_set_verify(r->ctx, SSL_VERIFY_PEER, raw_verify);
	SSL_CTX_set_options(r->ctx, SSL_OP_NO_QUERY_MTU);
	r->ssl = SSL_new(r->ctx);
	r->rb = BIO_new(BIO_s_mem());
	r->wb = BIO_new(BIO_s_mem());
	BIO_set_mem_eof_return(r->rb, -1);
	BIO_set_mem_eof_return(r->wb, -1);
	SSL_set_bio(r->ssl, r->rb, r->wb);
	SSL_set_mtu(r->ssl, 1200);
	if (server)
		SSL_set_accept_state(r->ssl);
	else
		SSL_set_connect_state(r->ssl);
}

static void
raw_free(struct raw_peer *r)
{
	SSL_free(r->ssl);
	SSL_CTX_free(r->ctx);
	X509_free(r->x);
	EVP_PKEY_free(r->pk);
}

/* Run the raw peer, then hand what it wrote to ours record by record (a
 * memory BIO loses datagram boundaries; one record per datagram is valid). */
static unsigned int
raw_to_ours(struct raw_peer *r, struct dtls_conn *c, struct dtls_out *back)
{
	static uint8_t buf[16384];
	struct dtls_out o;
	unsigned int ev = 0, j;
	int n, off = 0, rc;

	ERR_clear_error();
	SSL_do_handshake(r->ssl);
	back->n = 0;
	n = BIO_read(r->wb, buf, sizeof(buf));
	while (n > 0 && off + 13 <= n) {
		int rl = 13 + (buf[off + 11] << 8 | buf[off + 12]);

		assert_true(off + rl <= n);
		rc = dtls_input(c, buf + off, (size_t)rl, now_ms(), &o);
		assert_true(rc >= 0);
		ev |= (unsigned int)rc;
		for (j = 0; j < o.n; j++)
			back->dg[back->n++] = o.dg[j];
		off += rl;
	}
	return ev;
}

static void
check_against_raw(enum dtls_role our_role, const char *raw_profiles, enum dtls_srtp_suite want)
{
	struct dtls_fingerprint fp = {.hash = DTLS_HASH_SHA256, .len = 32};
	struct dtls_out o;
	struct dtls_srtp_keys k;
	struct raw_peer r;
	struct dtls_conn *c;
	uint8_t km[88];
	unsigned int ev = 0, mdlen = 0, i, round;
	size_t kl, sl;
	const uint8_t *ck, *sk, *cs, *ss;

	raw_new(&r, our_role == DTLS_ROLE_CLIENT, raw_profiles);
	assert_int_equal(X509_digest(r.x, EVP_sha256(), fp.digest, &mdlen), 1);
	c = dtls_conn_create(cert_a, 0);
	assert_non_null(c);
	assert_int_equal(dtls_conn_start(c, our_role, &fp, NULL, now_ms(), &o), 0);
	for (round = 0; round < 10 && !(ev & DTLS_EV_CONNECTED); round++) {
		for (i = 0; i < o.n; i++)
			assert_int_equal(BIO_write(r.rb, o.dg[i].data, o.dg[i].len), o.dg[i].len);
		ev |= raw_to_ours(&r, c, &o);
	}
	for (i = 0; i < o.n; i++) /* our last flight, if we sent one */
		BIO_write(r.rb, o.dg[i].data, o.dg[i].len);
	ERR_clear_error();
	assert_int_equal(SSL_do_handshake(r.ssl), 1);
	assert_int_equal(ev, DTLS_EV_CONNECTED);
	assert_int_equal(dtls_conn_keys(c, &k), 0);
	assert_int_equal(k.suite, want);
	assert_int_equal(SSL_get_selected_srtp_profile(r.ssl)->id, k.profile);

	kl = k.key_len;
	sl = k.salt_len;
	assert_int_equal(SSL_export_keying_material(
				 r.ssl, km, 2 * (kl + sl), "EXTRACTOR-dtls_srtp", 19, NULL, 0, 0),
		1);
	ck = km;
	sk = km + kl;
	cs = km + 2 * kl;
	ss = km + 2 * kl + sl;
	if (our_role == DTLS_ROLE_CLIENT) {
		assert_memory_equal(k.local_key, ck, kl);
		assert_memory_equal(k.local_salt, cs, sl);
		assert_memory_equal(k.remote_key, sk, kl);
		assert_memory_equal(k.remote_salt, ss, sl);
	} else {
		assert_memory_equal(k.local_key, sk, kl);
		assert_memory_equal(k.local_salt, ss, sl);
		assert_memory_equal(k.remote_key, ck, kl);
		assert_memory_equal(k.remote_salt, cs, sl);
	}
	dtls_conn_destroy(c);
	raw_free(&r);
}

static void
test_exporter_layout(void **state)
{
	/* the raw server prefers SHA1_80: as client we take the server's pick */
	check_against_raw(DTLS_ROLE_CLIENT, "SRTP_AES128_CM_SHA1_80:SRTP_AEAD_AES_256_GCM",
		DTLS_SRTP_AES_CM_128_HMAC_SHA1_80);
	/* as server our preference wins: AES-256-GCM */
	check_against_raw(DTLS_ROLE_SERVER, "SRTP_AES128_CM_SHA1_80:SRTP_AEAD_AES_256_GCM",
		DTLS_SRTP_AEAD_AES_256_GCM);
	check_against_raw(DTLS_ROLE_SERVER, "SRTP_AES128_CM_SHA1_32:SRTP_AEAD_AES_128_GCM",
		DTLS_SRTP_AEAD_AES_128_GCM);
	check_against_raw(
		DTLS_ROLE_CLIENT, "SRTP_AES128_CM_SHA1_32", DTLS_SRTP_AES_CM_128_HMAC_SHA1_32);
}

static void
test_close_notify(void **state)
{
	struct dtls_srtp_keys k;
	struct pair *p = pair_default(0, 0);
	int rc;

	pump(p);
	assert_int_equal(dtls_close(p->cli, &p->tmp), 0);
	assert_int_equal(p->tmp.n, 1);
	assert_int_equal(dtls_conn_state(p->cli), DTLS_ST_CLOSED);
	rc = dtls_input(p->srv, p->tmp.dg[0].data, p->tmp.dg[0].len, now_ms(), &p->tmp);
	assert_int_equal(rc, DTLS_EV_CLOSED);
	assert_int_equal(dtls_conn_state(p->srv), DTLS_ST_CLOSED);
	/* keys stay readable: the workers may still be draining */
	assert_int_equal(dtls_conn_keys(p->srv, &k), 0);
	assert_int_equal(dtls_close(p->srv, &p->tmp), 0);
	assert_int_equal(p->tmp.n, 0); /* closed already: nothing more to say */
	pair_free(p);
}

/* Releasing OpenSSL's state keeps what the relay still needs. */
static void
test_release(void **state)
{
	struct dtls_srtp_keys kc, ks, k2;
	struct dtls_fingerprint fa, fb1;
	struct pair *p = pair_default(0, 0);
	uint8_t ch[DTLS_MTU];
	size_t chlen = p->q[0].dg[0].len;

	memcpy(ch, p->q[0].dg[0].data, chlen);
	assert_int_equal(dtls_conn_release(p->srv), -EBUSY); /* handshaking */
	pump(p);
	assert_mirrored(p, &kc, &ks);
	assert_int_equal(dtls_conn_release(p->cli), 0);
	assert_int_equal(dtls_conn_release(p->srv), 0);
	assert_int_equal(dtls_conn_release(p->srv), 0); /* idempotent */
	assert_int_equal(dtls_conn_state(p->srv), DTLS_ST_CONNECTED);
	assert_int_equal(dtls_conn_keys(p->cli, &k2), 0);
	assert_memory_equal(&k2, &kc, sizeof(k2));
	/* input is ignored now; nothing to close or time */
	assert_int_equal(dtls_input(p->srv, ch, chlen, now_ms(), &p->tmp), 0);
	assert_int_equal(p->tmp.n, 0);
	assert_int_equal(dtls_conn_stats(p->srv)->rx_ignored, 1);
	assert_true(dtls_tick(p->srv, now_ms(), &p->tmp) == DTLS_NO_DEADLINE);
	assert_int_equal(dtls_close(p->cli, &p->tmp), 0);
	assert_int_equal(p->tmp.n, 0);
	/* re-offer comparison still knows the peer certificate, under any hash */
	fp_of(cert_a, DTLS_HASH_SHA256, &fa);
	fp_of(cert_b, DTLS_HASH_SHA1, &fb1);
	assert_false(dtls_conn_remote_changed(p->srv, &fa, NULL));
	assert_false(dtls_conn_remote_changed(p->cli, &fb1, NULL));
	assert_true(dtls_conn_remote_changed(p->cli, &fa, NULL));
	assert_int_equal(dtls_conn_release(NULL), -EINVAL);
	pair_free(p);
}

static void
check_fp_string(const char *s, const char *name, unsigned int len)
{
	size_t nl = strlen(name), i;

	assert_non_null(s);
	assert_int_equal(strlen(s), nl + 1 + len * 3 - 1);
	assert_memory_equal(s, name, nl);
	assert_int_equal(s[nl], ' ');
	for (i = 0; i < len * 3 - 1; i++) {
		char ch = s[nl + 1 + i];

		if (i % 3 == 2)
			assert_int_equal(ch, ':');
		else
			assert_true((ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'F'));
	}
}

static char *
write_tmp(const char *tag, void (*wr)(FILE *, void *), void *arg)
{
	char *path = malloc(64);
	FILE *f;
	int fd;

	assert_non_null(path);
	snprintf(path, 64, "/tmp/sluice-dtls-%s-XXXXXX", tag);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	wr(f, arg);
	fclose(f);
	return path;
}

static void
wr_cert(FILE *f, void *x)
{
	assert_int_equal(PEM_write_X509(f, x), 1);
}

static void
wr_key(FILE *f, void *k)
{
	assert_int_equal(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL), 1);
}

static X509 *
make_x509(EVP_PKEY *pk)
{
	X509 *x = X509_new();

	assert_non_null(x);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 42);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
		(const unsigned char *)"test", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_set_pubkey(x, pk);
	assert_true(X509_sign(x, pk, EVP_sha256()) > 0);
	return x;
}

static void
test_certificates(void **state)
{
	static const unsigned int lens[DTLS_HASH_NUM] = {20, 28, 32, 48, 64};
	struct dtls_fingerprint fp, fp2;
	struct dtls_cert *c;
	EVP_PKEY *pk, *pk2, *rsa;
	char *cpath, *kpath, *k2path, *rpath, buf[DTLS_FP_STR_MAX];
	uint8_t md[64];
	unsigned int mdlen;
	int64_t left;
	X509 *x;
	int h;

	/* formats, per hash */
	for (h = 0; h < DTLS_HASH_NUM; h++) {
		const char *s = dtls_cert_fingerprint(cert_a, (enum dtls_hash)h);

		check_fp_string(s, dtls_hash_name((enum dtls_hash)h), lens[h]);
		assert_int_equal(dtls_fingerprint_parse(&fp, s, strlen(s)), 0);
		assert_int_equal(fp.hash, h);
		assert_int_equal(fp.len, lens[h]);
		assert_int_equal(dtls_fingerprint_format(&fp, buf, sizeof(buf)), (int)strlen(s));
		assert_string_equal(buf, s);
		assert_int_equal(dtls_fingerprint_format(&fp, buf, strlen(s)), -ENOSPC);
	}
	assert_string_not_equal(dtls_cert_fingerprint(cert_a, DTLS_HASH_SHA256),
		dtls_cert_fingerprint(cert_b, DTLS_HASH_SHA256));
	assert_null(dtls_cert_fingerprint(cert_a, DTLS_HASH_NUM));

	/* 30 days (minus nothing, plus nothing but clock slop) */
	left = dtls_cert_expiry(cert_a) - (int64_t)time(NULL);
	assert_true(left > 30 * 86400 - 120 && left <= 30 * 86400 + 5);

	/* PEM load: a key and certificate made here */
	pk = EVP_EC_gen("P-256");
	assert_non_null(pk);
	x = make_x509(pk);
	cpath = write_tmp("cert", wr_cert, x);
	kpath = write_tmp("key", wr_key, pk);
	c = dtls_cert_load(cpath, kpath);
	assert_non_null(c);
	assert_int_equal(X509_digest(x, EVP_sha256(), md, &mdlen), 1);
	fp_of(c, DTLS_HASH_SHA256, &fp);
	assert_int_equal(fp.len, mdlen);
	assert_memory_equal(fp.digest, md, mdlen);
	dtls_cert_unref(c);

	/* wrong pairs, wrong key types, missing files */
	pk2 = EVP_EC_gen("P-256");
	k2path = write_tmp("key2", wr_key, pk2);
	errno = 0;
	assert_null(dtls_cert_load(cpath, k2path));
	assert_int_equal(errno, EINVAL);
	rsa = EVP_RSA_gen(2048);
	assert_non_null(rsa);
	rpath = write_tmp("rsa", wr_key, rsa);
	assert_null(dtls_cert_load(cpath, rpath));
	assert_int_equal(errno, EINVAL);
	assert_null(dtls_cert_load("/nonexistent/cert.pem", kpath));
	assert_int_equal(errno, ENOENT);
	assert_null(dtls_cert_load(cpath, "/nonexistent/key.pem"));
	assert_int_equal(errno, ENOENT);
	assert_null(dtls_cert_load(kpath, kpath)); /* a key is not a certificate */
	assert_int_equal(errno, EINVAL);

	/* the process certificate: from files, then generated, then rotated */
	assert_int_equal(dtls_init(cpath, NULL), -EINVAL);
	assert_int_equal(dtls_init(cpath, kpath), 0);
	fp_of(dtls_cert_current(), DTLS_HASH_SHA256, &fp2);
	assert_memory_equal(fp2.digest, md, mdlen);
	assert_int_equal(dtls_rotate(), 0); /* re-reads the same files */
	fp_of(dtls_cert_current(), DTLS_HASH_SHA256, &fp2);
	assert_memory_equal(fp2.digest, md, mdlen);
	assert_int_equal(dtls_init(NULL, NULL), 0);
	assert_non_null(dtls_cert_current());
	check_fp_string(
		dtls_cert_fingerprint(dtls_cert_current(), DTLS_HASH_SHA256), "sha-256", 32);

	unlink(cpath);
	unlink(kpath);
	unlink(k2path);
	unlink(rpath);
	free(cpath);
	free(kpath);
	free(k2path);
	free(rpath);
	X509_free(x);
	EVP_PKEY_free(pk);
	EVP_PKEY_free(pk2);
	EVP_PKEY_free(rsa);
}

/* Rotation: new associations get the new certificate, existing ones keep
 * theirs and still complete against the fingerprint signalled earlier. */
static void
test_rotation(void **state)
{
	struct dtls_fingerprint fa, fold;
	struct dtls_srtp_keys kc, ks;
	struct pair *p = calloc(1, sizeof(*p));
	char before[DTLS_FP_STR_MAX];
	struct dtls_conn *fresh;

	assert_non_null(p);
	assert_int_equal(dtls_init(NULL, NULL), 0);
	snprintf(before, sizeof(before), "%s",
		dtls_cert_fingerprint(dtls_cert_current(), DTLS_HASH_SHA256));
	p->srv = dtls_conn_create(NULL, 0); /* the current certificate */
	assert_non_null(p->srv);
	assert_string_equal(dtls_conn_fingerprint(p->srv, DTLS_HASH_SHA256), before);
	assert_int_equal(dtls_rotate(), 0);
	assert_string_not_equal(
		dtls_cert_fingerprint(dtls_cert_current(), DTLS_HASH_SHA256), before);
	assert_string_equal(dtls_conn_fingerprint(p->srv, DTLS_HASH_SHA256), before);
	fresh = dtls_conn_create(NULL, 0);
	assert_string_not_equal(dtls_conn_fingerprint(fresh, DTLS_HASH_SHA256), before);
	dtls_conn_destroy(fresh);
	dtls_fini(); /* even with no process certificate left */
	assert_null(dtls_cert_current());
	assert_null(dtls_conn_create(NULL, 0));
	assert_int_equal(errno, EINVAL);

	assert_int_equal(dtls_fingerprint_parse(&fold, before, strlen(before)), 0);
	fp_of(cert_a, DTLS_HASH_SHA256, &fa);
	p->cli = dtls_conn_create(cert_a, 0);
	assert_int_equal(
		dtls_conn_start(p->srv, DTLS_ROLE_SERVER, &fa, NULL, now_ms(), &p->tmp), 0);
	assert_int_equal(
		dtls_conn_start(p->cli, DTLS_ROLE_CLIENT, &fold, NULL, now_ms(), &p->tmp), 0);
	enqueue(p, 0, &p->tmp);
	pump(p);
	assert_int_equal(p->ev_cli, DTLS_EV_CONNECTED);
	assert_int_equal(p->ev_srv, DTLS_EV_CONNECTED);
	assert_mirrored(p, &kc, &ks);
	pair_free(p);
}

static void
test_sdp_helpers(void **state)
{
	static const char crlf[] =
		"sha-1 0a:1B:2c:3D:4e:5F:60:71:82:93:a4:b5:c6:d7:e8:f9:00:11:22:33\r\n";
	static const char upper[] =
		"SHA-1  00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33";
	struct dtls_fingerprint fp, fa, fb, f1;
	char id[DTLS_TLS_ID_LEN + 1], id2[DTLS_TLS_ID_LEN + 1];
	struct dtls_out o;
	struct pair *p;
	size_t i;

	/* a=fingerprint parsing: mixed case, CRLF, extra blanks */
	assert_int_equal(dtls_fingerprint_parse(&fp, crlf, strlen(crlf)), 0);
	assert_int_equal(fp.hash, DTLS_HASH_SHA1);
	assert_int_equal(fp.digest[1], 0x1b);
	assert_int_equal(fp.digest[19], 0x33);
	assert_int_equal(dtls_fingerprint_parse(&fp, upper, strlen(upper)), 0);
	assert_int_equal(fp.digest[19], 0x33);
#define BAD(s) assert_int_equal(dtls_fingerprint_parse(&fp, s, strlen(s)), -EINVAL)
	BAD("");
	BAD("sha-256");
	BAD("sha-256 ");
	BAD("md5 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF");
	BAD("sha-1 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22");	     /* short */
	BAD("sha-1 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44"); /* long */
	BAD("sha-1 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:");
	BAD("sha-1 0011:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33");
	BAD("sha-1 0G:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33");
	BAD("sha-1 0:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:333");
#undef BAD
	assert_int_equal(dtls_fingerprint_parse(NULL, "x", 1), -EINVAL);
	assert_int_equal(dtls_hash_parse("SHA-512", 7), DTLS_HASH_SHA512);
	assert_int_equal(dtls_hash_parse("sha-2566", 8), -EINVAL);
	assert_string_equal(dtls_hash_name(DTLS_HASH_SHA224), "sha-224");

	/* a=setup */
	assert_int_equal(dtls_setup_parse("actpass", 7), DTLS_SETUP_ACTPASS);
	assert_int_equal(dtls_setup_parse("ACTIVE\r\n", 8), DTLS_SETUP_ACTIVE);
	assert_int_equal(dtls_setup_parse("passive", 7), DTLS_SETUP_PASSIVE);
	assert_int_equal(dtls_setup_parse("holdconn", 8), DTLS_SETUP_HOLDCONN);
	assert_int_equal(dtls_setup_parse("act", 3), -EINVAL);
	assert_string_equal(dtls_setup_name(DTLS_SETUP_ACTPASS), "actpass");
	assert_null(dtls_setup_name(DTLS_SETUP_NONE));
	assert_int_equal(dtls_setup_offer(), DTLS_SETUP_ACTPASS);
	assert_int_equal(dtls_setup_answer(DTLS_SETUP_ACTPASS, false), DTLS_SETUP_ACTIVE);
	assert_int_equal(dtls_setup_answer(DTLS_SETUP_ACTPASS, true), DTLS_SETUP_PASSIVE);
	assert_int_equal(dtls_setup_answer(DTLS_SETUP_ACTIVE, false), DTLS_SETUP_PASSIVE);
	assert_int_equal(dtls_setup_answer(DTLS_SETUP_NONE, false), DTLS_SETUP_PASSIVE);
	assert_int_equal(dtls_setup_answer(DTLS_SETUP_PASSIVE, true), DTLS_SETUP_ACTIVE);
	assert_int_equal(dtls_setup_from_role(DTLS_ROLE_CLIENT), DTLS_SETUP_ACTIVE);
	assert_int_equal(dtls_setup_from_role(DTLS_ROLE_SERVER), DTLS_SETUP_PASSIVE);
	/* roles: answerer's own value, offerer's actpass against the answer */
	assert_int_equal(dtls_setup_role(DTLS_SETUP_ACTIVE, DTLS_SETUP_ACTPASS), DTLS_ROLE_CLIENT);
	assert_int_equal(dtls_setup_role(DTLS_SETUP_PASSIVE, DTLS_SETUP_ACTPASS), DTLS_ROLE_SERVER);
	assert_int_equal(dtls_setup_role(DTLS_SETUP_ACTPASS, DTLS_SETUP_ACTIVE), DTLS_ROLE_SERVER);
	assert_int_equal(dtls_setup_role(DTLS_SETUP_ACTPASS, DTLS_SETUP_PASSIVE), DTLS_ROLE_CLIENT);
	assert_int_equal(dtls_setup_role(DTLS_SETUP_ACTPASS, DTLS_SETUP_NONE), DTLS_ROLE_SERVER);
	assert_int_equal(dtls_setup_role(DTLS_SETUP_ACTPASS, DTLS_SETUP_ACTPASS), -EINVAL);
	assert_int_equal(dtls_setup_role(DTLS_SETUP_PASSIVE, DTLS_SETUP_PASSIVE), -EINVAL);
	assert_int_equal(dtls_setup_role(DTLS_SETUP_ACTIVE, DTLS_SETUP_ACTIVE), -EINVAL);
	assert_int_equal(dtls_setup_role(DTLS_SETUP_NONE, DTLS_SETUP_ACTIVE), -EINVAL);

	/* a=tls-id */
	dtls_tls_id_generate(id);
	dtls_tls_id_generate(id2);
	assert_int_equal(strlen(id), DTLS_TLS_ID_LEN);
	for (i = 0; i < DTLS_TLS_ID_LEN; i++)
		assert_non_null(strchr("0123456789abcdef", id[i]));
	assert_string_not_equal(id, id2);
	assert_true(dtls_tls_id_valid(id, strlen(id)));
	assert_true(dtls_tls_id_valid("abc+/-_DEF0123456789", 20));
	assert_false(dtls_tls_id_valid("abc+/-_DEF012345678", 19));
	assert_false(dtls_tls_id_valid("abc+/-_DEF0123456789 ", 21));

	/* suite names match the SDES ones */
	assert_string_equal(dtls_srtp_suite_name(DTLS_SRTP_AEAD_AES_256_GCM), "AEAD_AES_256_GCM");
	assert_string_equal(dtls_srtp_suite_name(DTLS_SRTP_AEAD_AES_128_GCM), "AEAD_AES_128_GCM");
	assert_string_equal(
		dtls_srtp_suite_name(DTLS_SRTP_AES_CM_128_HMAC_SHA1_80), "AES_CM_128_HMAC_SHA1_80");
	assert_string_equal(
		dtls_srtp_suite_name(DTLS_SRTP_AES_CM_128_HMAC_SHA1_32), "AES_CM_128_HMAC_SHA1_32");
	assert_int_equal(dtls_srtp_suite_parse("AES_CM_128_HMAC_SHA1_32", 23),
		DTLS_SRTP_AES_CM_128_HMAC_SHA1_32);
	assert_int_equal(dtls_srtp_suite_parse("F8_128_HMAC_SHA1_80", 19), -EINVAL);

	/* re-offer decisions on an established association (RFC 8842) */
	fp_of(cert_a, DTLS_HASH_SHA256, &fa);
	fp_of(cert_b, DTLS_HASH_SHA256, &fb);
	fp_of(cert_b, DTLS_HASH_SHA1, &f1);
	p = calloc(1, sizeof(*p));
	assert_non_null(p);
	p->srv = dtls_conn_create(cert_b, 0);
	p->cli = dtls_conn_create(cert_a, 0);
	assert_int_equal(dtls_conn_start(p->srv, DTLS_ROLE_SERVER, &fa, id, now_ms(), &p->tmp), 0);
	assert_int_equal(
		dtls_conn_start(p->cli, DTLS_ROLE_CLIENT, &fb, NULL, now_ms(), &p->tmp), 0);
	assert_int_equal(dtls_conn_start(p->cli, DTLS_ROLE_CLIENT, &fb, "short", now_ms(), &p->tmp),
		-EINVAL);
	enqueue(p, 0, &p->tmp);
	pump(p);
	assert_int_equal(p->ev_srv, DTLS_EV_CONNECTED);
	assert_false(dtls_conn_remote_changed(p->srv, &fa, id));   /* same */
	assert_false(dtls_conn_remote_changed(p->srv, &fa, NULL)); /* tls-id dropped */
	assert_true(dtls_conn_remote_changed(p->srv, &fa, id2));   /* new tls-id */
	assert_true(dtls_conn_remote_changed(p->srv, &fb, id));	   /* new fingerprint */
	assert_false(dtls_conn_remote_changed(p->cli, &f1, NULL)); /* same cert, sha-1 now */
	assert_false(dtls_conn_remote_changed(p->cli, &fb, id2));  /* we had no tls-id */
	assert_int_equal(dtls_input(NULL, (const uint8_t *)"", 0, 0, &o), -EINVAL);
	assert_int_equal(dtls_input(p->srv, (const uint8_t *)"", 0, 0, NULL), -EINVAL);
	assert_int_equal(dtls_close(NULL, &o), -EINVAL);
	assert_int_equal(strlen(dtls_conn_tls_id(p->srv)), DTLS_TLS_ID_LEN);
	assert_string_not_equal(dtls_conn_tls_id(p->srv), dtls_conn_tls_id(p->cli));
	pair_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handshake),
		cmocka_unit_test(test_profiles),
		cmocka_unit_test(test_fingerprint_mismatch),
		cmocka_unit_test(test_early_client_hello),
		cmocka_unit_test(test_retransmit),
		cmocka_unit_test(test_retransmit_schedule),
		cmocka_unit_test(test_hostile_input),
		cmocka_unit_test(test_exporter_layout),
		cmocka_unit_test(test_close_notify),
		cmocka_unit_test(test_release),
		cmocka_unit_test(test_certificates),
		cmocka_unit_test(test_rotation),
		cmocka_unit_test(test_sdp_helpers),
	};

	return cmocka_run_group_tests(tests, setup_certs, teardown_certs);
}
