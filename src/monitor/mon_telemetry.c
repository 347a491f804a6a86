/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rte_ethdev.h>
#include <rte_ring.h>
#include <rte_telemetry.h>

#include "control/call.h"
#include "control/call_stats.h"
#include "control/neigh.h"
#include "control/ng.h"
#include "control/ports.h"
#include "dataplane/dp.h"
#include "dataplane/dp_priv.h"
#include "monitor/mon.h"
#include "record/rec.h"

#define MON_WAIT_MS 1000

typedef int (*mon_fn)(const char *params, struct rte_tel_data *d);

/* one request at a time: DPDK's telemetry thread serves clients one by one */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	mon_fn fn;                 /* pending request, NULL when none */
	const char *params;
	struct rte_tel_data *d;
	int rc;
	bool done;
	bool shutdown;
	volatile int pending;      /* read without the lock by the control loop */
} M = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER};

/* telemetry thread: run @p fn on the control thread and wait for it */
static int
mon_on_ctl(mon_fn fn, const char *params, struct rte_tel_data *d)
{
	struct timespec dl;
	int rc;

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += MON_WAIT_MS / 1000;
	pthread_mutex_lock(&M.lock);
	if (M.shutdown) {
		pthread_mutex_unlock(&M.lock);
		return -ESHUTDOWN;
	}
	M.fn = fn;
	M.params = params;
	M.d = d;
	M.done = false;
	__atomic_store_n(&M.pending, 1, __ATOMIC_RELEASE);
	while (!M.done && !M.shutdown)
		if (pthread_cond_timedwait(&M.cond, &M.lock, &dl) == ETIMEDOUT)
			break;
	if (!M.done) {
		/* the control thread may still pick it up: withdraw it first */
		__atomic_store_n(&M.pending, 0, __ATOMIC_RELEASE);
		M.fn = NULL;
		rc = M.shutdown ? -ESHUTDOWN : -EBUSY;
	} else {
		rc = M.rc;
	}
	pthread_mutex_unlock(&M.lock);
	return rc;
}

void
mon_service(void)
{
	mon_homer_tick();
	if (!__atomic_load_n(&M.pending, __ATOMIC_ACQUIRE))
		return;
	pthread_mutex_lock(&M.lock);
	if (M.fn != NULL && !M.done) {
		M.rc = M.fn(M.params, M.d);
		M.done = true;
		M.fn = NULL;
		pthread_cond_signal(&M.cond);
	}
	__atomic_store_n(&M.pending, 0, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&M.lock);
}

void
mon_fini(void)
{
	pthread_mutex_lock(&M.lock);
	M.shutdown = true;
	pthread_cond_broadcast(&M.cond);
	pthread_mutex_unlock(&M.lock);
}

/* ---- commands (run on the control thread) ---- */

static int
cmd_totals(const char *params, struct rte_tel_data *d)
{
	const struct calls_totals *t = &calls_totals;
	struct dp_stats ds;
	uint64_t req = 0, err = 0;
	unsigned i;

	(void)params;
	dp_stats_total(&ds);
	for (i = 0; i < NG_CMD_COUNT; i++) {
		req += ng_counters.requests[i];
		err += ng_counters.errors[i];
	}
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "calls", calls_count());
	rte_tel_data_add_dict_u64(d, "calls_managed", t->managed);
	rte_tel_data_add_dict_u64(d, "calls_rejected", t->rejected);
	rte_tel_data_add_dict_u64(d, "calls_deleted", t->ended[CALL_END_DELETE]);
	rte_tel_data_add_dict_u64(d, "calls_timeout", t->ended[CALL_END_TIMEOUT]);
	rte_tel_data_add_dict_u64(d, "calls_silent_timeout", t->ended[CALL_END_SILENT_TIMEOUT]);
	rte_tel_data_add_dict_u64(d, "calls_offer_timeout", t->ended[CALL_END_OFFER_TIMEOUT]);
	rte_tel_data_add_dict_u64(d, "calls_final_timeout", t->ended[CALL_END_FINAL_TIMEOUT]);
	rte_tel_data_add_dict_u64(d, "calls_forced", t->ended[CALL_END_FORCED]);
	rte_tel_data_add_dict_u64(d, "ng_requests", req);
	rte_tel_data_add_dict_u64(d, "ng_errors", err);
	rte_tel_data_add_dict_u64(d, "ng_duplicates", ng_counters.duplicates);
	rte_tel_data_add_dict_u64(d, "ng_malformed", ng_counters.malformed);
	rte_tel_data_add_dict_u64(d, "ng_denied", ng_counters.denied);
	rte_tel_data_add_dict_u64(d, "neighbours", neigh_count());
	rte_tel_data_add_dict_u64(d, "ports_pending_reuse", ports_pending_count());
