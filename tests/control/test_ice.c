/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ICE agents wired back to back through a simulated network (1 ms steps,
 * 5 ms latency, loss, NAT, black-holing, an emulated ice-lite peer). The
 * loop calls ice_tick() only when ice_next_tick() says so, which tests the
 * deadline bookkeeping as a side effect. Single-agent tests: test_ice_cand.c.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "control/ice.h"
#include "control/stun.h"

#define LAT_MS 5
#define QMAX 512
#define MAXSOCK 8
#define LITE (-1) /* socket served by the emulated ice-lite peer */

struct sock {
	struct sl_ep base; /* what the agent binds */
	struct sl_ep pub;  /* what the other side sees (NAT) */
	int agent;	   /* 0, 1 or LITE */
	bool dead;	   /* unreachable: drops everything */
};

struct npkt {
	struct sl_ep from, to;
	uint64_t at;
	uint16_t len;
	uint8_t data[ICE_PKT_MAX];
};

struct sim {
	struct ice_agent *ag[2];
	uint64_t now;
	struct sock socks[MAXSOCK];
	unsigned int nsocks;
	struct npkt q[QMAX];
	unsigned int nq;
	unsigned int drop_first[2]; /* lose the first N packets an agent sends */
	unsigned int sent[2];
	bool blackhole;
	unsigned int n487;
	unsigned int n_req[2];
	unsigned int lite_use_cand;
	char last_user[2][300]; /* USERNAME of the last request each agent sent */
	char lite_ufrag[16], lite_pwd[32];
};

static struct sim S;

static struct sl_ep
ep(const char *s)
{
	struct sl_ep e;

	assert_int_equal(sl_ep_parse(s, NULL, 0, &e), 0);
	return e;
}

static void
sim_init(void)
{
	memset(&S, 0, sizeof(S));
	S.now = 1000;
}

static void
sim_free(void)
{
	ice_agent_free(S.ag[0]);
	ice_agent_free(S.ag[1]);
	S.ag[0] = S.ag[1] = NULL;
}

static struct sock *
add_sock(int agent, const char *base, const char *pub)
{
	struct sock *s = &S.socks[S.nsocks++];

	s->agent = agent;
	s->base = ep(base);
	s->pub = ep(pub != NULL ? pub : base);
	return s;
}

static struct sock *
sock_by_base(const struct sl_ep *e)
{
	unsigned int i;

	for (i = 0; i < S.nsocks; i++)
		if (sl_ep_eq(&S.socks[i].base, e))
			return &S.socks[i];
	return NULL;
}

static struct sock *
sock_by_pub(const struct sl_ep *e)
{
	unsigned int i;

	for (i = 0; i < S.nsocks; i++)
		if (sl_ep_eq(&S.socks[i].pub, e))
			return &S.socks[i];
	return NULL;
}

static void
net_send(int from_agent, const struct sl_ep *from_pub, const struct sl_ep *to, const void *d,
	size_t len)
{
	struct npkt *n;

	assert_true(S.nq < QMAX);
	n = &S.q[S.nq++];
	n->from = *from_pub;
	n->to = *to;
	n->at = S.now + LAT_MS;
	n->len = (uint16_t)len;
	memcpy(n->data, d, len);
}

/* take what agent @p i emitted into the network */
static void
emit(int i, const struct ice_out *out)
{
	unsigned int k;

	for (k = 0; k < out->n; k++) {
		const struct ice_pkt *p = &out->pkt[k];
		struct sock *s = sock_by_base(&p->local);
		struct stun_msg m;

		assert_non_null(s); /* the agent only sends from its own sockets */
		assert_int_equal(s->agent, i);
		assert_int_equal(stun_parse(&m, p->data, p->len), 0);
		assert_true(m.has & STUN_HAS_FINGERPRINT);
		if (m.cls == STUN_REQUEST) {
			S.n_req[i]++;
			snprintf(S.last_user[i], sizeof(S.last_user[i]), "%.*s", m.username_len,
				(const char *)m.username);
		}
		if (m.cls == STUN_ERROR && m.error_code == 487)
			S.n487++;
		if (S.blackhole || s->dead)
			continue;
		if (++S.sent[i] <= S.drop_first[i])
			continue;
		net_send(i, &s->pub, &p->remote, p->data, p->len);
	}
}

