/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SRTCP (RFC 3711 3.4, RFC 7714 9 and 17). The first 8 octets (header and
 * sender SSRC) stay clear; the E bit and the 31-bit SRTCP index travel in
 * the packet and are authenticated. Trailer layouts:
 *   AES-CM, F8, NULL:  RTCP || E+index || MKI || tag (10 bytes, also for _32)
 *   AES-GCM:           RTCP (payload encrypted) || tag || E+index || MKI,
 *                      the E+index word being AAD placed last.
 */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "crypto/srtp.h"
#include "crypto/srtp_priv.h"

int
srtcp_cm_crypt(struct srtp_keys *k, const struct srtp_pkt *pk)
{
	uint8_t iv[16];

	srtcp_cm_iv(k->rtcp.salt, pk, iv);
	return srtp_ctr_xor(k->rtcp.cipher, iv, pk->p + 8, pk->len - 8);
}

/* RFC 3711 4.1.2.3: IV = 0..0 (32 bits) || E || index || V P RC PT length || SSRC */
int
srtcp_f8_crypt(struct srtp_keys *k, const struct srtp_pkt *pk)
{
	uint8_t iv[16];

	memset(iv, 0, 4);
	srtp_put_be32(iv + 4, pk->eidx);
	memcpy(iv + 8, pk->p, 8);
	return srtp_f8_xor(&k->rtcp, iv, pk->p + 8, pk->len - 8);
}

int
srtcp_hmac_protect(struct srtp_keys *k, struct srtp_pkt *pk)
{
	const struct srtp_suite *s = k->suite;
	struct IMB_MGR *mb = srtp_imb_job(&k->rtcp, pk->len);
	uint8_t tag[SHA_DIGEST_LENGTH];
	int rc;

	if (mb != NULL)
		return srtcp_imb_hmac(mb, k, pk, true);
	if ((pk->eidx & SRTCP_E_BIT) && s->rtcp_crypt != NULL) {
		rc = s->rtcp_crypt(k, pk);
		if (rc < 0)
			return rc;
	}
	srtp_put_be32(pk->p + pk->len, pk->eidx);
	memcpy(pk->p + pk->len + 4, k->mki, k->mki_len);
	rc = srtp_hmac_sha1(&k->rtcp, pk->p, pk->len + 4, NULL, tag);
	if (rc < 0)
		return rc;
	memcpy(pk->p + pk->len + 4 + k->mki_len, tag, s->rtcp_tag_len);
	return 0;
}

int
srtcp_hmac_unprotect(struct srtp_keys *k, struct srtp_pkt *pk)
{
	const struct srtp_suite *s = k->suite;
	struct IMB_MGR *mb = srtp_imb_job(&k->rtcp, pk->len);
	uint8_t tag[SHA_DIGEST_LENGTH];
	int rc;

	if (k->mki_len > 0 && CRYPTO_memcmp(pk->p + pk->len + 4, k->mki, k->mki_len) != 0)
		return -ENOKEY;
	if (mb != NULL)
		return srtcp_imb_hmac(mb, k, pk, false);
	rc = srtp_hmac_sha1(&k->rtcp, pk->p, pk->len + 4, NULL, tag);
	if (rc < 0)
		return rc;
	if (CRYPTO_memcmp(tag, pk->p + pk->len + 4 + k->mki_len, s->rtcp_tag_len) != 0)
		return -EBADMSG;
	if ((pk->eidx & SRTCP_E_BIT) && s->rtcp_crypt != NULL)
		return s->rtcp_crypt(k, pk);
	return 0;
}

/* RFC 7714 9.1 and 17: AAD is the first 8 octets (the whole packet when E = 0), then E+index */
static int
aead_rtcp(struct srtp_keys *k, struct srtp_pkt *pk, int enc, const uint8_t word[4])
{
	size_t aad = (pk->eidx & SRTCP_E_BIT) ? 8 : pk->len;
	uint8_t iv[12];

	srtcp_gcm_iv(k->rtcp.salt, pk, iv);
	return srtp_gcm(k->rtcp.cipher, enc, iv, pk->p, aad, word, 4, pk->p + aad, pk->len - aad,
		pk->p + pk->len);
}

int
srtcp_aead_protect(struct srtp_keys *k, struct srtp_pkt *pk)
{
	struct IMB_MGR *mb = srtp_imb_gcm(&k->rtcp, pk->len);
	uint8_t word[4];
	int rc;

	if (mb != NULL)
		return srtcp_imb_aead(mb, k, pk, true);
	srtp_put_be32(word, pk->eidx);
	rc = aead_rtcp(k, pk, 1, word);
	if (rc < 0)
		return rc;
	memcpy(pk->p + pk->len + SRTP_GCM_TAG_LEN, word, 4);
	memcpy(pk->p + pk->len + SRTP_GCM_TAG_LEN + 4, k->mki, k->mki_len);
	return 0;
}

