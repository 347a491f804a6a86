/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker lcore loop: RX burst -> packet path -> TX flush -> bounded
 * mailbox drain -> idle accounting. Also the worker-owned neighbour table
 * and the application of mailbox messages to the flow table.
 */
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_jhash.h>
#include <rte_ring_elem.h>

#include "common/log.h"
#include "control/config.h"
#include "crypto/srtp.h"
#include "dataplane/dp_priv.h"
#include "monitor/rtpstat.h"

/* A tx buffer per port on this worker's queue */
struct dp_txq {
	uint16_t n;
	struct rte_mbuf *pkts[DP_BURST];
};

static RTE_DEFINE_PER_LCORE(struct dp_txq, dp_txq[DP_MAX_PORTS]);

static void
dp_tx_flush_port(struct dp_lcore *lc, uint16_t port)
{
	struct dp_txq *q = &RTE_PER_LCORE(dp_txq)[port];
	uint16_t sent;

	if (q->n == 0)
		return;
	sent = rte_eth_tx_burst(port, (uint16_t)lc->id, q->pkts, q->n);
	DP_CNT_ADD(lc->stats.tx_pkts, sent);
	if (unlikely(sent < q->n)) {
		DP_CNT_ADD(lc->stats.tx_drop, q->n - sent);
		rte_pktmbuf_free_bulk(&q->pkts[sent], q->n - sent);
	}
	q->n = 0;
}

void
dp_tx_flush(struct dp_lcore *lc)
{
	unsigned i;

	for (i = 0; i < dp_n_ports_used; i++)
		dp_tx_flush_port(lc, dp_ports_used[i]);
}

void
dp_tx(struct dp_lcore *lc, struct rte_mbuf *m, uint16_t port)
{
	struct dp_txq *q = &RTE_PER_LCORE(dp_txq)[port];

	m->port = port;
	q->pkts[q->n++] = m;
	if (q->n == DP_BURST)
		dp_tx_flush_port(lc, port);
}

void
dp_drop(struct rte_mbuf *m)
{
	rte_pktmbuf_free(m);
}

void
dp_punt(struct dp_lcore *lc, struct rte_mbuf *m)
{
	if (rte_ring_enqueue(lc->punt, m) != 0) {
		DP_STAT(lc, drop_punt_full);
		rte_pktmbuf_free(m);
		return;
	}
	DP_STAT(lc, punt);
}

/* ---- neighbour table: written only through mailbox messages ---- */

static inline uint32_t
dp_neigh_hash(uint16_t port, const struct sl_ip *ip)
{
	uint32_t key[4];

	/* rte_jhash() reads 32-bit words on x86; struct sl_ip is only byte aligned */
	memcpy(key, ip->a, sizeof(key));
	return rte_jhash(key, sizeof(key), port) & (DP_NEIGH_SIZE - 1);
}

const struct rte_ether_addr *
dp_neigh_lookup(struct dp_lcore *lc, uint16_t port, const struct sl_ip *ip)
{
	uint32_t h = dp_neigh_hash(port, ip);
	unsigned i;

	for (i = 0; i < DP_NEIGH_SIZE; i++) {
		const struct dp_neigh *e = &lc->neigh[(h + i) & (DP_NEIGH_SIZE - 1)];

		if (e->state == 0)
			return NULL;
		if (e->state == 1 && e->port_id == port && sl_ip_eq(&e->ip, ip))
			return &e->mac;
	}
	return NULL;
}

static void
dp_neigh_set(struct dp_lcore *lc, const struct dp_neigh_spec *s)
{
	uint32_t h = dp_neigh_hash(s->port_id, &s->ip);
	struct dp_neigh *free_slot = NULL;
	unsigned i;

	for (i = 0; i < DP_NEIGH_SIZE; i++) {
		struct dp_neigh *e = &lc->neigh[(h + i) & (DP_NEIGH_SIZE - 1)];

		if (e->state == 1 && e->port_id == s->port_id && sl_ip_eq(&e->ip, &s->ip)) {
			if (!rte_is_same_ether_addr(&e->mac, &s->mac)) {
				e->mac = s->mac;
				lc->neigh_gen++; /* flows revalidate their cached MAC */
			}
			return;
		}
		if (e->state != 1 && free_slot == NULL)
			free_slot = e;
		if (e->state == 0)
			break;
	}
	if (free_slot == NULL)
		return; /* full: the control thread bounds the entries it pushes */
	free_slot->state = 1;
	free_slot->port_id = s->port_id;
	free_slot->ip = s->ip;
	free_slot->mac = s->mac;
}

