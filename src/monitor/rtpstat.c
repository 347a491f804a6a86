/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RTP header parsing and RFC 3550 appendix A receive statistics. Written from
 * the RFC's description (A.1 sequence validation, A.3 loss, A.8 jitter); the
 * per-packet path does no allocation, no division by a variable except the
 * ns -> timestamp conversion, and touches one 64-byte struct.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "monitor/rtpstat.h"

#define RTP_SEQ_MOD (1u << 16)
#define RTP_HDR_LEN 12
/* Cap on one transit difference (ts units) so that jitter*16 stays far from
 * 2^32 even for hostile timestamps: 2^24 is about 35 min at 8 kHz. */
#define JITTER_D_MAX (1u << 24)

static inline uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline bool
ext_is_one_byte(uint16_t profile)
{
	return profile == 0xBEDE;
}

static inline bool
ext_is_two_byte(uint16_t profile)
{
	return (profile & 0xFFF0) == 0x1000;
}

/*
 * Walk RFC 8285 elements of an extension block. With @p want == 0 only
 * validate; otherwise stop at element @p want.
 * @return 0 (valid / found), -EINVAL (element overruns the block), -ENOENT.
 */
static int
ext_walk(const uint8_t *d, size_t n, bool one_byte, uint8_t want, size_t *off, size_t *len)
{
	size_t i = 0, l;
	uint8_t id;

	while (i < n) {
		/* padding: a zero byte (two-byte form) or ID 0 (one-byte form, whose
		 * length bits are ignored, as libwebrtc does) */
		if (d[i] == 0 || (one_byte && (d[i] >> 4) == 0)) {
			i++;
			continue;
		}
		if (one_byte) {
			id = d[i] >> 4;
			l = (size_t)(d[i] & 0x0F) + 1;
			if (id == 15) /* reserved: stop processing */
				break;
			i++;
		} else {
			id = d[i];
			if (i + 2 > n)
				return -EINVAL;
			l = d[i + 1];
			i += 2;
		}
		if (i + l > n)
			return -EINVAL;
		if (want != 0 && id == want) {
			*off = i;
			*len = l;
			return 0;
		}
		i += l;
	}
	return want != 0 ? -ENOENT : 0;
}

int
rtp_parse(const uint8_t *p, size_t len, struct rtp_hdr *h)
{
	size_t off, end, elen, eo, el;
	uint16_t profile;

	if (p == NULL || h == NULL || len < RTP_HDR_LEN || len > UINT16_MAX)
		return -EINVAL;
	if ((p[0] >> 6) != 2)
		return -EINVAL;
	memset(h, 0, sizeof(*h));
	h->cc = p[0] & 0x0F;
	h->marker = p[1] >> 7;
	h->pt = p[1] & 0x7F;
	h->seq = be16(p + 2);
	h->ts = be32(p + 4);
	h->ssrc = be32(p + 8);
	off = RTP_HDR_LEN + 4u * h->cc;
	if (off > len)
		return -EINVAL;
	if (p[0] & 0x10) {
		if (off + 4 > len)
			return -EINVAL;
		profile = be16(p + off);
		elen = 4u * be16(p + off + 2);
		off += 4;
		if (elen > len - off)
			return -EINVAL;
		if ((ext_is_one_byte(profile) || ext_is_two_byte(profile)) &&
			ext_walk(p + off, elen, ext_is_one_byte(profile), 0, &eo, &el) != 0)
			return -EINVAL;
		h->ext_profile = profile;
		h->ext_off = (uint16_t)off;
		h->ext_len = (uint16_t)elen;
		off += elen;
	}
	end = len;
	if (p[0] & 0x20) {
		/* the count includes itself, so 0 is a lie, and it cannot eat the header */
		h->pad_len = p[len - 1];
		if (h->pad_len == 0 || h->pad_len > len - off)
			return -EINVAL;
		end -= h->pad_len;
	}
	h->payload_off = (uint16_t)off;
	h->payload_len = (uint16_t)(end - off);
	return 0;
}

