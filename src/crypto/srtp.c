/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SRTP: the suite table, contexts and their per-SSRC state, and the RTP
 * packet path (parse, RFC 3711 Appendix A index estimate, replay check,
 * transform, commit). SRTCP is in srtcp.c, key setup in srtp_kdf.c, the
 * cipher and MAC primitives in srtp_cipher.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crypto/srtp.h"
#include "crypto/srtp_priv.h"

#define HMAC_FAMILY(rtp_c, rtcp_c)                                                                 \
	.aead = false, .rtp_protect = srtp_hmac_rtp_protect,                                       \
	.rtp_unprotect = srtp_hmac_rtp_unprotect, .rtcp_protect = srtcp_hmac_protect,              \
	.rtcp_unprotect = srtcp_hmac_unprotect, .rtp_crypt = (rtp_c), .rtcp_crypt = (rtcp_c)
#define CM_FAMILY HMAC_FAMILY(srtp_cm_rtp_crypt, srtcp_cm_crypt)
#define F8_FAMILY HMAC_FAMILY(srtp_f8_rtp_crypt, srtcp_f8_crypt)
#define NULL_FAMILY HMAC_FAMILY(NULL, NULL)
#define AEAD_FAMILY                                                                                \
	.aead = true, .rtp_protect = srtp_aead_rtp_protect,                                        \
	.rtp_unprotect = srtp_aead_rtp_unprotect, .rtcp_protect = srtcp_aead_protect,              \
	.rtcp_unprotect = srtcp_aead_unprotect

/*
 * Lengths: RFC 4568 6.2 (AES-CM 128, F8, NULL), RFC 6188 (AES-CM 192/256),
 * RFC 7714 12 (GCM: 12-byte salt, 16-byte tags). SRTCP tags stay 80 bits for
 * the _32 suites. F8_128_HMAC_SHA1_32 is not in RFC 4568 but rtpengine offers it.
 */
/* one suite per entry, read as a table */
/* clang-format off */
const struct srtp_suite srtp_suites[SRTP_SUITE_COUNT] = {
	[SRTP_AEAD_AES_256_GCM] = {.name = "AEAD_AES_256_GCM", .evp_cipher = "AES-256-GCM",
		.dtls_profile = 0x0008, .key_len = 32, .salt_len = 12, .rtp_tag_len = 16,
		.rtcp_tag_len = 16, AEAD_FAMILY},
	[SRTP_AEAD_AES_128_GCM] = {.name = "AEAD_AES_128_GCM", .evp_cipher = "AES-128-GCM",
		.dtls_profile = 0x0007, .key_len = 16, .salt_len = 12, .rtp_tag_len = 16,
		.rtcp_tag_len = 16, AEAD_FAMILY},
	[SRTP_AES_256_CM_SHA1_80] = {.name = "AES_256_CM_HMAC_SHA1_80",
		.alias = "AES_CM_256_HMAC_SHA1_80", .evp_cipher = "AES-256-CTR", .key_len = 32,
		.salt_len = 14, .rtp_tag_len = 10, .rtcp_tag_len = 10, CM_FAMILY},
	[SRTP_AES_256_CM_SHA1_32] = {.name = "AES_256_CM_HMAC_SHA1_32",
		.alias = "AES_CM_256_HMAC_SHA1_32", .evp_cipher = "AES-256-CTR", .key_len = 32,
		.salt_len = 14, .rtp_tag_len = 4, .rtcp_tag_len = 10, CM_FAMILY},
	[SRTP_AES_192_CM_SHA1_80] = {.name = "AES_192_CM_HMAC_SHA1_80",
		.alias = "AES_CM_192_HMAC_SHA1_80", .evp_cipher = "AES-192-CTR", .key_len = 24,
		.salt_len = 14, .rtp_tag_len = 10, .rtcp_tag_len = 10, CM_FAMILY},
	[SRTP_AES_192_CM_SHA1_32] = {.name = "AES_192_CM_HMAC_SHA1_32",
		.alias = "AES_CM_192_HMAC_SHA1_32", .evp_cipher = "AES-192-CTR", .key_len = 24,
		.salt_len = 14, .rtp_tag_len = 4, .rtcp_tag_len = 10, CM_FAMILY},
	[SRTP_AES_128_CM_SHA1_80] = {.name = "AES_CM_128_HMAC_SHA1_80", .evp_cipher = "AES-128-CTR",
		.dtls_profile = 0x0001, .key_len = 16, .salt_len = 14, .rtp_tag_len = 10,
		.rtcp_tag_len = 10, CM_FAMILY},
	[SRTP_AES_128_CM_SHA1_32] = {.name = "AES_CM_128_HMAC_SHA1_32", .evp_cipher = "AES-128-CTR",
		.dtls_profile = 0x0002, .key_len = 16, .salt_len = 14, .rtp_tag_len = 4,
		.rtcp_tag_len = 10, CM_FAMILY},
	[SRTP_F8_128_SHA1_80] = {.name = "F8_128_HMAC_SHA1_80", .evp_cipher = "AES-128-CBC",
		.key_len = 16, .salt_len = 14, .rtp_tag_len = 10, .rtcp_tag_len = 10, F8_FAMILY},
	[SRTP_F8_128_SHA1_32] = {.name = "F8_128_HMAC_SHA1_32", .evp_cipher = "AES-128-CBC",
		.key_len = 16, .salt_len = 14, .rtp_tag_len = 4, .rtcp_tag_len = 10, F8_FAMILY},
	[SRTP_NULL_SHA1_80] = {.name = "NULL_HMAC_SHA1_80", .dtls_profile = 0x0005, .key_len = 16,
		.salt_len = 14, .rtp_tag_len = 10, .rtcp_tag_len = 10, NULL_FAMILY},
	[SRTP_NULL_SHA1_32] = {.name = "NULL_HMAC_SHA1_32", .dtls_profile = 0x0006, .key_len = 16,
		.salt_len = 14, .rtp_tag_len = 4, .rtcp_tag_len = 10, NULL_FAMILY},
};
/* clang-format on */

