/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_RTPSTAT_H
#define SL_RTPSTAT_H

/**
 * @file
 * RTP header parsing and RFC 3550 appendix A receive statistics per SSRC.
 *
 * struct rtpstat is the hot part: 64 bytes, no pointers, updated per packet by
 * its one owner (a worker lcore) without allocation. The control thread reads
 * it through rtpstat_snapshot() and computes interval loss from two snapshots,
 * so it never writes the worker's copy.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RTPSTAT_MIN_SEQUENTIAL 2 /* packets in sequence before a source is valid */
#define RTPSTAT_MAX_DROPOUT 3000 /* forward jump still taken as loss, not a restart */
#define RTPSTAT_MAX_MISORDER 100 /* backward jump still taken as late/duplicate */

/** Parsed fixed header; offsets are from the start of the packet. */
struct rtp_hdr {
	uint32_t ts;
	uint32_t ssrc;
	uint16_t seq;
	uint16_t payload_off; /* first payload byte */
	uint16_t payload_len; /* excludes padding; may be 0 */
	uint16_t ext_off; /* first byte of extension data (after the 4-byte header), 0 if none */
	uint16_t ext_len; /* extension data bytes (4 * length field) */
	uint16_t ext_profile; /* 0xBEDE one-byte, 0x100x two-byte, else opaque */
	uint8_t pt;
	uint8_t marker;
	uint8_t cc;
	uint8_t pad_len; /* padding bytes incl. the count byte, 0 if P clear */
};

/**
 * Parse an RTP header: version 2, CSRC list, X (RFC 8285 one- and two-byte
 * element lengths are checked against the extension block), P (the count in
 * the last byte must be 1..payload).
 * @return 0, or -EINVAL (truncated, bad version, bad extension or padding).
 */
int rtp_parse(const uint8_t *pkt, size_t len, struct rtp_hdr *h);

/**
 * Find RFC 8285 element @p id (1..14 one-byte, 1..255 two-byte) in a packet
 * parsed by rtp_parse(). @return 0 with the element data at @p off (@p len bytes),
 * -ENOENT if absent or the extension is not RFC 8285.
 */
int rtp_ext_find(
	const uint8_t *pkt, const struct rtp_hdr *h, uint8_t id, uint16_t *off, uint16_t *len);

/** Per-SSRC receive state; owner: the worker lcore of its flow. */
struct rtpstat {
	uint32_t ssrc;
	uint16_t max_seq;  /* highest sequence number seen */
	uint16_t bad_seq;  /* A.1 bad_seq, valid if RTPSTAT_F_BAD */
	uint8_t probation; /* packets still needed before valid */
	uint8_t flags;	   /* RTPSTAT_F_* */
	uint8_t pt;	   /* payload type of the last valid packet */
	uint8_t rsvd;
	uint32_t cycles;	 /* sequence wraps << 16 */
	uint32_t base_seq;	 /* first sequence number counted */
	uint32_t received;	 /* valid packets incl. duplicates (A.3) */
	uint32_t expected_prior; /* A.3 interval state, see rtpstat_interval() */
	uint32_t received_prior;
	uint32_t transit;    /* A.8 relative transit of the previous packet, ts units */
	uint32_t jitter_q4;  /* A.8 jitter * 16, ts units */
	uint32_t last_ts;    /* RTP timestamp of the last valid packet */
	uint32_t seen;	     /* bit i: max_seq - i was received (duplicate detection) */
	uint32_t duplicates; /* seen twice within the last 32 sequence numbers */
	uint32_t reordered;  /* arrived after a higher sequence number */
	uint32_t restarts;   /* A.1 restarts: two in-sequence packets after a big jump */
};
_Static_assert(sizeof(struct rtpstat) <= 64, "rtpstat must fit one cache line");

#define RTPSTAT_F_INIT 0x01    /* ssrc seen */
#define RTPSTAT_F_BAD 0x02     /* bad_seq holds a candidate restart */
#define RTPSTAT_F_TRANSIT 0x04 /* transit holds a value */

/** Verdict of rtpstat_update(). */
enum rtpstat_verdict {
	RTPSTAT_OK = 0,	   /* counted, in order */
	RTPSTAT_LATE,	   /* counted, arrived after a higher sequence number */
	RTPSTAT_DUP,	   /* counted (A.1 counts duplicates), already seen */
	RTPSTAT_PROBATION, /* not counted: source not yet valid */
	RTPSTAT_BAD,	   /* not counted: jump beyond MAX_DROPOUT/MAX_MISORDER */
	RTPSTAT_RESTART,   /* counted: statistics restarted at this packet */
	RTPSTAT_NEW_SSRC,  /* not counted: first packet of a (new) SSRC, probation started */
};

/** Zero @p s (no SSRC yet). */
void rtpstat_init(struct rtpstat *s);

/**
 * Account one packet. A different SSRC than the current one restarts the
 * state for the new SSRC.
 * @param arrival_ns  arrival time, any monotonic ns clock (only differences matter)
 * @param clock_rate  RTP clock of the payload type in Hz; 0 skips jitter
 */
enum rtpstat_verdict rtpstat_update(struct rtpstat *s, uint32_t ssrc, uint16_t seq, uint32_t ts,
	uint8_t pt, uint64_t arrival_ns, uint32_t clock_rate);

/** Consistent view for reports; all counters cumulative. */
struct rtpstat_snap {
	uint32_t ssrc;
	uint32_t ext_max_seq; /* cycles + max_seq */
	uint32_t expected;    /* ext_max_seq - base_seq + 1, 0 before valid */
	uint32_t received;
	int32_t lost;	 /* expected - received, clamped to 24-bit signed */
	uint32_t jitter; /* ts units */
	uint32_t last_ts;
	uint32_t duplicates, reordered, restarts;
	uint8_t pt;
	bool valid; /* past probation */
};

/**
 * Copy @p s. On the owning lcore the copy is exact; from another thread each
 * field is read atomically (relaxed) but fields may come from different packets.
 */
void rtpstat_snapshot(const struct rtpstat *s, struct rtpstat_snap *out);

/** A.3 fraction lost (8-bit fixed point) between two snapshots of one SSRC. */
uint8_t rtpstat_fraction(const struct rtpstat_snap *prev, const struct rtpstat_snap *cur);

/**
 * A.3 on the owner's copy: fraction lost since the previous call, and start a
 * new interval. For the lcore that owns @p s (e.g. when generating RTCP).
 */
uint8_t rtpstat_interval(struct rtpstat *s);

#endif /* SL_RTPSTAT_H */
