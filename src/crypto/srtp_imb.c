/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-packet SRTP/SRTCP primitives on Intel's multi-buffer crypto library
 * (intel-ipsec-mb 1.3, direct API): AES-CM + HMAC-SHA1 as one job, AES-GCM
 * with the single-call functions. OpenSSL (srtp_cipher.c) stays for AES-f8,
 * the KDF, CPUs the library cannot serve, and threads without a manager.
 *
 * An IMB_MGR is not thread-safe, so each thread that runs packet functions
 * owns one, allocated once by srtp_engine_thread_init() (worker launch,
 * control thread, test set-up) and reached through a __thread pointer. The
 * packet path never allocates, locks or makes a syscall; a thread without a
 * manager takes the OpenSSL path instead of creating one.
 *
 * Key schedules are made when a key set is created (control thread): AES
 * round keys, GHASH key powers, and the SHA1 states after the HMAC ipad and
 * opad blocks. Only the GHASH powers depend on the manager's architecture,
 * and every manager of the process uses the same one.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* without this the header #defines SHA1, AES etc. (its 0.53 names), clashing with OpenSSL */
#define NO_COMPAT_IMB_API_053
#include <intel-ipsec-mb.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "crypto/srtp.h"
#include "crypto/srtp_priv.h"

/* Key schedule of one AES-CM/NULL + HMAC-SHA1 direction (AEAD: struct gcm_key_data) */
struct srtp_imb_cm {
	uint8_t enc[15 * 16]; /* AES round keys; CTR only ever encrypts */
	uint8_t ipad[32];     /* SHA1 state after the (k_a ^ 0x36..) block, 20 bytes used */
	uint8_t opad[32];     /* ... and after (k_a ^ 0x5c..) */
} __attribute__((aligned(64)));

__thread struct IMB_MGR *srtp_mb_job __attribute__((tls_model("initial-exec")));
__thread struct IMB_MGR *srtp_mb_gcm __attribute__((tls_model("initial-exec")));

/* what srtp_engine_thread_init() allocated; srtp_mb_* are NULL while forced to OpenSSL */
static __thread IMB_MGR *own_job, *own_gcm;

/* RO after engine_once */
static pthread_once_t engine_once = PTHREAD_ONCE_INIT;
static int engine_rc = -ENOTSUP;
static IMB_ARCH gcm_arch, job_arch;
static char engine_desc[160] = "OpenSSL";

/* key set-up for threads without their own managers (tests, helpers); ctl only */
static pthread_mutex_t setup_lock = PTHREAD_MUTEX_INITIALIZER;
static IMB_MGR *setup_job, *setup_gcm;

static const char *
arch_name(IMB_ARCH a)
{
	switch (a) {
	case IMB_ARCH_SSE:
		return "SSE";
	case IMB_ARCH_AVX:
		return "AVX";
	case IMB_ARCH_AVX2:
		return "AVX2";
	case IMB_ARCH_AVX512:
		return "AVX-512";
	default:
		return "?";
	}
}

/* A manager of architecture @p arch; NULL if it cannot be had */
static IMB_MGR *
mgr_new(IMB_ARCH arch)
{
	IMB_MGR *mb = alloc_mb_mgr(0);

	if (mb == NULL)
		return NULL;
	switch (arch) {
	case IMB_ARCH_SSE:
		init_mb_mgr_sse(mb);
		break;
	case IMB_ARCH_AVX:
		init_mb_mgr_avx(mb);
		break;
	case IMB_ARCH_AVX2:
		init_mb_mgr_avx2(mb);
		break;
	case IMB_ARCH_AVX512:
		init_mb_mgr_avx512(mb);
		break;
	default:
		free_mb_mgr(mb);
		return NULL;
	}
	if (imb_get_errno(mb) != 0) {
		free_mb_mgr(mb);
		return NULL;
	}
	return mb;
}

static int cm_keys(IMB_MGR *mb, struct srtp_imb_cm *x, const struct srtp_suite *s,
	const struct srtp_session_keys *sk);
static int cm_hmac_job(IMB_MGR *mb, const struct srtp_imb_cm *x, unsigned key_len, bool enc,
	uint8_t *p, size_t coff, size_t clen, const uint8_t iv[16], size_t hlen, uint8_t digest[20]);

