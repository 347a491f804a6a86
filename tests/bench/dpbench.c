/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sl_dpbench: data-plane cost of one worker lcore with no NIC in the way.
 *
 * The real data plane is brought up in-process as the unit tests do
 * (tests/dataplane/dp_harness.c): EAL, a port made of two rings
 * (rte_eth_from_rings), dp_init() with one worker, flows programmed with
 * dp_mbox_apply(). The worker lcore then runs either the real
 * dp_worker_loop() ("loop" mode, the headline figure) or a copy of its RX ->
 * dp_burst() -> TX flush sequence timed per burst with rdtsc ("burst" mode,
 * the dpdk-notes 4.3 method). The main lcore is the generator: it is the wire
 * between the worker's TX ring and its RX ring.
 *
 * Traffic pattern. Every flow is a relay socket with traffic, and every
 * packet the worker forwards is a valid packet for another flow: the flows of
 * C calls (a_i <-> b_i) are linked into one alternating cycle
 *     a[p0] -call- b[p0] -peer- a[p1] -call- b[p1] -peer- ... a[p0]
 * (p a random permutation), where "peer" means each socket's remote
 * endpoint is the other socket (symmetric RTP, so endpoint learning
 * confirms on the first packet and then stays on its fast path). A packet
 * received on a[pk] leaves through b[pk] towards a[pk+1]: packets walk the
 * calls in random order, so at 1M flows nearly every packet touches a flow
 * that is not in cache, as on a loaded relay. Frames are 14+20+8+172 bytes
 * (RTP header + 160 bytes of G.711), IPv4, valid IP and UDP checksums.
 *
 * Output: one JSON object on stdout. Scenarios that need features sluice
 * does not have yet (SRTP, recording) print {"available": false, ...} and
 * exit 0; they get a setup function here when the feature lands.
 */
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_ring.h>
#include <rte_udp.h>

#include "common/host.h"
#include "control/config.h"
#include "crypto/srtp.h"
#include "dataplane/dp_priv.h"

#define BENCH_PORT_MIN 1024
#define BENCH_PORT_MAX 65535
#define BENCH_PORTS (BENCH_PORT_MAX - BENCH_PORT_MIN + 1)
#define RTP_LEN 172  /* 12-byte RTP header + 20 ms of G.711 */
#define SAMPLE_US 20 /* minimum gap between loop-boundary samples */
#define MAX_BURST_SAMPLES (1u << 22)

struct sock {
	uint8_t addr; /* index into dp_conf.addrs */
	uint16_t port;
};

static struct {
	unsigned flows;	  /* relay sockets with traffic (2 per call) */
	const char *mode; /* loop | burst */
	const char *scenario;
	double seconds, warmup;
	unsigned inflight;  /* packets circulating */
	const char *mem;    /* auto | huge | nohuge */
	const char *lcores; /* EAL --lcores: lcore 0 = generator, lcore 1 = worker */
	bool touch;	    /* generator writes each packet (like NIC DMA) */
	unsigned seed;
	const char *label;
} opt = {
	.flows = 100000,
	.mode = "loop",
	.scenario = "plain",
	.seconds = 3.0,
	.warmup = 1.0,
	.inflight = 2048,
	.mem = "auto",
	.lcores = "0,1",
	.touch = true,
	.seed = 1,
	.label = "",
};

/*
 * What each scenario puts on every flow. SRTP: the suite packets arrive with
 * (decrypted by the worker) and the suite they leave with (encrypted by the
 * worker); NULL = in the clear. A scenario whose feature sluice lacks gets
 * missing != NULL and prints "not yet available".
 */
struct scenario {
	const char *name;
	const char *desc;
	const char *in_suite;
	const char *out_suite;
	bool tap;	    /* recording tap on every flow */
	unsigned max_flows; /* 0: any; SRTP keeps ~3 KiB of OpenSSL state per context */
	const char *missing;
};

#define CM "AES_CM_128_HMAC_SHA1_80"
#define GCM "AEAD_AES_128_GCM"

static const struct scenario scenarios[] = {
	{"plain", "plain RTP relay (RTP in, RTP out)", NULL, NULL, false, 0, NULL},
	{"rtp-srtp-cm", "RTP -> SRTP, " CM, NULL, CM, false, 100000, NULL},
	{"srtp-rtp-cm", "SRTP -> RTP, " CM, CM, NULL, false, 100000, NULL},
	{"srtp-srtp-cm", "SRTP -> SRTP, " CM " both legs", CM, CM, false, 100000, NULL},
	{"rtp-srtp-gcm", "RTP -> SRTP, " GCM, NULL, GCM, false, 100000, NULL},
	{"srtp-rtp-gcm", "SRTP -> RTP, " GCM, GCM, NULL, false, 100000, NULL},
	{"srtp-srtp-gcm", "SRTP -> SRTP, " GCM " both legs", GCM, GCM, false, 100000, NULL},
	{"plain-rec", "plain RTP relay with the recording tap on", NULL, NULL, true, 0, NULL},
};

