/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ng command handlers: turn a request dictionary into call actions and a
 * reply (rtpengine-compat.md 1-3). Unknown keys and flags are ignored.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "control/call.h"
#include "control/call_priv.h"
#include "control/call_stats.h"
#include "control/neigh.h"
#include "control/ng.h"
#include "control/ports.h"
#include "crypto/dtls.h"
#include "crypto/srtp.h"
#include "dataplane/dp.h"

#define NG_SDP_MAX 60000 /* the reply SDP must fit one datagram */
#define NG_LIST_DEFAULT 32

static uint64_t ng_start_mono;

/* value of the first present key among the spellings rtpengine accepts */
static const struct ng_val *
get2(const struct ng_val *d, const char *k1, const char *k2)
{
	const struct ng_val *v = ng_dict_get(d, k1);

	return v != NULL ? v : ng_dict_get(d, k2);
}

static const char *
get2_str(const struct ng_val *d, const char *k1, const char *k2)
{
	const struct ng_val *v = get2(d, k1, k2);

	return v != NULL && v->type == NG_STR ? v->str.s : NULL;
}

/* flags compare case-insensitively with ' ' and '_' equal to '-' */
static void
norm(const char *s, size_t len, char *out, size_t cap)
{
	size_t i;

	for (i = 0; i < len && i + 1 < cap; i++) {
		char ch = s[i];

		out[i] = (ch == ' ' || ch == '_') ? '-' : (char)tolower((unsigned char)ch);
	}
	out[i] = '\0';
}

static bool
list_has(const struct ng_val *list, const char *want)
{
	const struct ng_val *v;
	char buf[64];

	if (list == NULL || list->type != NG_LIST)
		return false;
	for (v = list->c.first; v != NULL; v = v->next) {
		if (v->type != NG_STR)
			continue;
		norm(v->str.s, v->str.len, buf, sizeof(buf));
		if (strcmp(buf, want) == 0)
			return true;
	}
	return false;
}

static int
learning_from(const char *s)
{
	if (strcmp(s, "heuristic") == 0)
		return CFG_LEARN_HEURISTIC;
	if (strcmp(s, "delayed") == 0)
		return CFG_LEARN_DELAYED;
	if (strcmp(s, "immediate") == 0)
		return CFG_LEARN_IMMEDIATE;
	if (strcmp(s, "off") == 0)
		return CFG_LEARN_OFF;
	return -1;
}

/* transport-protocol values (also accepted as bare flags, as Kamailio may send them) */
static const char *
transport_name(const char *s)
{
	static const char *const names[] = {"RTP/AVP", "RTP/AVPF", "RTP/SAVP", "RTP/SAVPF",
		"UDP/TLS/RTP/SAVP", "UDP/TLS/RTP/SAVPF"};
	unsigned i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(s, names[i]) == 0)
			return names[i];
	return NULL;
}

static void
mux_option(struct call_opts *o, const char *what)
{
	if (strcmp(what, "offer") == 0)
		o->mux_offer = true;
	else if (strcmp(what, "require") == 0)
		o->mux_require = true;
	else if (strcmp(what, "demux") == 0)
		o->mux_demux = true;
	else if (strcmp(what, "accept") == 0)
		o->mux_accept = true;
	else if (strcmp(what, "reject") == 0)
		o->mux_reject = true;
}

static void
ice_option(struct call_opts *o, const char *what)
{
	if (strcmp(what, "force") == 0 || strcmp(what, "force-relay") == 0 ||
		strcmp(what, "optional") == 0)
		o->ice = CALL_ICE_FORCE;
	else if (strcmp(what, "remove") == 0)
		o->ice = CALL_ICE_REMOVE;
	else if (strcmp(what, "default") == 0)
		o->ice = CALL_ICE_DEFAULT;
	else if (strcmp(what, "trickle") == 0)
		o->ice_trickle = true;
}

