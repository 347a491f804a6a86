/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Call registry, lifecycle, flow programming and timeouts (control thread).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>

#include "common/log.h"
#include "control/call.h"
#include "control/call_priv.h"
#include "control/neigh.h"
#include "control/ports.h"
#include "crypto/dtls.h"
#include "dataplane/dp.h"

#define CALL_HASH_SIZE 65536 /* buckets, power of two */

struct calls_totals calls_totals;
const struct sl_config *call_cfg;
struct call_lif call_lifs[CFG_MAX_ADDRS];
unsigned call_n_lifs;

static struct call **call_hash;
/* control-side view of the relay sockets: which media owns (address, port) */
static struct call_media **sock_map;
static unsigned sock_span; /* ports per address in the map */
/* media with ICE or DTLS timers */
static struct call_media *timed_head;
static uint64_t timers_next_ms;
static struct call *call_head, *call_tail;
static unsigned call_count;
/*
 * TSC -> clocks, for the workers' packet timestamps. rte_get_tsc_hz() is
 * rounded to 10 MHz when DPDK has to measure it (VMs): up to 0.2 % off, that
 * is 2 ms per second, more than a LAN round trip, and RTCP round trips
 * (RR arrival - SR arrival - DLSR) came out negative. The rate is measured
 * against CLOCK_MONOTONIC over the whole run instead, and the anchor moves to
 * the latest sample (call_clock_calibrate(), once a second). ctl only.
 */
static struct {
	uint64_t base_tsc, base_mono_us; /* first sample: the rate's baseline */
	uint64_t tsc, mono_us, real_us;	 /* latest sample */
	double us_per_tsc;
	bool base_ok; /* the baseline sample was tight */
} clk;

uint64_t
call_mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec;
}

uint64_t
call_real_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t
ts_us(const struct timespec *t)
{
	return (uint64_t)t->tv_sec * 1000000u + (uint64_t)t->tv_nsec / 1000u;
}

/*
 * One (TSC, monotonic, real) sample, the TSC read between two monotonic
 * reads. @return false if they were more than 20 µs apart (preempted) on
 * every (bounded) try: such a sample must not calibrate the rate.
 */
static bool
clock_sample(uint64_t *tsc, uint64_t *mono_us, uint64_t *real_us)
{
	struct timespec m0, m1, r;
	uint64_t a = 0, b = 0;
	unsigned i;

	for (i = 0; i < 8; i++) {
		clock_gettime(CLOCK_MONOTONIC, &m0);
		*tsc = rte_rdtsc();
		clock_gettime(CLOCK_REALTIME, &r);
		clock_gettime(CLOCK_MONOTONIC, &m1);
		a = ts_us(&m0);
		b = ts_us(&m1);
		if (b - a <= 20)
			break;
	}
	*mono_us = a + (b - a) / 2;
	*real_us = ts_us(&r);
	return b - a <= 20;
}

void
call_clock_init(void)
{
	uint64_t hz = rte_get_tsc_hz();

	memset(&clk, 0, sizeof(clk));
	clk.us_per_tsc = hz ? 1e6 / (double)hz : 0;
	clk.base_ok = clock_sample(&clk.tsc, &clk.mono_us, &clk.real_us);
	clk.base_tsc = clk.tsc;
	clk.base_mono_us = clk.mono_us;
}

void
call_clock_calibrate(void)
{
	uint64_t tsc, mono, real;

	if (!clock_sample(&tsc, &mono, &real))
		return; /* keep the previous anchor: an exact one a second old beats a bad one */
	if (!clk.base_ok) {
		/* the first tight sample becomes the baseline */
		clk.base_tsc = tsc;
		clk.base_mono_us = mono;
		clk.base_ok = true;
	} else if (mono >= clk.base_mono_us + 1000000u && tsc > clk.base_tsc) {
		clk.us_per_tsc = (double)(mono - clk.base_mono_us) / (double)(tsc - clk.base_tsc);
	}
	clk.tsc = tsc;
	clk.mono_us = mono;
	clk.real_us = real;
}