static struct sl_config cfg;
static const struct scenario *sc;
static struct rte_ring *ring_tap;	    /* worker -> "recording lcore" (the generator) */
static struct srtp_ctx **ctx_in, **ctx_out; /* worker side, by flow index */
static struct srtp_ctx **ctx_gen;	    /* generator side: protects for the flow it feeds */
static uint16_t *gen_seq;		    /* generator: last RTP SEQ sent to each flow */
static bool rewrite;			    /* SRTP scenarios: generator writes fresh packets */
static uint64_t gen_errors;
static struct rte_ring *ring_in, *ring_out; /* generator -> worker, worker -> generator */
static struct sock *sa, *sb;		    /* a_i and b_i of call i */
static uint32_t *perm;			    /* call order along the cycle */
static unsigned n_calls, n_addr_side;
static char prefix[64];
static volatile int burst_stop;
static volatile sig_atomic_t stop_req; /* SIGTERM/SIGINT: finish early, clean up */
static pid_t worker_tid;
static int worker_cpu = -1;
static uint32_t *burst_samples;
static unsigned n_burst_samples;

/* ---- helpers ---- */

static void __rte_format_printf(1, 2) die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "sl_dpbench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

static uint64_t rng_state;

static uint64_t
rng(void)
{
	/* splitmix64: reproducible for a given --seed */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

static int
cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
pct_dbl(double *v, unsigned n, double p)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_dbl);
	return v[(unsigned)((n - 1) * p + 0.5)];
}

