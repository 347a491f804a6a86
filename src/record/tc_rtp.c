/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Recording transcoder, packet path: RTP header parsing, the per-SSRC
 * timeline, decoding, and the single file's reorder ring. tc.c holds the
 * call's lifecycle, tc_mix.c the mixer, tc_out.c the files.
 *
 * Placing a packet (place()): the newest packet of a stream (highest
 * sequence number) is the reference. A newer packet goes at
 * last_pos + (ts - last_ts) as long as that agrees with its arrival time
 * within TC_JUMP_TOL and the timestamp moved forward; otherwise the stream
 * re-anchors at its arrival position (never before what it already wrote),
 * so an SSRC restart, a broken timestamp or a sender that stops its clock
 * during DTX costs no more than a short glitch. Older packets within
 * TC_MAX_MISORDER are placed relative to the newest one unless they are
 * duplicates (64-deep bitmap) or predate the last re-anchor. Sequence
 * jumps beyond RFC 3550 A.1's MAX_DROPOUT/MAX_MISORDER re-anchor at once
 * instead of waiting for a second packet: losing the first 20 ms of a
 * restarted stream would be worse than mis-placing one stray old packet.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "record/tc_priv.h"

/* The parts of an RTP packet the transcoder uses. */
struct rtp_view {
	uint32_t ssrc;
	uint32_t ts;
	uint16_t seq;
	uint8_t pt;
	const uint8_t *pl;
	uint32_t plen;
};

static const char *const codec_names[] = {
	[TC_C_UNMAPPED] = "unmapped",
	[TC_C_PCMU] = "PCMU",
	[TC_C_PCMA] = "PCMA",
	[TC_C_G722] = "G722",
	[TC_C_EVENT] = "telephone-event",
	[TC_C_CN] = "CN",
	[TC_C_OTHER] = "not decoded",
};

/* RFC 3550 5.1 header, CSRCs, RFC 8285/3550 5.3.1 extension, padding. */
static int
rtp_parse(const uint8_t *d, uint32_t len, struct rtp_view *r)
{
	uint32_t off;
	uint8_t pad;

	if (d == NULL || len < 12 || (d[0] >> 6) != 2)
		return -EINVAL;
	r->pt = d[1] & 0x7f;
	/* RFC 5761 4: 64..95 collide with RTCP (200..204 with the marker) */
	if (r->pt >= 64 && r->pt <= 95)
		return -EINVAL;
	off = 12 + 4u * (d[0] & 0x0f);
	if (d[0] & 0x10) {
		if (off + 4 > len)
			return -EINVAL;
		off += 4 + 4u * ((uint32_t)d[off + 2] << 8 | d[off + 3]);
	}
	if (off > len)
		return -EINVAL;
	r->plen = len - off;
	if (d[0] & 0x20) {
		pad = d[len - 1];
		if (pad == 0 || pad > r->plen)
			return -EINVAL;
		r->plen -= pad;
	}
	r->pl = d + off;
	r->seq = (uint16_t)(d[2] << 8 | d[3]);
	r->ts = (uint32_t)d[4] << 24 | (uint32_t)d[5] << 16 | (uint32_t)d[6] << 8 | d[7];
	r->ssrc = (uint32_t)d[8] << 24 | (uint32_t)d[9] << 16 | (uint32_t)d[10] << 8 | d[11];
	return 0;
}

/* Note each skipped PT once per call: what the lead logs and reports. */
static void
note_skipped(struct tc_call *c, const struct rtp_view *r, unsigned cd)
{
	if (c->noted_pt[r->pt >> 3] & (1u << (r->pt & 7)))
		return;
	c->noted_pt[r->pt >> 3] |= 1u << (r->pt & 7);
	if (cd == TC_C_UNMAPPED)
		tc_note(c, "ssrc %08x pt %u: skipped: no rtpmap for this payload type", r->ssrc,
			r->pt);
	else
		tc_note(c, "ssrc %08x pt %u: skipped: codec %s", r->ssrc, r->pt, codec_names[cd]);
}

