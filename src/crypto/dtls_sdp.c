/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The SDP side of DTLS-SRTP: a=fingerprint (RFC 8122), a=setup (RFC 4145,
 * RFC 5763 §5), a=tls-id (RFC 8842) and the SRTP profile table. Pure string
 * and table work, no OpenSSL state.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "crypto/crypto.h"
#include "crypto/dtls.h"
#include "crypto/dtls_priv.h"

const struct dtls_hash_info dtls_hashes[DTLS_HASH_NUM] = {
	[DTLS_HASH_SHA1] = {"sha-1", EVP_sha1, 20},
	[DTLS_HASH_SHA224] = {"sha-224", EVP_sha224, 28},
	[DTLS_HASH_SHA256] = {"sha-256", EVP_sha256, 32},
	[DTLS_HASH_SHA384] = {"sha-384", EVP_sha384, 48},
	[DTLS_HASH_SHA512] = {"sha-512", EVP_sha512, 64},
};

/* order = enum order = our preference as DTLS server (OpenSSL picks the
 * server's most preferred profile among those the client offered) */
const struct dtls_suite_info dtls_suites[DTLS_SRTP_NUM] = {
	[DTLS_SRTP_AEAD_AES_256_GCM] = {"SRTP_AEAD_AES_256_GCM", "AEAD_AES_256_GCM", 0x0008, 32,
		12},
	[DTLS_SRTP_AEAD_AES_128_GCM] = {"SRTP_AEAD_AES_128_GCM", "AEAD_AES_128_GCM", 0x0007, 16,
		12},
	[DTLS_SRTP_AES_CM_128_HMAC_SHA1_80] = {"SRTP_AES128_CM_SHA1_80", "AES_CM_128_HMAC_SHA1_80",
		0x0001, 16, 14},
	[DTLS_SRTP_AES_CM_128_HMAC_SHA1_32] = {"SRTP_AES128_CM_SHA1_32", "AES_CM_128_HMAC_SHA1_32",
		0x0002, 16, 14},
};

static bool
token_eq(const char *s, size_t len, const char *tok)
{
	return strlen(tok) == len && strncasecmp(s, tok, len) == 0;
}

int
dtls_hash_parse(const char *s, size_t len)
{
	int i;

	if (s == NULL)
		return -EINVAL;
	for (i = 0; i < DTLS_HASH_NUM; i++)
		if (token_eq(s, len, dtls_hashes[i].name))
			return i;
	return -EINVAL;
}