static void
dtls_option(struct call_opts *o, const char *what)
{
	if (strcmp(what, "off") == 0 || strcmp(what, "no") == 0 || strcmp(what, "disable") == 0)
		o->dtls_off = true;
	else if (strcmp(what, "passive") == 0)
		o->dtls_passive = true;
	else if (strcmp(what, "active") == 0)
		o->dtls_passive = false;
}

/* SDES options: off, no-SUITE, only-SUITE, pad (rtpengine-compat.md 3.3) */
static void
sdes_option(struct call_opts *o, const char *what, const char *raw)
{
	const struct srtp_suite *su;

	if (strcmp(what, "off") == 0 || strcmp(what, "no") == 0)
		o->sdes_off = true;
	else if (strcmp(what, "pad") == 0)
		o->sdes_pad = true;
	else if (strncmp(what, "no-", 3) == 0 &&
		(su = srtp_suite_find(raw + 3, strlen(raw + 3))) != NULL)
		o->sdes_no |= 1u << (su - srtp_suites);
	else if (strncmp(what, "only-", 5) == 0 &&
		(su = srtp_suite_find(raw + 5, strlen(raw + 5))) != NULL)
		o->sdes_only |= 1u << (su - srtp_suites);
}

/* each value of a key given as a string or a list, normalised, with its raw text */
static void
each_value(const struct ng_val *v, struct call_opts *o,
	void (*fn)(struct call_opts *o, const char *norm, const char *raw))
{
	const struct ng_val *e;
	char buf[64];

	if (v == NULL)
		return;
	if (v->type == NG_STR) {
		norm(v->str.s, v->str.len, buf, sizeof(buf));
		fn(o, buf, v->str.s);
		return;
	}
	if (v->type != NG_LIST)
		return;
	for (e = v->c.first; e != NULL; e = e->next) {
		if (e->type != NG_STR)
			continue;
		norm(e->str.s, e->str.len, buf, sizeof(buf));
		fn(o, buf, e->str.s);
	}
}

static void
ice_cb(struct call_opts *o, const char *n, const char *raw)
{
	(void)raw;
	ice_option(o, n);
}

static void
dtls_cb(struct call_opts *o, const char *n, const char *raw)
{
	(void)raw;
	dtls_option(o, n);
}

static void
sdes_cb(struct call_opts *o, const char *n, const char *raw)
{
	sdes_option(o, n, raw);
}

