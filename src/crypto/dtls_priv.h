/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_DTLS_PRIV_H
#define SL_DTLS_PRIV_H

/* Shared between dtls.c, dtls_cert.c and dtls_sdp.c; not for other modules. */

#include <stdint.h>

#include <openssl/ssl.h>

#include "crypto/dtls.h"

#define DTLS_LOG "dtls"

/*
 * One certificate and the SSL_CTX that presents it. Connections hold a
 * reference, so a rotation never changes the identity of a live association.
 * The count is plain: certificates are only touched by the control thread.
 */
struct dtls_cert {
	unsigned int refcnt; /* ctl only */
	X509 *x509;
	EVP_PKEY *pkey;
	SSL_CTX *ctx;				 /* DTLS_method(); role set per SSL */
	int64_t not_after_s;			 /* seconds since the epoch */
	char fp[DTLS_HASH_NUM][DTLS_FP_STR_MAX]; /* formatted once, for SDP writers */
};

struct dtls_hash_info {
	const char *name; /* RFC 8122 hash-func token */
	const EVP_MD *(*md)(void);
	uint8_t len; /* digest bytes */
};

struct dtls_suite_info {
	const char *ossl; /* OpenSSL use_srtp profile name */
	const char *sdes; /* RFC 4568 / RFC 7714 SDES name */
	uint16_t id;	  /* RFC 5764 §4.1.2, RFC 7714 §14.2 */
	uint8_t key_len;  /* bytes */
	uint8_t salt_len; /* bytes */
};

extern const struct dtls_hash_info dtls_hashes[DTLS_HASH_NUM];
extern const struct dtls_suite_info dtls_suites[DTLS_SRTP_NUM];

/* dtls.c: the SSL_CTX settings every certificate's context gets */
int dtls_ctx_setup(SSL_CTX *ctx);

#endif /* SL_DTLS_PRIV_H */
