/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SRTP keying of one party's leg (control thread): SDES (RFC 4568) and
 * DTLS-SRTP (RFC 5763/5764/8842), and the SRTP contexts handed to the
 * workers. Every leg is keyed on its own ("recrypt"): a party's keys never
 * reach the other party, and only packets that authenticate with the keys
 * of the leg they arrive on are forwarded or can move an endpoint.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/log.h"
#include "control/call.h"
#include "control/call_priv.h"
#include "control/ctl_pkt.h"
#include "control/defer.h"
#include "crypto/dtls.h"
#include "crypto/sdes.h"
#include "crypto/srtp.h"
#include "dataplane/dp.h"

enum sec_kind {
	SEC_NONE = 0,
	SEC_SDES,
	SEC_DTLS,
};

struct call_sec {
	uint8_t kind;           /* enum sec_kind: what keys this leg */
	bool offered_sdes;      /* our last offer to the party carried a=crypto */
	bool offered_dtls;      /* ... and a=fingerprint */
	/* SDES */
	uint32_t ours_valid;    /* bit per srtp_suite_id: ours[] generated */
	struct sdes_crypto ours[SRTP_SUITE_COUNT]; /* our keys, stable for the media's life */
	int suite;              /* agreed srtp_suite_id, -1 none */
	unsigned their_tag;
	bool have_theirs;
	struct srtp_master theirs; /* the party's sending key */
	/* DTLS */
	struct dtls_conn *dtls;
	enum dtls_setup their_setup;
	enum dtls_setup our_setup;
	bool have_fp;
	struct dtls_fingerprint their_fp;
	char their_tls_id[DTLS_TLS_ID_MAX + 1];
	bool start_pending;     /* we are the client and wait for a path (ICE) */
	bool have_peer;         /* where DTLS goes: the source of its last record */
	struct sl_ep peer;
	uint8_t peer_mac[6];
	uint64_t next_ms;       /* dtls_tick() deadline */
	uint64_t connected_ms;
	/* the contexts the owner worker uses (freed only after it let go) */
	struct srtp_ctx *ctx_in, *ctx_out;
	uint32_t installed_idx; /* RTP flow they are installed on, UINT32_MAX none */
};

static struct dtls_out sec_out; /* one per control thread (~10 KiB) */

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static bool
proto_srtp(const char *p)
{
	return strstr(p, "SAVP") != NULL;
}

static bool
proto_dtls(const char *p)
{
	return strncasecmp(p, "UDP/TLS/", 8) == 0;
}

static struct call_sec *
sec_get(struct call_media *m)
{
	if (m->sec == NULL) {
		m->sec = calloc(1, sizeof(*m->sec));
		if (m->sec != NULL) {
			m->sec->suite = -1;
			m->sec->installed_idx = UINT32_MAX;
		}
	}
	return m->sec;
}

static void
ctx_free_fn(void *p)
{
	srtp_ctx_free(p);
}

/* Put @p in/@p out on the media's socket, retiring what was there. */
static void
sec_set_ctx(struct call_media *m, struct srtp_ctx *in, struct srtp_ctx *out)
{
	struct call_sec *sec = m->sec;
	struct dp_msg msg;
	uint32_t idx;

	if (!m->sock.allocated) {
		srtp_ctx_free(in);
		srtp_ctx_free(out);
		return;
	}
	idx = dp_flow_index(m->sock.addr_idx, m->sock.port);
	memset(&msg, 0, sizeof(msg));
	msg.op = DP_OP_SRTP_SET;
	msg.flow_idx = idx;
	msg.gen = dp_next_gen();
	msg.u.srtp.in = in;
	msg.u.srtp.out = out;
	msg.u.srtp.rtcp_too = 1;
	if (dp_send_queued(m->sock.owner, &msg) < 0) {
		/* cannot hand them over: the leg stays as it was */
		SL_LOG_RL(SL_LOG_WARNING, "sec", "out of memory: SRTP keys not installed");
		srtp_ctx_free(in);
		srtp_ctx_free(out);
		return;
	}
	if (sec->ctx_in != in)
		defer_free(m->sock.owner, msg.gen, sec->ctx_in, ctx_free_fn);
	if (sec->ctx_out != out)
		defer_free(m->sock.owner, msg.gen, sec->ctx_out, ctx_free_fn);
	sec->ctx_in = in;
	sec->ctx_out = out;
	sec->installed_idx = in != NULL || out != NULL ? idx : UINT32_MAX;
}