/*
 * Known answer against OpenSSL before the library is trusted with traffic:
 * one AES-128-CM + HMAC-SHA1 job and one AES-128-GCM call on a fixed
 * packet. A library or CPU that disagrees leaves the process on OpenSSL.
 */
static bool
self_test(IMB_MGR *job_mb, IMB_MGR *gcm_mb)
{
	static const uint8_t key[20] = {0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7,
		0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c, 0x5a, 0x69, 0x78, 0x87};
	struct srtp_imb_cm cm;
	struct gcm_key_data kd;
	struct gcm_context_data gctx;
	struct srtp_session_keys sk = {.enc = key, .auth = key};
	uint8_t iv[16] = {0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb};
	uint8_t a[64], b[64], dig_a[20], dig_b[EVP_MAX_MD_SIZE], tag_a[16], tag_b[16];
	unsigned dl = 0;
	EVP_CIPHER_CTX *c;
	bool ok;
	int i, l;

	for (i = 0; i < 64; i++)
		a[i] = b[i] = (uint8_t)(i * 7 + 1);
	if (cm_keys(job_mb, &cm, &srtp_suites[SRTP_AES_128_CM_SHA1_80], &sk) < 0 ||
		cm_hmac_job(job_mb, &cm, 16, true, a, 12, 40, iv, 56, dig_a) < 0)
		return false;
	IMB_AES128_GCM_PRE(gcm_mb, key, &kd);
	IMB_AES128_GCM_ENC(gcm_mb, &kd, &gctx, a + 52, a + 52, 12, iv, a, 52, tag_a, 16);
	c = EVP_CIPHER_CTX_new();
	ok = c != NULL && EVP_EncryptInit_ex(c, EVP_aes_128_ctr(), NULL, key, iv) == 1 &&
		EVP_EncryptUpdate(c, b + 12, &l, b + 12, 40) == 1 &&
		HMAC(EVP_sha1(), key, 20, b, 56, dig_b, &dl) != NULL && dl == 20 &&
		EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, key, iv) == 1 &&
		EVP_EncryptUpdate(c, NULL, &l, b, 52) == 1 &&
		EVP_EncryptUpdate(c, b + 52, &l, b + 52, 12) == 1 &&
		EVP_EncryptFinal_ex(c, tag_b, &l) == 1 &&
		EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag_b) == 1 &&
		memcmp(a, b, sizeof(a)) == 0 && memcmp(dig_a, dig_b, 20) == 0 &&
		memcmp(tag_a, tag_b, 16) == 0;
	EVP_CIPHER_CTX_free(c);
	return ok;
}

static void
engine_probe(void)
{
	const char *force = getenv("SLUICE_SRTP_ENGINE");
	uint64_t f = imb_get_feature_flags();
	IMB_ARCH arch = IMB_ARCH_NONE;

	if (force != NULL && strcmp(force, "openssl") == 0) {
		snprintf(engine_desc, sizeof(engine_desc), "OpenSSL (SLUICE_SRTP_ENGINE=openssl)");
		return;
	}
	/* without AES-NI the library would emulate AES in software: OpenSSL is better there */
	if ((f & (IMB_FEATURE_AESNI | IMB_FEATURE_PCLMULQDQ)) !=
		(IMB_FEATURE_AESNI | IMB_FEATURE_PCLMULQDQ)) {
		snprintf(engine_desc, sizeof(engine_desc),
			"OpenSSL (intel-ipsec-mb %s: no AES-NI/PCLMULQDQ)", imb_get_version_str());
		return;
	}
	setup_gcm = alloc_mb_mgr(0);
	if (setup_gcm != NULL)
		init_mb_mgr_auto(setup_gcm, &arch);
	if (setup_gcm == NULL || imb_get_errno(setup_gcm) != 0 || arch < IMB_ARCH_SSE ||
		arch >= IMB_ARCH_NUM) {
		snprintf(engine_desc, sizeof(engine_desc),
			"OpenSSL (intel-ipsec-mb %s failed to initialise)", imb_get_version_str());
		free_mb_mgr(setup_gcm);
		setup_gcm = NULL;
		return;
	}
	gcm_arch = arch;
	/*
	 * In 1.3 the AVX/AVX2/AVX-512 managers hash SHA1 4/8/16 lanes wide and
	 * only the SSE one uses SHA-NI. A packet at a time never fills the
	 * lanes, so with SHA-NI the CM jobs go to an SSE manager (one SHA-NI
	 * lane: its cost does not depend on how many jobs are queued).
	 */
	job_arch = (f & IMB_FEATURE_SHANI) ? IMB_ARCH_SSE : gcm_arch;
	setup_job = job_arch == gcm_arch ? setup_gcm : mgr_new(job_arch);
	if (setup_job == NULL) {
		job_arch = gcm_arch;
		setup_job = setup_gcm;
	}
	if (!self_test(setup_job, setup_gcm)) {
		snprintf(engine_desc, sizeof(engine_desc),
			"OpenSSL (intel-ipsec-mb %s disagreed with OpenSSL on a known answer)",
			imb_get_version_str());
		if (setup_job != setup_gcm)
			free_mb_mgr(setup_job);
		free_mb_mgr(setup_gcm);
		setup_job = setup_gcm = NULL;
		return;
	}
	snprintf(engine_desc, sizeof(engine_desc), "intel-ipsec-mb %s (GCM: %s; CM+HMAC: %s%s)",
		imb_get_version_str(), arch_name(gcm_arch), arch_name(job_arch),
		job_arch == IMB_ARCH_SSE && (f & IMB_FEATURE_SHANI) ? " with SHA-NI" : "");
	engine_rc = 0;
}

