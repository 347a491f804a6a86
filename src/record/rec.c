/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The recording lcore: drains the workers' tap ring into per-call pcaps and
 * takes open/close/pause orders from the control thread through a mailbox.
 * It may block on file I/O: forwarding never waits for it (a full tap ring
 * only costs the copies, counted by the workers).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ip.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_udp.h>

#include "common/log.h"
#include "control/config.h"
#include "record/rec.h"
#include "record/rec_priv.h"
#include "record/rec_spool.h"
#include "record/rec_tap.h"

#define REC_BURST 64
#define REC_MBOX 4096
#define REC_TAP_RING 16384
#define REC_FLUSH_MS 200 /* pcaps readable live within this */

enum rec_op {
	REC_OP_OPEN = 1,
	REC_OP_CLOSE,
	REC_OP_PAUSE,
	REC_OP_INFO,
};

struct rec_msg {
	uint16_t op;
	uint16_t flag; /* CLOSE: discard; PAUSE: paused */
	uint32_t id;
	uint64_t gen;
	struct rec_open *open; /* OPEN, INFO: owned by the recording lcore afterwards */
	struct rec_meta *meta; /* CLOSE: metadata to publish after the pcap; owned likewise */
};

/* owner: the recording lcore, except the counters the control thread reads */
struct rec_slot {
	pcap_t *pd;
	pcap_dumper_t *dump;
	struct rec_open *o;
	bool open;
	bool paused;
	bool dirty;         /* written since the last flush */
	uint64_t packets;   /* records written (read by control: relaxed) */
};

static struct {
	bool enabled;
	const struct sl_config *cfg;
	char spool[PATH_MAX];
	unsigned lcore;
	int linktype;
	struct rte_ring *tap;  /* workers -> rec lcore: mbufs */
	struct rte_ring *mbox; /* ctl -> rec lcore: struct rec_msg */
	struct rte_mempool *pool;
	volatile bool quit;
	bool started;
	/* tsc -> wall clock anchor */
	uint64_t tsc0, real_ns0, tsc_hz;
	struct rec_slot slots[REC_SLOTS];
	/* control thread: free slots and slots waiting for their close to apply */
	uint32_t free_ids[REC_SLOTS];
	unsigned n_free;
	struct {
		uint32_t id;
		uint64_t gen;
	} pending[REC_SLOTS];
	unsigned n_pending;
	uint64_t gen;         /* ctl */
	uint64_t applied_gen; /* rec lcore, release store */
	struct rec_stats st;  /* rec lcore writes, relaxed */
} R;

#define REC_CNT(f, v) __atomic_store_n(&R.st.f, R.st.f + (v), __ATOMIC_RELAXED)

bool
rec_enabled(void)
{
	return R.enabled;
}

struct rte_ring *
rec_tap_ring(void)
{
	return R.enabled ? R.tap : NULL;
}

const char *
rec_spool_dir(void)
{
	return R.spool;
}

