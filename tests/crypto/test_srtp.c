/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SRTP/SRTCP: RFC known-answer vectors (RFC 3711 B.1-B.3, RFC 6188 7.2/7.4,
 * RFC 7714 16/17, libsrtp's srtp_validate reference packets), the suite
 * table, ROC estimation across the SEQ wrap with reordering, replay and
 * auth-failure handling, SSRC changes, re-keying and every error return.
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

#include "crypto/srtp.h"
#include "crypto/srtp_priv.h"

#define BUF 2048

static size_t
unhex(const char *s, uint8_t *out)
{
	size_t n = 0;
	unsigned v;

	while (*s != '\0') {
		if (*s == ' ' || *s == '\n') {
			s++;
			continue;
		}
		assert_int_equal(sscanf(s, "%2x", &v), 1);
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

static void
master_hex(struct srtp_master *m, enum srtp_suite_id id, const char *key, const char *salt,
	unsigned flags)
{
	memset(m, 0, sizeof(*m));
	m->suite = &srtp_suites[id];
	assert_int_equal(unhex(key, m->key), m->suite->key_len);
	assert_int_equal(unhex(salt, m->salt), m->suite->salt_len);
	m->flags = flags;
}

/* A ctx whose SRTP and SRTCP session keys are given (RFC vectors skip the KDF) */
static void
ctx_session(struct srtp_ctx *ctx, enum srtp_suite_id id, unsigned flags, const char *enc_hex,
	const char *salt_hex)
{
	uint8_t enc[32], salt[14], auth[20] = {0};
	struct srtp_master m = {.suite = &srtp_suites[id], .flags = flags};
	struct srtp_session_keys sk = {enc, salt, auth};
	struct srtp_keys *k;

	assert_int_equal(unhex(enc_hex, enc), m.suite->key_len);
	assert_int_equal(unhex(salt_hex, salt), m.suite->salt_len);
	k = srtp_keys_create_session(&m, &sk, &sk);
	assert_non_null(k);
	memset(ctx, 0, sizeof(*ctx));
	assert_null(srtp_ctx_swap_keys(ctx, k));
}

static void
ctx_pair(struct srtp_ctx *tx, struct srtp_ctx *rx, enum srtp_suite_id id, unsigned flags,
	uint8_t fill)
{
	struct srtp_master m = {.suite = &srtp_suites[id], .flags = flags};

	memset(m.key, fill, sizeof(m.key));
	memset(m.salt, (uint8_t)~fill, sizeof(m.salt));
	assert_int_equal(srtp_ctx_init(tx, &m), 0);
	assert_int_equal(srtp_ctx_init(rx, &m), 0);
}

static size_t
mk_rtp(uint8_t *b, uint32_t ssrc, uint16_t seq, size_t payload)
{
	size_t i;

	b[0] = 0x80;
	b[1] = 0x00;
	b[2] = (uint8_t)(seq >> 8);
	b[3] = (uint8_t)seq;
	srtp_put_be32(b + 4, (uint32_t)seq * 160);
	srtp_put_be32(b + 8, ssrc);
	for (i = 0; i < payload; i++)
		b[12 + i] = (uint8_t)(i * 7 + seq);
	return 12 + payload;
}

static size_t
mk_rtcp(uint8_t *b, uint32_t ssrc, uint8_t fill)
{
	/* SR with no report blocks (28 bytes) followed by an RR (8 bytes): compound */
	memset(b, fill, 36);
	b[0] = 0x80;
	b[1] = 200;
	b[2] = 0;
	b[3] = 6;
	srtp_put_be32(b + 4, ssrc);
	b[28] = 0x80;
	b[29] = 201;
	b[30] = 0;
	b[31] = 1;
	srtp_put_be32(b + 32, ssrc);
	return 36;
}

/* protect a fresh RTP packet on tx; @return its SRTP length in out */
static size_t
sealed(struct srtp_ctx *tx, uint8_t *out, uint32_t ssrc, uint16_t seq)
{
	size_t len = mk_rtp(out, ssrc, seq, 160);

	assert_int_equal(srtp_rtp_protect(tx, out, &len, BUF), 0);
	return len;
}

/* unprotect a copy, check it against the plain packet it came from */
static int
open_check(struct srtp_ctx *rx, const uint8_t *srtp, size_t len, uint32_t ssrc, uint16_t seq)
{
	uint8_t b[BUF], plain[BUF];
	size_t plen = mk_rtp(plain, ssrc, seq, 160);
	int rc;

	memcpy(b, srtp, len);
	rc = srtp_rtp_unprotect(rx, b, &len);
	if (rc == 0) {
		assert_int_equal(len, plen);
		assert_memory_equal(b, plain, plen);
	}
	return rc;
}

static void
state(const struct srtp_ctx *ctx, uint32_t ssrc, uint32_t roc, uint16_t seq)
{
	struct srtp_ssrc_info in;

	assert_int_equal(srtp_ctx_get_ssrc(ctx, ssrc, &in), 0);
	assert_true(in.rtp_valid);
	assert_int_equal(in.roc, roc);
	assert_int_equal(in.seq, seq);
}

/* ---- table ---- */

static void
test_suite_table(void **unused)
{
	/* rtpengine-compat.md 4.4: default SDES offer order */
	static const char *const order[] = {"AEAD_AES_256_GCM", "AEAD_AES_128_GCM",
		"AES_256_CM_HMAC_SHA1_80", "AES_256_CM_HMAC_SHA1_32", "AES_192_CM_HMAC_SHA1_80",
		"AES_192_CM_HMAC_SHA1_32", "AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32",
		"F8_128_HMAC_SHA1_80", "F8_128_HMAC_SHA1_32", "NULL_HMAC_SHA1_80",
		"NULL_HMAC_SHA1_32"};
	unsigned i;

	assert_int_equal(SRTP_SUITE_COUNT, sizeof(order) / sizeof(order[0]));
	for (i = 0; i < SRTP_SUITE_COUNT; i++) {
		const struct srtp_suite *s = &srtp_suites[i];

		assert_string_equal(s->name, order[i]);
		assert_ptr_equal(srtp_suite_find(s->name, strlen(s->name)), s);
		if (s->alias != NULL)
			assert_ptr_equal(srtp_suite_find(s->alias, strlen(s->alias)), s);
		/* RFC 4568 6.2 / field-lessons 3.2: SRTCP tags stay 80 bits for _32 */
		assert_int_equal(s->rtcp_tag_len, s->aead ? 16 : 10);
		assert_int_equal(s->salt_len, s->aead ? 12 : 14);
	}
	assert_ptr_equal(srtp_suite_find("AES_CM_256_HMAC_SHA1_32", 23),
		&srtp_suites[SRTP_AES_256_CM_SHA1_32]);
	assert_ptr_equal(srtp_suite_find("AES_CM_192_HMAC_SHA1_80", 23),
		&srtp_suites[SRTP_AES_192_CM_SHA1_80]);
	assert_ptr_equal(srtp_suite_find("aes_cm_128_hmac_sha1_80", 23),
		&srtp_suites[SRTP_AES_128_CM_SHA1_80]);
	assert_null(srtp_suite_find("AES_CM_128_HMAC_SHA1_8", 22));
	assert_null(srtp_suite_find("AES_CM_128_HMAC_SHA1_80X", 24));
	assert_null(srtp_suite_find("AEAD_AES_128_GCM_8", 18));
	assert_int_equal(srtp_suites[SRTP_AES_128_CM_SHA1_32].rtp_tag_len, 4);
	assert_int_equal(srtp_suites[SRTP_AES_192_CM_SHA1_80].key_len, 24);
	assert_int_equal(srtp_suites[SRTP_AEAD_AES_256_GCM].dtls_profile, 0x0008);
	/* RFC 5764 4.1.2 and RFC 7714 14.2 profile numbers */
	assert_ptr_equal(srtp_suite_by_dtls_profile(0x0001), &srtp_suites[SRTP_AES_128_CM_SHA1_80]);
	assert_ptr_equal(srtp_suite_by_dtls_profile(0x0002), &srtp_suites[SRTP_AES_128_CM_SHA1_32]);
	assert_ptr_equal(srtp_suite_by_dtls_profile(0x0005), &srtp_suites[SRTP_NULL_SHA1_80]);
	assert_ptr_equal(srtp_suite_by_dtls_profile(0x0006), &srtp_suites[SRTP_NULL_SHA1_32]);
	assert_ptr_equal(srtp_suite_by_dtls_profile(0x0007), &srtp_suites[SRTP_AEAD_AES_128_GCM]);
	assert_ptr_equal(srtp_suite_by_dtls_profile(0x0008), &srtp_suites[SRTP_AEAD_AES_256_GCM]);
	assert_null(srtp_suite_by_dtls_profile(0));
	assert_null(srtp_suite_by_dtls_profile(0x0003));
	assert_string_equal(srtp_strerror(-EBADMSG), "authentication failed");
	assert_string_equal(srtp_strerror(-EALREADY), "replayed index");
	assert_string_equal(srtp_strerror(-E2BIG), "unknown error");
}

/* ---- known answers ---- */

/* RFC 3711 Appendix B.2: AES-CM key stream for IV = session salt (SSRC 0, ROC 0, SEQ 0) */
static void
test_rfc3711_b2_keystream(void **unused)
{
	static const struct {
		unsigned block;
		const char *ks;
	} want[] = {
		{0x0000, "E03EAD0935C95E80E166B16DD92B4EB4"},
		{0x0001, "D23513162B02D0F72A43A2FE4A5F97AB"},
		{0x0002, "41E95B3BB0A2E8DD477901E4FCA894C0"},
		{0xfeff, "EC8CDF7398607CB0F2D21675EA9EA1E4"},
		{0xff00, "362B7C3C6773516318A077D7FC5073AE"},
		{0xff01, "6A2CC3787889374FBEB4C81B17BA6C44"},
	};
	size_t payload = 0xff02 * 16, len = 12 + payload, cap = len + 64, i;
	struct srtp_ctx ctx;
	uint8_t *b = calloc(1, cap), ks[16];

	assert_non_null(b);
	/* session salt F0F1..FD: the RFC's IV F0F1..FD0000 is salt * 2^16 */
	ctx_session(&ctx, SRTP_AES_128_CM_SHA1_80, 0, "2B7E151628AED2A6ABF7158809CF4F3C",
		"F0F1F2F3F4F5F6F7F8F9FAFBFCFD");
	b[0] = 0x80; /* SEQ 0, SSRC 0, zero payload: the ciphertext is the key stream */
	assert_int_equal(srtp_rtp_protect(&ctx, b, &len, cap), 0);
	assert_int_equal(len, 12 + payload + 10);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		unhex(want[i].ks, ks);
		assert_memory_equal(b + 12 + 16 * want[i].block, ks, 16);
	}
	srtp_ctx_fini(&ctx);
	free(b);
}

/* RFC 3711 Appendix B.3: key derivation */
static void
test_rfc3711_b3_kdf(void **unused)
{
	uint8_t mk[16], ms[14], out[20], want[20];

	unhex("E1F97A0D3E018BE0D64FA32C06DE4139", mk);
	unhex("0EC675AD498AFEEBB6960B3AABE6", ms);
	assert_int_equal(srtp_kdf(mk, 16, ms, 14, SRTP_LABEL_RTP_ENC, out, 16), 0);
	unhex("C61E7A93744F39EE10734AFE3FF7A087", want);
	assert_memory_equal(out, want, 16);
	assert_int_equal(srtp_kdf(mk, 16, ms, 14, SRTP_LABEL_RTP_SALT, out, 14), 0);
	unhex("30CBBC08863D8C85D49DB34A9AE1", want);
	assert_memory_equal(out, want, 14);
	assert_int_equal(srtp_kdf(mk, 16, ms, 14, SRTP_LABEL_RTP_AUTH, out, 20), 0);
	unhex("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4", want);
	assert_memory_equal(out, want, 20);
	assert_int_equal(srtp_kdf(mk, 15, ms, 14, SRTP_LABEL_RTP_ENC, out, 16), -EINVAL);
}

/* RFC 6188 7.2 (AES_256_CM_PRF) and 7.4 (AES_192_CM_PRF) key derivation */
static void
test_rfc6188_kdf(void **unused)
{
	static const struct {
		const char *mk, *ms, *ke, *ks, *ka;
	} v[] = {
		{"f0f04914b513f2763a1b1fa130f10e2998f6f6e43e4309d1e622a0e332b9f1b6",
			"3b04803de51ee7c96423ab5b78d2",
			"5ba1064e30ec51613cad926c5a28ef731ec7fb397f70a960653caf06554cd8c4",
			"fa31791685ca444a9e07c6c64e93", "fd9c32d39ed5fbb5a9dc96b30818454d1313dc05"},
		{"73edc66c4fa15776fb57f9505c17136550ffda71f3e8e5f1", "c8522f3acd4ce86d5add78edbb11",
			"31874736a8f1143870c26e4857d8a5b2c4a354407faadabb",
			"2372b82d639b6d8503a47adc0a6c", "355b10973cd95b9eacf4061c7e1a7151e7cfbfcb"},
	};
	uint8_t mk[32], ms[14], out[32], want[32];
	size_t i, kl;

	for (i = 0; i < 2; i++) {
		kl = unhex(v[i].mk, mk);
		unhex(v[i].ms, ms);
		assert_int_equal(srtp_kdf(mk, kl, ms, 14, SRTP_LABEL_RTP_ENC, out, kl), 0);
		unhex(v[i].ke, want);
		assert_memory_equal(out, want, kl);
		assert_int_equal(srtp_kdf(mk, kl, ms, 14, SRTP_LABEL_RTP_SALT, out, 14), 0);
		unhex(v[i].ks, want);
		assert_memory_equal(out, want, 14);
		assert_int_equal(srtp_kdf(mk, kl, ms, 14, SRTP_LABEL_RTP_AUTH, out, 20), 0);
		unhex(v[i].ka, want);
		assert_memory_equal(out, want, 20);
	}
}

/*
 * libsrtp test/srtp_driver.c srtp_validate(): AES_CM_128_HMAC_SHA1_80 with
 * master key e1f97a0d..4139 / salt 0ec675ad..abe6, SSRC 0xcafebabe, SEQ
 * 0x1234; SRTCP index 1 (libsrtp starts at 1, we at 0: preset).
 */
static void
test_libsrtp_reference(void **unused)
{
	struct srtp_master m;
	struct srtp_ctx tx, rx;
	struct srtp_ssrc_info si = {.ssrc = 0xcafebabe, .rtcp_valid = true, .rtcp_index = 0};
	uint8_t b[BUF], plain[64], want[64];
	size_t len, plen, wlen;

	master_hex(&m, SRTP_AES_128_CM_SHA1_80, "e1f97a0d3e018be0d64fa32c06de4139",
		"0ec675ad498afeebb6960b3aabe6", 0);
	assert_int_equal(srtp_ctx_init(&tx, &m), 0);
	assert_int_equal(srtp_ctx_init(&rx, &m), 0);

	plen = unhex("800f1234decafbadcafebabe abababababababababababababababab", plain);
	wlen = unhex("800f1234decafbadcafebabe4e55dc4ce79978d88ca4d215949d2402b78d6acc"
		     "99ea179b8dbb",
		want);
	memcpy(b, plain, plen);
	len = plen;
	assert_int_equal(srtp_rtp_protect(&tx, b, &len, sizeof(b)), 0);
	assert_int_equal(len, wlen);
	assert_memory_equal(b, want, wlen);
	assert_int_equal(srtp_rtp_unprotect(&rx, b, &len), 0);
	assert_int_equal(len, plen);
	assert_memory_equal(b, plain, plen);

	plen = unhex("81c8000bcafebabe abababababababababababababababab", plain);
	wlen = unhex("81c8000bcafebabe7128035be487b9bdbef89041f977a5a880000001993e08cd"
		     "54d6c1230798",
		want);
	assert_int_equal(srtp_ctx_set_ssrc(&tx, &si), 0);
	memcpy(b, plain, plen);
	len = plen;
	assert_int_equal(srtcp_protect(&tx, b, &len, sizeof(b)), 0);
	assert_int_equal(len, wlen);
	assert_memory_equal(b, want, wlen);
	assert_int_equal(srtcp_unprotect(&rx, b, &len), 0);
	assert_int_equal(len, plen);
	assert_memory_equal(b, plain, plen);
	srtp_ctx_fini(&tx);
	srtp_ctx_fini(&rx);
}

/*
 * RFC 3711 Appendix B.1 (AES-f8): k_e 2348..d62c, k_s 32f2870d (the mask
 * m = k_s || 0x55.. is the same as for the salt 32f2870d5555..), ROC
 * d462564a. Only the payload is the RFC's; the tag uses a zero auth key.
 */
static void
test_rfc3711_b1_f8(void **unused)
{
	struct srtp_ctx ctx;
	struct srtp_ssrc_info si = {
		.ssrc = 0x5c621599, .rtp_valid = true, .roc = 0xd462564a, .seq = 0x5cb9};
	uint8_t b[BUF], want[64];
	size_t len, wlen;

	ctx_session(&ctx, SRTP_F8_128_SHA1_80, 0, "234829008467be186c3de14aae72d62c",
		"32f2870d55555555555555555555");
	assert_int_equal(srtp_ctx_set_ssrc(&ctx, &si), 0);
	len = unhex("806e5cba50681de55c621599"
		    "70736575646f72616e646f6d6e657373 20697320746865206e65787420626573"
		    "74207468696e67",
		b);
	wlen = unhex("806e5cba50681de55c621599"
		     "019ce7a26e7854014a6366aa95d4eefd 1ad4172a14f9faf455b7f1d4b62bd08f"
		     "562c0eef7c4802",
		want);
	assert_int_equal(srtp_rtp_protect(&ctx, b, &len, sizeof(b)), 0);
	assert_int_equal(len, wlen + 10);
	assert_memory_equal(b, want, wlen);
	srtp_ctx_fini(&ctx);
}

/*
 * RFC 7714 16 (SRTP) and 17 (SRTCP) test vectors: session key 0001..0f
 * (AEAD_AES_128_GCM) or 0001..1f (AEAD_AES_256_GCM), session salt "Quid pro
 * quo", SRTCP index 0x5d4. Each suite has an encrypted and an
 * authenticated-only packet (UNENCRYPTED_SRTP, E = 0 for SRTCP).
 */
static const char rfc7714_rtp[] = "8040f17b8041f8d35501a0b247616c6c696120657374206f6d6e6973"
				  "20646976 69736120696e20706172746573207472 6573";
static const char rfc7714_rtcp[] = "81c8000d4d6172734e5450314e54503252545020 0000042a0000e930"
				   "4c756e61 deadbeefdeadbeefdeadbeefdeadbeefdeadbeef";
static const struct {
	enum srtp_suite_id id;
	const char *key;
	const char *rtp_enc, *rtp_auth, *rtcp_enc, *rtcp_auth;
} rfc7714[] = {
	{SRTP_AEAD_AES_128_GCM, "000102030405060708090a0b0c0d0e0f",
		"8040f17b8041f8d35501a0b2f24de3a3fb34de6cacba861c9d7e4bcabe633bd50d294e6f42a5f47a"
		"51c7d19b36de3adf8833899d7f27beb16a9152cf765ee4390cce",
		"8040f17b8041f8d35501a0b247616c6c696120657374206f6d6e697320646976"
		"69736120696e20706172746573207472 65732249 3f82d2bce397e9d79e3b19aa4216",
		"81c8000d4d61727363e94885dcdab67ca727d7662f6b7e997ff5c0f76c06f32dc676a5f1730d6fda"
		"4ce09b4686303ded0bb9275bc84aa45896cf4d2fc5abf87245d9eade800005d4",
		"81c8000d4d6172734e5450314e54503252545020 0000042a0000e9304c756e61"
		"deadbeefdeadbeefdeadbeefdeadbeefdeadbeef 841dd9683dd78ec92ae58790125f62b3"
		"000005d4"},
	{SRTP_AEAD_AES_256_GCM, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
		"8040f17b8041f8d35501a0b232b1de78a822fe12ef9f78fa332e33aab18012389a58e2f3b50b2a02"
		"76ffae0f1ba63799b87b7aa3db36dfffd6b0f9bb7878d7a76c13",
		"8040f17b8041f8d35501a0b247616c6c696120657374206f6d6e697320646976"
		"69736120696e20706172746573207472 6573a866d5910f887463067ceefec45215d4",
		"81c8000d4d617273d50ae4d1f5ce5d304ba297e47d470c282c3ece5dbffe0a50a2eaa5c1110555be"
		"8415f658c61de0476f1b6fad1d1eb30c4446839f57ff6f6cb26ac3be800005d4",
		"81c8000d4d6172734e5450314e54503252545020 0000042a0000e9304c756e61"
		"deadbeefdeadbeefdeadbeefdeadbeefdeadbeef 91db4afbfeee5a978fab4393ed2615fe"
		"000005d4"},
};

static void
rfc7714_case(enum srtp_suite_id id, const char *key, unsigned flags, bool rtcp,
	const char *plain_hex, const char *want_hex)
{
	struct srtp_ctx tx, rx;
	struct srtp_ssrc_info si = {.ssrc = 0x4d617273, .rtcp_valid = true, .rtcp_index = 0x5d3};
	uint8_t b[BUF], plain[BUF], want[BUF];
	size_t len, plen = unhex(plain_hex, plain), wlen = unhex(want_hex, want);

	ctx_session(&tx, id, flags, key, "517569642070726f2071756f");
	ctx_session(&rx, id, flags, key, "517569642070726f2071756f");
	memcpy(b, plain, plen);
	len = plen;
	if (rtcp) {
		assert_int_equal(srtp_ctx_set_ssrc(&tx, &si), 0);
		assert_int_equal(srtcp_protect(&tx, b, &len, sizeof(b)), 0);
	} else {
		assert_int_equal(srtp_rtp_protect(&tx, b, &len, sizeof(b)), 0);
	}
	assert_int_equal(len, wlen);
	assert_memory_equal(b, want, wlen);
	assert_int_equal(rtcp ? srtcp_unprotect(&rx, b, &len) : srtp_rtp_unprotect(&rx, b, &len), 0);
	assert_int_equal(len, plen);
	assert_memory_equal(b, plain, plen);
	/* the same packet again is a replay; a fresh receiver rejects a flipped tag bit */
	memcpy(b, want, wlen);
	len = wlen;
	assert_int_equal(
		rtcp ? srtcp_unprotect(&rx, b, &len) : srtp_rtp_unprotect(&rx, b, &len), -EALREADY);
	srtp_ctx_fini(&rx);
	ctx_session(&rx, id, flags, key, "517569642070726f2071756f");
	b[wlen - (rtcp ? 5 : 1)] ^= 1;
	assert_int_equal(
		rtcp ? srtcp_unprotect(&rx, b, &len) : srtp_rtp_unprotect(&rx, b, &len), -EBADMSG);
	srtp_ctx_fini(&tx);
	srtp_ctx_fini(&rx);
}

static void
test_rfc7714_vectors(void **unused)
{
	size_t i;

	for (i = 0; i < sizeof(rfc7714) / sizeof(rfc7714[0]); i++) {
		rfc7714_case(
			rfc7714[i].id, rfc7714[i].key, 0, false, rfc7714_rtp, rfc7714[i].rtp_enc);
		rfc7714_case(rfc7714[i].id, rfc7714[i].key, SRTP_F_UNENCRYPTED_SRTP, false,
			rfc7714_rtp, rfc7714[i].rtp_auth);
		rfc7714_case(
			rfc7714[i].id, rfc7714[i].key, 0, true, rfc7714_rtcp, rfc7714[i].rtcp_enc);
		rfc7714_case(rfc7714[i].id, rfc7714[i].key, SRTP_F_UNENCRYPTED_SRTCP, true,
			rfc7714_rtcp, rfc7714[i].rtcp_auth);
	}
}

/* ---- ROC, replay, authentication ---- */

/* ROC increments at the 65535 -> 0 wrap on both sides (RFC 3711 3.3.1) */
static void
test_roc_wrap(void **unused)
{
	struct srtp_ctx tx, rx;
	uint8_t b[BUF];
	size_t len;
	uint32_t i;

	ctx_pair(&tx, &rx, SRTP_AES_128_CM_SHA1_80, 0, 1);
	for (i = 65530; i < 65536 + 6; i++) {
		len = sealed(&tx, b, 0x1234, (uint16_t)i);
		assert_int_equal(open_check(&rx, b, len, 0x1234, (uint16_t)i), 0);
	}
	state(&tx, 0x1234, 1, 5);
	state(&rx, 0x1234, 1, 5);
	srtp_ctx_fini(&tx);
	srtp_ctx_fini(&rx);
}

/* Packets reordered around the wrap keep their ROC (Appendix A guess) */
static void
test_roc_reorder_wrap(void **unused)
{
	static const uint16_t send[] = {65532, 65533, 65534, 65535, 0, 1, 2, 3};
	static const int deliver[] = {0, 1, 4, 2, 5, 3, 7, 6}; /* indices into send[] */
	uint8_t pkt[8][BUF];
	size_t len[8];
	struct srtp_ctx tx, rx;
	unsigned i;

	ctx_pair(&tx, &rx, SRTP_AEAD_AES_128_GCM, 0, 2);
	/* the sender itself sees 2 before 65535 (reordered on the plain side) */
	for (i = 0; i < 8; i++)
		if (i != 3)
			len[i] = sealed(&tx, pkt[i], 0xabcd, send[i]);
	len[3] = sealed(&tx, pkt[3], 0xabcd, send[3]);
	state(&tx, 0xabcd, 1, 3);
	for (i = 0; i < 8; i++)
		assert_int_equal(
			open_check(&rx, pkt[deliver[i]], len[deliver[i]], 0xabcd, send[deliver[i]]),
			0);
	state(&rx, 0xabcd, 1, 3);
	/* a pre-wrap straggler after the wrap: ROC - 1, already seen -> replay */
	assert_int_equal(open_check(&rx, pkt[2], len[2], 0xabcd, 65534), -EALREADY);
	srtp_ctx_fini(&tx);
	srtp_ctx_fini(&rx);
}

/* Replays inside the window, packets behind it, and the index before ROC 0 */
static void
test_replay(void **unused)
{
	uint8_t first[BUF], mid[BUF], b[BUF];
	size_t lf, lm = 0, len;
	struct srtp_ctx tx, rx;
	unsigned i;

	ctx_pair(&tx, &rx, SRTP_AES_256_CM_SHA1_80, 0, 3);
	lf = sealed(&tx, first, 7, 10);
	assert_int_equal(open_check(&rx, first, lf, 7, 10), 0);
	assert_int_equal(open_check(&rx, first, lf, 7, 10), -EALREADY);
	/* 11..300 sent, 11..139 and 141..300 delivered: 140 stays unseen */
	for (i = 11; i <= 300; i++) {
		len = sealed(&tx, b, 7, (uint16_t)i);
		if (i == 140) {
			memcpy(mid, b, len);
			lm = len;
			continue;
		}
		assert_int_equal(open_check(&rx, b, len, 7, (uint16_t)i), 0);
	}
	/* 300 - 140 = 160 >= 128: behind the window */
	assert_int_equal(open_check(&rx, mid, lm, 7, 140), -ESTALE);
	assert_int_equal(open_check(&rx, first, lf, 7, 10), -ESTALE);
	state(&rx, 7, 0, 300);
	/* the sender refuses a SEQ it already used (two-time pad) */
	len = mk_rtp(b, 7, 300, 160);
	assert_int_equal(srtp_rtp_protect(&tx, b, &len, BUF), -EALREADY);
	len = mk_rtp(b, 7, 100, 160);
	assert_int_equal(srtp_rtp_protect(&tx, b, &len, BUF), -ESTALE);
	srtp_ctx_fini(&tx);
	srtp_ctx_fini(&rx);

	/* at ROC 0, a SEQ more than 2^15 above s_l would be ROC -1 */
	ctx_pair(&tx, &rx, SRTP_AES_128_CM_SHA1_80, 0, 3);
	len = sealed(&tx, b, 8, 10);
	assert_int_equal(open_check(&rx, b, len, 8, 10), 0);
	len = mk_rtp(b, 8, 60000, 160);
	assert_int_equal(srtp_rtp_protect(&tx, b, &len, BUF), -ESTALE);
	srtp_ctx_fini(&tx);
	srtp_ctx_fini(&rx);
}

/* A packet that fails authentication changes nothing: not the ROC, not the window */
static void
test_auth_failure_keeps_state(void **unused)
{
	enum srtp_suite_id ids[] = {SRTP_AES_128_CM_SHA1_32, SRTP_AEAD_AES_256_GCM,
		SRTP_F8_128_SHA1_80, SRTP_NULL_SHA1_80};
	struct srtp_ssrc_info before, after;
	uint8_t b[BUF], bad[BUF];
	struct srtp_ctx tx, rx;
	size_t len, l2;
	unsigned i, j;

	for (j = 0; j < sizeof(ids) / sizeof(ids[0]); j++) {
		ctx_pair(&tx, &rx, ids[j], 0, 4);
		for (i = 65500; i < 65536; i++) {
			len = sealed(&tx, b, 9, (uint16_t)i);
			assert_int_equal(open_check(&rx, b, len, 9, (uint16_t)i), 0);
		}
		assert_int_equal(srtp_ctx_get_ssrc(&rx, 9, &before), 0);
		/* first packet after the wrap, tampered in payload, tag, then header */
		len = sealed(&tx, b, 9, 0);
		for (i = 0; i < 3; i++) {
			memcpy(bad, b, len);
			l2 = len;
			bad[i == 0 ? 20 : i == 1 ? len - 1 : 1] ^= 0x40;
			assert_int_equal(srtp_rtp_unprotect(&rx, bad, &l2), -EBADMSG);
			assert_int_equal(srtp_ctx_get_ssrc(&rx, 9, &after), 0);
			assert_memory_equal(&before, &after, sizeof(before));
		}
		/* the genuine packet still passes: the index was not marked */
		assert_int_equal(open_check(&rx, b, len, 9, 0), 0);
		state(&rx, 9, 1, 0);
		/* a forged packet of a new SSRC does not take a slot */
		len = sealed(&tx, b, 10, 5);
		b[len - 1] ^= 1;
		assert_int_equal(srtp_rtp_unprotect(&rx, b, &len), -EBADMSG);
		assert_int_equal(srtp_ctx_get_ssrc(&rx, 10, &after), -ENOENT);
		srtp_ctx_fini(&tx);
		srtp_ctx_fini(&rx);
	}
}

/* ---- SSRCs and re-keying ---- */

/* A new SSRC gets fresh state, an old one keeps its ROC; LRU beyond the slots */
static void
test_ssrc_change(void **unused)
{
	struct srtp_ssrc_info si;
	struct srtp_ctx tx, rx;
	uint8_t b[BUF];
	size_t len;
	uint32_t i, s;

	ctx_pair(&tx, &rx, SRTP_AES_192_CM_SHA1_80, 0, 5);
	for (i = 65530; i < 65540; i++) {
		len = sealed(&tx, b, 0xa, (uint16_t)i);
		assert_int_equal(open_check(&rx, b, len, 0xa, (uint16_t)i), 0);
	}
	/* SSRC B starts at ROC 0 even with SEQ near the wrap of A */
	for (i = 100; i < 110; i++) {
		len = sealed(&tx, b, 0xb, (uint16_t)i);
		assert_int_equal(open_check(&rx, b, len, 0xb, (uint16_t)i), 0);
	}
	state(&rx, 0xb, 0, 109);
	/* A resumes with ROC 1 */
	len = sealed(&tx, b, 0xa, 4);
	assert_int_equal(open_check(&rx, b, len, 0xa, 4), 0);
	state(&rx, 0xa, 1, 4);
	/* SRTP_SSRC_SLOTS more SSRCs push out the least recently used: B, then A */
	for (s = 0; s < SRTP_SSRC_SLOTS - 1; s++) {
		len = sealed(&tx, b, 0x100 + s, 1);
		assert_int_equal(open_check(&rx, b, len, 0x100 + s, 1), 0);
	}
	assert_int_equal(srtp_ctx_get_ssrc(&rx, 0xb, &si), -ENOENT);
	assert_int_equal(srtp_ctx_get_ssrc(&rx, 0xa, &si), 0);
	len = sealed(&tx, b, 0x200, 1);
	assert_int_equal(open_check(&rx, b, len, 0x200, 1), 0);
	assert_int_equal(srtp_ctx_get_ssrc(&rx, 0xa, &si), -ENOENT);
	for (s = 0; s < SRTP_SSRC_SLOTS - 1; s++)
		assert_int_equal(srtp_ctx_get_ssrc(&rx, 0x100 + s, &si), 0);
	srtp_ctx_fini(&tx);
	srtp_ctx_fini(&rx);
}

/* Re-key keeps ROC and windows (RFC 3711 3.3.1); old-key packets then fail */
static void
test_rekey_keeps_roc(void **unused)
{
	struct srtp_master m = {.suite = &srtp_suites[SRTP_AEAD_AES_128_GCM]};
	uint8_t b[BUF], old[BUF], c[BUF];
	struct srtp_ssrc_info si;
	struct srtp_ctx tx, rx;
	struct srtp_keys *k, *prev;
	size_t len, lo, lc;
	uint32_t i;

	ctx_pair(&tx, &rx, SRTP_AES_128_CM_SHA1_80, 0, 6);
	for (i = 65530; i < 65536 + 3; i++) {
		len = sealed(&tx, b, 0x77, (uint16_t)i);
		assert_int_equal(open_check(&rx, b, len, 0x77, (uint16_t)i), 0);
	}
	lo = sealed(&tx, old, 0x77, 3); /* protected with the old key, delivered late */
	lc = mk_rtcp(c, 0x77, 0x11);
	assert_int_equal(srtcp_protect(&tx, c, &lc, BUF), 0);
	assert_int_equal(srtcp_unprotect(&rx, c, &lc), 0);

	/* new suite and key on both sides; the receiver swaps as a worker would */
	memset(m.key, 0x42, sizeof(m.key));
	memset(m.salt, 0x24, sizeof(m.salt));
	assert_int_equal(srtp_ctx_rekey(&tx, &m), 0);
	k = srtp_keys_create(&m);
	assert_non_null(k);
	prev = srtp_ctx_swap_keys(&rx, k);
	assert_non_null(prev);
	srtp_keys_free(prev);
	assert_int_equal(tx.rtp_trailer, 16);

	state(&tx, 0x77, 1, 3);
	state(&rx, 0x77, 1, 2);
	assert_int_equal(open_check(&rx, old, lo, 0x77, 3), -EBADMSG);
	for (i = 4; i < 10; i++) {
		len = sealed(&tx, b, 0x77, (uint16_t)i);
		assert_int_equal(open_check(&rx, b, len, 0x77, (uint16_t)i), 0);
	}
	state(&rx, 0x77, 1, 9);
	/* SRTCP: the sender goes on counting (index 1), the receiver accepts it */
	lc = mk_rtcp(c, 0x77, 0x12);
	assert_int_equal(srtcp_protect(&tx, c, &lc, BUF), 0);
	assert_int_equal(srtp_be32(c + lc - 4) & SRTCP_INDEX_MASK, 1); /* GCM: E+index last */
	assert_int_equal(srtcp_unprotect(&rx, c, &lc), 0);
	assert_int_equal(srtp_ctx_get_ssrc(&tx, 0x77, &si), 0);
	assert_int_equal(si.rtcp_index, 1);
	srtp_ctx_fini(&tx);
	srtp_ctx_fini(&rx);
}

/* ---- SRTCP ---- */

static void
test_srtcp(void **unused)
{
	enum srtp_suite_id id;
	struct srtp_ssrc_info si;
	struct srtp_ctx tx, rx;
	uint8_t plain[BUF], b[BUF], first[BUF];
	size_t len, plen, lf;
	unsigned i;

	for (id = 0; id < SRTP_SUITE_COUNT; id++) {
		const struct srtp_suite *s = &srtp_suites[id];

		ctx_pair(&tx, &rx, id, 0, (uint8_t)(7 + id));
		for (i = 0; i < 5; i++) {
			plen = mk_rtcp(plain, 0x5555, (uint8_t)i);
			memcpy(b, plain, plen);
			len = plen;
			assert_int_equal(srtcp_protect(&tx, b, &len, BUF), 0);
			/* 80-bit tags for the _32 suites too (RFC 4568 6.2) */
			assert_int_equal(len, plen + 4 + s->rtcp_tag_len);
			/* E bit set unless the NULL cipher; index i */
			assert_int_equal(srtp_be32(b + plen + (s->aead ? 16 : 0)),
				i | (s->evp_cipher != NULL ? SRTCP_E_BIT : 0));
			assert_memory_equal(b, plain, 8);
			if (s->evp_cipher != NULL)
				assert_memory_not_equal(b + 8, plain + 8, plen - 8);
			if (i == 0) {
				memcpy(first, b, len);
				lf = len;
			}
			assert_int_equal(srtcp_unprotect(&rx, b, &len), 0);
			assert_int_equal(len, plen);
			assert_memory_equal(b, plain, plen);
		}
		len = lf;
		memcpy(b, first, lf);
		assert_int_equal(srtcp_unprotect(&rx, b, &len), -EALREADY);
		memcpy(b, first, lf);
		b[10] ^= 1;
		assert_int_equal(srtcp_unprotect(&rx, b, &len), -EALREADY); /* replay first */
		assert_int_equal(srtp_ctx_get_ssrc(&rx, 0x5555, &si), 0);
		assert_int_equal(si.rtcp_index, 4);
		srtp_ctx_fini(&tx);
		srtp_ctx_fini(&rx);
	}

	/* UNENCRYPTED_SRTCP: E = 0, payload clear, still authenticated */
	ctx_pair(&tx, &rx, SRTP_AES_128_CM_SHA1_32, SRTP_F_UNENCRYPTED_SRTCP, 9);
	plen = mk_rtcp(plain, 1, 0x33);
	memcpy(b, plain, plen);
	len = plen;
	assert_int_equal(srtcp_protect(&tx, b, &len, BUF), 0);
	assert_memory_equal(b, plain, plen);
	assert_int_equal(srtp_be32(b + plen), 0);
	b[20] ^= 1;
	assert_int_equal(srtcp_unprotect(&rx, b, &len), -EBADMSG);
	b[20] ^= 1;
	assert_int_equal(srtcp_unprotect(&rx, b, &len), 0);
	/* old indices: window of 128 */
	for (i = 1; i < 200; i++) {
		len = mk_rtcp(b, 1, 0x34);
		assert_int_equal(srtcp_protect(&tx, b, &len, BUF), 0);
		if (i == 20) {
			memcpy(first, b, len);
			lf = len;
			continue;
		}
		assert_int_equal(srtcp_unprotect(&rx, b, &len), 0);
	}
	assert_int_equal(srtcp_unprotect(&rx, first, &lf), -ESTALE);
	/* index exhaustion asks for a re-key */
	si = (struct srtp_ssrc_info){.ssrc = 1, .rtcp_valid = true, .rtcp_index = 0x7fffffff};
	assert_int_equal(srtp_ctx_set_ssrc(&tx, &si), 0);
	len = mk_rtcp(b, 1, 0x35);
	assert_int_equal(srtcp_protect(&tx, b, &len, BUF), -EOVERFLOW);
	si.rtcp_index = 0x80000000u;
	assert_int_equal(srtp_ctx_set_ssrc(&tx, &si), -EINVAL);
	srtp_ctx_fini(&tx);
	srtp_ctx_fini(&rx);
}

/* ---- packet shapes and errors ---- */

/* CSRCs and a header extension stay clear and authenticated */
static void
test_header_ext_csrc(void **unused)
{
	enum srtp_suite_id id;
	struct srtp_ctx tx, rx;
	uint8_t plain[BUF], b[BUF], sealed_copy[BUF];
	size_t hlen = 12 + 8 + 4 + 8, plen, len;

	for (id = 0; id < SRTP_SUITE_COUNT; id++) {
		const struct srtp_suite *s = &srtp_suites[id];

		ctx_pair(&tx, &rx, id, 0, 10);
		plen = mk_rtp(plain, 0x99, 1000, 100);
		memmove(plain + hlen, plain + 12, 100);
		plain[0] = 0x92; /* X, CC = 2 */
		memset(plain + 12, 0xcc, 8);
		plain[20] = 0xbe;
		plain[21] = 0xde;
		plain[22] = 0;
		plain[23] = 2;
		memset(plain + 24, 0xee, 8);
		plen += hlen - 12;
		memcpy(b, plain, plen);
		len = plen;
		assert_int_equal(srtp_rtp_protect(&tx, b, &len, BUF), 0);
		assert_int_equal(len, plen + s->rtp_tag_len);
		assert_memory_equal(b, plain, hlen);
		if (s->evp_cipher != NULL)
			assert_memory_not_equal(b + hlen, plain + hlen, plen - hlen);
		memcpy(sealed_copy, b, len);
		b[25] ^= 1; /* inside the extension */
		assert_int_equal(srtp_rtp_unprotect(&rx, b, &len), -EBADMSG);
		/* GCM leaves the bytes decrypted after a failure: start from the copy */
		memcpy(b, sealed_copy, len);
		assert_int_equal(srtp_rtp_unprotect(&rx, b, &len), 0);
		assert_int_equal(len, plen);
		assert_memory_equal(b, plain, plen);
		srtp_ctx_fini(&tx);
		srtp_ctx_fini(&rx);
	}
}

static void
test_errors(void **unused)
{
	struct srtp_master m = {.suite = &srtp_suites[SRTP_AES_128_CM_SHA1_80]};
	struct srtp_ctx tx, rx;
	uint8_t b[BUF];
	size_t len;

	ctx_pair(&tx, &rx, SRTP_AES_128_CM_SHA1_80, 0, 11);
	/* too short, wrong version, CSRC or extension past the end */
	len = 11;
	mk_rtp(b, 1, 1, 0);
	assert_int_equal(srtp_rtp_protect(&tx, b, &len, BUF), -EINVAL);
	len = mk_rtp(b, 1, 1, 20);
	b[0] = 0x40;
	assert_int_equal(srtp_rtp_protect(&tx, b, &len, BUF), -EINVAL);
	len = mk_rtp(b, 1, 1, 20);
	b[0] = 0x86; /* CC 6 = 24 bytes of CSRC > 20 */
	assert_int_equal(srtp_rtp_protect(&tx, b, &len, BUF), -EINVAL);
	len = mk_rtp(b, 1, 1, 20);
	b[0] = 0x90;
	b[14] = 0;
	b[15] = 5; /* 20 bytes of extension in 16 */
	assert_int_equal(srtp_rtp_protect(&tx, b, &len, BUF), -EINVAL);
	len = mk_rtp(b, 1, 1, 2);
	b[0] = 0x90; /* extension header does not fit */
	assert_int_equal(srtp_rtp_protect(&tx, b, &len, BUF), -EINVAL);
	/* padding: count 0 or beyond the payload is malformed; valid one passes */
	len = mk_rtp(b, 1, 1, 20);
	b[0] = 0xa0;
	b[len - 1] = 0;
	assert_int_equal(srtp_rtp_protect(&tx, b, &len, BUF), -EINVAL);
	b[len - 1] = 21;
	assert_int_equal(srtp_rtp_protect(&tx, b, &len, BUF), -EINVAL);
	b[len - 1] = 20;
	assert_int_equal(srtp_rtp_protect(&tx, b, &len, BUF), 0);
	assert_int_equal(srtp_rtp_unprotect(&rx, b, &len), 0);
	assert_int_equal(b[len - 1], 20);
	/* no room for the tag: nothing written, state untouched */
	len = mk_rtp(b, 1, 2, 20);
	assert_int_equal(srtp_rtp_protect(&tx, b, &len, len + 9), -ENOSPC);
	assert_int_equal(len, 32);
	assert_int_equal(srtp_rtp_protect(&tx, b, &len, len + 10), 0);
	/* unprotect: shorter than header + tag */
	len = 12 + 9;
	assert_int_equal(srtp_rtp_unprotect(&rx, b, &len), -EINVAL);
	/* SRTCP */
	len = 7;
	assert_int_equal(srtcp_protect(&tx, b, &len, BUF), -EINVAL);
	len = mk_rtcp(b, 1, 0);
	assert_int_equal(srtcp_protect(&tx, b, &len, len + 13), -ENOSPC);
	len = 8 + 4 + 9;
	assert_int_equal(srtcp_unprotect(&rx, b, &len), -EINVAL);
	srtp_ctx_fini(&tx);
	srtp_ctx_fini(&rx);

	/* bad key material */
	errno = 0;
	m.suite = &srtp_suites[SRTP_AEAD_AES_128_GCM];
	m.flags = SRTP_F_UNAUTHENTICATED_SRTP;
	assert_null(srtp_keys_create(&m));
	assert_int_equal(errno, EINVAL);
	m.suite = NULL;
	m.flags = 0;
	assert_int_equal(srtp_ctx_init(&tx, &m), -EINVAL);
	m.suite = &srtp_suites[SRTP_AES_128_CM_SHA1_80];
	m.mki_len = SRTP_MAX_MKI_LEN + 1;
	assert_int_equal(srtp_ctx_init(&tx, &m), -EINVAL);
	m.mki_len = 0;
	m.flags = 1u << 7;
	assert_int_equal(srtp_ctx_init(&tx, &m), -EINVAL);
}

/* Session parameters and MKI: trailer sizes and layout, wrong MKI */
static void
test_session_params_mki(void **unused)
{
	enum srtp_suite_id id;
	struct srtp_master m;
	struct srtp_ctx tx, rx;
	uint8_t plain[BUF], b[BUF];
	size_t len, plen;

	for (id = 0; id < SRTP_SUITE_COUNT; id++) {
		const struct srtp_suite *s = &srtp_suites[id];

		memset(&m, 0x5a, sizeof(m));
		m.suite = s;
		m.mki_len = 3;
		m.mki[0] = 0;
		m.mki[1] = 1;
		m.mki[2] = 2;
		m.flags = SRTP_F_UNENCRYPTED_SRTP | (s->aead ? 0 : SRTP_F_UNAUTHENTICATED_SRTP);
		assert_int_equal(srtp_ctx_init(&tx, &m), 0);
		assert_int_equal(srtp_ctx_init(&rx, &m), 0);
		assert_int_equal(tx.rtp_trailer, 3 + (s->aead ? 16 : 0));
		assert_int_equal(tx.rtcp_trailer, 4 + 3 + s->rtcp_tag_len);
		plen = mk_rtp(plain, 3, 3, 50);
		memcpy(b, plain, plen);
		len = plen;
		assert_int_equal(srtp_rtp_protect(&tx, b, &len, BUF), 0);
		assert_memory_equal(b, plain, plen); /* UNENCRYPTED_SRTP */
		/* MKI follows the payload (AES-CM) or the GCM tag (RFC 7714 7.1) */
		assert_memory_equal(b + plen + (s->aead ? 16 : 0), m.mki, 3);
		b[plen + (s->aead ? 16 : 0) + 2] ^= 1;
		assert_int_equal(srtp_rtp_unprotect(&rx, b, &len), -ENOKEY);
		b[plen + (s->aead ? 16 : 0) + 2] ^= 1;
		assert_int_equal(srtp_rtp_unprotect(&rx, b, &len), 0);
		assert_int_equal(len, plen);
		/* SRTCP: E+index, MKI, tag (GCM: tag, E+index, MKI) */
		plen = mk_rtcp(plain, 3, 1);
		memcpy(b, plain, plen);
		len = plen;
		assert_int_equal(srtcp_protect(&tx, b, &len, BUF), 0);
		assert_memory_equal(b + plen + (s->aead ? 20 : 4), m.mki, 3);
		b[plen + (s->aead ? 20 : 4)] ^= 1;
		assert_int_equal(srtcp_unprotect(&rx, b, &len), -ENOKEY);
		b[plen + (s->aead ? 20 : 4)] ^= 1;
		assert_int_equal(srtcp_unprotect(&rx, b, &len), 0);
		assert_memory_equal(b, plain, plen);
		srtp_ctx_fini(&tx);
		srtp_ctx_fini(&rx);
	}
}

/* Every suite: sizes, protect/unprotect both ways over a ROC wrap */
static void
test_all_suites_roundtrip(void **unused)
{
	enum srtp_suite_id id;
	struct srtp_ctx tx, rx;
	struct srtp_ctx *heap;
	struct srtp_master m;
	uint8_t b[BUF];
	size_t len;
	uint32_t i;

	for (id = 0; id < SRTP_SUITE_COUNT; id++) {
		ctx_pair(&tx, &rx, id, 0, (uint8_t)(20 + id));
		assert_int_equal(tx.rtp_trailer, srtp_suites[id].rtp_tag_len);
		for (i = 65000; i < 65536 + 600; i += 7) {
			len = sealed(&tx, b, 0xfeedface, (uint16_t)i);
			assert_int_equal(len, 172 + srtp_suites[id].rtp_tag_len);
			assert_int_equal(open_check(&rx, b, len, 0xfeedface, (uint16_t)i), 0);
		}
		state(&rx, 0xfeedface, 1, (uint16_t)(i - 7));
		srtp_ctx_fini(&tx);
		srtp_ctx_fini(&rx);
	}
	memset(&m, 1, sizeof(m));
	m.suite = &srtp_suites[SRTP_AES_128_CM_SHA1_80];
	m.mki_len = 0;
	m.flags = 0;
	heap = srtp_ctx_create(&m);
	assert_non_null(heap);
	assert_int_equal((uintptr_t)heap % 64, 0);
	srtp_ctx_free(heap);
	srtp_ctx_free(NULL);
	m.suite = NULL;
	assert_null(srtp_ctx_create(&m));
	assert_int_equal(errno, EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_suite_table),
		cmocka_unit_test(test_rfc3711_b2_keystream),
		cmocka_unit_test(test_rfc3711_b3_kdf),
		cmocka_unit_test(test_rfc6188_kdf),
		cmocka_unit_test(test_libsrtp_reference),
		cmocka_unit_test(test_rfc3711_b1_f8),
		cmocka_unit_test(test_rfc7714_vectors),
		cmocka_unit_test(test_roc_wrap),
		cmocka_unit_test(test_roc_reorder_wrap),
		cmocka_unit_test(test_replay),
		cmocka_unit_test(test_auth_failure_keeps_state),
		cmocka_unit_test(test_ssrc_change),
		cmocka_unit_test(test_rekey_keeps_roc),
		cmocka_unit_test(test_srtcp),
		cmocka_unit_test(test_header_ext_csrc),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_session_params_mki),
		cmocka_unit_test(test_all_suites_roundtrip),
	};

	int failed;

	/* every test on each engine: OpenSSL, then intel-ipsec-mb where the CPU allows it */
	assert_int_equal(srtp_engine_thread_init(), 0);
	srtp_engine_force_openssl(true);
	failed = cmocka_run_group_tests_name("srtp_openssl", tests, NULL, NULL);
	srtp_engine_force_openssl(false);
	if (srtp_engine_thread_uses_imb())
		failed += cmocka_run_group_tests_name("srtp_ipsec_mb", tests, NULL, NULL);
	else
		printf("srtp: intel-ipsec-mb not usable here (%s)\n", srtp_engine_name());
	srtp_engine_thread_fini();
	return failed;
}
