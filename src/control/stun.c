/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * STUN codec. The parser walks the attribute list once, bounds-checking every
 * read against the message length (which must equal the datagram size), and
 * remembers where the integrity attributes sit so that the HMAC can be
 * checked later with whichever key the caller picks (ours for requests, the
 * peer's for responses). FINGERPRINT needs no key and is checked at parse.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "control/stun.h"

#define MI_LEN 20 /* HMAC-SHA1 */

static inline uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void
wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* half-byte table for the reflected CRC-32 polynomial 0xEDB88320: 64 bytes
 * instead of 1 KiB, two lookups per byte is plenty for control-thread use */
static const uint32_t crc_nibble[16] = {
	0x00000000,
	0x1db71064,
	0x3b6e20c8,
	0x26d930ac,
	0x76dc4190,
	0x6b6b51f4,
	0x4db26158,
	0x5005713c,
	0xedb88320,
	0xf00f9344,
	0xd6d6a3e8,
	0xcb61b38c,
	0x9b64c2b0,
	0x86d3d2d4,
	0xa00ae278,
	0xbdbdf21c,
};

uint32_t
stun_crc32(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t crc = 0xFFFFFFFFu;
	size_t i;

	for (i = 0; i < len; i++) {
		crc ^= p[i];
		crc = (crc >> 4) ^ crc_nibble[crc & 15];
		crc = (crc >> 4) ^ crc_nibble[crc & 15];
	}
	return crc ^ 0xFFFFFFFFu;
}

bool
stun_looks_like(const void *buf, size_t len)
{
	const uint8_t *p = buf;

	return len >= STUN_HDR_LEN && (p[0] & 0xC0) == 0 && rd32(p + 4) == STUN_MAGIC &&
	       (rd16(p + 2) & 3) == 0;
}

/* comprehension-required attributes this codec understands; anything else
 * below 0x8000 is reported so that the agent can answer 420 */
static bool
known_required(uint16_t t)
{
	switch (t) {
	case STUN_ATTR_MAPPED_ADDRESS:
	case STUN_ATTR_USERNAME:
	case STUN_ATTR_MESSAGE_INTEGRITY:
	case STUN_ATTR_ERROR_CODE:
	case STUN_ATTR_UNKNOWN_ATTRIBUTES:
	case STUN_ATTR_REALM:
	case STUN_ATTR_NONCE:
	case STUN_ATTR_MESSAGE_INTEGRITY_SHA256:
	case STUN_ATTR_PASSWORD_ALGORITHM:
	case STUN_ATTR_USERHASH:
	case STUN_ATTR_XOR_MAPPED_ADDRESS:
	case STUN_ATTR_PRIORITY:
	case STUN_ATTR_USE_CANDIDATE:
		return true;
	default:
		return false;
	}
}

/* (XOR-)MAPPED-ADDRESS value: 0, family, port, address */
static int
parse_addr(const struct stun_msg *m, const uint8_t *v, uint16_t len, bool xor, struct sl_ep *ep)
{
	uint8_t mask[16];
	unsigned int i, alen;

	if (len < 4)
		return -EINVAL;
	memset(ep, 0, sizeof(*ep));
	wr32(mask, STUN_MAGIC);
	memcpy(mask + 4, m->tid, STUN_TID_LEN);
	if (v[1] == 0x01) {
		ep->ip.family = AF_INET;
		alen = 4;
	} else if (v[1] == 0x02) {
		ep->ip.family = AF_INET6;
		alen = 16;
	} else {
		return -EINVAL;
	}
	if (len != 4 + alen)
		return -EINVAL;
	ep->port = rd16(v + 2);
	for (i = 0; i < alen; i++)
		ep->ip.a[i] = v[4 + i] ^ (xor? mask[i] : 0);
	if (xor)
		ep->port ^= (uint16_t)(STUN_MAGIC >> 16);
	return 0;
}

static uint64_t
rd64(const uint8_t *p)
{
	return (uint64_t)rd32(p) << 32 | rd32(p + 4);
}

/* one attribute; the caller has checked that @p v..v+len is inside the message */
static int
parse_attr(struct stun_msg *m, uint16_t type, const uint8_t *v, uint16_t len, uint16_t off)
{
	unsigned int i;

	switch (type) {
	case STUN_ATTR_USERNAME:
		if (m->has & STUN_HAS_USERNAME)
			return 0;
		m->has |= STUN_HAS_USERNAME;
		m->username = v;
		m->username_len = len;
		return 0;
	case STUN_ATTR_SOFTWARE:
		if (m->has & STUN_HAS_SOFTWARE)
			return 0;
		m->has |= STUN_HAS_SOFTWARE;
		m->software = v;
		m->software_len = len;
		return 0;
	case STUN_ATTR_REALM:
		if (m->has & STUN_HAS_REALM)
			return 0;
		m->has |= STUN_HAS_REALM;
		m->realm = v;
		m->realm_len = len;
		return 0;
	case STUN_ATTR_NONCE:
		if (m->has & STUN_HAS_NONCE)
			return 0;
		m->has |= STUN_HAS_NONCE;
		m->nonce = v;
		m->nonce_len = len;
		return 0;
	case STUN_ATTR_MESSAGE_INTEGRITY:
		if (len != MI_LEN)
			return -EINVAL;
		m->has |= STUN_HAS_INTEGRITY;
		m->mi_off = off;
		return 0;
	case STUN_ATTR_MESSAGE_INTEGRITY_SHA256:
		if (len < 16 || len > 32 || (len & 3) != 0)
			return -EINVAL;
		m->has |= STUN_HAS_INTEGRITY_SHA256;
		m->mi256_off = off;
		m->mi256_len = len;
		return 0;
	case STUN_ATTR_FINGERPRINT:
		if (len != 4)
			return -EINVAL;
		m->has |= STUN_HAS_FINGERPRINT;
		return 0;
	case STUN_ATTR_XOR_MAPPED_ADDRESS:
	case STUN_ATTR_MAPPED_ADDRESS:
		/* XOR-MAPPED-ADDRESS wins over the legacy one whatever the order */
		if ((m->has & STUN_HAS_XOR_MAPPED) ||
			(type == STUN_ATTR_MAPPED_ADDRESS && (m->has & STUN_HAS_MAPPED)))
			return 0;
		if (parse_addr(m, v, len, type == STUN_ATTR_XOR_MAPPED_ADDRESS, &m->mapped) < 0)
			return -EINVAL;
		m->has |= type == STUN_ATTR_MAPPED_ADDRESS ? STUN_HAS_MAPPED : STUN_HAS_XOR_MAPPED;
		return 0;
	case STUN_ATTR_ERROR_CODE:
		if (len < 4 || (v[2] & 7) < 3 || (v[2] & 7) > 6 || v[3] > 99)
			return -EINVAL;
		if (m->has & STUN_HAS_ERROR_CODE)
			return 0;
		m->has |= STUN_HAS_ERROR_CODE;
		m->error_code = (uint16_t)((v[2] & 7) * 100 + v[3]);
		m->reason = v + 4;
		m->reason_len = (uint16_t)(len - 4);
		return 0;
	case STUN_ATTR_UNKNOWN_ATTRIBUTES:
		if (len & 1)
			return -EINVAL;
		if (m->has & STUN_HAS_UNKNOWN_ATTRS)
			return 0;
		m->has |= STUN_HAS_UNKNOWN_ATTRS;
		for (i = 0; i < len / 2u && i < STUN_MAX_UNKNOWN; i++)
			m->unknown_attrs[i] = rd16(v + 2 * i);
		m->n_unknown_attrs = (uint8_t)i;
		return 0;
	case STUN_ATTR_PRIORITY:
		if (len != 4)
			return -EINVAL;
		if (!(m->has & STUN_HAS_PRIORITY))
			m->priority = rd32(v);
		m->has |= STUN_HAS_PRIORITY;
		return 0;
	case STUN_ATTR_USE_CANDIDATE:
		m->has |= STUN_HAS_USE_CANDIDATE;
		return 0;
	case STUN_ATTR_ICE_CONTROLLING:
	case STUN_ATTR_ICE_CONTROLLED:
		if (len != 8)
			return -EINVAL;
		if (m->has & (STUN_HAS_CONTROLLING | STUN_HAS_CONTROLLED))
			return 0; /* both present is nonsense; keep the first */
		m->has |= type == STUN_ATTR_ICE_CONTROLLING ? STUN_HAS_CONTROLLING
							    : STUN_HAS_CONTROLLED;
		m->tiebreaker = rd64(v);
		return 0;
	default:
		if (type < 0x8000 && !known_required(type) && m->n_unknown < STUN_MAX_UNKNOWN)
			m->unknown[m->n_unknown++] = type;
		/* comprehension-optional (e.g. Chrome's 0xC057): ignored */
		return 0;
	}
}

int
stun_parse(struct stun_msg *m, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	size_t off, fp_off = 0;
	bool after_mi = false;
	uint16_t type, mlen;
	int rc;

	memset(m, 0, sizeof(*m));
	if (len >= 1 && (p[0] & 0xC0) != 0)
		return -ENOMSG;
	if (len < STUN_HDR_LEN)
		return -EMSGSIZE;
	if (len > STUN_MAX_MSG_LEN)
		return -E2BIG;
	if (rd32(p + 4) != STUN_MAGIC)
		return -EPROTO;
	mlen = rd16(p + 2);
	if (mlen & 3)
		return -ERANGE; /* the last attribute lacks its padding */
	if (STUN_HDR_LEN + (size_t)mlen > len)
		return -EMSGSIZE;
	if (STUN_HDR_LEN + (size_t)mlen < len)
		return -EBADMSG;

	type = rd16(p);
	m->buf = p;
	m->len = (uint16_t)len;
	m->method = (uint16_t)((type & 0x000F) | ((type >> 1) & 0x0070) | ((type >> 2) & 0x0F80));
	m->cls = (uint8_t)(((type >> 4) & 1) | ((type >> 7) & 2));
	memcpy(m->tid, p + 8, STUN_TID_LEN);

	/* len and off stay multiples of 4, so an attribute header always fits */
	for (off = STUN_HDR_LEN; off < len;) {
		uint16_t at = rd16(p + off), alen = rd16(p + off + 2);
		size_t room = len - off - 4, padded = ((size_t)alen + 3) & ~(size_t)3;

		if (m->has & STUN_HAS_FINGERPRINT)
			return -EBADMSG; /* FINGERPRINT must be last */
		if (alen > room)
			return -EOVERFLOW;
		if (padded > room)
			return -ERANGE; /* cannot happen while mlen % 4 == 0; kept as a guard */
		if (at == STUN_ATTR_FINGERPRINT) {
			fp_off = off;
			rc = parse_attr(m, at, p + off + 4, alen, (uint16_t)off);
		} else if (!after_mi || at == STUN_ATTR_MESSAGE_INTEGRITY_SHA256) {
			/* after MESSAGE-INTEGRITY only MI-SHA256 and FINGERPRINT count */
			rc = parse_attr(m, at, p + off + 4, alen, (uint16_t)off);
			if (at == STUN_ATTR_MESSAGE_INTEGRITY ||
				at == STUN_ATTR_MESSAGE_INTEGRITY_SHA256)
				after_mi = true;
		} else {
			rc = 0;
		}
		if (rc < 0)
			return rc;
		off += 4 + padded;
	}
	if ((m->has & STUN_HAS_FINGERPRINT) &&
		(stun_crc32(p, fp_off) ^ STUN_FP_XOR) != rd32(p + fp_off + 4))
		return -EILSEQ;
	return 0;
}

/* HMAC over the message up to the attribute at @p off, with the header's
 * length field rewritten to end right after that attribute (RFC 8489 14.5) */
static int
check_mac(const struct stun_msg *m, uint16_t off, size_t vlen, const EVP_MD *md, const void *key,
	size_t keylen)
{
	uint8_t tmp[STUN_MAX_MSG_LEN], mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;

	if (keylen > INT32_MAX || off < STUN_HDR_LEN || off > m->len)
		return -EINVAL;
	memcpy(tmp, m->buf, off);
	wr16(tmp + 2, (uint16_t)(off + 4 + vlen - STUN_HDR_LEN));
	if (HMAC(md, key, (int)keylen, tmp, off, mac, &maclen) == NULL || maclen < vlen)
		return -EACCES;
	if (CRYPTO_memcmp(mac, m->buf + off + 4, vlen) != 0)
		return -EACCES;
	return 0;
}

int
stun_check_integrity(const struct stun_msg *m, const void *key, size_t keylen)
{
	if (!(m->has & STUN_HAS_INTEGRITY))
		return -ENOENT;
	return check_mac(m, m->mi_off, MI_LEN, EVP_sha1(), key, keylen);
}

int
stun_check_integrity_sha256(const struct stun_msg *m, const void *key, size_t keylen)
{
	if (!(m->has & STUN_HAS_INTEGRITY_SHA256))
		return -ENOENT;
	return check_mac(m, m->mi256_off, m->mi256_len, EVP_sha256(), key, keylen);
}

bool
stun_username_eq(const struct stun_msg *m, const char *s, size_t n)
{
	return (m->has & STUN_HAS_USERNAME) && m->username_len == n &&
	       memcmp(m->username, s, n) == 0;
}

const char *
stun_reason(uint16_t code)
{
	switch (code) {
	case 300:
		return "Try Alternate";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthenticated";
	case 420:
		return "Unknown Attribute";
	case 438:
		return "Stale Nonce";
	case 487:
		return "Role Conflict";
	case 500:
		return "Server Error";
	default:
		return "";
	}
}

void
stun_build_init(struct stun_builder *b, void *buf, size_t cap, uint16_t method, enum stun_class cls,
	const uint8_t tid[STUN_TID_LEN])
{
	unsigned int c = (unsigned int)cls;
	uint16_t type;

	b->buf = buf;
	b->cap = cap;
	b->len = 0;
	b->pad = 0;
	b->err = 0;
	if (cap < STUN_HDR_LEN || cap > STUN_MAX_MSG_LEN) {
		b->err = cap < STUN_HDR_LEN ? -ENOSPC : -EINVAL;
		return;
	}
	type = (uint16_t)((method & 0x000F) | ((method & 0x0070) << 1) | ((method & 0x0F80) << 2) |
			  ((c & 1) << 4) | ((c & 2) << 7));
	wr16(b->buf, type);
	wr16(b->buf + 2, 0);
	wr32(b->buf + 4, STUN_MAGIC);
	memcpy(b->buf + 8, tid, STUN_TID_LEN);
	b->len = STUN_HDR_LEN;
}

/* reserve a padded attribute, write its header and padding, and keep the
 * header's length field current; @return the value pointer or NULL */
static uint8_t *
attr_reserve(struct stun_builder *b, uint16_t type, size_t vlen)
{
	size_t padded = (vlen + 3) & ~(size_t)3;
	uint8_t *a;

	if (b->err != 0)
		return NULL;
	if (vlen > UINT16_MAX) {
		b->err = -EINVAL;
		return NULL;
	}
	if (b->cap - b->len < 4 + padded) {
		b->err = -ENOSPC;
		return NULL;
	}
	a = b->buf + b->len;
	wr16(a, type);
	wr16(a + 2, (uint16_t)vlen);
	memset(a + 4 + vlen, b->pad, padded - vlen);
	b->len += 4 + padded;
	wr16(b->buf + 2, (uint16_t)(b->len - STUN_HDR_LEN));
	return a + 4;
}

int
stun_add_attr(struct stun_builder *b, uint16_t type, const void *val, size_t len)
{
	uint8_t *v = attr_reserve(b, type, len);

	if (v == NULL)
		return b->err;
	if (len > 0)
		memcpy(v, val, len);
	return 0;
}

int
stun_add_u32(struct stun_builder *b, uint16_t type, uint32_t val)
{
	uint8_t *v = attr_reserve(b, type, 4);

	if (v == NULL)
		return b->err;
	wr32(v, val);
	return 0;
}

int
stun_add_u64(struct stun_builder *b, uint16_t type, uint64_t val)
{
	uint8_t *v = attr_reserve(b, type, 8);

	if (v == NULL)
		return b->err;
	wr32(v, (uint32_t)(val >> 32));
	wr32(v + 4, (uint32_t)val);
	return 0;
}

int
stun_add_xor_addr(struct stun_builder *b, uint16_t type, const struct sl_ep *ep)
{
	unsigned int i, alen = ep->ip.family == AF_INET6 ? 16 : 4;
	uint8_t mask[16], *v;

	if (b->err == 0 && ep->ip.family != AF_INET && ep->ip.family != AF_INET6)
		b->err = -EINVAL;
	v = attr_reserve(b, type, 4 + alen);
	if (v == NULL)
		return b->err;
	wr32(mask, STUN_MAGIC);
	memcpy(mask + 4, b->buf + 8, STUN_TID_LEN);
	v[0] = 0;
	v[1] = alen == 4 ? 0x01 : 0x02;
	wr16(v + 2, (uint16_t)(ep->port ^ (STUN_MAGIC >> 16)));
	for (i = 0; i < alen; i++)
		v[4 + i] = ep->ip.a[i] ^ mask[i];
	return 0;
}

int
stun_add_error(struct stun_builder *b, uint16_t code, const char *reason)
{
	size_t rlen;
	uint8_t *v;

	if (reason == NULL)
		reason = stun_reason(code);
	rlen = strlen(reason);
	if (b->err == 0 && (code < 300 || code > 699 || rlen > 763))
		b->err = -EINVAL;
	v = attr_reserve(b, STUN_ATTR_ERROR_CODE, 4 + rlen);
	if (v == NULL)
		return b->err;
	v[0] = 0;
	v[1] = 0;
	v[2] = (uint8_t)(code / 100);
	v[3] = (uint8_t)(code % 100);
	memcpy(v + 4, reason, rlen);
	return 0;
}

int
stun_add_unknown_attrs(struct stun_builder *b, const uint16_t *types, unsigned int n)
{
	uint8_t *v = attr_reserve(b, STUN_ATTR_UNKNOWN_ATTRIBUTES, 2 * (size_t)n);
	unsigned int i;

	if (v == NULL)
		return b->err;
	for (i = 0; i < n; i++)
		wr16(v + 2 * i, types[i]);
	return 0;
}

int
stun_add_integrity(struct stun_builder *b, const void *key, size_t keylen)
{
	unsigned int maclen = 0;
	uint8_t *v;
	size_t off;

	if (b->err == 0 && keylen > INT32_MAX)
		b->err = -EINVAL;
	v = attr_reserve(b, STUN_ATTR_MESSAGE_INTEGRITY, MI_LEN);
	if (v == NULL)
		return b->err;
	/* the length field already counts this attribute, as the HMAC needs */
	off = (size_t)(v - 4 - b->buf);
	if (HMAC(EVP_sha1(), key, (int)keylen, b->buf, off, v, &maclen) == NULL ||
		maclen != MI_LEN) {
		b->err = -EIO;
		return b->err;
	}
	return 0;
}

int
stun_add_fingerprint(struct stun_builder *b)
{
	uint8_t *v = attr_reserve(b, STUN_ATTR_FINGERPRINT, 4);

	if (v == NULL)
		return b->err;
	wr32(v, stun_crc32(b->buf, (size_t)(v - 4 - b->buf)) ^ STUN_FP_XOR);
	return 0;
}

int
stun_finish(struct stun_builder *b)
{
	return b->err != 0 ? b->err : (int)b->len;
}