static bool
name_is(const char *want, const char *name, size_t len)
{
	return want != NULL && strlen(want) == len && strncasecmp(want, name, len) == 0;
}

const struct srtp_suite *
srtp_suite_find(const char *name, size_t len)
{
	unsigned i;

	for (i = 0; i < SRTP_SUITE_COUNT; i++)
		if (name_is(srtp_suites[i].name, name, len) ||
			name_is(srtp_suites[i].alias, name, len))
			return &srtp_suites[i];
	return NULL;
}

const struct srtp_suite *
srtp_suite_by_dtls_profile(uint16_t profile)
{
	unsigned i;

	for (i = 0; profile != 0 && i < SRTP_SUITE_COUNT; i++)
		if (srtp_suites[i].dtls_profile == profile)
			return &srtp_suites[i];
	return NULL;
}

const char *
srtp_strerror(int rc)
{
	if (rc == 0)
		return "ok";
#define SRTP_ERR_CASE(name, err, text)                                                             \
	if (rc == -(err))                                                                          \
		return text;
	SRTP_ERRORS(SRTP_ERR_CASE)
#undef SRTP_ERR_CASE
	return "unknown error";
}

/* ---- contexts ---- */

static void
ctx_take_keys(struct srtp_ctx *ctx, struct srtp_keys *k)
{
	ctx->keys = k;
	ctx->rtp_trailer = k->rtp_trailer;
	ctx->rtcp_trailer = k->rtcp_trailer;
}

int
srtp_ctx_init(struct srtp_ctx *ctx, const struct srtp_master *m)
{
	struct srtp_keys *k;

	memset(ctx, 0, sizeof(*ctx));
	k = srtp_keys_create(m);
	if (k == NULL)
		return -errno;
	ctx_take_keys(ctx, k);
	return 0;
}

void
srtp_ctx_fini(struct srtp_ctx *ctx)
{
	srtp_keys_free(ctx->keys);
	memset(ctx, 0, sizeof(*ctx));
}

struct srtp_ctx *
srtp_ctx_create(const struct srtp_master *m)
{
	struct srtp_ctx *ctx = aligned_alloc(64, sizeof(*ctx));
	int rc;

	if (ctx == NULL)
		return NULL;
	rc = srtp_ctx_init(ctx, m);
	if (rc < 0) {
		free(ctx);
		errno = -rc;
		return NULL;
	}
	return ctx;
}

void
srtp_ctx_free(struct srtp_ctx *ctx)
{
	if (ctx == NULL)
		return;
	srtp_ctx_fini(ctx);
	free(ctx);
}

