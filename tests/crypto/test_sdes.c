/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SDES a=crypto values (RFC 4568, 6188, 7714): round trips for every suite
 * and both name spellings, padded and unpadded base64, lifetime and MKI,
 * session parameters, fresh keys, and malformed input.
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

#include "crypto/sdes.h"
#include "crypto/srtp.h"

static int
parse(const char *s, struct sdes_crypto *c)
{
	return sdes_parse(s, strlen(s), c);
}

/* format @p c, parse it back, format again: same text, same fields */
static void
round_trip(const struct sdes_crypto *c, char *out)
{
	struct sdes_crypto back;
	char again[SDES_MAX_LEN];
	int n = sdes_format(c, out, SDES_MAX_LEN);

	assert_true(n > 0);
	assert_int_equal((size_t)n, strlen(out));
	assert_int_equal(parse(out, &back), 0);
	assert_int_equal(back.tag, c->tag);
	assert_ptr_equal(back.m.suite, c->m.suite);
	assert_memory_equal(back.m.key, c->m.key, c->m.suite->key_len);
	assert_memory_equal(back.m.salt, c->m.salt, c->m.suite->salt_len);
	assert_int_equal(back.m.mki_len, c->m.mki_len);
	assert_memory_equal(back.m.mki, c->m.mki, c->m.mki_len);
	assert_int_equal(back.m.flags, c->m.flags);
	assert_int_equal(back.lifetime, c->lifetime);
	assert_int_equal(back.wsh, c->wsh);
	assert_int_equal(sdes_format(&back, again, sizeof(again)), n);
	assert_string_equal(again, out);
}

/* the base64 field of a formatted value */
static size_t
b64_len(const char *s)
{
	const char *p = strstr(s, "inline:") + 7;

	return strcspn(p, "| ");
}

static void
test_round_trip_all_suites(void **unused)
{
	/* key || salt bytes -> base64 chars unpadded / padded */
	static const struct {
		enum srtp_suite_id id;
		size_t unpadded, padded;
	} want[] = {
		{SRTP_AEAD_AES_256_GCM, 59, 60}, /* 32 + 12 */
		{SRTP_AEAD_AES_128_GCM, 38, 40}, /* 16 + 12 */
		{SRTP_AES_256_CM_SHA1_80, 62, 64},
		{SRTP_AES_256_CM_SHA1_32, 62, 64},
		{SRTP_AES_192_CM_SHA1_80, 51, 52},
		{SRTP_AES_192_CM_SHA1_32, 51, 52},
		{SRTP_AES_128_CM_SHA1_80, 40, 40},
		{SRTP_AES_128_CM_SHA1_32, 40, 40},
		{SRTP_F8_128_SHA1_80, 40, 40},
		{SRTP_F8_128_SHA1_32, 40, 40},
		{SRTP_NULL_SHA1_80, 40, 40},
		{SRTP_NULL_SHA1_32, 40, 40},
	};
	char out[SDES_MAX_LEN], name[64];
	struct sdes_crypto c;
	unsigned i, pad, alias;

	for (i = 0; i < SRTP_SUITE_COUNT; i++) {
		const struct srtp_suite *s = &srtp_suites[want[i].id];

		for (pad = 0; pad < 2; pad++) {
			for (alias = 0; alias < (s->alias != NULL ? 2u : 1u); alias++) {
				assert_int_equal(sdes_generate(&c, i + 1, s), 0);
				c.pad = pad;
				c.alias = alias;
				round_trip(&c, out);
				assert_int_equal(
					b64_len(out), pad ? want[i].padded : want[i].unpadded);
				snprintf(name, sizeof(name), "%u %s inline:", i + 1,
					alias ? s->alias : s->name);
				assert_memory_equal(out, name, strlen(name));
			}
		}
	}
}

