/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Data-plane lifecycle (dp_init/dp_start/dp_stop/dp_fini, main lcore) and
 * the control thread's side of the mailboxes and flow-table reads.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_ring_elem.h>
#include <rte_telemetry.h>

#include "common/log.h"
#include "control/config.h"
#include "dataplane/dp_priv.h"
#include "monitor/rtpstat.h"

struct dp_conf dp_conf;
struct dp_lcore *dp_lcores[DP_MAX_WORKERS];
volatile bool dp_quit;
uint16_t dp_ports_used[DP_MAX_PORTS];
unsigned dp_n_ports_used;

static struct rte_mempool *dp_pool;
static uint64_t dp_gen; /* ctl only */

/*
 * Messages that must not be lost (deletions, neighbours, SRTP contexts) and
 * found a full mailbox wait here, in order, until the worker makes room
 * (dp_backlog_flush() from the control loop). While a worker has a backlog
 * dp_send() refuses: nothing may overtake a queued message, or its worker's
 * applied generation would pass a deletion it has not applied. ctl only.
 */
struct dp_backlog_ent {
	struct dp_backlog_ent *next;
	struct dp_msg msg;
};

static struct dp_backlog {
	struct dp_backlog_ent *head, *tail;
	unsigned n;
} dp_backlog[DP_MAX_WORKERS];

static unsigned dp_backlog_flush_one(unsigned worker);

/*
 * Fault injection for tests (/sluice/debug/mbox_pause): a worker whose
 * entry lies in the future forwards as usual but applies no mailbox
 * message, as a worker stuck behind a long burst would. Written by the
 * telemetry thread, read by the worker (relaxed); static so that it
 * outlives the lcore state.
 */
uint64_t dp_mbox_pause_until_tsc[DP_MAX_WORKERS];
#define DP_PAUSE_MAX_MS 10000
static unsigned dp_punt_rr; /* ctl only: next worker to take punts from */
static bool dp_started;

static int
dp_make_ring(struct rte_ring **r, const char *what, unsigned w, unsigned esize, unsigned count,
	unsigned flags, char *err, size_t errlen)
{
	char name[RTE_RING_NAMESIZE];

	snprintf(name, sizeof(name), "sl_%s_%u", what, w);
	*r = rte_ring_create_elem(name, esize, count, (int)rte_socket_id(), flags);
	if (*r == NULL) {
		snprintf(err, errlen, "cannot create ring %s: %s", name, rte_strerror(rte_errno));
		return -ENOMEM;
	}
	return 0;
}

