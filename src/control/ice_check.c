/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ICE agent, STUN side: answering and authenticating Binding requests,
 * matching responses to our checks, the paced scheduler, retransmissions,
 * nomination, consent freshness and failure. All output goes into the
 * caller's struct ice_out; nothing here allocates or reads a clock.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "control/ice_priv.h"
#include "crypto/crypto.h"

static struct ice_pkt *
out_slot(struct ice_out *out)
{
	if (out == NULL || out->pkt == NULL || out->n >= out->cap)
		return NULL;
	return &out->pkt[out->n];
}

static int
local_find(const struct ice_agent *a, const struct sl_ep *ep)
{
	unsigned int i;

	for (i = 0; i < a->n_local; i++)
		if (sl_ep_eq(&a->base[i], ep))
			return (int)i;
	return -1;
}

static inline struct ice_comp *
comp_of(struct ice_agent *a, const struct ice_pair *p)
{
	return &a->comp[p->component - 1];
}

/* this generation has nominated a pair for the component */
static inline bool
comp_done(const struct ice_agent *a, unsigned int component)
{
	return a->comp[component - 1].sel_pair >= 0;
}

static void
enqueue(struct ice_agent *a, struct ice_pair *p)
{
	if (p->trig_seq != 0)
		return;
	if (++a->trig_counter == 0)
		a->trig_counter = 1;
	p->trig_seq = a->trig_counter;
}

static uint64_t
consent_jitter(const struct ice_agent *a)
{
	/* RFC 7675 5.1: 0.8 to 1.2 times the interval, to avoid synchronisation */
	return (uint64_t)a->conf.consent_interval_ms * (80 + sl_random_below(41)) / 100;
}

/* ---- packets ---- */

static int
send_request(
	struct ice_agent *a, const struct ice_pair *p, const struct ice_txn *t, struct ice_out *out)
{
	char user[ICE_CRED_MAX + 1 + ICE_UFRAG_LEN + 1];
	struct ice_pkt *pkt = out_slot(out);
	struct stun_builder b;
	uint32_t prflx_prio;
	int n, len;

	if (pkt == NULL)
		return -ENOSPC;
	/* our request is authenticated with the peer's credentials */
	n = snprintf(user, sizeof(user), "%s:%s", a->rufrag, a->ufrag);
	/* the priority the peer gives us if it learns us as peer-reflexive */
	prflx_prio =
		(uint32_t)ICE_TYPE_PREF_PRFLX << 24 | (a->local[p->local].priority & 0x00FFFFFFu);
	stun_build_init(&b, pkt->data, sizeof(pkt->data), STUN_BINDING, STUN_REQUEST, t->tid);
	stun_add_attr(&b, STUN_ATTR_USERNAME, user, (size_t)n);
	stun_add_u32(&b, STUN_ATTR_PRIORITY, prflx_prio);
	stun_add_u64(&b, t->controlling ? STUN_ATTR_ICE_CONTROLLING : STUN_ATTR_ICE_CONTROLLED,
		a->tiebreaker);
	if (t->flags & ICE_TXN_USE_CAND)
		stun_add_attr(&b, STUN_ATTR_USE_CANDIDATE, NULL, 0);
	stun_add_integrity(&b, a->rpwd, strlen(a->rpwd));
	stun_add_fingerprint(&b);
	len = stun_finish(&b);
	if (len < 0)
		return len;
	pkt->local = a->base[p->local];
	pkt->remote = a->remote[p->remote].addr;
	pkt->len = (uint16_t)len;
	out->n++;
	return 0;
}

/* success (code 0) or error response to @p m; @p auth adds MESSAGE-INTEGRITY
 * with our password (not for 401/400 before authentication: RFC 8489 9.1.3) */