/* Options of offer/answer. @return NULL or an error-reason. */
static const char *
parse_opts(struct ng_ctx *ctx, struct call_opts *o)
{
	const struct ng_val *req = ctx->req, *flags, *v, *e;
	const char *s;
	char buf[64];

	memset(o, 0, sizeof(*o));
	o->learning = -1;
	o->iface_from = o->iface_to = -1;
	o->dtls_hash = -1;

	flags = ng_dict_get(req, "flags");
	if (flags != NULL && flags->type == NG_LIST) {
		for (v = flags->c.first; v != NULL; v = v->next) {
			if (v->type != NG_STR)
				continue;
			norm(v->str.s, v->str.len, buf, sizeof(buf));
			if (strcmp(buf, "sip-source-address") == 0)
				o->sip_source = true;
			else if (strcmp(buf, "trust-address") == 0)
				o->sip_source = false;
			else if (strcmp(buf, "asymmetric") == 0)
				o->asymmetric = true;
			else if (strcmp(buf, "symmetric") == 0)
				o->asymmetric = false;
			else if (strcmp(buf, "strict-source") == 0)
				o->strict_source = true;
			else if (strcmp(buf, "media-handover") == 0)
				o->media_handover = true;
			else if (strcmp(buf, "port-latching") == 0)
				o->port_latching = true;
			else if (strcmp(buf, "no-port-latching") == 0)
				o->port_latching = false;
			else if (strcmp(buf, "replace-origin") == 0)
				o->replace_origin = true;
			else if (strncmp(buf, "endpoint-learning-", 18) == 0 &&
				learning_from(buf + 18) >= 0)
				o->learning = learning_from(buf + 18);
			else if (strncmp(buf, "rtcp-mux-", 9) == 0)
				mux_option(o, buf + 9);
			else if (strcmp(buf, "trickle-ice") == 0)
				o->ice_trickle = true;
			else if (strcmp(buf, "generate-mid") == 0)
				o->generate_mid = true;
			else if (strncmp(buf, "ice-", 4) == 0)
				ice_option(o, buf + 4);
			else if (strncmp(buf, "dtls-", 5) == 0)
				dtls_option(o, buf + 5);
			else if (strncmp(buf, "sdes-", 5) == 0)
				sdes_option(o, buf + 5, v->str.s + 5);
			else if (strcmp(buf, "webrtc") == 0) {
				/* rtpengine's shorthand for a browser-ready leg */
				o->transport = "UDP/TLS/RTP/SAVPF";
				o->ice = CALL_ICE_FORCE;
				o->ice_trickle = true;
				o->mux_offer = o->mux_require = true;
				o->sdes_off = true;
				o->generate_mid = true;
			}
			else if (transport_name(v->str.s) != NULL)
				o->transport = transport_name(v->str.s);
			/* anything else: not ours, ignored like rtpengine does */
		}
	}
	if (list_has(ng_dict_get(req, "replace"), "origin"))
		o->replace_origin = true;

	v = ng_dict_get(req, "direction");
	if (v != NULL && v->type == NG_LIST && v->c.n >= 1) {
		e = v->c.first;
		if (e->type == NG_STR) {
			o->iface_from = calls_iface_find(e->str.s, e->str.len);
			if (o->iface_from < 0)
				return "Unknown interface in direction";
		}
		e = e->next;
		if (e != NULL && e->type == NG_STR) {
			o->iface_to = calls_iface_find(e->str.s, e->str.len);
			if (o->iface_to < 0)
				return "Unknown interface in direction";
		}
	}

	v = get2(req, "received-from", "received from");
	if (v != NULL) {
		e = v->type == NG_LIST ? (v->c.n >= 2 ? v->c.first->next : NULL) : v;
		if (e == NULL || e->type != NG_STR || sl_ip_parse(e->str.s, &o->received_from) < 0)
			return "Invalid received-from address";
		o->has_received_from = true;
	}

	s = get2_str(req, "address-family", "address family");
	if (s != NULL) {
		if (strcasecmp(s, "IP4") == 0)
			o->family = AF_INET;
		else if (strcasecmp(s, "IP6") == 0)
			o->family = AF_INET6;
		else
			return "Invalid address family";
	}
	s = get2_str(req, "media-address", "media address");
	if (s != NULL) {
		if (sl_ip_parse(s, &o->media_address) < 0)
			return "Invalid media address";
		o->has_media_address = true;
	}
	s = get2_str(req, "endpoint-learning", "endpoint learning");
	if (s != NULL) {
		o->learning = learning_from(s);
		if (o->learning < 0)
			return "Invalid endpoint-learning mode";
	}
	s = get2_str(req, "transport-protocol", "transport protocol");
	if (s != NULL) {
		if (strcasecmp(s, "accept") == 0)
			o->transport_accept = true;
		else if (transport_name(s) != NULL)
			o->transport = transport_name(s);
		else
			return "Invalid transport protocol";
	}
	v = ng_dict_get(req, "rtcp-mux");
	if (v != NULL && v->type == NG_LIST) {
		for (e = v->c.first; e != NULL; e = e->next) {
			if (e->type != NG_STR)
				continue;
			norm(e->str.s, e->str.len, buf, sizeof(buf));
			mux_option(o, buf);
		}
	}
	each_value(ng_dict_get(req, "ICE"), o, ice_cb);
	each_value(ng_dict_get(req, "DTLS"), o, dtls_cb);
	each_value(ng_dict_get(req, "SDES"), o, sdes_cb);
	s = get2_str(req, "DTLS-fingerprint", "DTLS fingerprint");
	if (s != NULL) {
		int h = dtls_hash_parse(s, strlen(s));

		if (h < 0)
			return "Invalid DTLS-fingerprint hash";
		o->dtls_hash = (int8_t)h;
	}
	o->label = get2_str(req, "label", "from-label");
	o->via_branch = get2_str(req, "via-branch", "via branch");
	return NULL;
}

