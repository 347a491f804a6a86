/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
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
		struct epoll_event ev = {.events = EPOLLIN, .data.fd = fds[i]};

		if (epoll_ctl(ctl_ep, EPOLL_CTL_ADD, fds[i], &ev) < 0) {
			snprintf(err, errlen, "epoll_ctl: %s", strerror(errno));
			return -errno;
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
		for (i = 0; i < n; i++)
			ng_handle_fd(evs[i].data.fd);
		ctl_punts();
		if (ctl_service_hook != NULL)
			ctl_service_hook();
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
	if (ctl_ep >= 0)
		close(ctl_ep);
	ctl_ep = -1;
}