int
srtp_engine_init(void)
{
	pthread_once(&engine_once, engine_probe);
	return engine_rc;
}

const char *
srtp_engine_name(void)
{
	srtp_engine_init();
	return engine_desc;
}

int
srtp_engine_thread_init(void)
{
	if (srtp_engine_init() < 0)
		return 0; /* the process uses OpenSSL: nothing to allocate */
	if (own_gcm == NULL) {
		own_gcm = mgr_new(gcm_arch);
		if (own_gcm == NULL)
			return -ENOMEM;
	}
	if (own_job == NULL) {
		own_job = job_arch == gcm_arch ? own_gcm : mgr_new(job_arch);
		if (own_job == NULL) {
			free_mb_mgr(own_gcm);
			own_gcm = NULL;
			return -ENOMEM;
		}
	}
	srtp_mb_job = own_job;
	srtp_mb_gcm = own_gcm;
	return 0;
}

void
srtp_engine_thread_fini(void)
{
	srtp_mb_job = NULL;
	srtp_mb_gcm = NULL;
	if (own_job != own_gcm)
		free_mb_mgr(own_job);
	free_mb_mgr(own_gcm);
	own_job = NULL;
	own_gcm = NULL;
}

void
srtp_engine_force_openssl(bool on)
{
	srtp_mb_job = on ? NULL : own_job;
	srtp_mb_gcm = on ? NULL : own_gcm;
}

bool
srtp_engine_thread_uses_imb(void)
{
	return srtp_mb_job != NULL;
}

/* ---- key set-up (control thread) ---- */

static int
cm_keys(IMB_MGR *mb, struct srtp_imb_cm *x, const struct srtp_suite *s,
	const struct srtp_session_keys *sk)
{
	uint8_t dec[15 * 16] __attribute__((aligned(16)));
	uint8_t block[SHA_CBLOCK] __attribute__((aligned(16)));
	int i;

	if (s->evp_cipher != NULL) {
		switch (s->key_len) {
		case 16:
			IMB_AES_KEYEXP_128(mb, sk->enc, x->enc, dec);
			break;
		case 24:
			IMB_AES_KEYEXP_192(mb, sk->enc, x->enc, dec);
			break;
		case 32:
			IMB_AES_KEYEXP_256(mb, sk->enc, x->enc, dec);
			break;
		default:
			return -EINVAL;
		}
	}
	/* HMAC (RFC 2104): the job starts from the states after one key block each */
	memset(block, 0x36, sizeof(block));
	for (i = 0; i < SRTP_HMAC_KEY_LEN; i++)
		block[i] ^= sk->auth[i];
	IMB_SHA1_ONE_BLOCK(mb, block, x->ipad);
	memset(block, 0x5c, sizeof(block));
	for (i = 0; i < SRTP_HMAC_KEY_LEN; i++)
		block[i] ^= sk->auth[i];
	IMB_SHA1_ONE_BLOCK(mb, block, x->opad);
	OPENSSL_cleanse(block, sizeof(block));
	OPENSSL_cleanse(dec, sizeof(dec));
	return 0;
}