static int
set_str(char **dst, const char *src)
{
	char *n;

	if (src == NULL)
		return 0;
	n = strdup(src);
	if (n == NULL)
		return -ENOMEM;
	free(*dst);
	*dst = n;
	return 0;
}

/* metadata: free text for the recording, later messages overwrite it */
static void
take_metadata(struct ng_ctx *ctx, struct call *c)
{
	const char *md = ng_dict_get_str(ctx->req, "metadata", NULL);

	if (md != NULL)
		set_str(&c->metadata, md);
}

/* record-call key (yes/on/no/off/discard) or flag; NULL: nothing asked */
static const char *
record_call_wish(const struct ng_ctx *ctx)
{
	const char *v = get2_str(ctx->req, "record-call", "record call");

	if (v != NULL)
		return v;
	if (list_has(ng_dict_get(ctx->req, "flags"), "record-call"))
		return "yes";
	return NULL;
}

static void
apply_record_call(struct ng_ctx *ctx, struct call *c)
{
	const char *w = record_call_wish(ctx), *err;

	if (w == NULL)
		return;
	if (strcasecmp(w, "yes") == 0 || strcasecmp(w, "on") == 0) {
		err = call_rec_start(c, ctx->now_real_us);
		if (err != NULL)
			ctx->warning = err;
	} else if (strcasecmp(w, "no") == 0 || strcasecmp(w, "off") == 0) {
		call_rec_stop(c, false, ctx->now_real_us, true);
	} else if (strcasecmp(w, "discard") == 0) {
		call_rec_stop(c, true, ctx->now_real_us, true);
	}
}

static struct call *
rec_call(struct ng_ctx *ctx)
{
	const char *call_id = ng_dict_get_str(ctx->req, "call-id", NULL);
	struct call *c;

	if (call_id == NULL || call_id[0] == '\0') {
		ctx->error = "No call-id in message";
		return NULL;
	}
	c = call_find(call_id);
	if (c == NULL)
		ctx->error = "Unknown call-id";
	return c;
}

void
ng_cmd_start_recording(struct ng_ctx *ctx)
{
	struct call *c = rec_call(ctx);

	if (c == NULL)
		return;
	take_metadata(ctx, c);
	ctx->warning = call_rec_start(c, ctx->now_real_us);
}

void
ng_cmd_stop_recording(struct ng_ctx *ctx)
{
	struct call *c = rec_call(ctx);
	const struct ng_val *flags = ng_dict_get(ctx->req, "flags");
	const char *pause = ng_dict_get_str(ctx->req, "pause", NULL);

	if (c == NULL)
		return;
	take_metadata(ctx, c);
	if (list_has(flags, "pause") || (pause != NULL && strcasecmp(pause, "yes") == 0))
		call_rec_pause(c, ctx->now_real_us);
	else
		call_rec_stop(c, list_has(flags, "discard-recording"), ctx->now_real_us, true);
}

void
ng_cmd_pause_recording(struct ng_ctx *ctx)
{
	struct call *c = rec_call(ctx);

	if (c == NULL)
		return;
	call_rec_pause(c, ctx->now_real_us);
}

void
ng_cmd_ping(struct ng_ctx *ctx)
{
	ctx->result = "pong";
}

