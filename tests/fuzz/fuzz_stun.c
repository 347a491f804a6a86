/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * STUN codec (stun.c): what the ICE agent runs on every punted packet.
 *
 * Input byte 0 selects the mode:
 *   even: the rest is a raw message: parse it and, if it parses, check
 *         MESSAGE-INTEGRITY and MESSAGE-INTEGRITY-SHA256 with fixed keys.
 *   odd:  the rest builds a message: 12 bytes transaction id, 2 bytes
 *         method/class, then attributes (type: 2 bytes, length: 1 byte,
 *         value); the builder adds MESSAGE-INTEGRITY (short-term key) and
 *         FINGERPRINT. This reaches the authenticated path the fuzzer
 *         could never forge. Properties: what the builder wrote parses,
 *         verifies with the key and not with another key, and after any
 *         one bit is changed (outside the FINGERPRINT type) it no longer
 *         both parses and verifies.
 */
#include <errno.h>

#include "control/stun.h"
#include "fuzz.h"

static const char key[] = "fuzzfuzzfuzzfuzzfuzzfu"; /* an ICE password: 22 chars */
static const char other_key[] = "fuzzfuzzfuzzfuzzfuzzfU";

static void
raw(const uint8_t *p, size_t n)
{
	struct stun_msg m;
	int rc;

	stun_looks_like(p, n);
	rc = stun_parse(&m, p, n);
	if (rc < 0)
		return;
	FUZZ_CHECK(m.len == n);
	rc = stun_check_integrity(&m, key, sizeof(key) - 1);
	FUZZ_CHECK(rc == 0 || rc == -ENOENT || rc == -EACCES || rc == -EINVAL);
	rc = stun_check_integrity_sha256(&m, key, sizeof(key) - 1);
	FUZZ_CHECK(rc == 0 || rc == -ENOENT || rc == -EACCES || rc == -EINVAL);
	stun_username_eq(&m, "abcd:efgh", 9);
	if (m.has & STUN_HAS_ERROR_CODE)
		FUZZ_CHECK(m.error_code >= 300 && m.error_code <= 699);
}

static void
build(struct fuzz_in *in)
{
	uint8_t tid[STUN_TID_LEN], buf[STUN_MAX_MSG_LEN], *copy;
	struct stun_builder b;
	struct stun_msg m;
	const uint8_t *v;
	uint16_t mc, type, flip;
	size_t vlen;
	unsigned i;
	int len;

	for (i = 0; i < STUN_TID_LEN; i++)
		tid[i] = fuzz_u8(in);
	mc = fuzz_u16(in);
	stun_build_init(&b, buf, sizeof(buf), mc & 0xFFF, (enum stun_class)(mc >> 14), tid);
	flip = fuzz_u16(in);
	while (in->n >= 3) {
		type = fuzz_u16(in);
		vlen = fuzz_chunk(in, 255, &v);
		/* the builder adds these itself, last */
		if (type == STUN_ATTR_MESSAGE_INTEGRITY || type == STUN_ATTR_FINGERPRINT ||
			type == STUN_ATTR_MESSAGE_INTEGRITY_SHA256)
			continue;
		stun_add_attr(&b, type, v, vlen);
	}
	stun_add_integrity(&b, key, sizeof(key) - 1);
	stun_add_fingerprint(&b);
	len = stun_finish(&b);
	if (len < 0)
		return;
	copy = (uint8_t *)fuzz_dup(buf, (size_t)len, 0);
	if (stun_parse(&m, copy, (size_t)len) == 0) {
		/* a fuzz attribute may be a known one with a bad value: -EINVAL */
		FUZZ_CHECK(m.has & STUN_HAS_INTEGRITY);
		FUZZ_CHECK(m.has & STUN_HAS_FINGERPRINT);
		FUZZ_CHECK(stun_check_integrity(&m, key, sizeof(key) - 1) == 0);
		FUZZ_CHECK(stun_check_integrity(&m, other_key, sizeof(other_key) - 1) == -EACCES);
		FUZZ_CHECK(memcmp(m.tid, tid, STUN_TID_LEN) == 0);
		FUZZ_CHECK(m.method == (mc & 0xFFF) && m.cls == (mc >> 14));
		/*
		 * Any changed bit breaks the HMAC or the CRC, except in the type of
		 * FINGERPRINT: it then is an unknown attribute after MESSAGE-INTEGRITY,
		 * which RFC 8489 14.5 says to ignore, leaving a valid message.
		 */
		i = flip % (unsigned)len;
		if (i != (unsigned)len - 8 && i != (unsigned)len - 7) {
			copy[i] ^= (uint8_t)(1u << (flip >> 13));
			FUZZ_CHECK(stun_parse(&m, copy, (size_t)len) < 0 ||
				   stun_check_integrity(&m, key, sizeof(key) - 1) < 0);
		}
	}
	free(copy);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	uint8_t mode = fuzz_u8(&in);
	char *p;

	if (mode & 1) {
		build(&in);
	} else {
		p = fuzz_dup(in.p, in.n, 0);
		raw((const uint8_t *)p, in.n);
		free(p);
	}
	return 0;
}
