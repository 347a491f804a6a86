/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Key setup, on the control thread: the SRTP KDF (RFC 3711 4.3, RFC 6188 for
 * AES-192/256, RFC 7714 11 for GCM) and keying the cipher and MAC state that
 * the packet path reuses. Everything that allocates lives here.
 */
/* SHA1_Init/Update are deprecated in OpenSSL 3 but the fastest HMAC reuse (srtp_priv.h) */
#define OPENSSL_API_COMPAT 0x10101000L

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "crypto/srtp.h"
#include "crypto/srtp_priv.h"

#define SRTP_KDF_MAX_OUT 64

static const char *
aes_name(size_t key_len, const char *mode)
{
	static const char *const names[3][3] = {
		{"AES-128-CTR", "AES-128-ECB", "AES-128-CBC"},
		{"AES-192-CTR", "AES-192-ECB", "AES-192-CBC"},
		{"AES-256-CTR", "AES-256-ECB", "AES-256-CBC"},
	};
	int m = strcmp(mode, "CTR") == 0 ? 0 : strcmp(mode, "ECB") == 0 ? 1 : 2;

	switch (key_len) {
	case 16:
		return names[0][m];
	case 24:
		return names[1][m];
	case 32:
		return names[2][m];
	}
	return NULL;
}

/* A cipher context keyed once with @p key; the IV is set per packet */
static EVP_CIPHER_CTX *
cipher_new(const char *name, const uint8_t *key, bool padding)
{
	EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, name, NULL);
	EVP_CIPHER_CTX *x = NULL;

	if (c == NULL)
		return NULL;
	x = EVP_CIPHER_CTX_new();
	if (x != NULL && EVP_CipherInit_ex(x, c, NULL, key, NULL, 1) != 1) {
		EVP_CIPHER_CTX_free(x);
		x = NULL;
	}
	if (x != NULL && !padding)
		EVP_CIPHER_CTX_set_padding(x, 0);
	EVP_CIPHER_free(c); /* the context keeps its own reference */
	return x;
}

/*
 * RFC 3711 4.3.1 with key_derivation_rate 0: x = (label << 48) XOR
 * master_salt, both right-aligned in 112 bits, and the key stream is
 * AES-CM(master_key, IV = x * 2^16). A 12-byte AEAD master salt is padded
 * with two zero bytes on the right (libsrtp's reading of RFC 7714 11).
 */
int
srtp_kdf(const uint8_t *mkey, size_t mkey_len, const uint8_t *msalt, size_t msalt_len,
	enum srtp_label label, uint8_t *out, size_t out_len)
{
	static const uint8_t zeros[SRTP_KDF_MAX_OUT];
	const char *name = aes_name(mkey_len, "CTR");
	uint8_t iv[16] = {0};
	EVP_CIPHER_CTX *x;
	int l, rc = -EIO;

	if (name == NULL || msalt_len > 14 || out_len > sizeof(zeros))
		return -EINVAL;
	memcpy(iv, msalt, msalt_len);
	iv[7] ^= (uint8_t)label;
	x = cipher_new(name, mkey, true);
	if (x == NULL)
		return -EIO;
	if (EVP_EncryptInit_ex(x, NULL, NULL, NULL, iv) == 1 &&
		EVP_EncryptUpdate(x, out, &l, zeros, (int)out_len) == 1)
		rc = 0;
	EVP_CIPHER_CTX_free(x);
	OPENSSL_cleanse(iv, sizeof(iv));
	return rc;
}

static int
hmac_init(struct srtp_dir *d, const uint8_t *auth)
{
	uint8_t ipad[SHA_CBLOCK], opad[SHA_CBLOCK];
	int i, rc = 0;

	memset(ipad, 0x36, sizeof(ipad));
	memset(opad, 0x5c, sizeof(opad));
	for (i = 0; i < SRTP_HMAC_KEY_LEN; i++) {
		ipad[i] ^= auth[i];
		opad[i] ^= auth[i];
	}
#if SRTP_HMAC_EVP
	d->ipad = EVP_MD_CTX_new();
	d->opad = EVP_MD_CTX_new();
	d->work = EVP_MD_CTX_new();
	if (d->ipad == NULL || d->opad == NULL || d->work == NULL ||
		EVP_DigestInit_ex(d->ipad, EVP_sha1(), NULL) != 1 ||
		EVP_DigestUpdate(d->ipad, ipad, sizeof(ipad)) != 1 ||
		EVP_DigestInit_ex(d->opad, EVP_sha1(), NULL) != 1 ||
		EVP_DigestUpdate(d->opad, opad, sizeof(opad)) != 1)
		rc = -EIO;
#else
	if (SHA1_Init(&d->ipad) != 1 || SHA1_Update(&d->ipad, ipad, sizeof(ipad)) != 1 ||
		SHA1_Init(&d->opad) != 1 || SHA1_Update(&d->opad, opad, sizeof(opad)) != 1)
		rc = -EIO;
#endif
	OPENSSL_cleanse(ipad, sizeof(ipad));
	OPENSSL_cleanse(opad, sizeof(opad));
	return rc;
}

