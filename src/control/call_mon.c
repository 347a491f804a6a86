/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Call quality (control thread): the RTCP the workers copy here (decrypted)
 * feeds per-SSRC MOS state the way rtpengine computes it
 * (rtpengine-compat.md 6.1), is exported to Homer as HEP, and together with
 * the workers' own RFC 3550 receive statistics fills the SSRC dictionary of
 * query/delete replies that Kamailio's mos_*_pv read (6.2, 6.3).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "control/call.h"
#include "control/call_priv.h"
#include "control/ng_tree.h"
#include "dataplane/dp.h"
#include "monitor/hep.h"
#include "monitor/mon.h"
#include "monitor/mos.h"
#include "monitor/rtcp.h"
#include "monitor/rtpstat.h"

#define CALL_MAX_SSRC 16

struct call_ssrc {
	uint32_t ssrc;
	struct call_media *media; /* the media whose socket receives this SSRC, NULL unknown */
	/* the workers' RFC 3550 jitter of this stream, sampled once a second while it flows */
	uint64_t jit_sum_us;
	uint32_t jit_n, jit_max_us, jit_last_rx;
	/* highest jitter this SSRC's owner reported in RTCP (any block), ms */
	uint32_t rep_jit_max_ms;
	bool has_rep;
	struct mos_ssrc mos;
};

struct call_mon_totals call_mon_totals;

static struct rtcp_report rtcp_buf; /* ~5 KiB: one at a time on the control thread */

static uint32_t
media_clock(const struct call_media *m)
{
	const char *slash = m != NULL ? strchr(m->codec, '/') : NULL;
	unsigned long v;

	if (slash == NULL)
		return 8000; /* G.711 and friends; RFC 3551 G.722 too */
	v = strtoul(slash + 1, NULL, 10);
	return v > 0 && v <= 192000 ? (uint32_t)v : 8000;
}

/*
 * The entry of @p ssrc, created if asked. Entries are allocated one by one
 * (stable addresses: callers hold two at a time) and only for SSRCs a call
 * really sees.
 */
static struct call_ssrc *
ssrc_get(struct call *c, uint32_t ssrc, struct call_media *m, bool create)
{
	struct call_ssrc *e;
	unsigned i;

	for (i = 0; i < c->n_ssrc; i++) {
		e = c->ssrc[i];
		if (e->ssrc == ssrc) {
			if (e->media == NULL)
				e->media = m;
			return e;
		}
	}
	if (!create || c->n_ssrc == CALL_MAX_SSRC)
		return NULL;
	if (c->n_ssrc == c->cap_ssrc) {
		unsigned ncap = c->cap_ssrc ? c->cap_ssrc * 2 : 4;
		struct call_ssrc **n = realloc(c->ssrc, ncap * sizeof(*n));

		if (n == NULL)
			return NULL;
		c->ssrc = n;
		c->cap_ssrc = ncap;
	}
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return NULL;
	e->ssrc = ssrc;
	e->media = m;
	mos_ssrc_init(&e->mos);
	c->ssrc[c->n_ssrc++] = e;
	return e;
}

void
call_mon_fini(struct call *c)
{
	unsigned i;

	for (i = 0; i < c->n_ssrc; i++)
		free(c->ssrc[i]);
	free(c->ssrc);
	c->ssrc = NULL;
	c->n_ssrc = c->cap_ssrc = 0;
}

static void
hep_export(const struct call_media *m, const struct dp_rtcp_copy *h, const struct rtcp_report *r,
	uint64_t now_us)
{
	char json[4096];
	struct hep_msg msg;
	ssize_t n;

	if (!mon_homer_enabled())
		return;
	n = hep_rtcp_json(r, json, sizeof(json));
	if (n < 0)
		return;
	memset(&msg, 0, sizeof(msg));
	msg.src = h->src;
	msg.dst.ip = dp_conf.addrs[h->addr_idx].ip;
	msg.dst.port = h->lport;
	if (msg.src.ip.family != msg.dst.ip.family)
		return;
	msg.ts_us = now_us;
	msg.proto_type = HEP_PROTO_RTCP_JSON;
	msg.capture_id = mon_homer_capture_id();
	msg.corr = m->call->call_id;
	msg.corr_len = strlen(m->call->call_id);
	msg.payload = json;
	msg.payload_len = (size_t)n;
	if (mon_homer_send(&msg) == 0)
		call_mon_totals.hep_sent++;
}

