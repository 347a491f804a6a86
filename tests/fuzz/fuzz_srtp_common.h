/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_TEST_FUZZ_SRTP_COMMON_H
#define SL_TEST_FUZZ_SRTP_COMMON_H

/*
 * Key set-up shared by fuzz_srtp.c and fuzz_srtp_auth.c: two input bytes
 * choose the suite, the MKI and the RFC 4568 session parameters; the key
 * and salt are fixed.
 *   [0] suite index (mod SRTP_SUITE_COUNT)
 *   [1] bits 0-1 MKI length 0/1/4/16, bit 2 UNENCRYPTED_SRTP,
 *       bit 3 UNENCRYPTED_SRTCP, bit 4 UNAUTHENTICATED_SRTP,
 *       bit 5 per-packet crypto on OpenSSL instead of intel-ipsec-mb
 *       (both engines are fuzzed; without the library both are OpenSSL)
 */

#include "crypto/srtp.h"
#include "fuzz.h"

static inline int
fuzz_srtp_master(struct fuzz_in *in, struct srtp_master *m)
{
	static const uint8_t mki_lens[4] = {0, 1, 4, 16};
	static bool engine_ready;
	uint8_t suite = fuzz_u8(in), opt = fuzz_u8(in);
	unsigned i;

	if (!engine_ready) {
		/* this thread's managers, once: as a worker gets them at launch */
		srtp_engine_thread_init();
		engine_ready = true;
	}
	srtp_engine_force_openssl((opt & 32) != 0);

	memset(m, 0, sizeof(*m));
	m->suite = &srtp_suites[suite % SRTP_SUITE_COUNT];
	for (i = 0; i < SRTP_MAX_KEY_LEN; i++)
		m->key[i] = (uint8_t)(0xA5 ^ i);
	for (i = 0; i < SRTP_MAX_SALT_LEN; i++)
		m->salt[i] = (uint8_t)(0x3C + 7 * i);
	m->mki_len = mki_lens[opt & 3];
	for (i = 0; i < m->mki_len; i++)
		m->mki[i] = (uint8_t)(i + 1);
	if (opt & 4)
		m->flags |= SRTP_F_UNENCRYPTED_SRTP;
	if (opt & 8)
		m->flags |= SRTP_F_UNENCRYPTED_SRTCP;
	if (opt & 16)
		m->flags |= SRTP_F_UNAUTHENTICATED_SRTP;
	return 0;
}

#endif /* SL_TEST_FUZZ_SRTP_COMMON_H */