static void
dp_neigh_del(struct dp_lcore *lc, const struct dp_neigh_spec *s)
{
	uint32_t h = dp_neigh_hash(s->port_id, &s->ip);
	unsigned i;

	for (i = 0; i < DP_NEIGH_SIZE; i++) {
		struct dp_neigh *e = &lc->neigh[(h + i) & (DP_NEIGH_SIZE - 1)];

		if (e->state == 0)
			return;
		if (e->state == 1 && e->port_id == s->port_id && sl_ip_eq(&e->ip, &s->ip)) {
			e->state = 2;
			lc->neigh_gen++;
			return;
		}
	}
}

/*
 * Send held packets whose next hop is now known; drop those that waited too
 * long (or whose flow went away). @p expire_only: only check deadlines.
 */
void
dp_held_retry(struct dp_lcore *lc, bool expire_only)
{
	const struct rte_ether_addr *mac = NULL;
	unsigned i, keep = 0;

	for (i = 0; i < lc->n_held; i++) {
		struct dp_held *h = &lc->held[i];
		struct dp_flow *o = &lc->flows[h->flow_idx];

		if (!(o->flags & DP_F_ACTIVE) || lc->now_tsc >= h->deadline_tsc) {
			DP_STAT(lc, drop_no_neigh);
			rte_pktmbuf_free(h->m);
			continue;
		}
		if (!expire_only)
			mac = dp_out_mac(lc, o);
		if (mac != NULL && !expire_only) {
			rte_ether_addr_copy(mac, &rte_pktmbuf_mtod(h->m, struct rte_ether_hdr *)->dst_addr);
			dp_tx(lc, h->m, h->m->port);
			continue;
		}
		lc->held[keep++] = *h;
	}
	lc->n_held = keep;
}

/* ---- mailbox ---- */

/*
 * Heuristic learning may latch on a source at another address than the
 * signalled one only where a NAT is to be expected between the party and
 * us: its SDP named a private, shared (CGN), link-local or unique-local
 * address. A party that signalled a routable address is reachable there;
 * a packet from elsewhere is not from it (RTP Bleed, field-lessons 2G).
 * An unknown endpoint (no answer yet, c=0.0.0.0) latches nothing.
 */
static bool
dp_nat_expected(const struct sl_ip *ip)
{
	if (sl_ip_is_any(ip))
		return false;
	if (ip->family == AF_INET) {
		uint32_t a = rte_be_to_cpu_32(sl_ip_v4(ip));

		return (a >> 24) == 10 ||                 /* 10/8 */
			(a >> 20) == 0xac1 ||              /* 172.16/12 */
			(a >> 16) == 0xc0a8 ||             /* 192.168/16 */
			(a >> 22) == (0x64400000u >> 22) || /* 100.64/10 */
			(a >> 16) == 0xa9fe;               /* 169.254/16 */
	}
	return (ip->a[0] & 0xfe) == 0xfc ||                /* fc00::/7 */
		(ip->a[0] == 0xfe && (ip->a[1] & 0xc0) == 0x80); /* fe80::/10 */
}