/* the emulated lite peer: answers authenticated checks, never checks itself */
static void
lite_answer(struct sock *s, const struct npkt *n)
{
	uint8_t buf[256];
	struct stun_builder b;
	struct stun_msg m;
	size_t ul = strlen(S.lite_ufrag);
	int len;

	if (stun_parse(&m, n->data, n->len) < 0 || m.cls != STUN_REQUEST)
		return;
	assert_true(m.username_len > ul && memcmp(m.username, S.lite_ufrag, ul) == 0);
	assert_int_equal(stun_check_integrity(&m, S.lite_pwd, strlen(S.lite_pwd)), 0);
	assert_true(m.has & STUN_HAS_CONTROLLING);
	if (m.has & STUN_HAS_USE_CANDIDATE)
		S.lite_use_cand++;
	stun_build_init(&b, buf, sizeof(buf), STUN_BINDING, STUN_SUCCESS, m.tid);
	stun_add_xor_addr(&b, STUN_ATTR_XOR_MAPPED_ADDRESS, &n->from);
	stun_add_integrity(&b, S.lite_pwd, strlen(S.lite_pwd));
	stun_add_fingerprint(&b);
	len = stun_finish(&b);
	assert_true(len > 0);
	net_send(LITE, &s->pub, &n->from, buf, (size_t)len);
}

static void
deliver(const struct npkt *n)
{
	struct ice_pkt pkts[16];
	struct ice_out out = {.pkt = pkts, .cap = 16};
	struct sock *s = sock_by_pub(&n->to);

	if (s == NULL || s->dead || S.blackhole)
		return;
	if (s->agent == LITE) {
		lite_answer(s, n);
		return;
	}
	(void)ice_input_stun(S.ag[s->agent], &s->base, &n->from, n->data, n->len, S.now, &out);
	emit(s->agent, &out);
}

static void
step(void)
{
	unsigned int i, k;

	S.now++;
	for (k = 0; k < S.nq;) {
		if (S.q[k].at <= S.now) {
			struct npkt n = S.q[k];

			memmove(&S.q[k], &S.q[k + 1], (S.nq - k - 1) * sizeof(S.q[0]));
			S.nq--;
			deliver(&n);
		} else {
			k++;
		}
	}
	for (i = 0; i < 2; i++) {
		struct ice_pkt pkts[16];
		struct ice_out out = {.pkt = pkts, .cap = 16};

		if (S.ag[i] == NULL || S.now < ice_next_tick(S.ag[i]))
			continue;
		ice_tick(S.ag[i], S.now, &out);
		emit((int)i, &out);
	}
}

static bool
both_selected(void)
{
	return ice_selected(S.ag[0], 1, NULL, NULL) == 0 &&
	       (S.ag[1] == NULL || ice_selected(S.ag[1], 1, NULL, NULL) == 0);
}

static bool
run_until(bool (*cond)(void), uint64_t ms)
{
	uint64_t end = S.now + ms;

	while (S.now < end) {
		step();
		if (cond != NULL && cond())
			return true;
	}
	return cond == NULL;
}

static void
run_for(uint64_t ms)
{
	run_until(NULL, ms);
}

/* signal @p from's credentials and candidates to @p to, through the SDP syntax */
static void
signal_to(int from, int to, unsigned int flags)
{
	struct ice_agent *f = S.ag[from], *t = S.ag[to];
	unsigned int i;

	assert_true(
		ice_set_remote_credentials(t, ice_local_ufrag(f), ice_local_pwd(f), flags) >= 0);
	for (i = 0; i < ice_local_count(f); i++) {
		char line[256];
		struct ice_cand c;

		assert_true(ice_candidate_format(ice_local_get(f, i), line, sizeof(line)) > 0);
		assert_int_equal(ice_candidate_parse(line, strlen(line), &c), 0);
		assert_int_equal(ice_add_remote(t, &c), 0);
	}
}

static struct ice_agent *
mk_agent(bool controlling, uint64_t tiebreaker)
{
	struct ice_conf conf = {.tiebreaker = tiebreaker};
	struct ice_agent *a = ice_agent_create(1, controlling, &conf);

	assert_non_null(a);
	return a;
}