static void
send_reply(struct ice_agent *a, const struct stun_msg *m, const struct sl_ep *local,
	const struct sl_ep *remote, uint16_t code, bool auth, struct ice_out *out)
{
	struct ice_pkt *pkt = out_slot(out);
	struct stun_builder b;
	int len;

	if (pkt == NULL) {
		if (out != NULL)
			out->dropped++;
		return;
	}
	stun_build_init(&b, pkt->data, sizeof(pkt->data), STUN_BINDING,
		code == 0 ? STUN_SUCCESS : STUN_ERROR, m->tid);
	if (code == 0) {
		stun_add_xor_addr(&b, STUN_ATTR_XOR_MAPPED_ADDRESS, remote);
	} else {
		stun_add_error(&b, code, NULL);
		if (code == 420)
			stun_add_unknown_attrs(&b, m->unknown, m->n_unknown);
	}
	if (auth)
		stun_add_integrity(&b, a->pwd, strlen(a->pwd));
	stun_add_fingerprint(&b);
	len = stun_finish(&b);
	if (len < 0) {
		out->dropped++;
		return;
	}
	pkt->local = *local;
	pkt->remote = *remote;
	pkt->len = (uint16_t)len;
	out->n++;
}

/* ---- transactions ---- */

static int
start_txn(struct ice_agent *a, struct ice_pair *p, unsigned int flags, uint64_t now,
	struct ice_out *out)
{
	struct ice_txn t;
	int rc;

	if (out_slot(out) == NULL)
		return -ENOSPC;
	memset(&t, 0, sizeof(t));
	if (sl_random_bytes(t.tid, sizeof(t.tid)) < 0)
		return -EIO;
	t.flags = (uint8_t)flags;
	t.ntx = 1;
	t.active = true;
	t.controlling = a->controlling;
	t.rto_ms = a->conf.rto_ms;
	t.next_ms = now + t.rto_ms;
	rc = send_request(a, p, &t, out);
	if (rc < 0)
		return rc;
	if (p->cur.ntx > 0) {
		/* superseded, no more retransmits, but a late answer still counts */
		p->old = p->cur;
		p->old.active = false;
	}
	p->cur = t;
	return 0;
}

static void
fail_pair(struct ice_agent *a, struct ice_pair *p)
{
	struct ice_comp *c = comp_of(a, p);

	p->state = ICE_PAIR_FAILED;
	p->cur.active = false;
	p->trig_seq = 0;
	if (c->nominating == p - a->pairs)
		c->nominating = -1;
}

static void
select_pair(struct ice_agent *a, struct ice_pair *p, uint64_t now)
{
	struct ice_comp *c = comp_of(a, p);
	const struct sl_ep *l = &a->base[p->local], *r = &a->remote[p->remote].addr;

	if (!c->selected || c->consent_lost || !sl_ep_eq(&c->sel_local, l) ||
		!sl_ep_eq(&c->sel_remote, r))
		a->events |= ICE_EV_SELECTED;
	c->selected = true;
	c->consent_lost = false;
	c->sel_pair = (int16_t)(p - a->pairs);
	c->sel_local = *l;
	c->sel_remote = *r;
	c->consent_ok_ms = now;
	c->consent_next_ms = now + consent_jitter(a);
	a->failed = false;
}

void
ice_switch_role(struct ice_agent *a, bool controlling)
{
	unsigned int i;

	a->controlling = controlling;
	for (i = 0; i < a->n_pairs; i++)
		ice_pair_prio(a, &a->pairs[i]);
	if (!controlling)
		for (i = 0; i < ICE_MAX_COMPONENTS; i++)
			a->comp[i].nominating = -1;
}

static void
begin(struct ice_agent *a, uint64_t now)
{
	if (a->started || !a->have_remote)
		return;
	a->started = true;
	a->start_ms = now;
	a->next_ta_ms = now;
}

/* ---- timers ---- */

/* one new check per Ta: triggered FIFO first, then the best Waiting pair,
 * then unfreeze the best Frozen one (RFC 8445 6.1.4.2) */