static struct tc_stream *
stream_get(struct tc_call *c, const struct tc_packet *pk, const struct rtp_view *r, int *err,
	bool *fresh)
{
	struct tc_party *pa;
	struct tc_stream *s;
	char lbl[TC_MAX_LABEL];
	unsigned i;

	*fresh = false;
	for (i = 0; i < c->n_streams; i++) {
		s = &c->streams[i];
		/* keyed by party too: some gateways use one SSRC both ways */
		if (s->ssrc == r->ssrc && s->party->id == pk->party)
			return s;
	}
	if (c->n_streams == TC_MAX_STREAMS) {
		*err = -ENOSPC;
		return NULL;
	}
	pa = tc_party_get(c, pk->party, pk->label, err);
	if (pa == NULL)
		return NULL;
	s = &c->streams[c->n_streams];
	memset(s, 0, sizeof(*s));
	s->ssrc = r->ssrc;
	s->party = pa;
	s->last_seq = r->seq;
	/* reordered packets from just before the first one are still welcome */
	s->anchor_seq = (uint16_t)(r->seq - TC_MAX_MISORDER);
	s->last_ts = r->ts;
	s->last_pos = tc_pos_of(c, pk->arrival_ns);
	s->seen = 1;
	s->wpos = s->head = s->start = s->last_pos;
	s->last_arr_ns = pk->arrival_ns;
	tc_g722_init(&s->g722);
	if (c->p.formats != 0 && (c->p.outputs & TC_OUT_SINGLE)) {
		s->ring = calloc(TC_SRING, sizeof(*s->ring));
		if (s->ring == NULL) {
			*err = -ENOMEM;
			return NULL;
		}
		snprintf(lbl, sizeof(lbl), "%s", pa->label != NULL ? pa->label : "");
		s->out = tc_out_open(c, r->ssrc, 0, lbl, 1);
		if (s->out == NULL) {
			/* the mix may still work: keep the stream, write no single file */
			tc_note(c, "ssrc %08x: no single file: %s", r->ssrc, strerror(errno));
			free(s->ring);
			s->ring = NULL;
		}
	}
	c->n_streams++;
	*fresh = true;
	return s;
}

/*
 * Where does this packet go? 1: *pos set; 0: dropped (counted).
 * stateful: the codec (G.722's ADPCM) cannot decode an older packet after
 * a newer one, so reordered packets are dropped as late.
 */
static int
place(struct tc_call *c, struct tc_stream *s, const struct rtp_view *r, uint64_t arr, bool stateful,
	int64_t *pos)
{
	int64_t apos = tc_pos_of(c, arr), p;
	int32_t dts = (int32_t)(r->ts - s->last_ts) / (1 << s->ts_shift);
	int dseq = (int16_t)(r->seq - s->last_seq);
	unsigned back;

	if (dseq == 0) {
		c->st.duplicates++;
		return 0;
	}
	if (dseq > 0 && dseq <= TC_MAX_DROPOUT) {
		p = s->last_pos + dts;
		if (dts <= 0 || p - apos > TC_JUMP_TOL || apos - p > TC_JUMP_TOL) {
			p = apos > s->head ? apos : s->head;
			s->anchor_seq = r->seq;
			tc_g722_init(&s->g722); /* a restarted encoder starts from reset */
			c->st.jumps++;
		}
		s->seen = dseq >= 64 ? 1 : (s->seen << dseq) | 1;
		s->last_seq = r->seq;
		s->last_ts = r->ts;
		s->last_pos = p;
		s->last_arr_ns = arr;
		*pos = p;
		return 1;
	}
	if (dseq < 0 && dseq >= -TC_MAX_MISORDER) {
		back = -dseq;
		if (back < 64 && (s->seen >> back) & 1) {
			c->st.duplicates++;
			return 0;
		}
		p = s->last_pos + dts;
		if (stateful || (int16_t)(r->seq - s->anchor_seq) < 0 || p - apos > TC_JUMP_TOL ||
			apos - p > TC_JUMP_TOL) {
			c->st.late++;
			return 0;
		}
		if (back < 64)
			s->seen |= 1ull << back;
		c->st.reordered++;
		*pos = p;
		return 1;
	}
	/* sequence discontinuity: the sender restarted */
	p = apos > s->head ? apos : s->head;
	s->anchor_seq = r->seq;
	s->seen = 1;
	s->last_seq = r->seq;
	s->last_ts = r->ts;
	s->last_pos = p;
	s->last_arr_ns = arr;
	tc_g722_init(&s->g722);
	c->st.jumps++;
	*pos = p;
	return 1;
}

/*
 * RFC 3551 4.5.2 gives G.722 an 8000 Hz RTP clock although it samples at
 * 16 kHz; some senders step 320 per 20 ms anyway (field-lessons 3.1).
 * Two consecutive packets doing so switch the stream to halved
 * timestamps, so that they do not leave a 20 ms hole after every packet.
 */
static void
g722_clock(struct tc_call *c, struct tc_stream *s, const struct rtp_view *r)
{
	uint32_t dts = r->ts - s->last_ts;

	if (s->ts_shift != 0 || (uint16_t)(r->seq - s->last_seq) != 1)
		return;
	if (dts != 2 * r->plen) {
		s->ts_2x = 0;
		return;
	}
	if (++s->ts_2x < 2)
		return;
	s->ts_shift = 1; /* from this packet on; the first one left a 20 ms hole */
	tc_note(c, "ssrc %08x: G.722 timestamps run at 16 kHz (RFC 3551: 8 kHz): halved", r->ssrc);
}