static void
add_local(int i, const char *base, unsigned int pref)
{
	struct sl_ep e = ep(base);

	assert_int_equal(ice_add_local(S.ag[i], 1, &e, NULL, pref, NULL), 0);
}

static void
assert_sel(int i, const char *local, const char *remote)
{
	struct sl_ep l, r, wl = ep(local), wr = ep(remote);

	assert_int_equal(ice_selected(S.ag[i], 1, &l, &r), 0);
	assert_true(sl_ep_eq(&l, &wl));
	assert_true(sl_ep_eq(&r, &wr));
}

/* ---- two agents ---- */

static void
test_connect_with_loss(void **state)
{
	sim_init();
	S.ag[0] = mk_agent(true, 0);
	S.ag[1] = mk_agent(false, 0);
	add_sock(0, "10.0.0.1:1000", NULL);
	add_sock(1, "10.0.0.2:2000", NULL);
	add_sock(1, "10.9.9.9:2002", NULL)->dead = true; /* better priority, unreachable */
	add_local(0, "10.0.0.1:1000", 0);
	add_local(1, "10.9.9.9:2002", 0);
	add_local(1, "10.0.0.2:2000", 1);
	signal_to(0, 1, 0);
	signal_to(1, 0, 0);
	S.drop_first[0] = 2;
	S.drop_first[1] = 2;

	assert_int_equal(ice_state(S.ag[0]), ICE_ST_CHECKING);
	assert_true(run_until(both_selected, 10000));
	assert_sel(0, "10.0.0.1:1000", "10.0.0.2:2000");
	/* the controlled side follows once its own check on the pair succeeds */
	run_for(200);
	assert_sel(1, "10.0.0.2:2000", "10.0.0.1:1000");
	assert_true(ice_events(S.ag[0]) & ICE_EV_SELECTED);
	assert_true(ice_events(S.ag[1]) & ICE_EV_SELECTED);
	assert_int_equal(ice_state(S.ag[0]), ICE_ST_CONNECTED);
	assert_int_equal(ice_state(S.ag[1]), ICE_ST_CONNECTED);
	assert_true(ice_is_controlling(S.ag[0]));
	assert_false(ice_is_controlling(S.ag[1]));

	/* consent keeps it up while the network works; checks stay bounded */
	unsigned int before = S.n_req[0];

	run_for(60000);
	assert_sel(0, "10.0.0.1:1000", "10.0.0.2:2000");
	assert_sel(1, "10.0.0.2:2000", "10.0.0.1:1000");
	assert_int_equal(ice_events(S.ag[0]) & (ICE_EV_CONSENT_LOST | ICE_EV_FAILED), 0);
	/* ~12 consent checks a minute, plus the dead pair's retransmissions */
	assert_true(S.n_req[0] - before >= 9 && S.n_req[0] - before <= 30);
	assert_int_equal(S.n487, 0);
	sim_free();
}

static void
test_role_conflict_487(void **state)
{
	sim_init();
	/* both think they control; B has the larger tie-breaker and keeps it */
	S.ag[0] = mk_agent(true, 100);
	S.ag[1] = mk_agent(true, 200);
	add_sock(0, "10.0.0.1:1000", NULL);
	add_sock(1, "10.0.0.2:2000", NULL);
	add_local(0, "10.0.0.1:1000", 0);
	add_local(1, "10.0.0.2:2000", 0);
	signal_to(0, 1, 0);
	signal_to(1, 0, 0);
	/* A checks first (B's first tick comes later), so B answers 487 */
	{
		struct ice_pkt pkts[4];
		struct ice_out out = {.pkt = pkts, .cap = 4};

		ice_tick(S.ag[0], S.now, &out);
		assert_int_equal(out.n, 1);
		emit(0, &out);
	}
	S.now += 1;
	step(); /* nothing due yet */
	run_for(LAT_MS);
	assert_true(S.n487 >= 1);
	assert_true(run_until(both_selected, 10000));
	run_for(200);
	assert_false(ice_is_controlling(S.ag[0]));
	assert_true(ice_is_controlling(S.ag[1]));
	assert_true(ice_events(S.ag[0]) & ICE_EV_ROLE);
	assert_false(ice_events(S.ag[1]) & ICE_EV_ROLE);
	assert_sel(0, "10.0.0.1:1000", "10.0.0.2:2000");
	assert_sel(1, "10.0.0.2:2000", "10.0.0.1:1000");
	sim_free();
}