static void
sec_install(struct call_media *m, const struct srtp_master *rx, const struct srtp_master *tx)
{
	struct srtp_ctx *in = srtp_ctx_create(rx), *out = srtp_ctx_create(tx);

	if (in == NULL || out == NULL) {
		SL_WARN("sec", "call %s: SRTP context setup failed", m->call->call_id);
		srtp_ctx_free(in);
		srtp_ctx_free(out);
		return;
	}
	sec_set_ctx(m, in, out);
	SL_INFO("sec", "call %s media %u: %s keys installed (%s)", m->call->call_id, m->index,
		m->sec->kind == SEC_DTLS ? "DTLS-SRTP" : "SDES", rx->suite->name);
}

void
call_sec_fini(struct call_media *m)
{
	struct call_sec *sec = m->sec;

	if (sec == NULL)
		return;
	/* the flows are already deleted (call_sock_free comes first): no worker uses them */
	if (sec->ctx_in != NULL || sec->ctx_out != NULL) {
		uint64_t gen = dp_next_gen();
		struct dp_msg nop;

		memset(&nop, 0, sizeof(nop));
		nop.op = DP_OP_NOP;
		nop.gen = gen;
		/* a NOP carries the generation the frees wait for */
		if (dp_send_queued(m->sock.owner, &nop) == 0) {
			defer_free(m->sock.owner, gen, sec->ctx_in, ctx_free_fn);
			defer_free(m->sock.owner, gen, sec->ctx_out, ctx_free_fn);
		}
	}
	dtls_conn_destroy(sec->dtls);
	memset(sec, 0, sizeof(*sec));
	free(sec);
	m->sec = NULL;
}

/* the flows moved to a new socket: put the current contexts on it */
void
call_sec_resync(struct call_media *m)
{
	struct call_sec *sec = m->sec;

	if (sec == NULL || (sec->ctx_in == NULL && sec->ctx_out == NULL) || !m->sock.allocated)
		return;
	if (sec->installed_idx != dp_flow_index(m->sock.addr_idx, m->sock.port))
		sec_set_ctx(m, sec->ctx_in, sec->ctx_out);
}

/* ---- SDES ---- */

static bool
suite_allowed(const struct call_opts *o, unsigned id)
{
	if (o->sdes_only != 0 && !(o->sdes_only & (1u << id)))
		return false;
	return !(o->sdes_no & (1u << id));
}

static int
ours_for(struct call_sec *sec, unsigned id, unsigned tag)
{
	if (!(sec->ours_valid & (1u << id))) {
		if (sdes_generate(&sec->ours[id], tag, &srtp_suites[id]) < 0)
			return -EIO;
		sec->ours_valid |= 1u << id;
	}
	sec->ours[id].tag = tag;
	return 0;
}

static void
sdes_install(struct call_media *m)
{
	struct call_sec *sec = m->sec;

	if (sec->kind == SEC_SDES && sec->have_theirs && sec->suite >= 0)
		sec_install(m, &sec->theirs, &sec->ours[sec->suite].m);
}

/* ---- what the party's SDP says ---- */

static const struct sdp_attr *
attr_find(const struct sdp_attr *a, unsigned n, const char *name)
{
	size_t l = strlen(name);
	unsigned i;

	for (i = 0; i < n; i++)
		if (a[i].name_len == l && memcmp(a[i].name, name, l) == 0)
			return &a[i];
	return NULL;
}

