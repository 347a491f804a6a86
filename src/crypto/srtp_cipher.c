/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-packet primitives (AES-CM, AES-f8, HMAC-SHA1, AES-GCM) and the SRTP
 * transforms built on them. Cipher contexts were keyed once by srtp_kdf.c;
 * here they only get a new IV (dpdk-notes 6.3/6.4). No allocation.
 */
/* SHA1_Update/Final: deprecated in OpenSSL 3, kept for speed (srtp_priv.h) */
#define OPENSSL_API_COMPAT 0x10101000L

#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "crypto/srtp.h"
#include "crypto/srtp_priv.h"

#define F8_CHUNK_BLOCKS 32 /* keystream blocks per EVP call: 512 bytes of stack */

int
srtp_ctr_xor(EVP_CIPHER_CTX *c, const uint8_t iv[16], uint8_t *buf, size_t n)
{
	int l;

	if (n == 0)
		return 0;
	if (EVP_EncryptInit_ex(c, NULL, NULL, NULL, iv) != 1 ||
		EVP_EncryptUpdate(c, buf, &l, buf, (int)n) != 1)
		return -EIO;
	return 0;
}

/*
 * RFC 3711 4.1.2: S(-1) = 0, S(j) = E(k_e, IV' XOR j XOR S(j-1)). That is
 * CBC encryption of the blocks IV' XOR j under a zero IV, so one EVP call
 * yields a whole chunk of key stream.
 */
int
srtp_f8_xor(struct srtp_dir *d, const uint8_t iv[16], uint8_t *buf, size_t n)
{
	static const uint8_t zero_iv[16];
	uint8_t ivp[16], in[F8_CHUNK_BLOCKS * 16], ks[F8_CHUNK_BLOCKS * 16];
	uint32_t j = 0;
	size_t b, nb, m, i;
	int l;

	if (n == 0)
		return 0;
	if (EVP_EncryptUpdate(d->f8_iv, ivp, &l, iv, 16) != 1 || l != 16 ||
		EVP_EncryptInit_ex(d->cipher, NULL, NULL, NULL, zero_iv) != 1)
		return -EIO;
	while (n > 0) {
		nb = (n + 15) / 16;
		if (nb > F8_CHUNK_BLOCKS)
			nb = F8_CHUNK_BLOCKS;
		for (b = 0; b < nb; b++, j++) {
			memcpy(in + 16 * b, ivp, 12);
			srtp_put_be32(in + 16 * b + 12, srtp_be32(ivp + 12) ^ j);
		}
		if (EVP_EncryptUpdate(d->cipher, ks, &l, in, (int)(nb * 16)) != 1)
			return -EIO;
		m = n < nb * 16 ? n : nb * 16;
		for (i = 0; i < m; i++)
			buf[i] ^= ks[i];
		buf += m;
		n -= m;
	}
	return 0;
}

/* HMAC-SHA1(k_a, p[0..n) || tail[0..4)); tail may be NULL */
int
srtp_hmac_sha1(struct srtp_dir *d, const uint8_t *p, size_t n, const uint8_t tail[4],
	uint8_t out[SHA_DIGEST_LENGTH])
{
	uint8_t ih[SHA_DIGEST_LENGTH];
#if SRTP_HMAC_EVP
	unsigned l;

	if (EVP_MD_CTX_copy_ex(d->work, d->ipad) != 1 || EVP_DigestUpdate(d->work, p, n) != 1 ||
		(tail != NULL && EVP_DigestUpdate(d->work, tail, 4) != 1) ||
		EVP_DigestFinal_ex(d->work, ih, &l) != 1 ||
		EVP_MD_CTX_copy_ex(d->work, d->opad) != 1 ||
		EVP_DigestUpdate(d->work, ih, sizeof(ih)) != 1 ||
		EVP_DigestFinal_ex(d->work, out, &l) != 1)
		return -EIO;
#else
	SHA_CTX c = d->ipad;

	SHA1_Update(&c, p, n);
	if (tail != NULL)
		SHA1_Update(&c, tail, 4);
	SHA1_Final(ih, &c);
	c = d->opad;
	SHA1_Update(&c, ih, sizeof(ih));
	SHA1_Final(out, &c);
#endif
	return 0;
}

/*
 * One AES-GCM pass: AAD aad || aad2, then buf[0..n) in place. Sealing writes
 * the tag; opening checks it (OpenSSL compares in constant time).
 */
int
srtp_gcm(EVP_CIPHER_CTX *c, int enc, const uint8_t iv[12], const uint8_t *aad, size_t aad_len,
	const uint8_t *aad2, size_t aad2_len, uint8_t *buf, size_t n, uint8_t tag[16])
{
	uint8_t fin[16];
	int l;

	if (EVP_CipherInit_ex(c, NULL, NULL, NULL, iv, enc) != 1)
		return -EIO;
	if (aad_len > 0 && EVP_CipherUpdate(c, NULL, &l, aad, (int)aad_len) != 1)
		return -EIO;
	if (aad2_len > 0 && EVP_CipherUpdate(c, NULL, &l, aad2, (int)aad2_len) != 1)
		return -EIO;
	if (n > 0 && EVP_CipherUpdate(c, buf, &l, buf, (int)n) != 1)
		return -EIO;
	if (!enc) {
		if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, SRTP_GCM_TAG_LEN, tag) != 1)
			return -EIO;
		return EVP_CipherFinal_ex(c, fin, &l) == 1 ? 0 : -EBADMSG;
	}
	if (EVP_CipherFinal_ex(c, fin, &l) != 1 ||
		EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, SRTP_GCM_TAG_LEN, tag) != 1)
		return -EIO;
	return 0;
}