static void
test_role_conflict_switch(void **state)
{
	/* both controlled: the larger tie-breaker (A) takes control; the request
	 * from A reaches B first, B answers 487, A switches */
	sim_init();
	S.ag[0] = mk_agent(false, 300);
	S.ag[1] = mk_agent(false, 100);
	add_sock(0, "10.0.0.1:1000", NULL);
	add_sock(1, "10.0.0.2:2000", NULL);
	add_local(0, "10.0.0.1:1000", 0);
	add_local(1, "10.0.0.2:2000", 0);
	signal_to(0, 1, 0);
	signal_to(1, 0, 0);
	assert_true(run_until(both_selected, 10000));
	run_for(200);
	assert_true(ice_is_controlling(S.ag[0]));
	assert_false(ice_is_controlling(S.ag[1]));
	assert_true(S.n487 >= 1);
	sim_free();

	/* both controlling, the checker wins without a 487: B yields */
	sim_init();
	S.ag[0] = mk_agent(true, 300);
	S.ag[1] = mk_agent(true, 100);
	add_sock(0, "10.0.0.1:1000", NULL);
	add_sock(1, "10.0.0.2:2000", NULL);
	add_local(0, "10.0.0.1:1000", 0);
	add_local(1, "10.0.0.2:2000", 0);
	signal_to(0, 1, 0);
	signal_to(1, 0, 0);
	assert_true(run_until(both_selected, 10000));
	run_for(200);
	assert_true(ice_is_controlling(S.ag[0]));
	assert_false(ice_is_controlling(S.ag[1]));
	assert_true(ice_events(S.ag[1]) & ICE_EV_ROLE);
	sim_free();
}

static void
connect_pair(void)
{
	sim_init();
	S.ag[0] = mk_agent(true, 0);
	S.ag[1] = mk_agent(false, 0);
	add_sock(0, "10.0.0.1:1000", NULL);
	add_sock(1, "10.0.0.2:2000", NULL);
	add_local(0, "10.0.0.1:1000", 0);
	add_local(1, "10.0.0.2:2000", 0);
	signal_to(0, 1, 0);
	signal_to(1, 0, 0);
	assert_true(run_until(both_selected, 10000));
	run_for(200);
	assert_sel(0, "10.0.0.1:1000", "10.0.0.2:2000");
	assert_sel(1, "10.0.0.2:2000", "10.0.0.1:1000");
	ice_events(S.ag[0]);
	ice_events(S.ag[1]);
}

static void
test_consent_expiry(void **state)
{
	uint64_t t0;
	unsigned int req0;

	connect_pair();
	run_for(7000); /* at least one consent round trip */
	S.blackhole = true;
	t0 = S.now;
	req0 = S.n_req[0];
	/* the last response is at most one interval (<= 6 s) old */
	run_for(23900);
	assert_int_equal(ice_selected(S.ag[0], 1, NULL, NULL), 0);
	assert_int_equal(ice_selected(S.ag[1], 1, NULL, NULL), 0);
	assert_int_equal(ice_events(S.ag[0]) & ICE_EV_CONSENT_LOST, 0);
	run_for(30100 - (S.now - t0));
	assert_int_equal(ice_selected(S.ag[0], 1, NULL, NULL), -ETIMEDOUT);
	assert_int_equal(ice_selected(S.ag[1], 1, NULL, NULL), -ETIMEDOUT);
	assert_true(ice_events(S.ag[0]) & ICE_EV_CONSENT_LOST);
	assert_true(ice_events(S.ag[1]) & ICE_EV_CONSENT_LOST);
	assert_int_equal(ice_state(S.ag[0]), ICE_ST_FAILED);
	/* checks went out during the silence (4-6 s apart, with retransmits) */
	assert_true(S.n_req[0] - req0 >= 4);
	/* and stop after consent is lost */
	req0 = S.n_req[0];
	run_for(20000);
	assert_int_equal(S.n_req[0] - req0, 0);
	sim_free();
}

