/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_SRTP_H
#define SL_SRTP_H

/**
 * @file
 * SRTP and SRTCP (RFC 3711, 6188, 7714) for the worker lcores: per-packet
 * crypto on intel-ipsec-mb, or OpenSSL 3 EVP where that is not available.
 *
 * Two objects:
 *  - struct srtp_keys (opaque): the key material of one direction of one leg:
 *    session keys for SRTP and SRTCP, cipher contexts keyed once, HMAC
 *    ipad/opad state. The control thread builds and frees it; one lcore at a
 *    time uses it (the cipher contexts are re-IV'd per packet).
 *  - struct srtp_ctx: what a worker holds per direction per leg: the current
 *    keys and the per-SSRC state (ROC, highest SEQ, replay windows, SRTCP
 *    index) of up to SRTP_SSRC_SLOTS SSRCs, LRU-replaced. Re-keying swaps the
 *    keys and keeps that state (RFC 3711 3.3.1: the ROC is not reset).
 * A ctx either protects or unprotects: its state is sender or receiver state.
 *
 * Packet functions work in place, never allocate, and return 0 or one of
 * the SRTP_ERRORS below (negative errno). On error the per-SSRC state is
 * unchanged; after -EBADMSG the packet bytes are unspecified.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Error returns of the packet functions: X(name, errno, text). */
#define SRTP_ERRORS(X)                                                                             \
	X(MALFORMED, EINVAL, "malformed, too short or too long")                                   \
	X(NOROOM, ENOSPC, "no room for the trailer")                                               \
	X(AUTH, EBADMSG, "authentication failed")                                                  \
	X(REPLAY, EALREADY, "replayed index")                                                      \
	X(OLD, ESTALE, "index older than the replay window")                                       \
	X(MKI, ENOKEY, "unknown MKI")                                                              \
	X(EXHAUSTED, EOVERFLOW, "SRTCP index exhausted, re-key")                                   \
	X(CRYPTO, EIO, "crypto library failure")

/** Suites in rtpengine's default SDES offer order (rtpengine-compat.md 4.4). */
enum srtp_suite_id {
	SRTP_AEAD_AES_256_GCM,
	SRTP_AEAD_AES_128_GCM,
	SRTP_AES_256_CM_SHA1_80,
	SRTP_AES_256_CM_SHA1_32,
	SRTP_AES_192_CM_SHA1_80,
	SRTP_AES_192_CM_SHA1_32,
	SRTP_AES_128_CM_SHA1_80,
	SRTP_AES_128_CM_SHA1_32,
	SRTP_F8_128_SHA1_80,
	SRTP_F8_128_SHA1_32,
	SRTP_NULL_SHA1_80,
	SRTP_NULL_SHA1_32,
	SRTP_SUITE_COUNT
};

#define SRTP_MAX_KEY_LEN 32
#define SRTP_MAX_SALT_LEN 14
#define SRTP_MAX_MKI_LEN 16
/** Most bytes srtp_protect/srtcp_protect append: E+index, MKI, tag. */
#define SRTP_MAX_TRAILER_LEN (4 + SRTP_MAX_MKI_LEN + 16)

/* Session parameters (RFC 4568 6.3); they travel with the keys. */
#define SRTP_F_UNENCRYPTED_SRTP (1u << 0)
#define SRTP_F_UNENCRYPTED_SRTCP (1u << 1)
#define SRTP_F_UNAUTHENTICATED_SRTP (1u << 2)

struct srtp_keys;
struct srtp_pkt;

/** One suite; the packet transforms are chosen here once, never per packet. */
struct srtp_suite {
	const char *name;	/* RFC 4568/6188/7714 spelling */
	const char *alias;	/* legacy spelling (AES_CM_256_...) or NULL */
	const char *evp_cipher; /* OpenSSL packet cipher; NULL: NULL cipher */
	uint16_t dtls_profile;	/* RFC 5764/7714 SRTPProtectionProfile; 0: none */
	uint8_t key_len;	/* master = session encryption key bytes */
	uint8_t salt_len;	/* master salt bytes: 14, or 12 for AEAD */
	uint8_t rtp_tag_len;	/* SRTP tag bytes */
	uint8_t rtcp_tag_len;	/* SRTCP tag bytes: 10 for _32 too (RFC 4568 6.2) */
	bool aead;		/* AES-GCM: no HMAC key, the tag comes from GCM */
	int (*rtp_protect)(struct srtp_keys *k, struct srtp_pkt *pk);
	int (*rtp_unprotect)(struct srtp_keys *k, struct srtp_pkt *pk);
	int (*rtcp_protect)(struct srtp_keys *k, struct srtp_pkt *pk);
	int (*rtcp_unprotect)(struct srtp_keys *k, struct srtp_pkt *pk);
	/* HMAC family: keystream XOR of the payload (AES-CM or F8); NULL for AEAD or NULL cipher */
	int (*rtp_crypt)(struct srtp_keys *k, const struct srtp_pkt *pk);
	int (*rtcp_crypt)(struct srtp_keys *k, const struct srtp_pkt *pk);
};

