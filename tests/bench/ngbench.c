/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sl_ngbench: ng control-plane load, as Kamailio's rtpengine module sends it
 * (bencode over UDP, cookie per request, offer/answer/delete with
 * replace=origin, flags=trust-address, direction=FROM,TO).
 *
 *   sl_ngbench --ns NS [--ng IP:PORT] --calls N [--window W] --mode cycle|setup|delete
 *              [--id PREFIX] [--dirs a:b[,a2:b2...]] [--a IP,PORT0,K] [--b IP,PORT0,K]
 *              [--plan FILE] [--timeout-ms MS] [--retries R] [--max-seconds S]
 *              [--rate CALLS_PER_S] [--cpu N]
 *
 * cycle   offer + answer + delete for each call
 * setup   offer + answer; with --plan, writes the relay ports of every call
 *         in sl_loadgen's plan format (IA RELAY_A_IP RELAY_A_PORT IB ...)
 * delete  delete each call
 *
 * W calls are in flight at once (Kamailio's worker processes); each call's
 * requests are sequential. With --rate, calls start on a fixed schedule (open
 * loop, W only bounds what may be outstanding): latency at a given load. Call i uses direction pair
 * i % pairs, SDP address a.IP port a.PORT0 + 2 * (i % a.K) (and likewise for b). A request that
 * gets no reply within --timeout-ms is resent with the same cookie (as
 * Kamailio does) --retries times, then the call counts as failed.
 * Output: one JSON object on stdout with rates and per-command latency.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_PAIRS 16
#define MAX_DGRAM 65536
#define MAX_WINDOW 1024

enum step { ST_OFFER = 0, ST_ANSWER, ST_DELETE, ST_DONE };
static const char *const step_name[] = {"offer", "answer", "delete"};

struct side {
	char ip[64];
	unsigned port0, k;
};

struct call {
	unsigned idx;
	enum step step;
	unsigned attempt;
	uint64_t t_first, t_last;
	char relay_a[64], relay_b[64];
	unsigned port_a, port_b;
};

static struct {
	const char *ns, *mode, *id, *plan;
	struct sockaddr_in ng;
	unsigned calls, window, timeout_ms, retries;
	double max_seconds;
	double rate; /* calls started per second (open loop); 0 = closed loop */
	unsigned n_pairs;
	char dir_a[MAX_PAIRS][32], dir_b[MAX_PAIRS][32];
	struct side a, b;
	int cpu;
} opt = {.mode = "cycle",
	.id = "bench",
	.calls = 1000,
	.window = 16,
	.timeout_ms = 2000,
	.retries = 2,
	.max_seconds = 600,
	.cpu = -1};

static int sock = -1;
static uint32_t *lat[3];
static unsigned n_lat[3];
static unsigned ok_calls, failed_calls, retransmits;
static char first_error[256];
static FILE *plan_f;
static uint64_t t_start;
static unsigned cookie_tag; /* unique per run: relays replay replies to a known cookie */

static void
die(const char *what)
{
	fprintf(stderr, "sl_ngbench: %s: %s\n", what, errno ? strerror(errno) : "error");
	exit(1);
}

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ---- bencode ---- */

struct buf {
	char *p;
	size_t len, cap;
};

static void
b_raw(struct buf *b, const char *s, size_t n)
{
	if (b->len + n > b->cap) {
		errno = ENOSPC;
		die("request too big");
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void
b_str(struct buf *b, const char *s)
{
	char hdr[16];
	size_t n = strlen(s);

	b_raw(b, hdr, (size_t)snprintf(hdr, sizeof(hdr), "%zu:", n));
	b_raw(b, s, n);
}

/* skip one bencode value at *p (< end); @return false on malformed input */
static bool
b_skip(const char **p, const char *end)
{
	const char *q = *p;

	if (q >= end)
		return false;
	if (*q == 'i') {
		q = memchr(q, 'e', (size_t)(end - q));
		if (q == NULL)
			return false;
		*p = q + 1;
		return true;
	}
	if (*q == 'l' || *q == 'd') {
		q++;
		while (q < end && *q != 'e')
			if (!b_skip(&q, end))
				return false;
		if (q >= end)
			return false;
		*p = q + 1;
		return true;
	}
	if (*q >= '0' && *q <= '9') {
		size_t n = 0;

		while (q < end && *q >= '0' && *q <= '9')
			n = n * 10 + (size_t)(*q++ - '0');
		if (q >= end || *q != ':' || (size_t)(end - q - 1) < n)
			return false;
		*p = q + 1 + n;
		return true;
	}
	return false;
}

/* string value of @p key in the top-level dictionary [p, end) */
static bool
b_dict_str(const char *p, const char *end, const char *key, const char **val, size_t *vlen)
{
	size_t klen = strlen(key);

	if (p >= end || *p != 'd')
		return false;
	p++;
	while (p < end && *p != 'e') {
		const char *k = p, *colon;
		size_t n = 0;

		while (p < end && *p >= '0' && *p <= '9')
			n = n * 10 + (size_t)(*p++ - '0');
		if (p >= end || *p != ':')
			return false;
		colon = p;
		p = colon + 1 + n;
		(void)k;
		if (p > end)
			return false;
		if (n == klen && memcmp(colon + 1, key, klen) == 0) {
			const char *v = p;
			size_t m = 0;

			if (!(*v >= '0' && *v <= '9'))
				return false;
			while (v < end && *v >= '0' && *v <= '9')
				m = m * 10 + (size_t)(*v++ - '0');
			if (v >= end || *v != ':' || (size_t)(end - v - 1) < m)
				return false;
			*val = v + 1;
			*vlen = m;
			return true;
		}
		if (!b_skip(&p, end))
			return false;
	}
	return false;
}

/* ---- requests ---- */

static void
sdp_for(char *out, size_t cap, const struct side *s, unsigned i, unsigned sess)
{
	unsigned port = s->port0 + 2 * (i % s->k);

	snprintf(out, cap,
		"v=0\r\n"
		"o=- %u 1 IN IP4 %s\r\n"
		"s=sluice-bench\r\n"
		"c=IN IP4 %s\r\n"
		"t=0 0\r\n"
		"m=audio %u RTP/AVP 0 8 101\r\n"
		"a=rtpmap:0 PCMU/8000\r\n"
		"a=rtpmap:8 PCMA/8000\r\n"
		"a=rtpmap:101 telephone-event/8000\r\n"
		"a=fmtp:101 0-16\r\n"
		"a=ptime:20\r\n"
		"a=sendrecv\r\n",
		sess, s->ip, s->ip, port);
}

static void
send_req(struct call *c)
{
	static char req[MAX_DGRAM];
	char sdp[1024], cid[96], ftag[64], ttag[64], cookie[64];
	unsigned pair = c->idx % opt.n_pairs;
	struct buf b = {req, 0, sizeof(req)};

	snprintf(cookie, sizeof(cookie), "%x_%u_%u_%u ", cookie_tag, c->idx, (unsigned)c->step,
		c->attempt);
	snprintf(cid, sizeof(cid), "%s-%u", opt.id, c->idx);
	snprintf(ftag, sizeof(ftag), "ft%u", c->idx);
	snprintf(ttag, sizeof(ttag), "tt%u", c->idx);
	b_raw(&b, cookie, strlen(cookie));
	/* keys in sorted order, as bencode wants */
	b_raw(&b, "d", 1);
	b_str(&b, "call-id");
	b_str(&b, cid);
	b_str(&b, "command");
	b_str(&b, step_name[c->step]);
	if (c->step != ST_DELETE) {
		b_str(&b, "direction");
		b_raw(&b, "l", 1);
		b_str(&b, opt.dir_a[pair]);
		b_str(&b, opt.dir_b[pair]);
		b_raw(&b, "e", 1);
		b_str(&b, "flags");
		b_raw(&b, "l", 1);
		b_str(&b, "trust-address");
		b_raw(&b, "e", 1);
	}
	b_str(&b, "from-tag");
	b_str(&b, ftag);
	if (c->step != ST_DELETE) {
		b_str(&b, "replace");
		b_raw(&b, "l", 1);
		b_str(&b, "origin");
		b_raw(&b, "e", 1);
		sdp_for(sdp, sizeof(sdp), c->step == ST_OFFER ? &opt.a : &opt.b, c->idx,
			c->idx * 2 + (unsigned)c->step);
		b_str(&b, "sdp");
		b_str(&b, sdp);
	}
	if (c->step == ST_ANSWER) {
		b_str(&b, "to-tag");
		b_str(&b, ttag);
	}
	b_raw(&b, "e", 1);
	if (send(sock, req, b.len, 0) < 0 && errno != EAGAIN && errno != ENOBUFS)
		die("send");
	c->t_last = now_us();
	if (c->attempt == 0)
		c->t_first = c->t_last;
}

/* c= address and first m= port of an SDP */
static bool
sdp_endpoint(const char *s, size_t n, char *ip, size_t ipcap, unsigned *port)
{
	const char *end = s + n, *p;
	bool have_ip = false, have_port = false;

	for (p = s; p < end;) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t l = (size_t)((eol ? eol : end) - p);

		if (l > 9 && memcmp(p, "c=IN IP4 ", 9) == 0 && !have_ip) {
			size_t k = 0;

			while (9 + k < l && k + 1 < ipcap && p[9 + k] != '\r' && p[9 + k] != ' ')
				k++;
			memcpy(ip, p + 9, k);
			ip[k] = '\0';
			have_ip = true;
		} else if (l > 8 && memcmp(p, "m=audio ", 8) == 0 && !have_port) {
			*port = (unsigned)strtoul(p + 8, NULL, 10);
			have_port = true;
		}
		p = eol ? eol + 1 : end;
	}
	return have_ip && have_port;
}

static void
call_fail(struct call *c, const char *why, size_t n)
{
	if (first_error[0] == '\0')
		snprintf(first_error, sizeof(first_error), "%s-%u %s: %.*s", opt.id, c->idx,
			step_name[c->step], (int)n, why);
	failed_calls++;
	c->step = ST_DONE;
}

static void
next_step(struct call *c)
{
	bool setup = strcmp(opt.mode, "setup") == 0;

	c->attempt = 0;
	if (c->step == ST_OFFER)
		c->step = ST_ANSWER;
	else if (c->step == ST_ANSWER && !setup)
		c->step = ST_DELETE;
	else
		c->step = ST_DONE;
	if (c->step == ST_DONE) {
		ok_calls++;
		if (plan_f != NULL)
			fprintf(plan_f, "%u %s %u %u %s %u\n", c->idx % opt.a.k, c->relay_a,
				c->port_a, c->idx % opt.b.k, c->relay_b, c->port_b);
		return;
	}
	send_req(c);
}

static void
on_reply(struct call *slots, unsigned nslots, const char *d, size_t n)
{
	const char *sp = memchr(d, ' ', n), *body, *end = d + n, *v;
	unsigned tag, idx, step, attempt, i;
	size_t vlen;
	struct call *c = NULL;
	uint64_t t = now_us();

	if (sp == NULL || sscanf(d, "%x_%u_%u_%u", &tag, &idx, &step, &attempt) != 4 ||
		tag != cookie_tag)
		return;
	for (i = 0; i < nslots; i++)
		if (slots[i].step != ST_DONE && slots[i].idx == idx &&
			(unsigned)slots[i].step == step)
			c = &slots[i];
	if (c == NULL)
		return; /* a late reply to a retransmission */
	body = sp + 1;
	if (!b_dict_str(body, end, "result", &v, &vlen)) {
		call_fail(c, "no result", 9);
		return;
	}
	if (vlen != 2 || memcmp(v, "ok", 2) != 0) {
		const char *r;
		size_t rl;

		if (b_dict_str(body, end, "error-reason", &r, &rl))
			call_fail(c, r, rl);
		else
			call_fail(c, v, vlen);
		return;
	}
	if (n_lat[c->step] < opt.calls)
		lat[c->step][n_lat[c->step]++] = (uint32_t)(t - c->t_first);
	if (c->step != ST_DELETE) {
		char ip[64];
		unsigned port = 0;

		if (!b_dict_str(body, end, "sdp", &v, &vlen) ||
			!sdp_endpoint(v, vlen, ip, sizeof(ip), &port)) {
			call_fail(c, "no SDP endpoint in the reply", 28);
			return;
		}
		/* the offer's SDP goes to b (b sends there), the answer's to a */
		if (c->step == ST_OFFER) {
			snprintf(c->relay_b, sizeof(c->relay_b), "%s", ip);
			c->port_b = port;
		} else {
			snprintf(c->relay_a, sizeof(c->relay_a), "%s", ip);
			c->port_a = port;
		}
	}
	next_step(c);
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

static void
print_lat(const char *name, uint32_t *v, unsigned n, bool comma)
{
	qsort(v, n, sizeof(*v), cmp_u32);
	printf("\"%s\": {\"n\": %u, \"p50\": %u, \"p90\": %u, \"p99\": %u, \"max\": %u}%s", name, n,
		n ? v[(n - 1) / 2] : 0, n ? v[(unsigned)((n - 1) * 0.9)] : 0,
		n ? v[(unsigned)((n - 1) * 0.99)] : 0, n ? v[n - 1] : 0, comma ? ", " : "");
}

static void
parse_side(struct side *s, char *arg)
{
	char *ip = strtok(arg, ","), *p0 = strtok(NULL, ","), *k = strtok(NULL, ",");

	if (ip == NULL || p0 == NULL || k == NULL) {
		errno = EINVAL;
		die("--a/--b want IP,PORT0,K");
	}
	snprintf(s->ip, sizeof(s->ip), "%s", ip);
	s->port0 = (unsigned)atoi(p0);
	s->k = (unsigned)atoi(k);
	if (s->k == 0) {
		errno = EINVAL;
		die("K must be > 0");
	}
}

static void
parse_dirs(char *arg)
{
	char *save = NULL, *tok;

	opt.n_pairs = 0;
	for (tok = strtok_r(arg, ",", &save); tok != NULL && opt.n_pairs < MAX_PAIRS;
		tok = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(tok, ':');

		if (colon == NULL) {
			errno = EINVAL;
			die("--dirs wants FROM:TO[,FROM:TO...]");
		}
		*colon = '\0';
		snprintf(opt.dir_a[opt.n_pairs], sizeof(opt.dir_a[0]), "%s", tok);
		snprintf(opt.dir_b[opt.n_pairs], sizeof(opt.dir_b[0]), "%s", colon + 1);
		opt.n_pairs++;
	}
}

static void
enter_netns(const char *ns)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "/var/run/netns/%s", ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
		die(path);
	close(fd);
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {{"ns", required_argument, NULL, 'n'},
		{"ng", required_argument, NULL, 'g'}, {"calls", required_argument, NULL, 'c'},
		{"window", required_argument, NULL, 'w'}, {"mode", required_argument, NULL, 'm'},
		{"id", required_argument, NULL, 'i'}, {"dirs", required_argument, NULL, 'd'},
		{"a", required_argument, NULL, 'a'}, {"b", required_argument, NULL, 'b'},
		{"plan", required_argument, NULL, 'p'},
		{"timeout-ms", required_argument, NULL, 't'},
		{"retries", required_argument, NULL, 'r'},
		{"max-seconds", required_argument, NULL, 'x'},
		{"cpu", required_argument, NULL, 'C'}, {"rate", required_argument, NULL, 'R'},
		{NULL, 0, NULL, 0}};
	static char rx[MAX_DGRAM + 1];
	char dirs_default[] = "a:b", a_default[] = "198.18.1.10,20000,1",
	     b_default[] = "198.18.2.10,20000,1", ng_default[] = "127.0.0.1:2223";
	char *ng_arg = ng_default;
	struct call *slots;
	unsigned next = 0, active = 0, i, nslots;
	int c, sz = 8 << 20;
	bool have_a = false, have_b = false, have_dirs = false;
	double elapsed;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'n':
			opt.ns = optarg;
			break;
		case 'g':
			ng_arg = optarg;
			break;
		case 'c':
			opt.calls = (unsigned)strtoul(optarg, NULL, 0);
			break;
		case 'w':
			opt.window = (unsigned)strtoul(optarg, NULL, 0);
			break;
		case 'm':
			opt.mode = optarg;
			break;
		case 'i':
			opt.id = optarg;
			break;
		case 'd':
			parse_dirs(optarg);
			have_dirs = true;
			break;
		case 'a':
			parse_side(&opt.a, optarg);
			have_a = true;
			break;
		case 'b':
			parse_side(&opt.b, optarg);
			have_b = true;
			break;
		case 'p':
			opt.plan = optarg;
			break;
		case 't':
			opt.timeout_ms = (unsigned)strtoul(optarg, NULL, 0);
			break;
		case 'r':
			opt.retries = (unsigned)strtoul(optarg, NULL, 0);
			break;
		case 'x':
			opt.max_seconds = atof(optarg);
			break;
		case 'C':
			opt.cpu = atoi(optarg);
			break;
		case 'R':
			opt.rate = atof(optarg);
			break;
		default:
			fprintf(stderr, "see the comment at the top of tests/bench/ngbench.c\n");
			return 2;
		}
	}
	if (!have_dirs)
		parse_dirs(dirs_default);
	if (!have_a)
		parse_side(&opt.a, a_default);
	if (!have_b)
		parse_side(&opt.b, b_default);
	{
		char *colon = strrchr(ng_arg, ':');

		if (colon == NULL) {
			errno = EINVAL;
			die("--ng wants IP:PORT");
		}
		*colon = '\0';
		opt.ng.sin_family = AF_INET;
		opt.ng.sin_port = htons((uint16_t)atoi(colon + 1));
		if (inet_pton(AF_INET, ng_arg, &opt.ng.sin_addr) != 1) {
			errno = EINVAL;
			die("--ng address");
		}
	}
	if (strcmp(opt.mode, "cycle") != 0 && strcmp(opt.mode, "setup") != 0 &&
		strcmp(opt.mode, "delete") != 0) {
		errno = EINVAL;
		die("--mode cycle|setup|delete");
	}
	if (opt.calls == 0 || opt.window == 0 || opt.window > MAX_WINDOW || opt.max_seconds <= 0 ||
		opt.max_seconds > 3600) {
		errno = EINVAL;
		die("--calls > 0, --window 1..1024, --max-seconds 0..3600");
	}
	if (opt.cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(opt.cpu, &set);
		sched_setaffinity(0, sizeof(set), &set);
	}
	if (opt.ns != NULL)
		enter_netns(opt.ns);
	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		die("socket");
	if (setsockopt(sock, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
		setsockopt(sock, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (connect(sock, (struct sockaddr *)&opt.ng, sizeof(opt.ng)) < 0)
		die("connect");
	if (opt.plan != NULL) {
		plan_f = fopen(opt.plan, "w");
		if (plan_f == NULL)
			die(opt.plan);
	}
	for (i = 0; i < 3; i++) {
		lat[i] = calloc(opt.calls, sizeof(uint32_t));
		if (lat[i] == NULL)
			die("memory");
	}
	nslots = opt.window < opt.calls ? opt.window : opt.calls;
	slots = calloc(nslots, sizeof(*slots));
	for (i = 0; i < nslots; i++)
		slots[i].step = ST_DONE;

	t_start = now_us();
	cookie_tag = (unsigned)(t_start ^ ((uint64_t)getpid() << 20)) & 0x7fffffffu;
	while (ok_calls + failed_calls < opt.calls) {
		uint64_t t = now_us();
		struct pollfd pfd = {.fd = sock, .events = POLLIN};
		ssize_t n;

		if ((double)(t - t_start) > opt.max_seconds * 1e6) {
			if (first_error[0] == '\0')
				snprintf(first_error, sizeof(first_error),
					"stopped after --max-seconds");
			break;
		}
		/* fill the window (open loop: only calls whose start time has come) */
		active = 0;
		for (i = 0; i < nslots; i++) {
			struct call *s = &slots[i];

			if (s->step == ST_DONE && next < opt.calls &&
				(opt.rate <= 0 ||
					t >= t_start + (uint64_t)(next * 1e6 / opt.rate))) {
				memset(s, 0, sizeof(*s));
				s->idx = next++;
				s->step = strcmp(opt.mode, "delete") == 0 ? ST_DELETE : ST_OFFER;
				send_req(s);
			} else if (s->step != ST_DONE &&
				   t - s->t_last > (uint64_t)opt.timeout_ms * 1000u) {
				if (s->attempt >= opt.retries) {
					call_fail(s, "timeout", 7);
					continue;
				}
				s->attempt++;
				retransmits++;
				send_req(s);
			}
			active += s->step != ST_DONE;
		}
		{
			/* sleep until a reply, a retransmission or the next paced start */
			struct timespec to = {0, 10000000};

			if (opt.rate > 0 && next < opt.calls) {
				uint64_t due = t_start + (uint64_t)(next * 1e6 / opt.rate),
					 t2 = now_us();

				to.tv_nsec = due > t2 ? (long)(due - t2) * 1000 : 0;
				if (to.tv_nsec > 10000000)
					to.tv_nsec = 10000000;
			} else if (active == 0) {
				continue;
			}
			if (ppoll(&pfd, 1, &to, NULL) <= 0)
				continue;
		}
		/* bounded: at most 256 datagrams before the window is refilled */
		for (i = 0; i < 256; i++) {
			n = recv(sock, rx, MAX_DGRAM, MSG_DONTWAIT);
			if (n <= 0)
				break;
			rx[n] = '\0';
			on_reply(slots, nslots, rx, (size_t)n);
		}
	}
	elapsed = (double)(now_us() - t_start) / 1e6;
	if (plan_f != NULL)
		fclose(plan_f);

	printf("{\"mode\": \"%s\", \"rate\": %.0f, \"calls\": %u, \"window\": %u, \"ok\": %u, "
	       "\"failed\": %u, "
	       "\"retransmits\": %u, \"seconds\": %.3f, \"calls_per_s\": %.1f, "
	       "\"requests_per_s\": %.1f, \"first_error\": \"",
		opt.mode, opt.rate, opt.calls, opt.window, ok_calls, failed_calls, retransmits,
		elapsed, elapsed > 0 ? ok_calls / elapsed : 0,
		elapsed > 0 ? (n_lat[0] + n_lat[1] + n_lat[2]) / elapsed : 0);
	for (i = 0; first_error[i] != '\0'; i++)
		if (first_error[i] != '"' && first_error[i] != '\\' &&
			(unsigned char)first_error[i] >= 32)
			putchar(first_error[i]);
	printf("\", \"lat_us\": {");
	{
		unsigned nall = n_lat[0] + n_lat[1] + n_lat[2], k = 0;
		uint32_t *all = calloc(nall + 1, sizeof(uint32_t));

		for (i = 0; i < 3; i++) {
			memcpy(all + k, lat[i], n_lat[i] * sizeof(uint32_t));
			k += n_lat[i];
		}
		for (i = 0; i < 3; i++)
			print_lat(step_name[i], lat[i], n_lat[i], true);
		print_lat("all", all, nall, false);
		free(all);
	}
	printf("}}\n");
	return failed_calls == 0 ? 0 : 1;
}