/* µs between the latest sample and @p tsc (negative: before it) */
static int64_t
clock_delta_us(uint64_t tsc)
{
	return (int64_t)((double)(int64_t)(tsc - clk.tsc) * clk.us_per_tsc);
}

uint64_t
call_tsc_to_real_us(uint64_t tsc)
{
	if (clk.us_per_tsc == 0)
		return call_real_us();
	return (uint64_t)((int64_t)clk.real_us + clock_delta_us(tsc));
}

uint64_t
call_tsc_to_mono_s(uint64_t tsc)
{
	int64_t us;

	if (tsc == 0 || clk.us_per_tsc == 0)
		return 0;
	us = (int64_t)clk.mono_us + clock_delta_us(tsc);
	return us > 0 ? (uint64_t)us / 1000000u : 0;
}

static uint32_t
call_hash_of(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	while (*s)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h & (CALL_HASH_SIZE - 1);
}

int
calls_iface_find(const char *name, size_t len)
{
	unsigned i;

	for (i = 0; i < call_n_lifs; i++)
		if (strlen(call_lifs[i].name) == len && memcmp(call_lifs[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

int
calls_init(const struct sl_config *cfg)
{
	unsigned i;
	int l, rc;

	call_cfg = cfg;
	call_n_lifs = 0;
	for (i = 0; i < cfg->n_ifaces; i++) {
		const struct cfg_iface *ci = &cfg->ifaces[i];

		l = calls_iface_find(ci->name, strlen(ci->name));
		if (l < 0) {
			l = (int)call_n_lifs++;
			memset(&call_lifs[l], 0, sizeof(call_lifs[l]));
			snprintf(call_lifs[l].name, sizeof(call_lifs[l].name), "%s", ci->name);
			call_lifs[l].addr4 = call_lifs[l].addr6 = -1;
		}
		/* the first address of each family is the one media use */
		if (ci->addr.family == AF_INET && call_lifs[l].addr4 < 0)
			call_lifs[l].addr4 = (int)i;
		if (ci->addr.family == AF_INET6 && call_lifs[l].addr6 < 0)
			call_lifs[l].addr6 = (int)i;
	}
	call_hash = calloc(CALL_HASH_SIZE, sizeof(*call_hash));
	sock_span = cfg->port_max - cfg->port_min + 1u;
	sock_map = calloc((size_t)cfg->n_ifaces * sock_span, sizeof(*sock_map));
	if (call_hash == NULL || sock_map == NULL)
		return -ENOMEM;
	call_ice_init();
	rc = dtls_init(cfg->dtls_cert[0] ? cfg->dtls_cert : NULL,
		cfg->dtls_key[0] ? cfg->dtls_key : NULL);
	if (rc < 0)
		return rc;
	call_clock_init();
	return 0;
}

void
calls_fini(void)
{
	while (call_head != NULL)
		call_destroy(call_head, CALL_END_FORCED);
	free(call_hash);
	call_hash = NULL;
	free(sock_map);
	sock_map = NULL;
	dtls_fini();
}

static struct call_media **
sock_slot(unsigned addr_idx, uint16_t port)
{
	if (sock_map == NULL || addr_idx >= call_cfg->n_ifaces || port < call_cfg->port_min ||
		port > call_cfg->port_max)
		return NULL;
	return &sock_map[(size_t)addr_idx * sock_span + (port - call_cfg->port_min)];
}

struct call_media *
call_sock_media(unsigned addr_idx, uint16_t port)
{
	struct call_media **slot = sock_slot(addr_idx, port);

	return slot != NULL ? *slot : NULL;
}

static void
sock_map_set(const struct call_sock *s, struct call_media *m)
{
	unsigned comp;

	for (comp = 0; comp < 2; comp++) {
		struct call_media **slot = sock_slot(s->addr_idx, (uint16_t)(s->port + comp));

		if (slot != NULL)
			*slot = m;
	}
}

void
call_sock_bind(struct call_media *m)
{
	if (m->sock.allocated)
		sock_map_set(&m->sock, m);
}

struct call *
call_find(const char *call_id)
{
	struct call *c;

	for (c = call_hash[call_hash_of(call_id)]; c != NULL; c = c->hnext)
		if (strcmp(c->call_id, call_id) == 0)
			return c;
	return NULL;
}

struct call *
call_create(const char *call_id, uint64_t now_us)
{
	struct call *c = calloc(1, sizeof(*c));
	uint32_t h;

	if (c == NULL)
		return NULL;
	c->call_id = strdup(call_id);
	c->party[0].tag = strdup("");
	c->party[1].tag = strdup("");
	if (c->call_id == NULL || c->party[0].tag == NULL || c->party[1].tag == NULL) {
		free(c->call_id);
		free(c->party[0].tag);
		free(c->party[1].tag);
		free(c);
		errno = ENOMEM;
		return NULL;
	}
	c->created_us = now_us;
	c->created_s = now_us / 1000000u;
	c->created_mono = call_mono_s();
	c->last_signal_s = c->created_s;
	c->last_signal_mono = c->created_mono;
	c->party[0].created_s = c->created_s;
	c->party[1].created_s = c->created_s;
	c->party[0].iface = c->party[1].iface = 0;
	h = call_hash_of(call_id);
	c->hnext = call_hash[h];
	call_hash[h] = c;
	c->prev = call_tail;
	if (call_tail != NULL)
		call_tail->next = c;
	else
		call_head = c;
	call_tail = c;
	call_count++;
	calls_totals.managed++;
	return c;
}

/* ---- flows ---- */

static uint32_t
sock_flow(const struct call_sock *s, unsigned comp)
{
	return dp_flow_index(s->addr_idx, (uint16_t)(s->port + comp));
}

static bool
dir_sends(enum sdp_dir d)
{
	return d == SDP_DIR_NONE || d == SDP_DIR_SENDRECV || d == SDP_DIR_SENDONLY;
}

/* mailbox slots one media needs in the worst case (2 components x 2 sides) */
#define CALL_MSGS_PER_MEDIA 4

bool
call_mbox_room(unsigned owner, unsigned n_media)
{
	/* keep a reserve so deletions (which cannot fail) always fit */
	return dp_mbox_free(owner) >= n_media * CALL_MSGS_PER_MEDIA + 64;
}

/*
 * Program the flows of @p m's socket (facing its party) so that what they
 * receive leaves through @p peer's socket.
 * @param reset  the socket is new: zero counters and take the endpoint
 * @param expect_changed  the signalled endpoint changed: restart learning
 */
int
call_media_push(const struct call_media *m, const struct call_media *peer, bool reset,
	bool expect_changed)
{
	unsigned comp, ncomp = m->is_rtp ? 2 : 1;
	struct dp_msg msg;
	int rc = 0;

	for (comp = 0; comp < ncomp; comp++) {
		memset(&msg, 0, sizeof(msg));
		msg.op = DP_OP_FLOW_SET;
		msg.flow_idx = sock_flow(&m->sock, comp);
		msg.gen = dp_next_gen();
		msg.has = DP_HAS_FLAGS;
		if (reset)
			msg.has |= DP_HAS_RESET | DP_HAS_EXPECT | DP_HAS_LEARN;
		else if (expect_changed)
			msg.has |= DP_HAS_EXPECT | DP_HAS_LEARN;
		msg.u.flow.flags = DP_F_ACTIVE;
		if (comp == 1)
			msg.u.flow.flags |= DP_F_RTCP;
		else if (m->mux_sig || m->mux)
			msg.u.flow.flags |= DP_F_MUX;
		if (m->strip_fb)
			msg.u.flow.flags |= DP_F_STRIP_FB;
		if (strstr(m->proto, "SAVP") != NULL)
			msg.u.flow.flags |= DP_F_SECURE;
		{
			const char *slash = strchr(m->codec, '/');

			msg.u.flow.clock_rate = slash != NULL ? (uint32_t)strtoul(slash + 1, NULL, 10) :
				8000;
		}
		if (call_rec_active(m->call)) {
			msg.u.flow.flags |= DP_F_TAP;
			msg.u.flow.rec_id = (uint32_t)call_rec_id(m->call);
		}
		if (!m->is_rtp)
			msg.u.flow.flags |= DP_F_RAW;
		if (m->strict)
			msg.u.flow.flags |= DP_F_STRICT;
		if (m->asym)
			msg.u.flow.flags |= DP_F_ASYMMETRIC;
		if (m->handover)
			msg.u.flow.flags |= DP_F_HANDOVER;
		if (!dir_sends(m->dir))
			msg.u.flow.flags |= DP_F_NO_RTP_IN;
		/* RTCP for a muxed peer goes to its RTP port */
		msg.u.flow.out_idx = sock_flow(&peer->sock, comp == 1 && peer->mux ? 0 : comp);
		msg.u.flow.out_rtcp_idx = sock_flow(&peer->sock, peer->mux ? 0 : 1);
		msg.u.flow.lport = (uint16_t)(m->sock.port + comp);
		msg.u.flow.addr_idx = m->sock.addr_idx;
		msg.u.flow.learn = m->learning;
		msg.u.flow.expect = comp == 0 ? m->rtp : m->rtcp;
		if (m->zero_addr)
			memset(&msg.u.flow.expect, 0, sizeof(msg.u.flow.expect));
		if (m->ice != NULL) {
			/* ICE decides where media goes, not latching (field-lessons #27) */
			msg.u.flow.learn = CFG_LEARN_OFF;
			msg.u.flow.expect = m->ice_sel[comp == 1 && !m->mux ? 1 : 0];
			msg.has |= DP_HAS_EXPECT | DP_HAS_LEARN;
		}
		if (dp_send(m->sock.owner, &msg) < 0)
			rc = -ENOBUFS;
		if (msg.u.flow.expect.port != 0 && !sl_ip_is_any(&msg.u.flow.expect.ip))
			neigh_resolve(m->sock.addr_idx, &msg.u.flow.expect.ip);
	}
	return rc;
}

/* Release what a media holds: sockets (flows, ports), later security and ICE state. */
static void
timer_unlink(struct call_media *m)
{
	if (!m->timed)
		return;
	if (m->tprev != NULL)
		m->tprev->tnext = m->tnext;
	else
		timed_head = m->tnext;
	if (m->tnext != NULL)
		m->tnext->tprev = m->tprev;
	m->timed = false;
}

void
call_media_fini(struct call_media *m)
{
	timer_unlink(m);
	call_ice_fini(m);
	if (m->sock.allocated)
		sock_map_set(&m->sock, NULL);
	call_sock_free(&m->sock);
	call_sec_fini(m);
}

struct call_media *
call_media_peer(const struct call_media *m)
{
	struct call_party *other = call_other(m->call, m->party);

	return m->index >= 1 && m->index <= other->n_media ? other->media[m->index - 1] : NULL;
}

struct sl_ip
call_advertised(const struct call_party *p, unsigned addr_idx)
{
	const struct cfg_iface *ci = &call_cfg->ifaces[addr_idx];

	if (p->has_media_address)
		return p->media_address;
	return ci->has_adv ? ci->adv : ci->addr;
}

void
call_media_repush_flags(struct call_media *m)
{
	struct call_media *peer = call_media_peer(m);

	if (peer == NULL || !m->sock.allocated || !peer->sock.allocated)
		return;
	call_media_push(m, peer, false, false);
}

void
call_media_repush(struct call_media *m)
{
	struct call_media *peer = call_media_peer(m);

	if (peer == NULL || !m->sock.allocated || !peer->sock.allocated)
		return;
	call_media_push(m, peer, false, true);
	call_media_push(peer, m, false, false);
}

/* ---- ICE/DTLS timers ---- */

void
call_timer_arm(struct call_media *m)
{
	if (!m->timed) {
		m->timed = true;
		m->tprev = NULL;
		m->tnext = timed_head;
		if (timed_head != NULL)
			timed_head->tprev = m;
		timed_head = m;
	}
	timers_next_ms = 0; /* look at it on the next run */
}

void
call_timers_run(uint64_t now)
{
	struct call_media *m = timed_head, *next;
	uint64_t t, t2, soonest = UINT64_MAX;

	if (now < timers_next_ms)
		return;
	while (m != NULL) {
		next = m->tnext;
		t = call_ice_timer(m, now);
		t2 = call_sec_timer(m, now);
		if (t2 < t)
			t = t2;
		if (t == UINT64_MAX && m->ice == NULL)
			timer_unlink(m); /* nothing left to time until armed again */
		else if (t < soonest)
			soonest = t;
		m = next;
	}
	timers_next_ms = soonest;
}

struct call_media *
call_media_get(struct call *c, struct call_party *p, unsigned i)
{
	struct call_media *m = p->media[i];

	if (m != NULL)
		return m;
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return NULL;
	m->call = c;
	m->party = p;
	m->index = i + 1;
	p->media[i] = m;
	return m;
}

/* Delete the flows of a socket and give its ports back once the owner applied it. */
void
call_sock_free(struct call_sock *s)
{
	struct dp_msg msg;
	unsigned comp;

	if (!s->allocated)
		return;
	for (comp = 0; comp < 2; comp++) {
		memset(&msg, 0, sizeof(msg));
		msg.op = DP_OP_FLOW_DEL;
		msg.flow_idx = sock_flow(s, comp);
		msg.gen = dp_next_gen();
		if (dp_send_queued(s->owner, &msg) < 0) {
			/* not even a backlog entry: leak the pair rather than reuse it live */
			SL_ERR("ctl", "out of memory: port %u withheld", s->port);
			s->allocated = false;
			return;
		}
	}
	ports_release(s->addr_idx, s->port, s->owner, msg.gen);
	s->allocated = false;
}

static void
call_party_free(struct call_party *p)
{
	unsigned i;

	/*
	 * Every slot, not just n_media: call_sdp_apply() creates the media of
	 * an offer before it knows the offer succeeds and raises n_media only
	 * at the end, so an offer that fails half-way (out of ports, mailbox
	 * full) leaves media, and possibly allocated ports, past n_media.
	 */
	for (i = 0; i < CALL_MAX_MEDIA; i++) {
		if (p->media[i] == NULL)
			continue;
		call_media_fini(p->media[i]);
		free(p->media[i]);
	}
	free(p->tag);
	free(p->alias);
	free(p->label);
	free(p->via_branch);
	free(p->sdp_out);
}

void
call_destroy(struct call *c, enum call_end why)
{
	struct call **pp;
	uint64_t now = call_mono_s();

	for (pp = &call_hash[call_hash_of(c->call_id)]; *pp != NULL; pp = &(*pp)->hnext) {
		if (*pp == c) {
			*pp = c->hnext;
			break;
		}
	}
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		call_head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	else
		call_tail = c->prev;
	call_count--;
	call_rec_stop(c, false, call_real_us(), false);
	if (why != CALL_END_NONE) {
		/* CALL_END_NONE: a new call whose first offer failed, never a call */
		calls_totals.ended[why]++;
		calls_totals.total_duration_s += now - c->created_mono;
		SL_INFO("ctl", "call %s destroyed (%s) after %llu s", c->call_id,
			call_end_name(why), (unsigned long long)(now - c->created_mono));
	}
	call_mon_fini(c);
	call_party_free(&c->party[0]);
	call_party_free(&c->party[1]);
	free(c->metadata);
	free(c->call_id);
	free(c);
}

const char *
call_end_name(enum call_end why)
{
	static const char *const names[] = {"", "delete", "timeout", "silent timeout",
		"offer timeout", "final timeout", "forced"};

	return why <= CALL_END_FORCED ? names[why] : "?";
}

struct call *
call_first(void)
{
	return call_head;
}

struct call *
call_next(const struct call *c)
{
	return c->next;
}

unsigned
calls_count(void)
{
	return call_count;
}

struct call_party *
call_party_by_tag(struct call *c, const char *tag)
{
	unsigned i;

	for (i = 0; i < 2; i++) {
		struct call_party *p = &c->party[i];

		if (strcmp(p->tag, tag) == 0 || (p->alias != NULL && strcmp(p->alias, tag) == 0))
			return p;
	}
	return NULL;
}

void
call_delete(struct call *c, unsigned delay_s, uint64_t now_s)
{
	if (delay_s == 0) {
		call_destroy(c, CALL_END_DELETE);
		return;
	}
	if (c->state != CALL_DELETED) {
		unsigned k, i;

		c->state = CALL_DELETED;
		c->destroy_at_mono = now_s + delay_s;
		/*
		 * Media keeps flowing during delete-delay on the flows as they are,
		 * but the peers hung up: no more ICE checks toward them.
		 */
		for (k = 0; k < 2; k++)
			for (i = 0; i < c->party[k].n_media; i++)
				if (c->party[k].media[i] != NULL)
					call_ice_fini(c->party[k].media[i]);
	}
}

/* ---- timeouts ---- */

uint64_t
call_media_last_packet_mono(const struct call_media *m)
{
	struct dp_flow_view v;
	uint64_t last = 0, t;
	unsigned comp;

	if (!m->sock.allocated)
		return 0;
	for (comp = 0; comp < (m->is_rtp ? 2u : 1u); comp++) {
		dp_flow_read(m->sock.owner, sock_flow(&m->sock, comp), &v);
		t = call_tsc_to_mono_s(v.last_rx_tsc);
		if (t > last)
			last = t;
	}
	return last;
}

uint64_t
call_party_last_packet_s(const struct call_party *p)
{
	uint64_t last = 0, t;
	unsigned i;

	for (i = 0; i < p->n_media; i++) {
		t = call_media_last_packet_mono(p->media[i]);
		if (t > last)
			last = t;
	}
	return last;
}

/*
 * Seconds from @p t to @p now, 0 when @p t is later: a worker stamps packets
 * while the sweep runs, so a stream's last packet can be newer than the
 * sweep's @p now (the next second already) and a plain now - t would wrap
 * around and time out a call that is streaming.
 */
static inline uint64_t
age_s(uint64_t now, uint64_t t)
{
	return now > t ? now - t : 0;
}

/* @return why the call must end now, or CALL_END_NONE */
static enum call_end
call_expired(const struct call *c, uint64_t now)
{
	const struct sl_config *cfg = call_cfg;
	bool any_stream = false, any_normal = false;
	uint64_t last, t;
	unsigned i, k;

	if (cfg->final_timeout && now - c->created_mono >= cfg->final_timeout)
		return CALL_END_FINAL_TIMEOUT;
	if (!c->answered) {
		last = c->last_signal_mono;
		for (k = 0; k < 2; k++) {
			t = call_party_last_packet_s(&c->party[k]);
			if (t > last)
				last = t;
		}
		return age_s(now, last) >= cfg->offer_timeout ? CALL_END_OFFER_TIMEOUT :
			CALL_END_NONE;
	}
	for (k = 0; k < 2; k++) {
		const struct call_party *p = &c->party[k];

		for (i = 0; i < p->n_media; i++) {
			const struct call_media *m = p->media[i];
			unsigned tmo;

			if (!m->sock.allocated)
				continue;
			any_stream = true;
			/* a party that said it does not send only needs to keep quiet */
			tmo = dir_sends(m->dir) && !m->zero_addr ? cfg->timeout : cfg->silent_timeout;
			if (tmo == cfg->timeout)
				any_normal = true;
			last = call_media_last_packet_mono(m);
			if (last < c->last_signal_mono)
				last = c->last_signal_mono;
			if (age_s(now, last) < tmo)
				return CALL_END_NONE;
		}
	}
	if (!any_stream)
		return age_s(now, c->last_signal_mono) >= cfg->timeout ? CALL_END_TIMEOUT :
			CALL_END_NONE;
	return any_normal ? CALL_END_TIMEOUT : CALL_END_SILENT_TIMEOUT;
}

void
calls_sweep(uint64_t now)
{
	struct call *c = call_head, *next;
	enum call_end why;

	call_clock_calibrate();
	call_mon_tick();
	while (c != NULL) {
		next = c->next;
		if (c->state == CALL_DELETED) {
			if (now >= c->destroy_at_mono)
				call_destroy(c, CALL_END_DELETE);
		} else {
			why = call_expired(c, now);
			if (why != CALL_END_NONE)
				call_destroy(c, why);
		}
		c = next;
	}
}