static int
rm_entry(const char *path, const struct stat *sb_, int flag, struct FTW *ftw)
{
	(void)sb_;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
remove_rundir(void)
{
	char path[160];

	snprintf(path, sizeof(path), "/var/run/dpdk/%s", prefix);
	nftw(path, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static struct sl_ep
sock_ep(const struct sock *s)
{
	struct sl_ep ep;

	ep.ip = dp_conf.addrs[s->addr].ip;
	ep.port = s->port;
	return ep;
}

/* ---- flows ---- */

/* socket on the other side of the "peer" link: a[p_k] <-> b[p_{k-1}] */
static const struct sock *
peer_of_a(unsigned k)
{
	return &sb[perm[(k + n_calls - 1) % n_calls]];
}

static const struct sock *
peer_of_b(unsigned k)
{
	return &sa[perm[(k + 1) % n_calls]];
}

static void
flow_set(const struct sock *s, const struct sock *out, const struct sock *peer, uint32_t rec_id)
{
	static uint64_t gen;
	struct dp_msg m;

	memset(&m, 0, sizeof(m));
	m.op = DP_OP_FLOW_SET;
	m.has = DP_HAS_FLAGS | DP_HAS_RESET | DP_HAS_EXPECT | DP_HAS_LEARN;
	m.flow_idx = dp_flow_index(s->addr, s->port);
	m.gen = ++gen;
	m.u.flow.flags = DP_F_ACTIVE | (sc->tap ? DP_F_TAP : 0);
	m.u.flow.rec_id = rec_id;
	m.u.flow.out_idx = dp_flow_index(out->addr, out->port);
	m.u.flow.lport = s->port;
	m.u.flow.addr_idx = s->addr;
	m.u.flow.learn = CFG_LEARN_HEURISTIC;
	m.u.flow.expect = sock_ep(peer);
	dp_mbox_apply(dp_lcores[dp_owner(s->port)], &m);
}

/* pick @p n distinct random (address, port) slots among addresses first..first+k-1 */
static void
pick_socks(struct sock *out, unsigned n, unsigned first, unsigned k)
{
	unsigned total = k * BENCH_PORTS, i;
	uint32_t *slots = malloc(sizeof(*slots) * total);

	if (slots == NULL)
		die("%s", "out of memory");
	for (i = 0; i < total; i++)
		slots[i] = i;
	for (i = 0; i < n; i++) {
		unsigned j = i + (unsigned)(rng() % (total - i));
		uint32_t t = slots[i];

		slots[i] = slots[j];
		slots[j] = t;
		out[i].addr = (uint8_t)(first + slots[i] / BENCH_PORTS);
		out[i].port = (uint16_t)(BENCH_PORT_MIN + slots[i] % BENCH_PORTS);
	}
	free(slots);
}

static struct srtp_ctx *
make_ctx(const char *suite)
{
	struct srtp_master m;
	struct srtp_ctx *c;
	unsigned i;

	memset(&m, 0, sizeof(m));
	m.suite = srtp_suite_find(suite, strlen(suite));
	if (m.suite == NULL)
		die("unknown SRTP suite %s", suite);
	for (i = 0; i < m.suite->key_len; i++)
		m.key[i] = (uint8_t)(0x10 + i);
	for (i = 0; i < m.suite->salt_len; i++)
		m.salt[i] = (uint8_t)(0xa0 + i);
	c = srtp_ctx_create(&m);
	if (c == NULL)
		die("srtp_ctx_create(%s) failed", suite);
	return c;
}

/* SRTP contexts of one socket; the generator gets the peer side of its input */
static void
srtp_set(const struct sock *s)
{
	uint32_t idx = dp_flow_index(s->addr, s->port);
	struct dp_msg m;

	memset(&m, 0, sizeof(m));
	m.op = DP_OP_SRTP_SET;
	m.flow_idx = idx;
	if (sc->in_suite != NULL) {
		ctx_in[idx] = make_ctx(sc->in_suite);
		ctx_gen[idx] = make_ctx(sc->in_suite);
	}
	if (sc->out_suite != NULL)
		ctx_out[idx] = make_ctx(sc->out_suite);
	m.u.srtp.in = ctx_in[idx];
	m.u.srtp.out = ctx_out[idx];
	dp_mbox_apply(dp_lcores[dp_owner(s->port)], &m);
}

static int
setup_flows(void)
{
	unsigned i, k;

	sa = calloc(n_calls, sizeof(*sa));
	sb = calloc(n_calls, sizeof(*sb));
	perm = calloc(n_calls, sizeof(*perm));
	if (sa == NULL || sb == NULL || perm == NULL)
		return -ENOMEM;
	pick_socks(sa, n_calls, 0, n_addr_side);
	pick_socks(sb, n_calls, n_addr_side, n_addr_side);
	for (i = 0; i < n_calls; i++)
		perm[i] = i;
	for (i = n_calls - 1; i > 0; i--) {
		unsigned j = (unsigned)(rng() % (i + 1));
		uint32_t t = perm[i];

		perm[i] = perm[j];
		perm[j] = t;
	}
	for (k = 0; k < n_calls; k++) {
		unsigned c = perm[k];

		flow_set(&sa[c], &sb[c], peer_of_a(k), c);
		flow_set(&sb[c], &sa[c], peer_of_b(k), c);
	}
	if (rewrite) {
		size_t nf = dp_conf.flows_per_worker;

		ctx_in = calloc(nf, sizeof(*ctx_in));
		ctx_out = calloc(nf, sizeof(*ctx_out));
		ctx_gen = calloc(nf, sizeof(*ctx_gen));
		gen_seq = calloc(nf, sizeof(*gen_seq));
		if (ctx_in == NULL || ctx_out == NULL || ctx_gen == NULL || gen_seq == NULL)
			return -ENOMEM;
		for (k = 0; k < n_calls; k++) {
			srtp_set(&sa[k]);
			srtp_set(&sb[k]);
		}
	}
	/* every local address is a resolved neighbour (the peers live there) */
	for (i = 0; i < dp_conf.n_addrs; i++) {
		struct dp_msg m;

		memset(&m, 0, sizeof(m));
		m.op = DP_OP_NEIGH_SET;
		m.u.neigh.port_id = 0;
		m.u.neigh.mac = dp_conf.port_mac[0];
		m.u.neigh.ip = dp_conf.addrs[i].ip;
		dp_mbox_apply(dp_lcores[0], &m);
	}
	return 0;
}

/* ---- packets ---- */

static struct rte_mbuf *
make_pkt(const struct sock *src, const struct sock *dst, uint16_t seq)
{
	struct rte_mbuf *m = dp_ctl_alloc();
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *udp;
	uint8_t *pl;
	unsigned i;

	if (m == NULL)
		return NULL;
	eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	ip = (struct rte_ipv4_hdr *)(eth + 1);
	udp = (struct rte_udp_hdr *)(ip + 1);
	pl = (uint8_t *)(udp + 1);
	eth->dst_addr = dp_conf.port_mac[0];
	eth->src_addr = dp_conf.port_mac[0];
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16(sizeof(*ip) + sizeof(*udp) + RTP_LEN);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = sl_ip_v4(&dp_conf.addrs[src->addr].ip);
	ip->dst_addr = sl_ip_v4(&dp_conf.addrs[dst->addr].ip);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->src_port = rte_cpu_to_be_16(src->port);
	udp->dst_port = rte_cpu_to_be_16(dst->port);
	udp->dgram_len = rte_cpu_to_be_16(sizeof(*udp) + RTP_LEN);
	pl[0] = 0x80;
	pl[1] = 0; /* PCMU */
	pl[2] = (uint8_t)(seq >> 8);
	pl[3] = (uint8_t)seq;
	memset(pl + 4, 0, 4);
	pl[8] = 0xde;
	pl[9] = 0xca;
	pl[10] = 0xfb;
	pl[11] = 0xad;
	for (i = 12; i < RTP_LEN; i++)
		pl[i] = 0xff; /* G.711 silence */
	udp->dgram_cksum = 0;
	udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
	m->data_len = (uint16_t)(sizeof(*eth) + sizeof(*ip) + sizeof(*udp) + RTP_LEN);
	m->pkt_len = m->data_len;
	m->port = 0;
	return m;
}

/* flow index of the socket a frame is addressed to (our address plan: 198.18.{1,2}.x) */
static inline uint32_t
frame_flow(const struct rte_ipv4_hdr *ip, const struct rte_udp_hdr *udp)
{
	const uint8_t *d = (const uint8_t *)&ip->dst_addr;
	unsigned ai = (d[2] == 1 ? 0 : n_addr_side) + d[3] - 1u;

	return dp_flow_index(ai, rte_be_to_cpu_16(udp->dst_port));
}

/*
 * SRTP scenarios: write a fresh RTP packet with the flow's next SEQ into the
 * frame and protect it with the peer context when the flow expects SRTP, as
 * the remote party would. Recirculating the worker's output instead would
 * replay SEQs that SRTP (rightly) refuses.
 */
static inline void
gen_fill(struct rte_mbuf *m)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	uint8_t *pl = (uint8_t *)(udp + 1);
	uint32_t idx = frame_flow(ip, udp);
	size_t len = RTP_LEN, cap = m->buf_len - m->data_off - 14 - 20 - 8;
	uint16_t seq;

	if (idx >= dp_conf.flows_per_worker) {
		gen_errors++;
		return;
	}
	seq = ++gen_seq[idx];
	pl[0] = 0x80;
	pl[1] = 0;
	pl[2] = (uint8_t)(seq >> 8);
	pl[3] = (uint8_t)seq;
	memset(pl + 4, 0, 4);
	pl[8] = 0xde;
	pl[9] = 0xca;
	pl[10] = 0xfb;
	pl[11] = 0xad;
	memset(pl + 12, 0xff, RTP_LEN - 12);
	if (ctx_gen[idx] != NULL && srtp_rtp_protect(ctx_gen[idx], pl, &len, cap) < 0)
		gen_errors++;
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(8 + len));
	udp->dgram_cksum = 0; /* optional in IPv4; sluice rewrites it anyway */
	ip->total_length = rte_cpu_to_be_16((uint16_t)(20 + 8 + len));
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	m->data_len = (uint16_t)(14 + 20 + 8 + len);
	m->pkt_len = m->data_len;
}

/* @p n packets spread evenly along both directions of the cycle */
static int
inject(unsigned n)
{
	unsigned j;

	for (j = 0; j < n; j++) {
		unsigned k = (unsigned)((uint64_t)(j / 2) * n_calls / ((n + 1) / 2)) % n_calls;
		const struct sock *dst, *src;
		struct rte_mbuf *m;

		if (j & 1) {
			dst = &sb[perm[k]];
			src = peer_of_b(k);
		} else {
			dst = &sa[perm[k]];
			src = peer_of_a(k);
		}
		m = make_pkt(src, dst, (uint16_t)j);
		if (m == NULL)
			return -ENOBUFS;
		if (rewrite)
			gen_fill(m);
		if (rte_ring_enqueue(ring_in, m) != 0)
			return -ENOBUFS;
	}
	return 0;
}

/* ---- worker side, burst mode ---- */

static int
burst_loop(void *arg)
{
	struct dp_lcore *lc = arg;
	struct rte_mbuf *pkts[DP_BURST];
	uint64_t t0, t1;
	uint16_t n;

	srtp_engine_thread_init(); /* as dp_worker_loop does at launch */
	while (!burst_stop) {
		t0 = rte_rdtsc();
		lc->now_tsc = t0;
		n = rte_eth_rx_burst(0, (uint16_t)lc->id, pkts, DP_BURST);
		if (n == 0)
			continue;
		dp_burst(lc, pkts, n, false);
		dp_tx_flush(lc);
		t1 = rte_rdtsc();
		DP_CNT_ADD(lc->busy_tsc, t1 - t0); /* for the generator's throughput samples */
		if (n == DP_BURST && n_burst_samples < MAX_BURST_SAMPLES)
			burst_samples[n_burst_samples++] = (uint32_t)(t1 - t0);
	}
	dp_tx_flush(lc);
	srtp_engine_thread_fini();
	return 0;
}

/* ---- contention: how much of the worker's CPU others took ---- */

static void
on_signal(int sig)
{
	(void)sig;
	stop_req = 1;
}

static int
record_tid(void *arg)
{
	(void)arg;
	worker_tid = gettid();
	worker_cpu = sched_getcpu();
	return 0;
}

/* run-queue wait of the worker thread (ns): time it was runnable but another task ran */
static uint64_t
worker_wait_ns(void)
{
	char path[64];
	unsigned long long run = 0, wait = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/schedstat", (int)worker_tid);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	if (fscanf(f, "%llu %llu", &run, &wait) != 2)
		wait = 0;
	fclose(f);
	return wait;
}

/* hypervisor steal time of @p cpu, in USER_HZ ticks */
static uint64_t
cpu_steal(unsigned cpu)
{
	char line[512], name[16];
	unsigned long long v[8];
	uint64_t steal = 0;
	FILE *f = fopen("/proc/stat", "r");

	if (f == NULL)
		return 0;
	snprintf(name, sizeof(name), "cpu%u ", cpu);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, name, strlen(name)) == 0 &&
			sscanf(line + strlen(name), "%llu %llu %llu %llu %llu %llu %llu %llu",
				&v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) == 8) {
			steal = v[7];
			break;
		}
	}
	fclose(f);
	return steal;
}