/* offer and answer share everything but how the parties are found */
static void
offer_answer(struct ng_ctx *ctx, bool answer)
{
	const char *call_id = ng_dict_get_str(ctx->req, "call-id", NULL);
	const char *from_tag = ng_dict_get_str(ctx->req, "from-tag", NULL);
	const char *to_tag = ng_dict_get_str(ctx->req, "to-tag", NULL);
	const char *sdp, *err = NULL;
	struct call_party *from, *to;
	struct call_opts o;
	struct call *c;
	size_t sdp_len;
	bool created = false;
	char *out;
	long len;

	sdp = ng_dict_get_str(ctx->req, "sdp", &sdp_len);
	if (sdp == NULL || sdp_len == 0) {
		ctx->error = "No SDP body in message";
		return;
	}
	if (call_id == NULL || call_id[0] == '\0') {
		ctx->error = "No call-id in message";
		return;
	}
	if (from_tag == NULL || from_tag[0] == '\0') {
		ctx->error = "No from-tag in message";
		return;
	}
	if (answer && (to_tag == NULL || to_tag[0] == '\0')) {
		ctx->error = "No to-tag in message";
		return;
	}
	ctx->error = parse_opts(ctx, &o);
	if (ctx->error != NULL)
		return;

	c = call_find(call_id);
	if (c == NULL) {
		if (answer) {
			ctx->error = "Unknown call-id";
			return;
		}
		c = call_create(call_id, ctx->now_real_us);
		if (c == NULL) {
			ctx->error = "Out of memory";
			return;
		}
		created = true;
	}
	if (!answer) {
		from = call_party_by_tag(c, from_tag);
		if (from == NULL) {
			if (c->party[0].tag[0] == '\0')
				from = &c->party[0];
			else if (c->party[1].tag[0] == '\0' && c->party[1].n_media == 0)
				from = &c->party[1];
			if (from == NULL || set_str(&from->tag, from_tag) < 0) {
				ctx->error = "Invalid dialogue association";
				return;
			}
		}
		to = call_other(c, from);
		if (to_tag != NULL && to_tag[0] != '\0' && to->tag[0] == '\0')
			set_str(&to->tag, to_tag);
	} else {
		to = call_party_by_tag(c, from_tag);
		if (to == NULL) {
			ctx->error = "Invalid dialogue association";
			return;
		}
		from = call_other(c, to);
		if (from->tag[0] == '\0') {
			set_str(&from->tag, to_tag);
		} else if (strcmp(from->tag, to_tag) != 0 &&
			(from->alias == NULL || strcmp(from->alias, to_tag) != 0)) {
			/* an unseen to-tag (forked answer) aliases the answering party */
			set_str(&from->alias, to_tag);
		}
	}
	set_str(&from->label, o.label);
	set_str(&from->via_branch, o.via_branch);
	if (c->state == CALL_DELETED)
		c->state = CALL_ACTIVE; /* re-signalled during delete-delay: alive again */
	c->last_signal_s = ctx->now_real_us / 1000000u;
	c->last_signal_mono = ctx->now_mono;

	out = sl_arena_alloc(ctx->arena, NG_SDP_MAX);
	if (out == NULL) {
		ctx->error = "Out of memory";
		return;
	}
	len = call_sdp_apply(c, from, to, answer, sdp, sdp_len, &o, out, NG_SDP_MAX, &err);
	if (len < 0) {
		ctx->error = err != NULL ? err : "Error rewriting SDP";
		if (created || len == -ENOSPC) {
			/* no half-made calls: a failed new call (or ports gone) is destroyed */
			if (created)
				calls_totals.rejected++;
			call_destroy(c, created ? CALL_END_NONE : CALL_END_FORCED);
		}
		return;
	}
	ng_dict_add_strn(ctx->arena, ctx->reply, "sdp", out, (size_t)len);
	take_metadata(ctx, c);
	call_rec_sdp(c, from, answer, out, (size_t)len, ctx->now_real_us);
	apply_record_call(ctx, c);
	if (call_rec_pcap(c) != NULL) {
		struct ng_val *l = ng_dict_add_list(ctx->arena, ctx->reply, "recordings");

		ng_list_add_str(ctx->arena, l, call_rec_pcap(c));
	}
}

void
ng_cmd_offer(struct ng_ctx *ctx)
{
	offer_answer(ctx, false);
}

void
ng_cmd_answer(struct ng_ctx *ctx)
{
	offer_answer(ctx, true);
}

