/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_STUN_H
#define SL_STUN_H

/**
 * @file
 * STUN message codec (RFC 8489, RFC 5389 wire format) for the ICE agent:
 * parse with bounds checks and fingerprint verification, integrity check
 * with a caller-supplied key, and a builder that writes into a caller
 * buffer. No allocation, no I/O. A parsed message borrows the input bytes.
 *
 * Parse errors (each distinct so that callers and tests can tell them apart):
 *   -ENOMSG    not STUN at all (top two bits of the type set: RTP, DTLS, ...)
 *   -EMSGSIZE  truncated: shorter than the header or than its length field
 *   -E2BIG     larger than STUN_MAX_MSG_LEN
 *   -EPROTO    wrong magic cookie (RFC 3489 or garbage)
 *   -EBADMSG   bytes beyond what the length field covers (length mismatch),
 *              or an attribute after FINGERPRINT
 *   -ERANGE    bad padding: the length is not a multiple of 4 (an attribute
 *              without its padding)
 *   -EOVERFLOW an attribute value runs past the end of the message
 *   -EINVAL    a known attribute with an impossible value (bad length, family)
 *   -EILSEQ    FINGERPRINT present but wrong
 * Integrity: -ENOENT (no MESSAGE-INTEGRITY), -EACCES (HMAC mismatch).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"

#define STUN_HDR_LEN 20
#define STUN_MAGIC 0x2112A442u
#define STUN_TID_LEN 12
#define STUN_FP_XOR 0x5354554Eu
/* punted packets are at most one MTU; anything bigger is hostile */
#define STUN_MAX_MSG_LEN 2048
#define STUN_MAX_UNKNOWN 8 /* unknown comprehension-required types we report */

enum stun_class {
	STUN_REQUEST = 0,
	STUN_INDICATION = 1,
	STUN_SUCCESS = 2,
	STUN_ERROR = 3,
};

#define STUN_BINDING 0x001

/* attribute types (IANA STUN registry) */
#define STUN_ATTR_MAPPED_ADDRESS 0x0001
#define STUN_ATTR_USERNAME 0x0006
#define STUN_ATTR_MESSAGE_INTEGRITY 0x0008
#define STUN_ATTR_ERROR_CODE 0x0009
#define STUN_ATTR_UNKNOWN_ATTRIBUTES 0x000A
#define STUN_ATTR_REALM 0x0014
#define STUN_ATTR_NONCE 0x0015
#define STUN_ATTR_MESSAGE_INTEGRITY_SHA256 0x001C
#define STUN_ATTR_PASSWORD_ALGORITHM 0x001D
#define STUN_ATTR_USERHASH 0x001E
#define STUN_ATTR_XOR_MAPPED_ADDRESS 0x0020
#define STUN_ATTR_PRIORITY 0x0024
#define STUN_ATTR_USE_CANDIDATE 0x0025
#define STUN_ATTR_PASSWORD_ALGORITHMS 0x8002
#define STUN_ATTR_ALTERNATE_DOMAIN 0x8003
#define STUN_ATTR_SOFTWARE 0x8022
#define STUN_ATTR_ALTERNATE_SERVER 0x8023
#define STUN_ATTR_FINGERPRINT 0x8028
#define STUN_ATTR_ICE_CONTROLLED 0x8029
#define STUN_ATTR_ICE_CONTROLLING 0x802A

/* stun_msg.has bits: which attributes were present (first occurrence wins) */
#define STUN_HAS_USERNAME (1u << 0)
#define STUN_HAS_INTEGRITY (1u << 1)
#define STUN_HAS_INTEGRITY_SHA256 (1u << 2)
#define STUN_HAS_FINGERPRINT (1u << 3)
#define STUN_HAS_XOR_MAPPED (1u << 4)
#define STUN_HAS_ERROR_CODE (1u << 5)
#define STUN_HAS_UNKNOWN_ATTRS (1u << 6)
#define STUN_HAS_PRIORITY (1u << 7)
#define STUN_HAS_USE_CANDIDATE (1u << 8)
#define STUN_HAS_CONTROLLING (1u << 9)
#define STUN_HAS_CONTROLLED (1u << 10)
#define STUN_HAS_SOFTWARE (1u << 11)
#define STUN_HAS_REALM (1u << 12)
#define STUN_HAS_NONCE (1u << 13)
#define STUN_HAS_MAPPED (1u << 14)

