/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_DP_DEMUX_H
#define SL_DP_DEMUX_H

/**
 * @file
 * How a worker tells apart what arrives on an RTP/RTCP relay socket, from
 * the first two bytes of the UDP payload (RFC 7983 for STUN/DTLS, RFC 5761
 * for RTCP on an RTP port). A pure function, so that the fuzz harness
 * (tests/fuzz/fuzz_rtp.c) runs exactly what dp_udp_input() does.
 */

#include <stdint.h>

#include <rte_branch_prediction.h>

#define DP_RTP_HDR_LEN 12 /* RFC 3550 5.1 fixed header */

enum dp_demux {
	DP_DEMUX_DROP = 0, /* none of the below: counted as drop_unknown */
	DP_DEMUX_PUNT,	   /* STUN (0..3) or DTLS (20..63): the control thread's business */
	DP_DEMUX_RTCP,	   /* version 2, packet type 194..223 */
	DP_DEMUX_RTP,	   /* version 2, anything else */
};

/** Classify @p plen bytes at @p pl (RFC 7983 section 7, first byte). */
static inline enum dp_demux
dp_demux(const uint8_t *pl, uint16_t plen)
{
	if (unlikely(plen < 4 || pl[0] < 128 || pl[0] > 191)) {
		if (plen > 0 && (pl[0] <= 3 || (pl[0] >= 20 && pl[0] <= 63)))
			return DP_DEMUX_PUNT;
		return DP_DEMUX_DROP;
	}
	/* RTCP packet types 194..223 (RFC 5761: SR/RR/SDES/BYE/APP/FB/XR...) */
	if (pl[1] >= 194 && pl[1] <= 223)
		return DP_DEMUX_RTCP;
	return DP_DEMUX_RTP;
}

#endif /* SL_DP_DEMUX_H */
