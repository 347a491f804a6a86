/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HEPv3 encoder and rtpengine's RTCP-as-JSON payload. Every chunk length
 * includes its own 6-byte header, and the total length in the "HEP3" header
 * covers everything from "HEP3" on (field-lessons 3.10). Chunks are written in
 * the order rtpengine's homer.c sends them, so captures compare byte for byte.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "monitor/hep.h"

#define HEP_HDR_LEN 6	/* "HEP3" + u16 total length */
#define CHUNK_HDR_LEN 6 /* vendor, type, length */

struct hw {
	uint8_t *p;
	size_t cap, n;
};

static void
put(struct hw *w, const void *src, size_t len)
{
	if (w->n + len <= w->cap)
		memcpy(w->p + w->n, src, len);
	w->n += len; /* keeps counting past cap so the caller sees the size needed */
}

static void
put16(struct hw *w, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};

	put(w, b, 2);
}

static void
put32(struct hw *w, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};

	put(w, b, 4);
}

static void
chunk_hdr(struct hw *w, uint16_t type, size_t data_len)
{
	put16(w, 0x0000); /* generic vendor */
	put16(w, type);
	put16(w, (uint16_t)(CHUNK_HDR_LEN + data_len));
}

static void
chunk8(struct hw *w, uint16_t type, uint8_t v)
{
	chunk_hdr(w, type, 1);
	put(w, &v, 1);
}

static void
chunk16(struct hw *w, uint16_t type, uint16_t v)
{
	chunk_hdr(w, type, 2);
	put16(w, v);
}

static void
chunk32(struct hw *w, uint16_t type, uint32_t v)
{
	chunk_hdr(w, type, 4);
	put32(w, v);
}

static void
chunk_bytes(struct hw *w, uint16_t type, const void *d, size_t len)
{
	chunk_hdr(w, type, len);
	put(w, d, len);
}

ssize_t
hep_encode(const struct hep_msg *m, uint8_t *buf, size_t cap)
{
	struct hw w = {.p = buf, .cap = buf == NULL ? 0 : cap};
	size_t alen, total;
	bool v6;

	if (m == NULL || m->src.ip.family != m->dst.ip.family)
		return -EINVAL;
	if (m->src.ip.family == AF_INET)
		v6 = false;
	else if (m->src.ip.family == AF_INET6)
		v6 = true;
	else
		return -EINVAL;
	if ((m->payload_len > 0 && m->payload == NULL) || (m->corr_len > 0 && m->corr == NULL))
		return -EINVAL;
	alen = v6 ? 16 : 4;
	/* 3 u8 chunks, 2 u16, 3 u32, 2 addresses, optional correlation, payload */
	total = HEP_HDR_LEN + 3 * (CHUNK_HDR_LEN + 1) + 2 * (CHUNK_HDR_LEN + 2) +
		3 * (CHUNK_HDR_LEN + 4) + 2 * (CHUNK_HDR_LEN + alen) + CHUNK_HDR_LEN +
		m->payload_len + (m->corr_len > 0 ? CHUNK_HDR_LEN + m->corr_len : 0);
	if (total > HEP_MAX_LEN)
		return -EMSGSIZE;

	put(&w, "HEP3", 4);
	put16(&w, (uint16_t)total);
	chunk8(&w, HEP_IP_FAMILY, (uint8_t)m->src.ip.family);
	chunk8(&w, HEP_IP_PROTO, 17 /* UDP */);
	chunk16(&w, HEP_SRC_PORT, m->src.port);
	chunk16(&w, HEP_DST_PORT, m->dst.port);
	chunk32(&w, HEP_TS_SEC, (uint32_t)(m->ts_us / 1000000));
	chunk32(&w, HEP_TS_USEC, (uint32_t)(m->ts_us % 1000000));
	chunk8(&w, HEP_PROTO_TYPE, m->proto_type);
	chunk32(&w, HEP_CAPTURE_ID, m->capture_id);
	chunk_bytes(&w, v6 ? HEP_IP6_SRC : HEP_IP4_SRC, m->src.ip.a, alen);
	chunk_bytes(&w, v6 ? HEP_IP6_DST : HEP_IP4_DST, m->dst.ip.a, alen);
	if (m->corr_len > 0)
		chunk_bytes(&w, HEP_CORRELATION, m->corr, m->corr_len);
	chunk_bytes(&w, HEP_PAYLOAD, m->payload, m->payload_len);

	if (w.n != total)
		return -EINVAL; /* cannot happen: the two size computations agree */
	if (w.n > w.cap)
		return -ENOSPC;
	return (ssize_t)w.n;
}

/* ---- RTCP as JSON ---- */

struct jw {
	char *p;
	size_t cap, n;
	bool full;
};

