/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_SRTP_PRIV_H
#define SL_SRTP_PRIV_H

/*
 * Internals shared by srtp.c (suites, ctx, RTP), srtcp.c, srtp_kdf.c (key
 * setup) and srtp_cipher.c (per-packet primitives), plus hooks for the
 * known-answer tests. Not for the data plane.
 */

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "crypto/srtp.h"

/*
 * HMAC-SHA1 reuse pattern (dpdk-notes 6.3): copying a SHA_CTX that already
 * absorbed the ipad/opad block is the fastest (SHA1_* is deprecated in
 * OpenSSL 3 but present). Build with -DSRTP_HMAC_EVP=1 for the
 * EVP_MD_CTX_copy_ex variant (about +90 ns per packet).
 */
#ifndef SRTP_HMAC_EVP
#define SRTP_HMAC_EVP 0
#endif

#define SRTP_HMAC_KEY_LEN 20	       /* HMAC-SHA1 session key (RFC 3711 4.2.1) */
#define SRTP_MAX_PACKET_LEN (1u << 24) /* EVP lengths are int; UDP needs 64 KiB */
#define SRTP_GCM_TAG_LEN 16

/* KDF labels (RFC 3711 4.3.2) */
enum srtp_label {
	SRTP_LABEL_RTP_ENC = 0,
	SRTP_LABEL_RTP_AUTH = 1,
	SRTP_LABEL_RTP_SALT = 2,
	SRTP_LABEL_RTCP_ENC = 3,
	SRTP_LABEL_RTCP_AUTH = 4,
	SRTP_LABEL_RTCP_SALT = 5,
};

struct IMB_MGR;

/*
 * One of the SRTP / SRTCP halves of a key set. owner: the lcore using it.
 * Both engines' state is kept: a thread without an intel-ipsec-mb manager
 * (or one forced to OpenSSL) must still be able to use any key set.
 */
struct srtp_dir {
	EVP_CIPHER_CTX *cipher;		 /* CTR, GCM or F8's CBC, keyed once; NULL: NULL cipher */
	EVP_CIPHER_CTX *f8_iv;		 /* F8: ECB keyed with k_e XOR (k_s || 0x55..) for IV' */
	void *imb; /* intel-ipsec-mb key schedule (srtp_imb.c); NULL: OpenSSL only */
	uint8_t salt[SRTP_MAX_SALT_LEN]; /* session salt */
#if SRTP_HMAC_EVP
	EVP_MD_CTX *ipad, *opad, *work;
#else
	SHA_CTX ipad, opad; /* SHA1 state after the (k_a ^ 0x36..) / (k_a ^ 0x5c..) block */
#endif
};

/*
 * Built by the control thread, then used by one lcore. Field order: what
 * every packet reads (suite, flags, MKI) first, then the SRTP half, then
 * the SRTCP half (RTCP is about 1 % of the packets).
 */
struct srtp_keys {
	const struct srtp_suite *suite;
	unsigned flags; /* SRTP_F_* */
	uint8_t mki_len;
	uint8_t rtp_trailer;  /* MKI + tag (tag absent with UNAUTHENTICATED_SRTP) */
	uint8_t rtcp_trailer; /* E+index + MKI + tag */
	uint8_t mki[SRTP_MAX_MKI_LEN];
	struct srtp_dir rtp, rtcp;
};
_Static_assert(sizeof(struct srtp_keys) <= 512, "srtp_keys: 8 cache lines at most");

/* A packet between parsing and its transform */
struct srtp_pkt {
	uint8_t *p;    /* packet start */
	size_t hlen;   /* RTP: header with CSRCs and extension; RTCP: 8 */
	size_t len;    /* header + payload (the encrypted portion), no trailer */
	uint32_t ssrc; /* host order */
	uint32_t roc;  /* RTP: rollover counter of this packet */
	uint32_t eidx; /* RTCP: E bit | 31-bit SRTCP index, host order */
};

/* Session keys given directly (RFC 7714 vectors skip the KDF) */
struct srtp_session_keys {
	const uint8_t *enc;  /* suite->key_len bytes */
	const uint8_t *salt; /* suite->salt_len bytes */
	const uint8_t *auth; /* SRTP_HMAC_KEY_LEN bytes; unused for AEAD */
};

static inline uint16_t
srtp_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
srtp_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void
srtp_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* struct srtp_ssrc.flags */
#define SRTP_SSRC_RTP 0x1     /* rtp_idx/rtp_win hold state */
#define SRTP_SSRC_RTCP 0x2    /* rtcp_idx/rtcp_win hold state */
#define SRTP_SSRC_RTCP_RX 0x4 /* that SRTCP state is receiver state (restarts on re-key) */

#define SRTCP_E_BIT 0x80000000u
#define SRTCP_INDEX_MASK 0x7fffffffu

/* @return the slot holding @p ssrc, or -1 */
static inline int
srtp_slot_find(const struct srtp_ctx *ctx, uint32_t ssrc)
{
	unsigned i;

	for (i = 0; i < SRTP_SSRC_SLOTS; i++)
		if (ctx->ssrc[i] == ssrc && (ctx->used >> i & 1))
			return (int)i;
	return -1;
}

