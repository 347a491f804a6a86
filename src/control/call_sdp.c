/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Offer/answer: apply an SDP sent by one party to the call, allocate the
 * sockets both parties use, program the flows and write the SDP the other
 * party receives (control thread).
 *
 * The same function serves offer and answer: in both, the party that sent
 * the SDP ("from") gets its media updated and the SDP for the recipient
 * ("to") advertises the recipient's own sockets.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "control/call.h"
#include "control/call_priv.h"
#include "control/ports.h"
#include "dataplane/dp.h"

/* extra SDP lines per media we may add (a=crypto for 12 suites, DTLS, ICE) */
#define MEDIA_LINES 32

/* static payload types whose encoding name stats report (RFC 3551) */
static const char *const static_pt[35] = {
	[0] = "PCMU/8000", [3] = "GSM/8000", [4] = "G723/8000", [8] = "PCMA/8000",
	[9] = "G722/8000", [13] = "CN/8000", [15] = "G728/8000", [18] = "G729/8000",
	[26] = "JPEG/90000", [31] = "H261/90000", [34] = "H263/90000",
};

/* UDP-based media the relay forwards; anything else (TCP, message...) is copied through */
static bool
proto_relayed(const struct sdp_line *proto)
{
	static const char *const udp[] = {"RTP/", "UDP/", "udptl", "UDP"};
	unsigned i;

	for (i = 0; i < sizeof(udp) / sizeof(udp[0]); i++) {
		size_t n = strlen(udp[i]);

		if (proto->len >= n && strncasecmp(proto->s, udp[i], n) == 0)
			return true;
	}
	return false;
}

static void
copy_line(char *dst, size_t cap, const struct sdp_line *l)
{
	size_t n = l->len < cap - 1 ? l->len : cap - 1;

	memcpy(dst, l->s, n);
	dst[n] = '\0';
}

/* encoding of the first payload type, e.g. "PCMU/8000" */
static void
media_codec(const struct sdp_media *sm, char *out, size_t cap)
{
	unsigned i;
	char want[8];
	size_t wl;

	out[0] = '\0';
	if (!sm->is_rtp || sm->n_pt == 0)
		return;
	wl = (size_t)snprintf(want, sizeof(want), "%u ", sm->pt[0]);
	for (i = 0; i < sm->n_attrs; i++) {
		const struct sdp_attr *at = &sm->attrs[i];

		if (at->name_len == 6 && memcmp(at->name, "rtpmap", 6) == 0 && at->value != NULL &&
			at->value_len > wl && memcmp(at->value, want, wl) == 0) {
			size_t n = at->value_len - wl;

			if (n >= cap)
				n = cap - 1;
			memcpy(out, at->value + wl, n);
			out[n] = '\0';
			return;
		}
	}
	if (sm->pt[0] < 35 && static_pt[sm->pt[0]] != NULL)
		snprintf(out, cap, "%s", static_pt[sm->pt[0]]);
}

/* local address index of logical interface @p lif for @p family (falls back to the other) */
static int
lif_addr(int lif, uint8_t family)
{
	const struct call_lif *l = &call_lifs[lif];

	if (family == AF_INET6)
		return l->addr6 >= 0 ? l->addr6 : l->addr4;
	return l->addr4 >= 0 ? l->addr4 : l->addr6;
}


static bool
dir_sends(enum sdp_dir d)
{
	return d == SDP_DIR_NONE || d == SDP_DIR_SENDRECV || d == SDP_DIR_SENDONLY;
}

static bool
dir_recvs(enum sdp_dir d)
{
	return d == SDP_DIR_NONE || d == SDP_DIR_SENDRECV || d == SDP_DIR_RECVONLY;
}

/* direction attribute the recipient sees for the sender's media */
static enum sdp_dir
dir_out(const struct call_media *m)
{
	bool s = dir_sends(m->dir), r = dir_recvs(m->dir) && !m->zero_addr;

	if (s && r)
		return SDP_DIR_SENDRECV;
	if (s)
		return SDP_DIR_SENDONLY;
	if (r)
		return SDP_DIR_RECVONLY;
	return SDP_DIR_INACTIVE;
}