static void
test_prflx_behind_nat(void **state)
{
	static const char mdns[] = "1 1 udp 2122260223 0f3e4d5c-aaaa-bbbb-cccc-0123456789ab.local "
				   "2000 typ host";
	struct ice_cand c;
	const struct ice_cand *r;

	sim_init();
	S.ag[0] = mk_agent(true, 0);
	S.ag[1] = mk_agent(false, 0);
	add_sock(0, "10.0.0.1:1000", NULL);
	/* the browser: private address behind a NAT, advertised by mDNS only */
	add_sock(1, "192.168.1.2:2000", "203.0.113.5:40000");
	add_local(0, "10.0.0.1:1000", 0);
	add_local(1, "192.168.1.2:2000", 0);
	signal_to(0, 1, 0);
	assert_int_equal(ice_set_remote_credentials(
				 S.ag[0], ice_local_ufrag(S.ag[1]), ice_local_pwd(S.ag[1]), 0),
		0);
	assert_int_equal(ice_candidate_parse(mdns, strlen(mdns), &c), 0);
	assert_int_equal(ice_add_remote(S.ag[0], &c), 0);
	assert_int_equal(ice_add_remote(S.ag[0], &c), -EEXIST);

	assert_true(run_until(both_selected, 10000));
	run_for(200);
	assert_sel(0, "10.0.0.1:1000", "203.0.113.5:40000");
	assert_sel(1, "192.168.1.2:2000", "10.0.0.1:1000");
	/* learned as peer-reflexive with the PRIORITY the peer sent */
	assert_int_equal(ice_remote_count(S.ag[0]), 2);
	r = ice_remote_get(S.ag[0], 1);
	assert_int_equal(r->type, ICE_CAND_PRFLX);
	assert_int_equal(
		r->priority, (uint32_t)ICE_TYPE_PREF_PRFLX << 24 | (2130706431u & 0xFFFFFF));
	assert_true(ice_remote_get(S.ag[0], 0)->mdns);
	sim_free();
}

static void
test_trickle(void **state)
{
	unsigned int i;

	sim_init();
	S.ag[0] = mk_agent(true, 0);
	S.ag[1] = mk_agent(false, 0);
	add_sock(0, "10.0.0.1:1000", NULL);
	add_sock(1, "10.0.0.2:2000", NULL);
	/* credentials first, no candidates yet on either side */
	assert_int_equal(ice_set_remote_credentials(S.ag[0], ice_local_ufrag(S.ag[1]),
				 ice_local_pwd(S.ag[1]), ICE_REMOTE_TRICKLE),
		0);
	assert_int_equal(ice_set_remote_credentials(S.ag[1], ice_local_ufrag(S.ag[0]),
				 ice_local_pwd(S.ag[0]), ICE_REMOTE_TRICKLE),
		0);
	add_local(0, "10.0.0.1:1000", 0);
	add_local(1, "10.0.0.2:2000", 0);
	run_for(3000);
	assert_int_equal(ice_state(S.ag[0]), ICE_ST_CHECKING);
	assert_int_equal(ice_events(S.ag[0]) & ICE_EV_FAILED, 0);
	assert_int_equal(S.n_req[0] + S.n_req[1], 0);
	/* A's candidate trickles to B first: B checks, A learns B as prflx */
	for (i = 0; i < ice_local_count(S.ag[0]); i++)
		assert_int_equal(ice_add_remote(S.ag[1], ice_local_get(S.ag[0], i)), 0);
	ice_end_of_candidates(S.ag[1]);
	run_for(20);
	/* then B's candidate reaches A: it replaces the learned one */
	for (i = 0; i < ice_local_count(S.ag[1]); i++)
		assert_int_equal(ice_add_remote(S.ag[0], ice_local_get(S.ag[1], i)), 0);
	ice_end_of_candidates(S.ag[0]);
	assert_int_equal(ice_remote_count(S.ag[0]), 1);
	assert_int_equal(ice_remote_get(S.ag[0], 0)->type, ICE_CAND_HOST);
	assert_true(run_until(both_selected, 5000));
	run_for(200);
	assert_sel(0, "10.0.0.1:1000", "10.0.0.2:2000");
	assert_sel(1, "10.0.0.2:2000", "10.0.0.1:1000");
	sim_free();
}