static void
schedule(struct ice_agent *a, uint64_t now, struct ice_out *out)
{
	struct ice_pair *best = NULL, *p;
	unsigned int i, pass;

	if (!a->have_remote || now < a->next_ta_ms || out_slot(out) == NULL)
		return;
	for (i = 0; i < a->n_pairs; i++) {
		p = &a->pairs[i];
		if (p->trig_seq != 0 && (best == NULL || p->trig_seq < best->trig_seq))
			best = p;
	}
	for (pass = 0; best == NULL && pass < 2; pass++) {
		uint8_t want = pass == 0 ? ICE_PAIR_WAITING : ICE_PAIR_FROZEN;

		for (i = 0; i < a->n_pairs; i++) {
			p = &a->pairs[i];
			if (p->state == want && !comp_done(a, p->component) &&
				(best == NULL || p->prio > best->prio))
				best = p;
		}
	}
	if (best == NULL || start_txn(a, best, ICE_TXN_CHECK, now, out) < 0)
		return;
	best->trig_seq = 0;
	best->state = ICE_PAIR_IN_PROGRESS;
	a->next_ta_ms = now + a->conf.ta_ms;
}

static void
retransmit(struct ice_agent *a, uint64_t now, struct ice_out *out)
{
	unsigned int i;

	for (i = 0; i < a->n_pairs; i++) {
		struct ice_pair *p = &a->pairs[i];
		struct ice_txn *t = &p->cur;

		if (!t->active || now < t->next_ms)
			continue;
		if ((t->flags & ICE_TXN_CONSENT) && comp_of(a, p)->consent_lost) {
			t->active = false; /* RFC 7675: nothing more on a path without consent */
			continue;
		}
		if (t->ntx >= a->conf.max_tx) {
			t->active = false;
			if (!(t->flags & ICE_TXN_CONSENT))
				fail_pair(a, p); /* consent has its own deadline */
			continue;
		}
		if (t->flags == ICE_TXN_CHECK && comp_done(a, p->component) && !p->remote_nom) {
			/* RFC 8445 8.1.2: once nominated, plain checks stop */
			t->active = false;
			continue;
		}
		if (send_request(a, p, t, out) < 0)
			return; /* no room: retry on the next tick */
		t->ntx++;
		t->rto_ms = t->rto_ms * 2 > a->conf.rto_max_ms ? a->conf.rto_max_ms : t->rto_ms * 2;
		t->next_ms = now + t->rto_ms;
	}
}

/* controlling: regular nomination (RFC 8445 8.1.1) of the best valid pair,
 * at once if no better pair is still open, else after nominate_wait_ms */
static void
nominate(struct ice_agent *a, uint64_t now, struct ice_out *out)
{
	unsigned int c, i;

	if (!a->controlling || !a->have_remote)
		return;
	for (c = 1; c <= a->n_comp; c++) {
		struct ice_comp *cs = &a->comp[c - 1];
		struct ice_pair *valid = NULL, *open = NULL;

		if (cs->sel_pair >= 0 || cs->nominating >= 0 || !cs->has_valid)
			continue;
		for (i = 0; i < a->n_pairs; i++) {
			struct ice_pair *p = &a->pairs[i];

			if (p->component != c || p->state == ICE_PAIR_FAILED)
				continue;
			if (p->state == ICE_PAIR_SUCCEEDED &&
				(valid == NULL || p->prio > valid->prio))
				valid = p;
			if (open == NULL || p->prio > open->prio)
				open = p;
		}
		if (valid == NULL)
			continue;
		if (open != valid && now < cs->first_valid_ms + a->conf.nominate_wait_ms)
			continue;
		if (start_txn(a, valid, ICE_TXN_CHECK | ICE_TXN_USE_CAND, now, out) == 0)
			cs->nominating = (int16_t)(valid - a->pairs);
	}
}