/* "RTP/AVPF", "RTP/SAVPF", "UDP/TLS/RTP/SAVPF": RTCP feedback profiles */
static bool
proto_has_fb(const char *proto)
{
	size_t n = strlen(proto);

	return n > 0 && proto[n - 1] == 'F';
}

/*
 * rtcp-mux (rtpengine-compat.md 3.5) and the AVPF->AVP feedback filter for
 * media @p fm (sender of this SDP) and @p tm (recipient). Mux is sticky: once
 * a side uses it, it keeps it (field-lessons #26).
 */
static void
media_negotiate(struct call_media *fm, struct call_media *tm, const struct sdp_media *sm,
	bool answer, const struct call_opts *o)
{
	fm->mux_sig = sm->rtcp_mux;
	if (!answer) {
		tm->mux_offered = tm->mux || o->mux_offer || o->mux_require ||
			(fm->mux_sig && !o->mux_demux && !o->mux_reject);
		if (o->mux_require)
			tm->mux = true;
		/* accepting the offerer's mux is decided now when the offer says so */
		if (fm->mux_sig && !o->mux_reject &&
			(o->mux_accept || o->mux_demux || o->mux_require))
			fm->mux = true;
	} else {
		if (fm->mux_sig && fm->mux_offered)
			fm->mux = true;
		if (tm->mux_sig && !o->mux_reject &&
			(fm->mux || o->mux_demux || o->mux_accept || o->mux_require))
			tm->mux = true;
	}
	/* a party speaking plain AVP gets no RTCP feedback from an AVPF party */
	fm->strip_fb = !proto_has_fb(fm->proto) && proto_has_fb(tm->proto);
	tm->strip_fb = !proto_has_fb(tm->proto) && proto_has_fb(fm->proto);
}

/* the sender's own a=mid: echoed back to it, never passed on */
static void
media_mid(struct call_media *fm, const struct sdp_media *sm)
{
	unsigned i;

	for (i = 0; i < sm->n_attrs; i++) {
		const struct sdp_attr *a = &sm->attrs[i];

		if (a->name_len == 3 && memcmp(a->name, "mid", 3) == 0 && a->value != NULL &&
			a->value_len > 0 && a->value_len < sizeof(fm->mid)) {
			memcpy(fm->mid, a->value, a->value_len);
			fm->mid[a->value_len] = '\0';
			return;
		}
	}
}

/* does the session group its media with BUNDLE? */
static bool
sdp_bundle(const struct sdp_session *s)
{
	unsigned i;

	for (i = 0; i < s->n_attrs; i++) {
		const struct sdp_attr *a = &s->attrs[i];

		if (a->name_len == 5 && memcmp(a->name, "group", 5) == 0 && a->value != NULL &&
			a->value_len >= 6 && memcmp(a->value, "BUNDLE", 6) == 0)
			return true;
	}
	return false;
}

/*
 * a=group:BUNDLE toward @p to: the mids of its relayed media when it bundles
 * (its SDP did) or asked for generated mids; one transport per media still
 * (each m= keeps its own port: bundling several media on one port is not done).
 */
static const char *
bundle_line(struct sl_arena *a, const struct call_party *to, const struct sdp_out *so,
	unsigned n_media, bool generate)
{
	char buf[256];
	size_t n;
	unsigned i, k = 0;

	if (!to->bundle && !generate)
		return NULL;
	n = (size_t)snprintf(buf, sizeof(buf), "a=group:BUNDLE");
	for (i = 0; i < n_media && i < to->n_media; i++) {
		const struct call_media *m = to->media[i];

		if (m == NULL || so->media[i].passthrough || so->media[i].port == 0 ||
			so->media[i].mid == NULL || n + strlen(m->mid) + 2 > sizeof(buf))
			continue;
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, " %s", m->mid);
		k++;
	}
	return k > 0 ? sl_arena_strndup(a, buf, n) : NULL;
}