void
call_mon_rtcp(struct call_media *m, const struct dp_rtcp_copy *h, const uint8_t *pl)
{
	struct call *c = m->call;
	struct rtcp_report *r = &rtcp_buf;
	struct mos_conf conf = {.mode = call_cfg->mos == 1 ? MOS_LQ : MOS_CQ};
	uint64_t now_us = call_tsc_to_real_us(h->tsc);
	unsigned i;

	call_mon_totals.rtcp++;
	if (rtcp_parse(pl, h->len, r) < 0) {
		call_mon_totals.rtcp_bad++;
		return;
	}
	for (i = 0; i < r->n_sr; i++) {
		struct call_ssrc *e = ssrc_get(c, r->sr[i].ssrc, m, true);

		if (e != NULL)
			mos_sr(&e->mos, &r->sr[i], now_us);
	}
	for (i = 0; i < r->n_voip; i++) {
		struct call_ssrc *e = ssrc_get(c, r->voip[i].ssrc, NULL, true);

		if (e != NULL)
			mos_xr_voip(&e->mos, &r->voip[i]);
	}
	for (i = 0; i < r->n_rb; i++) {
		const struct rtcp_rb *rb = &r->rb[i];
		struct call_ssrc *rep = ssrc_get(c, rb->reporter, m, true);
		/* the stream reported on comes from the other party: it arrives on its socket */
		struct call_ssrc *src = ssrc_get(c, rb->ssrc, call_media_peer(m), true);
		struct mos_block sample;
		uint32_t clock;

		int rc;

		if (rep == NULL || src == NULL)
			continue;
		clock = media_clock(src->media);
		rc = mos_report_block(&rep->mos, &src->mos, rb, clock,
			clock >= 48000 ? MOS_FB : MOS_NB, &conf, now_us, &sample);
		if (rc == 0 || rc == -EAGAIN) {
			/* every block counts for the peak, stored or not */
			if (!rep->has_rep || sample.jitter_ms > rep->rep_jit_max_ms)
				rep->rep_jit_max_ms = sample.jitter_ms;
			rep->has_rep = true;
		}
		if (rc == 0 && sample.mos != 0) {
			call_mon_totals.mos_samples++;
			call_mon_totals.mos_sum += sample.mos;
		}
	}
	hep_export(m, h, r, now_us);
}

/* ---- the SSRC dictionary ---- */

static void *
emit_dict(void *ctx, void *parent, const char *key)
{
	return ng_dict_add_dict(ctx, parent, key);
}

static void *
emit_list(void *ctx, void *parent, const char *key)
{
	return ng_dict_add_list(ctx, parent, key);
}

static void *
emit_list_dict(void *ctx, void *list)
{
	return ng_list_add(list, ng_new_dict(ctx));
}

static void *
emit_int(void *ctx, void *parent, const char *key, int64_t v)
{
	return ng_dict_add_int(ctx, parent, key, v);
}

static const struct mos_emit_ops emit_ops = {emit_dict, emit_list, emit_list_dict, emit_int};

/* the workers' receive statistics of the SSRC that media @p m's socket gets */
static bool
media_rtpstat(const struct call_media *m, struct rtpstat_snap *snap)
{
	if (m == NULL || !m->sock.allocated || !m->is_rtp)
		return false;
	rtpstat_snapshot(dp_flow_rtpstat(m->sock.owner,
		dp_flow_index(m->sock.addr_idx, m->sock.port)), snap);
	return snap->ssrc != 0 || snap->received != 0;
}

uint32_t
call_mon_stream_ssrc(const struct call_media *m)
{
	struct rtpstat_snap snap;

	return media_rtpstat(m, &snap) ? snap.ssrc : 0;
}

/* the SSRC each RTP media's socket receives, entered in the call's list */
static void
ssrc_learn(struct call *c)
{
	unsigned k, i;

	for (k = 0; k < 2; k++) {
		for (i = 0; i < c->party[k].n_media; i++) {
			struct call_media *m = c->party[k].media[i];
			struct rtpstat_snap snap;

			if (m != NULL && media_rtpstat(m, &snap) && snap.ssrc != 0)
				ssrc_get(c, snap.ssrc, m, true);
		}
	}
}

static uint32_t
jitter_us(uint32_t jitter_ts, uint32_t clock)
{
	return (uint32_t)((uint64_t)jitter_ts * 1000000u / clock);
}

/*
 * Once a second: sample the RFC 3550 jitter of every stream that received
 * packets since the last sample. The workers keep only the current value;
 * the mean and the peak over the call come from these samples.
 */
void
call_mon_tick(void)
{
	struct call *c;
	unsigned i;

	for (c = call_first(); c != NULL; c = call_next(c)) {
		ssrc_learn(c);
		for (i = 0; i < c->n_ssrc; i++) {
			struct call_ssrc *e = c->ssrc[i];
			struct rtpstat_snap snap;
			uint32_t j;

			if (!media_rtpstat(e->media, &snap) || snap.ssrc != e->ssrc ||
				!snap.valid || snap.received == e->jit_last_rx)
				continue;
			e->jit_last_rx = snap.received;
			j = jitter_us(snap.jitter, media_clock(e->media));
			e->jit_sum_us += j;
			e->jit_n++;
			if (j > e->jit_max_us)
				e->jit_max_us = j;
		}
	}
}