static int
gcm_keys(IMB_MGR *mb, struct gcm_key_data *kd, const struct srtp_suite *s,
	const struct srtp_session_keys *sk)
{
	switch (s->key_len) {
	case 16:
		IMB_AES128_GCM_PRE(mb, sk->enc, kd);
		return 0;
	case 32:
		IMB_AES256_GCM_PRE(mb, sk->enc, kd);
		return 0;
	}
	return -EINVAL;
}

int
srtp_imb_dir_init(struct srtp_dir *d, const struct srtp_suite *s,
	const struct srtp_session_keys *sk)
{
	size_t size = s->aead ? sizeof(struct gcm_key_data) : sizeof(struct srtp_imb_cm);
	IMB_MGR *mb;
	bool locked;
	void *x;
	int rc;

	/* AES-f8 has no library counterpart: such keys stay on OpenSSL */
	if (srtp_engine_init() < 0 || s->rtp_crypt == srtp_f8_rtp_crypt)
		return 0;
	x = aligned_alloc(64, (size + 63) & ~(size_t)63);
	if (x == NULL)
		return -ENOMEM;
	/* the thread's own manager, else the shared set-up one (a lock, but not on the packet path) */
	mb = s->aead ? own_gcm : own_job;
	locked = mb == NULL;
	if (locked) {
		pthread_mutex_lock(&setup_lock);
		mb = s->aead ? setup_gcm : setup_job;
	}
	rc = s->aead ? gcm_keys(mb, x, s, sk) : cm_keys(mb, x, s, sk);
	if (locked)
		pthread_mutex_unlock(&setup_lock);
	if (rc < 0) {
		OPENSSL_cleanse(x, size);
		free(x);
		return rc;
	}
	d->imb = x;
	return 0;
}

void
srtp_imb_dir_fini(struct srtp_dir *d, const struct srtp_suite *s)
{
	if (d->imb == NULL)
		return;
	OPENSSL_cleanse(d->imb, s->aead ? sizeof(struct gcm_key_data) : sizeof(struct srtp_imb_cm));
	free(d->imb);
	d->imb = NULL;
}

/* ---- packet path ---- */

/*
 * One AES-CM (or no cipher) + HMAC-SHA1 job, run to completion. Packets
 * come one at a time through this API, so the job is flushed at once
 * rather than left waiting for others to fill the manager's lanes; at most
 * one job is ever queued. Encryption: cipher, then hash the ciphertext;
 * decryption: hash, then decipher (the caller compares the tag, and the
 * payload of a packet that fails is unspecified, as srtp.h says).
 */
static int
cm_hmac_job(IMB_MGR *mb, const struct srtp_imb_cm *x, unsigned key_len, bool enc, uint8_t *p,
	size_t coff, size_t clen, const uint8_t iv[16], size_t hlen, uint8_t digest[20])
{
	IMB_JOB *job, *done;

	if (clen == 0 && hlen == 0)
		return 0;
	job = IMB_GET_NEXT_JOB(mb);
	job->chain_order = enc ? IMB_ORDER_CIPHER_HASH : IMB_ORDER_HASH_CIPHER;
	job->cipher_direction = enc ? IMB_DIR_ENCRYPT : IMB_DIR_DECRYPT;
	job->src = p;
	if (clen > 0) {
		job->cipher_mode = IMB_CIPHER_CNTR;
		job->enc_keys = x->enc;
		job->dec_keys = x->enc;
		job->key_len_in_bytes = key_len;
		job->iv = iv;
		job->iv_len_in_bytes = 16; /* the whole counter block: RFC 3711's IV */
		job->dst = p + coff;
		job->cipher_start_src_offset_in_bytes = coff;
		job->msg_len_to_cipher_in_bytes = clen;
	} else {
		job->cipher_mode = IMB_CIPHER_NULL;
		job->dst = p;
		job->cipher_start_src_offset_in_bytes = 0;
		job->msg_len_to_cipher_in_bytes = 0;
	}
	if (hlen > 0) {
		job->hash_alg = IMB_AUTH_HMAC_SHA_1;
		job->hash_start_src_offset_in_bytes = 0;
		job->msg_len_to_hash_in_bytes = hlen;
		job->u.HMAC._hashed_auth_key_xor_ipad = x->ipad;
		job->u.HMAC._hashed_auth_key_xor_opad = x->opad;
		job->auth_tag_output = digest;
		job->auth_tag_output_len_in_bytes = 20; /* truncated by the caller */
	} else {
		job->hash_alg = IMB_AUTH_NULL;
	}
	/*
	 * No per-job validation (~50-150 cycles here): every field is set above
	 * from a suite entry and a length within SRTP_IMB_MAX_LEN, and
	 * test_srtp_engine compares every job's output with OpenSSL's. Build
	 * with -DSRTP_IMB_CHECK_JOBS to have the library check them again.
	 */
#ifdef SRTP_IMB_CHECK_JOBS
	done = IMB_SUBMIT_JOB(mb);
#else
	done = IMB_SUBMIT_JOB_NOCHECK(mb);
#endif
	while (done != job) {
		done = IMB_FLUSH_JOB(mb);
		if (done == NULL)
			return -EIO;
	}
	return job->status == IMB_STATUS_COMPLETED ? 0 : -EIO;
}