extern const struct srtp_suite srtp_suites[SRTP_SUITE_COUNT];

/** Master key material and session parameters of one direction (SDES or DTLS-SRTP). */
struct srtp_master {
	const struct srtp_suite *suite;
	uint8_t key[SRTP_MAX_KEY_LEN];	 /* suite->key_len bytes used */
	uint8_t salt[SRTP_MAX_SALT_LEN]; /* suite->salt_len bytes used */
	uint8_t mki[SRTP_MAX_MKI_LEN];	 /* MKI carried in every packet, big-endian */
	uint8_t mki_len;		 /* 0: no MKI */
	unsigned flags;			 /* SRTP_F_* */
};

#define SRTP_SSRC_SLOTS 8
#define SRTP_REPLAY_WINDOW 128

/** Per-SSRC state, one cache line. owner: the lcore using the ctx. */
struct srtp_ssrc {
	uint64_t rtp_idx;     /* highest index sent/authenticated: ROC << 16 | SEQ */
	uint64_t rtp_win[2];  /* bit n: index rtp_idx - n done, n < 128 */
	uint64_t rtcp_win[2]; /* bit n: SRTCP index rtcp_idx - n done */
	uint32_t rtcp_idx;    /* highest SRTCP index sent/authenticated (31 bits) */
	uint32_t lru;	      /* ctx->clock at last use */
	uint16_t flags;	      /* SRTP_SSRC_* (srtp_priv.h) */
} __attribute__((aligned(64)));
_Static_assert(sizeof(struct srtp_ssrc) == 64, "srtp_ssrc is one cache line");

/**
 * Field order: everything a packet needs before it touches its slot (keys,
 * trailer sizes, the SSRC keys scanned linearly) is in the first cache line.
 */
struct srtp_ctx {
	struct srtp_keys *keys;		/* current keys, owned by the ctx */
	uint32_t clock;			/* LRU clock, +1 per packet */
	uint16_t used;			/* bit i: slot i holds ssrc[i] */
	uint8_t rtp_trailer;		/* bytes srtp_protect appends */
	uint8_t rtcp_trailer;		/* bytes srtcp_protect appends */
	uint32_t ssrc[SRTP_SSRC_SLOTS]; /* slot keys */
	struct srtp_ssrc slot[SRTP_SSRC_SLOTS];
};
_Static_assert(sizeof(struct srtp_ctx) == 64 * (1 + SRTP_SSRC_SLOTS), "srtp_ctx layout");

/** A stream's state, for HA replication and tests. */
struct srtp_ssrc_info {
	uint32_t ssrc;
	bool rtp_valid;	     /* roc/seq below are set */
	uint32_t roc;	     /* rollover counter */
	uint16_t seq;	     /* highest SEQ sent/authenticated (s_l) */
	bool rtcp_valid;     /* rtcp_index is set */
	uint32_t rtcp_index; /* highest SRTCP index sent/authenticated */
};

/**
 * Per-packet engines. AES-CM, HMAC-SHA1 and AES-GCM run on intel-ipsec-mb
 * when the library initialises on this CPU (AES-NI, PCLMULQDQ) and the
 * calling thread has its managers; OpenSSL runs them otherwise, and always
 * runs AES-f8 and the KDF. Key sets carry both engines' state, so any
 * thread can use any key set; both produce the same bytes.
 */

/**
 * Probe the library once per process (idempotent, thread-safe; also done
 * by the first key set-up). SLUICE_SRTP_ENGINE=openssl in the environment
 * keeps the process on OpenSSL.
 * @return 0 if intel-ipsec-mb is usable, -ENOTSUP if OpenSSL is the engine.
 */
int srtp_engine_init(void);

/** @return static text naming the process's engine, for the start-up log. */
const char *srtp_engine_name(void);

/**
 * Give the calling thread its intel-ipsec-mb managers (worker launch, the
 * control thread, test set-up). Allocates: never call it on the packet
 * path. Idempotent. A thread that never calls it uses OpenSSL.
 * @return 0 (also when the process uses OpenSSL) or -ENOMEM.
 */
int srtp_engine_thread_init(void);

/** Free the calling thread's managers; it uses OpenSSL from then on. */
void srtp_engine_thread_fini(void);

/** Tests: put the calling thread on OpenSSL (true) or back on its managers (false). */
void srtp_engine_force_openssl(bool on);

/** @return true if the calling thread's packet functions run on intel-ipsec-mb. */
bool srtp_engine_thread_uses_imb(void);

/** @return the suite named @p name (either spelling, any case) or NULL. */
const struct srtp_suite *srtp_suite_find(const char *name, size_t len);