/* RFC 4568 section 4 example: lifetime 2^20, MKI 1 of 4 bytes */
static void
test_rfc4568_example(void **unused)
{
	static const char line[] = "1 AES_CM_128_HMAC_SHA1_80 "
				   "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4";
	static const uint8_t key[30] = "YS___semctl () {\t220;}\n}\nunles";
	static const uint8_t mki[4] = {0, 0, 0, 1};
	char out[SDES_MAX_LEN];
	struct sdes_crypto c;

	assert_int_equal(parse(line, &c), 0);
	assert_int_equal(c.tag, 1);
	assert_ptr_equal(c.m.suite, &srtp_suites[SRTP_AES_128_CM_SHA1_80]);
	assert_memory_equal(c.m.key, key, 16);
	assert_memory_equal(c.m.salt, key + 16, 14);
	assert_int_equal(c.lifetime, 1u << 20);
	assert_true(c.lifetime_pow2);
	assert_int_equal(c.m.mki_len, 4);
	assert_memory_equal(c.m.mki, mki, 4);
	assert_int_equal(c.m.flags, 0);
	assert_int_equal(sdes_format(&c, out, sizeof(out)), strlen(line));
	assert_string_equal(out, line);
	/* the attribute prefix is optional; tabs and repeated blanks are white space */
	assert_int_equal(parse("a=crypto:7\tAES_CM_128_HMAC_SHA1_32  "
			       "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz ",
				 &c),
		0);
	assert_int_equal(c.tag, 7);
	assert_int_equal(c.m.mki_len, 0);
	assert_int_equal(c.lifetime, 0);
	/* 38 bytes: 51 characters, or 52 with one '=' */
	assert_int_equal(parse("1 AES_CM_192_HMAC_SHA1_80 "
			       "inline:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVpbXF1eX2BhYmNkZWY=",
				 &c),
		0);
	assert_true(c.pad);
	assert_true(c.alias);
	assert_int_equal(parse("1 AES_CM_192_HMAC_SHA1_80 "
			       "inline:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVpbXF1eX2BhYmNkZWY",
				 &c),
		0);
	assert_false(c.pad);
	assert_int_equal(c.m.salt[13], 0x41 + 37);
}

static void
test_lifetime_mki(void **unused)
{
	static const char k40[] = "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz";
	char line[SDES_MAX_LEN], out[SDES_MAX_LEN];
	struct sdes_crypto c;

	/* decimal lifetime, MKI without lifetime, big MKI values */
	snprintf(line, sizeof(line), "2 AES_CM_128_HMAC_SHA1_80 inline:%s|1048576", k40);
	assert_int_equal(parse(line, &c), 0);
	assert_int_equal(c.lifetime, 1048576);
	assert_false(c.lifetime_pow2);
	round_trip(&c, out);
	assert_string_equal(out, line);

	snprintf(line, sizeof(line), "3 AES_CM_128_HMAC_SHA1_80 inline:%s|258:2", k40);
	assert_int_equal(parse(line, &c), 0);
	assert_int_equal(c.lifetime, 0);
	assert_int_equal(c.m.mki_len, 2);
	assert_int_equal(c.m.mki[0], 1);
	assert_int_equal(c.m.mki[1], 2);
	round_trip(&c, out);
	assert_string_equal(out, line);

	snprintf(line, sizeof(line),
		"4 AES_CM_128_HMAC_SHA1_80 inline:%s|2^31|18446744073709551615:16", k40);
	assert_int_equal(parse(line, &c), 0);
	assert_int_equal(c.m.mki_len, 16);
	assert_int_equal(c.m.mki[7], 0);
	assert_int_equal(c.m.mki[8], 0xff);
	assert_int_equal(c.m.mki[15], 0xff);
	round_trip(&c, out);
	assert_string_equal(out, line);

	/* MKI longer than the SRTP code supports, or not fitting its length */
	snprintf(line, sizeof(line), "5 AES_CM_128_HMAC_SHA1_80 inline:%s|2^20|1:32", k40);
	assert_int_equal(parse(line, &c), -ENOTSUP);
	snprintf(line, sizeof(line), "5 AES_CM_128_HMAC_SHA1_80 inline:%s|256:1", k40);
	assert_int_equal(parse(line, &c), -EINVAL);
	snprintf(line, sizeof(line), "5 AES_CM_128_HMAC_SHA1_80 inline:%s|1:0", k40);
	assert_int_equal(parse(line, &c), -EINVAL);
	snprintf(line, sizeof(line), "5 AES_CM_128_HMAC_SHA1_80 inline:%s|1:129", k40);
	assert_int_equal(parse(line, &c), -EINVAL);
}

