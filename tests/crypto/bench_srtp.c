/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_srtp: cycles per packet for protect and unprotect of a 172-byte RTP
 * packet (12-byte header, 160-byte payload) per suite, ours and libsrtp2 in
 * the same run. Not a test. Usage: bench_srtp [cpu] [bursts]
 *
 * Method: a burst is BURST packets, each copied from a template into a work
 * buffer (the copy is included, as in dpdk-notes 6.1) and processed; its
 * TSC delta / BURST is one sample; the median of the bursts is printed.
 * Protect advances SEQ (libsrtp refuses a repeated one). Unprotect replays
 * one burst of pre-protected packets into a fresh receiver per burst (set
 * up outside the timed region), so its first packet includes the SSRC's
 * stream creation in both libraries. Ours runs on intel-ipsec-mb where the
 * CPU allows it; SLUICE_SRTP_ENGINE=openssl measures the OpenSSL path.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* sched_setaffinity */
#endif
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>

/* libsrtp2's srtp_protect/srtp_unprotect share our names: use its _mki entry points */
#define srtp_protect libsrtp_protect_hidden
#define srtp_unprotect libsrtp_unprotect_hidden
#include <srtp2/srtp.h>
#undef srtp_protect
#undef srtp_unprotect
#undef SRTP_MAX_KEY_LEN
#undef SRTP_MAX_MKI_LEN
#undef SRTP_MAX_TRAILER_LEN

#include "crypto/srtp.h"

#define BURST 512
#define PKT_LEN 172
#define SLOT 256 /* bytes per stored packet */
#define MAX_BURSTS 1024

static uint8_t key[64];
static uint8_t tmpl[PKT_LEN];
static uint8_t stored[BURST][SLOT];
static size_t stored_len[BURST];
static double samples[MAX_BURSTS];

static void
die(const char *what)
{
	fprintf(stderr, "bench_srtp: %s\n", what);
	exit(1);
}