/* ---- generator (main lcore) ---- */

/* new RTP sequence number, UDP checksum kept valid (RFC 1624) */
static inline void
touch_seq(struct rte_mbuf *m, uint16_t seq)
{
	struct rte_udp_hdr *udp = rte_pktmbuf_mtod_offset(m, struct rte_udp_hdr *, 14 + 20);
	uint16_t *w = (uint16_t *)((uint8_t *)(udp + 1) + 2);
	uint16_t old = *w, nw = rte_cpu_to_be_16(seq);
	uint32_t sum;

	*w = nw;
	if (udp->dgram_cksum == 0)
		return;
	sum = (uint16_t)~udp->dgram_cksum + (uint32_t)(uint16_t)~old + nw;
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	udp->dgram_cksum = (uint16_t)~sum;
	if (udp->dgram_cksum == 0)
		udp->dgram_cksum = 0xffff;
}

struct sample {
	uint64_t tsc, busy, pkts, fwd;
};

static unsigned
generate(double secs, struct sample *smp, unsigned max_smp)
{
	struct dp_lcore *lc = dp_lcores[0];
	uint64_t hz = rte_get_tsc_hz(), now, end, next = 0, busy, last_busy = 0;
	uint64_t min_gap = hz / (1000000 / SAMPLE_US);
	struct rte_mbuf *pkts[64];
	unsigned n, i, ns = 0;
	uint16_t seq = 0;

	now = rte_rdtsc();
	end = now + (uint64_t)(secs * (double)hz);
	while ((now = rte_rdtsc()) < end && !stop_req) {
		if (ring_tap != NULL) {
			/* the recording lcore's part: take the copies and let them go */
			n = rte_ring_dequeue_burst(ring_tap, (void **)pkts, 64, NULL);
			if (n > 0)
				rte_pktmbuf_free_bulk(pkts, n);
		}
		n = rte_ring_dequeue_burst(ring_out, (void **)pkts, 64, NULL);
		if (n > 0) {
			if (rewrite) {
				for (i = 0; i < n; i++)
					gen_fill(pkts[i]);
			} else if (opt.touch) {
				/* rewrite the RTP sequence number, as a NIC writes the
				 * frame: the worker then reads a line another core owns */
				for (i = 0; i < n; i++)
					touch_seq(pkts[i], seq++);
			}
			/* the ring holds every mbuf: this cannot fail */
			rte_ring_enqueue_burst(ring_in, (void **)pkts, n, NULL);
		}
		if (smp == NULL || ns >= max_smp || now < next)
			continue;
		/*
		 * Sample at the worker's loop boundaries: it adds to busy_tsc once per
		 * loop, after the tx flush that counted tx_pkts, so a (busy, tx) pair read
		 * in this order belongs to whole loop iterations. Intervals of a few loops
		 * are short next to the VM's scheduling gaps, so the median is a loop's
		 * cost when the worker had its CPU.
		 */
		busy = __atomic_load_n(&lc->busy_tsc, __ATOMIC_ACQUIRE);
		if (busy == last_busy)
			continue;
		last_busy = busy;
		smp[ns].tsc = now;
		smp[ns].busy = busy;
		smp[ns].pkts = __atomic_load_n(&lc->stats.tx_pkts, __ATOMIC_RELAXED);
		smp[ns].fwd = __atomic_load_n(&lc->stats.fwd_pkts, __ATOMIC_RELAXED);
		ns++;
		next = now + min_gap;
	}
	return ns;
}

