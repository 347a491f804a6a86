/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Compound RTCP parser. Every read is preceded by a length check against the
 * end of the current packet (its length word, minus padding), and the report
 * is only considered valid once the whole compound has been walked: any error
 * resets it, so a caller never sees half a packet.
 *
 * Difference from rtpengine: rtpengine stops silently at a truncated tail or a
 * bad length word and still uses (and exports to Homer) what it parsed before
 * it; here such a compound yields nothing (field-lessons 2.I.34: export only
 * validated RTCP).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "monitor/rtcp.h"

#define RTCP_HDR 4
#define RB_LEN 24
#define SENDER_INFO_LEN 20
#define XR_VOIP_LEN 32 /* block body, after the 4-byte block header */
#define XR_RRT_LEN 8
#define XR_DLRR_SUB 12

enum {
	XR_BT_RRT = 4,
	XR_BT_DLRR = 5,
	XR_BT_VOIP = 7,
};

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

const char *
rtcp_pt_name(uint8_t pt)
{
	switch (pt) {
	case RTCP_PT_SR:
		return "SR";
	case RTCP_PT_RR:
		return "RR";
	case RTCP_PT_SDES:
		return "SDES";
	case RTCP_PT_BYE:
		return "BYE";
	case RTCP_PT_APP:
		return "APP";
	case RTCP_PT_RTPFB:
		return "RTPFB";
	case RTCP_PT_PSFB:
		return "PSFB";
	case RTCP_PT_XR:
		return "XR";
	default:
		return "?";
	}
}

static void
report_reset(struct rtcp_report *r)
{
	r->n_pkts = r->n_sr = r->n_rb = r->n_sdes = r->n_bye = 0;
	r->n_voip = r->n_rrt = r->n_dlrr = 0;
	r->bye_reason = NULL;
	r->bye_reason_len = 0;
}

/* report blocks of an SR or RR: @p d points at the first block */
static int
parse_blocks(struct rtcp_report *r, struct rtcp_pkt *p, const uint8_t *d, uint32_t reporter)
{
	struct rtcp_rb *rb;
	uint32_t raw;
	unsigned int i;

	if (r->n_rb + p->count > RTCP_MAX_RB)
		return -E2BIG;
	p->first = r->n_rb;
	p->n = p->count;
	for (i = 0; i < p->count; i++, d += RB_LEN) {
		rb = &r->rb[r->n_rb++];
		rb->reporter = reporter;
		rb->ssrc = be32(d);
		rb->fraction = d[4];
		raw = (uint32_t)d[5] << 16 | (uint32_t)d[6] << 8 | d[7];
		rb->cum_lost_raw = raw;
		/* 24-bit two's complement: duplicates can make it negative */
		rb->cum_lost = (raw & 0x800000) ? (int32_t)raw - 0x1000000 : (int32_t)raw;
		rb->highest_seq = be32(d + 8);
		rb->jitter = be32(d + 12);
		rb->lsr = be32(d + 16);
		rb->dlsr = be32(d + 20);
	}
	return 0;
}

static int
parse_sr(struct rtcp_report *r, struct rtcp_pkt *p, const uint8_t *d, size_t n)
{
	struct rtcp_sr *sr;

	if (n < RTCP_HDR + 4 + SENDER_INFO_LEN + (size_t)p->count * RB_LEN)
		return -EINVAL;
	if (r->n_sr >= RTCP_MAX_PKTS)
		return -E2BIG;
	p->ssrc = be32(d + 4);
	p->sr = (uint8_t)r->n_sr;
	sr = &r->sr[r->n_sr++];
	sr->ssrc = p->ssrc;
	sr->ntp_msw = be32(d + 8);
	sr->ntp_lsw = be32(d + 12);
	sr->rtp_ts = be32(d + 16);
	sr->packets = be32(d + 20);
	sr->octets = be32(d + 24);
	/* anything after the blocks is a profile-specific extension: ignored */
	return parse_blocks(r, p, d + 28, p->ssrc);
}

static int
parse_rr(struct rtcp_report *r, struct rtcp_pkt *p, const uint8_t *d, size_t n)
{
	if (n < RTCP_HDR + 4 + (size_t)p->count * RB_LEN)
		return -EINVAL;
	p->ssrc = be32(d + 4);
	return parse_blocks(r, p, d + 8, p->ssrc);
}

