/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SRTP and SRTCP unprotect (crypto/srtp.c, srtcp.c) on raw packets from a
 * hostile peer, with a fixed key: what a worker runs on every packet that
 * arrives on a secure leg before anything else looks at it.
 *
 * Input: 2 key-choice bytes (fuzz_srtp_common.h), then packets, each
 * [kind: 1 byte, bit 0 = SRTCP][length: 2 bytes][bytes]; one receive
 * context takes them all, so the replay window and ROC logic see a stream.
 * Properties: a failure leaves the length alone; a success shortens the
 * packet by exactly the trailer; the same packet never passes twice.
 * (fuzz_srtp_auth.c reaches the successful paths with real tags.)
 */
#include <errno.h>

#include "fuzz_srtp_common.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	struct srtp_master m;
	struct srtp_ctx *ctx;
	const uint8_t *raw;
	uint8_t *pkt, *again;
	size_t n, len, len2;
	bool rtcp;
	int rc;

	fuzz_srtp_master(&in, &m);
	ctx = srtp_ctx_create(&m);
	if (ctx == NULL)
		return 0; /* e.g. UNAUTHENTICATED_SRTP with an AEAD suite */
	while (in.n >= 3) {
		rtcp = fuzz_u8(&in) & 1;
		n = fuzz_take(&in, fuzz_u16(&in), &raw);
		pkt = (uint8_t *)fuzz_dup(raw, n, 0);
		again = (uint8_t *)fuzz_dup(raw, n, 0);
		len = n;
		rc = rtcp ? srtcp_unprotect(ctx, pkt, &len) : srtp_rtp_unprotect(ctx, pkt, &len);
		if (rc < 0) {
			FUZZ_CHECK(len == n);
			FUZZ_CHECK(srtp_strerror(rc) != NULL);
		} else {
			FUZZ_CHECK(len == n - (rtcp ? ctx->rtcp_trailer : ctx->rtp_trailer));
			len2 = n;
			rc = rtcp ? srtcp_unprotect(ctx, again, &len2)
				  : srtp_rtp_unprotect(ctx, again, &len2);
			FUZZ_CHECK(rc == -EALREADY);
		}
		free(again);
		free(pkt);
	}
	srtp_ctx_free(ctx);
	return 0;
}