static void
test_failure(void **state)
{
	struct ice_cand c;
	static const char dead[] = "1 1 udp 2130706431 10.7.7.7 7000 typ host";

	/* all pairs fail after end-of-candidates: failed well before the 30 s cap */
	sim_init();
	S.ag[0] = mk_agent(true, 0);
	add_sock(0, "10.0.0.1:1000", NULL);
	add_local(0, "10.0.0.1:1000", 0);
	assert_int_equal(ice_set_remote_credentials(
				 S.ag[0], "abcd", "0123456789012345678901", ICE_REMOTE_TRICKLE),
		0);
	assert_int_equal(ice_candidate_parse(dead, strlen(dead), &c), 0);
	assert_int_equal(ice_add_remote(S.ag[0], &c), 0);
	run_for(20000);
	/* trickle without end-of-candidates: keep waiting */
	assert_int_equal(ice_state(S.ag[0]), ICE_ST_CHECKING);
	assert_int_equal(S.n_req[0], 7); /* bounded retransmissions */
	ice_end_of_candidates(S.ag[0]);
	run_for(100);
	assert_int_equal(ice_state(S.ag[0]), ICE_ST_FAILED);
	assert_true(ice_events(S.ag[0]) & ICE_EV_FAILED);
	assert_int_equal(ice_selected(S.ag[0], 1, NULL, NULL), -EAGAIN);
	sim_free();

	/* nothing at all to check: the connect timeout ends it */
	sim_init();
	S.ag[0] = mk_agent(false, 0);
	add_sock(0, "10.0.0.1:1000", NULL);
	add_local(0, "10.0.0.1:1000", 0);
	assert_int_equal(
		ice_set_remote_credentials(S.ag[0], "abcd", "0123456789012345678901", 0), 0);
	run_for(29000);
	assert_int_equal(ice_state(S.ag[0]), ICE_ST_CHECKING);
	run_for(2000);
	assert_int_equal(ice_state(S.ag[0]), ICE_ST_FAILED);
	assert_int_equal(ice_next_tick(S.ag[0]), UINT64_MAX);
	sim_free();
}

