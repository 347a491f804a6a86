/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_TEST_DP_HARNESS_H
#define SL_TEST_DP_HARNESS_H

/*
 * A data plane under test: EAL with --no-huge, one port made of rings
 * (rte_eth_from_rings: what a worker transmits on queue q comes back on rx
 * queue q), two workers that are never launched: the test drives their
 * packet path and mailboxes directly, deterministically, from one thread.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "common/addr.h"
#include "control/config.h"
#include "dataplane/dp_priv.h"

extern struct sl_config th_cfg;
extern const struct rte_ether_addr th_peer_mac;

/* EAL + ring port + dp_init with 2 workers and these addresses:
 * 0: a 198.18.1.1/24, 1: b 198.18.2.1/24, 2: b6 2001:db8:2::1/64 */
int th_setup(const char *name);
void th_teardown(void);

/* a frame from the peer: Ethernet + IPv4/IPv6 + UDP + payload */
struct rte_mbuf *th_udp(const char *src_ip, uint16_t sport, const char *dst_ip, uint16_t dport,
	const void *payload, uint16_t plen);
/* an RTP packet (or RTCP with pt >= 200) carrying seq in its payload */
struct rte_mbuf *th_rtp(const char *src_ip, uint16_t sport, const char *dst_ip, uint16_t dport,
	uint8_t pt, uint16_t seq);

/* run one packet through worker @p w's rx path and flush its tx */
void th_rx(unsigned w, struct rte_mbuf *m);
/* frames worker @p w transmitted (read back from the ring port) */
unsigned th_tx(unsigned w, struct rte_mbuf **out, unsigned max);
void th_free(struct rte_mbuf **m, unsigned n);

/* apply a flow on its owner: flow for (addr, lport) -> out (out_addr, out_port) */
void th_flow(unsigned addr, uint16_t lport, unsigned out_addr, uint16_t out_port,
	uint32_t flags, const char *expect_ip, uint16_t expect_port, int learn);
void th_neigh(unsigned w, const char *ip, const struct rte_ether_addr *mac);
struct dp_flow *th_flowp(unsigned addr, uint16_t lport);
/* apply every queued mailbox message as the workers would; drop control tx */
unsigned th_drain(void);

#endif