static int
dp_conf_from_cfg(const struct sl_config *cfg, char *err, size_t errlen)
{
	uint16_t avail = rte_eth_dev_count_avail();
	unsigned i, j, lcore, qmin, qmax, n;

	memset(&dp_conf, 0, sizeof(dp_conf));
	n = 0;
	RTE_LCORE_FOREACH_WORKER(lcore) {
		if (n == DP_MAX_WORKERS) {
			SL_WARN("dp", "only %u worker lcores are used", DP_MAX_WORKERS);
			break;
		}
		dp_conf.worker_lcore[n++] = lcore;
	}
	dp_conf.rec_lcore = -1;
	if (cfg->recording_dir[0] != '\0' && n > 0) {
		/* recording gets the last lcore: it may block on file I/O, workers must not */
		dp_conf.rec_lcore = (int)dp_conf.worker_lcore[--n];
		if (n == 0) {
			snprintf(err, errlen, "recording needs an lcore of its own besides the "
				"control and forwarding lcores (e.g. EAL --lcores 0@0,1@1,2@(0-1))");
			return -EINVAL;
		}
	}
	if (n == 0) {
		snprintf(err, errlen, "sluice needs at least two lcores: the main lcore runs the "
			"control thread and the others forward packets (EAL -l/--lcores)");
		return -EINVAL;
	}
	dp_conf.n_workers = n;

	if (cfg->n_ifaces > DP_MAX_ADDRS) {
		snprintf(err, errlen, "too many interface addresses (max %u)", DP_MAX_ADDRS);
		return -EINVAL;
	}
	for (i = 0; i < cfg->n_ifaces; i++) {
		const struct cfg_iface *ci = &cfg->ifaces[i];
		struct dp_addr *a = &dp_conf.addrs[i];

		if (ci->port_id >= avail || ci->port_id >= DP_MAX_PORTS) {
			snprintf(err, errlen,
				"interface %s: DPDK port %u does not exist (%u port(s) found; add a "
				"--vdev or bind a NIC in the EAL arguments after --)",
				ci->name, ci->port_id, avail);
			return -EINVAL;
		}
		a->ip = ci->addr;
		a->prefixlen = ci->prefixlen;
		a->port_id = ci->port_id;
		for (j = 0; j < cfg->n_gateways; j++) {
			const struct cfg_gateway *g = &cfg->gateways[j];

			if (strcmp(g->name, ci->name) == 0 && g->addr.family == ci->addr.family) {
				a->has_gw = true;
				a->gw = g->addr;
			}
		}
		if (ci->port_id + 1u > dp_conf.n_ports)
			dp_conf.n_ports = (uint16_t)(ci->port_id + 1);
	}
	dp_conf.n_addrs = cfg->n_ifaces;
	for (i = 0; i < dp_conf.n_ports; i++) {
		for (j = 0; j < dp_conf.n_addrs; j++) {
			if (dp_conf.addrs[j].port_id == i) {
				dp_ports_used[dp_n_ports_used++] = (uint16_t)i;
				break;
			}
		}
	}
	dp_conf.port_min = (uint16_t)cfg->port_min;
	dp_conf.port_max = (uint16_t)cfg->port_max;
	qmin = cfg->port_min >> 1;
	qmax = cfg->port_max >> 1;
	dp_conf.flows_per_addr = (qmax / n - qmin / n + 1) * 2;
	dp_conf.flows_per_worker = dp_conf.flows_per_addr * dp_conf.n_addrs;
	dp_conf.idle_sleep_us = cfg->idle_sleep_us;
	dp_conf.tsc_hz = rte_get_tsc_hz();
	dp_conf.learn_window_tsc = 3 * dp_conf.tsc_hz;
	dp_conf.mbufs = cfg->mbufs;
	return 0;
}

int
dp_init(const struct sl_config *cfg, char *err, size_t errlen)
{
	unsigned w, i;
	bool all_virtual = true;
	int rc;

	dp_n_ports_used = 0;
	rc = dp_conf_from_cfg(cfg, err, errlen);
	if (rc < 0)
		return rc;

	dp_pool = rte_pktmbuf_pool_create("sl_mbufs", dp_conf.mbufs, 256, 0, DP_MBUF_DATAROOM,
		(int)rte_socket_id());
	if (dp_pool == NULL) {
		snprintf(err, errlen, "cannot create a pool of %u packet buffers: %s (raise EAL -m)",
			dp_conf.mbufs, rte_strerror(rte_errno));
		return -ENOMEM;
	}
	for (w = 0; w < dp_conf.n_workers; w++) {
		struct dp_lcore *lc;

		lc = rte_zmalloc_socket("sl_lcore", sizeof(*lc), RTE_CACHE_LINE_SIZE,
			(int)rte_lcore_to_socket_id(dp_conf.worker_lcore[w]));
		if (lc == NULL)
			goto nomem;
		dp_lcores[w] = lc;
		lc->id = w;
		lc->lcore_id = dp_conf.worker_lcore[w];
		lc->pool = dp_pool;
		lc->flows = rte_zmalloc_socket("sl_flows",
			(size_t)dp_conf.flows_per_worker * sizeof(struct dp_flow), RTE_CACHE_LINE_SIZE,
			(int)rte_lcore_to_socket_id(lc->lcore_id));
		lc->rtps = rte_zmalloc_socket("sl_rtps",
			(size_t)dp_conf.flows_per_worker * sizeof(struct rtpstat), RTE_CACHE_LINE_SIZE,
			(int)rte_lcore_to_socket_id(lc->lcore_id));
		if (lc->flows == NULL || lc->rtps == NULL)
			goto nomem;
		lc->ns_mult = (uint64_t)((1000000000.0 * 4294967296.0) / (double)rte_get_tsc_hz());
		rc = dp_make_ring(&lc->mbox, "mbox", w, sizeof(struct dp_msg), DP_MBOX_SIZE,
			RING_F_SP_ENQ | RING_F_SC_DEQ, err, errlen);
		if (rc == 0)
			rc = dp_make_ring(&lc->handoff, "handoff", w, sizeof(void *), DP_RING_SIZE,
				RING_F_SC_DEQ, err, errlen);
		if (rc == 0)
			rc = dp_make_ring(&lc->ctl_tx, "ctltx", w, sizeof(void *), DP_RING_SIZE,
				RING_F_SP_ENQ | RING_F_SC_DEQ, err, errlen);
		if (rc == 0)
			rc = dp_make_ring(&lc->punt, "punt", w, sizeof(void *), DP_RING_SIZE,
				RING_F_SP_ENQ | RING_F_SC_DEQ, err, errlen);
		if (rc == 0)
			rc = dp_make_ring(&lc->rtcp, "rtcp", w, sizeof(void *), DP_RING_SIZE,
				RING_F_SP_ENQ | RING_F_SC_DEQ, err, errlen);
		if (rc < 0)
			return rc;
	}
	for (i = 0; i < dp_n_ports_used; i++) {
		rc = dp_port_setup(dp_ports_used[i], dp_conf.n_workers, dp_pool, err, errlen);
		if (rc < 0)
			return rc;
		all_virtual = all_virtual && dp_conf.port_virtual[dp_ports_used[i]];
	}
	switch (cfg->poll_mode) {
	case CFG_POLL_BUSY:
		dp_conf.adaptive = false;
		break;
	case CFG_POLL_ADAPTIVE:
		dp_conf.adaptive = true;
		break;
	default:
		/* bound NICs get pure polling; virtual ports are a test or a small VM */
		dp_conf.adaptive = all_virtual;
		break;
	}
	SL_INFO("dp", "%u worker(s), %u address(es), %u flow slots per worker (%zu KiB), %s polling",
		dp_conf.n_workers, dp_conf.n_addrs, dp_conf.flows_per_worker,
		(size_t)dp_conf.flows_per_worker * sizeof(struct dp_flow) / 1024,
		dp_conf.adaptive ? "adaptive" : "busy");
	return 0;
nomem:
	snprintf(err, errlen, "out of DPDK memory for worker state (raise EAL -m)");
	return -ENOMEM;
}

