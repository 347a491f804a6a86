/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The statistics of one call as rtpengine reports them in query/delete
 * replies (rtpengine-compat.md 6.2), built from the counters the workers
 * keep per flow.
 */
#include <netinet/in.h>
#include <string.h>

#include "control/call.h"
#include "control/call_priv.h"
#include "control/call_stats.h"
#include "dataplane/dp.h"

static const char *
family_name(uint8_t f)
{
	return f == AF_INET6 ? "IPv6" : "IPv4";
}

static void
add_endpoint(struct sl_arena *a, struct ng_val *d, const char *key, const struct sl_ep *ep)
{
	struct ng_val *e = ng_dict_add_dict(a, d, key);
	char buf[SL_ADDRSTRLEN];

	if (e == NULL)
		return;
	if (ep->port == 0 && ep->ip.family == 0)
		return; /* unknown yet: empty dictionary, like rtpengine */
	ng_dict_add_str(a, e, "family", family_name(ep->ip.family));
	ng_dict_add_str(a, e, "address", sl_ip_fmt(&ep->ip, buf, sizeof(buf)));
	ng_dict_add_int(a, e, "port", ep->port);
}

static void
add_counts(struct sl_arena *a, struct ng_val *d, const char *key, uint64_t pkts, uint64_t bytes,
	uint64_t errors)
{
	struct ng_val *s = ng_dict_add_dict(a, d, key);

	ng_dict_add_int(a, s, "packets", (int64_t)pkts);
	ng_dict_add_int(a, s, "bytes", (int64_t)bytes);
	ng_dict_add_int(a, s, "errors", (int64_t)errors);
}

/* seconds on the wall clock of a monotonic timestamp */
static int64_t
mono_to_real(uint64_t mono, uint64_t now_mono, uint64_t now_real_us)
{
	if (mono == 0)
		return 0;
	return (int64_t)(now_real_us / 1000000u) - (int64_t)(now_mono - mono);
}

static void
add_stream(struct sl_arena *a, struct ng_val *list, const struct call_media *m, unsigned comp,
	struct call_totals *t, uint64_t now_mono, uint64_t now_real_us)
{
	struct ng_val *s = ng_list_add(list, ng_new_dict(a)), *fl;
	const struct dp_addr *da = &dp_conf.addrs[m->sock.addr_idx];
	struct dp_flow_view v;
	struct sl_ep adv;
	char buf[SL_ADDRSTRLEN];

	if (s == NULL)
		return;
	dp_flow_read(m->sock.owner, dp_flow_index(m->sock.addr_idx, (uint16_t)(m->sock.port + comp)),
		&v);
	ng_dict_add_int(a, s, "local port", m->sock.port + comp);
	ng_dict_add_str(a, s, "local address", sl_ip_fmt(&da->ip, buf, sizeof(buf)));
	ng_dict_add_str(a, s, "family", family_name(da->ip.family));
	add_endpoint(a, s, "endpoint", v.learned.port ? &v.learned : &v.dest);
	adv = comp == 0 ? m->rtp : m->rtcp;
	add_endpoint(a, s, "advertised endpoint", &adv);
	ng_dict_add_int(a, s, "last packet",
		mono_to_real(call_tsc_to_mono_s(v.last_rx_tsc), now_mono, now_real_us));
	if (comp == 0 && call_mon_stream_ssrc(m) != 0)
		ng_dict_add_int(a, s, "SSRC", call_mon_stream_ssrc(m)); /* Kamailio's label filter */
	fl = ng_dict_add_list(a, s, "flags");
	ng_list_add_str(a, fl, comp == 0 ? "RTP" : "RTCP");
	if (v.dest.port != 0)
		ng_list_add_str(a, fl, "filled");
	if (v.learn_state == DP_LS_CONFIRMED)
		ng_list_add_str(a, fl, "confirmed");
	if (m->strict)
		ng_list_add_str(a, fl, "strict source address");
	if (m->handover)
		ng_list_add_str(a, fl, "media handover");
	add_counts(a, s, "stats", v.pkts, v.bytes, v.errors);
	if (comp == 0) {
		t->rtp_pkts += v.pkts;
		t->rtp_bytes += v.bytes;
		t->rtp_errors += v.errors;
	} else {
		t->rtcp_pkts += v.pkts;
		t->rtcp_bytes += v.bytes;
		t->rtcp_errors += v.errors;
	}
}

