/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_SDES_H
#define SL_SDES_H

/**
 * @file
 * SDP security descriptions (RFC 4568; suite names of RFC 6188 and 7714):
 * the value of an a=crypto attribute,
 *   <tag> <suite> inline:<base64(key || salt)>[|lifetime][|MKI:length] [session-params]
 * parsed into srtp_master key material and formatted back. Control thread.
 *
 * Accepted: both spellings of the AES-192/256 names (AES_256_CM_HMAC_SHA1_80,
 * AES_CM_256_HMAC_SHA1_80), base64 with or without '=' padding, lifetime as
 * 2^n or decimal, session parameters UNENCRYPTED_SRTP, UNENCRYPTED_SRTCP,
 * UNAUTHENTICATED_SRTP, WSH=n, KDR=0, and "-"-prefixed (optional) ones.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/srtp.h"

/** Enough for any value sdes_format() writes (the longest is about 160). */
#define SDES_MAX_LEN 256

struct sdes_crypto {
	unsigned tag;	      /* 0..999999999 */
	struct srtp_master m; /* suite, key, salt, MKI (big-endian), SRTP_F_* */
	uint64_t lifetime;    /* master key lifetime in packets; 0: not given */
	bool lifetime_pow2;   /* lifetime was written as 2^n */
	bool alias;	      /* suite was spelled with its alias (echo it back) */
	bool pad;	      /* base64 carries '=' padding */
	uint32_t wsh;	      /* WSH replay window size hint; 0: not given */
};

/**
 * Parse an a=crypto value (a leading "a=crypto:" is skipped; no line end).
 * @return 0; -EINVAL: malformed, unknown suite, missing "inline:", key
 *   length wrong for the suite, unknown mandatory session parameter
 *   (RFC 4568 6.3.7); -ENOTSUP: valid but unsupported here (several keys,
 *   KDR > 0, FEC_ORDER/FEC_KEY, MKI longer than SRTP_MAX_MKI_LEN bytes).
 */
int sdes_parse(const char *s, size_t len, struct sdes_crypto *out);

/**
 * Write the value of @p c (without "a=crypto:") and a NUL into @p out.
 * @return the length written (without the NUL), -EINVAL or -ENOSPC.
 */
int sdes_format(const struct sdes_crypto *c, char *out, size_t cap);

/**
 * Fresh random key and salt (sl_random_bytes) for @p suite, with @p tag and
 * nothing else set (no padding, lifetime, MKI or session parameters).
 * @return 0, -EINVAL or -EIO.
 */
int sdes_generate(struct sdes_crypto *c, unsigned tag, const struct srtp_suite *suite);

#endif /* SL_SDES_H */