/* media attribute, else session attribute */
static const struct sdp_attr *
attr_any(const struct sdp_session *s, const struct sdp_media *sm, const char *name)
{
	const struct sdp_attr *a = attr_find(sm->attrs, sm->n_attrs, name);

	return a != NULL ? a : attr_find(s->attrs, s->n_attrs, name);
}

int
call_sec_from_sdp(struct call_media *m, const struct sdp_session *s, const struct sdp_media *sm,
	bool answer, const struct call_opts *o)
{
	const struct sdp_attr *fp_a, *setup_a, *tls_a;
	struct call_sec *sec;
	struct dtls_fingerprint fp;
	unsigned i;
	int rc;

	if (!proto_srtp(m->proto)) {
		if (m->sec != NULL && m->sec->kind != SEC_NONE) {
			/* the party went back to plain RTP */
			if (m->sec->ctx_in != NULL || m->sec->ctx_out != NULL)
				sec_set_ctx(m, NULL, NULL);
			m->sec->kind = SEC_NONE;
		}
		return 0;
	}
	sec = sec_get(m);
	if (sec == NULL)
		return -ENOMEM;

	fp_a = attr_any(s, sm, "fingerprint");
	setup_a = attr_any(s, sm, "setup");
	tls_a = attr_any(s, sm, "tls-id");
	if (fp_a != NULL && fp_a->value != NULL && !o->dtls_off &&
		dtls_fingerprint_parse(&fp, fp_a->value, fp_a->value_len) == 0 &&
		(!answer || sec->offered_dtls)) {
		char tls_id[DTLS_TLS_ID_MAX + 1] = "";

		if (tls_a != NULL && tls_a->value != NULL && tls_a->value_len < sizeof(tls_id) &&
			dtls_tls_id_valid(tls_a->value, tls_a->value_len)) {
			memcpy(tls_id, tls_a->value, tls_a->value_len);
			tls_id[tls_a->value_len] = '\0';
		}
		/* a new association only when the peer's identity changed (RFC 8842) */
		if (sec->dtls != NULL && sec->have_fp &&
			dtls_conn_remote_changed(sec->dtls, &fp, tls_id[0] ? tls_id : NULL)) {
			dtls_conn_destroy(sec->dtls);
			sec->dtls = NULL;
		}
		if (sec->dtls == NULL) {
			sec->dtls = dtls_conn_create(NULL, 0);
			if (sec->dtls == NULL)
				return -ENOMEM;
			sec->start_pending = false;
			sec->have_peer = false;
			call_timer_arm(m);
		}
		sec->kind = SEC_DTLS;
		sec->their_fp = fp;
		sec->have_fp = true;
		snprintf(sec->their_tls_id, sizeof(sec->their_tls_id), "%s", tls_id);
		rc = setup_a != NULL && setup_a->value != NULL ?
			dtls_setup_parse(setup_a->value, setup_a->value_len) : DTLS_SETUP_NONE;
		sec->their_setup = rc < 0 ? DTLS_SETUP_NONE : (enum dtls_setup)rc;
		if (answer) {
			/* answer to our actpass offer: the roles are fixed now */
			rc = dtls_setup_role(DTLS_SETUP_ACTPASS, sec->their_setup);
			if (rc >= 0 && dtls_conn_state(sec->dtls) == DTLS_ST_PENDING)
				call_sec_start(m, (enum dtls_role)rc);
		}
		return 0;
	}

	/* SDES: the party's a=crypto lines */
	for (i = 0; i < sm->n_attrs; i++) {
		const struct sdp_attr *at = &sm->attrs[i];
		struct sdes_crypto c;
		int id;

		if (o->sdes_off || at->name_len != 6 || memcmp(at->name, "crypto", 6) != 0 ||
			at->value == NULL || sdes_parse(at->value, at->value_len, &c) < 0)
			continue;
		id = (int)(c.m.suite - srtp_suites);
		if (!answer) {
			/* the party offers: take the first suite it lists that we may use */
			if (!suite_allowed(o, (unsigned)id))
				continue;
			if (sec->kind == SEC_SDES && sec->suite == id && sec->have_theirs &&
				memcmp(&sec->theirs, &c.m, sizeof(c.m)) == 0)
				return 0; /* unchanged re-offer */
			if (ours_for(sec, (unsigned)id, c.tag) < 0)
				return -EIO;
		} else {
			/* the party answers: one of our offered tags */
			if (!sec->offered_sdes || !(sec->ours_valid & (1u << id)) ||
				sec->ours[id].tag != c.tag)
				continue;
		}
		sec->kind = SEC_SDES;
		sec->suite = id;
		sec->their_tag = c.tag;
		sec->theirs = c.m;
		sec->have_theirs = true;
		sdes_install(m);
		return 0;
	}
	if (answer && sec->kind == SEC_NONE)
		SL_INFO("sec", "call %s media %u: SRTP answer without usable keys", m->call->call_id,
			m->index);
	return 0;
}

