/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * STUN codec: the RFC 5769 test vectors (parse and byte-exact rebuild),
 * then hostile input: every truncation, each structural error with its own
 * errno, and a mutation loop that must never read out of bounds (run it
 * under -fsanitize=address).
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
#include <sys/socket.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "control/stun.h"

/* clang-format off */
/* RFC 5769 2.1: username "evtj:h6vY", password "VOkJxbRl1RmTxUk/WvJxBt",
 * padding bytes are 0x20 (any value is legal) */
static const uint8_t req_5769[] = {
	0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01,
	0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x10,
	0x53, 0x54, 0x55, 0x4e, 0x20, 0x74, 0x65, 0x73, 0x74, 0x20, 0x63, 0x6c,
	0x69, 0x65, 0x6e, 0x74, 0x00, 0x24, 0x00, 0x04, 0x6e, 0x00, 0x01, 0xff,
	0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36,
	0x00, 0x06, 0x00, 0x09, 0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68, 0x36, 0x76,
	0x59, 0x20, 0x20, 0x20, 0x00, 0x08, 0x00, 0x14, 0x9a, 0xea, 0xa7, 0x0c,
	0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e, 0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49,
	0xc1, 0xb5, 0x71, 0xa2, 0x80, 0x28, 0x00, 0x04, 0xe5, 0x7a, 0x3b, 0xcf,
};

/* RFC 5769 2.2: XOR-MAPPED-ADDRESS 192.0.2.1:32853 */
static const uint8_t resp4_5769[] = {
	0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01,
	0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b,
	0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63, 0x74, 0x6f, 0x72, 0x20,
	0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43,
	0x00, 0x08, 0x00, 0x14, 0x2b, 0x91, 0xf5, 0x99, 0xfd, 0x9e, 0x90, 0xc3,
	0x8c, 0x74, 0x89, 0xf9, 0x2a, 0xf9, 0xba, 0x53, 0xf0, 0x6b, 0xe7, 0xd7,
	0x80, 0x28, 0x00, 0x04, 0xc0, 0x7d, 0x4c, 0x96,
};

/* RFC 5769 2.3: [2001:db8:1234:5678:11:2233:4455:6677]:32853 */
static const uint8_t resp6_5769[] = {
	0x01, 0x01, 0x00, 0x48, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01,
	0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b,
	0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63, 0x74, 0x6f, 0x72, 0x20,
	0x00, 0x20, 0x00, 0x14, 0x00, 0x02, 0xa1, 0x47, 0x01, 0x13, 0xa9, 0xfa,
	0xa5, 0xd3, 0xf1, 0x79, 0xbc, 0x25, 0xf4, 0xb5, 0xbe, 0xd2, 0xb9, 0xd9,
	0x00, 0x08, 0x00, 0x14, 0xa3, 0x82, 0x95, 0x4e, 0x4b, 0xe6, 0x7b, 0xf1,
	0x17, 0x84, 0xc9, 0x7c, 0x82, 0x92, 0xc2, 0x75, 0xbf, 0xe3, 0xed, 0x41,
	0x80, 0x28, 0x00, 0x04, 0xc8, 0xfb, 0x0b, 0x4c,
};

/* RFC 5769 2.4: long-term credentials, username U+30DE U+30C8 U+30EA U+30C3
 * U+30AF U+30B9, realm "example.org", password "TheMatrIX" after SASLprep */
static const uint8_t req_lt_5769[] = {
	0x00, 0x01, 0x00, 0x60, 0x21, 0x12, 0xa4, 0x42, 0x78, 0xad, 0x34, 0x33,
	0xc6, 0xad, 0x72, 0xc0, 0x29, 0xda, 0x41, 0x2e, 0x00, 0x06, 0x00, 0x12,
	0xe3, 0x83, 0x9e, 0xe3, 0x83, 0x88, 0xe3, 0x83, 0xaa, 0xe3, 0x83, 0x83,
	0xe3, 0x82, 0xaf, 0xe3, 0x82, 0xb9, 0x00, 0x00, 0x00, 0x15, 0x00, 0x1c,
	0x66, 0x2f, 0x2f, 0x34, 0x39, 0x39, 0x6b, 0x39, 0x35, 0x34, 0x64, 0x36,
	0x4f, 0x4c, 0x33, 0x34, 0x6f, 0x4c, 0x39, 0x46, 0x53, 0x54, 0x76, 0x79,
	0x36, 0x34, 0x73, 0x41, 0x00, 0x14, 0x00, 0x0b, 0x65, 0x78, 0x61, 0x6d,
	0x70, 0x6c, 0x65, 0x2e, 0x6f, 0x72, 0x67, 0x00, 0x00, 0x08, 0x00, 0x14,
	0xf6, 0x70, 0x24, 0x65, 0x6d, 0xd6, 0x4a, 0x3e, 0x02, 0xb8, 0xe0, 0x71,
	0x2e, 0x85, 0xc9, 0xa2, 0x8c, 0xa8, 0x96, 0x66,
};