#define MON_DP(name, desc) rte_tel_data_add_dict_u64(d, "dp_" #name, ds.name);
	DP_STATS_LIST(MON_DP)
#undef MON_DP
	if (rec_enabled()) {
		struct rec_stats rs;

		rec_stats_get(&rs);
		rte_tel_data_add_dict_u64(d, "rec_taps", rs.taps);
		rte_tel_data_add_dict_u64(d, "rec_written", rs.written);
		rte_tel_data_add_dict_u64(d, "rec_not_open", rs.not_open);
		rte_tel_data_add_dict_u64(d, "rec_to_transcoder", rs.to_tc);
		rte_tel_data_add_dict_u64(d, "rec_transcoder_drops", rs.tc_drop);
		rte_tel_data_add_dict_u64(d, "rec_errors", rs.errors);
		rte_tel_data_add_dict_u64(d, "rec_open", rs.open_slots);
	}
	return 0;
}

static int
cmd_calls(const char *params, struct rte_tel_data *d)
{
	struct call *c;
	unsigned n = 0;

	(void)params;
	rte_tel_data_start_array(d, RTE_TEL_STRING_VAL);
	for (c = call_first(); c != NULL && n < RTE_TEL_MAX_ARRAY_ENTRIES; c = call_next(c), n++)
		rte_tel_data_add_array_string(d, c->call_id);
	return 0;
}

static void
add_ep(struct rte_tel_data *d, const char *key, const struct sl_ep *ep)
{
	char buf[SL_EPSTRLEN];

	if (ep->port == 0)
		snprintf(buf, sizeof(buf), "-");
	else
		sl_ep_fmt(ep, buf, sizeof(buf));
	rte_tel_data_add_dict_string(d, key, buf);
}

/* quality of the stream a party sends on media @p m: p<party>_m<media>_<field> */
static void
add_quality(struct rte_tel_data *d, unsigned k, struct call_media *m)
{
	struct call_quality q;
	char key[64];

	if (!m->is_rtp || call_media_quality(m, &q) < 0)
		return;
#define Q(f) (snprintf(key, sizeof(key), "p%u_m%u_%s", k, m->index, f), key)
	rte_tel_data_add_dict_u64(d, Q("ssrc"), q.ssrc);
	rte_tel_data_add_dict_u64(d, Q("expected"), q.expected);
	rte_tel_data_add_dict_int(d, Q("lost"), q.lost);
	rte_tel_data_add_dict_u64(d, Q("jitter_us"), q.jitter_us);
	rte_tel_data_add_dict_u64(d, Q("jitter_avg_us"), q.jitter_avg_us);
	rte_tel_data_add_dict_u64(d, Q("jitter_max_us"), q.jitter_max_us);
	if (q.has_rtcp) {
		rte_tel_data_add_dict_int(d, Q("rtcp_cum_loss"), q.rtcp_cum_loss);
		rte_tel_data_add_dict_u64(d, Q("rtcp_jitter_max_ms"), q.rtcp_jitter_max_ms);
	}
	if (q.has_mos) {
		rte_tel_data_add_dict_u64(d, Q("rtcp_loss_avg_pct"), q.rtcp_loss_avg_pct);
		rte_tel_data_add_dict_u64(d, Q("rtcp_jitter_avg_ms"), q.rtcp_jitter_avg_ms);
		rte_tel_data_add_dict_u64(d, Q("rtt_avg_us"), q.rtt_avg_us);
		rte_tel_data_add_dict_u64(d, Q("mos_avg"), q.mos_avg); /* MOS x10 */
		rte_tel_data_add_dict_u64(d, Q("mos_min"), q.mos_min);
		rte_tel_data_add_dict_u64(d, Q("mos_max"), q.mos_max);
		rte_tel_data_add_dict_u64(d, Q("mos_samples"), q.mos_samples);
	}
#undef Q
}

