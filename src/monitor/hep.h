/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_HEP_H
#define SL_HEP_H

/**
 * @file
 * HEPv3 (Homer) encoding of what sluice exports: RTCP as JSON (proto type 5,
 * one message per received compound, after decryption) and optionally ng
 * traffic (0x3d), with the chunk set and order rtpengine sends
 * (rtpengine-compat 6.4, field-lessons 3.10). Output goes into a caller
 * buffer; nothing is allocated. Control thread.
 */

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/addr.h"
#include "monitor/rtcp.h"

#define HEP_PROTO_RTCP_JSON 0x05
#define HEP_PROTO_NG 0x3d
#define HEP_CAPTURE_ID_DEFAULT 2001
#define HEP_PORT_DEFAULT 9060
#define HEP_MAX_LEN 65535 /* the 16-bit total length */

/** Generic chunk types (vendor 0). */
enum hep_chunk {
	HEP_IP_FAMILY = 0x01, /* u8: AF_INET / AF_INET6 */
	HEP_IP_PROTO = 0x02,  /* u8: 17 */
	HEP_IP4_SRC = 0x03,
	HEP_IP4_DST = 0x04,
	HEP_IP6_SRC = 0x05,
	HEP_IP6_DST = 0x06,
	HEP_SRC_PORT = 0x07, /* u16 */
	HEP_DST_PORT = 0x08,
	HEP_TS_SEC = 0x09,     /* u32 */
	HEP_TS_USEC = 0x0a,    /* u32 */
	HEP_PROTO_TYPE = 0x0b, /* u8 */
	HEP_CAPTURE_ID = 0x0c, /* u32 (not 16: a HEPv2 habit) */
	HEP_AUTH_KEY = 0x0e,
	HEP_PAYLOAD = 0x0f,
	HEP_PAYLOAD_Z = 0x10,
	HEP_CORRELATION = 0x11,
};

/** One message. For RTCP: src = remote peer, dst = our socket. */
struct hep_msg {
	struct sl_ep src, dst; /* same family */
	uint64_t ts_us;	       /* capture time, µs since 1970 */
	uint8_t proto_type;    /* HEP_PROTO_* */
	uint32_t capture_id;
	const char *corr; /* correlation id (Call-ID); chunk omitted if corr_len 0 */
	size_t corr_len;
	const void *payload;
	size_t payload_len;
};

/**
 * Encode @p m into @p buf.
 * @return bytes written; -EINVAL (no/mixed address family); -EMSGSIZE (over
 *         65535 bytes); -ENOSPC (@p cap too small; nothing useful in @p buf).
 */
ssize_t hep_encode(const struct hep_msg *m, uint8_t *buf, size_t cap);

/**
 * Write the RTCP-as-JSON payload of a parsed compound, byte for byte as
 * rtpengine does ("{ " ... " }", trailing commas removed, "packets_lost" as
 * the raw 24 bits, SDES text escaped and non-printable bytes as '_'). Only
 * SR, RR and SDES contribute; a compound without them gives -ENODATA, like
 * rtpengine, which then sends nothing. The text is NUL-terminated, so @p cap
 * must be at least the returned length + 1.
 * @return length (without the NUL); -EINVAL; -ENODATA; -ENOSPC.
 */
ssize_t hep_rtcp_json(const struct rtcp_report *r, char *buf, size_t cap);

#endif /* SL_HEP_H */