/** A parsed message; pointers borrow the parsed buffer. */
struct stun_msg {
	const uint8_t *buf; /* the whole message (borrowed) */
	uint16_t len;	    /* bytes, header included */
	uint16_t method;    /* 12 bits, STUN_BINDING */
	uint8_t cls;	    /* enum stun_class */
	uint8_t tid[STUN_TID_LEN];
	uint32_t has;		 /* STUN_HAS_* */
	const uint8_t *username; /* USERNAME value, not NUL-terminated */
	uint16_t username_len;
	const uint8_t *software;
	uint16_t software_len;
	const uint8_t *realm;
	uint16_t realm_len;
	const uint8_t *nonce;
	uint16_t nonce_len;
	uint16_t mi_off;       /* offset of the MESSAGE-INTEGRITY attribute header */
	uint16_t mi256_off;    /* same for MESSAGE-INTEGRITY-SHA256 */
	uint16_t mi256_len;    /* its value length: 16..32 */
	uint32_t priority;     /* PRIORITY */
	uint64_t tiebreaker;   /* ICE-CONTROLLING or ICE-CONTROLLED value */
	struct sl_ep mapped;   /* XOR-MAPPED-ADDRESS (or MAPPED-ADDRESS), decoded */
	uint16_t error_code;   /* 300..699 */
	const uint8_t *reason; /* ERROR-CODE reason phrase */
	uint16_t reason_len;
	/* comprehension-required (< 0x8000) types we do not understand: answer 420 */
	uint16_t unknown[STUN_MAX_UNKNOWN];
	uint8_t n_unknown;
	/* the UNKNOWN-ATTRIBUTES list of a 420 response */
	uint16_t unknown_attrs[STUN_MAX_UNKNOWN];
	uint8_t n_unknown_attrs;
};

/** Builder state; write with stun_add_*(), close with stun_finish(). */
struct stun_builder {
	uint8_t *buf; /* caller's buffer */
	size_t cap;   /* its size in bytes */
	size_t len;   /* bytes written so far */
	uint8_t pad;  /* padding byte value (0; any value is legal, RFC 8489 14) */
	int err;      /* first error (sticky), 0 or -ENOSPC/-EINVAL */
};

/** Quick demux test (RFC 7983): could @p buf be STUN? No full parse. */
bool stun_looks_like(const void *buf, size_t len);

/**
 * Parse and validate @p len bytes; checks FINGERPRINT if present.
 * @return 0, or one of the negative errors listed at the top of this file.
 */
int stun_parse(struct stun_msg *m, const void *buf, size_t len);

/**
 * Verify MESSAGE-INTEGRITY (HMAC-SHA1) with @p key; short-term credentials
 * use the password as key, long-term MD5(user:realm:pass).
 * @return 0, -ENOENT (absent) or -EACCES (mismatch).
 */
int stun_check_integrity(const struct stun_msg *m, const void *key, size_t keylen);

/** Same for MESSAGE-INTEGRITY-SHA256 (RFC 8489 14.6). */
int stun_check_integrity_sha256(const struct stun_msg *m, const void *key, size_t keylen);

/** @return true if the USERNAME value equals @p s (@p n bytes). */
bool stun_username_eq(const struct stun_msg *m, const char *s, size_t n);

/** CRC-32 (ISO-HDLC) of @p len bytes; exposed for tests. */
uint32_t stun_crc32(const void *buf, size_t len);

/** Start a message of @p method / @p cls with transaction id @p tid. */
void stun_build_init(struct stun_builder *b, void *buf, size_t cap, uint16_t method,
	enum stun_class cls, const uint8_t tid[STUN_TID_LEN]);

/** Add an attribute with an opaque value; @return 0, -ENOSPC or -EINVAL. */
int stun_add_attr(struct stun_builder *b, uint16_t type, const void *val, size_t len);
int stun_add_u32(struct stun_builder *b, uint16_t type, uint32_t v);
int stun_add_u64(struct stun_builder *b, uint16_t type, uint64_t v);
/** XOR-MAPPED-ADDRESS (type STUN_ATTR_XOR_MAPPED_ADDRESS) of @p ep. */
int stun_add_xor_addr(struct stun_builder *b, uint16_t type, const struct sl_ep *ep);
/** ERROR-CODE @p code (300..699) with an optional @p reason (NULL: standard). */
int stun_add_error(struct stun_builder *b, uint16_t code, const char *reason);
int stun_add_unknown_attrs(struct stun_builder *b, const uint16_t *types, unsigned int n);
/** MESSAGE-INTEGRITY over everything so far, keyed with @p key. */
int stun_add_integrity(struct stun_builder *b, const void *key, size_t keylen);
/** FINGERPRINT; must be the last attribute. */
int stun_add_fingerprint(struct stun_builder *b);

/** @return the message length in bytes, or the first error (-ENOSPC, -EINVAL). */
int stun_finish(struct stun_builder *b);

/** @return the standard reason phrase for an error code ("" if unknown). */
const char *stun_reason(uint16_t code);

#endif /* SL_STUN_H */