/* ---- what we tell the party ---- */

int
call_sec_to_sdp(struct call_media *m, bool answer, const struct call_opts *o, struct sl_arena *a,
	const char **lines, unsigned max)
{
	struct call_sec *sec;
	enum dtls_hash hash = o->dtls_hash >= 0 ? (enum dtls_hash)o->dtls_hash : DTLS_HASH_SHA256;
	char buf[SDES_MAX_LEN];
	unsigned n = 0, id, tag;

	if (!proto_srtp(m->proto))
		return 0;
	sec = sec_get(m);
	if (sec == NULL)
		return -ENOMEM;

	if (!answer) {
		/* we offer: DTLS for UDP/TLS profiles, SDES and DTLS for RTP/SAVP(F) */
		bool dtls = !o->dtls_off && (sec->kind == SEC_NONE || sec->kind == SEC_DTLS);
		bool sdes = !o->sdes_off && !proto_dtls(m->proto) &&
			(sec->kind == SEC_NONE || sec->kind == SEC_SDES);

		if (sec->kind == SEC_SDES && sec->suite >= 0) {
			/* re-offer of an agreed leg: the same key under the same tag */
			id = (unsigned)sec->suite;
			if (sdes_format(&sec->ours[id], buf, sizeof(buf)) > 0 && n < max)
				lines[n++] = sl_arena_printf(a, "a=crypto:%s", buf);
		} else if (sdes) {
			for (id = 0, tag = 1; id < SRTP_SUITE_COUNT; id++) {
				if (!suite_allowed(o, id))
					continue;
				if (ours_for(sec, id, tag++) < 0)
					return -EIO;
				sec->ours[id].pad = o->sdes_pad;
				if (sdes_format(&sec->ours[id], buf, sizeof(buf)) > 0 && n < max)
					lines[n++] = sl_arena_printf(a, "a=crypto:%s", buf);
			}
		}
		sec->offered_sdes = sdes || sec->kind == SEC_SDES;
		if (dtls) {
			if (sec->dtls == NULL) {
				sec->dtls = dtls_conn_create(NULL, 0);
				if (sec->dtls == NULL)
					return -ENOMEM;
				call_timer_arm(m);
			}
			sec->our_setup = dtls_conn_role(sec->dtls) >= 0 ?
				dtls_setup_from_role((enum dtls_role)dtls_conn_role(sec->dtls)) :
				DTLS_SETUP_ACTPASS;
		}
		sec->offered_dtls = dtls;
	} else if (sec->kind == SEC_SDES && sec->suite >= 0) {
		/* we answer the party's SDES offer with our key for its suite and tag */
		id = (unsigned)sec->suite;
		sec->ours[id].tag = sec->their_tag;
		if (sdes_format(&sec->ours[id], buf, sizeof(buf)) > 0 && n < max)
			lines[n++] = sl_arena_printf(a, "a=crypto:%s", buf);
	} else if (sec->kind == SEC_DTLS && sec->dtls != NULL) {
		if (dtls_conn_state(sec->dtls) == DTLS_ST_PENDING) {
			int role;

			sec->our_setup = dtls_setup_answer(sec->their_setup,
				o->dtls_passive || call_cfg->dtls_passive);
			role = dtls_setup_role(sec->our_setup, sec->their_setup);
			if (role >= 0)
				call_sec_start(m, (enum dtls_role)role);
		}
	}
	if ((sec->offered_dtls && !answer) || (answer && sec->kind == SEC_DTLS && sec->dtls)) {
		const char *setup = dtls_setup_name(sec->our_setup);

		if (setup != NULL && n < max)
			lines[n++] = sl_arena_printf(a, "a=setup:%s", setup);
		if (n < max)
			lines[n++] = sl_arena_printf(a, "a=fingerprint:%s", dtls_conn_fingerprint(sec->dtls, hash));
		if (n < max)
			lines[n++] = sl_arena_printf(a, "a=tls-id:%s", dtls_conn_tls_id(sec->dtls));
	}
	return (int)n;
}

