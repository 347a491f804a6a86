/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What a worker does with the payload of a UDP packet on a relay socket,
 * without the packet buffers around it: the RFC 7983 / RFC 5761 demultiplexer
 * (dataplane/dp_demux.h, the function dp_udp_input() calls), the receive
 * statistics of RTP (monitor/rtpstat.c) and the RTP header parser with
 * RFC 8285 header extensions (rtpstat.c: rtp_parse, rtp_ext_find).
 *
 * Input: packets, each [length: 1 byte][arrival step in ms: 1 byte][bytes].
 * Properties: demux agrees with the first bytes; a parsed header's parts
 * (CSRCs, extension, payload, padding) tile the packet exactly; every
 * extension element found lies inside the extension block; the statistics
 * never count more packets than they were given.
 */
#include <errno.h>

#include "dataplane/dp_demux.h"
#include "monitor/rtpstat.h"
#include "fuzz.h"

static void
check_rtp(const uint8_t *pkt, size_t len)
{
	struct rtp_hdr h;
	uint16_t off, elen;
	unsigned id;

	if (rtp_parse(pkt, len, &h) < 0)
		return;
	FUZZ_CHECK(len >= DP_RTP_HDR_LEN && (pkt[0] >> 6) == 2);
	FUZZ_CHECK((size_t)h.payload_off + h.payload_len + h.pad_len == len);
	FUZZ_CHECK(h.payload_off >= DP_RTP_HDR_LEN + 4u * h.cc);
	if (h.ext_off != 0)
		FUZZ_CHECK((size_t)h.ext_off + h.ext_len == h.payload_off);
	for (id = 1; id <= 255; id++) {
		if (rtp_ext_find(pkt, &h, (uint8_t)id, &off, &elen) < 0)
			continue;
		FUZZ_CHECK(h.ext_off != 0 && off >= h.ext_off);
		FUZZ_CHECK((size_t)off + elen <= (size_t)h.ext_off + h.ext_len);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	struct rtpstat st;
	struct rtpstat_snap snap;
	uint64_t now_ns = 1000000000ull;
	uint32_t counted = 0;
	const uint8_t *raw;
	uint8_t *pl;
	size_t len;
	enum dp_demux d;

	rtpstat_init(&st);
	while (in.n >= 2) {
		len = fuzz_u8(&in);
		now_ns += (uint64_t)fuzz_u8(&in) * 1000000u;
		len = fuzz_take(&in, len, &raw);
		pl = (uint8_t *)fuzz_dup(raw, len, 0);
		d = dp_demux(pl, (uint16_t)len);
		if (len > 0 && pl[0] >= 128 && pl[0] <= 191 && len >= 4)
			FUZZ_CHECK(d == DP_DEMUX_RTP || d == DP_DEMUX_RTCP);
		if (d == DP_DEMUX_PUNT)
			FUZZ_CHECK(pl[0] <= 3 || (pl[0] >= 20 && pl[0] <= 63));
		if (d == DP_DEMUX_RTP) {
			check_rtp(pl, len);
			/* the worker's statistics read the fixed header only */
			if (len >= DP_RTP_HDR_LEN) {
				enum rtpstat_verdict v = rtpstat_update(&st,
					(uint32_t)pl[8] << 24 | (uint32_t)pl[9] << 16 |
						(uint32_t)pl[10] << 8 | pl[11],
					(uint16_t)(pl[2] << 8 | pl[3]),
					(uint32_t)pl[4] << 24 | (uint32_t)pl[5] << 16 |
						(uint32_t)pl[6] << 8 | pl[7],
					pl[1] & 0x7f, now_ns, 8000);

				if (v == RTPSTAT_NEW_SSRC)
					counted = 0;
				else if (v != RTPSTAT_PROBATION && v != RTPSTAT_BAD)
					counted++;
				rtpstat_snapshot(&st, &snap);
				FUZZ_CHECK(snap.received <= counted);
			}
		}
		free(pl);
	}
	rtpstat_interval(&st);
	return 0;
}
