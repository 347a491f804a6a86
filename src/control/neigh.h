/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_NEIGH_H
#define SL_NEIGH_H

/**
 * @file
 * The neighbour table (ARP for IPv4, NDP for IPv6), owned by the control
 * thread. Workers answer requests for our addresses themselves and punt
 * replies and requests here; this module learns from them, resolves next
 * hops on demand (requests sent through a worker's tx queue) and pushes
 * every new or changed entry to all workers through their mailboxes.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "common/addr.h"

#define NEIGH_MAX 4096 /* entries, power of two */

int neigh_init(void);
void neigh_fini(void);

/**
 * Make sure the next hop for @p dst, reached from local address @p addr_idx
 * (its gateway when @p dst is off-link), gets resolved.
 */
void neigh_resolve(unsigned addr_idx, const struct sl_ip *dst);

/** Learn from a punted ARP/NDP frame. @return true if it was one (caller frees it). */
bool neigh_input(struct rte_mbuf *m);

/**
 * MAC of the next hop toward @p dst from local address @p addr_idx (its
 * gateway when off-link). Starts a resolution when unknown.
 * @return 0, or -EHOSTUNREACH (not resolved yet).
 */
int neigh_lookup(unsigned addr_idx, const struct sl_ip *dst, uint8_t mac[6]);

/** Retransmit pending requests; call every ~100 ms with a monotonic time. */
void neigh_tick(uint64_t now_ms);

/** Resolved entries. */
unsigned neigh_count(void);

/** Learn an entry (also used by tests); pushes it to the workers if new or changed. */
void neigh_learn(uint16_t port, const struct sl_ip *ip, const uint8_t mac[6]);

#endif /* SL_NEIGH_H */
