/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The relay's DTLS identity: one EC P-256 certificate per process, generated
 * at start or loaded from PEM, replaceable at run time. WebRTC peers
 * authenticate it by the a=fingerprint we put in SDP, never by a CA, so a
 * self-signed certificate is all we need (RFC 5763 §5).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "common/log.h"
#include "crypto/crypto.h"
#include "crypto/dtls.h"
#include "crypto/dtls_priv.h"

#define CERT_VALIDITY_S (30 * 86400)
/* notBefore is backdated so that a peer whose clock runs slow does not see
 * a certificate from the future; browsers ignore validity, others may not */
#define CERT_BACKDATE_S 86400

/* process certificate: ctl only */
static struct dtls_cert *current;
static char *cur_cert_path, *cur_key_path; /* NULL: generated */

static void
log_ossl(const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256];

	ERR_error_string_n(e, buf, sizeof(buf));
	SL_ERR(DTLS_LOG, "%s: %s", what, e != 0 ? buf : "unknown error");
	ERR_clear_error();
}

/* Takes ownership of x509 and pkey (freed on failure too). */
static struct dtls_cert *
cert_wrap(X509 *x509, EVP_PKEY *pkey)
{
	struct dtls_cert *c;
	const ASN1_TIME *na;
	struct tm tm;
	int i;

	c = calloc(1, sizeof(*c));
	if (c == NULL)
		goto fail;
	c->refcnt = 1;
	c->x509 = x509;
	c->pkey = pkey;
	for (i = 0; i < DTLS_HASH_NUM; i++) {
		struct dtls_fingerprint fp = {.hash = (enum dtls_hash)i};
		unsigned int len = 0;

		if (X509_digest(x509, dtls_hashes[i].md(), fp.digest, &len) != 1 ||
			len != dtls_hashes[i].len) {
			log_ossl("X509_digest");
			errno = EIO;
			goto fail_free;
		}
		fp.len = (uint8_t)len;
		dtls_fingerprint_format(&fp, c->fp[i], sizeof(c->fp[i]));
	}
	na = X509_get0_notAfter(x509);
	if (na == NULL || ASN1_TIME_to_tm(na, &tm) != 1) {
		errno = EINVAL;
		goto fail_free;
	}
	c->not_after_s = (int64_t)timegm(&tm);

	c->ctx = SSL_CTX_new(DTLS_method());
	if (c->ctx == NULL) {
		log_ossl("SSL_CTX_new");
		errno = ENOMEM;
		goto fail_free;
	}
	if (SSL_CTX_use_certificate(c->ctx, x509) != 1 ||
		SSL_CTX_use_PrivateKey(c->ctx, pkey) != 1 ||
		SSL_CTX_check_private_key(c->ctx) != 1) {
		log_ossl("certificate/key do not match");
		errno = EINVAL;
		goto fail_ctx;
	}
	if (dtls_ctx_setup(c->ctx) < 0) {
		errno = EIO;
		goto fail_ctx;
	}
	return c;

fail_ctx:
	SSL_CTX_free(c->ctx);
fail_free:
	free(c);
fail:
	X509_free(x509);
	EVP_PKEY_free(pkey);
	return NULL;
}

struct dtls_cert *
dtls_cert_generate(void)
{
	X509_NAME *name = NULL;
	EVP_PKEY *pkey;
	uint8_t serial[8];
	BIGNUM *bn = NULL;
	X509 *x;

	pkey = EVP_EC_gen("P-256");
	if (pkey == NULL) {
		log_ossl("EC P-256 key generation");
		errno = EIO;
		return NULL;
	}
	x = X509_new();
	if (x == NULL)
		goto fail;
	/* RFC 5280 §4.1.2.2: positive, unique per issuer; 63 random bits, non-zero */
	if (sl_random_bytes(serial, sizeof(serial)) < 0)
		goto fail;
	serial[0] &= 0x7f;
	serial[7] |= 1;
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	if (bn == NULL || BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL)
		goto fail;
	name = X509_NAME_new();
	if (name == NULL || X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
				    (const unsigned char *)"sluice", -1, -1, 0) != 1)
		goto fail;
	if (X509_set_version(x, X509_VERSION_3) != 1 || X509_set_subject_name(x, name) != 1 ||
		X509_set_issuer_name(x, name) != 1 ||
		X509_gmtime_adj(X509_getm_notBefore(x), -CERT_BACKDATE_S) == NULL ||
		X509_gmtime_adj(X509_getm_notAfter(x), CERT_VALIDITY_S) == NULL ||
		X509_set_pubkey(x, pkey) != 1 || X509_sign(x, pkey, EVP_sha256()) <= 0)
		goto fail;
	X509_NAME_free(name);
	BN_free(bn);
	return cert_wrap(x, pkey);