/* /sluice/debug/mbox_pause,W,MS: worker W applies no mailbox message for MS ms (0: resume) */
static int
dp_tel_mbox_pause(const char *cmd, const char *params, struct rte_tel_data *d)
{
	unsigned long w, ms;
	char *end;

	(void)cmd;
	if (params == NULL)
		return -EINVAL;
	w = strtoul(params, &end, 10);
	if (end == params || *end != ',')
		return -EINVAL;
	ms = strtoul(end + 1, &end, 10);
	if (*end != '\0' || w >= dp_conf.n_workers || ms > DP_PAUSE_MAX_MS)
		return -EINVAL;
	__atomic_store_n(&dp_mbox_pause_until_tsc[w],
		ms > 0 ? rte_rdtsc() + dp_conf.tsc_hz / 1000 * ms : 0, __ATOMIC_RELAXED);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "worker", w);
	rte_tel_data_add_dict_u64(d, "pause_ms", ms);
	return 0;
}

int
dp_start(void)
{
	static bool registered;
	unsigned w;
	int rc;

	if (!registered) {
		registered = true;
		rte_telemetry_register_cmd("/sluice/debug/mbox_pause", dp_tel_mbox_pause,
			"Test fault injection: worker W applies no mailbox message for MS ms "
			"(<= 10000; 0 resumes). Parameters: W,MS");
	}
	dp_quit = false;
	for (w = 0; w < dp_conf.n_workers; w++) {
		rc = rte_eal_remote_launch(dp_worker_loop, dp_lcores[w], dp_lcores[w]->lcore_id);
		if (rc < 0)
			return rc;
	}
	dp_started = true;
	return 0;
}

void
dp_stop(void)
{
	unsigned w;

	if (!dp_started)
		return;
	dp_quit = true;
	/* only the workers: the recording lcore stops in rec_stop() */
	for (w = 0; w < dp_conf.n_workers; w++)
		rte_eal_wait_lcore(dp_conf.worker_lcore[w]);
	dp_started = false;
}

static void
dp_ring_free_mbufs(struct rte_ring *r)
{
	void *m;

	if (r == NULL)
		return;
	while (rte_ring_dequeue(r, &m) == 0)
		rte_pktmbuf_free(m);
	rte_ring_free(r);
}