/* one call, flattened: p<party>_m<media>_<rtp|rtcp>_<field>, then quality */
static int
cmd_call(const char *params, struct rte_tel_data *d)
{
	struct call *c;
	unsigned k, i, comp;
	char key[64];
	time_t now = time(NULL);

	if (params == NULL || params[0] == '\0')
		return -EINVAL;
	c = call_find(params);
	if (c == NULL)
		return -ENOENT;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "call_id", c->call_id);
	rte_tel_data_add_dict_u64(d, "created", c->created_s);
	rte_tel_data_add_dict_u64(
		d, "duration_s", (uint64_t)now > c->created_s ? (uint64_t)now - c->created_s : 0);
	rte_tel_data_add_dict_u64(d, "last_signal", c->last_signal_s);
	rte_tel_data_add_dict_string(d, "state", c->state == CALL_DELETED ? "deleted" : "active");
	for (k = 0; k < 2; k++) {
		const struct call_party *p = &c->party[k];

		snprintf(key, sizeof(key), "p%u_tag", k);
		rte_tel_data_add_dict_string(d, key, p->tag);
		if (p->label != NULL) {
			snprintf(key, sizeof(key), "p%u_label", k);
			rte_tel_data_add_dict_string(d, key, p->label);
		}
		for (i = 0; i < p->n_media; i++) {
			const struct call_media *m = p->media[i];

			if (!m->sock.allocated)
				continue;
			for (comp = 0; comp < (m->is_rtp ? 2u : 1u); comp++) {
				const char *cn = comp ? "rtcp" : "rtp";
				struct dp_flow_view v;

				dp_flow_read(m->sock.owner,
					dp_flow_index(m->sock.addr_idx, (uint16_t)(m->sock.port + comp)),
					&v);
#define K(f) (snprintf(key, sizeof(key), "p%u_m%u_%s_%s", k, m->index, cn, f), key)
				rte_tel_data_add_dict_u64(d, K("local_port"), m->sock.port + comp);
				add_ep(d, K("endpoint"), v.learned.port ? &v.learned : &v.dest);
				rte_tel_data_add_dict_u64(d, K("packets"), v.pkts);
				rte_tel_data_add_dict_u64(d, K("bytes"), v.bytes);
				rte_tel_data_add_dict_u64(d, K("errors"), v.errors);
				rte_tel_data_add_dict_u64(d, K("packets_out"), v.pkts_out);
#undef K
			}
			add_quality(d, k, p->media[i]);
		}
	}
	return 0;
}

static struct rte_tel_data *
u64_array(void)
{
	struct rte_tel_data *a = rte_tel_data_alloc();

	if (a != NULL)
		rte_tel_data_start_array(a, RTE_TEL_U64_VAL);
	return a;
}

static int
cmd_lcores(const char *params, struct rte_tel_data *d)
{
	struct rte_tel_data *lcore = u64_array(), *busy = u64_array(), *idle = u64_array(),
			    *pct = u64_array(), *rx = u64_array(), *fwd = u64_array();
	uint64_t b, i;
	unsigned w;

	(void)params;
	if (lcore == NULL || busy == NULL || idle == NULL || pct == NULL || rx == NULL ||
		fwd == NULL)
		return -ENOMEM;
	rte_tel_data_start_dict(d);
	for (w = 0; w < dp_conf.n_workers; w++) {
		struct dp_stats s;

		dp_worker_cycles(w, &b, &i);
		dp_stats_worker(w, &s);
		rte_tel_data_add_array_u64(lcore, dp_conf.worker_lcore[w]);
		rte_tel_data_add_array_u64(busy, b);
		rte_tel_data_add_array_u64(idle, i);
		rte_tel_data_add_array_u64(pct, b + i ? b * 100 / (b + i) : 0);
		rte_tel_data_add_array_u64(rx, s.rx_pkts);
		rte_tel_data_add_array_u64(fwd, s.fwd_pkts);
	}
	rte_tel_data_add_dict_u64(d, "workers", dp_conf.n_workers);
	rte_tel_data_add_dict_string(d, "poll_mode", dp_conf.adaptive ? "adaptive" : "busy");
	rte_tel_data_add_dict_container(d, "lcore", lcore, 0);
	rte_tel_data_add_dict_container(d, "busy_cycles", busy, 0);
	rte_tel_data_add_dict_container(d, "idle_cycles", idle, 0);
	rte_tel_data_add_dict_container(d, "busy_percent", pct, 0);
	rte_tel_data_add_dict_container(d, "rx_pkts", rx, 0);
	rte_tel_data_add_dict_container(d, "fwd_pkts", fwd, 0);
	return 0;
}