static void
test_session_params(void **unused)
{
	static const char base[] =
		"9 AES_256_CM_HMAC_SHA1_32 "
		"inline:MDEyMzQ1Njc4OTo7PD0+P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXQ";
	char line[SDES_MAX_LEN], out[SDES_MAX_LEN];
	struct sdes_crypto c;

	snprintf(line, sizeof(line), "%s UNENCRYPTED_SRTP UNENCRYPTED_SRTCP UNAUTHENTICATED_SRTP",
		base);
	assert_int_equal(parse(line, &c), 0);
	assert_int_equal(c.m.flags,
		SRTP_F_UNENCRYPTED_SRTP | SRTP_F_UNENCRYPTED_SRTCP | SRTP_F_UNAUTHENTICATED_SRTP);
	round_trip(&c, out);
	assert_string_equal(out, line);

	snprintf(line, sizeof(line), "%s UNENCRYPTED_SRTCP", base);
	assert_int_equal(parse(line, &c), 0);
	assert_int_equal(c.m.flags, SRTP_F_UNENCRYPTED_SRTCP);
	round_trip(&c, out);
	assert_string_equal(out, line);

	snprintf(line, sizeof(line), "%s WSH=128", base);
	assert_int_equal(parse(line, &c), 0);
	assert_int_equal(c.wsh, 128);
	round_trip(&c, out);
	assert_string_equal(out, line);

	/* KDR=0 is "derive once"; optional "-" parameters are ignored */
	snprintf(line, sizeof(line), "%s KDR=0 -X_VENDOR=1 UNENCRYPTED_SRTP", base);
	assert_int_equal(parse(line, &c), 0);
	assert_int_equal(c.m.flags, SRTP_F_UNENCRYPTED_SRTP);

	snprintf(line, sizeof(line), "%s KDR=10", base);
	assert_int_equal(parse(line, &c), -ENOTSUP);
	snprintf(line, sizeof(line), "%s KDR=25", base);
	assert_int_equal(parse(line, &c), -EINVAL);
	snprintf(line, sizeof(line), "%s FEC_ORDER=FEC_SRTP", base);
	assert_int_equal(parse(line, &c), -ENOTSUP);
	snprintf(line, sizeof(line), "%s WSH=32", base);
	assert_int_equal(parse(line, &c), -EINVAL);
	/* unknown mandatory parameter: the attribute is invalid (RFC 4568 6.3.7) */
	snprintf(line, sizeof(line), "%s UNENCRYPTED_RTP", base);
	assert_int_equal(parse(line, &c), -EINVAL);
	snprintf(line, sizeof(line), "%s unencrypted_srtp", base);
	assert_int_equal(parse(line, &c), -EINVAL);
}

