/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sl_loadgen: paced RTP load through a relay, both directions of every call,
 * with loss and one-way latency.
 *
 *   sl_loadgen --a NS,IP,PORT0,K --b NS,IP,PORT0,K --plan FILE --rate PPS
 *              [--seconds S] [--warmup S] [--drain-ms MS] [--batch N] [--cpu N]
 *
 * Side a and side b each get K UDP sockets (ports PORT0, PORT0+2, ...) in
 * their network namespace (setns, so the generator is one process on one
 * CPU). Each plan line is one call:
 *
 *   IA RELAY_A_IP RELAY_A_PORT IB RELAY_B_IP RELAY_B_PORT
 *
 * a's socket IA sends to the relay port the relay gave side a (RELAY_A) and
 * the relay forwards to b's socket IB, and the other way round. Calls share
 * the K sockets of a side (their SDP said so), so every call still has its
 * own relay ports: the relay keeps per-call state for all of them.
 *
 * RATE is the total offered rate (packets per second over both directions),
 * spread evenly over the 2 x calls streams on an absolute schedule, sent in
 * sendmmsg batches. Frames carry a 172-byte RTP packet (12-byte header +
 * 160 bytes) whose payload holds a magic, the stream, a sequence number and
 * the CLOCK_MONOTONIC send time; the receiver (same process, recvmmsg)
 * computes one-way latency into a 1 us histogram. Packets sent during the
 * warm-up (endpoint learning, caches) are marked and not counted; after the
 * last send the receiver drains for --drain-ms.
 *
 * Every loop is bounded: --seconds <= 120, --warmup <= 30, drain <= 5 s.
 * Output: one JSON object on stdout.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RTP_LEN 172
#define MAGIC 0x534c4231u /* "SLB1" */
#define MAX_BATCH 64
#define HIST_US 100000 /* 1 us buckets up to 100 ms */
#define MAX_SOCKS 4096

struct side {
	const char *ns;
	struct in_addr ip;
	unsigned port0, k;
	int fd[MAX_SOCKS];
};

struct stream {
	uint32_t id;
	int fd;			/* source socket */
	struct sockaddr_in dst; /* relay port */
	uint16_t seq;
	uint32_t ts;
};

/* payload after the 12-byte RTP header */
struct stamp {
	uint32_t magic;
	uint32_t stream;
	uint64_t seq;
	uint64_t tx_ns;
	uint32_t measured; /* 0 during warm-up */
};

static struct {
	struct side a, b;
	const char *plan;
	double rate, seconds, warmup;
	unsigned drain_ms, batch;
	int cpu;
} opt = {.seconds = 2.0, .warmup = 0.5, .drain_ms = 300, .batch = 32, .cpu = -1};

static struct stream *streams;
static unsigned n_streams;
static uint32_t *hist;
static uint64_t hist_over, rx_meas, rx_warm, rx_invalid, lat_max_ns, lat_sum_ns;

static void
die(const char *what)
{
	fprintf(stderr, "sl_loadgen: %s: %s\n", what, errno ? strerror(errno) : "error");
	exit(1);
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
parse_side(struct side *s, char *arg)
{
	char *ns = strtok(arg, ","), *ip = strtok(NULL, ","), *p0 = strtok(NULL, ","),
	     *k = strtok(NULL, ",");

	if (ns == NULL || ip == NULL || p0 == NULL || k == NULL ||
		inet_pton(AF_INET, ip, &s->ip) != 1) {
		errno = EINVAL;
		die("--a/--b want NS,IP,PORT0,K");
	}
	s->ns = ns;
	s->port0 = (unsigned)atoi(p0);
	s->k = (unsigned)atoi(k);
	if (s->k == 0 || s->k > MAX_SOCKS || s->port0 + 2 * s->k > 65535) {
		errno = EINVAL;
		die("bad K or PORT0");
	}
}

/* K sockets bound in netns @p s->ns (the process returns to its own netns) */
static void
open_side(struct side *s)
{
	char path[256];
	int self, nsfd, sz = 8 << 20, one = 1;
	unsigned i;

	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "/var/run/netns/%s", s->ns);
	nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (self < 0 || nsfd < 0)
		die(path);
	if (setns(nsfd, CLONE_NEWNET) < 0)
		die("setns");
	for (i = 0; i < s->k; i++) {
		struct sockaddr_in sa = {.sin_family = AF_INET,
			.sin_addr = s->ip,
			.sin_port = htons((uint16_t)(s->port0 + 2 * i))};
		int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

		if (fd < 0)
			die("socket");
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
		if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) < 0)
			setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			die("bind");
		s->fd[i] = fd;
	}
	if (setns(self, CLONE_NEWNET) < 0)
		die("setns back");
	close(nsfd);
	close(self);
}