/*
 * Replay check against a 128-entry window below the highest index @p hi
 * (bit n of win: index hi - n done). A new SSRC has no window: callers skip
 * the check until the first packet is committed.
 */
static inline int
srtp_replay_check(uint64_t hi, const uint64_t win[2], uint64_t idx)
{
	uint64_t d;

	if (idx > hi)
		return 0;
	d = hi - idx;
	if (d >= SRTP_REPLAY_WINDOW)
		return -ESTALE;
	if (win[d >> 6] >> (d & 63) & 1)
		return -EALREADY;
	return 0;
}

/* Mark @p idx done; it passed srtp_replay_check() */
static inline void
srtp_replay_update(uint64_t *hi, uint64_t win[2], uint64_t idx)
{
	uint64_t d;

	if (idx > *hi) {
		d = idx - *hi;
		if (d >= 128) {
			win[1] = 0;
			win[0] = 0;
		} else if (d >= 64) {
			win[1] = win[0] << (d - 64);
			win[0] = 0;
		} else {
			win[1] = win[1] << d | win[0] >> (64 - d);
			win[0] <<= d;
		}
		win[0] |= 1;
		*hi = idx;
	} else {
		d = *hi - idx;
		win[d >> 6] |= 1ull << (d & 63);
	}
}

/* ---- IVs, shared by both engines so that they cannot disagree ---- */

/* RFC 3711 4.1.1: IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (index * 2^16) */
static inline void
srtp_cm_rtp_iv(const uint8_t salt[14], const struct srtp_pkt *pk, uint8_t iv[16])
{
	const uint8_t *p = pk->p;
	int i;

	memcpy(iv, salt, 14);
	iv[14] = 0;
	iv[15] = 0;
	for (i = 0; i < 4; i++)
		iv[4 + i] ^= p[8 + i];
	iv[8] ^= (uint8_t)(pk->roc >> 24);
	iv[9] ^= (uint8_t)(pk->roc >> 16);
	iv[10] ^= (uint8_t)(pk->roc >> 8);
	iv[11] ^= (uint8_t)pk->roc;
	iv[12] ^= p[2];
	iv[13] ^= p[3];
}

/* RFC 3711 4.1.1 with i = SRTCP index */
static inline void
srtcp_cm_iv(const uint8_t salt[14], const struct srtp_pkt *pk, uint8_t iv[16])
{
	uint32_t idx = pk->eidx & SRTCP_INDEX_MASK;
	int i;

	memcpy(iv, salt, 14);
	iv[14] = 0;
	iv[15] = 0;
	for (i = 0; i < 4; i++)
		iv[4 + i] ^= pk->p[4 + i];
	iv[10] ^= (uint8_t)(idx >> 24);
	iv[11] ^= (uint8_t)(idx >> 16);
	iv[12] ^= (uint8_t)(idx >> 8);
	iv[13] ^= (uint8_t)idx;
}

/* RFC 7714 8.1: IV = (0x0000 || SSRC || ROC || SEQ) XOR salt */
static inline void
srtp_gcm_rtp_iv(const uint8_t salt[12], const struct srtp_pkt *pk, uint8_t iv[12])
{
	const uint8_t *p = pk->p;
	int i;

	memcpy(iv, salt, 12);
	for (i = 0; i < 4; i++)
		iv[2 + i] ^= p[8 + i];
	iv[6] ^= (uint8_t)(pk->roc >> 24);
	iv[7] ^= (uint8_t)(pk->roc >> 16);
	iv[8] ^= (uint8_t)(pk->roc >> 8);
	iv[9] ^= (uint8_t)pk->roc;
	iv[10] ^= p[2];
	iv[11] ^= p[3];
}

/* RFC 7714 9.1: IV = (0x0000 || SSRC || 0x0000 || 0 || index) XOR salt */
static inline void
srtcp_gcm_iv(const uint8_t salt[12], const struct srtp_pkt *pk, uint8_t iv[12])
{
	uint32_t idx = pk->eidx & SRTCP_INDEX_MASK;
	int i;

	memcpy(iv, salt, 12);
	for (i = 0; i < 4; i++)
		iv[2 + i] ^= pk->p[4 + i];
	iv[8] ^= (uint8_t)(idx >> 24);
	iv[9] ^= (uint8_t)(idx >> 16);
	iv[10] ^= (uint8_t)(idx >> 8);
	iv[11] ^= (uint8_t)idx;
}

/* ---- intel-ipsec-mb engine (srtp_imb.c) ---- */

/*
 * The calling thread's managers, set by srtp_engine_thread_init(); NULL:
 * this thread uses OpenSSL. @c srtp_mb_job runs AES-CM + HMAC-SHA1 jobs,
 * @c srtp_mb_gcm the direct AES-GCM calls; they may be the same manager.
 * initial-exec: one %fs-relative load per packet, no __tls_get_addr.
 */
