/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <rte_mbuf.h>

#include "common/log.h"
#include "control/call.h"
#include "control/call_priv.h"
#include "control/config.h"
#include "control/ctl.h"
#include "control/ctl_pkt.h"
#include "control/defer.h"
#include "control/neigh.h"
#include "control/ng.h"
#include "control/ports.h"
#include "dataplane/dp.h"

#define CTL_PUNT_BURST 32
#define CTL_MAX_EVENTS 16

static int ctl_ep = -1;

/* a descriptor the loop watches, and who handles it */
struct ctl_watch {
	int fd;
	void (*cb)(int fd, void *arg);
	void *arg;
	struct ctl_watch *next;
};
static struct ctl_watch *ctl_watches;

int
ctl_watch_fd(int fd, void (*cb)(int fd, void *arg), void *arg)
{
	struct ctl_watch *w = calloc(1, sizeof(*w));
	struct epoll_event ev = {.events = EPOLLIN};

	if (w == NULL)
		return -ENOMEM;
	w->fd = fd;
	w->cb = cb;
	w->arg = arg;
	ev.data.ptr = w;
	if (epoll_ctl(ctl_ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		free(w);
		return -errno;
	}
	w->next = ctl_watches;
	ctl_watches = w;
	return 0;
}

void
ctl_unwatch_fd(int fd)
{
	struct ctl_watch **pp = &ctl_watches, *w;

	epoll_ctl(ctl_ep, EPOLL_CTL_DEL, fd, NULL);
	while ((w = *pp) != NULL) {
		if (w->fd == fd) {
			*pp = w->next;
			free(w);
			return;
		}
		pp = &w->next;
	}
}

static void
ctl_ng_ready(int fd, void *arg)
{
	(void)arg;
	ng_handle_fd(fd);
}
static void (*ctl_service_hook)(void);

void
ctl_set_service_hook(void (*fn)(void))
{
	ctl_service_hook = fn;
}

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int
ctl_init(const struct sl_config *cfg, char *err, size_t errlen)
{
	int fds[CFG_MAX_LISTEN];
	unsigned i, n;
	int rc;

	rc = calls_init(cfg);
	if (rc == 0)
		rc = ports_init(dp_conf.n_addrs, dp_conf.port_min, dp_conf.port_max,
			dp_conf.n_workers);
	if (rc == 0)
		rc = neigh_init();
	if (rc < 0) {
		snprintf(err, errlen, "control init: %s", strerror(-rc));
		return rc;
	}
	rc = ng_init(cfg, err, errlen);
	if (rc < 0)
		return rc;
	ctl_ep = epoll_create1(EPOLL_CLOEXEC);
	if (ctl_ep < 0) {
		snprintf(err, errlen, "epoll: %s", strerror(errno));
		return -errno;
	}
	n = ng_fds(fds, CFG_MAX_LISTEN);
	for (i = 0; i < n; i++) {
		rc = ctl_watch_fd(fds[i], ctl_ng_ready, NULL);
		if (rc < 0) {
			snprintf(err, errlen, "epoll_ctl: %s", strerror(-rc));
			return rc;
		}
	}
	return 0;
}

static void
ctl_punts(void)
{
	struct rte_mbuf *pkts[CTL_PUNT_BURST];
	unsigned n, i;

	n = dp_punt_take(pkts, CTL_PUNT_BURST);
	for (i = 0; i < n; i++) {
		/* ARP/NDP teach the neighbour table; STUN and DTLS go to their media */
		ctl_pkt_input(pkts[i]);
		rte_pktmbuf_free(pkts[i]);
	}
	n = dp_rtcp_take(pkts, CTL_PUNT_BURST);
	for (i = 0; i < n; i++) {
		const struct dp_rtcp_copy *h = rte_pktmbuf_mtod(pkts[i], const struct dp_rtcp_copy *);
		struct call_media *m = call_sock_media(h->addr_idx, h->lport);

		if (m != NULL)
			call_mon_rtcp(m, h, (const uint8_t *)(h + 1));
		rte_pktmbuf_free(pkts[i]);
	}
}

void
ctl_run(volatile sig_atomic_t *quit)
{
	struct epoll_event evs[CTL_MAX_EVENTS];
	uint64_t now, next_100ms = 0, next_1s = 0;
	int n, i;

	while (!*quit) {
		/* 1 ms at most: punted packets wait no longer; EINTR (net_tap signals) is fine */
		n = epoll_wait(ctl_ep, evs, CTL_MAX_EVENTS, 1);
		for (i = 0; i < n; i++) {
			struct ctl_watch *w = evs[i].data.ptr;

			w->cb(w->fd, w->arg);
		}
		ctl_punts();
		if (ctl_service_hook != NULL)
			ctl_service_hook();
		dp_backlog_flush();
		if (ports_pending_count() > 0)
			ports_reclaim(dp_applied_gen);
		if (defer_pending() > 0)
			defer_reclaim(dp_applied_gen);
		now = mono_ms();
		call_timers_run(now);
		if (now >= next_100ms) {
			neigh_tick(now);
			next_100ms = now + 100;
		}
		if (now >= next_1s) {
			calls_sweep(now / 1000u);
			ng_tick(now / 1000u);
			next_1s = now + 1000;
		}
	}
}

void
ctl_fini(void)
{
	calls_fini();
	defer_flush();
	ng_fini();
	neigh_fini();
	ports_fini();
	while (ctl_watches != NULL)
		ctl_unwatch_fd(ctl_watches->fd);
	if (ctl_ep >= 0)
		close(ctl_ep);
	ctl_ep = -1;
}