fail:
	log_ossl("self-signed certificate");
	X509_NAME_free(name);
	BN_free(bn);
	X509_free(x);
	EVP_PKEY_free(pkey);
	errno = EIO;
	return NULL;
}

struct dtls_cert *
dtls_cert_load(const char *cert_path, const char *key_path)
{
	EVP_PKEY *pkey = NULL;
	X509 *x = NULL;
	FILE *f;

	if (cert_path == NULL || key_path == NULL) {
		errno = EINVAL;
		return NULL;
	}
	f = fopen(cert_path, "r");
	if (f == NULL) {
		SL_ERR(DTLS_LOG, "%s: %s", cert_path, strerror(errno));
		return NULL;
	}
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (x == NULL) {
		log_ossl(cert_path);
		errno = EINVAL;
		return NULL;
	}
	f = fopen(key_path, "r");
	if (f == NULL) {
		SL_ERR(DTLS_LOG, "%s: %s", key_path, strerror(errno));
		X509_free(x);
		errno = ENOENT;
		return NULL;
	}
	pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (pkey == NULL) {
		log_ossl(key_path);
		X509_free(x);
		errno = EINVAL;
		return NULL;
	}
	/* our cipher list is ECDHE-ECDSA only (what browsers prefer, field
	 * lesson #22): an RSA key would fail every handshake, so refuse it now */
	if (!EVP_PKEY_is_a(pkey, "EC")) {
		SL_ERR(DTLS_LOG, "%s: not an EC key (ECDSA certificates only)", key_path);
		X509_free(x);
		EVP_PKEY_free(pkey);
		errno = EINVAL;
		return NULL;
	}
	return cert_wrap(x, pkey);
}

struct dtls_cert *
dtls_cert_ref(struct dtls_cert *cert)
{
	if (cert != NULL)
		cert->refcnt++;
	return cert;
}

void
dtls_cert_unref(struct dtls_cert *cert)
{
	if (cert == NULL || --cert->refcnt > 0)
		return;
	SSL_CTX_free(cert->ctx);
	X509_free(cert->x509);
	EVP_PKEY_free(cert->pkey);
	free(cert);
}

const char *
dtls_cert_fingerprint(const struct dtls_cert *cert, enum dtls_hash hash)
{
	if (cert == NULL || (unsigned int)hash >= DTLS_HASH_NUM)
		return NULL;
	return cert->fp[hash];
}

int64_t
dtls_cert_expiry(const struct dtls_cert *cert)
{
	return cert->not_after_s;
}

static int
install(struct dtls_cert *c)
{
	if (c == NULL)
		return errno != 0 ? -errno : -EIO;
	dtls_cert_unref(current);
	current = c;
	SL_INFO(DTLS_LOG, "certificate %s (expires %lld)", c->fp[DTLS_HASH_SHA256],
		(long long)c->not_after_s);
	return 0;
}

int
dtls_init(const char *cert_path, const char *key_path)
{
	if ((cert_path == NULL) != (key_path == NULL))
		return -EINVAL;
	dtls_fini();
	if (cert_path != NULL) {
		cur_cert_path = strdup(cert_path);
		cur_key_path = strdup(key_path);
		if (cur_cert_path == NULL || cur_key_path == NULL) {
			dtls_fini();
			return -ENOMEM;
		}
	}
	return dtls_rotate();
}

int
dtls_rotate(void)
{
	errno = 0;
	if (cur_cert_path != NULL)
		return install(dtls_cert_load(cur_cert_path, cur_key_path));
	return install(dtls_cert_generate());
}

void
dtls_fini(void)
{
	dtls_cert_unref(current);
	current = NULL;
	free(cur_cert_path);
	free(cur_key_path);
	cur_cert_path = NULL;
	cur_key_path = NULL;
}

struct dtls_cert *
dtls_cert_current(void)
{
	return current;
}