static void
test_malformed(void **unused)
{
	static const char *const bad[] = {
		"",
		"garbage",
		"1",
		"1 AES_CM_128_HMAC_SHA1_80",
		"1 AES_CM_128_HMAC_SHA1_80 ",
		"x AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz",
		"1234567890 AES_CM_128_HMAC_SHA1_80 "
		"inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz",
		"-1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz",
		/* unknown suite */
		"1 AES_CM_129_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz",
		"1 AEAD_AES_128_GCM_8 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVu",
		/* missing or wrong key method */
		"1 AES_CM_128_HMAC_SHA1_80 WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz",
		"1 AES_CM_128_HMAC_SHA1_80 uri:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz",
		"1 AES_CM_128_HMAC_SHA1_80 inline",
		"1 AES_CM_128_HMAC_SHA1_80 inline:",
		/* base64 length wrong for the suite: 30 bytes for AES-256 / GCM */
		"1 AES_256_CM_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz",
		"1 AEAD_AES_128_GCM inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz",
		"1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGV",
		"1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVzAA",
		/* bad base64: alphabet, padding in the middle or wrong count */
		"1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubG!z",
		"1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKC=gewkyMjA7fQp9CnVubGVz",
		"1 AES_192_CM_HMAC_SHA1_80 "
		"inline:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVpbXF1eX2BhYmNkZWY==",
		"1 AES_192_CM_HMAC_SHA1_80 "
		"inline:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVpbXF1eX2BhYmNkZWY===",
		"1 AES_192_CM_HMAC_SHA1_80 "
		"inline:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVpbXF1eX2BhYmNkZW=A",
		/* lifetime and MKI */
		"1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|",
		"1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^",
		"1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^x",
		"1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^64",
		"1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|0",
		"1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|1:",
		"1 AES_CM_128_HMAC_SHA1_80 "
		"inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|1:4|2^20",
		"1 AES_CM_128_HMAC_SHA1_80 "
		"inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|2^20",
		"1 AES_CM_128_HMAC_SHA1_80 "
		"inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4|",
		"1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|1:4|2:4",
		/* trailing garbage */
		"1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz junk",
	};
	struct sdes_crypto c;
	unsigned i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&c, 0x5a, sizeof(c));
		if (parse(bad[i], &c) != -EINVAL)
			fail_msg("accepted or wrong error: \"%s\"", bad[i]);
		assert_int_equal(c.tag, 0x5a5a5a5a); /* output untouched */
	}
	/* several master keys are valid SDES but not supported */
	assert_int_equal(parse("1 AES_CM_128_HMAC_SHA1_80 "
			       "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4;"
			       "inline:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVoxMjM0|2^20|2:4",
				 &c),
		-ENOTSUP);
	/* an embedded NUL is not the end of the value */
	assert_int_equal(sdes_parse("1 AES_CM_128_HMAC_SHA1_80 "
				    "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\0junk",
				 78, &c),
		-EINVAL);
	/* the length is respected: a prefix that is itself valid parses */
	assert_int_equal(
		sdes_parse("1 AES_CM_128_HMAC_SHA1_80 "
			   "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz UNENCRYPTED_SRTP",
			73, &c),
		0);
	assert_int_equal(c.m.flags, 0);
}

static void
test_generate_format(void **unused)
{
	struct sdes_crypto a, b, c;
	char out[SDES_MAX_LEN];
	struct srtp_ctx tx, rx;
	uint8_t pkt[256];
	size_t len = 12 + 100;

	assert_int_equal(sdes_generate(&a, 1, &srtp_suites[SRTP_AEAD_AES_256_GCM]), 0);
	assert_int_equal(sdes_generate(&b, 1, &srtp_suites[SRTP_AEAD_AES_256_GCM]), 0);
	assert_memory_not_equal(a.m.key, b.m.key, 32);
	assert_memory_not_equal(a.m.salt, b.m.salt, 12);
	assert_int_equal(a.m.mki_len, 0);
	assert_false(a.pad);
	assert_int_equal(sdes_generate(&a, 1000000000, &srtp_suites[0]), -EINVAL);
	assert_int_equal(sdes_generate(&a, 1, NULL), -EINVAL);

	/* the offer side's key, through SDP, keys the answer side's receiver */
	assert_int_equal(sdes_generate(&a, 3, &srtp_suites[SRTP_AES_192_CM_SHA1_32]), 0);
	assert_true(sdes_format(&a, out, sizeof(out)) > 0);
	assert_int_equal(parse(out, &c), 0);
	assert_int_equal(srtp_ctx_init(&tx, &a.m), 0);
	assert_int_equal(srtp_ctx_init(&rx, &c.m), 0);
	memset(pkt, 0, sizeof(pkt));
	pkt[0] = 0x80;
	assert_int_equal(srtp_rtp_protect(&tx, pkt, &len, sizeof(pkt)), 0);
	assert_int_equal(srtp_rtp_unprotect(&rx, pkt, &len), 0);
	srtp_ctx_fini(&tx);
	srtp_ctx_fini(&rx);

	/* too small an output buffer: -ENOSPC, and no key material left in it */
	assert_int_equal(sdes_format(&a, out, 20), -ENOSPC);
	assert_int_equal(out[0], 0);
	a.m.suite = NULL;
	assert_int_equal(sdes_format(&a, out, sizeof(out)), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_all_suites),
		cmocka_unit_test(test_rfc4568_example),
		cmocka_unit_test(test_lifetime_mki),
		cmocka_unit_test(test_session_params),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_generate_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