static void
dp_flow_set(struct dp_lcore *lc, struct dp_flow *f, const struct dp_msg *m)
{
	const struct dp_flow_spec *s = &m->u.flow;

	if (m->has & DP_HAS_RESET) {
		rtpstat_init(&lc->rtps[m->flow_idx]);
		__atomic_store_n(&f->pkts, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&f->bytes, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&f->errors, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&f->pkts_out, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&f->bytes_out, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&f->last_rx_tsc, 0, __ATOMIC_RELAXED);
	}
	if (m->has & DP_HAS_FLAGS) {
		f->flags = s->flags;
		f->out_idx = s->out_idx < dp_conf.flows_per_worker ? s->out_idx : 0;
		f->out_rtcp_idx = (s->flags & DP_F_MUX) && s->out_rtcp_idx < dp_conf.flows_per_worker ?
			s->out_rtcp_idx : f->out_idx;
		f->lport = s->lport;
		f->addr_idx = s->addr_idx < dp_conf.n_addrs ? s->addr_idx : 0;
		f->rec_id = s->rec_id;
		f->clock_rate = s->clock_rate ? s->clock_rate : 8000;
	}
	if (m->has & (DP_HAS_EXPECT | DP_HAS_RESET)) {
		/* new signalled endpoint: send there and learn afresh */
		__atomic_store_n(&f->peer_seq, f->peer_seq + 1, __ATOMIC_RELAXED);
		rte_smp_wmb();
		if (m->has & DP_HAS_EXPECT)
			f->expect = s->expect;
		f->dest = f->expect;
		memset(&f->learned, 0, sizeof(f->learned));
		rte_smp_wmb();
		__atomic_store_n(&f->peer_seq, f->peer_seq + 1, __ATOMIC_RELAXED);
		f->mac_src = DP_MAC_NONE;
		f->learn_state = DP_LS_LEARNING;
		f->learn_score = 0;
		f->learn_foreign = dp_nat_expected(&f->expect.ip);
	}
	if (m->has & (DP_HAS_LEARN | DP_HAS_EXPECT)) {
		if (m->has & DP_HAS_LEARN)
			f->learn = s->learn;
		f->learn_until_tsc = lc->now_tsc + dp_conf.learn_window_tsc;
		if (f->learn == CFG_LEARN_OFF) {
			/* never learn: the signalled endpoint is the confirmed one */
			f->learned = f->expect;
			f->learn_state = DP_LS_CONFIRMED;
		} else if (f->learn_state == DP_LS_CONFIRMED && !(m->has & DP_HAS_EXPECT)) {
			f->learn_state = DP_LS_LEARNING;
		}
	}
	f->gen = m->gen;
}

/* a new context carries on the SSRC state of the one it replaces */
static void
dp_srtp_adopt(struct srtp_ctx *nctx, const struct srtp_ctx *old)
{
	if (nctx == NULL || old == NULL || nctx == old)
		return;
	nctx->clock = old->clock;
	nctx->used = old->used;
	memcpy(nctx->ssrc, old->ssrc, sizeof(nctx->ssrc));
	memcpy(nctx->slot, old->slot, sizeof(nctx->slot));
}

static void
dp_srtp_set(struct dp_lcore *lc, uint32_t idx, const struct dp_srtp_spec *s)
{
	struct dp_flow *f = &lc->flows[idx];

	dp_srtp_adopt(s->in, f->srtp_in);
	dp_srtp_adopt(s->out, f->srtp_out);
	f->srtp_in = s->in;
	f->srtp_out = s->out;
	if (s->rtcp_too && idx + 1 < dp_conf.flows_per_worker) {
		lc->flows[idx + 1].srtp_in = s->in;
		lc->flows[idx + 1].srtp_out = s->out;
	}
}

void
dp_mbox_apply(struct dp_lcore *lc, const struct dp_msg *m)
{
	struct dp_flow *f;

	switch (m->op) {
	case DP_OP_FLOW_SET:
	case DP_OP_FLOW_DEL:
		if (m->flow_idx >= dp_conf.flows_per_worker)
			break; /* cannot come from a correct control thread */
		f = &lc->flows[m->flow_idx];
		if (m->op == DP_OP_FLOW_SET) {
			dp_flow_set(lc, f, m);
		} else {
			f->flags = 0;
			f->srtp_in = NULL;
			f->srtp_out = NULL;
		}
		break;
	case DP_OP_SRTP_SET:
		if (m->flow_idx < dp_conf.flows_per_worker)
			dp_srtp_set(lc, m->flow_idx, &m->u.srtp);
		break;
	case DP_OP_NEIGH_SET:
		dp_neigh_set(lc, &m->u.neigh);
		if (lc->n_held > 0)
			dp_held_retry(lc, false);
		break;
	case DP_OP_NEIGH_DEL:
		dp_neigh_del(lc, &m->u.neigh);
		break;
	default:
		break;
	}
	if (m->gen > lc->applied_gen)
		__atomic_store_n(&lc->applied_gen, m->gen, __ATOMIC_RELEASE);
	DP_STAT(lc, mbox_msgs);
}