static void
consent(struct ice_agent *a, uint64_t now, struct ice_out *out)
{
	unsigned int c;

	for (c = 0; c < a->n_comp; c++) {
		struct ice_comp *cs = &a->comp[c];
		struct ice_pair *p;

		if (!cs->selected || cs->consent_lost)
			continue;
		if (now >= cs->consent_ok_ms + a->conf.consent_timeout_ms) {
			cs->consent_lost = true;
			a->events |= ICE_EV_CONSENT_LOST;
			continue;
		}
		if (cs->sel_pair < 0 || !a->have_remote || now < cs->consent_next_ms)
			continue;
		p = &a->pairs[cs->sel_pair];
		/* a check already in flight on this pair refreshes consent as well */
		if (!p->cur.active && start_txn(a, p, ICE_TXN_CONSENT, now, out) < 0)
			continue;
		cs->consent_next_ms = now + consent_jitter(a);
	}
}

static void
check_failed(struct ice_agent *a, uint64_t now)
{
	unsigned int c, i, n, open;

	if (a->failed || !a->started)
		return;
	for (c = 1; c <= a->n_comp; c++) {
		if (comp_done(a, c))
			continue;
		if (now >= a->start_ms + a->conf.connect_timeout_ms)
			goto fail;
		/* a trickling peer may still send candidates (RFC 8838 8) */
		if (a->remote_trickle && !a->eoc)
			continue;
		for (i = n = open = 0; i < a->n_pairs; i++) {
			const struct ice_pair *p = &a->pairs[i];

			if (p->component != c)
				continue;
			n++;
			if (p->state != ICE_PAIR_FAILED || p->trig_seq != 0)
				open++;
		}
		if (n > 0 && open == 0 && a->comp[c - 1].nominating < 0)
			goto fail;
	}
	return;
fail:
	a->failed = true;
	a->events |= ICE_EV_FAILED;
}

void
ice_tick(struct ice_agent *a, uint64_t now_ms, struct ice_out *out)
{
	a->dirty = false;
	begin(a, now_ms);
	if (a->have_remote) {
		retransmit(a, now_ms, out);
		schedule(a, now_ms, out);
		nominate(a, now_ms, out);
	}
	consent(a, now_ms, out);
	check_failed(a, now_ms);
}

/* ---- input ---- */

static int
handle_request(struct ice_agent *a, unsigned int li, const struct sl_ep *local,
	const struct sl_ep *remote, const struct stun_msg *m, uint64_t now, struct ice_out *out)
{
	size_t ul = strlen(a->ufrag);
	struct ice_pair *p;
	unsigned int comp = a->local[li].component;
	int ri, pi;

	if (!(m->has & STUN_HAS_USERNAME) || !(m->has & STUN_HAS_INTEGRITY)) {
		send_reply(a, m, local, remote, 400, false, out);
		return -EBADMSG;
	}
	/* USERNAME is "<our ufrag>:<their ufrag>"; only our half is checked, the
	 * peer may check before its answer (with its ufrag) reaches us */
	if (m->username_len <= ul || memcmp(m->username, a->ufrag, ul) != 0 ||
		m->username[ul] != ':' || stun_check_integrity(m, a->pwd, strlen(a->pwd)) < 0) {
		send_reply(a, m, local, remote, 401, false, out);
		return -EACCES;
	}
	if (m->n_unknown > 0) {
		send_reply(a, m, local, remote, 420, true, out);
		return -ENOTSUP;
	}
	if (!(m->has & STUN_HAS_PRIORITY)) {
		send_reply(a, m, local, remote, 400, true, out);
		return -EBADMSG;
	}
	/* role conflict, RFC 8445 7.3.1.1: the larger tie-breaker controls */
	if ((m->has & STUN_HAS_CONTROLLING) && a->controlling && !a->remote_lite) {
		if (a->tiebreaker >= m->tiebreaker) {
			send_reply(a, m, local, remote, 487, true, out);
			return -EAGAIN;
		}
		ice_switch_role(a, false);
		a->events |= ICE_EV_ROLE;
	} else if ((m->has & STUN_HAS_CONTROLLED) && !a->controlling) {
		if (a->tiebreaker < m->tiebreaker) {
			send_reply(a, m, local, remote, 487, true, out);
			return -EAGAIN;
		}
		ice_switch_role(a, true);
		a->events |= ICE_EV_ROLE;
	}
	send_reply(a, m, local, remote, 0, true, out);

	/* unknown source: a peer-reflexive candidate (7.3.1.3); a full table
	 * still gets answers, we just do not check back */
	ri = ice_remote_find(a, comp, remote);
	if (ri < 0)
		ri = ice_remote_add_prflx(a, comp, remote, m->priority);
	if (ri < 0)
		return 0;
	pi = ice_pair_add(a, li, (unsigned int)ri);
	if (pi < 0)
		return 0;
	p = &a->pairs[pi];
	/* triggered check (7.3.1.4); a running one is cancelled but its answer
	 * still counts */
	if (p->state == ICE_PAIR_IN_PROGRESS) {
		p->old = p->cur;
		p->old.active = false;
		p->cur.active = false;
		p->cur.ntx = 0;
	}
	if (p->state != ICE_PAIR_SUCCEEDED) {
		p->state = ICE_PAIR_WAITING;
		enqueue(a, p);
	}
	/* nomination by the controlling peer (7.3.1.5). The latest nomination
	 * wins rather than the highest-priority one: a browser that moves to
	 * another path (network change) nominates it, and media must follow */
	if ((m->has & STUN_HAS_USE_CANDIDATE) && !a->controlling) {
		if (p->state == ICE_PAIR_SUCCEEDED) {
			p->nominated = true;
			select_pair(a, p, now);
		} else {
			p->remote_nom = true;
		}
	}
	return 0;
}