/* clang-format on */

static const char pwd_5769[] = "VOkJxbRl1RmTxUk/WvJxBt";
static const uint8_t tid_5769[12] = {
	0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae};

static void
test_crc32(void **state)
{
	/* the CRC-32/ISO-HDLC check value */
	assert_int_equal(stun_crc32("123456789", 9), 0xCBF43926u);
	assert_int_equal(stun_crc32("", 0), 0);
}

static void
test_5769_request_parse(void **state)
{
	struct stun_msg m;

	assert_true(stun_looks_like(req_5769, sizeof(req_5769)));
	assert_int_equal(stun_parse(&m, req_5769, sizeof(req_5769)), 0);
	assert_int_equal(m.cls, STUN_REQUEST);
	assert_int_equal(m.method, STUN_BINDING);
	assert_memory_equal(m.tid, tid_5769, 12);
	assert_true(m.has & STUN_HAS_FINGERPRINT);
	assert_true(m.has & STUN_HAS_SOFTWARE);
	assert_int_equal(m.software_len, 16);
	assert_memory_equal(m.software, "STUN test client", 16);
	assert_true(m.has & STUN_HAS_PRIORITY);
	assert_int_equal(m.priority, 0x6e0001ffu);
	assert_true(m.has & STUN_HAS_CONTROLLED);
	assert_false(m.has & STUN_HAS_CONTROLLING);
	assert_true(m.tiebreaker == 0x932ff9b151263b36ull);
	assert_true(stun_username_eq(&m, "evtj:h6vY", 9));
	assert_false(stun_username_eq(&m, "evtj:h6v", 8));
	assert_int_equal(m.n_unknown, 0);
	assert_int_equal(stun_check_integrity(&m, pwd_5769, strlen(pwd_5769)), 0);
	assert_int_equal(stun_check_integrity(&m, "VOkJxbRl1RmTxUk/WvJxBT", 22), -EACCES);
	assert_int_equal(stun_check_integrity_sha256(&m, pwd_5769, 22), -ENOENT);
}

static void
test_5769_request_build(void **state)
{
	uint8_t buf[256];
	struct stun_builder b;

	stun_build_init(&b, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, tid_5769);
	b.pad = 0x20; /* the RFC pads with spaces */
	assert_int_equal(stun_add_attr(&b, STUN_ATTR_SOFTWARE, "STUN test client", 16), 0);
	assert_int_equal(stun_add_u32(&b, STUN_ATTR_PRIORITY, 0x6e0001ffu), 0);
	assert_int_equal(stun_add_u64(&b, STUN_ATTR_ICE_CONTROLLED, 0x932ff9b151263b36ull), 0);
	assert_int_equal(stun_add_attr(&b, STUN_ATTR_USERNAME, "evtj:h6vY", 9), 0);
	assert_int_equal(stun_add_integrity(&b, pwd_5769, strlen(pwd_5769)), 0);
	assert_int_equal(stun_add_fingerprint(&b), 0);
	assert_int_equal(stun_finish(&b), sizeof(req_5769));
	assert_memory_equal(buf, req_5769, sizeof(req_5769));
}