/** @return the suite of a DTLS-SRTP protection profile (RFC 5764 4.1.2, RFC 7714 14.2) or NULL. */
const struct srtp_suite *srtp_suite_by_dtls_profile(uint16_t profile);

/** @return static text for a packet function's return value. */
const char *srtp_strerror(int rc);

/**
 * Derive session keys (RFC 3711 4.3, kdr 0) and key the ciphers. Control thread.
 * @return keys, or NULL with errno EINVAL (bad suite, MKI length, or
 *   UNAUTHENTICATED_SRTP with an AEAD suite), ENOMEM or EIO.
 */
struct srtp_keys *srtp_keys_create(const struct srtp_master *m);

/** Wipe and free keys (NULL is a no-op). Control thread. */
void srtp_keys_free(struct srtp_keys *k);

/**
 * Fill @p ctx: keys from @p m, no SSRC state. Pair with srtp_ctx_fini().
 * @return 0, -EINVAL, -ENOMEM or -EIO.
 */
int srtp_ctx_init(struct srtp_ctx *ctx, const struct srtp_master *m);

/** Free the ctx's keys and wipe it. */
void srtp_ctx_fini(struct srtp_ctx *ctx);

/** Allocate (cache-aligned) and init a ctx; NULL with errno as srtp_ctx_init. */
struct srtp_ctx *srtp_ctx_create(const struct srtp_master *m);

/** srtp_ctx_fini() and free (NULL is a no-op). */
void srtp_ctx_free(struct srtp_ctx *ctx);

/**
 * Install new keys, keeping every SSRC's ROC, SEQ and replay state and the
 * SRTCP send index; the SRTCP receive window restarts (the peer may restart
 * its index with the new key; old-key packets fail authentication anyway).
 * O(1), no allocation: a worker applies a rekey message with it. @p k != NULL.
 * @return the previous keys, for the control thread to srtp_keys_free().
 */
struct srtp_keys *srtp_ctx_swap_keys(struct srtp_ctx *ctx, struct srtp_keys *k);

/**
 * srtp_keys_create() + srtp_ctx_swap_keys() + free the old keys.
 * @return 0, or -errno as srtp_keys_create (the ctx is then unchanged).
 */
int srtp_ctx_rekey(struct srtp_ctx *ctx, const struct srtp_master *m);

/** Copy the state of @p ssrc into @p out; @return 0 or -ENOENT. */
int srtp_ctx_get_ssrc(const struct srtp_ctx *ctx, uint32_t ssrc, struct srtp_ssrc_info *out);

/**
 * Create or overwrite the state of in->ssrc (HA restore, tests). Every index
 * up to the given one counts as already done.
 * @return 0, or -EINVAL (no part valid, or rtcp_index over 31 bits).
 */
int srtp_ctx_set_ssrc(struct srtp_ctx *ctx, const struct srtp_ssrc_info *in);

/**
 * RTP -> SRTP in place: encrypt the payload, append MKI and tag. A SEQ
 * already sent is refused (-EALREADY): its key stream would be reused.
 * @param len  in: RTP packet bytes; out: SRTP packet bytes
 * @param cap  bytes writable at @p pkt (at least *len + ctx->rtp_trailer)
 * @return 0, -EINVAL, -ENOSPC, -EALREADY, -ESTALE or -EIO.
 */
int srtp_rtp_protect(struct srtp_ctx *ctx, uint8_t *pkt, size_t *len, size_t cap);

/**
 * SRTP -> RTP in place: check replay, authenticate, decrypt, strip trailer.
 * @return 0, -EINVAL, -EBADMSG, -EALREADY, -ESTALE, -ENOKEY or -EIO.
 */
int srtp_rtp_unprotect(struct srtp_ctx *ctx, uint8_t *pkt, size_t *len);

/**
 * RTCP -> SRTCP in place (compound packet): E bit + index, MKI, tag. An
 * SSRC's first SRTCP index is 0 (RFC 3711 3.3.2; libsrtp starts at 1).
 * @return 0, -EINVAL, -ENOSPC, -EOVERFLOW or -EIO.
 */
int srtcp_protect(struct srtp_ctx *ctx, uint8_t *pkt, size_t *len, size_t cap);

/**
 * SRTCP -> RTCP in place; honours the E bit of each packet.
 * @return 0, -EINVAL, -EBADMSG, -EALREADY, -ESTALE, -ENOKEY or -EIO.
 */
int srtcp_unprotect(struct srtp_ctx *ctx, uint8_t *pkt, size_t *len);

/**
 * Prefetch the keys @p ctx points to (its first line must be on its way
 * already): for a staged burst, a stage ahead of the packet function.
 */
static inline void
srtp_ctx_prefetch(const struct srtp_ctx *ctx)
{
	__builtin_prefetch(ctx->keys);
	__builtin_prefetch((const char *)ctx->keys + 64);
}

#endif /* SL_SRTP_H */