static double
tsc_mhz(void)
{
	struct timespec a, b;
	uint64_t t0, t1;

	clock_gettime(CLOCK_MONOTONIC_RAW, &a);
	t0 = __rdtsc();
	do
		clock_gettime(CLOCK_MONOTONIC_RAW, &b);
	while ((b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec) < 200000000L);
	t1 = __rdtsc();
	return (double)(t1 - t0) /
	       ((double)((b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec)) / 1e3);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(unsigned n)
{
	qsort(samples, n, sizeof(samples[0]), cmp_double);
	return samples[n / 2];
}

static inline void
set_seq(uint8_t *p, uint32_t seq)
{
	p[2] = (uint8_t)(seq >> 8);
	p[3] = (uint8_t)seq;
}

/* ---- ours ---- */

static void
our_master(enum srtp_suite_id id, struct srtp_master *m)
{
	memset(m, 0, sizeof(*m));
	m->suite = &srtp_suites[id];
	memcpy(m->key, key, m->suite->key_len);
	memcpy(m->salt, key + m->suite->key_len, m->suite->salt_len);
}

static void
bench_ours(enum srtp_suite_id id, unsigned bursts, double *prot, double *unprot)
{
	uint8_t buf[SLOT];
	struct srtp_master m;
	struct srtp_ctx tx, rx;
	uint32_t seq = 1;
	uint64_t t0;
	unsigned b, i;
	size_t len;
	int bad = 0;

	our_master(id, &m);
	if (srtp_ctx_init(&tx, &m) < 0)
		die("srtp_ctx_init");
	for (b = 0; b < bursts; b++) {
		t0 = __rdtsc();
		for (i = 0; i < BURST; i++) {
			memcpy(buf, tmpl, PKT_LEN);
			set_seq(buf, seq++);
			len = PKT_LEN;
			bad |= srtp_rtp_protect(&tx, buf, &len, sizeof(buf));
		}
		samples[b] = (double)(__rdtsc() - t0) / BURST;
	}
	*prot = median(bursts);
	/* a fresh sender: past a SEQ wrap a fresh receiver could not follow */
	srtp_ctx_fini(&tx);
	if (srtp_ctx_init(&tx, &m) < 0)
		die("srtp_ctx_init");
	for (i = 0, seq = 1; i < BURST; i++) {
		memcpy(stored[i], tmpl, PKT_LEN);
		set_seq(stored[i], seq++);
		stored_len[i] = PKT_LEN;
		bad |= srtp_rtp_protect(&tx, stored[i], &stored_len[i], SLOT);
	}
	for (b = 0; b < bursts; b++) {
		if (srtp_ctx_init(&rx, &m) < 0)
			die("srtp_ctx_init");
		t0 = __rdtsc();
		for (i = 0; i < BURST; i++) {
			memcpy(buf, stored[i], stored_len[i]);
			len = stored_len[i];
			bad |= srtp_rtp_unprotect(&rx, buf, &len);
		}
		samples[b] = (double)(__rdtsc() - t0) / BURST;
		srtp_ctx_fini(&rx);
	}
	*unprot = median(bursts);
	srtp_ctx_fini(&tx);
	if (bad)
		die("our protect/unprotect failed");
}

/* ---- libsrtp2 ---- */

static int
lib_policy(enum srtp_suite_id id, srtp_policy_t *p)
{
	switch (id) {
	case SRTP_AEAD_AES_256_GCM:
		srtp_crypto_policy_set_aes_gcm_256_16_auth(&p->rtp);
		break;
	case SRTP_AEAD_AES_128_GCM:
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtp);
		break;
	case SRTP_AES_256_CM_SHA1_80:
		srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&p->rtp);
		break;
	case SRTP_AES_256_CM_SHA1_32:
		srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32(&p->rtp);
		break;
	case SRTP_AES_192_CM_SHA1_80:
		srtp_crypto_policy_set_aes_cm_192_hmac_sha1_80(&p->rtp);
		break;
	case SRTP_AES_192_CM_SHA1_32:
		srtp_crypto_policy_set_aes_cm_192_hmac_sha1_32(&p->rtp);
		break;
	case SRTP_AES_128_CM_SHA1_80:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtp);
		break;
	case SRTP_AES_128_CM_SHA1_32:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p->rtp);
		break;
	case SRTP_NULL_SHA1_80:
	case SRTP_NULL_SHA1_32:
		srtp_crypto_policy_set_null_cipher_hmac_sha1_80(&p->rtp);
		if (id == SRTP_NULL_SHA1_32)
			p->rtp.auth_tag_len = 4;
		break;
	default:
		return -1;
	}
	p->rtcp = p->rtp;
	return 0;
}

static srtp_t
lib_session(enum srtp_suite_id id, int inbound)
{
	srtp_policy_t p;
	srtp_t s;

	memset(&p, 0, sizeof(p));
	if (lib_policy(id, &p) < 0)
		return NULL;
	p.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
	p.key = key;
	p.window_size = 128;
	if (srtp_create(&s, &p) != srtp_err_status_ok)
		die("srtp_create");
	return s;
}