/*
 * Apply every message queued before this point. Called after an rx burst and
 * before its packets are processed: the control thread queues a call's flow
 * updates before it sends the ng reply, so a packet sent after the reply was
 * received after those updates were queued and must see them. Bounded by the
 * mailbox size.
 */
static void
dp_mbox_catch_up(struct dp_lcore *lc)
{
	struct dp_msg msgs[DP_MSG_BURST];
	unsigned backlog = rte_ring_count(lc->mbox), n, i;

	while (backlog > 0) {
		n = rte_ring_dequeue_burst_elem(lc->mbox, msgs, sizeof(msgs[0]),
			backlog < DP_MSG_BURST ? backlog : DP_MSG_BURST, NULL);
		if (n == 0)
			break;
		for (i = 0; i < n; i++)
			dp_mbox_apply(lc, &msgs[i]);
		backlog -= n;
	}
}

static unsigned
dp_mbox_drain(struct dp_lcore *lc)
{
	struct dp_msg msgs[DP_MSG_BURST];
	unsigned n, i;

	n = rte_ring_dequeue_burst_elem(lc->mbox, msgs, sizeof(msgs[0]), DP_MSG_BURST, NULL);
	for (i = 0; i < n; i++)
		dp_mbox_apply(lc, &msgs[i]);
	return n;
}

int
dp_worker_loop(void *arg)
{
	struct dp_lcore *lc = arg;
	struct rte_mbuf *pkts[DP_BURST];
	unsigned n, i, work;
	uint64_t t0, t1;
	bool mbox;

	/*
	 * This lcore's intel-ipsec-mb managers (an IMB_MGR is not thread-safe):
	 * allocated here, before the loop, never per packet. Without them the
	 * SRTP functions fall back to OpenSSL, slower but correct.
	 */
	if (srtp_engine_thread_init() < 0)
		SL_WARN("dp", "worker %u: no intel-ipsec-mb manager, SRTP on OpenSSL", lc->id);
	lc->now_tsc = rte_rdtsc();
	while (likely(!dp_quit)) {
		t0 = rte_rdtsc();
		lc->now_tsc = t0;
		work = 0;
		mbox = likely(__atomic_load_n(&dp_mbox_pause_until_tsc[lc->id],
			__ATOMIC_RELAXED) <= t0);
		for (i = 0; i < dp_n_ports_used; i++) {
			n = rte_eth_rx_burst(dp_ports_used[i], (uint16_t)lc->id, pkts, DP_BURST);
			if (n > 0) {
				if (mbox)
					dp_mbox_catch_up(lc);
				dp_burst(lc, pkts, n, false);
				work += n;
			}
		}
		n = rte_ring_dequeue_burst(lc->handoff, (void **)pkts, DP_BURST, NULL);
		if (n > 0) {
			if (mbox)
				dp_mbox_catch_up(lc);
			dp_burst(lc, pkts, n, true);
			work += n;
		}
		n = rte_ring_dequeue_burst(lc->ctl_tx, (void **)pkts, DP_BURST, NULL);
		for (i = 0; i < n; i++) {
			DP_STAT(lc, ctl_tx);
			dp_tx(lc, pkts[i], pkts[i]->port);
		}
		work += n;
		if (mbox)
			work += dp_mbox_drain(lc);
		if (unlikely(lc->n_held > 0))
			dp_held_retry(lc, true);
		dp_tx_flush(lc);

		t1 = rte_rdtsc();
		if (work > 0) {
			DP_CNT_ADD(lc->busy_tsc, t1 - t0);
			lc->idle_polls = 0;
		} else {
			if (dp_conf.adaptive && ++lc->idle_polls > DP_IDLE_POLLS) {
				/* a small machine shares its cores: yield after a run of empty polls */
				rte_delay_us_sleep(dp_conf.idle_sleep_us);
				t1 = rte_rdtsc();
			}
			DP_CNT_ADD(lc->idle_tsc, t1 - t0);
		}
	}
	dp_tx_flush(lc);
	lc->now_tsc = UINT64_MAX; /* expire everything still held */
	dp_held_retry(lc, true);
	srtp_engine_thread_fini();
	return 0;
}
