/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ICE with one party (control thread): the agent per media, its SDP lines,
 * the STUN packets the workers punt to it, its timers, and the flows it
 * programs once a pair is selected. When ICE runs, the selected pair decides
 * where media goes: endpoint learning is off for that leg.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "control/call.h"
#include "control/call_priv.h"
#include "control/ctl_pkt.h"
#include "control/ice.h"
#include "crypto/crypto.h"
#include "dataplane/dp.h"

#define ICE_OUT_MAX 8
#define ICE_LINE_MAX 160

/* one foundation per local address, the same for every call (rtpengine-compat 4.2) */
static char ice_foundation[CFG_MAX_ADDRS][17];

void
call_ice_init(void)
{
	unsigned i;

	for (i = 0; i < CFG_MAX_ADDRS; i++)
		sl_random_alnum(ice_foundation[i], 16);
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int
ice_create(struct call_media *m, bool controlling)
{
	const struct dp_addr *a = &dp_conf.addrs[m->sock.addr_idx];
	unsigned comps = m->mux ? 1 : 2, c;
	struct sl_ep base, adv;
	int rc;

	if (!m->sock.allocated)
		return -EINVAL;
	m->ice = ice_agent_create(comps, controlling, NULL);
	if (m->ice == NULL)
		return -errno;
	for (c = 1; c <= comps; c++) {
		base.ip = a->ip;
		base.port = (uint16_t)(m->sock.port + c - 1);
		adv.ip = call_advertised(m->party, m->sock.addr_idx);
		adv.port = base.port;
		rc = ice_add_local(m->ice, c, &base, &adv, 0, ice_foundation[m->sock.addr_idx]);
		if (rc < 0) {
			ice_agent_free(m->ice);
			m->ice = NULL;
			return rc;
		}
	}
	call_timer_arm(m);
	return 0;
}

void
call_ice_fini(struct call_media *m)
{
	ice_agent_free(m->ice);
	m->ice = NULL;
}

/* the party accepted rtcp-mux: one component is enough */
static void
ice_mux(struct call_media *m)
{
	if (m->ice != NULL && m->mux && ice_components(m->ice) > 1)
		ice_set_components(m->ice, 1);
}

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

static bool
copy_value(const struct sdp_attr *a, char *out, size_t cap)
{
	if (a == NULL || a->value == NULL || a->value_len == 0 || a->value_len >= cap)
		return false;
	memcpy(out, a->value, a->value_len);
	out[a->value_len] = '\0';
	return true;
}

bool
call_ice_in_sdp(const struct sdp_session *s, const struct sdp_media *sm)
{
	return attr_find(sm->attrs, sm->n_attrs, "ice-ufrag") != NULL ||
		attr_find(s->attrs, s->n_attrs, "ice-ufrag") != NULL;
}

int
call_ice_from_sdp(struct call_media *m, const struct sdp_session *s, const struct sdp_media *sm,
	bool answer)
{
	const struct sdp_attr *uf, *pw, *opt;
	char ufrag[ICE_CRED_MAX + 1], pwd[ICE_CRED_MAX + 1];
	unsigned flags = 0, i;
	bool trickle, eoc = false;
	int rc;

	uf = attr_find(sm->attrs, sm->n_attrs, "ice-ufrag");
	pw = attr_find(sm->attrs, sm->n_attrs, "ice-pwd");
	if (uf == NULL)
		uf = attr_find(s->attrs, s->n_attrs, "ice-ufrag");
	if (pw == NULL)
		pw = attr_find(s->attrs, s->n_attrs, "ice-pwd");
	if (!copy_value(uf, ufrag, sizeof(ufrag)) || !copy_value(pw, pwd, sizeof(pwd))) {
		m->ice_sdp = false;
		return 0;
	}
	m->ice_sdp = true;
	if (m->ice == NULL) {
		/* the offerer's agent is controlling (RFC 8445 6.1.1), here that is us iff
		 * the party answers */
		rc = ice_create(m, answer);
		if (rc < 0)
			return rc;
	}
	if (attr_find(s->attrs, s->n_attrs, "ice-lite") != NULL)
		flags |= ICE_REMOTE_LITE;
	opt = attr_find(sm->attrs, sm->n_attrs, "ice-options");
	if (opt == NULL)
		opt = attr_find(s->attrs, s->n_attrs, "ice-options");
	trickle = opt != NULL && opt->value != NULL &&
		memmem(opt->value, opt->value_len, "trickle", 7) != NULL;
	if (trickle)
		flags |= ICE_REMOTE_TRICKLE;
	rc = ice_set_remote_credentials(m->ice, ufrag, pwd, flags);
	if (rc < 0)
		return rc;
	ice_mux(m);
	for (i = 0; i < sm->n_attrs; i++) {
		const struct sdp_attr *at = &sm->attrs[i];
		struct ice_cand c;

		if (at->name_len == 17 && memcmp(at->name, "end-of-candidates", 17) == 0)
			eoc = true;
		if (at->name_len != 9 || memcmp(at->name, "candidate", 9) != 0 || at->value == NULL)
			continue;
		if (ice_candidate_parse(at->value, at->value_len, &c) == 0)
			ice_add_remote(m->ice, &c); /* duplicates and limits: ignored */
	}
	if (eoc || !trickle)
		ice_end_of_candidates(m->ice);
	call_timer_arm(m);
	return 0;
}

int
call_ice_to_sdp(struct call_media *m, bool sender_ice, bool answer, const struct call_opts *o,
	struct sl_arena *a, const char **lines, unsigned max)
{
	unsigned mode = o->ice, n = 0, i;
	char buf[ICE_LINE_MAX];

	if (answer)
		/* an answer carries ICE only to an offerer that used it (rtpengine-compat 3.4) */
		mode = m->ice_sdp && mode != CALL_ICE_REMOVE ? CALL_ICE_FORCE : CALL_ICE_REMOVE;
	else if (mode == CALL_ICE_DEFAULT)
		mode = sender_ice || m->ice_sdp ? CALL_ICE_FORCE : CALL_ICE_REMOVE;
	if (mode == CALL_ICE_REMOVE || !m->sock.allocated) {
		if (m->ice != NULL && !m->ice_sdp)
			call_ice_fini(m);
		return 0;
	}
	if (m->ice == NULL && ice_create(m, !answer) < 0)
		return 0;
	ice_mux(m);
	if (n < max)
		lines[n++] = sl_arena_printf(a, "a=ice-ufrag:%s", ice_local_ufrag(m->ice));
	if (n < max)
		lines[n++] = sl_arena_printf(a, "a=ice-pwd:%s", ice_local_pwd(m->ice));
	if (o->ice_trickle && n < max)
		lines[n++] = "a=ice-options:trickle";
	for (i = 0; i < ice_local_count(m->ice) && n < max; i++) {
		if (ice_candidate_format(ice_local_get(m->ice, i), buf, sizeof(buf)) > 0)
			lines[n++] = sl_arena_printf(a, "a=candidate:%s", buf);
	}
	if (o->ice_trickle && n < max)
		lines[n++] = "a=end-of-candidates";
	return (int)n;
}

int
call_ice_path(const struct call_media *m, struct sl_ep *remote)
{
	struct sl_ep local;

	if (m->ice == NULL)
		return -ENOENT;
	return ice_selected(m->ice, 1, &local, remote);
}

static void
ice_send(struct call_media *m, const struct ice_out *out, const struct sl_ep *src,
	const uint8_t *smac)
{
	unsigned i;

	for (i = 0; i < out->n; i++) {
		const struct ice_pkt *p = &out->pkt[i];
		int addr = dp_addr_find(&p->local.ip);

		if (addr < 0)
			continue;
		/* replies go back to the MAC the request came from */
		ctl_pkt_send((unsigned)addr, p->local.port, &p->remote,
			src != NULL && sl_ep_eq(&p->remote, src) ? smac : NULL, p->data, p->len);
	}
	(void)m;
}

static void
ice_events_handle(struct call_media *m)
{
	uint32_t ev = ice_events(m->ice);
	struct sl_ep local, remote;
	char buf[SL_EPSTRLEN];
	unsigned c;

	if (ev & ICE_EV_SELECTED) {
		for (c = 1; c <= ice_components(m->ice) && c <= 2; c++) {
			if (ice_selected(m->ice, c, &local, &remote) == 0)
				m->ice_sel[c - 1] = remote;
		}
		SL_INFO("ice", "call %s media %u: selected %s", m->call->call_id, m->index,
			sl_ep_fmt(&m->ice_sel[0], buf, sizeof(buf)));
		call_media_repush(m);
		call_sec_path(m);
	}
	if (ev & ICE_EV_CONSENT_LOST)
		SL_INFO("ice", "call %s media %u: consent lost", m->call->call_id, m->index);
	if (ev & ICE_EV_FAILED)
		SL_INFO("ice", "call %s media %u: ICE failed", m->call->call_id, m->index);
}

void
call_ice_input(struct call_media *m, unsigned comp, const struct sl_ep *local,
	const struct sl_ep *src, const uint8_t *smac, const uint8_t *data, size_t len)
{
	struct ice_pkt pkts[ICE_OUT_MAX];
	struct ice_out out = {pkts, ICE_OUT_MAX, 0, 0};

	(void)comp;
	if (m->ice == NULL)
		return;
	ice_input_stun(m->ice, local, src, data, len, now_ms(), &out);
	ice_send(m, &out, src, smac);
	ice_events_handle(m);
	call_timer_arm(m);
}

uint64_t
call_ice_timer(struct call_media *m, uint64_t now)
{
	struct ice_pkt pkts[ICE_OUT_MAX];
	struct ice_out out = {pkts, ICE_OUT_MAX, 0, 0};

	if (m->ice == NULL)
		return UINT64_MAX;
	if (now >= ice_next_tick(m->ice)) {
		ice_tick(m->ice, now, &out);
		ice_send(m, &out, NULL, NULL);
		ice_events_handle(m);
	}
	return ice_next_tick(m->ice);
}
