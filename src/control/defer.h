/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_DEFER_H
#define SL_DEFER_H

/**
 * @file
 * Memory the workers may still be reading (SRTP contexts handed over in a
 * mailbox message) is freed only after its owner worker applied the message
 * that stopped using it. Control thread only.
 */

#include <stdint.h>

/** Free @p ptr with @p fn once worker @p owner has applied generation @p gen. */
void defer_free(unsigned owner, uint64_t gen, void *ptr, void (*fn)(void *));

/** Run what is due; @p applied(owner) gives each worker's applied generation. */
unsigned defer_reclaim(uint64_t (*applied)(unsigned owner));

/** Entries waiting. */
unsigned defer_pending(void);

/** Free everything now (shutdown, after the workers stopped). */
void defer_flush(void);

#endif /* SL_DEFER_H */