static int
cmp_stream(const void *x, const void *y)
{
	const struct stream *a = x, *b = y;

	if (a->fd != b->fd)
		return a->fd < b->fd ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

static void
read_plan(void)
{
	FILE *f = fopen(opt.plan, "r");
	char ipa[64], ipb[64];
	unsigned ia, ib, pa, pb, cap = 1024;

	if (f == NULL)
		die(opt.plan);
	streams = malloc(cap * sizeof(*streams));
	while (fscanf(f, "%u %63s %u %u %63s %u", &ia, ipa, &pa, &ib, ipb, &pb) == 6) {
		struct stream *s;

		if (ia >= opt.a.k || ib >= opt.b.k) {
			errno = EINVAL;
			die("plan: socket index out of range");
		}
		if (n_streams + 2 > cap) {
			cap *= 2;
			streams = realloc(streams, cap * sizeof(*streams));
		}
		if (streams == NULL)
			die("memory");
		/* a -> relay(a side) -> b */
		s = &streams[n_streams];
		memset(s, 0, sizeof(*s));
		s->id = n_streams++;
		s->fd = opt.a.fd[ia];
		s->dst.sin_family = AF_INET;
		s->dst.sin_port = htons((uint16_t)pa);
		if (inet_pton(AF_INET, ipa, &s->dst.sin_addr) != 1)
			die("plan: address");
		/* b -> relay(b side) -> a */
		s = &streams[n_streams];
		memset(s, 0, sizeof(*s));
		s->id = n_streams++;
		s->fd = opt.b.fd[ib];
		s->dst.sin_family = AF_INET;
		s->dst.sin_port = htons((uint16_t)pb);
		if (inet_pton(AF_INET, ipb, &s->dst.sin_addr) != 1)
			die("plan: address");
	}
	fclose(f);
	if (n_streams == 0) {
		errno = EINVAL;
		die("plan: no calls");
	}
	/* group by source socket so that one sendmmsg carries many streams */
	qsort(streams, n_streams, sizeof(*streams), cmp_stream);
}

static void
record(const uint8_t *buf, ssize_t len, uint64_t rx_ns)
{
	struct stamp st;
	uint64_t lat;

	if (len != RTP_LEN) {
		rx_invalid++;
		return;
	}
	memcpy(&st, buf + 12, sizeof(st));
	if (st.magic != MAGIC || st.stream >= n_streams) {
		rx_invalid++;
		return;
	}
	if (!st.measured) {
		rx_warm++;
		return;
	}
	rx_meas++;
	lat = rx_ns > st.tx_ns ? rx_ns - st.tx_ns : 0;
	lat_sum_ns += lat;
	if (lat > lat_max_ns)
		lat_max_ns = lat;
	if (lat / 1000 < HIST_US)
		hist[lat / 1000]++;
	else
		hist_over++;
}

/* drain every ready socket; @p timeout_ns < 0: do not wait */
static void
receive(int ep, int64_t timeout_ns)
{
	static uint8_t bufs[MAX_BATCH][RTP_LEN + 64];
	struct mmsghdr mm[MAX_BATCH];
	struct iovec iov[MAX_BATCH];
	struct epoll_event ev[64];
	struct timespec to;
	int n, i, j, r;
	uint64_t t;

	to.tv_sec = timeout_ns > 0 ? timeout_ns / 1000000000 : 0;
	to.tv_nsec = timeout_ns > 0 ? timeout_ns % 1000000000 : 0;
	n = epoll_pwait2(ep, ev, 64, &to, NULL);
	for (i = 0; i < n; i++) {
		for (j = 0; j < MAX_BATCH; j++) {
			iov[j].iov_base = bufs[j];
			iov[j].iov_len = sizeof(bufs[j]);
			memset(&mm[j].msg_hdr, 0, sizeof(mm[j].msg_hdr));
			mm[j].msg_hdr.msg_iov = &iov[j];
			mm[j].msg_hdr.msg_iovlen = 1;
		}
		/* bounded: at most 16 batches per socket per call */
		for (r = 0; r < 16; r++) {
			int got = recvmmsg(ev[i].data.fd, mm, MAX_BATCH, MSG_DONTWAIT, NULL);

			if (got <= 0)
				break;
			t = now_ns();
			for (j = 0; j < got; j++)
				record(bufs[j], (ssize_t)mm[j].msg_len, t);
			if (got < MAX_BATCH)
				break;
		}
	}
}

static uint64_t
pct(double p, uint64_t total)
{
	uint64_t want = (uint64_t)(p * (double)total), acc = 0;
	unsigned i;

	if (total == 0)
		return 0;
	for (i = 0; i < HIST_US; i++) {
		acc += hist[i];
		if (acc > want)
			return i;
	}
	return HIST_US;
}

static void
usage(void)
{
	fprintf(stderr,
		"usage: sl_loadgen --a NS,IP,PORT0,K --b NS,IP,PORT0,K --plan FILE "
		"--rate PPS [--seconds S] [--warmup S] [--drain-ms MS] [--batch N] [--cpu N]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {{"a", required_argument, NULL, 'a'},
		{"b", required_argument, NULL, 'b'}, {"plan", required_argument, NULL, 'p'},
		{"rate", required_argument, NULL, 'r'}, {"seconds", required_argument, NULL, 's'},
		{"warmup", required_argument, NULL, 'w'},
		{"drain-ms", required_argument, NULL, 'd'}, {"batch", required_argument, NULL, 'B'},
		{"cpu", required_argument, NULL, 'c'}, {NULL, 0, NULL, 0}};
	static uint8_t pkts[MAX_BATCH][RTP_LEN];
	struct mmsghdr mm[MAX_BATCH];
	struct iovec iov[MAX_BATCH];
	struct rlimit rl = {65536, 65536};
	uint64_t t0, t_meas, t_end, now, sent = 0, sent_meas = 0, send_err = 0, batches = 0;
	uint64_t t_meas_real = 0;
	unsigned cursor = 0, i;
	int c, ep;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'a':
			parse_side(&opt.a, optarg);
			break;
		case 'b':
			parse_side(&opt.b, optarg);
			break;
		case 'p':
			opt.plan = optarg;
			break;
		case 'r':
			opt.rate = atof(optarg);
			break;
		case 's':
			opt.seconds = atof(optarg);
			break;
		case 'w':
			opt.warmup = atof(optarg);
			break;
		case 'd':
			opt.drain_ms = (unsigned)atoi(optarg);
			break;
		case 'B':
			opt.batch = (unsigned)atoi(optarg);
			break;
		case 'c':
			opt.cpu = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (opt.a.ns == NULL || opt.b.ns == NULL || opt.plan == NULL || opt.rate <= 0 ||
		opt.seconds <= 0 || opt.seconds > 120 || opt.warmup < 0 || opt.warmup > 30 ||
		opt.drain_ms > 5000 || opt.batch == 0 || opt.batch > MAX_BATCH)
		usage();
	setrlimit(RLIMIT_NOFILE, &rl);
	if (opt.cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(opt.cpu, &set);
		sched_setaffinity(0, sizeof(set), &set);
	}
	hist = calloc(HIST_US, sizeof(*hist));
	if (hist == NULL)
		die("memory");
	open_side(&opt.a);
	open_side(&opt.b);
	read_plan();

	ep = epoll_create1(EPOLL_CLOEXEC);
	for (i = 0; i < opt.a.k + opt.b.k; i++) {
		int fd = i < opt.a.k ? opt.a.fd[i] : opt.b.fd[i - opt.a.k];
		struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};

		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
			die("epoll_ctl");
	}
	for (i = 0; i < MAX_BATCH; i++) {
		memset(pkts[i], 0, RTP_LEN);
		pkts[i][0] = 0x80;
		pkts[i][1] = 0; /* PCMU */
		memset(pkts[i] + 12 + sizeof(struct stamp), 0xff,
			RTP_LEN - 12 - sizeof(struct stamp));
		iov[i].iov_base = pkts[i];
		iov[i].iov_len = RTP_LEN;
		memset(&mm[i].msg_hdr, 0, sizeof(mm[i].msg_hdr));
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
		mm[i].msg_hdr.msg_namelen = sizeof(struct sockaddr_in);
	}

	t0 = now_ns();
	t_meas = t0 + (uint64_t)(opt.warmup * 1e9);
	t_end = t_meas + (uint64_t)(opt.seconds * 1e9);
	while ((now = now_ns()) < t_end) {
		uint64_t due = (uint64_t)((double)(now - t0) * opt.rate / 1e9) + 1;
		bool meas = now >= t_meas;
		unsigned guard = 0;

		if (meas && t_meas_real == 0)
			t_meas_real = now;
		/* catch up, a bounded number of batches before receiving again */
		while (sent < due && guard++ < 64) {
			unsigned n = 0, want = (unsigned)(due - sent);
			int fd = streams[cursor].fd, r;

			if (want > opt.batch)
				want = opt.batch;
			while (n < want && streams[cursor].fd == fd) {
				struct stream *s = &streams[cursor];
				struct stamp st = {MAGIC, s->id, sent + n, now, meas};
				uint8_t *p = pkts[n];

				p[2] = (uint8_t)(s->seq >> 8);
				p[3] = (uint8_t)s->seq;
				p[4] = (uint8_t)(s->ts >> 24);
				p[5] = (uint8_t)(s->ts >> 16);
				p[6] = (uint8_t)(s->ts >> 8);
				p[7] = (uint8_t)s->ts;
				p[8] = (uint8_t)(s->id >> 24);
				p[9] = (uint8_t)(s->id >> 16);
				p[10] = (uint8_t)(s->id >> 8);
				p[11] = (uint8_t)s->id;
				memcpy(p + 12, &st, sizeof(st));
				s->seq++;
				s->ts += 160;
				mm[n].msg_hdr.msg_name = &s->dst;
				n++;
				cursor = (cursor + 1) % n_streams;
			}
			r = sendmmsg(fd, mm, n, 0);
			batches++;
			if (r < 0) {
				/* EAGAIN/ENOBUFS: the packets count as sent and lost */
				send_err += n;
				r = (int)n;
			} else if ((unsigned)r < n) {
				send_err += n - (unsigned)r;
			}
			sent += n;
			if (meas)
				sent_meas += n;
		}
		/* receive what is there; sleep until the next packet is due (max 200 us) */
		{
			double next_s = (double)(sent) / opt.rate;
			int64_t wait = (int64_t)(t0 + (uint64_t)(next_s * 1e9)) - (int64_t)now_ns();

			if (wait > 200000)
				wait = 200000;
			receive(ep, wait > 20000 ? wait : -1);
		}
	}
	/* drain */
	{
		uint64_t t_last = now_ns(), t_drain = t_last + (uint64_t)opt.drain_ms * 1000000u;

		while (now_ns() < t_drain)
			receive(ep, 1000000);
		now = t_last;
	}

	{
		double dur = (double)(now - (t_meas_real ? t_meas_real : t_meas)) / 1e9;
		uint64_t lost = sent_meas > rx_meas ? sent_meas - rx_meas : 0;
		uint64_t tot = rx_meas;

		printf("{\"target_pps\": %.0f, \"calls\": %u, \"streams\": %u, \"sockets\": %u, "
		       "\"seconds\": %.3f, \"sent\": %" PRIu64 ", \"sent_pps\": %.0f, "
		       "\"send_errors\": %" PRIu64 ", \"received\": %" PRIu64 ", \"lost\": %" PRIu64
		       ", \"loss_pct\": %.4f, \"invalid\": %" PRIu64 ", \"rx_warmup\": %" PRIu64
		       ", "
		       "\"fwd_pps\": %.0f, \"lat_us\": {\"p50\": %" PRIu64 ", \"p90\": %" PRIu64
		       ", \"p99\": %" PRIu64 ", \"p999\": %" PRIu64
		       ", \"max\": %.0f, \"mean\": %.1f}, "
		       "\"batches\": %" PRIu64 "}\n",
			opt.rate, n_streams / 2, n_streams, opt.a.k + opt.b.k, dur, sent_meas,
			dur > 0 ? (double)sent_meas / dur : 0, send_err, rx_meas, lost,
			sent_meas ? 100.0 * (double)lost / (double)sent_meas : 0, rx_invalid,
			rx_warm, dur > 0 ? (double)rx_meas / dur : 0, pct(0.5, tot), pct(0.9, tot),
			pct(0.99, tot), pct(0.999, tot), (double)lat_max_ns / 1000.0,
			tot ? (double)lat_sum_ns / (double)tot / 1000.0 : 0, batches);
	}
	return 0;
}