static struct ice_pair *
txn_find(struct ice_agent *a, const uint8_t *tid, struct ice_txn **t)
{
	unsigned int i;

	for (i = 0; i < a->n_pairs; i++) {
		struct ice_pair *p = &a->pairs[i];

		if (p->cur.active && memcmp(p->cur.tid, tid, STUN_TID_LEN) == 0) {
			*t = &p->cur;
			return p;
		}
		if (p->old.ntx > 0 && memcmp(p->old.tid, tid, STUN_TID_LEN) == 0) {
			*t = &p->old;
			return p;
		}
	}
	return NULL;
}

static int
handle_response(struct ice_agent *a, unsigned int li, const struct sl_ep *remote,
	const struct stun_msg *m, uint64_t now)
{
	struct ice_txn *t = NULL;
	struct ice_pair *p = txn_find(a, m->tid, &t);
	struct ice_comp *c;
	bool req_controlling;
	unsigned int i, flags;

	if (p == NULL)
		return -ENOENT;
	if (stun_check_integrity(m, a->rpwd, strlen(a->rpwd)) < 0)
		return -EACCES; /* forged or stale: as if never received */
	flags = t->flags;
	req_controlling = t->controlling;
	t->active = false;
	if (t == &p->old)
		t->ntx = 0;
	c = comp_of(a, p);
	if (li != p->local || !sl_ep_eq(remote, &a->remote[p->remote].addr)) {
		/* 7.2.5.2.1: addresses not symmetric */
		if (!(flags & ICE_TXN_CONSENT))
			fail_pair(a, p);
		return -EREMCHG;
	}
	if (m->cls == STUN_ERROR) {
		if (m->error_code == 487 && !(flags & ICE_TXN_CONSENT)) {
			/* 7.2.5.1: switch only if we still hold the role we sent */
			if (req_controlling == a->controlling) {
				ice_switch_role(a, !a->controlling);
				a->events |= ICE_EV_ROLE;
			}
			if (c->nominating == p - a->pairs)
				c->nominating = -1;
			p->state = ICE_PAIR_WAITING;
			enqueue(a, p);
			return 0;
		}
		if (!(flags & ICE_TXN_CONSENT))
			fail_pair(a, p);
		return -ECONNREFUSED;
	}
	if (c->selected && sl_ep_eq(&a->base[p->local], &c->sel_local) &&
		sl_ep_eq(remote, &c->sel_remote))
		c->consent_ok_ms = now;
	if (p->state != ICE_PAIR_SUCCEEDED) {
		p->state = ICE_PAIR_SUCCEEDED;
		p->trig_seq = 0;
		if (!c->has_valid) {
			c->has_valid = true;
			c->first_valid_ms = now;
		}
		/* 7.2.5.3.3: the foundation works, try its other pairs */
		for (i = 0; i < a->n_pairs; i++)
			if (a->pairs[i].state == ICE_PAIR_FROZEN &&
				ice_same_foundation(a, &a->pairs[i], p))
				a->pairs[i].state = ICE_PAIR_WAITING;
	}
	if (a->controlling && (flags & ICE_TXN_USE_CAND)) {
		p->nominated = true;
		c->nominating = -1;
		select_pair(a, p, now);
	} else if (!a->controlling && p->remote_nom) {
		p->nominated = true;
		select_pair(a, p, now);
	}
	return 0;
}

