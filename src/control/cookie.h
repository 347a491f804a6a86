/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_COOKIE_H
#define SL_COOKIE_H

/**
 * @file
 * ng duplicate-cookie cache (rtpengine-compatible): replies are stored keyed
 * by the cookie string only (not source address, not content) in two
 * generations that swap every @c interval seconds, so a reply is replayed for
 * between one and two intervals. Owner: control thread only.
 */

#include <stddef.h>
#include <stdint.h>

/*
 * Flood bounds for the current generation: when an insert would exceed
 * either, the generations rotate early, so the whole cache never holds more
 * than twice these. The byte bound matters because replies can be ~64 KiB.
 */
#define COOKIE_CACHE_GEN_MAX 100000
#define COOKIE_CACHE_GEN_MAX_BYTES (64UL * 1024 * 1024)

struct cookie_cache;

/**
 * @param interval_s  generation lifetime (rtpengine: 30)
 * @return cache, or NULL with errno=ENOMEM
 */
struct cookie_cache *cookie_cache_create(unsigned interval_s);
void cookie_cache_destroy(struct cookie_cache *cc);

/**
 * Look up @p cookie. Rotates generations first if due at @p now_s.
 * @return the stored reply (valid until the next insert/rotation) and its
 *         length in @p len, or NULL.
 */
const char *cookie_cache_lookup(struct cookie_cache *cc, const char *cookie, size_t cookie_len,
	uint64_t now_s, size_t *len);

/**
 * Store a copy of @p reply under @p cookie (replacing an older one).
 * @return 0 or -ENOMEM.
 */
int cookie_cache_insert(struct cookie_cache *cc, const char *cookie, size_t cookie_len,
	const char *reply, size_t reply_len, uint64_t now_s);

/** Number of cached entries (both generations). */
size_t cookie_cache_count(const struct cookie_cache *cc);

#endif /* SL_COOKIE_H */