/*
 * RFC 3711 3.1 on the library: the tag covers header || payload || ROC.
 * The ROC is written where the trailer goes (protect: room for MKI + tag
 * >= 4 bytes was checked; unprotect: the received MKI/tag, restored after)
 * so that the job hashes one contiguous buffer.
 */
int
srtp_imb_rtp_hmac(IMB_MGR *mb, struct srtp_keys *k, struct srtp_pkt *pk, bool protect)
{
	const struct srtp_suite *s = k->suite;
	bool auth = !(k->flags & SRTP_F_UNAUTHENTICATED_SRTP);
	size_t clen = s->rtp_crypt != NULL && !(k->flags & SRTP_F_UNENCRYPTED_SRTP)
		? pk->len - pk->hlen
		: 0;
	uint8_t *trailer = pk->p + pk->len;
	uint8_t iv[16], digest[20], saved[4];
	int rc;

	if (clen > 0)
		srtp_cm_rtp_iv(k->rtp.salt, pk, iv);
	if (auth) {
		memcpy(saved, trailer, 4);
		srtp_put_be32(trailer, pk->roc);
	}
	rc = cm_hmac_job(mb, k->rtp.imb, s->key_len, protect, pk->p, pk->hlen, clen, iv,
		auth ? pk->len + 4 : 0, digest);
	if (protect) {
		memcpy(trailer, k->mki, k->mki_len);
		if (auth)
			memcpy(trailer + k->mki_len, digest, s->rtp_tag_len);
		return rc;
	}
	if (!auth)
		return rc;
	memcpy(trailer, saved, 4);
	if (rc < 0)
		return rc;
	return CRYPTO_memcmp(digest, trailer + k->mki_len, s->rtp_tag_len) == 0 ? 0 : -EBADMSG;
}

/* RFC 3711 3.4: RTCP || E+index || MKI || tag, the tag over RTCP || E+index */
int
srtcp_imb_hmac(IMB_MGR *mb, struct srtp_keys *k, struct srtp_pkt *pk, bool protect)
{
	const struct srtp_suite *s = k->suite;
	size_t clen = (pk->eidx & SRTCP_E_BIT) && s->rtcp_crypt != NULL ? pk->len - 8 : 0;
	uint8_t *trailer = pk->p + pk->len;
	uint8_t iv[16], digest[20];
	int rc;

	if (clen > 0)
		srtcp_cm_iv(k->rtcp.salt, pk, iv);
	if (protect) {
		srtp_put_be32(trailer, pk->eidx);
		memcpy(trailer + 4, k->mki, k->mki_len);
	}
	rc = cm_hmac_job(mb, k->rtcp.imb, s->key_len, protect, pk->p, 8, clen, iv, pk->len + 4,
		digest);
	if (rc < 0)
		return rc;
	if (protect) {
		memcpy(trailer + 4 + k->mki_len, digest, s->rtcp_tag_len);
		return 0;
	}
	return CRYPTO_memcmp(digest, trailer + 4 + k->mki_len, s->rtcp_tag_len) == 0 ? 0
										       : -EBADMSG;
}