/* ---- checks after the run ---- */

static unsigned
check_ring(struct rte_ring *r, unsigned *checked)
{
	struct rte_mbuf *pkts[64];
	unsigned n, i, bad = 0;

	while ((n = rte_ring_dequeue_burst(r, (void **)pkts, 64, NULL)) > 0) {
		for (i = 0; i < n; i++) {
			struct rte_ipv4_hdr *ip =
				rte_pktmbuf_mtod_offset(pkts[i], struct rte_ipv4_hdr *, 14);
			struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);

			/* the generator's SRTP frames carry no UDP checksum (optional in IPv4) */
			if (rte_raw_cksum(ip, sizeof(*ip)) != 0xffff ||
				(udp->dgram_cksum != 0 &&
					rte_ipv4_udptcp_cksum_verify(ip, udp) != 0) ||
				pkts[i]->pkt_len != 14u + rte_be_to_cpu_16(ip->total_length))
				bad++;
			(*checked)++;
		}
		rte_pktmbuf_free_bulk(pkts, n);
	}
	return bad;
}

/* ---- main ---- */

static void
usage(void)
{
	unsigned i;

	fprintf(stderr,
		"usage: sl_dpbench [--flows N] [--mode loop|burst] [--scenario NAME] [--seconds "
		"S]\n"
		"                  [--warmup S] [--inflight N] [--mem auto|huge|nohuge]\n"
		"                  [--cpus GEN,WORKER] [--no-touch] [--seed N] [--label TEXT]\n"
		"scenarios:\n");
	for (i = 0; i < RTE_DIM(scenarios); i++)
		fprintf(stderr, "  %-14s %s%s\n", scenarios[i].name, scenarios[i].desc,
			scenarios[i].missing == NULL ? "" : " (not yet available)");
}