int
rtp_ext_find(const uint8_t *pkt, const struct rtp_hdr *h, uint8_t id, uint16_t *off, uint16_t *len)
{
	size_t o, l;
	bool one;

	if (pkt == NULL || h == NULL || h->ext_off == 0 || id == 0)
		return -ENOENT;
	if (ext_is_one_byte(h->ext_profile))
		one = true;
	else if (ext_is_two_byte(h->ext_profile))
		one = false;
	else
		return -ENOENT;
	if (one && id > 14)
		return -ENOENT;
	if (ext_walk(pkt + h->ext_off, h->ext_len, one, id, &o, &l) != 0)
		return -ENOENT;
	*off = (uint16_t)(h->ext_off + o);
	*len = (uint16_t)l;
	return 0;
}

void
rtpstat_init(struct rtpstat *s)
{
	memset(s, 0, sizeof(*s));
}

/* A.1 init_seq(); jitter and the diagnostic counters survive a restart */
static void
seq_init(struct rtpstat *s, uint16_t seq)
{
	s->base_seq = seq;
	s->max_seq = seq;
	s->flags &= (uint8_t)~RTPSTAT_F_BAD;
	s->cycles = 0;
	s->received = 0;
	s->received_prior = 0;
	s->expected_prior = 0;
	s->seen = 1;
}

/* arrival time in RTP timestamp units (mod 2^32); only differences are used */
static inline uint32_t
ns_to_ts(uint64_t ns, uint32_t rate)
{
	uint64_t sec = ns / 1000000000u, rem = ns % 1000000000u;

	return (uint32_t)(sec * rate + rem * rate / 1000000000u);
}

/* A.8: J += (|D| - J) / 16, kept as J * 16 in integers */
static inline void
jitter_update(struct rtpstat *s, uint32_t ts, uint64_t arrival_ns, uint32_t clock_rate)
{
	uint32_t transit, d;
	int32_t sd;

	if (clock_rate == 0)
		return;
	transit = ns_to_ts(arrival_ns, clock_rate) - ts;
	if (s->flags & RTPSTAT_F_TRANSIT) {
		sd = (int32_t)(transit - s->transit);
		d = sd < 0 ? (uint32_t)(-(int64_t)sd) : (uint32_t)sd;
		if (d > JITTER_D_MAX)
			d = JITTER_D_MAX;
		s->jitter_q4 += d - ((s->jitter_q4 + 8) >> 4);
	}
	s->transit = transit;
	s->flags |= RTPSTAT_F_TRANSIT;
}

enum rtpstat_verdict
rtpstat_update(struct rtpstat *s, uint32_t ssrc, uint16_t seq, uint32_t ts, uint8_t pt,
	uint64_t arrival_ns, uint32_t clock_rate)
{
	enum rtpstat_verdict v = RTPSTAT_OK;
	uint16_t udelta, back;
	bool fresh = false;

	if (!(s->flags & RTPSTAT_F_INIT) || s->ssrc != ssrc) {
		memset(s, 0, sizeof(*s));
		s->ssrc = ssrc;
		s->flags = RTPSTAT_F_INIT;
		seq_init(s, seq);
		s->max_seq = (uint16_t)(seq - 1);
		s->probation = RTPSTAT_MIN_SEQUENTIAL;
		s->pt = pt;
		fresh = true;
	}
	if (pt != s->pt) {
		/* another codec may run another clock: no jitter sample across it */
		s->flags &= (uint8_t)~RTPSTAT_F_TRANSIT;
		s->pt = pt;
	}

	if (s->probation) {
		if (seq == (uint16_t)(s->max_seq + 1)) {
			s->probation--;
			s->max_seq = seq;
			if (s->probation == 0) {
				seq_init(s, seq);
				goto counted;
			}
		} else {
			s->probation = RTPSTAT_MIN_SEQUENTIAL - 1;
			s->max_seq = seq;
		}
		/* keep the transit so that the first counted packet has a D */
		if (clock_rate != 0) {
			s->transit = ns_to_ts(arrival_ns, clock_rate) - ts;
			s->flags |= RTPSTAT_F_TRANSIT;
		}
		return fresh ? RTPSTAT_NEW_SSRC : RTPSTAT_PROBATION;
	}

	udelta = (uint16_t)(seq - s->max_seq);
	if (udelta == 0) {
		v = RTPSTAT_DUP;
	} else if (udelta < RTPSTAT_MAX_DROPOUT) {
		if (seq < s->max_seq)
			s->cycles += RTP_SEQ_MOD;
		s->seen = udelta >= 32 ? 1u : (s->seen << udelta) | 1u;
		s->max_seq = seq;
	} else if (udelta <= RTP_SEQ_MOD - RTPSTAT_MAX_MISORDER) {
		if ((s->flags & RTPSTAT_F_BAD) && seq == s->bad_seq) {
			/* two in sequence after a big jump: the sender restarted */
			seq_init(s, seq);
			s->restarts++;
			v = RTPSTAT_RESTART;
		} else {
			s->bad_seq = (uint16_t)(seq + 1);
			s->flags |= RTPSTAT_F_BAD;
			return RTPSTAT_BAD;
		}
	} else {
		back = (uint16_t)(s->max_seq - seq);
		if (back < 32 && (s->seen & (1u << back))) {
			v = RTPSTAT_DUP;
		} else {
			if (back < 32)
				s->seen |= 1u << back;
			v = RTPSTAT_LATE;
		}
	}

counted:
	s->received++;
	if (v == RTPSTAT_DUP) {
		s->duplicates++;
		return v; /* a copy says nothing about network jitter */
	}
	if (v == RTPSTAT_LATE)
		s->reordered++;
	jitter_update(s, ts, arrival_ns, clock_rate);
	s->last_ts = ts;
	return v;
}

