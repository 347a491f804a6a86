/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The built-in recorder (--recording-method=proc|all): a transcoder thread
 * that the recording lcore feeds through a ring of jobs (open, packet,
 * close). It writes WAV/MP3 per SSRC and mixed (tc.h); the file writes may
 * block, which is why neither a worker nor the recording lcore does them.
 * A full ring drops the packet (counted), the timeline then has silence.
 * Packets travel as bare mbuf pointers (the tap header names the slot), so
 * the recording lcore allocates nothing per packet; the rare open/info/close
 * jobs are malloc'd and travel with bit 0 of the pointer set.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "common/log.h"
#include "control/config.h"
#include "record/rec_priv.h"
#include "record/rec_tap.h"
#include "record/tc.h"

#define TC_RING 8192
#define TC_BURST 64

enum tc_op {
	TC_OPEN = 1,
	TC_INFO,
	TC_CLOSE,
};

struct tc_job {
	uint8_t op;
	uint32_t id;
	struct rec_open *o; /* TC_OPEN, TC_INFO: a copy, freed by the thread */
};

#define TC_JOB_TAG 1u /* ring entries with bit 0 set are jobs, else mbufs */

static struct {
	bool on;
	const struct sl_config *cfg;
	struct rte_ring *ring; /* rec lcore -> thread, struct tc_job pointers */
	pthread_t th;
	volatile bool quit;
	bool started;
	uint64_t tsc0, mono_ns0, tsc_hz;
	struct tc_call *calls[REC_SLOTS]; /* owner: the thread */
	uint64_t files, failures;         /* thread writes */
} T;

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
tc_params_from(struct tc_params *p, const struct sl_config *cfg, const struct rec_open *o)
{
	memset(p, 0, sizeof(*p));
	p->output_dir = cfg->output_dir;
	p->output_pattern = cfg->output_pattern[0] ? cfg->output_pattern : NULL;
	p->call_id = o != NULL ? o->call_id : "check";
	p->random_tag = o != NULL ? o->tag : "0";
	p->metadata = o != NULL && o->metadata[0] ? o->metadata : NULL;
	p->formats = cfg->output_format == 0 ? TC_FMT_WAV : cfg->output_format == 1 ? TC_FMT_MP3 : 0;
	p->outputs = (cfg->output_single ? TC_OUT_SINGLE : 0) | (cfg->output_mixed ? TC_OUT_MIXED : 0);
	p->mp3_bitrate = cfg->mp3_bitrate;
	p->mix_method = cfg->mix_method == 1 ? TC_MIX_CHANNELS : TC_MIX_DIRECT;
	if (o != NULL) {
		uint64_t now_real_ns, now_mono_ns = mono_ns();
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		now_real_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
		p->start_wall_ns = o->start_real_us * 1000u;
		/* the same instant on the monotonic clock the arrival times use */
		p->start_mono_ns = now_mono_ns - (now_real_ns > p->start_wall_ns ?
			now_real_ns - p->start_wall_ns : 0);
	}
}