static void
parse_args(int argc, char **argv)
{
	static const struct option lo[] = {{"flows", required_argument, NULL, 'f'},
		{"mode", required_argument, NULL, 'm'}, {"scenario", required_argument, NULL, 's'},
		{"seconds", required_argument, NULL, 't'}, {"warmup", required_argument, NULL, 'w'},
		{"inflight", required_argument, NULL, 'i'}, {"mem", required_argument, NULL, 'M'},
		{"cpus", required_argument, NULL, 'l'}, {"no-touch", no_argument, NULL, 'T'},
		{"seed", required_argument, NULL, 'S'}, {"label", required_argument, NULL, 'L'},
		{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	int c;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'f':
			opt.flows = (unsigned)strtoul(optarg, NULL, 0);
			break;
		case 'm':
			opt.mode = optarg;
			break;
		case 's':
			opt.scenario = optarg;
			break;
		case 't':
			opt.seconds = atof(optarg);
			break;
		case 'w':
			opt.warmup = atof(optarg);
			break;
		case 'i':
			opt.inflight = (unsigned)strtoul(optarg, NULL, 0);
			break;
		case 'M':
			opt.mem = optarg;
			break;
		case 'l':
			opt.lcores = optarg;
			break;
		case 'T':
			opt.touch = false;
			break;
		case 'S':
			opt.seed = (unsigned)strtoul(optarg, NULL, 0);
			break;
		case 'L':
			opt.label = optarg;
			break;
		default:
			usage();
			exit(c == 'h' ? 0 : 2);
		}
	}
	if (strcmp(opt.mode, "loop") != 0 && strcmp(opt.mode, "burst") != 0)
		die("unknown --mode %s", opt.mode);
	if (opt.flows < 4 || opt.flows % 2 != 0)
		die("%s", "--flows must be even and >= 4 (two sockets per call)");
	if (opt.seconds <= 0 || opt.seconds > 60 || opt.warmup < 0 || opt.warmup > 30)
		die("%s", "--seconds must be in (0, 60], --warmup in [0, 30]");
}