void
ng_cmd_delete(struct ng_ctx *ctx)
{
	const char *call_id = ng_dict_get_str(ctx->req, "call-id", NULL);
	const char *from_tag = ng_dict_get_str(ctx->req, "from-tag", NULL);
	const struct ng_val *flags = ng_dict_get(ctx->req, "flags");
	struct call *c;
	int64_t delay = call_cfg->delete_delay;
	int rc;

	if (call_id == NULL || call_id[0] == '\0') {
		ctx->error = "No call-id in message";
		return;
	}
	c = call_find(call_id);
	if (c != NULL && from_tag != NULL && from_tag[0] != '\0' &&
		call_party_by_tag(c, from_tag) == NULL)
		c = NULL;
	if (c == NULL) {
		if (list_has(flags, "fatal"))
			ctx->error = "Call-ID not found or tags didn't match";
		else
			ctx->warning = "Call-ID not found or tags didn't match";
		return;
	}
	rc = ng_dict_get_int(ctx->req, "delete delay", &delay);
	if (rc == -ENOENT)
		rc = ng_dict_get_int(ctx->req, "delete-delay", &delay);
	if (rc == -EINVAL || delay < 0)
		delay = call_cfg->delete_delay;
	if (!list_has(flags, "fast"))
		call_stats_build(ctx->arena, ctx->reply, c, ctx->now_mono, ctx->now_real_us, NULL);
	if (list_has(flags, "discard-recording"))
		call_rec_stop(c, true, ctx->now_real_us, false);
	call_delete(c, (unsigned)delay, ctx->now_mono);
}

void
ng_cmd_query(struct ng_ctx *ctx)
{
	const char *call_id = ng_dict_get_str(ctx->req, "call-id", NULL);
	struct call *c;

	if (call_id == NULL || call_id[0] == '\0') {
		ctx->error = "No call-id in message";
		return;
	}
	c = call_find(call_id);
	if (c == NULL) {
		ctx->error = "Unknown call-id";
		return;
	}
	call_stats_build(ctx->arena, ctx->reply, c, ctx->now_mono, ctx->now_real_us, NULL);
}

void
ng_cmd_list(struct ng_ctx *ctx)
{
	int64_t limit = NG_LIST_DEFAULT;
	struct ng_val *list = ng_dict_add_list(ctx->arena, ctx->reply, "calls");
	struct call *c;
	int64_t n = 0;

	if (ng_dict_get_int(ctx->req, "limit", &limit) < 0 || limit < 0)
		limit = NG_LIST_DEFAULT;
	for (c = call_first(); c != NULL && n < limit; c = call_next(c), n++)
		ng_list_add_str(ctx->arena, list, c->call_id);
}

static void
add_u64(struct sl_arena *a, struct ng_val *d, const char *k, uint64_t v)
{
	ng_dict_add_int(a, d, k, (int64_t)v);
}