/* Write the single file up to position 'to'; unfilled slots are silence. */
void
tc_stream_flush(struct tc_stream *s, int64_t to)
{
	int64_t k;
	unsigned idx;

	while (s->wpos < to) {
		if (s->wpos >= s->head) {
			/* past the newest samples the ring is all zero: a gap */
			tc_out_silence(s->out, to - s->wpos);
			s->wpos = to;
			break;
		}
		idx = s->wpos & (TC_SRING - 1);
		k = to - s->wpos;
		if (k > TC_SRING - idx)
			k = TC_SRING - idx;
		if (k > s->head - s->wpos)
			k = s->head - s->wpos;
		tc_out_write(s->out, s->ring + idx, k);
		memset(s->ring + idx, 0, k * sizeof(*s->ring));
		s->wpos += k;
	}
	s->written = true;
}

/* Put decoded samples into the single file's reorder ring. 0: too late. */
static int
stream_put(struct tc_stream *s, int64_t pos, const int16_t *pcm, unsigned n)
{
	unsigned idx, k, skip;

	if (!s->written && pos < s->wpos && s->head - pos <= TC_SRING)
		s->wpos = s->start = pos; /* the file has not begun: start earlier */
	if (pos < s->wpos) {
		if (s->wpos - pos >= n)
			return 0;
		skip = s->wpos - pos;
		pos += skip;
		pcm += skip;
		n -= skip;
	}
	/* keep half the ring as reorder window, write the rest in one go */
	if (pos + n > s->wpos + TC_SRING)
		tc_stream_flush(s, pos + n - TC_SRING / 2);
	idx = pos & (TC_SRING - 1);
	k = n < TC_SRING - idx ? n : TC_SRING - idx;
	memcpy(s->ring + idx, pcm, k * sizeof(*pcm));
	memcpy(s->ring, pcm + k, (n - k) * sizeof(*pcm));
	if (pos + n > s->head)
		s->head = pos + n;
	return 1;
}

int
tc_call_packet(struct tc_call *c, const struct tc_packet *pk)
{
	struct rtp_view r;
	struct tc_stream *s;
	int64_t pos;
	bool fresh;
	int rc = 0, used = 0;
	uint8_t cd;

	if (c == NULL || pk == NULL)
		return -EINVAL;
	c->st.packets++;
	if (!c->have_start) {
		c->start_mono_ns = pk->arrival_ns;
		c->have_start = true;
	}
	if (pk->arrival_ns > c->now_ns)
		c->now_ns = pk->arrival_ns;
	rc = rtp_parse(pk->data, pk->len, &r);
	if (rc < 0 || r.plen > TC_MAX_FRAME) {
		c->st.malformed++;
		return -EINVAL;
	}
	cd = c->ptmap[r.pt];
	if (cd == TC_C_EVENT || cd == TC_C_CN) {
		c->st.events++;
		return 0;
	}
	if (cd != TC_C_PCMU && cd != TC_C_PCMA && cd != TC_C_G722) {
		c->st.skipped++;
		note_skipped(c, &r, cd);
		return 0;
	}
	if (r.plen == 0)
		return 0;
	s = stream_get(c, pk, &r, &rc, &fresh);
	if (s == NULL) {
		if (rc == -ENOSPC)
			c->st.no_slot++;
		return rc;
	}
	if (cd != TC_C_G722)
		s->ts_shift = s->ts_2x = 0;
	else if (!fresh)
		g722_clock(c, s, &r);
	if (fresh)
		pos = s->last_pos;
	else if (!place(c, s, &r, pk->arrival_ns, cd == TC_C_G722, &pos))
		return 0;
	if (cd == TC_C_G722 && s->codec != TC_C_G722)
		tc_g722_init(&s->g722); /* switched codec: fresh decoder */
	s->codec = cd;
	if (cd == TC_C_PCMU)
		tc_ulaw_decode(r.pl, c->pcm, r.plen);
	else if (cd == TC_C_PCMA)
		tc_alaw_decode(r.pl, c->pcm, r.plen);
	else
		tc_g722_decode(&s->g722, r.pl, c->pcm, r.plen);
	if (s->ring != NULL)
		used |= stream_put(s, pos, c->pcm, r.plen);
	else if (pos + r.plen > s->head)
		s->head = pos + r.plen;
	used |= tc_mix_put(c, s->party, pos, c->pcm, r.plen);
	if (!used && (s->ring != NULL || s->party->slot >= 0)) {
		c->st.late++;
		return 0;
	}
	s->placed += r.plen;
	c->st.decoded++;
	tc_mix_poll(c);
	return 0;
}

void
tc_call_tick(struct tc_call *c, uint64_t now_ns)
{
	struct tc_stream *s;
	unsigned i;

	if (c == NULL || !c->have_start)
		return;
	if (now_ns > c->now_ns)
		c->now_ns = now_ns;
	/* a quiet stream's tail would otherwise wait in its ring until close */
	for (i = 0; i < c->n_streams; i++) {
		s = &c->streams[i];
		if (s->ring != NULL && s->wpos < s->head &&
			c->now_ns - s->last_arr_ns > TC_QUIET_NS)
			tc_stream_flush(s, s->head);
	}
	tc_mix_poll(c);
}