int
main(int argc, char **argv)
{
	char pfx[96], mem_mb[16], err[256], lcores[64];
	char *eal[16];
	int eal_argc = 0, port;
	unsigned i, n, ns, mbufs, checked = 0, bad, hit = 0;
	size_t table_bytes, need_mb;
	struct sample *smp = NULL;
	bool huge;
	double *cpp;
	unsigned nv = 0;
	struct dp_stats st;
	uint64_t hz, wait0, wait1, steal0, steal1;

	parse_args(argc, argv);
	for (i = 0; i < RTE_DIM(scenarios); i++)
		if (strcmp(scenarios[i].name, opt.scenario) == 0)
			sc = &scenarios[i];
	if (sc == NULL)
		die("unknown --scenario %s (see --help)", opt.scenario);
	if (sc->missing != NULL) {
		printf("{\"scenario\": \"%s\", \"desc\": \"%s\", \"flows\": %u, \"available\": "
		       "false, "
		       "\"reason\": \"sluice has no %s in the data plane yet\"}\n",
			sc->name, sc->desc, opt.flows, sc->missing);
		return 0;
	}
	if (sc->max_flows != 0 && opt.flows > sc->max_flows) {
		printf("{\"scenario\": \"%s\", \"desc\": \"%s\", \"flows\": %u, \"available\": "
		       "false, "
		       "\"reason\": \"not measured above %u flows: every SRTP context holds ~3 KiB "
		       "of "
		       "OpenSSL state and this benchmark needs up to 3 per flow\"}\n",
			sc->name, sc->desc, opt.flows, sc->max_flows);
		return 0;
	}
	rewrite = sc->in_suite != NULL || sc->out_suite != NULL;
	rng_state = opt.seed;
	n_calls = opt.flows / 2;
	n_addr_side = (n_calls + BENCH_PORTS - 1) / BENCH_PORTS;
	if (2 * n_addr_side > DP_MAX_ADDRS)
		die("%s", "too many flows for 32 addresses");
	table_bytes = (size_t)2 * n_addr_side * BENCH_PORTS * sizeof(struct dp_flow);
	mbufs = rte_align32pow2(opt.inflight * 2) - 1;
	if (mbufs < 4095)
		mbufs = 4095;
	if (sc->tap)
		mbufs = mbufs * 4 + 3; /* the tap's copies come from the same pool */
	huge = strcmp(opt.mem, "huge") == 0 ||
	       (strcmp(opt.mem, "auto") == 0 &&
		       sl_hugepages_free() * 2 >= table_bytes / (1 << 20) + mbufs * 3u / 1024 + 96);

	/* EAL: the generator on the main lcore, one worker; no telemetry thread */
	{
		unsigned gcpu, wcpu;

		if (sscanf(opt.lcores, "%u,%u", &gcpu, &wcpu) != 2)
			die("--cpus wants GEN,WORKER (CPU numbers), not %s", opt.lcores);
		snprintf(lcores, sizeof(lcores), "0@%u,1@%u", gcpu, wcpu);
	}
	snprintf(prefix, sizeof(prefix), "slbench%d", (int)getpid());
	snprintf(pfx, sizeof(pfx), "--file-prefix=%s", prefix);
	eal[eal_argc++] = argv[0];
	eal[eal_argc++] = "--lcores";
	eal[eal_argc++] = lcores;
	eal[eal_argc++] = "--no-pci";
	eal[eal_argc++] = "--no-telemetry";
	eal[eal_argc++] = pfx;
	eal[eal_argc++] = "--log-level=*:warning";
	if (huge) {
		eal[eal_argc++] = "--in-memory";
	} else {
		/* --no-huge: every mbuf takes a 4 KiB page (dpdk-notes 2) */
		need_mb = table_bytes / (1 << 20) + (size_t)mbufs * 4 / 1024 + 96;
		snprintf(mem_mb, sizeof(mem_mb), "%zu", need_mb);
		eal[eal_argc++] = "--no-huge";
		eal[eal_argc++] = "-m";
		eal[eal_argc++] = mem_mb;
	}
	eal[eal_argc] = NULL;
	if (rte_eal_init(eal_argc, eal) < 0)
		die("EAL init failed: %s", rte_strerror(rte_errno));
	{
		/* a killed run still stops its lcores and removes its run directory */
		struct sigaction act;

		memset(&act, 0, sizeof(act));
		act.sa_handler = on_signal;
		sigaction(SIGTERM, &act, NULL);
		sigaction(SIGINT, &act, NULL);
	}
	if (rte_lcore_count() != 2)
		die("%s", "need exactly two lcores: --cpus GEN,WORKER");
	/* the generator protects the packets it feeds: it gets its managers too */
	if (srtp_engine_thread_init() < 0)
		die("%s", "srtp_engine_thread_init failed");
	hz = rte_get_tsc_hz();

	ring_in = rte_ring_create(
		"bench_in", rte_align32pow2(mbufs + 1), 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	ring_out = rte_ring_create(
		"bench_out", rte_align32pow2(mbufs + 1), 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (ring_in == NULL || ring_out == NULL)
		die("%s", "cannot create rings");
	port = rte_eth_from_rings("bench_port", &ring_in, 1, &ring_out, 1, 0);
	if (port != 0)
		die("%s", "rte_eth_from_rings did not give port 0");

	cfg_defaults(&cfg);
	for (i = 0; i < 2 * n_addr_side; i++) {
		struct cfg_iface *c = &cfg.ifaces[i];
		char ip[32];

		/* side a on 198.18.1.x, side b on 198.18.2.x, one on-link /16 */
		snprintf(ip, sizeof(ip), "198.18.%u.%u", i < n_addr_side ? 1 : 2,
			1 + i % n_addr_side);
		snprintf(c->name, sizeof(c->name), "%s%u", i < n_addr_side ? "a" : "b",
			i % n_addr_side);
		sl_ip_parse(ip, &c->addr);
		c->prefixlen = 16;
		c->port_id = 0;
	}
	cfg.n_ifaces = 2 * n_addr_side;
	cfg.port_min = BENCH_PORT_MIN;
	cfg.port_max = BENCH_PORT_MAX;
	cfg.mbufs = mbufs;
	cfg.poll_mode = CFG_POLL_BUSY; /* what a bound NIC gets: no sleeping */
	if (dp_init(&cfg, err, sizeof(err)) < 0)
		die("dp_init: %s", err);
	if (dp_conf.n_workers != 1)
		die("%s", "expected exactly one worker");
	if (sc->tap) {
		ring_tap = rte_ring_create("bench_tap", 4096, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (ring_tap == NULL)
			die("%s", "cannot create the tap ring");
		dp_conf.tap = ring_tap; /* what a recording lcore would consume */
	}
	if (setup_flows() < 0)
		die("%s", "scenario setup failed");
	if (inject(opt.inflight) < 0)
		die("%s", "cannot inject packets (mbufs)");

	ns = (unsigned)(opt.seconds * 1e6 / SAMPLE_US) + 16;
	smp = calloc(ns, sizeof(*smp));
	burst_samples = calloc(MAX_BURST_SAMPLES, sizeof(*burst_samples));
	if (smp == NULL || burst_samples == NULL)
		die("%s", "out of memory");

	rte_eal_remote_launch(record_tid, NULL, dp_lcores[0]->lcore_id);
	rte_eal_wait_lcore(dp_lcores[0]->lcore_id);
	if (strcmp(opt.mode, "loop") == 0) {
		if (dp_start() < 0)
			die("%s", "dp_start failed");
	} else {
		burst_stop = 0;
		rte_eal_remote_launch(burst_loop, dp_lcores[0], dp_lcores[0]->lcore_id);
	}
	/* warm-up: every flow learns its peer, caches and TLBs fill */
	generate(opt.warmup, NULL, 0);
	n_burst_samples = 0;
	wait0 = worker_wait_ns();
	steal0 = cpu_steal((unsigned)worker_cpu);
	ns = generate(opt.seconds, smp, ns);
	wait1 = worker_wait_ns();
	steal1 = cpu_steal((unsigned)worker_cpu);
	if (strcmp(opt.mode, "loop") == 0) {
		dp_stop();
	} else {
		burst_stop = 1;
		rte_eal_mp_wait_lcore();
	}

	/* per-interval figures; the median is robust to the VM's scheduling gaps */
	cpp = calloc(ns + 1, sizeof(double));
	for (i = 1; i < ns; i++) {
		uint64_t dp = smp[i].pkts - smp[i - 1].pkts, dt = smp[i].tsc - smp[i - 1].tsc;

		if (dp == 0 || dt == 0)
			continue;
		cpp[nv] = (double)(smp[i].busy - smp[i - 1].busy) / (double)dp;
		nv++;
	}
	qsort(burst_samples, n_burst_samples, sizeof(*burst_samples), cmp_u32);

	bad = check_ring(ring_out, &checked);
	bad += check_ring(ring_in, &checked);
	for (i = 0; i < n_calls; i++) {
		hit += dp_lcores[0]->flows[dp_flow_index(sa[i].addr, sa[i].port)].pkts > 0;
		hit += dp_lcores[0]->flows[dp_flow_index(sb[i].addr, sb[i].port)].pkts > 0;
	}
	dp_stats_total(&st);

	printf("{\"scenario\": \"%s\", \"desc\": \"%s\", \"available\": true, \"label\": \"%s\", "
	       "\"flows\": %u, \"calls\": %u, \"addresses\": %u, \"mode\": \"%s\", "
	       "\"mem\": \"%s\", \"touch\": %s, \"inflight\": %u, \"frame_bytes\": %u, "
	       "\"tsc_hz\": %" PRIu64 ", \"flow_table_bytes\": %zu, \"sizeof_flow\": %zu, "
	       "\"seconds\": %.2f, \"intervals\": %u, \"worker_cpu\": %d, "
	       "\"worker_runq_wait\": %.4f, \"cpu_steal\": %.4f, \"srtp_engine\": \"%s\", ",
		sc->name, sc->desc, opt.label, opt.flows, n_calls, 2 * n_addr_side, opt.mode,
		huge ? "hugepages" : "no-huge", opt.touch ? "true" : "false", opt.inflight,
		14 + 20 + 8 + RTP_LEN, hz, table_bytes, sizeof(struct dp_flow), opt.seconds, nv,
		worker_cpu, (double)(wait1 - wait0) / 1e9 / opt.seconds,
		(double)(steal1 - steal0) / (double)sysconf(_SC_CLK_TCK) / opt.seconds,
		srtp_engine_name());
	if (strcmp(opt.mode, "loop") == 0) {
		double c50 = pct_dbl(cpp, nv, 0.5), c10 = pct_dbl(cpp, nv, 0.1),
		       c90 = pct_dbl(cpp, nv, 0.9);

		printf("\"cycles_per_pkt\": %.1f, \"cycles_per_pkt_p10\": %.1f, "
		       "\"cycles_per_pkt_p90\": %.1f, \"mpps_at_cpp\": %.3f, ",
			c50, c10, c90, c50 > 0 ? (double)hz / c50 / 1e6 : 0.0);
	} else {
		double c50 = n_burst_samples ? burst_samples[n_burst_samples / 2] / (double)DP_BURST
					     : 0,
		       c10 = n_burst_samples
				     ? burst_samples[n_burst_samples / 10] / (double)DP_BURST
				     : 0,
		       c90 = n_burst_samples
				     ? burst_samples[n_burst_samples * 9 / 10] / (double)DP_BURST
				     : 0;

		printf("\"cycles_per_pkt\": %.1f, \"cycles_per_pkt_p10\": %.1f, "
		       "\"cycles_per_pkt_p90\": %.1f, \"mpps_at_cpp\": %.3f, \"bursts\": %u, ",
			c50, c10, c90, c50 > 0 ? (double)hz / c50 / 1e6 : 0.0, n_burst_samples);
	}
	printf("\"mpps_measured\": %.3f, \"worker_busy\": %.3f, \"fwd_pkts\": %" PRIu64 ", "
	       "\"flows_hit\": %u, \"checked\": %u, \"bad_packets\": %u, \"tx_drop\": %" PRIu64 ", "
	       "\"generator_errors\": %" PRIu64 ", ",
		ns > 1 ? (double)(smp[ns - 1].fwd - smp[0].fwd) * (double)hz /
				 (double)(smp[ns - 1].tsc - smp[0].tsc) / 1e6
		       : 0.0,
		ns > 1 ? (double)(smp[ns - 1].busy - smp[0].busy) /
				 (double)(smp[ns - 1].tsc - smp[0].tsc)
		       : 0.0,
		st.fwd_pkts, hit, checked, bad, st.tx_drop, gen_errors);
	{
		/* every counter sluice has, from its own list: new drop reasons count too */
		uint64_t drops = 0;
		const char *sep = "";

#define BENCH_DROPS(name, desc)                                                                    \
	if (strncmp(#name, "drop_", 5) == 0)                                                       \
		drops += st.name;
		DP_STATS_LIST(BENCH_DROPS)
#undef BENCH_DROPS
		printf("\"drops\": %" PRIu64 ", \"stats\": {", drops);
#define BENCH_STAT(name, desc)                                                                     \
	if (st.name != 0) {                                                                        \
		printf("%s\"%s\": %" PRIu64, sep, #name, st.name);                                 \
		sep = ", ";                                                                        \
	}
		DP_STATS_LIST(BENCH_STAT)
#undef BENCH_STAT
		printf("}}\n");
	}
	if (ring_tap != NULL) {
		struct rte_mbuf *pk[64];

		while ((n = rte_ring_dequeue_burst(ring_tap, (void **)pk, 64, NULL)) > 0)
			rte_pktmbuf_free_bulk(pk, n);
	}

	dp_fini();
	rte_ring_free(ring_in);
	rte_ring_free(ring_out);
	rte_ring_free(ring_tap);
	if (rewrite) {
		/* the workers are gone: the contexts are ours again */
		for (i = 0; i < dp_conf.flows_per_worker; i++) {
			srtp_ctx_free(ctx_in[i]);
			srtp_ctx_free(ctx_out[i]);
			srtp_ctx_free(ctx_gen[i]);
		}
		free(ctx_in);
		free(ctx_out);
		free(ctx_gen);
		free(gen_seq);
	}
	rte_eal_cleanup();
	remove_rundir();
	free(cpp);
	free(smp);
	free(burst_samples);
	free(sa);
	free(sb);
	free(perm);
	return bad == 0 ? 0 : 3;
}