struct srtp_keys *
srtp_ctx_swap_keys(struct srtp_ctx *ctx, struct srtp_keys *k)
{
	struct srtp_keys *old = ctx->keys;
	unsigned i;

	ctx_take_keys(ctx, k);
	for (i = 0; i < SRTP_SSRC_SLOTS; i++) {
		struct srtp_ssrc *st = &ctx->slot[i];

		if (!(st->flags & SRTP_SSRC_RTCP_RX))
			continue;
		st->flags &= (uint16_t) ~(SRTP_SSRC_RTCP | SRTP_SSRC_RTCP_RX);
		st->rtcp_idx = 0;
		st->rtcp_win[0] = 0;
		st->rtcp_win[1] = 0;
	}
	return old;
}

int
srtp_ctx_rekey(struct srtp_ctx *ctx, const struct srtp_master *m)
{
	struct srtp_keys *k = srtp_keys_create(m);

	if (k == NULL)
		return -errno;
	srtp_keys_free(srtp_ctx_swap_keys(ctx, k));
	return 0;
}

struct srtp_ssrc *
srtp_slot_claim(struct srtp_ctx *ctx, uint32_t ssrc)
{
	unsigned i, victim = 0;
	uint32_t age, oldest = 0;

	for (i = 0; i < SRTP_SSRC_SLOTS; i++) {
		if (!(ctx->used >> i & 1)) {
			victim = i;
			break;
		}
		/* unsigned difference: correct across clock wrap */
		age = ctx->clock - ctx->slot[i].lru;
		if (age >= oldest) {
			oldest = age;
			victim = i;
		}
	}
	memset(&ctx->slot[victim], 0, sizeof(ctx->slot[victim]));
	ctx->ssrc[victim] = ssrc;
	ctx->used |= (uint16_t)(1u << victim);
	return &ctx->slot[victim];
}

int
srtp_ctx_get_ssrc(const struct srtp_ctx *ctx, uint32_t ssrc, struct srtp_ssrc_info *out)
{
	int slot = srtp_slot_find(ctx, ssrc);
	const struct srtp_ssrc *st;

	if (slot < 0)
		return -ENOENT;
	st = &ctx->slot[slot];
	memset(out, 0, sizeof(*out));
	out->ssrc = ssrc;
	out->rtp_valid = (st->flags & SRTP_SSRC_RTP) != 0;
	out->roc = (uint32_t)(st->rtp_idx >> 16);
	out->seq = (uint16_t)st->rtp_idx;
	out->rtcp_valid = (st->flags & SRTP_SSRC_RTCP) != 0;
	out->rtcp_index = st->rtcp_idx;
	return 0;
}

int
srtp_ctx_set_ssrc(struct srtp_ctx *ctx, const struct srtp_ssrc_info *in)
{
	int slot = srtp_slot_find(ctx, in->ssrc);
	struct srtp_ssrc *st;

	if ((!in->rtp_valid && !in->rtcp_valid) || in->rtcp_index > SRTCP_INDEX_MASK)
		return -EINVAL;
	st = slot >= 0 ? &ctx->slot[slot] : srtp_slot_claim(ctx, in->ssrc);
	if (in->rtp_valid) {
		st->rtp_idx = (uint64_t)in->roc << 16 | in->seq;
		st->rtp_win[0] = ~0ull;
		st->rtp_win[1] = ~0ull;
		st->flags |= SRTP_SSRC_RTP;
	}
	if (in->rtcp_valid) {
		st->rtcp_idx = in->rtcp_index;
		st->rtcp_win[0] = ~0ull;
		st->rtcp_win[1] = ~0ull;
		st->flags |= SRTP_SSRC_RTCP;
	}
	st->lru = ++ctx->clock;
	return 0;
}

/* ---- RTP packet path ---- */

/* RTP header length from CC and the X bit (RFC 3550 5.1, 5.3.1) */
static int
rtp_parse(uint8_t *p, size_t n, struct srtp_pkt *pk)
{
	size_t h;

	if (n < 12 || n > SRTP_MAX_PACKET_LEN || (p[0] & 0xc0) != 0x80)
		return -EINVAL;
	h = 12 + 4 * (size_t)(p[0] & 0x0f);
	if (p[0] & 0x10) {
		if (h + 4 > n)
			return -EINVAL;
		h += 4 + 4 * (size_t)srtp_be16(p + h + 2);
	}
	if (h > n)
		return -EINVAL;
	pk->p = p;
	pk->hlen = h;
	pk->len = n;
	pk->ssrc = srtp_be32(p + 8);
	return 0;
}

