/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_RTCP_H
#define SL_RTCP_H

/**
 * @file
 * Compound RTCP parser (RFC 3550 SR/RR/SDES/BYE/APP, RFC 4585 feedback,
 * RFC 3611 XR) for the control thread, run on plain RTCP (after SRTCP
 * decryption). The whole compound is validated before anything is reported:
 * on error the report is left empty. No allocation; the result is a fixed-size
 * struct with flat arrays the caller iterates in packet order.
 *
 * Ownership: SDES text and BYE reason point into the caller's packet buffer,
 * which must outlive the report.
 */

#include <stddef.h>
#include <stdint.h>

enum rtcp_pt {
	RTCP_PT_SR = 200,
	RTCP_PT_RR = 201,
	RTCP_PT_SDES = 202,
	RTCP_PT_BYE = 203,
	RTCP_PT_APP = 204,
	RTCP_PT_RTPFB = 205,
	RTCP_PT_PSFB = 206,
	RTCP_PT_XR = 207,
};

enum rtcp_sdes_type {
	RTCP_SDES_END = 0,
	RTCP_SDES_CNAME = 1, /* ... NAME 2, EMAIL 3, PHONE 4, LOC 5, TOOL 6, NOTE 7 */
	RTCP_SDES_PRIV = 8,
};

/* Capacities of one report; a compound needing more gives -E2BIG. */
#define RTCP_MAX_PKTS 16
#define RTCP_MAX_RB 64	 /* report blocks over all SR/RR */
#define RTCP_MAX_SDES 32 /* SDES items over all chunks */
#define RTCP_MAX_BYE 32
#define RTCP_MAX_XR 16 /* per XR block kind */

/** One packet of the compound. */
struct rtcp_pkt {
	uint8_t pt;	     /* enum rtcp_pt or another value in 192..223 (skipped) */
	uint8_t count;	     /* RC / SC / FMT / APP subtype field */
	uint16_t off;	     /* byte offset in the compound */
	uint16_t len;	     /* bytes incl. header and padding */
	uint16_t first, n;   /* SR/RR: rb[]; SDES: sdes[]; BYE: bye[]; else 0 */
	uint32_t ssrc;	     /* sender SSRC (SR, RR, APP, FB, XR); first SSRC (SDES, BYE) */
	uint32_t media_ssrc; /* RTPFB/PSFB: media source */
	uint8_t sr;	     /* SR: index into sr[] */
	char name[4];	     /* APP: name */
};

/** SR sender info. */
struct rtcp_sr {
	uint32_t ssrc;
	uint32_t ntp_msw, ntp_lsw; /* NTP timestamp (seconds since 1900, fraction) */
	uint32_t rtp_ts;
	uint32_t packets, octets;
};

/** Report block of an SR or RR. */
struct rtcp_rb {
	uint32_t reporter;     /* SSRC of the SR/RR sender */
	uint32_t ssrc;	       /* source_ssrc: the stream reported on */
	uint8_t fraction;      /* fraction lost, /256 */
	int32_t cum_lost;      /* cumulative lost, sign-extended from 24 bits */
	uint32_t cum_lost_raw; /* the 24 bits as sent (rtpengine prints these) */
	uint32_t highest_seq;  /* extended highest sequence number */
	uint32_t jitter;       /* timestamp units */
	uint32_t lsr;	       /* middle 32 bits of the last SR's NTP time, 0 = none */
	uint32_t dlsr;	       /* 1/65536 s since that SR, 0 = none */
};

struct rtcp_sdes_item {
	uint32_t ssrc; /* chunk SSRC/CSRC */
	uint8_t type;  /* enum rtcp_sdes_type */
	uint8_t len;
	uint8_t pkt;	     /* index into pkts[] */
	const uint8_t *text; /* into the packet buffer, not NUL-terminated */
};

