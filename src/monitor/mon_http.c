/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Prometheus text exposition (GET /metrics) and GET /ping on --listen-http,
 * served from the control loop. Names follow rtpengine's where a metric
 * exists there (rtpengine_*), so dashboards that scrape rtpengine keep
 * working; what only sluice has is named sluice_* (docs in README).
 * Requests are tiny and answered at once; a connection that does not send a
 * complete request within its first read is closed.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "control/call.h"
#include "control/config.h"
#include "control/ctl.h"
#include "control/ng.h"
#include "control/ports.h"
#include "dataplane/dp.h"
#include "monitor/mon.h"
#include "record/rec.h"

struct mbuf_txt {
	char *p;
	size_t len, cap;
};

static int http_fd = -1;
static uint64_t start_mono;

static void
put(struct mbuf_txt *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
put(struct mbuf_txt *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if ((size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		{
			size_t ncap = b->cap * 2 + (size_t)n;
			char *np = realloc(b->p, ncap);

			if (np == NULL)
				return;
			b->p = np;
			b->cap = ncap;
		}
	}
}

static void
metric(struct mbuf_txt *b, const char *name, const char *type, const char *help)
{
	put(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static uint64_t
mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec;
}

/* the exposition; every family documented in README.md */
size_t
mon_metrics_text(char **out)
{
	static const char *const reasons[] = {"", "terminated", "timeout", "silent_timeout",
		"offer_timeout", "final_timeout", "force_terminated"};
	struct mbuf_txt b = {malloc(16384), 0, 16384};
	const struct calls_totals *t = &calls_totals;
	struct dp_stats ds;
	struct rec_stats rs;
	unsigned i, w;

	if (b.p == NULL)
		return 0;
	dp_stats_total(&ds);
	metric(&b, "rtpengine_uptime_seconds", "gauge", "Seconds since start.");
	put(&b, "rtpengine_uptime_seconds %llu\n", (unsigned long long)(mono_s() - start_mono));
	metric(&b, "rtpengine_sessions", "gauge", "Current calls.");
	put(&b, "rtpengine_sessions{type=\"own\"} %u\n", calls_count());
	put(&b, "rtpengine_sessions{type=\"foreign\"} 0\n");
	metric(&b, "rtpengine_sessions_total", "counter", "Calls created.");
	put(&b, "rtpengine_sessions_total %llu\n", (unsigned long long)t->managed);
	metric(&b, "rtpengine_closed_sessions_total", "counter", "Calls ended, by reason.");
	put(&b, "rtpengine_closed_sessions_total{reason=\"rejected\"} %llu\n",
		(unsigned long long)t->rejected);
	for (i = CALL_END_DELETE; i <= CALL_END_FORCED; i++)
		put(&b, "rtpengine_closed_sessions_total{reason=\"%s\"} %llu\n", reasons[i],
			(unsigned long long)t->ended[i]);
	metric(&b, "rtpengine_packets_total", "counter", "Packets relayed.");
	put(&b, "rtpengine_packets_total{type=\"userspace\"} %llu\n",
		(unsigned long long)ds.fwd_pkts);
	put(&b, "rtpengine_packets_total{type=\"kernel\"} 0\n");
	metric(&b, "rtpengine_bytes_total", "counter", "Payload bytes relayed.");
	put(&b, "rtpengine_bytes_total{type=\"userspace\"} %llu\n", (unsigned long long)ds.fwd_bytes);
	metric(&b, "rtpengine_errors_total", "counter", "Packets dropped on a call's socket.");
	put(&b, "rtpengine_errors_total{type=\"userspace\"} %llu\n",
		(unsigned long long)(ds.drop_strict + ds.drop_blackhole + ds.drop_no_dest +
			ds.drop_srtp_auth + ds.drop_srtp_replay + ds.drop_srtp_bad));
	metric(&b, "rtpengine_call_duration_total", "counter", "Seconds of ended calls.");
	put(&b, "rtpengine_call_duration_total %llu\n", (unsigned long long)t->total_duration_s);
	metric(&b, "rtpengine_requests_total", "counter", "ng requests by command.");
	for (i = 0; i < NG_CMD_COUNT; i++)
		put(&b, "rtpengine_requests_total{request=\"%s\"} %llu\n", ng_cmd_name(i),
			(unsigned long long)ng_counters.requests[i]);
	metric(&b, "rtpengine_ports_free", "gauge", "Free relay ports per local address.");
	for (i = 0; i < dp_conf.n_addrs; i++) {
		char ip[SL_ADDRSTRLEN];

		sl_ip_fmt(&dp_conf.addrs[i].ip, ip, sizeof(ip));
		put(&b, "rtpengine_ports_free{address=\"%s\"} %u\n", ip, ports_free_count(i) * 2);
	}
	metric(&b, "rtpengine_ports_used", "gauge", "Relay ports in use per local address.");
	for (i = 0; i < dp_conf.n_addrs; i++) {
		char ip[SL_ADDRSTRLEN];

		sl_ip_fmt(&dp_conf.addrs[i].ip, ip, sizeof(ip));
		put(&b, "rtpengine_ports_used{address=\"%s\"} %u\n", ip,
			(ports_total(i) - ports_free_count(i)) * 2);
	}

	/* sluice's own: every data-plane counter, per-lcore cycles, ng, recording */
	metric(&b, "sluice_dataplane_total", "counter",
		"Data-plane counters summed over workers (see dp_stats.h for each).");
#define MON_DP(name, desc) put(&b, "sluice_dataplane_total{counter=\"" #name "\"} %llu\n", \
		(unsigned long long)ds.name);
	DP_STATS_LIST(MON_DP)
#undef MON_DP
	metric(&b, "sluice_lcore_cycles_total", "counter", "Worker TSC cycles, busy or idle.");
	for (w = 0; w < dp_conf.n_workers; w++) {
		uint64_t busy, idle;

		dp_worker_cycles(w, &busy, &idle);
		put(&b, "sluice_lcore_cycles_total{lcore=\"%u\",state=\"busy\"} %llu\n",
			dp_conf.worker_lcore[w], (unsigned long long)busy);
		put(&b, "sluice_lcore_cycles_total{lcore=\"%u\",state=\"idle\"} %llu\n",
			dp_conf.worker_lcore[w], (unsigned long long)idle);
	}
	metric(&b, "sluice_ng_duplicates_total", "counter", "ng requests answered from the cookie cache.");
	put(&b, "sluice_ng_duplicates_total %llu\n", (unsigned long long)ng_counters.duplicates);
	metric(&b, "sluice_ng_malformed_total", "counter", "ng datagrams that could not be decoded.");
	put(&b, "sluice_ng_malformed_total %llu\n", (unsigned long long)ng_counters.malformed);
	metric(&b, "sluice_ng_denied_total", "counter",
		"ng datagrams dropped unanswered: source not in --ng-allow.");
	put(&b, "sluice_ng_denied_total %llu\n", (unsigned long long)ng_counters.denied);
	if (rec_enabled()) {
		rec_stats_get(&rs);
		metric(&b, "sluice_recording_total", "counter", "Recording lcore counters.");
		put(&b, "sluice_recording_total{counter=\"taps\"} %llu\n", (unsigned long long)rs.taps);
		put(&b, "sluice_recording_total{counter=\"written\"} %llu\n",
			(unsigned long long)rs.written);
		put(&b, "sluice_recording_total{counter=\"errors\"} %llu\n",
			(unsigned long long)rs.errors);
		metric(&b, "sluice_recordings", "gauge", "Recordings open.");
		put(&b, "sluice_recordings %llu\n", (unsigned long long)rs.open_slots);
	}
	*out = b.p;
	return b.len;
}

static void
http_reply(int fd, const char *status, const char *ctype, const char *body, size_t len)
{
	char hdr[256];
	int n = snprintf(hdr, sizeof(hdr),
		"HTTP/1.0 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
		status, ctype, len);
	size_t off = 0;
	ssize_t w;

	if (send(fd, hdr, (size_t)n, MSG_NOSIGNAL) != n)
		return;
	/* bounded: a scraper that stops reading loses its answer, the loop does not wait */
	while (off < len) {
		w = send(fd, body + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w <= 0)
			return;
		off += (size_t)w;
	}
}

/* open connections waiting for their request: bounded, the oldest goes first */
#define HTTP_CONNS 32
static int http_conns[HTTP_CONNS];
static unsigned http_next;

static void
http_drop(int fd)
{
	unsigned i;

	ctl_unwatch_fd(fd);
	close(fd);
	for (i = 0; i < HTTP_CONNS; i++)
		if (http_conns[i] == fd)
			http_conns[i] = -1;
}

static void
http_conn(int fd, void *arg)
{
	char req[2048];
	ssize_t n;
	char *body = NULL;
	size_t len;

	(void)arg;
	/* a scraper's request arrives in one segment; anything else is refused */
	n = recv(fd, req, sizeof(req) - 1, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0)
		goto out;
	req[n] = '\0';
	if (strncmp(req, "GET /metrics", 12) == 0 && (req[12] == ' ' || req[12] == '?')) {
		len = mon_metrics_text(&body);
		http_reply(fd, "200 OK", "text/plain; version=0.0.4", body, len);
	} else if (strncmp(req, "GET /ping ", 10) == 0) {
		http_reply(fd, "200 OK", "text/plain", "pong", 4);
	} else if (strncmp(req, "GET ", 4) == 0) {
		http_reply(fd, "404 Not Found", "text/plain", "not found\n", 10);
	} else {
		http_reply(fd, "400 Bad Request", "text/plain", "bad request\n", 12);
	}
out:
	free(body);
	http_drop(fd);
}

static void
http_accept(int lfd, void *arg)
{
	unsigned i;

	(void)arg;
	for (i = 0; i < 16; i++) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

		if (fd < 0)
			return;
		if (http_conns[http_next] >= 0)
			http_drop(http_conns[http_next]);
		if (ctl_watch_fd(fd, http_conn, NULL) < 0) {
			close(fd);
			continue;
		}
		http_conns[http_next] = fd;
		http_next = (http_next + 1) % HTTP_CONNS;
	}
}

int
mon_http_init(const struct sl_config *cfg, char *err, size_t errlen)
{
	struct sl_ip lo;
	struct sl_ep ep;
	struct sockaddr_storage ss;
	socklen_t sl;
	int one = 1, rc;

	start_mono = mono_s();
	memset(http_conns, -1, sizeof(http_conns));
	if (cfg->listen_http[0] == '\0')
		return 0;
	sl_ip_parse("127.0.0.1", &lo);
	if (sl_ep_parse(cfg->listen_http, &lo, 0, &ep) < 0) {
		snprintf(err, errlen, "option --listen-http: invalid address '%s'", cfg->listen_http);
		return -EINVAL;
	}
	sl = sl_ep_to_sockaddr(&ep, &ss);
	http_fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (http_fd < 0 || setsockopt(http_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
		bind(http_fd, (struct sockaddr *)&ss, sl) < 0 || listen(http_fd, 64) < 0) {
		rc = -errno;
		snprintf(err, errlen, "--listen-http=%s: %s", cfg->listen_http, strerror(errno));
		if (http_fd >= 0)
			close(http_fd);
		http_fd = -1;
		return rc;
	}
	rc = ctl_watch_fd(http_fd, http_accept, NULL);
	if (rc < 0) {
		close(http_fd);
		http_fd = -1;
		snprintf(err, errlen, "--listen-http: %s", strerror(-rc));
		return rc;
	}
	SL_NOTICE("mon", "metrics on http://%s/metrics", cfg->listen_http);
	return 0;
}

void
mon_http_fini(void)
{
	unsigned i;

	for (i = 0; i < HTTP_CONNS; i++)
		if (http_conns[i] >= 0)
			http_drop(http_conns[i]);
	if (http_fd >= 0) {
		ctl_unwatch_fd(http_fd);
		close(http_fd);
	}
	http_fd = -1;
}