/* ---- DTLS packets and timers ---- */

static bool
mac_set(const uint8_t *mac)
{
	return (mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]) != 0;
}

static void
sec_send_out(struct call_media *m)
{
	struct call_sec *sec = m->sec;
	unsigned i;

	for (i = 0; i < sec_out.n && sec->have_peer; i++)
		ctl_pkt_send(m->sock.addr_idx, m->sock.port, &sec->peer,
			mac_set(sec->peer_mac) ? sec->peer_mac : NULL, sec_out.dg[i].data,
			sec_out.dg[i].len);
}

static void
sec_events(struct call_media *m, unsigned ev)
{
	struct call_sec *sec = m->sec;
	struct dtls_srtp_keys k;
	struct srtp_master rx, tx;

	sec->next_ms = sec_out.next_ms;
	if (ev & DTLS_EV_FAILED)
		SL_WARN("sec", "call %s media %u: DTLS failed: %s", m->call->call_id, m->index,
			dtls_conn_reason(sec->dtls));
	if (!(ev & DTLS_EV_CONNECTED) || dtls_conn_keys(sec->dtls, &k) < 0)
		return;
	memset(&rx, 0, sizeof(rx));
	memset(&tx, 0, sizeof(tx));
	rx.suite = tx.suite = srtp_suite_find(k.suite_name, strlen(k.suite_name));
	if (rx.suite == NULL)
		return;
	memcpy(tx.key, k.local_key, k.key_len);
	memcpy(tx.salt, k.local_salt, k.salt_len);
	memcpy(rx.key, k.remote_key, k.key_len);
	memcpy(rx.salt, k.remote_salt, k.salt_len);
	sec_install(m, &rx, &tx);
	sec->connected_ms = now_ms();
	/* a client's last flight needs no answer: OpenSSL's state can go now */
	if (dtls_conn_role(sec->dtls) == DTLS_ROLE_CLIENT)
		dtls_conn_release(sec->dtls);
	memset(&k, 0, sizeof(k));
}