/** RFC 3611 4.7 VoIP Metrics report block (units as in the RFC). */
struct rtcp_xr_voip {
	uint32_t reporter, ssrc;		     /* XR sender; source reported on */
	uint8_t loss_rate, discard_rate;	     /* fraction /256 */
	uint8_t burst_density, gap_density;	     /* fraction /256 */
	uint16_t burst_duration, gap_duration;	     /* ms */
	uint16_t round_trip_delay, end_system_delay; /* ms, 0 = unavailable */
	int8_t signal_level, noise_level;	     /* dBm0, 127 = unavailable */
	uint8_t rerl, gmin;			     /* dB / 0.5 dB; gap threshold */
	uint8_t r_factor, ext_r_factor;		     /* 0..100, 127 = unavailable */
	uint8_t mos_lq, mos_cq;			     /* MOS x10, 127 = unavailable */
	uint8_t rx_config;			     /* PLC / JB adaptive / JB rate */
	uint16_t jb_nominal, jb_max, jb_abs_max;     /* ms */
	uint8_t pkt;
};

/** RFC 3611 4.4 Receiver Reference Time (an RR-sender's NTP clock). */
struct rtcp_xr_rrt {
	uint32_t ssrc; /* XR sender */
	uint32_t ntp_msw, ntp_lsw;
	uint8_t pkt;
};

/** RFC 3611 4.5 DLRR sub-block. */
struct rtcp_xr_dlrr {
	uint32_t reporter, ssrc; /* XR sender; receiver the sub-block answers */
	uint32_t lrr, dlrr;	 /* like LSR/DLSR */
	uint8_t pkt;
};

struct rtcp_report {
	uint16_t n_pkts, n_sr, n_rb, n_sdes, n_bye, n_voip, n_rrt, n_dlrr;
	struct rtcp_pkt pkts[RTCP_MAX_PKTS];
	struct rtcp_sr sr[RTCP_MAX_PKTS];
	struct rtcp_rb rb[RTCP_MAX_RB];
	struct rtcp_sdes_item sdes[RTCP_MAX_SDES];
	uint32_t bye[RTCP_MAX_BYE];
	const uint8_t *bye_reason; /* last BYE's reason, into the buffer, or NULL */
	uint8_t bye_reason_len;
	struct rtcp_xr_voip voip[RTCP_MAX_XR];
	struct rtcp_xr_rrt rrt[RTCP_MAX_XR];
	struct rtcp_xr_dlrr dlrr[RTCP_MAX_XR];
};

/**
 * Parse and validate a compound RTCP packet of @p len bytes.
 *
 * Rejected: version != 2, a packet type outside 192..223, a length word that
 * runs past the buffer or leaves trailing bytes, padding on a packet that is
 * not the last or a padding count of 0 or beyond the packet, counts (RC, SC,
 * BYE SC) that do not fit the packet, SDES chunks/items that run past the
 * packet or lack their END, XR blocks that run past the packet or have the
 * wrong length for their type, feedback/APP packets shorter than their fixed part.
 * Accepted without reading: SR/RR profile extensions, APP data, feedback FCI,
 * unknown XR block types and unknown packet types in 192..223. A compound may
 * start with any type (RFC 5506 reduced-size RTCP).
 *
 * @return 0; -EINVAL (malformed, see above); -E2BIG (well-formed but more
 *         packets/blocks/items than the RTCP_MAX_* capacities).
 *         On error @p r is empty (all counts 0).
 */
int rtcp_parse(const uint8_t *buf, size_t len, struct rtcp_report *r);

/** @return "SR", "RR", ... for a packet type, "?" for others. */
const char *rtcp_pt_name(uint8_t pt);

/** Middle 32 bits of an NTP timestamp, as carried in LSR/LRR. */
static inline uint32_t
rtcp_ntp_mid(uint32_t msw, uint32_t lsw)
{
	return msw << 16 | lsw >> 16;
}

#endif /* SL_RTCP_H */