extern __thread struct IMB_MGR *srtp_mb_job __attribute__((tls_model("initial-exec")));
extern __thread struct IMB_MGR *srtp_mb_gcm __attribute__((tls_model("initial-exec")));

/*
 * Longest packet (without trailer) the library path takes: its HMAC lanes
 * take at most 65534 bytes and the hashed part is the packet + 4 (ROC or
 * E+index). Far below 2^16 AES blocks, so the CTR counter (low 16 bits of
 * the IV, zero at the start) cannot carry into the IV's other bits, where
 * counter widths could differ. UDP payloads are shorter anyway; longer
 * packets go to OpenSSL.
 */
#define SRTP_IMB_MAX_LEN (65534u - 4)

/* @return the manager to run @p d's HMAC family transform with, or NULL for OpenSSL */
static inline struct IMB_MGR *
srtp_imb_job(const struct srtp_dir *d, size_t len)
{
	return d->imb != NULL && len <= SRTP_IMB_MAX_LEN ? srtp_mb_job : NULL;
}

/* @return the manager to run @p d's AES-GCM transform with, or NULL for OpenSSL */
static inline struct IMB_MGR *
srtp_imb_gcm(const struct srtp_dir *d, size_t len)
{
	return d->imb != NULL && len <= SRTP_IMB_MAX_LEN ? srtp_mb_gcm : NULL;
}

/* Key @p d for the library (AES-CM, NULL cipher or AES-GCM suites); 0 or -errno */
int srtp_imb_dir_init(struct srtp_dir *d, const struct srtp_suite *s,
	const struct srtp_session_keys *sk);
void srtp_imb_dir_fini(struct srtp_dir *d, const struct srtp_suite *s);

int srtp_imb_rtp_hmac(struct IMB_MGR *mb, struct srtp_keys *k, struct srtp_pkt *pk, bool protect);
int srtp_imb_rtp_aead(struct IMB_MGR *mb, struct srtp_keys *k, struct srtp_pkt *pk, bool protect);
int srtcp_imb_hmac(struct IMB_MGR *mb, struct srtp_keys *k, struct srtp_pkt *pk, bool protect);
int srtcp_imb_aead(struct IMB_MGR *mb, struct srtp_keys *k, struct srtp_pkt *pk, bool protect);

/* srtp.c: a slot for @p ssrc once its first packet passed (free, else LRU) */
struct srtp_ssrc *srtp_slot_claim(struct srtp_ctx *ctx, uint32_t ssrc);

/* srtp_kdf.c */
int srtp_kdf(const uint8_t *mkey, size_t mkey_len, const uint8_t *msalt, size_t msalt_len,
	enum srtp_label label, uint8_t *out, size_t out_len);
struct srtp_keys *srtp_keys_create_session(const struct srtp_master *m,
	const struct srtp_session_keys *rtp, const struct srtp_session_keys *rtcp);

/* srtp_cipher.c: primitives */
int srtp_ctr_xor(EVP_CIPHER_CTX *c, const uint8_t iv[16], uint8_t *buf, size_t n);
int srtp_f8_xor(struct srtp_dir *d, const uint8_t iv[16], uint8_t *buf, size_t n);
int srtp_hmac_sha1(struct srtp_dir *d, const uint8_t *p, size_t n, const uint8_t tail[4],
	uint8_t out[SHA_DIGEST_LENGTH]);
int srtp_gcm(EVP_CIPHER_CTX *c, int enc, const uint8_t iv[12], const uint8_t *aad, size_t aad_len,
	const uint8_t *aad2, size_t aad2_len, uint8_t *buf, size_t n, uint8_t tag[16]);

/* srtp_cipher.c: suite transforms (referenced from the suite table) */
int srtp_hmac_rtp_protect(struct srtp_keys *k, struct srtp_pkt *pk);
int srtp_hmac_rtp_unprotect(struct srtp_keys *k, struct srtp_pkt *pk);
int srtp_aead_rtp_protect(struct srtp_keys *k, struct srtp_pkt *pk);
int srtp_aead_rtp_unprotect(struct srtp_keys *k, struct srtp_pkt *pk);
int srtp_cm_rtp_crypt(struct srtp_keys *k, const struct srtp_pkt *pk);
int srtp_f8_rtp_crypt(struct srtp_keys *k, const struct srtp_pkt *pk);

/* srtcp.c */
int srtcp_hmac_protect(struct srtp_keys *k, struct srtp_pkt *pk);
int srtcp_hmac_unprotect(struct srtp_keys *k, struct srtp_pkt *pk);
int srtcp_aead_protect(struct srtp_keys *k, struct srtp_pkt *pk);
int srtcp_aead_unprotect(struct srtp_keys *k, struct srtp_pkt *pk);
int srtcp_cm_crypt(struct srtp_keys *k, const struct srtp_pkt *pk);
int srtcp_f8_crypt(struct srtp_keys *k, const struct srtp_pkt *pk);

#endif /* SL_SRTP_PRIV_H */
