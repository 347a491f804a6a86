/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * a=crypto values (RFC 4568 9.1/9.2 grammar), parsed with explicit lengths:
 * the SDP parser hands us pointers into its buffer, not C strings.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "crypto/crypto.h"
#include "crypto/sdes.h"

#define SDES_MAX_TAG 999999999u
#define SDES_KEY_MAX (SRTP_MAX_KEY_LEN + SRTP_MAX_SALT_LEN)

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* A cursor over the input */
struct cur {
	const char *p, *end;
};

static bool
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static size_t
skip_wsp(struct cur *c)
{
	const char *start = c->p;

	while (c->p < c->end && is_wsp(*c->p))
		c->p++;
	return (size_t)(c->p - start);
}

/* The token up to the next white space */
static void
token(struct cur *c, const char **tok, size_t *len)
{
	*tok = c->p;
	while (c->p < c->end && !is_wsp(*c->p))
		c->p++;
	*len = (size_t)(c->p - *tok);
}

/* Decimal digits only, no sign, no overflow; @return 0 or -EINVAL */
static int
parse_u64(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		if (!is_digit(s[i]) || v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

static int
b64_value(char c)
{
	const char *q = c != '\0' ? strchr(b64_alphabet, c) : NULL;

	return q != NULL ? (int)(q - b64_alphabet) : -1;
}

/*
 * Base64 with or without '=' padding (RFC 4648 4). With padding the length
 * must be a multiple of 4. @return bytes decoded, or -EINVAL.
 */
static int
b64_decode(const char *s, size_t len, uint8_t *out, size_t cap, bool *padded)
{
	uint32_t acc = 0;
	size_t i, n = 0, chars = len;
	int bits = 0, v;

	*padded = false;
	while (chars > 0 && s[chars - 1] == '=')
		chars--;
	if (len - chars > 2 || chars % 4 == 1)
		return -EINVAL;
	if (chars != len) {
		if (len % 4 != 0)
			return -EINVAL;
		*padded = true;
	}
	for (i = 0; i < chars; i++) {
		v = b64_value(s[i]);
		if (v < 0)
			return -EINVAL;
		acc = (acc << 6 | (uint32_t)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n == cap)
				return -EINVAL;
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	return (int)n;
}

static size_t
b64_encode(const uint8_t *in, size_t n, bool pad, char *out)
{
	size_t i, o = 0;
	uint32_t v;

	for (i = 0; i + 2 < n; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = b64_alphabet[v >> 18];
		out[o++] = b64_alphabet[v >> 12 & 63];
		out[o++] = b64_alphabet[v >> 6 & 63];
		out[o++] = b64_alphabet[v & 63];
	}
	if (i < n) {
		v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0);
		out[o++] = b64_alphabet[v >> 18];
		out[o++] = b64_alphabet[v >> 12 & 63];
		if (i + 1 < n)
			out[o++] = b64_alphabet[v >> 6 & 63];
		else if (pad)
			out[o++] = '=';
		if (pad)
			out[o++] = '=';
	}
	out[o] = '\0';
	return o;
}

/* lifetime = ["2^"] 1*DIGIT */
static int
parse_lifetime(const char *s, size_t len, struct sdes_crypto *c)
{
	uint64_t v;

	if (len > 2 && s[0] == '2' && s[1] == '^') {
		if (parse_u64(s + 2, len - 2, &v) < 0 || v == 0 || v > 63)
			return -EINVAL;
		c->lifetime = 1ull << v;
		c->lifetime_pow2 = true;
		return 0;
	}
	if (parse_u64(s, len, &v) < 0 || v == 0)
		return -EINVAL;
	c->lifetime = v;
	return 0;
}

/* mki = mki-value ":" mki-length (1..128 bytes); stored big-endian */
static int
parse_mki(const char *s, size_t len, struct sdes_crypto *c)
{
	const char *colon = memchr(s, ':', len);
	uint64_t value, mlen;
	unsigned i;

	if (colon == NULL || parse_u64(s, (size_t)(colon - s), &value) < 0 ||
		parse_u64(colon + 1, len - (size_t)(colon - s) - 1, &mlen) < 0 || mlen == 0 ||
		mlen > 128 || (mlen < 8 && value >> (8 * mlen) != 0))
		return -EINVAL;
	if (mlen > SRTP_MAX_MKI_LEN)
		return -ENOTSUP;
	c->m.mki_len = (uint8_t)mlen;
	memset(c->m.mki, 0, sizeof(c->m.mki));
	for (i = 0; i < mlen && i < 8; i++)
		c->m.mki[mlen - 1 - i] = (uint8_t)(value >> (8 * i));
	return 0;
}

/* key-params = "inline:" key-salt ["|" lifetime] ["|" mki] */
static int
parse_key_params(const char *s, size_t len, struct sdes_crypto *c)
{
	const struct srtp_suite *suite = c->m.suite;
	uint8_t raw[SDES_KEY_MAX + 3];
	const char *end = s + len, *part, *bar;
	size_t want = (size_t)suite->key_len + suite->salt_len;
	int n, rc, nparts = 0;

	if (len < 7 || strncasecmp(s, "inline:", 7) != 0)
		return -EINVAL;
	if (memchr(s, ';', len) != NULL)
		return -ENOTSUP; /* several master keys: we keep one key per direction */
	s += 7;
	bar = memchr(s, '|', (size_t)(end - s));
	n = b64_decode(s, (size_t)((bar != NULL ? bar : end) - s), raw, sizeof(raw), &c->pad);
	if (n < 0 || (size_t)n != want) {
		OPENSSL_cleanse(raw, sizeof(raw));
		return -EINVAL;
	}
	memcpy(c->m.key, raw, suite->key_len);
	memcpy(c->m.salt, raw + suite->key_len, suite->salt_len);
	OPENSSL_cleanse(raw, sizeof(raw));
	/* one or two parts: a lifetime, then an MKI (the one with a colon) */
	while (bar != NULL) {
		part = bar + 1;
		bar = memchr(part, '|', (size_t)(end - part));
		len = (size_t)((bar != NULL ? bar : end) - part);
		if (++nparts > 2)
			return -EINVAL;
		if (memchr(part, ':', len) != NULL)
			rc = c->m.mki_len == 0 ? parse_mki(part, len, c) : -EINVAL;
		else
			rc = nparts == 1 ? parse_lifetime(part, len, c) : -EINVAL;
		if (rc < 0)
			return rc;
	}
	return 0;
}

static bool
tok_is(const char *tok, size_t len, const char *want)
{
	return strlen(want) == len && memcmp(tok, want, len) == 0;
}

/* RFC 4568 6.3 session parameters */
static int
parse_session_param(const char *tok, size_t len, struct sdes_crypto *c)
{
	uint64_t v;

	if (tok_is(tok, len, "UNENCRYPTED_SRTP"))
		c->m.flags |= SRTP_F_UNENCRYPTED_SRTP;
	else if (tok_is(tok, len, "UNENCRYPTED_SRTCP"))
		c->m.flags |= SRTP_F_UNENCRYPTED_SRTCP;
	else if (tok_is(tok, len, "UNAUTHENTICATED_SRTP"))
		c->m.flags |= SRTP_F_UNAUTHENTICATED_SRTP;
	else if (len > 4 && memcmp(tok, "WSH=", 4) == 0) {
		if (parse_u64(tok + 4, len - 4, &v) < 0 || v < 64 || v > UINT32_MAX)
			return -EINVAL;
		c->wsh = (uint32_t)v;
	} else if (len > 4 && memcmp(tok, "KDR=", 4) == 0) {
		if (parse_u64(tok + 4, len - 4, &v) < 0 || v > 24)
			return -EINVAL;
		if (v != 0)
			return -ENOTSUP; /* session keys are derived once (kdr 0) */
	} else if ((len > 10 && memcmp(tok, "FEC_ORDER=", 10) == 0) ||
		   (len > 8 && memcmp(tok, "FEC_KEY=", 8) == 0)) {
		return -ENOTSUP;
	} else if (tok[0] != '-') {
		return -EINVAL; /* unknown and mandatory (RFC 4568 6.3.7) */
	}
	return 0;
}

int
sdes_parse(const char *s, size_t len, struct sdes_crypto *out)
{
	struct cur c = {s, s + len};
	struct sdes_crypto r;
	const char *tok;
	size_t tlen;
	uint64_t tag;
	int rc;

	memset(&r, 0, sizeof(r));
	if (len >= 9 && strncasecmp(s, "a=crypto:", 9) == 0)
		c.p += 9;
	token(&c, &tok, &tlen);
	if (tlen > 9 || parse_u64(tok, tlen, &tag) < 0 || skip_wsp(&c) == 0)
		return -EINVAL;
	r.tag = (unsigned)tag;

	token(&c, &tok, &tlen);
	r.m.suite = srtp_suite_find(tok, tlen);
	if (r.m.suite == NULL || skip_wsp(&c) == 0)
		return -EINVAL;
	r.alias = r.m.suite->alias != NULL && strlen(r.m.suite->alias) == tlen &&
		  strncasecmp(r.m.suite->alias, tok, tlen) == 0;

	token(&c, &tok, &tlen);
	rc = parse_key_params(tok, tlen, &r);
	while (rc == 0 && skip_wsp(&c) > 0 && c.p < c.end) {
		token(&c, &tok, &tlen);
		rc = parse_session_param(tok, tlen, &r);
	}
	if (rc == 0 && c.p != c.end)
		rc = -EINVAL;
	if (rc == 0)
		*out = r;
	OPENSSL_cleanse(&r, sizeof(r));
	return rc;
}

/* An output buffer that remembers how much it would have needed */
struct out {
	char *p;
	size_t cap, len;
};

static void __attribute__((format(printf, 2, 3))) out_add(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(o->len < o->cap ? o->p + o->len : NULL, o->len < o->cap ? o->cap - o->len : 0,
		fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n;
}

int
sdes_format(const struct sdes_crypto *c, char *out, size_t cap)
{
	const struct srtp_suite *s = c->m.suite;
	char b64[(SDES_KEY_MAX + 2) / 3 * 4 + 1];
	struct out o = {out, cap, 0};
	uint8_t raw[SDES_KEY_MAX];
	uint64_t mki = 0;
	unsigned exp = 0;
	size_t i;

	if (s == NULL || s < srtp_suites || s >= srtp_suites + SRTP_SUITE_COUNT ||
		c->tag > SDES_MAX_TAG || c->m.mki_len > SRTP_MAX_MKI_LEN)
		return -EINVAL;
	for (i = 0; i + 8 < c->m.mki_len; i++)
		if (c->m.mki[i] != 0)
			return -EINVAL; /* MKI values are limited to 64 bits here */
	for (i = 0; i < c->m.mki_len; i++)
		mki = mki << 8 | c->m.mki[i];

	memcpy(raw, c->m.key, s->key_len);
	memcpy(raw + s->key_len, c->m.salt, s->salt_len);
	b64_encode(raw, (size_t)s->key_len + s->salt_len, c->pad, b64);
	OPENSSL_cleanse(raw, sizeof(raw));
	out_add(&o, "%u %s inline:%s", c->tag, c->alias && s->alias != NULL ? s->alias : s->name,
		b64);
	OPENSSL_cleanse(b64, sizeof(b64));
	if (c->lifetime != 0) {
		while (c->lifetime_pow2 && exp < 63 && (1ull << exp) < c->lifetime)
			exp++;
		if (c->lifetime_pow2 && (1ull << exp) == c->lifetime)
			out_add(&o, "|2^%u", exp);
		else
			out_add(&o, "|%" PRIu64, c->lifetime);
	}
	if (c->m.mki_len > 0)
		out_add(&o, "|%" PRIu64 ":%u", mki, (unsigned)c->m.mki_len);
	if (c->m.flags & SRTP_F_UNENCRYPTED_SRTP)
		out_add(&o, " UNENCRYPTED_SRTP");
	if (c->m.flags & SRTP_F_UNENCRYPTED_SRTCP)
		out_add(&o, " UNENCRYPTED_SRTCP");
	if (c->m.flags & SRTP_F_UNAUTHENTICATED_SRTP)
		out_add(&o, " UNAUTHENTICATED_SRTP");
	if (c->wsh != 0)
		out_add(&o, " WSH=%u", (unsigned)c->wsh);
	if (o.len >= cap) {
		if (cap > 0)
			OPENSSL_cleanse(out, cap); /* no partial key left behind */
		return -ENOSPC;
	}
	return (int)o.len;
}

int
sdes_generate(struct sdes_crypto *c, unsigned tag, const struct srtp_suite *suite)
{
	int rc;

	if (suite == NULL || suite < srtp_suites || suite >= srtp_suites + SRTP_SUITE_COUNT ||
		tag > SDES_MAX_TAG)
		return -EINVAL;
	memset(c, 0, sizeof(*c));
	c->tag = tag;
	c->m.suite = suite;
	rc = sl_random_bytes(c->m.key, suite->key_len);
	if (rc == 0)
		rc = sl_random_bytes(c->m.salt, suite->salt_len);
	if (rc < 0)
		OPENSSL_cleanse(c, sizeof(*c));
	return rc;
}
