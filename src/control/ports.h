/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_PORTS_H
#define SL_PORTS_H

/**
 * @file
 * Relay port allocator (control thread only). Ports are handed out as
 * RTP/RTCP pairs (even port p, p + 1) picked uniformly at random among the
 * free pairs of one local address whose owner worker is @c owner, so that
 * both legs of a media land on the same lcore (dp_owner(): (p >> 1) % n).
 * A released pair is reused only after its owner applied the deletion of
 * its flows (generation @c gen), so a late packet can never reach a new call.
 */

#include <stdint.h>

/**
 * @param n_addrs  local addresses
 * @param port_min,port_max  inclusive range
 * @param n_workers  owners
 * @return 0, -EINVAL (range holds no pair), -ENOMEM
 */
int ports_init(unsigned n_addrs, uint16_t port_min, uint16_t port_max, unsigned n_workers);
void ports_fini(void);

/**
 * Take a random free pair on @p addr owned by @p owner.
 * @return 0 with *port = the even RTP port, or -ENOSPC.
 */
int ports_alloc(unsigned addr, unsigned owner, uint16_t *port);

/** Give back a pair, reusable once @p owner applied generation @p gen. */
void ports_release(unsigned addr, uint16_t port, unsigned owner, uint64_t gen);

/**
 * Make released pairs reusable. @p applied(owner) returns the generation that
 * owner has applied.
 * @return pairs reclaimed.
 */
unsigned ports_reclaim(uint64_t (*applied)(unsigned owner));

/**
 * Pick the owner for a new media needing a pair on @p addr_a and @p addr_b:
 * the next worker round-robin that has a free pair on both.
 * @return owner, or -ENOSPC.
 */
int ports_pick_owner(unsigned addr_a, unsigned addr_b);

/** Free pairs on @p addr (all owners), and pairs waiting for reclaim. */
unsigned ports_free_count(unsigned addr);
unsigned ports_pending_count(void);

/** Total pairs on one address. */
unsigned ports_total(unsigned addr);

#endif /* SL_PORTS_H */