const char *
dtls_hash_name(enum dtls_hash hash)
{
	if ((unsigned int)hash >= DTLS_HASH_NUM)
		return NULL;
	return dtls_hashes[hash].name;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
dtls_fingerprint_parse(struct dtls_fingerprint *fp, const char *s, size_t len)
{
	const char *end, *p;
	size_t n = 0;
	int h;

	if (fp == NULL || s == NULL)
		return -EINVAL;
	end = s + len;
	/* trailing CR/LF/blanks are tolerated: callers may hand us a raw line */
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' || end[-1] == '\n'))
		end--;
	for (p = s; p < end && *p != ' ' && *p != '\t'; p++)
		;
	h = dtls_hash_parse(s, (size_t)(p - s));
	if (h < 0)
		return -EINVAL;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	/* exactly len pairs "XX" separated by single colons */
	for (;;) {
		int hi, lo;

		if (end - p < 2 || n >= dtls_hashes[h].len)
			return -EINVAL;
		hi = hexval(p[0]);
		lo = hexval(p[1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		fp->digest[n++] = (uint8_t)(hi << 4 | lo);
		p += 2;
		if (p == end)
			break;
		if (*p != ':')
			return -EINVAL;
		p++;
	}
	if (n != dtls_hashes[h].len)
		return -EINVAL;
	fp->hash = (enum dtls_hash)h;
	fp->len = (uint8_t)n;
	return 0;
}

int
dtls_fingerprint_format(const struct dtls_fingerprint *fp, char *out, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	const char *name;
	size_t need, o, i;

	if (fp == NULL || out == NULL || (unsigned int)fp->hash >= DTLS_HASH_NUM ||
		fp->len != dtls_hashes[fp->hash].len)
		return -EINVAL;
	name = dtls_hashes[fp->hash].name;
	need = strlen(name) + 1 + (size_t)fp->len * 3 - 1 + 1;
	if (cap < need)
		return -ENOSPC;
	o = strlen(name);
	memcpy(out, name, o);
	out[o++] = ' ';
	for (i = 0; i < fp->len; i++) {
		if (i > 0)
			out[o++] = ':';
		out[o++] = hex[fp->digest[i] >> 4];
		out[o++] = hex[fp->digest[i] & 15];
	}
	out[o] = '\0';
	return (int)o;
}

bool
dtls_fingerprint_equal(const struct dtls_fingerprint *a, const struct dtls_fingerprint *b)
{
	return a->hash == b->hash && a->len == b->len && memcmp(a->digest, b->digest, a->len) == 0;
}

static const char *const setup_names[] = {
	[DTLS_SETUP_NONE] = NULL,
	[DTLS_SETUP_ACTPASS] = "actpass",
	[DTLS_SETUP_ACTIVE] = "active",
	[DTLS_SETUP_PASSIVE] = "passive",
	[DTLS_SETUP_HOLDCONN] = "holdconn",
};

int
dtls_setup_parse(const char *s, size_t len)
{
	unsigned int i;

	if (s == NULL)
		return -EINVAL;
	while (len > 0 && (s[len - 1] == '\r' || s[len - 1] == '\n' || s[len - 1] == ' '))
		len--;
	for (i = DTLS_SETUP_ACTPASS; i <= DTLS_SETUP_HOLDCONN; i++)
		if (token_eq(s, len, setup_names[i]))
			return (int)i;
	return -EINVAL;
}

const char *
dtls_setup_name(enum dtls_setup setup)
{
	if ((unsigned int)setup > DTLS_SETUP_HOLDCONN)
		return NULL;
	return setup_names[setup];
}

enum dtls_setup
dtls_setup_offer(void)
{
	return DTLS_SETUP_ACTPASS;
}

enum dtls_setup
dtls_setup_answer(enum dtls_setup offered, bool prefer_passive)
{
	switch (offered) {
	case DTLS_SETUP_PASSIVE:
		/* they insist on being server: we must connect, whatever we prefer */
		return DTLS_SETUP_ACTIVE;
	case DTLS_SETUP_ACTIVE:
	case DTLS_SETUP_NONE: /* RFC 4145 §4: absent means active */
		return DTLS_SETUP_PASSIVE;
	default:
		/* actpass (or nonsense): RFC 5763 §5 recommends active, which
		 * also spares us waiting for a ClientHello that may never come */
		return prefer_passive ? DTLS_SETUP_PASSIVE : DTLS_SETUP_ACTIVE;
	}
}

enum dtls_setup
dtls_setup_from_role(enum dtls_role role)
{
	return role == DTLS_ROLE_CLIENT ? DTLS_SETUP_ACTIVE : DTLS_SETUP_PASSIVE;
}

int
dtls_setup_role(enum dtls_setup local, enum dtls_setup remote)
{
	if (remote == DTLS_SETUP_NONE)
		remote = DTLS_SETUP_ACTIVE;
	switch (local) {
	case DTLS_SETUP_ACTIVE:
		return remote == DTLS_SETUP_ACTIVE ? -EINVAL : DTLS_ROLE_CLIENT;
	case DTLS_SETUP_PASSIVE:
		return remote == DTLS_SETUP_PASSIVE ? -EINVAL : DTLS_ROLE_SERVER;
	case DTLS_SETUP_ACTPASS:
		if (remote == DTLS_SETUP_ACTIVE)
			return DTLS_ROLE_SERVER;
		if (remote == DTLS_SETUP_PASSIVE)
			return DTLS_ROLE_CLIENT;
		return -EINVAL; /* actpass/holdconn in an answer */
	default:
		return -EINVAL;
	}
}

void
dtls_tls_id_generate(char out[DTLS_TLS_ID_LEN + 1])
{
	sl_random_hex(out, DTLS_TLS_ID_LEN / 2);
}

bool
dtls_tls_id_valid(const char *s, size_t len)
{
	size_t i;

	/* RFC 8842 §4: tls-id-value = 20*255(tls-id-char), ALPHA / DIGIT / "+" / "/" / "-" / "_" */
	if (s == NULL || len < 20 || len > DTLS_TLS_ID_MAX)
		return false;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    c == '+' || c == '/' || c == '-' || c == '_'))
			return false;
	}
	return true;
}

const char *
dtls_srtp_suite_name(enum dtls_srtp_suite suite)
{
	if ((unsigned int)suite >= DTLS_SRTP_NUM)
		return NULL;
	return dtls_suites[suite].sdes;
}

int
dtls_srtp_suite_parse(const char *s, size_t len)
{
	int i;

	if (s == NULL)
		return -EINVAL;
	for (i = 0; i < DTLS_SRTP_NUM; i++)
		if (token_eq(s, len, dtls_suites[i].sdes))
			return i;
	return -EINVAL;
}