void
call_sec_start(struct call_media *m, enum dtls_role role)
{
	struct call_sec *sec = m->sec;
	struct sl_ep path;
	int rc;

	if (sec == NULL || sec->dtls == NULL || dtls_conn_state(sec->dtls) != DTLS_ST_PENDING)
		return;
	if (role == DTLS_ROLE_CLIENT && !sec->have_peer) {
		/* our ClientHello needs a destination: the ICE pair, or the SDP endpoint */
		if (call_ice_path(m, &path) == 0) {
			sec->peer = path;
			sec->have_peer = true;
			memset(sec->peer_mac, 0, 6);
		} else if (m->ice == NULL && m->rtp.port != 0 && !sl_ip_is_any(&m->rtp.ip)) {
			sec->peer = m->rtp;
			sec->have_peer = true;
			memset(sec->peer_mac, 0, 6);
		} else {
			sec->start_pending = true;
			return;
		}
	}
	sec->start_pending = false;
	rc = dtls_conn_start(sec->dtls, role, &sec->their_fp,
		sec->their_tls_id[0] ? sec->their_tls_id : NULL, now_ms(), &sec_out);
	if (rc < 0) {
		SL_WARN("sec", "call %s media %u: DTLS start failed (%d)", m->call->call_id,
			m->index, rc);
		return;
	}
	sec_send_out(m);
	sec_events(m, sec_out.events);
	call_timer_arm(m);
}

/* ICE picked a path: a client that waited for one can start now */
void
call_sec_path(struct call_media *m)
{
	struct call_sec *sec = m->sec;
	int role;

	if (sec == NULL || sec->kind != SEC_DTLS || sec->dtls == NULL || !sec->start_pending)
		return;
	role = dtls_setup_role(sec->our_setup != DTLS_SETUP_NONE ? sec->our_setup :
		DTLS_SETUP_ACTPASS, sec->their_setup);
	if (role >= 0)
		call_sec_start(m, (enum dtls_role)role);
}

void
call_sec_input(struct call_media *m, unsigned comp, const struct sl_ep *src, const uint8_t *smac,
	const uint8_t *data, size_t len)
{
	struct call_sec *sec = m->sec;
	int ev;

	if (sec == NULL || sec->dtls == NULL || comp != 1)
		return;
	/* answer the 5-tuple the record came from (field-lessons #25) */
	sec->peer = *src;
	sec->have_peer = true;
	memcpy(sec->peer_mac, smac, 6);
	ev = dtls_input(sec->dtls, data, len, now_ms(), &sec_out);
	if (ev < 0)
		return;
	sec_send_out(m);
	sec_events(m, (unsigned)ev);
	call_timer_arm(m);
}

uint64_t
call_sec_timer(struct call_media *m, uint64_t now)
{
	struct call_sec *sec = m->sec;
	enum dtls_state st;

	if (sec == NULL || sec->dtls == NULL)
		return UINT64_MAX;
	st = dtls_conn_state(sec->dtls);
	if (st == DTLS_ST_HANDSHAKING && now >= sec->next_ms) {
		sec->next_ms = dtls_tick(sec->dtls, now, &sec_out);
		sec_send_out(m);
		sec_events(m, sec_out.events);
	}
	/* a server keeps OpenSSL's state a minute for a lost last flight, then lets go */
	if (st == DTLS_ST_CONNECTED && sec->connected_ms != 0 &&
		now >= sec->connected_ms + 60000) {
		dtls_conn_release(sec->dtls);
		sec->connected_ms = 0;
	}
	if (dtls_conn_state(sec->dtls) == DTLS_ST_HANDSHAKING)
		return sec->next_ms;
	if (dtls_conn_state(sec->dtls) == DTLS_ST_CONNECTED && sec->connected_ms != 0)
		return sec->connected_ms + 60000;
	return UINT64_MAX;
}

/* for stats: "DTLS-SRTP", "SDES" or NULL, and the suite */
const char *
call_sec_describe(const struct call_media *m, const char **suite)
{
	const struct call_sec *sec = m->sec;
	struct dtls_srtp_keys k;

	*suite = NULL;
	if (sec == NULL)
		return NULL;
	if (sec->kind == SEC_SDES && sec->suite >= 0) {
		*suite = srtp_suites[sec->suite].name;
		return "SDES";
	}
	if (sec->kind == SEC_DTLS && sec->dtls != NULL) {
		if (dtls_conn_keys(sec->dtls, &k) == 0) {
			*suite = k.suite_name;
			memset(&k, 0, sizeof(k));
		}
		return "DTLS-SRTP";
	}
	return NULL;
}