/* With P set, the last payload octet counts the padding, itself included */
static bool
rtp_padding_ok(const struct srtp_pkt *pk)
{
	size_t pad;

	if (!(pk->p[0] & 0x20))
		return true;
	if (pk->len == pk->hlen)
		return false;
	pad = pk->p[pk->len - 1];
	return pad >= 1 && pad <= pk->len - pk->hlen;
}

/*
 * RFC 3711 3.3.1 and Appendix A: of ROC-1, ROC, ROC+1 take the index closest
 * to the highest one seen, then check it against the replay window. A new
 * SSRC starts at ROC 0. Indices before ROC 0 are stale.
 */
static int
rtp_index(const struct srtp_ssrc *st, uint16_t seq, uint64_t *idx)
{
	uint32_t roc;
	uint16_t s_l;

	if (!(st->flags & SRTP_SSRC_RTP)) {
		*idx = seq;
		return 0;
	}
	roc = (uint32_t)(st->rtp_idx >> 16);
	s_l = (uint16_t)st->rtp_idx;
	if (s_l < 0x8000) {
		if (seq > s_l + 0x8000u) {
			if (roc == 0)
				return -ESTALE;
			roc--;
		}
	} else if (seq < s_l - 0x8000u) {
		roc++;
	}
	*idx = (uint64_t)roc << 16 | seq;
	return srtp_replay_check(st->rtp_idx, st->rtp_win, *idx);
}

/* The packet passed: record its index; a new SSRC gets its slot only now */
static void
rtp_commit(struct srtp_ctx *ctx, int slot, uint32_t ssrc, uint64_t idx)
{
	struct srtp_ssrc *st = slot >= 0 ? &ctx->slot[slot] : srtp_slot_claim(ctx, ssrc);

	if (st->flags & SRTP_SSRC_RTP) {
		srtp_replay_update(&st->rtp_idx, st->rtp_win, idx);
	} else {
		st->rtp_idx = idx;
		st->rtp_win[0] = 1;
		st->rtp_win[1] = 0;
		st->flags |= SRTP_SSRC_RTP;
	}
	st->lru = ++ctx->clock;
}

int
srtp_rtp_protect(struct srtp_ctx *ctx, uint8_t *pkt, size_t *len, size_t cap)
{
	struct srtp_keys *k = ctx->keys;
	struct srtp_ssrc fresh = {0};
	const struct srtp_ssrc *st;
	struct srtp_pkt pk;
	uint64_t idx;
	int slot, rc;

	rc = rtp_parse(pkt, *len, &pk);
	if (rc < 0)
		return rc;
	if (!rtp_padding_ok(&pk))
		return -EINVAL;
	if (cap < *len || cap - *len < ctx->rtp_trailer)
		return -ENOSPC;
	slot = srtp_slot_find(ctx, pk.ssrc);
	st = slot >= 0 ? &ctx->slot[slot] : &fresh;
	rc = rtp_index(st, srtp_be16(pkt + 2), &idx);
	if (rc < 0)
		return rc;
	pk.roc = (uint32_t)(idx >> 16);
	rc = k->suite->rtp_protect(k, &pk);
	if (rc < 0)
		return rc;
	rtp_commit(ctx, slot, pk.ssrc, idx);
	*len += ctx->rtp_trailer;
	return 0;
}

int
srtp_rtp_unprotect(struct srtp_ctx *ctx, uint8_t *pkt, size_t *len)
{
	struct srtp_keys *k = ctx->keys;
	struct srtp_ssrc fresh = {0};
	const struct srtp_ssrc *st;
	struct srtp_pkt pk;
	uint64_t idx;
	int slot, rc;

	if (*len < ctx->rtp_trailer)
		return -EINVAL;
	rc = rtp_parse(pkt, *len - ctx->rtp_trailer, &pk);
	if (rc < 0)
		return rc;
	slot = srtp_slot_find(ctx, pk.ssrc);
	st = slot >= 0 ? &ctx->slot[slot] : &fresh;
	rc = rtp_index(st, srtp_be16(pkt + 2), &idx);
	if (rc < 0)
		return rc;
	pk.roc = (uint32_t)(idx >> 16);
	rc = k->suite->rtp_unprotect(k, &pk);
	if (rc < 0)
		return rc;
	/* checked after decryption: the padding count is encrypted */
	if (!rtp_padding_ok(&pk))
		return -EINVAL;
	rtp_commit(ctx, slot, pk.ssrc, idx);
	*len = pk.len;
	return 0;
}
