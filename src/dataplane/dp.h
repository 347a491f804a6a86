/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_DP_H
#define SL_DP_H

/**
 * @file
 * The data plane as the rest of sluice sees it: start-up and shutdown, the
 * owner function, the mailboxes to the workers and read-only views of their
 * flow tables and counters.
 *
 * Threads: dp_init/dp_start/dp_stop/dp_fini run on the main lcore before
 * and after the control loop. Every other function here is for the control
 * thread only (single producer of each mailbox).
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "common/addr.h"
#include "dataplane/dp_flow.h"
#include "dataplane/dp_stats.h"

#define DP_MAX_WORKERS 16
#define DP_MAX_PORTS 8
#define DP_MAX_ADDRS 32

struct sl_config;

/** One local address; RO after launch. */
struct dp_addr {
	struct sl_ip ip;
	uint8_t prefixlen;
	uint16_t port_id; /* DPDK port this address lives on */
	bool has_gw;
	struct sl_ip gw;  /* next hop for peers outside ip/prefixlen */
};

/** Static configuration; RO after launch, workers bind pointers into it. */
struct dp_conf {
	unsigned n_workers;
	unsigned worker_lcore[DP_MAX_WORKERS];
	uint16_t n_ports;                             /* ports 0..n_ports-1 in use */
	struct rte_ether_addr port_mac[DP_MAX_PORTS];
	bool port_virtual[DP_MAX_PORTS];              /* vdev (af_packet, tap, ring...) */
	unsigned n_addrs;
	struct dp_addr addrs[DP_MAX_ADDRS];
	uint16_t port_min, port_max;                  /* relay port range, inclusive */
	uint32_t flows_per_addr;                      /* table slots per address per worker */
	uint32_t flows_per_worker;                    /* n_addrs * flows_per_addr */
	bool adaptive;                                /* sleep when idle (small machines) */
	unsigned idle_sleep_us;
	uint64_t tsc_hz;
	uint64_t learn_window_tsc;                    /* endpoint-learning window (3 s) */
	unsigned mbufs;
	struct rte_ring *tap;                         /* to the recording lcore; NULL: none */
	int rec_lcore;                                /* lcore kept for recording, -1: none */
};

extern struct dp_conf dp_conf;

/**
 * Probe the DPDK ports named by the configuration, create pools, rings and
 * flow tables. EAL must be initialised.
 * @param err  one line describing the failure
 * @return 0, -EINVAL (configuration does not match the ports/lcores),
 *         -ENOMEM, or a negative DPDK error.
 */
int dp_init(const struct sl_config *cfg, char *err, size_t errlen);

/** Launch the worker loops on their lcores. @return 0 or -errno. */
int dp_start(void);

/** Ask the workers to stop and wait for them. */
void dp_stop(void);

/** Stop and close the ports, free everything dp_init made. */
void dp_fini(void);

/** Worker that owns local UDP port @p lport (same function steers packets). */
static inline unsigned
dp_owner(uint16_t lport)
{
	return ((unsigned)lport >> 1) % dp_conf.n_workers;
}

/** Index of the flow for (@p addr_idx, @p lport) inside its owner's table. */
static inline uint32_t
dp_flow_index(unsigned addr_idx, uint16_t lport)
{
	unsigned n = dp_conf.n_workers;
	uint32_t k = ((uint32_t)lport >> 1) / n - ((uint32_t)dp_conf.port_min >> 1) / n;

	return (uint32_t)addr_idx * dp_conf.flows_per_addr + k * 2 + (lport & 1);
}

/**
 * Queue @p m for @p worker. The message is copied.
 * @return 0, or -ENOBUFS if the mailbox is full (back-pressure: the caller
 *         must fail the request rather than wait).
 */
int dp_send(unsigned worker, struct dp_msg *m);

