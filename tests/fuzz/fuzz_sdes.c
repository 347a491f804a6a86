/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SDP security attributes, one value per input line, each given to every
 * parser call_sec.c uses on an offer or answer: a=crypto (crypto/sdes.c)
 * and the DTLS-SRTP attributes a=fingerprint, a=setup, a=tls-id and the
 * SRTP suite names (crypto/dtls_sdp.c).
 * Properties: an accepted a=crypto formats (never past the buffer, never
 * with a line break), parses back to the same keys and parameters, and its
 * keys set up an SRTP context; an accepted fingerprint formats and parses
 * back to the same digest.
 */
#include <errno.h>

#include "crypto/dtls.h"
#include "crypto/sdes.h"
#include "crypto/srtp.h"
#include "fuzz.h"

static void
crypto_attr(const char *s, size_t len)
{
	struct sdes_crypto c, c2;
	struct srtp_ctx *ctx;
	char out[SDES_MAX_LEN];
	int n, rc;

	rc = sdes_parse(s, len, &c);
	FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -ENOTSUP);
	if (rc < 0)
		return;
	n = sdes_format(&c, out, sizeof(out));
	FUZZ_CHECK(n > 0 && (size_t)n < sizeof(out) && out[n] == '\0');
	FUZZ_CHECK(strpbrk(out, "\r\n") == NULL);
	FUZZ_CHECK(sdes_format(&c, out, (size_t)n) == -ENOSPC);
	n = sdes_format(&c, out, sizeof(out));
	FUZZ_CHECK(sdes_parse(out, (size_t)n, &c2) == 0);
	FUZZ_CHECK(c.tag == c2.tag && c.m.suite == c2.m.suite && c.m.flags == c2.m.flags);
	FUZZ_CHECK(memcmp(c.m.key, c2.m.key, c.m.suite->key_len) == 0);
	FUZZ_CHECK(memcmp(c.m.salt, c2.m.salt, c.m.suite->salt_len) == 0);
	FUZZ_CHECK(c.m.mki_len == c2.m.mki_len && memcmp(c.m.mki, c2.m.mki, c.m.mki_len) == 0);
	FUZZ_CHECK(c.lifetime == c2.lifetime && c.wsh == c2.wsh);
	FUZZ_CHECK(c.alias == c2.alias && c.pad == c2.pad);
	ctx = srtp_ctx_create(&c.m);
	/* the one combination the SRTP library refuses: no authentication with AEAD */
	FUZZ_CHECK(ctx != NULL || (c.m.suite->aead && (c.m.flags & SRTP_F_UNAUTHENTICATED_SRTP)));
	srtp_ctx_free(ctx);
}

static void
dtls_attrs(const char *s, size_t len)
{
	struct dtls_fingerprint fp, fp2;
	char out[DTLS_FP_STR_MAX];
	int n;

	if (dtls_fingerprint_parse(&fp, s, len) == 0) {
		n = dtls_fingerprint_format(&fp, out, sizeof(out));
		FUZZ_CHECK(n > 0);
		FUZZ_CHECK(dtls_fingerprint_parse(&fp2, out, (size_t)n) == 0);
		FUZZ_CHECK(dtls_fingerprint_equal(&fp, &fp2));
	}
	dtls_setup_parse(s, len);
	dtls_tls_id_valid(s, len);
	n = dtls_srtp_suite_parse(s, len);
	if (n >= 0)
		FUZZ_CHECK(dtls_srtp_suite_name((enum dtls_srtp_suite)n) != NULL);
	if (srtp_suite_find(s, len) != NULL)
		FUZZ_CHECK(srtp_suite_find(s, len)->name != NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size, *nl;
	char *line;
	size_t len;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		line = fuzz_dup(p, len, 0);
		crypto_attr(line, len);
		dtls_attrs(line, len);
		free(line);
		p += len + (nl != NULL);
	}
	return 0;
}