int
ice_input_stun(struct ice_agent *a, const struct sl_ep *local, const struct sl_ep *remote,
	const void *buf, size_t len, uint64_t now_ms, struct ice_out *out)
{
	struct stun_msg m;
	int li, rc;

	rc = stun_parse(&m, buf, len);
	if (rc < 0)
		return rc;
	if (m.method != STUN_BINDING)
		return -EOPNOTSUPP;
	li = local_find(a, local);
	if (li < 0)
		return -ENXIO;
	begin(a, now_ms);
	switch (m.cls) {
	case STUN_REQUEST:
		rc = handle_request(a, (unsigned int)li, local, remote, &m, now_ms, out);
		break;
	case STUN_SUCCESS:
	case STUN_ERROR:
		rc = handle_response(a, (unsigned int)li, remote, &m, now_ms);
		break;
	default:
		return 0; /* indications are keepalives */
	}
	/* triggered checks and nominations go out now rather than next tick */
	if (a->have_remote) {
		schedule(a, now_ms, out);
		nominate(a, now_ms, out);
	}
	check_failed(a, now_ms);
	return rc;
}

/* ---- queries ---- */

uint64_t
ice_next_tick(const struct ice_agent *a)
{
	uint64_t t = UINT64_MAX;
	bool pending = false, all_done = true;
	unsigned int i;

	if (a->dirty)
		return 0;

#define AT(x)                                                                                      \
	do {                                                                                       \
		if ((x) < t)                                                                       \
			t = (x);                                                                   \
	} while (0)
	for (i = 0; i < a->n_pairs && a->have_remote; i++) {
		const struct ice_pair *p = &a->pairs[i];

		if (p->cur.active)
			AT(p->cur.next_ms);
		if (p->trig_seq != 0 ||
			((p->state == ICE_PAIR_WAITING || p->state == ICE_PAIR_FROZEN) &&
				!comp_done(a, p->component)))
			pending = true;
	}
	if (pending)
		AT(a->started ? a->next_ta_ms : 0);
	for (i = 0; i < a->n_comp; i++) {
		const struct ice_comp *c = &a->comp[i];

		if (c->sel_pair < 0)
			all_done = false;
		if (a->controlling && a->have_remote && c->sel_pair < 0 && c->nominating < 0 &&
			c->has_valid)
			AT(c->first_valid_ms + a->conf.nominate_wait_ms);
		if (!c->selected || c->consent_lost)
			continue;
		AT(c->consent_ok_ms + a->conf.consent_timeout_ms);
		if (c->sel_pair >= 0 && a->have_remote)
			AT(c->consent_next_ms);
	}
	if (a->started && !a->failed && !all_done)
		AT(a->start_ms + a->conf.connect_timeout_ms);
#undef AT
	return t;
}