static int
cmd_ports(const char *params, struct rte_tel_data *d)
{
	struct rte_tel_data *id = u64_array(), *ipk = u64_array(), *opk = u64_array(),
			    *imiss = u64_array(), *ierr = u64_array(), *oerr = u64_array(),
			    *nombuf = u64_array();
	unsigned i;

	(void)params;
	if (id == NULL || ipk == NULL || opk == NULL || imiss == NULL || ierr == NULL ||
		oerr == NULL || nombuf == NULL)
		return -ENOMEM;
	rte_tel_data_start_dict(d);
	for (i = 0; i < dp_n_ports_used; i++) {
		struct rte_eth_stats st;

		memset(&st, 0, sizeof(st));
		rte_eth_stats_get(dp_ports_used[i], &st);
		rte_tel_data_add_array_u64(id, dp_ports_used[i]);
		rte_tel_data_add_array_u64(ipk, st.ipackets);
		rte_tel_data_add_array_u64(opk, st.opackets);
		rte_tel_data_add_array_u64(imiss, st.imissed);
		rte_tel_data_add_array_u64(ierr, st.ierrors);
		rte_tel_data_add_array_u64(oerr, st.oerrors);
		rte_tel_data_add_array_u64(nombuf, st.rx_nombuf);
	}
	rte_tel_data_add_dict_container(d, "port", id, 0);
	rte_tel_data_add_dict_container(d, "ipackets", ipk, 0);
	rte_tel_data_add_dict_container(d, "opackets", opk, 0);
	rte_tel_data_add_dict_container(d, "imissed", imiss, 0);
	rte_tel_data_add_dict_container(d, "ierrors", ierr, 0);
	rte_tel_data_add_dict_container(d, "oerrors", oerr, 0);
	rte_tel_data_add_dict_container(d, "rx_nombuf", nombuf, 0);
	return 0;
}

static int
cmd_rings(const char *params, struct rte_tel_data *d)
{
	struct rte_tel_data *mbox = u64_array(), *ho = u64_array(), *punt = u64_array(),
			    *ctltx = u64_array(), *hofull = u64_array(), *puntfull = u64_array(),
			    *held = u64_array();
	unsigned w;

	(void)params;
	if (mbox == NULL || ho == NULL || punt == NULL || ctltx == NULL || hofull == NULL ||
		puntfull == NULL || held == NULL)
		return -ENOMEM;
	rte_tel_data_start_dict(d);
	for (w = 0; w < dp_conf.n_workers; w++) {
		struct dp_lcore *lc = dp_lcores[w];
		struct dp_stats s;

		dp_stats_worker(w, &s);
		rte_tel_data_add_array_u64(mbox, rte_ring_count(lc->mbox));
		rte_tel_data_add_array_u64(ho, rte_ring_count(lc->handoff));
		rte_tel_data_add_array_u64(punt, rte_ring_count(lc->punt));
		rte_tel_data_add_array_u64(ctltx, rte_ring_count(lc->ctl_tx));
		rte_tel_data_add_array_u64(hofull, s.drop_handoff_full);
		rte_tel_data_add_array_u64(puntfull, s.drop_punt_full);
		rte_tel_data_add_array_u64(held, s.held);
	}
	rte_tel_data_add_dict_container(d, "mailbox_queued", mbox, 0);
	rte_tel_data_add_dict_container(d, "handoff_queued", ho, 0);
	rte_tel_data_add_dict_container(d, "punt_queued", punt, 0);
	rte_tel_data_add_dict_container(d, "ctl_tx_queued", ctltx, 0);
	rte_tel_data_add_dict_container(d, "handoff_drops", hofull, 0);
	rte_tel_data_add_dict_container(d, "punt_drops", puntfull, 0);
	rte_tel_data_add_dict_container(d, "held_for_neighbour", held, 0);
	return 0;
}

/* telemetry-thread entry points */
#define MON_CMD(name)                                                                              \
	static int tel_##name(const char *cmd, const char *params, struct rte_tel_data *d)         \
	{                                                                                          \
		(void)cmd;                                                                         \
		return mon_on_ctl(cmd_##name, params, d);                                          \
	}
MON_CMD(totals)
MON_CMD(calls)
MON_CMD(call)
MON_CMD(lcores)
MON_CMD(ports)
MON_CMD(rings)
#undef MON_CMD

int
mon_init(void)
{
	static const struct {
		const char *cmd;
		telemetry_cb fn;
		const char *help;
	} cmds[] = {
		{"/sluice/totals", tel_totals,
			"Call, ng and data-plane totals (calls_*, ng_*, dp_* counters). No parameters"},
		{"/sluice/calls", tel_calls, "Call-IDs of the current calls (first 512). No parameters"},
		{"/sluice/call", tel_call,
			"One call: tags, streams, counters, quality (loss, jitter, RTCP reports, "
			"MOS x10). Parameter: call-id"},
		{"/sluice/lcores", tel_lcores,
			"Per worker lcore: busy/idle TSC cycles, busy %, packets. No parameters"},
		{"/sluice/ports", tel_ports, "Per DPDK port: packets, missed, errors. No parameters"},
		{"/sluice/rings", tel_rings,
			"Per worker: mailbox/hand-off/punt ring fill and drops. No parameters"},
	};
	unsigned i;
	int rc;

	M.shutdown = false;
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		rc = rte_telemetry_register_cmd(cmds[i].cmd, cmds[i].fn, cmds[i].help);
		if (rc < 0)
			return rc;
	}
	return 0;
}
