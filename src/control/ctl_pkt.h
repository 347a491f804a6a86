/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_CTL_PKT_H
#define SL_CTL_PKT_H

/**
 * @file
 * Packets the control thread receives from the workers (punted ARP/NDP,
 * STUN, DTLS) and UDP packets it sends from a relay socket (ICE checks and
 * replies, DTLS flights), built here and transmitted through the socket's
 * owner worker. Control thread only.
 */

#include <stddef.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "common/addr.h"

/** Dispatch one punted packet (the caller frees it). */
void ctl_pkt_input(struct rte_mbuf *m);

/**
 * Send @p len bytes from our socket (@p addr_idx, @p lport) to @p dst.
 * @param dmac  next-hop MAC, or NULL to use the neighbour table
 * @return 0, -EHOSTUNREACH (MAC unknown: resolution started), -ENOBUFS,
 *         -EINVAL.
 */
int ctl_pkt_send(unsigned addr_idx, uint16_t lport, const struct sl_ep *dst, const uint8_t *dmac,
	const void *data, size_t len);

/** Counters for statistics. */
struct ctl_pkt_stats {
	uint64_t stun_in, dtls_in, unknown_in, no_media, sent, send_fail;
};
extern struct ctl_pkt_stats ctl_pkt_stats;

#endif /* SL_CTL_PKT_H */