static int
mkdir_p(const char *path)
{
	char tmp[PATH_MAX + 32];
	char *p;

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (p = tmp + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int
rec_init(const struct sl_config *cfg, struct rte_mempool *pool, unsigned lcore, char *err,
	size_t errlen)
{
	static const char *const sub[] = {"pcaps", "tmp", "metadata"};
	char path[PATH_MAX + 16];
	struct timespec ts;
	unsigned i;
	int rc;

	memset(&R, 0, sizeof(R));
	if (cfg->recording_dir[0] == '\0')
		return 0;
	R.cfg = cfg;
	snprintf(R.spool, sizeof(R.spool), "%s", cfg->recording_dir);
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", R.spool, sub[i]);
		rc = mkdir_p(path);
		if (rc < 0) {
			snprintf(err, errlen, "--recording-dir: cannot create %s: %s", path,
				strerror(-rc));
			return rc;
		}
	}
	R.tap = rte_ring_create("sl_rec_tap", REC_TAP_RING, (int)rte_socket_id(), RING_F_SC_DEQ);
	R.mbox = rte_ring_create_elem("sl_rec_mbox", sizeof(struct rec_msg), REC_MBOX,
		(int)rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (R.tap == NULL || R.mbox == NULL) {
		snprintf(err, errlen, "recording: cannot create rings: %s", rte_strerror(rte_errno));
		rte_ring_free(R.tap);
		rte_ring_free(R.mbox);
		return -ENOMEM;
	}
	R.pool = pool;
	R.lcore = lcore;
	R.linktype = cfg->recording_format == 1 ? DLT_EN10MB : DLT_RAW;
	for (i = 0; i < REC_SLOTS; i++)
		R.free_ids[i] = REC_SLOTS - 1 - i;
	R.n_free = REC_SLOTS;
	clock_gettime(CLOCK_REALTIME, &ts);
	R.tsc0 = rte_rdtsc();
	R.real_ns0 = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	R.tsc_hz = rte_get_tsc_hz();
	R.enabled = true;
	rc = rec_tc_init(cfg, err, errlen);
	if (rc < 0) {
		rte_ring_free(R.tap);
		rte_ring_free(R.mbox);
		R.enabled = false;
		return rc;
	}
	SL_INFO("rec", "recording to %s (%s, %s) on lcore %u", R.spool,
		cfg->recording_method == 0 ? "pcap" : cfg->recording_method == 1 ? "proc" : "all",
		R.linktype == DLT_RAW ? "raw" : "eth", lcore);
	return 0;
}

/* ---- recording lcore ---- */

static void
slot_close(struct rec_slot *s, bool discard)
{
	if (s->dump != NULL) {
		pcap_dump_close(s->dump);
		s->dump = NULL;
	}
	if (s->pd != NULL) {
		pcap_close(s->pd);
		s->pd = NULL;
	}
	if (s->o != NULL) {
		if (discard && s->o->pcap_path[0] != '\0')
			unlink(s->o->pcap_path);
		free(s->o);
		s->o = NULL;
	}
	if (s->open)
		__atomic_store_n(&R.st.open_slots, R.st.open_slots - 1, __ATOMIC_RELAXED);
	s->open = false;
	s->paused = false;
	s->dirty = false;
}

static void
rec_apply(const struct rec_msg *m)
{
	struct rec_slot *s;

	if (m->id >= REC_SLOTS)
		goto done;
	s = &R.slots[m->id];
	switch (m->op) {
	case REC_OP_OPEN:
		slot_close(s, false);
		s->o = m->open;
		__atomic_store_n(&s->packets, 0, __ATOMIC_RELAXED);
		if (s->o->pcap_path[0] != '\0') {
			s->pd = pcap_open_dead(R.linktype, 65535);
			s->dump = s->pd != NULL ? pcap_dump_open(s->pd, s->o->pcap_path) : NULL;
			if (s->dump == NULL) {
				SL_LOG_RL(SL_LOG_ERR, "rec", "cannot open %s: %s", s->o->pcap_path,
					s->pd != NULL ? pcap_geterr(s->pd) : "pcap_open_dead");
				REC_CNT(errors, 1);
			}
		}
		if (s->o->transcode)
			rec_tc_open(m->id, s->o);
		s->open = true;
		__atomic_store_n(&R.st.open_slots, R.st.open_slots + 1, __ATOMIC_RELAXED);
		break;
	case REC_OP_CLOSE:
		if (s->o != NULL && s->o->transcode)
			rec_tc_close(m->id);
		slot_close(s, m->flag != 0);
		break;
	case REC_OP_PAUSE:
		s->paused = m->flag != 0;
		break;
	case REC_OP_INFO:
		if (s->open && s->o != NULL && s->o->transcode)
			rec_tc_info(m->id, m->open);
		free(m->open);
		break;
	default:
		break;
	}
done:
	if (m->meta != NULL) {
		/*
		 * After the pcap is closed, never before: a metadata file in
		 * metadata/ tells its reader (rtpengine's recording daemon, an
		 * archiver) that the recording is complete.
		 */
		int rc = rec_meta_publish(m->meta);

		if (rc < 0) {
			SL_LOG_RL(SL_LOG_ERR, "rec", "cannot move %s to metadata/: %s",
				m->meta->tmp_path, strerror(-rc));
			REC_CNT(errors, 1);
		}
		free(m->meta);
	}
	__atomic_store_n(&R.applied_gen, m->gen, __ATOMIC_RELEASE);
}

/* one tapped packet as a pcap record: [zeroed Ethernet] IP/UDP (checksums 0) payload */
static void
rec_write(struct rec_slot *s, const struct rec_tap_hdr *h)
{
	uint8_t buf[14 + 40 + 8 + 2048];
	struct pcap_pkthdr ph;
	size_t off = 0, l3;
	uint64_t ns;

	if (h->len > 2048 || s->dump == NULL)
		return;
	if (R.linktype == DLT_EN10MB) {
		memset(buf, 0, 12);
		buf[12] = h->src.ip.family == AF_INET6 ? 0x86 : 0x08;
		buf[13] = h->src.ip.family == AF_INET6 ? 0xdd : 0x00;
		off = 14;
	}
	l3 = off;
	if (h->src.ip.family == AF_INET6) {
		struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(buf + l3);

		memset(ip6, 0, sizeof(*ip6));
		ip6->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip6->payload_len = rte_cpu_to_be_16((uint16_t)(8 + h->len));
		ip6->proto = IPPROTO_UDP;
		ip6->hop_limits = 64;
		memcpy(ip6->src_addr, h->src.ip.a, 16);
		memcpy(ip6->dst_addr, h->dst.ip.a, 16);
		off += sizeof(*ip6);
	} else {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(buf + l3);

		memset(ip, 0, sizeof(*ip));
		ip->version_ihl = RTE_IPV4_VHL_DEF;
		ip->total_length = rte_cpu_to_be_16((uint16_t)(20 + 8 + h->len));
		ip->time_to_live = 64;
		ip->next_proto_id = IPPROTO_UDP;
		ip->src_addr = sl_ip_v4(&h->src.ip);
		ip->dst_addr = sl_ip_v4(&h->dst.ip);
		off += sizeof(*ip);
	}
	{
		struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(buf + off);

		udp->src_port = rte_cpu_to_be_16(h->src.port);
		udp->dst_port = rte_cpu_to_be_16(h->dst.port);
		udp->dgram_len = rte_cpu_to_be_16((uint16_t)(8 + h->len));
		udp->dgram_cksum = 0;
		off += sizeof(*udp);
	}
	memcpy(buf + off, h + 1, h->len);
	off += h->len;
	ns = R.real_ns0 + (h->tsc - R.tsc0) * 1000000000u / R.tsc_hz;
	ph.ts.tv_sec = (time_t)(ns / 1000000000u);
	ph.ts.tv_usec = (suseconds_t)((ns % 1000000000u) / 1000u);
	ph.caplen = ph.len = (bpf_u_int32)off;
	pcap_dump((u_char *)s->dump, &ph, buf);
	s->dirty = true;
	__atomic_store_n(&s->packets, s->packets + 1, __ATOMIC_RELAXED);
	REC_CNT(written, 1);
}

static void
rec_flush(void)
{
	unsigned i;

	for (i = 0; i < REC_SLOTS; i++) {
		struct rec_slot *s = &R.slots[i];

		if (s->dirty && s->dump != NULL) {
			pcap_dump_flush(s->dump);
			s->dirty = false;
		}
	}
}

/* Write up to @p max copies from the tap ring; @return how many were taken. */
static unsigned
rec_taps(unsigned max)
{
	struct rte_mbuf *pkts[REC_BURST];
	unsigned n, i, done = 0;

	while (done < max) {
		n = RTE_MIN(max - done, (unsigned)REC_BURST);
		n = rte_ring_dequeue_burst(R.tap, (void **)pkts, n, NULL);
		if (n == 0)
			break;
		done += n;
		for (i = 0; i < n; i++) {
			const struct rec_tap_hdr *h = rte_pktmbuf_mtod(pkts[i], const struct rec_tap_hdr *);
			struct rec_slot *s = h->rec_id < REC_SLOTS ? &R.slots[h->rec_id] : NULL;

			REC_CNT(taps, 1);
			if (s == NULL || !s->open || s->paused) {
				REC_CNT(not_open, 1);
				rte_pktmbuf_free(pkts[i]);
				continue;
			}
			rec_write(s, h);
			if (s->o->transcode && !(h->flags & REC_TAP_RTCP)) {
				rec_tc_packet(pkts[i]); /* takes the mbuf */
				continue;
			}
			rte_pktmbuf_free(pkts[i]);
		}
	}
	return done;
}

static int
rec_loop(void *arg)
{
	struct rec_msg msgs[32];
	uint64_t next_flush = rte_rdtsc() + R.tsc_hz / 1000 * REC_FLUSH_MS;
	unsigned n, i;

	(void)arg;
	while (!R.quit) {
		unsigned work = 0;

		n = rte_ring_dequeue_burst_elem(R.mbox, msgs, sizeof(msgs[0]), 32, NULL);
		for (i = 0; i < n; i++) {
			/*
			 * Copies already queued were taken before this close or
			 * pause was sent: write them first, or a lagging lcore
			 * would drop the end of a recording (or record a pause).
			 * An open goes first: its slot's copies come after it.
			 */
			if (msgs[i].op == REC_OP_CLOSE || msgs[i].op == REC_OP_PAUSE)
				work += rec_taps(rte_ring_count(R.tap));
			rec_apply(&msgs[i]);
		}
		work += n;
		work += rec_taps(REC_BURST);
		if (rte_rdtsc() >= next_flush) {
			rec_flush();
			next_flush = rte_rdtsc() + R.tsc_hz / 1000 * REC_FLUSH_MS;
		}
		if (work == 0)
			rte_delay_us_sleep(200); /* not a forwarding lcore: no need to spin */
	}
	/* drain what is left, then close everything */
	while ((n = rte_ring_dequeue_burst_elem(R.mbox, msgs, sizeof(msgs[0]), 32, NULL)) > 0)
		for (i = 0; i < n; i++)
			rec_apply(&msgs[i]);
	{
		struct rte_mbuf *pkts[REC_BURST];

		while ((n = rte_ring_dequeue_burst(R.tap, (void **)pkts, REC_BURST, NULL)) > 0)
			rte_pktmbuf_free_bulk(pkts, n);
	}
	for (i = 0; i < REC_SLOTS; i++) {
		if (R.slots[i].open && R.slots[i].o != NULL && R.slots[i].o->transcode)
			rec_tc_close(i);
		slot_close(&R.slots[i], false);
	}
	return 0;
}

int
rec_start(void)
{
	if (!R.enabled)
		return 0;
	R.quit = false;
	if (rte_eal_remote_launch(rec_loop, NULL, R.lcore) < 0)
		return -EBUSY;
	R.started = true;
	return rec_tc_start();
}

void
rec_stop(void)
{
	if (!R.started)
		return;
	R.quit = true;
	rte_eal_wait_lcore(R.lcore);
	R.started = false;
	rec_tc_stop();
}

void
rec_fini(void)
{
	rec_stop();
	if (!R.enabled)
		return;
	rte_ring_free(R.tap);
	rte_ring_free(R.mbox);
	R.enabled = false;
}

/* ---- control thread ---- */

static int
rec_send(uint16_t op, unsigned id, uint16_t flag, struct rec_open *o, struct rec_meta *meta,
	uint64_t *gen)
{
	struct rec_msg m = {
		.op = op, .flag = flag, .id = id, .gen = ++R.gen, .open = o, .meta = meta};

	if (rte_ring_enqueue_elem(R.mbox, &m, sizeof(m)) != 0)
		return -ENOBUFS;
	if (gen != NULL)
		*gen = m.gen;
	return 0;
}

int
rec_slot_alloc(void)
{
	rec_reclaim();
	if (!R.enabled || R.n_free == 0)
		return -ENOSPC;
	return (int)R.free_ids[--R.n_free];
}

int
rec_slot_open(unsigned id, const struct rec_open *o)
{
	struct rec_open *copy = malloc(sizeof(*copy));
	int rc;

	if (copy == NULL)
		return -ENOMEM;
	*copy = *o;
	rc = rec_send(REC_OP_OPEN, id, 0, copy, NULL, NULL);
	if (rc < 0)
		free(copy);
	return rc;
}

int
rec_slot_info(unsigned id, const struct rec_open *o)
{
	struct rec_open *copy = malloc(sizeof(*copy));
	int rc;

	if (copy == NULL)
		return -ENOMEM;
	*copy = *o;
	rc = rec_send(REC_OP_INFO, id, 0, copy, NULL, NULL);
	if (rc < 0)
		free(copy);
	return rc;
}

int
rec_slot_pause(unsigned id, bool paused)
{
	return rec_send(REC_OP_PAUSE, id, paused, NULL, NULL, NULL);
}

void
rec_slot_close(unsigned id, bool discard, const struct rec_meta *publish)
{
	struct rec_meta *meta = NULL;
	uint64_t gen;
	int rc, prc;

	/* the recording lcore publishes the metadata once it closed the pcap */
	if (publish != NULL) {
		meta = malloc(sizeof(*meta));
		if (meta != NULL)
			*meta = *publish;
	}
	rc = rec_send(REC_OP_CLOSE, id, discard, NULL, meta, &gen);
	if (rc < 0)
		free(meta);
	if (publish != NULL && (meta == NULL || rc < 0)) {
		/* no message to carry it: publish now rather than never */
		prc = rec_meta_publish(publish);
		if (prc < 0)
			SL_WARN("rec", "cannot move %s to metadata/: %s", publish->tmp_path,
				strerror(-prc));
	}
	if (rc < 0) {
		/* the slot stays out of use rather than be reused while open */
		SL_LOG_RL(SL_LOG_ERR, "rec", "recording mailbox full: slot %u leaked", id);
		return;
	}
	R.pending[R.n_pending].id = id;
	R.pending[R.n_pending].gen = gen;
	R.n_pending++;
}

void
rec_reclaim(void)
{
	uint64_t applied = __atomic_load_n(&R.applied_gen, __ATOMIC_ACQUIRE);
	unsigned i, keep = 0;

	for (i = 0; i < R.n_pending; i++) {
		if (R.pending[i].gen <= applied)
			R.free_ids[R.n_free++] = R.pending[i].id;
		else
			R.pending[keep++] = R.pending[i];
	}
	R.n_pending = keep;
}

uint64_t
rec_slot_packets(unsigned id)
{
	return id < REC_SLOTS ? __atomic_load_n(&R.slots[id].packets, __ATOMIC_RELAXED) : 0;
}

void
rec_stats_get(struct rec_stats *out)
{
	out->taps = __atomic_load_n(&R.st.taps, __ATOMIC_RELAXED);
	out->written = __atomic_load_n(&R.st.written, __ATOMIC_RELAXED);
	out->not_open = __atomic_load_n(&R.st.not_open, __ATOMIC_RELAXED);
	out->to_tc = __atomic_load_n(&R.st.to_tc, __ATOMIC_RELAXED);
	out->tc_drop = __atomic_load_n(&R.st.tc_drop, __ATOMIC_RELAXED);
	out->errors = __atomic_load_n(&R.st.errors, __ATOMIC_RELAXED);
	out->open_slots = __atomic_load_n(&R.st.open_slots, __ATOMIC_RELAXED);
}

void
rec_count_tc(bool dropped)
{
	if (dropped)
		REC_CNT(tc_drop, 1);
	else
		REC_CNT(to_tc, 1);
}