static int
parse_sdes(struct rtcp_report *r, struct rtcp_pkt *p, const uint8_t *d, size_t n)
{
	struct rtcp_sdes_item *it;
	size_t i = RTCP_HDR;
	unsigned int c;
	uint32_t ssrc;
	uint8_t l;

	p->first = r->n_sdes;
	for (c = 0; c < p->count; c++) {
		if (i + 4 > n)
			return -EINVAL; /* SC claims more chunks than the packet holds */
		ssrc = be32(d + i);
		if (c == 0)
			p->ssrc = ssrc;
		i += 4;
		for (;;) {
			if (i >= n)
				return -EINVAL; /* no END item */
			if (d[i] == RTCP_SDES_END) {
				/* null octet(s), then padding to the next 32-bit boundary */
				i = (i + 4) & ~(size_t)3;
				if (i > n)
					return -EINVAL;
				break;
			}
			if (i + 2 > n)
				return -EINVAL;
			l = d[i + 1];
			if (i + 2 + l > n)
				return -EINVAL;
			if (r->n_sdes >= RTCP_MAX_SDES)
				return -E2BIG;
			it = &r->sdes[r->n_sdes++];
			it->ssrc = ssrc;
			it->type = d[i];
			it->len = l;
			it->pkt = (uint8_t)r->n_pkts;
			it->text = d + i + 2;
			i += 2 + (size_t)l;
		}
	}
	p->n = r->n_sdes - p->first;
	return 0;
}

static int
parse_bye(struct rtcp_report *r, struct rtcp_pkt *p, const uint8_t *d, size_t n)
{
	size_t i = RTCP_HDR + (size_t)p->count * 4;
	unsigned int c;

	if (i > n)
		return -EINVAL;
	if (r->n_bye + p->count > RTCP_MAX_BYE)
		return -E2BIG;
	if (i < n) { /* optional reason: length octet + text */
		if (i + 1 + d[i] > n)
			return -EINVAL;
		r->bye_reason = d + i + 1;
		r->bye_reason_len = d[i];
	}
	p->first = r->n_bye;
	p->n = p->count;
	for (c = 0; c < p->count; c++)
		r->bye[r->n_bye++] = be32(d + RTCP_HDR + 4 * c);
	if (p->count > 0)
		p->ssrc = r->bye[p->first];
	return 0;
}

static void
parse_voip(struct rtcp_xr_voip *v, const uint8_t *b)
{
	v->ssrc = be32(b);
	v->loss_rate = b[4];
	v->discard_rate = b[5];
	v->burst_density = b[6];
	v->gap_density = b[7];
	v->burst_duration = be16(b + 8);
	v->gap_duration = be16(b + 10);
	v->round_trip_delay = be16(b + 12);
	v->end_system_delay = be16(b + 14);
	v->signal_level = (int8_t)b[16];
	v->noise_level = (int8_t)b[17];
	v->rerl = b[18];
	v->gmin = b[19];
	v->r_factor = b[20];
	v->ext_r_factor = b[21];
	v->mos_lq = b[22];
	v->mos_cq = b[23];
	v->rx_config = b[24];
	/* b[25] reserved */
	v->jb_nominal = be16(b + 26);
	v->jb_max = be16(b + 28);
	v->jb_abs_max = be16(b + 30);
}