void
ng_cmd_statistics(struct ng_ctx *ctx)
{
	struct sl_arena *a = ctx->arena;
	struct ng_val *st = ng_dict_add_dict(a, ctx->reply, "statistics");
	struct ng_val *cur, *tot, *ctl, *dpd, *ifs, *wl;
	const struct calls_totals *t = &calls_totals;
	struct dp_stats ds;
	uint64_t busy, idle, ended = 0;
	unsigned i, w;

	if (ng_start_mono == 0)
		ng_start_mono = ctx->now_mono;
	cur = ng_dict_add_dict(a, st, "currentstatistics");
	add_u64(a, cur, "sessionsown", calls_count());
	add_u64(a, cur, "sessionsforeign", 0);
	add_u64(a, cur, "sessionstotal", calls_count());
	add_u64(a, cur, "transcodedmedia", 0);

	dp_stats_total(&ds);
	tot = ng_dict_add_dict(a, st, "totalstatistics");
	ng_dict_add_str(a, tot, "uptime",
		sl_arena_printf(a, "%llu", (unsigned long long)(ctx->now_mono - ng_start_mono)));
	add_u64(a, tot, "managedsessions", t->managed);
	add_u64(a, tot, "rejectedsessions", t->rejected);
	add_u64(a, tot, "timeoutsessions", t->ended[CALL_END_TIMEOUT]);
	add_u64(a, tot, "silenttimeoutsessions", t->ended[CALL_END_SILENT_TIMEOUT]);
	add_u64(a, tot, "finaltimeoutsessions", t->ended[CALL_END_FINAL_TIMEOUT]);
	add_u64(a, tot, "offertimeoutsessions", t->ended[CALL_END_OFFER_TIMEOUT]);
	add_u64(a, tot, "regularterminatedsessions", t->ended[CALL_END_DELETE]);
	add_u64(a, tot, "forcedterminatedsessions", t->ended[CALL_END_FORCED]);
	add_u64(a, tot, "relayedpackets", ds.fwd_pkts);
	add_u64(a, tot, "relayedbytes", ds.fwd_bytes);
	add_u64(a, tot, "relayedpacketerrors", ds.drop_strict + ds.drop_no_dest + ds.drop_blackhole);
	for (i = CALL_END_DELETE; i <= CALL_END_FORCED; i++)
		ended += t->ended[i];
	add_u64(a, tot, "avgcallduration", ended ? t->total_duration_s / ended : 0);
	add_u64(a, tot, "totalcallsduration", t->total_duration_s);

	ctl = ng_dict_add_dict(a, st, "controlstatistics");
	for (i = 0; i < NG_CMD_COUNT; i++)
		add_u64(a, ctl, sl_arena_printf(a, "total%scount", ng_cmd_name(i)),
			ng_counters.requests[i]);
	add_u64(a, ctl, "totalerrorcount", ng_counters.malformed);
	add_u64(a, ctl, "totalduplicatecount", ng_counters.duplicates);
	add_u64(a, ctl, "totaldeniedcount", ng_counters.denied); /* --ng-allow drops */

	/* sluice's own: data-plane counters, per worker cycles, interfaces */
	dpd = ng_dict_add_dict(a, st, "dataplane");
#define NG_DP_ADD(name, desc) add_u64(a, dpd, #name, ds.name);
	DP_STATS_LIST(NG_DP_ADD)
#undef NG_DP_ADD
	add_u64(a, dpd, "neighbours", neigh_count());
	{
		unsigned in_use, total;

		/* leak checks (test_hostile.py) and back-pressure (test_faults.py) */
		dp_mbufs(&in_use, &total);
		add_u64(a, dpd, "mbufs_in_use", in_use);
		add_u64(a, dpd, "mbufs_total", total);
		add_u64(a, dpd, "mailbox_backlog", dp_backlog_count());
	}
	wl = ng_dict_add_list(a, dpd, "workers");
	for (w = 0; w < dp_conf.n_workers; w++) {
		struct ng_val *wd = ng_list_add(wl, ng_new_dict(a));

		dp_worker_cycles(w, &busy, &idle);
		add_u64(a, wd, "lcore", dp_conf.worker_lcore[w]);
		add_u64(a, wd, "busy_cycles", busy);
		add_u64(a, wd, "idle_cycles", idle);
	}
	{
		struct ng_val *mon = ng_dict_add_dict(a, st, "monitoring");

		add_u64(a, mon, "rtcp", call_mon_totals.rtcp);
		add_u64(a, mon, "rtcp_malformed", call_mon_totals.rtcp_bad);
		add_u64(a, mon, "mos_samples", call_mon_totals.mos_samples);
		add_u64(a, mon, "mos_average", call_mon_totals.mos_samples ?
			call_mon_totals.mos_sum / call_mon_totals.mos_samples : 0);
		add_u64(a, mon, "hep_sent", call_mon_totals.hep_sent);
	}
	ifs = ng_dict_add_list(a, st, "interfaces");
	for (i = 0; i < call_cfg->n_ifaces; i++) {
		struct ng_val *d = ng_list_add(ifs, ng_new_dict(a));
		char buf[SL_ADDRSTRLEN];

		ng_dict_add_str(a, d, "name", call_cfg->ifaces[i].name);
		ng_dict_add_str(a, d, "address",
			sl_ip_fmt(&call_cfg->ifaces[i].addr, buf, sizeof(buf)));
		add_u64(a, d, "ports_free", (uint64_t)ports_free_count(i) * 2);
		add_u64(a, d, "ports_used", (uint64_t)(ports_total(i) - ports_free_count(i)) * 2);
	}
}