static void
media_release(struct call_media *m)
{
	call_sock_free(&m->sock);
}

static int
sock_alloc(struct call_sock *s, unsigned addr_idx, unsigned owner)
{
	uint16_t port;

	if (ports_alloc(addr_idx, owner, &port) < 0)
		return -ENOSPC;
	s->allocated = true;
	s->addr_idx = (uint8_t)addr_idx;
	s->owner = (uint8_t)owner;
	s->port = port;
	return 0;
}

long
call_sdp_apply(struct call *c, struct call_party *from, struct call_party *to, bool answer,
	const char *sdp, size_t sdp_len, const struct call_opts *o, char *out, size_t cap,
	const char **err)
{
	struct sl_arena arena;
	struct sdp_session *s;
	struct sdp_out *so;
	const char *perr = NULL;
	int first_out = -1, rc;
	unsigned i, w, from_addr, to_addr;
	long len = -EINVAL;

	sl_arena_init(&arena, 32768);
	s = sl_arena_alloc(&arena, sizeof(*s));
	so = sl_arena_alloc(&arena, sizeof(*so));
	if (s == NULL || so == NULL) {
		*err = "Out of memory";
		len = -ENOMEM;
		goto out;
	}
	if (sdp_parse(&arena, sdp, sdp_len, s, &perr) < 0) {
		SL_INFO("ctl", "call %s: SDP rejected: %s", c->call_id, perr ? perr : "?");
		*err = "Failed to parse SDP";
		goto out;
	}
	if (s->n_media == 0 || (answer && s->n_media != to->n_media) ||
		(!answer && s->n_media < from->n_media)) {
		*err = "Incomplete SDP specification";
		goto out;
	}
	for (i = 0; i < s->n_media; i++) {
		if (s->media[i].port != 0 && proto_relayed(&s->media[i].proto) &&
			sdp_media_conn(s, i) == NULL) {
			*err = "Incomplete SDP specification";
			goto out;
		}
	}
	/* back-pressure: never half-program a call */
	for (w = 0; w < dp_conf.n_workers; w++) {
		if (!call_mbox_room(w, s->n_media)) {
			*err = "Data plane busy";
			len = -ENOBUFS;
			goto out;
		}
	}

	/* interfaces and families: decided by the first message that involves the party */
	if (from->n_media == 0) {
		if (o->iface_from >= 0)
			from->iface = o->iface_from;
		for (i = 0; i < s->n_media; i++) {
			const struct sdp_conn *cn = sdp_media_conn(s, i);

			if (cn != NULL) {
				from->family = cn->ip.family;
				break;
			}
		}
		if (o->sip_source && o->has_received_from)
			from->family = o->received_from.family;
		if (from->family == 0)
			from->family = AF_INET;
	}
	if (to->n_media == 0) {
		if (o->iface_to >= 0)
			to->iface = o->iface_to;
		to->family = o->family ? o->family : from->family;
	} else if (o->family && !answer) {
		to->family = o->family;
	}
	if (o->has_media_address) {
		to->has_media_address = true;
		to->media_address = o->media_address;
	}
	from_addr = (unsigned)lif_addr(from->iface, from->family);
	to_addr = (unsigned)lif_addr(to->iface, to->family);

	so->replace_origin = o->replace_origin;
	for (i = 0; i < s->n_media; i++) {
		const struct sdp_media *sm = &s->media[i];
		struct call_media *fm = call_media_get(c, from, i), *tm = call_media_get(c, to, i);
		struct sdp_media_out *mo = &so->media[i];
		const struct sdp_conn *cn = sdp_media_conn(s, i);
		struct sl_ep rtp = {0}, rtcp = {0};
		bool zero, changed, ice_sdp, latch, new_from = false, new_to = false;
		const char **mid, **tail;
		int owner;

		mid = sl_arena_alloc(&arena, sizeof(*mid) * MEDIA_LINES);
		tail = sl_arena_alloc(&arena, sizeof(*tail) * MEDIA_LINES);
		if (fm == NULL || tm == NULL || mid == NULL || tail == NULL) {
			*err = "Out of memory";
			len = -ENOMEM;
			goto out;
		}
		copy_line(fm->type, sizeof(fm->type), &sm->type);
		copy_line(fm->proto, sizeof(fm->proto), &sm->proto);
		media_codec(sm, fm->codec, sizeof(fm->codec));
		fm->relayed = proto_relayed(&sm->proto);
		fm->is_rtp = sm->is_rtp;
		fm->dir = sdp_media_dir(s, i);
		if (!answer) {
			/* until the answer, the recipient's media mirror the offer */
			snprintf(tm->type, sizeof(tm->type), "%s", fm->type);
			snprintf(tm->proto, sizeof(tm->proto), "%s",
				o->transport != NULL && fm->is_rtp ? o->transport : fm->proto);
			tm->relayed = fm->relayed;
			tm->is_rtp = fm->is_rtp;
		} else if (o->transport_accept) {
			/* the offerer gets the answerer's profile instead of its own */
			snprintf(tm->proto, sizeof(tm->proto), "%s", fm->proto);
		}

		if (!fm->relayed) {
			mo->passthrough = true;
			continue;
		}
		if (sm->port == 0 || (answer && !tm->sock.allocated)) {
			/* rejected: no sockets on either side */
			fm->rejected = true;
			media_release(fm);
			media_release(tm);
			mo->port = 0;
			memset(&mo->addr, 0, sizeof(mo->addr));
			mo->addr.family = to->family;
			mo->dir = fm->dir;
			continue;
		}
		fm->rejected = false;

		/* with ICE, c=0.0.0.0 / port 9 only means "see the candidates", not hold */
		ice_sdp = call_ice_in_sdp(s, sm);
		zero = sl_ip_is_any(&cn->ip) && !ice_sdp;
		rtp.ip = cn->ip;
		if (o->sip_source && o->has_received_from)
			rtp.ip = o->received_from;
		rtp.port = sm->port;
		rtcp.ip = sm->rtcp_ip.family ? sm->rtcp_ip : rtp.ip;
		rtcp.port = sm->has_rtcp ? sm->rtcp_port : (uint16_t)(sm->port + 1);
		if (sm->rtcp_mux && !sm->has_rtcp)
			rtcp.port = sm->port;
		changed = !zero && !sl_ep_eq(&rtp, &fm->last);
		/* ICE media keep their ports: the candidates, not c=, say where the party is */
		latch = o->port_latching || ice_sdp || fm->ice != NULL;

		/* sockets: reuse unless the party moved (and did not ask to keep ports) */
		if (tm->sock.allocated)
			owner = tm->sock.owner;
		else if (fm->sock.allocated && !(changed && !latch))
			owner = fm->sock.owner;
		else
			owner = ports_pick_owner(from_addr, to_addr);
		if (owner < 0)
			goto ports;
		if (!fm->sock.allocated || (changed && fm->last.port != 0 && !latch) ||
			fm->sock.owner != owner) {
			struct call_sock old = fm->sock;

			if (sock_alloc(&fm->sock, from_addr, (unsigned)owner) < 0) {
				fm->sock = old;
				goto ports;
			}
			call_sock_free(&old);
			new_from = true;
		}
		if (!tm->sock.allocated) {
			if (sock_alloc(&tm->sock, to_addr, (unsigned)owner) < 0)
				goto ports;
			new_to = true;
		}

		if (changed || zero != fm->zero_addr || new_from)
			changed = true;
		fm->rtp = rtp;
		fm->rtcp = rtcp;
		fm->zero_addr = zero;
		if (!zero)
			fm->last = rtp;
		fm->strict = o->strict_source;
		fm->asym = o->asymmetric;
		fm->handover = o->media_handover;
		fm->learning = (uint8_t)(o->learning >= 0 ? o->learning :
			(int)call_cfg->endpoint_learning);

		call_sock_bind(fm);
		call_sock_bind(tm);
		media_negotiate(fm, tm, sm, answer, o);
		media_mid(fm, sm);

		/* WebRTC: the sender's keys and ICE, then what the recipient is told */
		rc = call_sec_from_sdp(fm, s, sm, answer, o);
		if (rc == 0)
			rc = call_ice_from_sdp(fm, s, sm, answer);
		if (rc == 0) {
			rc = call_sec_to_sdp(tm, answer, o, &arena, mid, MEDIA_LINES);
			mo->n_extra_mid = rc > 0 ? (unsigned)rc : 0;
			mo->extra_mid = mid;
		}
		if (rc >= 0) {
			rc = call_ice_to_sdp(tm, ice_sdp, answer, o, &arena, tail, MEDIA_LINES);
			mo->n_extra_tail = rc > 0 ? (unsigned)rc : 0;
			mo->extra_tail = tail;
		}
		if (rc < 0) {
			*err = "Out of memory";
			len = -ENOMEM;
			goto out;
		}

		rc = call_media_push(fm, tm, new_from, changed);
		if (rc == 0)
			rc = call_media_push(tm, fm, new_to, false);
		if (rc < 0) {
			*err = "Data plane busy";
			len = rc;
			goto out;
		}
		call_sec_resync(fm);
		call_sec_resync(tm);

		mo->port = tm->sock.port;
		mo->addr = call_advertised(to, tm->sock.addr_idx);
		if (zero) {
			uint8_t fam = mo->addr.family;

			memset(&mo->addr, 0, sizeof(mo->addr));
			mo->addr.family = fam;
		}
		if (fm->is_rtp) {
			/* mux in use toward it: RTCP on the RTP port; merely offered: port + 1 */
			mo->rtcp_mux = answer ? tm->mux : tm->mux_offered;
			mo->rtcp_port = (uint16_t)(tm->sock.port + (tm->mux ? 0 : 1));
		}
		mo->proto = tm->proto;
		mo->dir = dir_out(fm);
		/* the relay owns ICE, keys and BUNDLE on every leg: the sender's never pass */
		mo->strip = SDP_STRIP_ICE | SDP_STRIP_CRYPTO | SDP_STRIP_DTLS | SDP_STRIP_BUNDLE;
		if (tm->mid[0] == '\0' && o->generate_mid)
			snprintf(tm->mid, sizeof(tm->mid), "%u", i);
		mo->mid = tm->mid[0] != '\0' ? tm->mid : NULL;
		if (tm->strip_fb)
			mo->strip |= SDP_STRIP_RTCPFB;
		if (first_out < 0)
			first_out = (int)i;
	}
	from->bundle = sdp_bundle(s);
	if (s->n_media > from->n_media)
		from->n_media = s->n_media;
	if (s->n_media > to->n_media)
		to->n_media = s->n_media;
	if (answer)
		c->answered = true;

	if (first_out >= 0) {
		so->session_addr = so->media[first_out].addr;
		so->origin_addr = call_advertised(to, to->media[first_out]->sock.addr_idx);
	} else {
		so->origin_addr = call_advertised(to, to_addr);
		so->session_addr = so->origin_addr;
	}
	for (i = 0; i < s->n_media; i++) {
		struct sdp_media_out *mo = &so->media[i];

		if (!mo->passthrough && !sl_ip_eq(&mo->addr, &so->session_addr))
			mo->add_conn = true;
	}
	{
		const char **grp = sl_arena_alloc(&arena, sizeof(*grp));

		if (grp != NULL) {
			grp[0] = bundle_line(&arena, to, so, s->n_media, o->generate_mid);
			so->n_session_extra = grp[0] != NULL ? 1 : 0;
			so->session_extra = grp;
		}
	}
	len = sdp_write(s, so, out, cap);
	if (len < 0) {
		*err = "Error rewriting SDP";
		goto out;
	}
	goto out;
ports:
	SL_WARN("ctl", "call %s: out of ports", c->call_id);
	*err = "Ran out of ports";
	len = -ENOSPC;
out:
	sl_arena_free(&arena);
	return len;
}