static int
dir_init(struct srtp_dir *d, const struct srtp_suite *s, const struct srtp_session_keys *sk)
{
	bool f8 = s->rtp_crypt == srtp_f8_rtp_crypt;
	uint8_t masked[SRTP_MAX_KEY_LEN];
	size_t i;

	memcpy(d->salt, sk->salt, s->salt_len);
	if (s->evp_cipher != NULL) {
		d->cipher = cipher_new(s->evp_cipher, sk->enc, !f8);
		if (d->cipher == NULL)
			return -EIO;
	}
	if (f8) {
		/* RFC 3711 4.1.2.1: IV' = E(k_e XOR m, IV), m = k_s || 0x555..5 */
		for (i = 0; i < s->key_len; i++)
			masked[i] = sk->enc[i] ^ (i < s->salt_len ? sk->salt[i] : 0x55);
		d->f8_iv = cipher_new(aes_name(s->key_len, "ECB"), masked, false);
		OPENSSL_cleanse(masked, sizeof(masked));
		if (d->f8_iv == NULL)
			return -EIO;
	}
	if (!s->aead) {
		int rc = hmac_init(d, sk->auth);

		if (rc < 0)
			return rc;
	}
	/* the same keys once more, scheduled for intel-ipsec-mb when it is usable */
	return srtp_imb_dir_init(d, s, sk);
}

static void
dir_fini(struct srtp_dir *d, const struct srtp_suite *s)
{
	EVP_CIPHER_CTX_free(d->cipher);
	EVP_CIPHER_CTX_free(d->f8_iv);
	srtp_imb_dir_fini(d, s);
#if SRTP_HMAC_EVP
	EVP_MD_CTX_free(d->ipad);
	EVP_MD_CTX_free(d->opad);
	EVP_MD_CTX_free(d->work);
#endif
}

static bool
suite_valid(const struct srtp_suite *s)
{
	return s >= &srtp_suites[0] && s < &srtp_suites[SRTP_SUITE_COUNT];
}

static int
master_check(const struct srtp_master *m)
{
	const unsigned all =
		SRTP_F_UNENCRYPTED_SRTP | SRTP_F_UNENCRYPTED_SRTCP | SRTP_F_UNAUTHENTICATED_SRTP;

	if (m == NULL || !suite_valid(m->suite) || m->mki_len > SRTP_MAX_MKI_LEN ||
		(m->flags & ~all) != 0)
		return -EINVAL;
	/* RFC 7714 14.2: the AEAD tag is not optional */
	if (m->suite->aead && (m->flags & SRTP_F_UNAUTHENTICATED_SRTP))
		return -EINVAL;
	return 0;
}

struct srtp_keys *
srtp_keys_create_session(const struct srtp_master *m, const struct srtp_session_keys *rtp,
	const struct srtp_session_keys *rtcp)
{
	const struct srtp_suite *s;
	struct srtp_keys *k;
	int rc = master_check(m);

	if (rc < 0) {
		errno = -rc;
		return NULL;
	}
	s = m->suite;
	k = calloc(1, sizeof(*k));
	if (k == NULL)
		return NULL;
	k->suite = s;
	k->flags = m->flags;
	k->mki_len = m->mki_len;
	memcpy(k->mki, m->mki, m->mki_len);
	k->rtp_trailer = (uint8_t)(m->mki_len +
				   ((m->flags & SRTP_F_UNAUTHENTICATED_SRTP) ? 0 : s->rtp_tag_len));
	k->rtcp_trailer = (uint8_t)(4 + m->mki_len + s->rtcp_tag_len);
	rc = dir_init(&k->rtp, s, rtp);
	if (rc == 0)
		rc = dir_init(&k->rtcp, s, rtcp);
	if (rc < 0) {
		srtp_keys_free(k);
		errno = -rc;
		return NULL;
	}
	return k;
}

struct srtp_keys *
srtp_keys_create(const struct srtp_master *m)
{
	uint8_t ke[2][SRTP_MAX_KEY_LEN], ka[2][SRTP_HMAC_KEY_LEN], ks[2][SRTP_MAX_SALT_LEN];
	struct srtp_session_keys sk[2];
	const struct srtp_suite *s;
	struct srtp_keys *k = NULL;
	int d, rc = master_check(m);

	if (rc < 0) {
		errno = -rc;
		return NULL;
	}
	s = m->suite;
	/* d = 0: SRTP, labels 0..2; d = 1: SRTCP, labels 3..5 */
	for (d = 0; d < 2 && rc == 0; d++) {
		rc = srtp_kdf(m->key, s->key_len, m->salt, s->salt_len, 3 * d + SRTP_LABEL_RTP_ENC,
			ke[d], s->key_len);
		if (rc == 0 && !s->aead)
			rc = srtp_kdf(m->key, s->key_len, m->salt, s->salt_len,
				3 * d + SRTP_LABEL_RTP_AUTH, ka[d], SRTP_HMAC_KEY_LEN);
		if (rc == 0)
			rc = srtp_kdf(m->key, s->key_len, m->salt, s->salt_len,
				3 * d + SRTP_LABEL_RTP_SALT, ks[d], s->salt_len);
		sk[d] = (struct srtp_session_keys){.enc = ke[d], .salt = ks[d], .auth = ka[d]};
	}
	if (rc == 0)
		k = srtp_keys_create_session(m, &sk[0], &sk[1]);
	else
		errno = -rc;
	OPENSSL_cleanse(ke, sizeof(ke));
	OPENSSL_cleanse(ka, sizeof(ka));
	OPENSSL_cleanse(ks, sizeof(ks));
	return k;
}

void
srtp_keys_free(struct srtp_keys *k)
{
	if (k == NULL)
		return;
	dir_fini(&k->rtp, k->suite);
	dir_fini(&k->rtcp, k->suite);
	OPENSSL_cleanse(k, sizeof(*k));
	free(k);
}