static int
bench_lib(enum srtp_suite_id id, unsigned bursts, double *prot, double *unprot)
{
	uint8_t buf[SLOT];
	srtp_t tx = lib_session(id, 0), rx;
	uint32_t seq = 1;
	uint64_t t0;
	unsigned b, i;
	int len, bad = 0;

	if (tx == NULL)
		return -1;
	for (b = 0; b < bursts; b++) {
		t0 = __rdtsc();
		for (i = 0; i < BURST; i++) {
			memcpy(buf, tmpl, PKT_LEN);
			set_seq(buf, seq++);
			len = PKT_LEN;
			bad |= srtp_protect_mki(tx, buf, &len, 0, 0);
		}
		samples[b] = (double)(__rdtsc() - t0) / BURST;
	}
	*prot = median(bursts);
	srtp_dealloc(tx);
	tx = lib_session(id, 0);
	for (i = 0, seq = 1; i < BURST; i++) {
		memcpy(stored[i], tmpl, PKT_LEN);
		set_seq(stored[i], seq++);
		len = PKT_LEN;
		bad |= srtp_protect_mki(tx, stored[i], &len, 0, 0);
		stored_len[i] = (size_t)len;
	}
	for (b = 0; b < bursts; b++) {
		rx = lib_session(id, 1);
		t0 = __rdtsc();
		for (i = 0; i < BURST; i++) {
			memcpy(buf, stored[i], stored_len[i]);
			len = (int)stored_len[i];
			bad |= srtp_unprotect_mki(rx, buf, &len, 0);
		}
		samples[b] = (double)(__rdtsc() - t0) / BURST;
		srtp_dealloc(rx);
	}
	*unprot = median(bursts);
	srtp_dealloc(tx);
	if (bad)
		die("libsrtp protect/unprotect failed");
	return 0;
}

int
main(int argc, char **argv)
{
	unsigned bursts = 64, i;
	double mhz, op, ou, lp, lu;
	cpu_set_t set;
	enum srtp_suite_id id;

	if (argc > 1) {
		CPU_ZERO(&set);
		CPU_SET(atoi(argv[1]), &set);
		if (sched_setaffinity(0, sizeof(set), &set) < 0)
			die("sched_setaffinity");
	}
	if (argc > 2)
		bursts = (unsigned)atoi(argv[2]);
	if (bursts < 1 || bursts > MAX_BURSTS)
		die("bursts: 1..1024");
	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(0x10 + i);
	memset(tmpl, 0, sizeof(tmpl));
	tmpl[0] = 0x80;
	tmpl[7] = 0x01;
	tmpl[8] = 0xde; /* SSRC 0xdecafbad */
	tmpl[9] = 0xca;
	tmpl[10] = 0xfb;
	tmpl[11] = 0xad;
	for (i = 12; i < PKT_LEN; i++)
		tmpl[i] = (uint8_t)(i * 7);
	if (srtp_init() != srtp_err_status_ok)
		die("srtp_init");
	/* ours on intel-ipsec-mb when usable; SLUICE_SRTP_ENGINE=openssl for the OpenSSL path */
	if (srtp_engine_thread_init() < 0)
		die("srtp_engine_thread_init");
	printf("our engine: %s\n", srtp_engine_name());

	/* warm up: page in the buffers, let the core settle */
	bench_ours(SRTP_AES_128_CM_SHA1_80, bursts, &op, &ou);
	bench_lib(SRTP_AES_128_CM_SHA1_80, bursts / 4 + 1, &lp, &lu);
	mhz = tsc_mhz();
	printf("TSC %.1f MHz; %d-byte RTP packets; bursts of %d, median of %u; "
	       "cycles/packet (ns), ratio = libsrtp2 / ours\n",
		mhz, PKT_LEN, BURST, bursts);
	printf("%-24s %14s %14s %15s %15s %7s %7s\n", "suite", "ours protect", "ours unprot",
		"libsrtp protect", "libsrtp unprot", "x prot", "x unp");
	for (id = 0; id < SRTP_SUITE_COUNT; id++) {
		bench_ours(id, bursts, &op, &ou);
		printf("%-24s %7.0f (%4.0f) %7.0f (%4.0f)", srtp_suites[id].name, op,
			op * 1e3 / mhz, ou, ou * 1e3 / mhz);
		if (bench_lib(id, bursts, &lp, &lu) == 0)
			printf(" %8.0f (%4.0f) %8.0f (%4.0f) %7.2f %7.2f\n", lp, lp * 1e3 / mhz, lu,
				lu * 1e3 / mhz, lp / op, lu / ou);
		else
			printf(" %15s %15s %7s %7s\n", "-", "-", "-", "-");
	}
	srtp_shutdown();
	return 0;
}