static void
check_response(const uint8_t *vec, size_t len, const char *ip)
{
	struct stun_msg m;
	struct sl_ep want;
	struct stun_builder b;
	uint8_t buf[256];

	memset(&want, 0, sizeof(want));
	assert_int_equal(sl_ip_parse(ip, &want.ip), 0);
	want.port = 32853;
	assert_int_equal(stun_parse(&m, vec, len), 0);
	assert_int_equal(m.cls, STUN_SUCCESS);
	assert_int_equal(m.method, STUN_BINDING);
	assert_true(m.has & STUN_HAS_XOR_MAPPED);
	assert_true(sl_ep_eq(&m.mapped, &want));
	assert_int_equal(m.software_len, 11);
	assert_memory_equal(m.software, "test vector", 11);
	assert_int_equal(stun_check_integrity(&m, pwd_5769, strlen(pwd_5769)), 0);
	assert_int_equal(stun_check_integrity(&m, "x", 1), -EACCES);

	stun_build_init(&b, buf, sizeof(buf), STUN_BINDING, STUN_SUCCESS, tid_5769);
	b.pad = 0x20;
	stun_add_attr(&b, STUN_ATTR_SOFTWARE, "test vector", 11);
	stun_add_xor_addr(&b, STUN_ATTR_XOR_MAPPED_ADDRESS, &want);
	stun_add_integrity(&b, pwd_5769, strlen(pwd_5769));
	stun_add_fingerprint(&b);
	assert_int_equal(stun_finish(&b), (int)len);
	assert_memory_equal(buf, vec, len);
}

static void
test_5769_ipv4_response(void **state)
{
	check_response(resp4_5769, sizeof(resp4_5769), "192.0.2.1");
}

static void
test_5769_ipv6_response(void **state)
{
	check_response(resp6_5769, sizeof(resp6_5769), "2001:db8:1234:5678:11:2233:4455:6677");
}

static void
test_5769_long_term(void **state)
{
	static const char user[] = "\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83\x83\xe3\x82\xaf"
				   "\xe3\x82\xb9";
	static const uint8_t tid[12] = {
		0x78, 0xad, 0x34, 0x33, 0xc6, 0xad, 0x72, 0xc0, 0x29, 0xda, 0x41, 0x2e};
	char material[128];
	uint8_t key[16];
	unsigned int klen = 0;
	struct stun_msg m;
	int n;

	assert_int_equal(stun_parse(&m, req_lt_5769, sizeof(req_lt_5769)), 0);
	assert_int_equal(m.cls, STUN_REQUEST);
	assert_memory_equal(m.tid, tid, 12);
	assert_true(stun_username_eq(&m, user, 18));
	assert_int_equal(m.nonce_len, 28);
	assert_memory_equal(m.nonce, "f//499k954d6OL34oL9FSTvy64sA", 28);
	assert_int_equal(m.realm_len, 11);
	assert_memory_equal(m.realm, "example.org", 11);
	assert_false(m.has & STUN_HAS_FINGERPRINT);
	/* long-term key = MD5(username ":" realm ":" SASLprep(password)) */
	n = snprintf(material, sizeof(material), "%s:example.org:TheMatrIX", user);
	assert_int_equal(EVP_Digest(material, (size_t)n, key, &klen, EVP_md5(), NULL), 1);
	assert_int_equal(stun_check_integrity(&m, key, klen), 0);
	assert_int_equal(stun_check_integrity(&m, "TheMatrIX", 9), -EACCES);
}

/* a mutable copy of the sample request, with FINGERPRINT recomputed */
static void
refingerprint(uint8_t *msg, size_t len)
{
	uint32_t fp = stun_crc32(msg, len - 8) ^ STUN_FP_XOR;

	msg[len - 4] = (uint8_t)(fp >> 24);
	msg[len - 3] = (uint8_t)(fp >> 16);
	msg[len - 2] = (uint8_t)(fp >> 8);
	msg[len - 1] = (uint8_t)fp;
}