static void
test_restart(void **state)
{
	char old_ufrag_b[16], old_pwd_b[32], user[64];
	unsigned int i;

	connect_pair();
	snprintf(old_ufrag_b, sizeof(old_ufrag_b), "%s", ice_local_ufrag(S.ag[1]));
	snprintf(old_pwd_b, sizeof(old_pwd_b), "%s", ice_local_pwd(S.ag[1]));

	/* A offers a restart */
	ice_restart(S.ag[0]);
	/* B sees new credentials: a restart, with new credentials of its own */
	assert_int_equal(ice_set_remote_credentials(
				 S.ag[1], ice_local_ufrag(S.ag[0]), ice_local_pwd(S.ag[0]), 0),
		1);
	assert_true(ice_events(S.ag[1]) & ICE_EV_RESTART);
	assert_string_not_equal(ice_local_ufrag(S.ag[1]), old_ufrag_b);
	assert_string_not_equal(ice_local_pwd(S.ag[1]), old_pwd_b);
	/* the same credentials again are not a restart */
	assert_int_equal(ice_set_remote_credentials(
				 S.ag[1], ice_local_ufrag(S.ag[0]), ice_local_pwd(S.ag[0]), 0),
		0);
	assert_int_equal(ice_remote_count(S.ag[1]), 0);
	/* media keeps its path meanwhile */
	assert_sel(0, "10.0.0.1:1000", "10.0.0.2:2000");
	assert_sel(1, "10.0.0.2:2000", "10.0.0.1:1000");
	for (i = 0; i < ice_local_count(S.ag[0]); i++)
		assert_int_equal(ice_add_remote(S.ag[1], ice_local_get(S.ag[0], i)), 0);
	/* the answer reaches A */
	assert_int_equal(ice_set_remote_credentials(
				 S.ag[0], ice_local_ufrag(S.ag[1]), ice_local_pwd(S.ag[1]), 0),
		0);
	for (i = 0; i < ice_local_count(S.ag[1]); i++)
		assert_int_equal(ice_add_remote(S.ag[0], ice_local_get(S.ag[1], i)), 0);
	ice_events(S.ag[0]);
	run_for(3000);
	assert_sel(0, "10.0.0.1:1000", "10.0.0.2:2000");
	assert_sel(1, "10.0.0.2:2000", "10.0.0.1:1000");
	/* the new generation's credentials are on the wire */
	snprintf(user, sizeof(user), "%s:%s", ice_local_ufrag(S.ag[1]), ice_local_ufrag(S.ag[0]));
	assert_string_equal(S.last_user[0], user);
	snprintf(user, sizeof(user), "%s:%s", ice_local_ufrag(S.ag[0]), ice_local_ufrag(S.ag[1]));
	assert_string_equal(S.last_user[1], user);
	/* same path: no spurious reprogramming of the data plane */
	assert_false(ice_events(S.ag[0]) & ICE_EV_SELECTED);
	/* the old generation is refused */
	{
		struct ice_pkt pkts[2];
		struct ice_out out = {.pkt = pkts, .cap = 2};
		struct sl_ep l = ep("10.0.0.2:2000"), r = ep("10.0.0.1:1000");
		uint8_t buf[200], tid[12] = {1};
		struct stun_builder b;

		snprintf(user, sizeof(user), "%s:x", old_ufrag_b);
		stun_build_init(&b, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, tid);
		stun_add_attr(&b, STUN_ATTR_USERNAME, user, strlen(user));
		stun_add_u32(&b, STUN_ATTR_PRIORITY, 1);
		stun_add_integrity(&b, old_pwd_b, strlen(old_pwd_b));
		stun_add_fingerprint(&b);
		assert_int_equal(
			ice_input_stun(S.ag[1], &l, &r, buf, (size_t)stun_finish(&b), S.now, &out),
			-EACCES);
	}
	run_for(40000); /* consent runs on the new generation */
	assert_sel(0, "10.0.0.1:1000", "10.0.0.2:2000");
	assert_int_equal(ice_state(S.ag[1]), ICE_ST_CONNECTED);
	sim_free();
}

static void
test_lite_peer(void **state)
{
	struct ice_cand c;
	static const char cand[] = "L1 1 UDP 2130706431 10.0.0.9 9000 typ host";

	sim_init();
	S.ag[0] = mk_agent(false, 0); /* answerer, yet the lite peer makes it control */
	add_sock(0, "10.0.0.1:1000", NULL);
	add_sock(LITE, "10.0.0.9:9000", NULL);
	add_local(0, "10.0.0.1:1000", 0);
	snprintf(S.lite_ufrag, sizeof(S.lite_ufrag), "liteUF");
	snprintf(S.lite_pwd, sizeof(S.lite_pwd), "litePassword0123456789ab");
	assert_int_equal(
		ice_set_remote_credentials(S.ag[0], S.lite_ufrag, S.lite_pwd, ICE_REMOTE_LITE), 0);
	assert_true(ice_is_controlling(S.ag[0]));
	assert_int_equal(ice_candidate_parse(cand, strlen(cand), &c), 0);
	assert_int_equal(ice_add_remote(S.ag[0], &c), 0);
	assert_true(run_until(both_selected, 5000));
	assert_sel(0, "10.0.0.1:1000", "10.0.0.9:9000");
	assert_int_equal(S.lite_use_cand, 1);
	run_for(30000); /* consent against a lite peer */
	assert_sel(0, "10.0.0.1:1000", "10.0.0.9:9000");
	sim_free();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_connect_with_loss),
		cmocka_unit_test(test_role_conflict_487),
		cmocka_unit_test(test_role_conflict_switch),
		cmocka_unit_test(test_consent_expiry),
		cmocka_unit_test(test_prflx_behind_nat),
		cmocka_unit_test(test_trickle),
		cmocka_unit_test(test_failure),
		cmocka_unit_test(test_restart),
		cmocka_unit_test(test_lite_peer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