/**
 * Queue @p m for @p worker and never lose it to a full mailbox: it then
 * waits, in order, in a control-side backlog that dp_backlog_flush() moves
 * on as the worker makes room (while it is not empty, dp_send() to that
 * worker refuses). For operations that cannot fail: deletions, neighbours,
 * SRTP contexts.
 * @return 0, or -ENOMEM (nothing queued).
 */
int dp_send_queued(unsigned worker, struct dp_msg *m);

/** Same message to every worker (neighbour updates), as dp_send_queued(). @return 0 or -ENOMEM. */
int dp_send_all(struct dp_msg *m);

/** Move backlogged messages into the mailboxes (control loop). @return messages still waiting. */
unsigned dp_backlog_flush(void);

/** Messages waiting in the backlogs of all workers. */
unsigned dp_backlog_count(void);

/** Allocate the next control generation (monotonic, starts at 1). */
uint64_t dp_next_gen(void);

/** Highest generation @p worker has applied. */
uint64_t dp_applied_gen(unsigned worker);

/** Free slots in @p worker's mailbox (0 while it has a backlog). */
unsigned dp_mbox_free(unsigned worker);

/**
 * An RTCP packet as the control thread gets it for monitoring: this header,
 * then the compound packet, decrypted, as it arrived on (addr_idx, lport).
 */
struct dp_rtcp_copy {
	uint64_t tsc;     /* arrival */
	struct sl_ep src; /* who sent it */
	uint16_t lport;   /* our socket */
	uint8_t addr_idx;
	uint8_t pad;
	uint16_t len;     /* bytes after this header */
};

/** Take up to @p n RTCP copies (mbufs: struct dp_rtcp_copy + payload); caller frees. */
unsigned dp_rtcp_take(struct rte_mbuf **pkts, unsigned n);

struct rtpstat;
/** The receive statistics of flow @p idx of @p worker (owner-written; read racy but aligned). */
const struct rtpstat *dp_flow_rtpstat(unsigned worker, uint32_t idx);

/** Consistent copy of what the control thread reads from a flow. */
struct dp_flow_view {
	uint32_t flags;
	uint8_t learn_state;
	struct sl_ep dest;
	struct sl_ep learned;
	uint64_t pkts, bytes, errors, pkts_out, bytes_out;
	uint64_t last_rx_tsc;
};

/** Read flow @p idx of @p worker (seqlock-consistent for the endpoints). */
void dp_flow_read(unsigned worker, uint32_t idx, struct dp_flow_view *v);

/**
 * Take up to @p n packets the workers punted to the control thread (ARP,
 * NDP, STUN, DTLS, unknown). Each mbuf's port field is the ingress port;
 * the caller frees them.
 */
unsigned dp_punt_take(struct rte_mbuf **pkts, unsigned n);

/**
 * Transmit a packet built by the control thread (ARP/NDP requests, later
 * STUN/DTLS) through a worker's tx queue on port m->port.
 * @return 0, or -ENOBUFS (packet freed).
 */
int dp_ctl_tx(unsigned worker, struct rte_mbuf *m);

/** The data plane's packet pool (for the recording lcore's copies). */
struct rte_mempool *dp_mempool(void);

/** Buffers of the data plane's pool in use (not in the pool or a cache), and its size. */
void dp_mbufs(unsigned *in_use, unsigned *total);

/** Allocate an mbuf from the data plane's pool (control thread). */
struct rte_mbuf *dp_ctl_alloc(void);

/** Sum of every worker's counters. */
void dp_stats_total(struct dp_stats *out);

/** One worker's counters (a snapshot). */
void dp_stats_worker(unsigned worker, struct dp_stats *out);

/** TSC cycles the worker spent on polls that found work / found nothing. */
void dp_worker_cycles(unsigned worker, uint64_t *busy, uint64_t *idle);

/** Index of local address @p ip in dp_conf.addrs, or -1. */
int dp_addr_find(const struct sl_ip *ip);

#endif /* SL_DP_H */