static int
parse_xr(struct rtcp_report *r, struct rtcp_pkt *p, const uint8_t *d, size_t n)
{
	size_t i = RTCP_HDR + 4, blen, k;
	struct rtcp_xr_dlrr *dl;
	const uint8_t *b;
	uint8_t pkt = (uint8_t)r->n_pkts;

	if (n < i)
		return -EINVAL;
	p->ssrc = be32(d + 4);
	while (i < n) {
		if (i + 4 > n)
			return -EINVAL;
		blen = 4u * be16(d + i + 2); /* (length + 1) words incl. the header */
		b = d + i + 4;
		if (blen > n - i - 4)
			return -EINVAL;
		switch (d[i]) {
		case XR_BT_VOIP:
			if (blen != XR_VOIP_LEN)
				return -EINVAL;
			if (r->n_voip >= RTCP_MAX_XR)
				return -E2BIG;
			parse_voip(&r->voip[r->n_voip], b);
			r->voip[r->n_voip].reporter = p->ssrc;
			r->voip[r->n_voip++].pkt = pkt;
			break;
		case XR_BT_RRT:
			if (blen != XR_RRT_LEN)
				return -EINVAL;
			if (r->n_rrt >= RTCP_MAX_XR)
				return -E2BIG;
			r->rrt[r->n_rrt] = (struct rtcp_xr_rrt){
				.ssrc = p->ssrc,
				.ntp_msw = be32(b),
				.ntp_lsw = be32(b + 4),
				.pkt = pkt,
			};
			r->n_rrt++;
			break;
		case XR_BT_DLRR:
			if (blen % XR_DLRR_SUB != 0)
				return -EINVAL;
			if (r->n_dlrr + blen / XR_DLRR_SUB > RTCP_MAX_XR)
				return -E2BIG;
			for (k = 0; k < blen; k += XR_DLRR_SUB) {
				dl = &r->dlrr[r->n_dlrr++];
				dl->reporter = p->ssrc;
				dl->ssrc = be32(b + k);
				dl->lrr = be32(b + k + 4);
				dl->dlrr = be32(b + k + 8);
				dl->pkt = pkt;
			}
			break;
		default:
			break; /* other block types: length-checked, not read */
		}
		i += 4 + blen;
	}
	return 0;
}

static int
parse_one(struct rtcp_report *r, struct rtcp_pkt *p, const uint8_t *d, size_t n)
{
	switch (p->pt) {
	case RTCP_PT_SR:
		return parse_sr(r, p, d, n);
	case RTCP_PT_RR:
		return parse_rr(r, p, d, n);
	case RTCP_PT_SDES:
		return parse_sdes(r, p, d, n);
	case RTCP_PT_BYE:
		return parse_bye(r, p, d, n);
	case RTCP_PT_APP:
		if (n < 12)
			return -EINVAL;
		p->ssrc = be32(d + 4);
		memcpy(p->name, d + 8, 4);
		return 0;
	case RTCP_PT_RTPFB:
	case RTCP_PT_PSFB:
		if (n < 12)
			return -EINVAL;
		p->ssrc = be32(d + 4);
		p->media_ssrc = be32(d + 8);
		return 0;
	case RTCP_PT_XR:
		return parse_xr(r, p, d, n);
	default:
		if (n >= 8)
			p->ssrc = be32(d + 4);
		return 0;
	}
}

int
rtcp_parse(const uint8_t *buf, size_t len, struct rtcp_report *r)
{
	size_t off = 0, plen, body;
	struct rtcp_pkt *p;
	const uint8_t *h;
	uint8_t pad;
	int rc;

	if (r == NULL)
		return -EINVAL;
	report_reset(r);
	if (buf == NULL || len < RTCP_HDR || len > UINT16_MAX)
		return -EINVAL;

	while (off < len) {
		rc = -EINVAL;
		if (len - off < RTCP_HDR)
			goto fail; /* trailing bytes that cannot be a header */
		h = buf + off;
		if ((h[0] >> 6) != 2)
			goto fail;
		if (h[1] < 192 || h[1] > 223)
			goto fail; /* not RTCP (RFC 5761 range) */
		plen = ((size_t)be16(h + 2) + 1) * 4;
		if (plen > len - off)
			goto fail;
		body = plen;
		if (h[0] & 0x20) {
			/* RFC 3550 6.4.1: padding only on the last packet of a compound */
			if (off + plen != len)
				goto fail;
			pad = h[plen - 1];
			if (pad == 0 || pad > plen - RTCP_HDR)
				goto fail;
			body -= pad;
		}
		if (r->n_pkts >= RTCP_MAX_PKTS) {
			rc = -E2BIG;
			goto fail;
		}
		p = &r->pkts[r->n_pkts];
		memset(p, 0, sizeof(*p));
		p->pt = h[1];
		p->count = h[0] & 0x1F;
		p->off = (uint16_t)off;
		p->len = (uint16_t)plen;
		rc = parse_one(r, p, h, body);
		if (rc != 0)
			goto fail;
		r->n_pkts++;
		off += plen;
	}
	return 0;

fail:
	report_reset(r);
	return rc;
}
