/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SRTP/SRTCP through the authenticated path: plaintext RTP/RTCP chosen by
 * the fuzzer is protected with one context (the sending side) and then
 * unprotected, tampered with or not, by another with the same key (the
 * receiving side), as two sluice legs would.
 *
 * Input: 2 key-choice bytes (fuzz_srtp_common.h), then packets, each
 * [kind: 1 byte][tamper: 2 bytes][length: 2 bytes][plaintext]. kind bit 0:
 * SRTCP; bit 1: tamper (flip bit tamper >> 13 of byte tamper % length);
 * bit 2: deliver twice.
 * Properties: an untampered packet comes back byte for byte (as long as no
 * SRTP packet was tampered with before: see below); a tampered one
 * is refused unless the stream is not authenticated (UNAUTHENTICATED_SRTP,
 * which SRTCP ignores); a packet accepted once is refused the second time.
 */
#include <errno.h>

#include "fuzz_srtp_common.h"

#define MAX_PKT 2048

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	struct srtp_ctx *tx, *rx;
	struct srtp_master m;
	const uint8_t *raw;
	uint8_t *pkt, *copy;
	uint8_t kind;
	uint16_t tamper;
	size_t n, len, cap, slen;
	bool rtcp, authed, diverged = false;
	int rc;

	fuzz_srtp_master(&in, &m);
	tx = srtp_ctx_create(&m);
	if (tx == NULL)
		return 0;
	rx = srtp_ctx_create(&m);
	FUZZ_CHECK(rx != NULL);
	while (in.n >= 5) {
		kind = fuzz_u8(&in);
		tamper = fuzz_u16(&in);
		n = fuzz_take(&in, fuzz_u16(&in) % MAX_PKT, &raw);
		rtcp = kind & 1;
		cap = n + (rtcp ? tx->rtcp_trailer : tx->rtp_trailer);
		pkt = malloc(cap);
		FUZZ_CHECK(pkt != NULL);
		memcpy(pkt, raw, n);
		len = n;
		rc = rtcp ? srtcp_protect(tx, pkt, &len, cap)
			  : srtp_rtp_protect(tx, pkt, &len, cap);
		if (rc < 0) {
			free(pkt);
			continue;
		}
		FUZZ_CHECK(len == cap);
		slen = len;
		if (kind & 2)
			pkt[tamper % slen] ^= (uint8_t)(1u << (tamper >> 13));
		/* what is delivered: unprotect works in place */
		copy = (uint8_t *)fuzz_dup(pkt, slen, 0);
		rc = rtcp ? srtcp_unprotect(rx, pkt, &len) : srtp_rtp_unprotect(rx, pkt, &len);
		authed = rtcp || !(m.flags & SRTP_F_UNAUTHENTICATED_SRTP);
		if (!(kind & 2) && !diverged) {
			FUZZ_CHECK(rc == 0);
			FUZZ_CHECK(len == n && memcmp(pkt, raw, n) == 0);
		} else if (kind & 2) {
			FUZZ_CHECK(rc < 0 || !authed);
			/*
			 * Accepted (unauthenticated), the receiver now holds indices the
			 * sender never sent; refused, it lost one, and a loss across a
			 * SEQ wrap leaves it guessing the old ROC (RFC 3711 3.3.1). SRTCP
			 * carries its index, but a refused packet of a new SSRC took a
			 * per-SSRC slot at the sender and none at the receiver: once
			 * more SSRCs than SRTP_SSRC_SLOTS come along, the two evict
			 * different streams, and a stream evicted on one side only
			 * restarts at ROC 0 there (regress/srtp_auth/).
			 */
			diverged = true;
		}
		if ((kind & 4) && rc == 0) {
			/* the receiver saw this index: the same bytes again are a replay */
			len = slen;
			rc = rtcp ? srtcp_unprotect(rx, copy, &len)
				  : srtp_rtp_unprotect(rx, copy, &len);
			FUZZ_CHECK(rc == -EALREADY);
		}
		free(copy);
		free(pkt);
	}
	srtp_ctx_free(rx);
	srtp_ctx_free(tx);
	return 0;
}