void
dp_fini(void)
{
	unsigned w, i;

	dp_stop();
	for (i = 0; i < dp_n_ports_used; i++)
		dp_port_close(dp_ports_used[i]);
	for (w = 0; w < DP_MAX_WORKERS; w++) {
		struct dp_lcore *lc = dp_lcores[w];

		if (lc == NULL)
			continue;
		rte_ring_free(lc->mbox);
		dp_ring_free_mbufs(lc->handoff);
		dp_ring_free_mbufs(lc->ctl_tx);
		dp_ring_free_mbufs(lc->punt);
		dp_ring_free_mbufs(lc->rtcp);
		rte_free(lc->rtps);
		rte_free(lc->flows);
		rte_free(lc);
		dp_lcores[w] = NULL;
		while (dp_backlog[w].head != NULL) {
			struct dp_backlog_ent *e = dp_backlog[w].head;

			dp_backlog[w].head = e->next;
			free(e);
		}
		dp_backlog[w].tail = NULL;
		dp_backlog[w].n = 0;
	}
	rte_mempool_free(dp_pool);
	dp_pool = NULL;
	dp_n_ports_used = 0;
}

/* ---- control thread side ---- */

uint64_t
dp_next_gen(void)
{
	return ++dp_gen;
}

int
dp_send(unsigned worker, struct dp_msg *m)
{
	/* behind a backlog a message would overtake older ones (and their gen) */
	if (dp_backlog[worker].n > 0 ||
		rte_ring_enqueue_elem(dp_lcores[worker]->mbox, m, sizeof(*m)) != 0)
		return -ENOBUFS;
	return 0;
}

int
dp_send_queued(unsigned worker, struct dp_msg *m)
{
	struct dp_backlog *b = &dp_backlog[worker];
	struct dp_backlog_ent *e;

	if (b->n == 0 && rte_ring_enqueue_elem(dp_lcores[worker]->mbox, m, sizeof(*m)) == 0)
		return 0;
	e = malloc(sizeof(*e));
	if (e == NULL) {
		SL_LOG_RL(SL_LOG_ERR, "dp", "out of memory for the mailbox backlog of worker %u",
			worker);
		return -ENOMEM;
	}
	e->msg = *m;
	e->next = NULL;
	if (b->tail != NULL)
		b->tail->next = e;
	else
		b->head = e;
	b->tail = e;
	if (b->n++ == 0)
		SL_LOG_RL(SL_LOG_WARNING, "dp", "mailbox of worker %u full: operations wait in "
			"a backlog, new calls on it are refused", worker);
	return 0;
}

/* Move backlog entries of @p worker into its mailbox. @return entries left. */
static unsigned
dp_backlog_flush_one(unsigned worker)
{
	struct dp_backlog *b = &dp_backlog[worker];
	struct dp_backlog_ent *e;

	while ((e = b->head) != NULL) {
		if (rte_ring_enqueue_elem(dp_lcores[worker]->mbox, &e->msg, sizeof(e->msg)) != 0)
			break;
		b->head = e->next;
		if (b->head == NULL)
			b->tail = NULL;
		b->n--;
		free(e);
	}
	return b->n;
}

unsigned
dp_backlog_flush(void)
{
	unsigned w, left = 0;

	for (w = 0; w < dp_conf.n_workers; w++)
		if (dp_backlog[w].n > 0)
			left += dp_backlog_flush_one(w);
	return left;
}

unsigned
dp_backlog_count(void)
{
	unsigned w, n = 0;

	for (w = 0; w < dp_conf.n_workers; w++)
		n += dp_backlog[w].n;
	return n;
}

int
dp_send_all(struct dp_msg *m)
{
	unsigned w;
	int rc = 0;

	for (w = 0; w < dp_conf.n_workers; w++)
		if (dp_send_queued(w, m) < 0)
			rc = -ENOMEM;
	return rc;
}

uint64_t
dp_applied_gen(unsigned worker)
{
	return __atomic_load_n(&dp_lcores[worker]->applied_gen, __ATOMIC_ACQUIRE);
}

unsigned
dp_mbox_free(unsigned worker)
{
	return dp_backlog[worker].n > 0 ? 0 : rte_ring_free_count(dp_lcores[worker]->mbox);
}