#define LD(f) __atomic_load_n(&s->f, __ATOMIC_RELAXED)

void
rtpstat_snapshot(const struct rtpstat *s, struct rtpstat_snap *out)
{
	uint32_t base = LD(base_seq);
	int64_t lost;

	memset(out, 0, sizeof(*out));
	out->ssrc = LD(ssrc);
	out->ext_max_seq = LD(cycles) + LD(max_seq);
	out->received = LD(received);
	out->valid = (LD(flags) & RTPSTAT_F_INIT) && LD(probation) == 0;
	out->expected = out->valid ? out->ext_max_seq - base + 1 : 0;
	lost = (int64_t)out->expected - out->received;
	if (lost > 0x7FFFFF)
		lost = 0x7FFFFF;
	else if (lost < -0x800000)
		lost = -0x800000;
	out->lost = (int32_t)lost;
	out->jitter = LD(jitter_q4) >> 4;
	out->last_ts = LD(last_ts);
	out->duplicates = LD(duplicates);
	out->reordered = LD(reordered);
	out->restarts = LD(restarts);
	out->pt = LD(pt);
}

#undef LD

static uint8_t
fraction(uint32_t expected_interval, uint32_t received_interval)
{
	int64_t lost_interval = (int64_t)expected_interval - received_interval;
	uint64_t f;

	if (expected_interval == 0 || lost_interval <= 0)
		return 0;
	f = ((uint64_t)lost_interval << 8) / expected_interval;
	return f > 255 ? 255 : (uint8_t)f; /* all lost would be 256 */
}

uint8_t
rtpstat_fraction(const struct rtpstat_snap *prev, const struct rtpstat_snap *cur)
{
	if (!cur->valid)
		return 0;
	/* a new SSRC or a restart zeroed the counters: the interval starts there */
	if (prev == NULL || !prev->valid || prev->ssrc != cur->ssrc ||
		prev->restarts != cur->restarts || cur->expected < prev->expected)
		return fraction(cur->expected, cur->received);
	return fraction(cur->expected - prev->expected, cur->received - prev->received);
}

uint8_t
rtpstat_interval(struct rtpstat *s)
{
	struct rtpstat_snap now;
	uint8_t f;

	rtpstat_snapshot(s, &now);
	if (!now.valid)
		return 0;
	f = fraction(now.expected - s->expected_prior, now.received - s->received_prior);
	s->expected_prior = now.expected;
	s->received_prior = now.received;
	return f;
}