static void
test_hostile_errors(void **state)
{
	uint8_t m2[sizeof(req_5769) + 8], big[STUN_MAX_MSG_LEN + 4];
	struct stun_msg m;
	size_t i;

	/* every truncation is rejected, never read past */
	for (i = 0; i < sizeof(req_5769); i++) {
		uint8_t *copy = malloc(i + 1); /* exact-size heap copy for ASan */

		memcpy(copy, req_5769, i);
		assert_int_equal(stun_parse(&m, copy, i), -EMSGSIZE);
		free(copy);
	}
	/* not STUN: RTP/DTLS first byte */
	memcpy(m2, req_5769, sizeof(req_5769));
	m2[0] = 0x80;
	assert_int_equal(stun_parse(&m, m2, sizeof(req_5769)), -ENOMSG);
	assert_false(stun_looks_like(m2, sizeof(req_5769)));
	/* wrong magic */
	memcpy(m2, req_5769, sizeof(req_5769));
	m2[5] ^= 1;
	assert_int_equal(stun_parse(&m, m2, sizeof(req_5769)), -EPROTO);
	/* length field vs datagram: trailing bytes */
	memcpy(m2, req_5769, sizeof(req_5769));
	memset(m2 + sizeof(req_5769), 0, 4);
	assert_int_equal(stun_parse(&m, m2, sizeof(req_5769) + 4), -EBADMSG);
	/* bad padding: the 9-byte USERNAME as the last attribute, unpadded */
	memcpy(m2, req_5769, 60 + 4 + 9);
	m2[3] = 60 - 20 + 4 + 9;
	assert_int_equal(stun_parse(&m, m2, 60 + 4 + 9), -ERANGE);
	/* attribute overrun: USERNAME claims more than is left */
	memcpy(m2, req_5769, sizeof(req_5769));
	m2[62] = 0x01; /* length 0x0109 */
	assert_int_equal(stun_parse(&m, m2, sizeof(req_5769)), -EOVERFLOW);
	/* bad fingerprint; and a changed byte it covers */
	memcpy(m2, req_5769, sizeof(req_5769));
	m2[sizeof(req_5769) - 1] ^= 0x01;
	assert_int_equal(stun_parse(&m, m2, sizeof(req_5769)), -EILSEQ);
	memcpy(m2, req_5769, sizeof(req_5769));
	m2[25] ^= 0x20; /* SOFTWARE "StUN..." */
	assert_int_equal(stun_parse(&m, m2, sizeof(req_5769)), -EILSEQ);
	/* bad integrity: fingerprint fixed up, so only the HMAC notices */
	refingerprint(m2, sizeof(req_5769));
	assert_int_equal(stun_parse(&m, m2, sizeof(req_5769)), 0);
	assert_int_equal(stun_check_integrity(&m, pwd_5769, strlen(pwd_5769)), -EACCES);
	/* attribute after FINGERPRINT */
	memcpy(m2, req_5769, sizeof(req_5769));
	memcpy(m2 + sizeof(req_5769), "\x80\x22\x00\x00", 4); /* empty SOFTWARE */
	m2[3] += 4;
	assert_int_equal(stun_parse(&m, m2, sizeof(req_5769) + 4), -EBADMSG);
	/* known attribute with an impossible length: ICE-CONTROLLED retyped as
	 * an 8-byte PRIORITY */
	memcpy(m2, req_5769, sizeof(req_5769));
	m2[48] = 0x00;
	m2[49] = 0x24;
	refingerprint(m2, sizeof(req_5769));
	assert_int_equal(stun_parse(&m, m2, sizeof(req_5769)), -EINVAL);
	/* too big for a punted packet */
	memset(big, 0, sizeof(big));
	memcpy(big, req_5769, 8);
	big[2] = (uint8_t)((sizeof(big) - 20) >> 8);
	big[3] = (uint8_t)(sizeof(big) - 20);
	assert_int_equal(stun_parse(&m, big, sizeof(big)), -E2BIG);
}

static void
test_unknown_attrs(void **state)
{
	uint8_t buf[256];
	struct stun_builder b;
	struct stun_msg m;
	int len;

	stun_build_init(&b, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, tid_5769);
	stun_add_attr(&b, 0xC057, "\x00\x01\x00\x0a", 4); /* Chrome's network info: optional */
	stun_add_attr(&b, 0x0031, "x", 1);		  /* comprehension-required, unknown */
	stun_add_attr(&b, 0x7777, NULL, 0);
	stun_add_attr(&b, STUN_ATTR_USERNAME, "a:b", 3);
	stun_add_integrity(&b, "pw", 2);
	stun_add_attr(&b, 0x0032, "after-mi", 8); /* after MI: ignored entirely */
	stun_add_fingerprint(&b);
	len = stun_finish(&b);
	assert_true(len > 0);
	assert_int_equal(stun_parse(&m, buf, (size_t)len), 0);
	assert_int_equal(m.n_unknown, 2);
	assert_int_equal(m.unknown[0], 0x0031);
	assert_int_equal(m.unknown[1], 0x7777);
	assert_int_equal(stun_check_integrity(&m, "pw", 2), 0);

	/* a 420 response lists them; an odd count is padded */
	stun_build_init(&b, buf, sizeof(buf), STUN_BINDING, STUN_ERROR, tid_5769);
	stun_add_error(&b, 420, NULL);
	stun_add_unknown_attrs(&b, m.unknown, 1);
	stun_add_fingerprint(&b);
	len = stun_finish(&b);
	assert_int_equal(stun_parse(&m, buf, (size_t)len), 0);
	assert_int_equal(m.cls, STUN_ERROR);
	assert_int_equal(m.error_code, 420);
	assert_int_equal(m.reason_len, strlen("Unknown Attribute"));
	assert_int_equal(m.n_unknown_attrs, 1);
	assert_int_equal(m.unknown_attrs[0], 0x0031);
}