/* ---- RTP transforms; pk->len excludes the trailer ---- */

int
srtp_cm_rtp_crypt(struct srtp_keys *k, const struct srtp_pkt *pk)
{
	uint8_t iv[16];

	srtp_cm_rtp_iv(k->rtp.salt, pk, iv);
	return srtp_ctr_xor(k->rtp.cipher, iv, pk->p + pk->hlen, pk->len - pk->hlen);
}

/* RFC 3711 4.1.2.2: IV = 0x00 || M || PT || SEQ || TS || SSRC || ROC */
int
srtp_f8_rtp_crypt(struct srtp_keys *k, const struct srtp_pkt *pk)
{
	uint8_t iv[16];

	iv[0] = 0;
	memcpy(iv + 1, pk->p + 1, 11);
	srtp_put_be32(iv + 12, pk->roc);
	return srtp_f8_xor(&k->rtp, iv, pk->p + pk->hlen, pk->len - pk->hlen);
}

/*
 * RFC 3711 3.1: ... || encrypted payload || MKI || tag, where the tag is
 * HMAC-SHA1 over header, encrypted payload and ROC, truncated.
 */
int
srtp_hmac_rtp_protect(struct srtp_keys *k, struct srtp_pkt *pk)
{
	const struct srtp_suite *s = k->suite;
	struct IMB_MGR *mb = srtp_imb_job(&k->rtp, pk->len);
	uint8_t roc[4], tag[SHA_DIGEST_LENGTH];
	int rc;

	if (mb != NULL)
		return srtp_imb_rtp_hmac(mb, k, pk, true);
	if (s->rtp_crypt != NULL && !(k->flags & SRTP_F_UNENCRYPTED_SRTP)) {
		rc = s->rtp_crypt(k, pk);
		if (rc < 0)
			return rc;
	}
	memcpy(pk->p + pk->len, k->mki, k->mki_len);
	if (k->flags & SRTP_F_UNAUTHENTICATED_SRTP)
		return 0;
	srtp_put_be32(roc, pk->roc);
	rc = srtp_hmac_sha1(&k->rtp, pk->p, pk->len, roc, tag);
	if (rc < 0)
		return rc;
	memcpy(pk->p + pk->len + k->mki_len, tag, s->rtp_tag_len);
	return 0;
}

int
srtp_hmac_rtp_unprotect(struct srtp_keys *k, struct srtp_pkt *pk)
{
	const struct srtp_suite *s = k->suite;
	struct IMB_MGR *mb = srtp_imb_job(&k->rtp, pk->len);
	uint8_t roc[4], tag[SHA_DIGEST_LENGTH];
	int rc;

	if (k->mki_len > 0 && CRYPTO_memcmp(pk->p + pk->len, k->mki, k->mki_len) != 0)
		return -ENOKEY;
	if (mb != NULL)
		return srtp_imb_rtp_hmac(mb, k, pk, false);
	if (!(k->flags & SRTP_F_UNAUTHENTICATED_SRTP)) {
		srtp_put_be32(roc, pk->roc);
		rc = srtp_hmac_sha1(&k->rtp, pk->p, pk->len, roc, tag);
		if (rc < 0)
			return rc;
		if (CRYPTO_memcmp(tag, pk->p + pk->len + k->mki_len, s->rtp_tag_len) != 0)
			return -EBADMSG;
	}
	if (s->rtp_crypt != NULL && !(k->flags & SRTP_F_UNENCRYPTED_SRTP))
		return s->rtp_crypt(k, pk);
	return 0;
}

/*
 * RFC 7714 7.1/8.2: header || ciphertext || tag || MKI, the header (with
 * CSRCs and extension) is AAD. Unencrypted SRTP (14.1): the whole packet is
 * AAD and the tag its GMAC.
 */
static int
aead_rtp(struct srtp_keys *k, struct srtp_pkt *pk, int enc)
{
	size_t aad = (k->flags & SRTP_F_UNENCRYPTED_SRTP) ? pk->len : pk->hlen;
	struct IMB_MGR *mb = srtp_imb_gcm(&k->rtp, pk->len);
	uint8_t iv[12];

	if (mb != NULL)
		return srtp_imb_rtp_aead(mb, k, pk, enc);
	srtp_gcm_rtp_iv(k->rtp.salt, pk, iv);
	return srtp_gcm(k->rtp.cipher, enc, iv, pk->p, aad, NULL, 0, pk->p + aad, pk->len - aad,
		pk->p + pk->len);
}

int
srtp_aead_rtp_protect(struct srtp_keys *k, struct srtp_pkt *pk)
{
	int rc = aead_rtp(k, pk, 1);

	if (rc < 0)
		return rc;
	memcpy(pk->p + pk->len + SRTP_GCM_TAG_LEN, k->mki, k->mki_len);
	return 0;
}

int
srtp_aead_rtp_unprotect(struct srtp_keys *k, struct srtp_pkt *pk)
{
	if (k->mki_len > 0 &&
		CRYPTO_memcmp(pk->p + pk->len + SRTP_GCM_TAG_LEN, k->mki, k->mki_len) != 0)
		return -ENOKEY;
	return aead_rtp(k, pk, 0);
}