int
srtcp_aead_unprotect(struct srtp_keys *k, struct srtp_pkt *pk)
{
	const uint8_t *word = pk->p + pk->len + SRTP_GCM_TAG_LEN;
	struct IMB_MGR *mb = srtp_imb_gcm(&k->rtcp, pk->len);

	if (k->mki_len > 0 && CRYPTO_memcmp(word + 4, k->mki, k->mki_len) != 0)
		return -ENOKEY;
	if (mb != NULL)
		return srtcp_imb_aead(mb, k, pk, false);
	return aead_rtcp(k, pk, 0, word);
}

/* ---- packet path ---- */

int
srtcp_protect(struct srtp_ctx *ctx, uint8_t *pkt, size_t *len, size_t cap)
{
	struct srtp_keys *k = ctx->keys;
	const struct srtp_suite *s = k->suite;
	struct srtp_ssrc *st;
	struct srtp_pkt pk;
	uint32_t idx = 0;
	bool enc;
	int slot, rc;

	if (*len < 8 || *len > SRTP_MAX_PACKET_LEN || (pkt[0] & 0xc0) != 0x80)
		return -EINVAL;
	if (cap < *len || cap - *len < ctx->rtcp_trailer)
		return -ENOSPC;
	pk = (struct srtp_pkt){.p = pkt, .hlen = 8, .len = *len, .ssrc = srtp_be32(pkt + 4)};
	slot = srtp_slot_find(ctx, pk.ssrc);
	if (slot >= 0 && (ctx->slot[slot].flags & SRTP_SSRC_RTCP)) {
		/* RFC 3711 3.3.2: a new master key is due before the index wraps */
		if (ctx->slot[slot].rtcp_idx >= SRTCP_INDEX_MASK)
			return -EOVERFLOW;
		idx = ctx->slot[slot].rtcp_idx + 1;
	}
	/* the NULL cipher sends E = 0, as libsrtp does */
	enc = s->evp_cipher != NULL && !(k->flags & SRTP_F_UNENCRYPTED_SRTCP);
	pk.eidx = idx | (enc ? SRTCP_E_BIT : 0);
	rc = s->rtcp_protect(k, &pk);
	if (rc < 0)
		return rc;
	st = slot >= 0 ? &ctx->slot[slot] : srtp_slot_claim(ctx, pk.ssrc);
	st->rtcp_idx = idx;
	st->flags |= SRTP_SSRC_RTCP;
	st->lru = ++ctx->clock;
	*len += ctx->rtcp_trailer;
	return 0;
}

int
srtcp_unprotect(struct srtp_ctx *ctx, uint8_t *pkt, size_t *len)
{
	struct srtp_keys *k = ctx->keys;
	const struct srtp_suite *s = k->suite;
	struct srtp_ssrc *st = NULL;
	struct srtp_pkt pk;
	uint64_t hi;
	uint32_t idx;
	int slot, rc;

	if (*len < 8 + (size_t)ctx->rtcp_trailer || *len > SRTP_MAX_PACKET_LEN ||
		(pkt[0] & 0xc0) != 0x80)
		return -EINVAL;
	pk = (struct srtp_pkt){
		.p = pkt, .hlen = 8, .len = *len - ctx->rtcp_trailer, .ssrc = srtp_be32(pkt + 4)};
	pk.eidx = srtp_be32(pkt + pk.len + (s->aead ? SRTP_GCM_TAG_LEN : 0));
	idx = pk.eidx & SRTCP_INDEX_MASK;
	slot = srtp_slot_find(ctx, pk.ssrc);
	if (slot >= 0 && (ctx->slot[slot].flags & SRTP_SSRC_RTCP)) {
		st = &ctx->slot[slot];
		rc = srtp_replay_check(st->rtcp_idx, st->rtcp_win, idx);
		if (rc < 0)
			return rc;
	}
	rc = s->rtcp_unprotect(k, &pk);
	if (rc < 0)
		return rc;
	if (st != NULL) {
		hi = st->rtcp_idx;
		srtp_replay_update(&hi, st->rtcp_win, idx);
		st->rtcp_idx = (uint32_t)hi;
	} else {
		st = slot >= 0 ? &ctx->slot[slot] : srtp_slot_claim(ctx, pk.ssrc);
		st->rtcp_idx = idx;
		st->rtcp_win[0] = 1;
		st->rtcp_win[1] = 0;
	}
	st->flags |= SRTP_SSRC_RTCP | SRTP_SSRC_RTCP_RX;
	st->lru = ++ctx->clock;
	*len = pk.len;
	return 0;
}