static void
test_builder_limits(void **state)
{
	uint8_t buf[64];
	struct stun_builder b;
	struct sl_ep ep;

	stun_build_init(&b, buf, 28, STUN_BINDING, STUN_REQUEST, tid_5769);
	assert_int_equal(stun_add_u32(&b, STUN_ATTR_PRIORITY, 1), 0);
	assert_int_equal(stun_add_u32(&b, STUN_ATTR_PRIORITY, 1), -ENOSPC);
	assert_int_equal(stun_add_fingerprint(&b), -ENOSPC); /* sticky */
	assert_int_equal(stun_finish(&b), -ENOSPC);

	stun_build_init(&b, buf, sizeof(buf), STUN_BINDING, STUN_SUCCESS, tid_5769);
	memset(&ep, 0, sizeof(ep));
	assert_int_equal(stun_add_xor_addr(&b, STUN_ATTR_XOR_MAPPED_ADDRESS, &ep), -EINVAL);
	stun_build_init(&b, buf, sizeof(buf), STUN_BINDING, STUN_ERROR, tid_5769);
	assert_int_equal(stun_add_error(&b, 200, NULL), -EINVAL);
	stun_build_init(&b, buf, 10, STUN_BINDING, STUN_ERROR, tid_5769);
	assert_int_equal(stun_finish(&b), -ENOSPC);
}

/* flip bytes and lengths of the vectors at random: parse must return cleanly
 * (ASan/UBSan catch any out-of-bounds read), and whatever parses must verify
 * integrity without overrunning either */
static void
test_mutations(void **state)
{
	static const struct {
		const uint8_t *v;
		size_t len;
	} vec[] = {
		{req_5769, sizeof(req_5769)},
		{resp4_5769, sizeof(resp4_5769)},
		{resp6_5769, sizeof(resp6_5769)},
		{req_lt_5769, sizeof(req_lt_5769)},
	};
	uint32_t seed = 12345;
	unsigned int i, j, ok = 0;

	for (i = 0; i < 200000; i++) {
		size_t len = vec[i % 4].len, k;
		uint8_t *buf;
		struct stun_msg m;

		buf = malloc(len);
		memcpy(buf, vec[i % 4].v, len);
		for (j = 0; j < 1 + i % 4; j++) {
			seed = seed * 1103515245u + 12345u;
			k = (seed >> 8) % len;
			/* favour length fields: header and attribute headers */
			buf[k] ^= (uint8_t)(seed >> 24);
		}
		if (i & 1) { /* keep the fingerprint valid so attribute parsing runs */
			if (len >= 28 && buf[len - 8] == 0x80 && buf[len - 7] == 0x28)
				refingerprint(buf, len);
		}
		if (stun_parse(&m, buf, len) == 0) {
			ok++;
			(void)stun_check_integrity(&m, pwd_5769, strlen(pwd_5769));
			(void)stun_check_integrity_sha256(&m, pwd_5769, strlen(pwd_5769));
		}
		free(buf);
	}
	assert_true(ok > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32),
		cmocka_unit_test(test_5769_request_parse),
		cmocka_unit_test(test_5769_request_build),
		cmocka_unit_test(test_5769_ipv4_response),
		cmocka_unit_test(test_5769_ipv6_response),
		cmocka_unit_test(test_5769_long_term),
		cmocka_unit_test(test_hostile_errors),
		cmocka_unit_test(test_unknown_attrs),
		cmocka_unit_test(test_builder_limits),
		cmocka_unit_test(test_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