void
dp_flow_read(unsigned worker, uint32_t idx, struct dp_flow_view *v)
{
	const struct dp_flow *f = &dp_lcores[worker]->flows[idx];
	uint32_t s1, s2;
	unsigned tries = 0;

	do {
		s1 = __atomic_load_n(&f->peer_seq, __ATOMIC_ACQUIRE);
		v->dest = f->dest;
		v->learned = f->learned;
		rte_smp_rmb();
		s2 = __atomic_load_n(&f->peer_seq, __ATOMIC_RELAXED);
	} while ((s1 != s2 || (s1 & 1)) && ++tries < 1000);
	v->flags = __atomic_load_n(&f->flags, __ATOMIC_RELAXED);
	v->learn_state = __atomic_load_n(&f->learn_state, __ATOMIC_RELAXED);
	v->pkts = __atomic_load_n(&f->pkts, __ATOMIC_RELAXED);
	v->bytes = __atomic_load_n(&f->bytes, __ATOMIC_RELAXED);
	v->errors = __atomic_load_n(&f->errors, __ATOMIC_RELAXED);
	v->pkts_out = __atomic_load_n(&f->pkts_out, __ATOMIC_RELAXED);
	v->bytes_out = __atomic_load_n(&f->bytes_out, __ATOMIC_RELAXED);
	v->last_rx_tsc = __atomic_load_n(&f->last_rx_tsc, __ATOMIC_RELAXED);
}

unsigned
dp_punt_take(struct rte_mbuf **pkts, unsigned n)
{
	unsigned got = 0, w, k;

	for (k = 0; k < dp_conf.n_workers && got < n; k++) {
		w = (dp_punt_rr + k) % dp_conf.n_workers;
		got += rte_ring_dequeue_burst(dp_lcores[w]->punt, (void **)&pkts[got], n - got, NULL);
	}
	dp_punt_rr = (dp_punt_rr + 1) % dp_conf.n_workers;
	return got;
}

unsigned
dp_rtcp_take(struct rte_mbuf **pkts, unsigned n)
{
	unsigned got = 0, w;

	for (w = 0; w < dp_conf.n_workers && got < n; w++)
		got += rte_ring_dequeue_burst(dp_lcores[w]->rtcp, (void **)&pkts[got], n - got, NULL);
	return got;
}

const struct rtpstat *
dp_flow_rtpstat(unsigned worker, uint32_t idx)
{
	return &dp_lcores[worker]->rtps[idx];
}

int
dp_ctl_tx(unsigned worker, struct rte_mbuf *m)
{
	if (rte_ring_enqueue(dp_lcores[worker]->ctl_tx, m) != 0) {
		rte_pktmbuf_free(m);
		return -ENOBUFS;
	}
	return 0;
}

struct rte_mempool *
dp_mempool(void)
{
	return dp_pool;
}

void
dp_mbufs(unsigned *in_use, unsigned *total)
{
	*in_use = dp_pool != NULL ? rte_mempool_in_use_count(dp_pool) : 0;
	*total = dp_pool != NULL ? dp_pool->size : 0;
}

struct rte_mbuf *
dp_ctl_alloc(void)
{
	return rte_pktmbuf_alloc(dp_pool);
}

static void
dp_stats_add(struct dp_stats *out, const struct dp_stats *s)
{
#define DP_STATS_SUM(name, desc) out->name += __atomic_load_n(&s->name, __ATOMIC_RELAXED);
	DP_STATS_LIST(DP_STATS_SUM)
#undef DP_STATS_SUM
}

void
dp_stats_worker(unsigned worker, struct dp_stats *out)
{
	memset(out, 0, sizeof(*out));
	dp_stats_add(out, &dp_lcores[worker]->stats);
}

void
dp_stats_total(struct dp_stats *out)
{
	unsigned w;

	memset(out, 0, sizeof(*out));
	for (w = 0; w < dp_conf.n_workers; w++)
		dp_stats_add(out, &dp_lcores[w]->stats);
}

void
dp_worker_cycles(unsigned worker, uint64_t *busy, uint64_t *idle)
{
	*busy = __atomic_load_n(&dp_lcores[worker]->busy_tsc, __ATOMIC_RELAXED);
	*idle = __atomic_load_n(&dp_lcores[worker]->idle_tsc, __ATOMIC_RELAXED);
}

int
dp_addr_find(const struct sl_ip *ip)
{
	unsigned i;

	for (i = 0; i < dp_conf.n_addrs; i++)
		if (sl_ip_eq(&dp_conf.addrs[i].ip, ip))
			return (int)i;
	return -1;
}