static struct call_ssrc *
ssrc_of_media(struct call_media *m)
{
	uint32_t ssrc = call_mon_stream_ssrc(m);

	return ssrc != 0 ? ssrc_get(m->call, ssrc, m, true) : NULL;
}

int
call_media_quality(struct call_media *m, struct call_quality *q)
{
	struct rtpstat_snap snap;
	struct call_ssrc *e;
	struct mos_report r;

	memset(q, 0, sizeof(*q));
	if (m == NULL || !media_rtpstat(m, &snap) || snap.ssrc == 0 ||
		(e = ssrc_of_media(m)) == NULL)
		return -ENOENT;
	q->ssrc = e->ssrc;
	q->expected = snap.expected;
	q->received = snap.received;
	q->lost = snap.lost;
	q->jitter_us = jitter_us(snap.jitter, media_clock(m));
	q->jitter_avg_us = e->jit_n ? (uint32_t)(e->jit_sum_us / e->jit_n) : q->jitter_us;
	q->jitter_max_us = e->jit_max_us > q->jitter_us ? e->jit_max_us : q->jitter_us;
	q->has_rtcp = e->has_rep;
	q->rtcp_jitter_max_ms = e->rep_jit_max_ms;
	q->rtcp_cum_loss = e->mos.cum_loss;
	mos_ssrc_report(&e->mos, &r);
	if (r.has_mos) {
		q->has_mos = true;
		q->mos_avg = (uint32_t)r.average.mos;
		q->mos_min = (uint32_t)r.lowest.mos;
		q->mos_max = (uint32_t)r.highest.mos;
		q->mos_samples = (uint32_t)r.samples;
		q->rtcp_loss_avg_pct = (uint32_t)r.average.loss;
		q->rtcp_jitter_avg_ms = (uint32_t)r.average.jitter;
		q->rtt_avg_us = (uint32_t)r.average.rtt;
	}
	return 0;
}

void
call_mon_ssrc_dict(struct call *c, struct sl_arena *a, struct ng_val *dict)
{
	unsigned i;

	ssrc_learn(c); /* every SSRC the workers see, even without RTCP */
	for (i = 0; i < c->n_ssrc; i++) {
		struct call_ssrc *e = c->ssrc[i];
		struct ng_val *d = ng_dict_add_dict(a, dict, sl_arena_printf(a, "%u", e->ssrc));
		struct rtpstat_snap snap;

		if (d == NULL)
			return;
		if (media_rtpstat(e->media, &snap) && snap.ssrc == e->ssrc) {
			uint32_t clock = media_clock(e->media), now = jitter_us(snap.jitter, clock);
			struct dp_flow_view v;
			struct ng_val *rs;

			dp_flow_read(e->media->sock.owner,
				dp_flow_index(e->media->sock.addr_idx, e->media->sock.port), &v);
			ng_dict_add_int(a, d, "bytes", (int64_t)v.bytes);
			ng_dict_add_int(a, d, "packets", (int64_t)v.pkts);
			ng_dict_add_int(a, d, "last RTP timestamp", snap.last_ts);
			ng_dict_add_int(a, d, "last RTP seq", snap.ext_max_seq);
			/* sluice's own measurement (RFC 3550 A.1/A.8), with or without RTCP;
			 * jitter in ms like rtpengine's, mean and peak over 1 s samples */
			rs = ng_dict_add_dict(a, d, "receive statistics");
			ng_dict_add_int(a, rs, "expected", snap.expected);
			ng_dict_add_int(a, rs, "received", snap.received);
			ng_dict_add_int(a, rs, "lost", snap.lost);
			ng_dict_add_int(a, rs, "duplicates", snap.duplicates);
			ng_dict_add_int(a, rs, "reordered", snap.reordered);
			ng_dict_add_int(a, rs, "jitter", now / 1000);
			ng_dict_add_int(a, rs, "average jitter",
				(e->jit_n ? e->jit_sum_us / e->jit_n : now) / 1000);
			ng_dict_add_int(a, rs, "highest jitter",
				(e->jit_max_us > now ? e->jit_max_us : now) / 1000);
		}
		mos_ssrc_emit(&e->mos, &emit_ops, a, d);
		/* the peak of the jitter this SSRC's owner reported (all blocks), ms */
		if (e->has_rep)
			ng_dict_add_int(a, d, "highest jitter", e->rep_jit_max_ms);
	}
}
