/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_DP_PRIV_H
#define SL_DP_PRIV_H

/**
 * @file
 * Worker lcore state and the helpers shared by the data-plane files. Not
 * for use outside src/dataplane.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "dataplane/dp.h"

#define DP_BURST 32
#define DP_MSG_BURST 32        /* mailbox messages applied per loop: never starves RX */
#define DP_IDLE_POLLS 256      /* adaptive mode: empty polls before sleeping */
#define DP_NEIGH_SIZE 1024     /* neighbour slots per worker, power of two */
#define DP_MBOX_SIZE 4096
#define DP_RING_SIZE 4096
#define DP_HOLD_MAX 64         /* packets a worker keeps while their next hop is resolved */
#define DP_HOLD_MS 1000        /* ... for at most this long */
/* a full 2 KiB frame: net_af_packet (framesz=2048) refuses smaller buffers */
#define DP_MBUF_DATAROOM RTE_MBUF_DEFAULT_BUF_SIZE

/* a rewritten packet waiting for its next hop's MAC (like a kernel's ARP queue) */
struct dp_held {
	struct rte_mbuf *m;
	uint64_t deadline_tsc;
	uint32_t flow_idx; /* flow it leaves through */
};

struct dp_neigh {
	uint8_t state; /* 0 empty, 1 valid, 2 deleted (tombstone) */
	uint16_t port_id;
	struct rte_ether_addr mac;
	struct sl_ip ip;
};

/** One worker lcore. Owner: that lcore, except where a field says otherwise. */
struct dp_lcore {
	/* RO after launch */
	unsigned id;              /* worker index, also its rx/tx queue on every port */
	unsigned lcore_id;
	struct dp_flow *flows;    /* this worker's flow table (control reads counters) */
	struct rte_ring *mbox;    /* ctl -> worker: struct dp_msg, SP/SC */
	struct rte_ring *handoff; /* other workers -> worker: mbufs, MP/SC */
	struct rte_ring *ctl_tx;  /* ctl -> worker: mbufs to transmit, SP/SC */
	struct rte_ring *punt;    /* worker -> ctl: mbufs, SP/SC */
	struct rte_ring *rtcp;    /* worker -> ctl: RTCP copies for monitoring, SP/SC */
	struct rtpstat *rtps;     /* per flow: RFC 3550 receive statistics (owner writes) */
	uint64_t ns_mult;         /* arrival ns = tsc * ns_mult >> 32 (no division per packet) */
	struct rte_mempool *pool;

	/* owner: this lcore */
	struct rte_eth_dev_tx_buffer *txb[DP_MAX_PORTS];
	uint64_t now_tsc;         /* TSC at the start of the current loop */
	unsigned idle_polls;
	uint16_t neigh_gen;       /* bumped whenever a neighbour's MAC changes or goes */
	struct dp_neigh neigh[DP_NEIGH_SIZE];
	unsigned n_held;
	struct dp_held held[DP_HOLD_MAX];

	/* written by this lcore, read by others (relaxed / release) */
	uint64_t applied_gen;     /* last mailbox generation applied (release store) */
	uint64_t busy_tsc;        /* cycles of loops that found work */
	uint64_t idle_tsc;        /* cycles of empty loops, including sleeps */
	struct dp_stats stats;
} __rte_cache_aligned;

extern struct dp_lcore *dp_lcores[DP_MAX_WORKERS];
extern uint64_t dp_mbox_pause_until_tsc[DP_MAX_WORKERS]; /* test fault injection (dp.c) */
extern volatile bool dp_quit;
extern uint16_t dp_ports_used[DP_MAX_PORTS];
extern unsigned dp_n_ports_used;

/* owner-written counter: plain add, relaxed store so readers never tear */
#define DP_CNT_ADD(field, v) __atomic_store_n(&(field), (field) + (v), __ATOMIC_RELAXED)
#define DP_STAT(lc, name) DP_CNT_ADD((lc)->stats.name, 1)

/* dp_worker.c */
int dp_worker_loop(void *arg);
void dp_tx(struct dp_lcore *lc, struct rte_mbuf *m, uint16_t port);
void dp_tx_flush(struct dp_lcore *lc);
void dp_drop(struct rte_mbuf *m);
void dp_punt(struct dp_lcore *lc, struct rte_mbuf *m);
const struct rte_ether_addr *dp_neigh_lookup(struct dp_lcore *lc, uint16_t port,
	const struct sl_ip *ip);
void dp_mbox_apply(struct dp_lcore *lc, const struct dp_msg *m);
void dp_held_retry(struct dp_lcore *lc, bool expire_only);

/* dp_fwd.c */
void dp_burst(struct dp_lcore *lc, struct rte_mbuf **pkts, unsigned n, bool from_handoff);
const struct rte_ether_addr *dp_out_mac(struct dp_lcore *lc, struct dp_flow *o);

/* dp_l2.c: consume the packet (answer, punt or drop) */
void dp_arp_input(struct dp_lcore *lc, struct rte_mbuf *m);
void dp_icmp4_input(struct dp_lcore *lc, struct rte_mbuf *m, unsigned l3_off, unsigned ihl);
void dp_icmp6_input(struct dp_lcore *lc, struct rte_mbuf *m, unsigned l3_off);

/* dp_port.c */
int dp_port_setup(uint16_t port, unsigned nq, struct rte_mempool *pool, char *err, size_t errlen);
void dp_port_close(uint16_t port);

/** Local address index for an IPv4 address (network order), or -1. */
static inline int
dp_addr_find_v4(uint32_t be)
{
	unsigned i;

	for (i = 0; i < dp_conf.n_addrs; i++) {
		const struct dp_addr *a = &dp_conf.addrs[i];

		if (a->ip.family == AF_INET && sl_ip_v4(&a->ip) == be)
			return (int)i;
	}
	return -1;
}

static inline int
dp_addr_find_v6(const uint8_t *a16)
{
	unsigned i;

	for (i = 0; i < dp_conf.n_addrs; i++) {
		const struct dp_addr *a = &dp_conf.addrs[i];

		if (a->ip.family == AF_INET6 && memcmp(a->ip.a, a16, 16) == 0)
			return (int)i;
	}
	return -1;
}

#endif /* SL_DP_PRIV_H */