static void __attribute__((format(printf, 2, 3))) jprintf(struct jw *j, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (j->full)
		return;
	va_start(ap, fmt);
	r = vsnprintf(j->p + j->n, j->cap - j->n, fmt, ap);
	va_end(ap);
	if (r < 0 || (size_t)r >= j->cap - j->n) {
		j->full = true;
		return;
	}
	j->n += (size_t)r;
}

static void
jputc(struct jw *j, char c)
{
	if (j->full)
		return;
	if (j->n + 1 >= j->cap) { /* keep room for vsnprintf's NUL */
		j->full = true;
		return;
	}
	j->p[j->n++] = c;
}

/* rtpengine's str_sanitize(): drop trailing blanks and commas */
static void
jtrim(struct jw *j)
{
	while (!j->full && j->n > 0 && (j->p[j->n - 1] == ' ' || j->p[j->n - 1] == ','))
		j->n--;
}

static void
json_blocks(struct jw *j, const struct rtcp_report *r, const struct rtcp_pkt *p)
{
	const struct rtcp_rb *b;
	unsigned int i;

	jprintf(j, "\"ssrc\":%u,\"type\":%u,\"report_count\":%u,\"report_blocks\":[", p->ssrc,
		p->pt, p->count);
	for (i = 0; i < p->n; i++) {
		b = &r->rb[p->first + i];
		jprintf(j,
			"{\"source_ssrc\":%u,\"highest_seq_no\":%u,\"fraction_lost\":%u,"
			"\"ia_jitter\":%u,\"packets_lost\":%u,\"lsr\":%u,\"dlsr\":%u},",
			b->ssrc, b->highest_seq, b->fraction, b->jitter, b->cum_lost_raw, b->lsr,
			b->dlsr);
	}
	jtrim(j);
	jprintf(j, "],");
}

static void
json_text(struct jw *j, const uint8_t *t, unsigned int len)
{
	unsigned int i;

	for (i = 0; i < len; i++) {
		switch (t[i]) {
		case '"':
			jprintf(j, "\\\"");
			break;
		case '\\':
			jprintf(j, "\\\\");
			break;
		case '\b':
			jprintf(j, "\\b");
			break;
		case '\f':
			jprintf(j, "\\f");
			break;
		case '\n':
			jprintf(j, "\\n");
			break;
		case '\r':
			jprintf(j, "\\r");
			break;
		case '\t':
			jprintf(j, "\\t");
			break;
		default:
			/* control, DEL and non-ASCII bytes become '_' (keeps the JSON valid) */
			jputc(j, t[i] < ' ' || t[i] > 126 ? '_' : (char)t[i]);
			break;
		}
	}
}

static void
json_sdes(struct jw *j, const struct rtcp_report *r, const struct rtcp_pkt *p)
{
	const struct rtcp_sdes_item *it;
	unsigned int i;

	jprintf(j, "\"sdes_report_count\":%u,\"sdes_information\": [ ", p->count);
	for (i = 0; i < p->n; i++) {
		it = &r->sdes[p->first + i];
		jprintf(j, "{\"sdes_chunk_ssrc\":%u,\"type\":%u,\"text\":\"", it->ssrc, it->type);
		json_text(j, it->text, it->len);
		jprintf(j, "\"},");
	}
	jtrim(j);
	jprintf(j, "],");
}

ssize_t
hep_rtcp_json(const struct rtcp_report *r, char *buf, size_t cap)
{
	struct jw j = {.p = buf, .cap = buf == NULL ? 0 : cap};
	const struct rtcp_pkt *p;
	const struct rtcp_sr *sr;
	unsigned int i;

	if (r == NULL)
		return -EINVAL;
	jprintf(&j, "{ ");
	for (i = 0; i < r->n_pkts; i++) {
		p = &r->pkts[i];
		switch (p->pt) {
		case RTCP_PT_SR:
			sr = &r->sr[p->sr];
			/* "usec" is the raw NTP fraction and " packets" has its blank:
			 * both as rtpengine sends them */
			jprintf(&j,
				"\"sender_information\":{\"ntp_timestamp_sec\":%u,"
				"\"ntp_timestamp_usec\":%u,\"octets\":%u,\"rtp_timestamp\":%u, "
				"\"packets\":%u},",
				sr->ntp_msw, sr->ntp_lsw, sr->octets, sr->rtp_ts, sr->packets);
			json_blocks(&j, r, p);
			break;
		case RTCP_PT_RR:
			json_blocks(&j, r, p);
			break;
		case RTCP_PT_SDES:
			json_sdes(&j, r, p);
			break;
		default:
			break;
		}
	}
	jtrim(&j);
	jprintf(&j, " }");
	if (j.full)
		return -ENOSPC;
	if (j.n <= 4) /* "{  }": nothing rtpengine would send */
		return -ENODATA;
	return (ssize_t)j.n;
}