int
rec_tc_init(const struct sl_config *cfg, char *err, size_t errlen)
{
	struct tc_params p;

	memset(&T, 0, sizeof(T));
	if (cfg->recording_method == 0)
		return 0;
	T.cfg = cfg;
	tc_params_from(&p, cfg, NULL);
	if (tc_params_check(&p) < 0) {
		snprintf(err, errlen, "recorder options rejected (--output-*, --mp3-bitrate: an MP3 "
			"bit rate is required with --output-format=mp3)");
		return -EINVAL;
	}
	T.ring = rte_ring_create("sl_rec_tc", TC_RING, (int)rte_socket_id(),
		RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (T.ring == NULL) {
		snprintf(err, errlen, "recorder: cannot create its ring");
		return -ENOMEM;
	}
	T.tsc0 = rte_rdtsc();
	T.mono_ns0 = mono_ns();
	T.tsc_hz = rte_get_tsc_hz();
	T.on = true;
	return 0;
}

static void
tc_do_close(uint32_t id)
{
	struct tc_result *res = NULL;
	unsigned i;
	int rc;

	if (T.calls[id] == NULL)
		return;
	rc = tc_call_close(T.calls[id], &res);
	T.calls[id] = NULL;
	if (res != NULL) {
		for (i = 0; i < res->n_files; i++) {
			SL_INFO("rec", "wrote %s (%llu frames)%s", res->files[i].path,
				(unsigned long long)res->files[i].frames,
				res->files[i].error ? " with errors" : "");
			T.files++;
		}
		for (i = 0; i < res->n_notes; i++)
			SL_INFO("rec", "%s", res->notes[i]);
		tc_result_free(res);
	}
	if (rc < 0) {
		T.failures++;
		SL_WARN("rec", "recorder: closing slot %u: %s", id, strerror(-rc));
	}
}

static void
tc_info(uint32_t id, const struct rec_open *o)
{
	unsigned i;

	for (i = 0; i < o->n_parties; i++)
		tc_call_party(T.calls[id], o->parties[i].port,
			o->parties[i].label[0] ? o->parties[i].label : NULL);
	for (i = 0; i < o->n_pt; i++)
		tc_call_ptmap(T.calls[id], o->pt[i].pt, o->pt[i].map);
}

static void
tc_do_job(struct tc_job *j)
{
	struct tc_params p;

	switch (j->op) {
	case TC_OPEN:
		tc_do_close(j->id);
		tc_params_from(&p, T.cfg, j->o);
		T.calls[j->id] = tc_call_open(&p);
		if (T.calls[j->id] == NULL) {
			T.failures++;
			SL_WARN("rec", "recorder: call %s: %s", j->o->call_id, strerror(errno));
			break;
		}
		tc_info(j->id, j->o);
		break;
	case TC_INFO:
		if (T.calls[j->id] != NULL)
			tc_info(j->id, j->o);
		break;
	case TC_CLOSE:
		tc_do_close(j->id);
		break;
	default:
		break;
	}
	free(j->o);
	free(j);
}

static void
tc_do_packet(struct rte_mbuf *m)
{
	const struct rec_tap_hdr *h = rte_pktmbuf_mtod(m, const struct rec_tap_hdr *);

	if (h->rec_id < REC_SLOTS && T.calls[h->rec_id] != NULL) {
		struct tc_packet pk = {
			.data = (const uint8_t *)(h + 1),
			.len = h->len,
			/* a party is the socket pair it sends to */
			.party = (uint32_t)(h->dst.port & ~1u),
			.arrival_ns = T.mono_ns0 + (h->tsc - T.tsc0) * 1000000000u / T.tsc_hz,
		};

		tc_call_packet(T.calls[h->rec_id], &pk);
	}
	rte_pktmbuf_free(m);
}

static void
tc_do(void *e)
{
	if ((uintptr_t)e & TC_JOB_TAG)
		tc_do_job((struct tc_job *)((uintptr_t)e & ~(uintptr_t)TC_JOB_TAG));
	else
		tc_do_packet(e);
}

static void *
tc_thread(void *arg)
{
	void *jobs[TC_BURST];
	uint64_t next_tick = mono_ns() + 1000000000u;
	unsigned n, i;

	(void)arg;
	for (;;) {
		n = rte_ring_sc_dequeue_burst(T.ring, jobs, TC_BURST, NULL);
		for (i = 0; i < n; i++)
			tc_do(jobs[i]);
		if (n == 0) {
			if (T.quit)
				break;
			{
				struct timespec ts = {0, 2000000};

				nanosleep(&ts, NULL);
			}
		}
		if (mono_ns() >= next_tick) {
			/* let timelines of silent parties move on (files stay current) */
			for (i = 0; i < REC_SLOTS; i++)
				if (T.calls[i] != NULL)
					tc_call_tick(T.calls[i], mono_ns());
			next_tick = mono_ns() + 1000000000u;
		}
	}
	for (i = 0; i < REC_SLOTS; i++)
		tc_do_close(i);
	return NULL;
}

int
rec_tc_start(void)
{
	if (!T.on)
		return 0;
	T.quit = false;
	if (pthread_create(&T.th, NULL, tc_thread, NULL) != 0)
		return -EAGAIN;
	pthread_setname_np(T.th, "sl-transcoder");
	T.started = true;
	return 0;
}

void
rec_tc_stop(void)
{
	if (!T.started)
		return;
	T.quit = true; /* the thread drains its ring first: every open call is completed */
	pthread_join(T.th, NULL);
	T.started = false;
	rte_ring_free(T.ring);
	T.ring = NULL;
	T.on = false;
}

/* ---- recording lcore side ---- */

/* opens, infos and closes must get through (files are completed on close): wait a bit */
static void
tc_push_job(struct tc_job *j)
{
	unsigned tries = 0;

	while (rte_ring_sp_enqueue(T.ring, (void *)((uintptr_t)j | TC_JOB_TAG)) != 0) {
		if (++tries >= 50000) {
			SL_ERR("rec", "recorder stalled: job for slot %u lost", j->id);
			free(j->o);
			free(j);
			return;
		}
		rte_delay_us_sleep(100);
	}
}

static void
tc_job(uint8_t op, unsigned id, const struct rec_open *o)
{
	struct tc_job *j;

	if (!T.on || (j = calloc(1, sizeof(*j))) == NULL)
		return;
	j->op = op;
	j->id = id;
	if (o != NULL) {
		j->o = malloc(sizeof(*j->o));
		if (j->o == NULL) {
			free(j);
			return;
		}
		*j->o = *o;
	}
	tc_push_job(j);
}

void
rec_tc_open(unsigned id, const struct rec_open *o)
{
	tc_job(TC_OPEN, id, o);
}

void
rec_tc_info(unsigned id, const struct rec_open *o)
{
	tc_job(TC_INFO, id, o);
}

void
rec_tc_packet(struct rte_mbuf *m)
{
	bool full = !T.on || rte_ring_sp_enqueue(T.ring, m) != 0;

	if (full)
		rte_pktmbuf_free(m);
	rec_count_tc(full);
}

void
rec_tc_close(unsigned id)
{
	tc_job(TC_CLOSE, id, NULL);
}