static void
add_party(struct sl_arena *a, struct ng_val *tags, const struct call *c,
	const struct call_party *p, struct call_totals *t, uint64_t now_mono, uint64_t now_real_us)
{
	struct ng_val *d = ng_dict_add_dict(a, tags, p->tag), *medias, *al;
	unsigned i, comp;

	if (d == NULL)
		return;
	ng_dict_add_str(a, d, "tag", p->tag);
	if (p->label != NULL)
		ng_dict_add_str(a, d, "label", p->label);
	if (p->via_branch != NULL)
		ng_dict_add_str(a, d, "via-branch", p->via_branch);
	ng_dict_add_int(a, d, "created", (int64_t)p->created_s);
	if (p->alias != NULL) {
		al = ng_dict_add_list(a, d, "tag-aliases");
		ng_list_add_str(a, al, p->alias);
	}
	medias = ng_dict_add_list(a, d, "medias");
	for (i = 0; i < p->n_media; i++) {
		const struct call_media *m = p->media[i];
		struct ng_val *md = ng_list_add(medias, ng_new_dict(a)), *streams, *fl;

		if (md == NULL)
			return;
		ng_dict_add_int(a, md, "index", m->index);
		ng_dict_add_str(a, md, "type", m->type);
		ng_dict_add_str(a, md, "protocol", m->proto);
		if (m->codec[0])
			ng_dict_add_str(a, md, "codec", m->codec);
		fl = ng_dict_add_list(a, md, "flags");
		ng_list_add_str(a, fl, "initialized");
		if (m->dir == SDP_DIR_NONE || m->dir == SDP_DIR_SENDRECV || m->dir == SDP_DIR_SENDONLY)
			ng_list_add_str(a, fl, "send");
		if ((m->dir == SDP_DIR_NONE || m->dir == SDP_DIR_SENDRECV ||
			    m->dir == SDP_DIR_RECVONLY) && !m->zero_addr)
			ng_list_add_str(a, fl, "recv");
		if (m->asym)
			ng_list_add_str(a, fl, "asymmetric");
		streams = ng_dict_add_list(a, md, "streams");
		if (!m->sock.allocated)
			continue;
		for (comp = 0; comp < (m->is_rtp ? 2u : 1u); comp++)
			add_stream(a, streams, m, comp, t, now_mono, now_real_us);
	}
	(void)c;
}

void
call_stats_build(struct sl_arena *a, struct ng_val *reply, const struct call *c,
	uint64_t now_mono, uint64_t now_real_us, struct call_totals *t)
{
	struct ng_val *tags, *totals;
	struct call_totals local;
	unsigned k;

	if (t == NULL)
		t = &local;
	memset(t, 0, sizeof(*t));
	ng_dict_add_int(a, reply, "created", (int64_t)c->created_s);
	ng_dict_add_int(a, reply, "created_us", (int64_t)(c->created_us % 1000000u));
	ng_dict_add_int(a, reply, "last signal", (int64_t)c->last_signal_s);
	call_mon_ssrc_dict((struct call *)c, a, ng_dict_add_dict(a, reply, "SSRC"));
	tags = ng_dict_add_dict(a, reply, "tags");
	for (k = 0; k < 2; k++)
		if (c->party[k].tag[0] != '\0')
			add_party(a, tags, c, &c->party[k], t, now_mono, now_real_us);
	totals = ng_dict_add_dict(a, reply, "totals");
	add_counts(a, totals, "RTP", t->rtp_pkts, t->rtp_bytes, t->rtp_errors);
	add_counts(a, totals, "RTCP", t->rtcp_pkts, t->rtcp_bytes, t->rtcp_errors);
}