/* One AES-GCM pass, buf[0..n) in place, with a contiguous AAD */
static void
gcm_call(IMB_MGR *mb, const struct gcm_key_data *kd, unsigned key_len, bool enc,
	const uint8_t iv[12], const uint8_t *aad, size_t aad_len, uint8_t *buf, size_t n,
	uint8_t tag[SRTP_GCM_TAG_LEN])
{
	struct gcm_context_data ctx;

	if (key_len == 16 && enc)
		IMB_AES128_GCM_ENC(mb, kd, &ctx, buf, buf, n, iv, aad, aad_len, tag, SRTP_GCM_TAG_LEN);
	else if (key_len == 16)
		IMB_AES128_GCM_DEC(mb, kd, &ctx, buf, buf, n, iv, aad, aad_len, tag, SRTP_GCM_TAG_LEN);
	else if (enc)
		IMB_AES256_GCM_ENC(mb, kd, &ctx, buf, buf, n, iv, aad, aad_len, tag, SRTP_GCM_TAG_LEN);
	else
		IMB_AES256_GCM_DEC(mb, kd, &ctx, buf, buf, n, iv, aad, aad_len, tag, SRTP_GCM_TAG_LEN);
}

/* RFC 7714 7.1/8.2: the header (the whole packet when unencrypted) is AAD; tag follows */
int
srtp_imb_rtp_aead(IMB_MGR *mb, struct srtp_keys *k, struct srtp_pkt *pk, bool protect)
{
	size_t aad = (k->flags & SRTP_F_UNENCRYPTED_SRTP) ? pk->len : pk->hlen;
	uint8_t iv[12], tag[SRTP_GCM_TAG_LEN];

	srtp_gcm_rtp_iv(k->rtp.salt, pk, iv);
	gcm_call(mb, k->rtp.imb, k->suite->key_len, protect, iv, pk->p, aad, pk->p + aad,
		pk->len - aad, tag);
	if (protect) {
		memcpy(pk->p + pk->len, tag, SRTP_GCM_TAG_LEN);
		return 0;
	}
	return CRYPTO_memcmp(tag, pk->p + pk->len, SRTP_GCM_TAG_LEN) == 0 ? 0 : -EBADMSG;
}

/*
 * RFC 7714 9 and 17: RTCP (payload encrypted) || tag || E+index || MKI. The
 * AAD is the first 8 octets || E+index with E = 1, gathered into 12 bytes;
 * with E = 0 it is the whole packet || E+index, so the word is put right
 * after the packet (where the tag goes, restored on unprotect) to keep it
 * contiguous. The library takes the whole AAD at once.
 */
int
srtcp_imb_aead(IMB_MGR *mb, struct srtp_keys *k, struct srtp_pkt *pk, bool protect)
{
	uint8_t *tagp = pk->p + pk->len, *word = tagp + SRTP_GCM_TAG_LEN;
	uint8_t iv[12], aad[12], tag[SRTP_GCM_TAG_LEN], saved[4];
	unsigned key_len = k->suite->key_len;

	srtcp_gcm_iv(k->rtcp.salt, pk, iv);
	if (pk->eidx & SRTCP_E_BIT) {
		memcpy(aad, pk->p, 8);
		srtp_put_be32(aad + 8, pk->eidx);
		gcm_call(mb, k->rtcp.imb, key_len, protect, iv, aad, sizeof(aad), pk->p + 8,
			pk->len - 8, tag);
	} else {
		memcpy(saved, tagp, 4);
		srtp_put_be32(tagp, pk->eidx);
		gcm_call(mb, k->rtcp.imb, key_len, protect, iv, pk->p, pk->len + 4, tagp, 0, tag);
		memcpy(tagp, saved, 4);
	}
	if (protect) {
		memcpy(tagp, tag, SRTP_GCM_TAG_LEN);
		srtp_put_be32(word, pk->eidx);
		memcpy(word + 4, k->mki, k->mki_len);
		return 0;
	}
	return CRYPTO_memcmp(tag, tagp, SRTP_GCM_TAG_LEN) == 0 ? 0 : -EBADMSG;
}
