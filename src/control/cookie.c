/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Duplicate-cookie cache. Kamailio resends the same datagram (same cookie)
 * when a reply is late; replaying the stored reply keeps a retransmitted
 * offer from allocating a second set of ports.
 *
 * Two generations, "cur" and "old". Generations rotate on a fixed grid of
 * interval_s; rotation is done lazily by whichever call comes first after
 * the deadline, and the grid is kept (deadline += interval) so the result
 * does not depend on when calls happen: an entry inserted during
 * [D - I, D) is visible until D + I, i.e. for between one and two
 * intervals. If the cache was idle for two intervals, both go at once.
 *
 * Keys are attacker-chosen, so buckets are indexed with SipHash-2-4 under a
 * random per-cache key: nobody can aim many cookies at one chain.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "control/cookie.h"
#include "crypto/crypto.h"

#define COOKIE_MIN_BUCKETS 64
#define COOKIE_MAX_BUCKETS (1u << 18) /* load stays <= 1 up to GEN_MAX */

struct cookie_entry {
	struct cookie_entry *next; /* bucket chain */
	uint64_t hash;             /* kept so that growing needs no rehash */
	size_t cookie_len;
	size_t reply_len;
	char data[]; /* cookie bytes, then reply bytes */
};

struct cookie_gen {
	struct cookie_entry **buckets;
	size_t nbuckets; /* power of two */
	size_t count;
	size_t bytes; /* malloc'd entry bytes, for the flood bound */
};

struct cookie_cache {
	struct cookie_gen cur;
	struct cookie_gen old;
	uint64_t interval_s;
	uint64_t deadline_s; /* cur becomes old at this time */
	bool started;        /* deadline is set by the first call */
	uint64_t sipkey[2];
};

/* ---- SipHash-2-4 (Aumasson & Bernstein), written from the paper ---- */

static inline uint64_t
rotl64(uint64_t x, unsigned b)
{
	return (x << b) | (x >> (64 - b));
}

#define SIPROUND(v0, v1, v2, v3) \
	do { \
		v0 += v1; \
		v1 = rotl64(v1, 13); \
		v1 ^= v0; \
		v0 = rotl64(v0, 32); \
		v2 += v3; \
		v3 = rotl64(v3, 16); \
		v3 ^= v2; \
		v0 += v3; \
		v3 = rotl64(v3, 21); \
		v3 ^= v0; \
		v2 += v1; \
		v1 = rotl64(v1, 17); \
		v1 ^= v2; \
		v2 = rotl64(v2, 32); \
	} while (0)

static uint64_t
load_le64(const unsigned char *p, size_t n)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static uint64_t
siphash24(const uint64_t key[2], const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t v0 = key[0] ^ 0x736f6d6570736575ULL;
	uint64_t v1 = key[1] ^ 0x646f72616e646f6dULL;
	uint64_t v2 = key[0] ^ 0x6c7967656e657261ULL;
	uint64_t v3 = key[1] ^ 0x7465646279746573ULL;
	size_t left = len;
	uint64_t m;

	for (; left >= 8; p += 8, left -= 8) {
		m = load_le64(p, 8);
		v3 ^= m;
		SIPROUND(v0, v1, v2, v3);
		SIPROUND(v0, v1, v2, v3);
		v0 ^= m;
	}
	m = load_le64(p, left) | ((uint64_t)len << 56);
	v3 ^= m;
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	v0 ^= m;
	v2 ^= 0xff;
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

/* ---- one generation ---- */

static int
gen_init(struct cookie_gen *g)
{
	memset(g, 0, sizeof(*g));
	g->buckets = calloc(COOKIE_MIN_BUCKETS, sizeof(*g->buckets));
	if (g->buckets == NULL)
		return -ENOMEM;
	g->nbuckets = COOKIE_MIN_BUCKETS;
	return 0;
}

/* Free every entry; the bucket array is kept for reuse as the next "cur". */
static void
gen_clear(struct cookie_gen *g)
{
	struct cookie_entry *e, *next;
	size_t i;

	if (g->count > 0) {
		for (i = 0; i < g->nbuckets; i++) {
			for (e = g->buckets[i]; e != NULL; e = next) {
				next = e->next;
				free(e);
			}
			g->buckets[i] = NULL;
		}
	}
	g->count = 0;
	g->bytes = 0;
}

/* @return the link that points at the matching entry, or NULL. */
static struct cookie_entry **
gen_find(struct cookie_gen *g, uint64_t hash, const char *cookie, size_t cookie_len)
{
	struct cookie_entry **link = &g->buckets[hash & (g->nbuckets - 1)];

	for (; *link != NULL; link = &(*link)->next) {
		const struct cookie_entry *e = *link;

		if (e->hash == hash && e->cookie_len == cookie_len &&
			memcmp(e->data, cookie, cookie_len) == 0)
			return link;
	}
	return NULL;
}

static size_t
entry_size(const struct cookie_entry *e)
{
	return sizeof(*e) + e->cookie_len + e->reply_len;
}

static void
gen_unlink(struct cookie_gen *g, struct cookie_entry **link)
{
	struct cookie_entry *e = *link;

	*link = e->next;
	g->count--;
	g->bytes -= entry_size(e);
	free(e);
}

/* Doubling failure is harmless: chains just get longer. */
static void
gen_grow(struct cookie_gen *g)
{
	struct cookie_entry **nb, *e, *next;
	size_t n = g->nbuckets * 2, i;

	if (n > COOKIE_MAX_BUCKETS)
		return;
	nb = calloc(n, sizeof(*nb));
	if (nb == NULL)
		return;
	for (i = 0; i < g->nbuckets; i++) {
		for (e = g->buckets[i]; e != NULL; e = next) {
			next = e->next;
			e->next = nb[e->hash & (n - 1)];
			nb[e->hash & (n - 1)] = e;
		}
	}
	free(g->buckets);
	g->buckets = nb;
	g->nbuckets = n;
}

static void
gen_link(struct cookie_gen *g, struct cookie_entry *e)
{
	struct cookie_entry **b;

	if (g->count >= g->nbuckets)
		gen_grow(g);
	b = &g->buckets[e->hash & (g->nbuckets - 1)];
	e->next = *b;
	*b = e;
	g->count++;
	g->bytes += entry_size(e);
}

/* ---- generations ---- */

static uint64_t
sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* Drop old, cur becomes old, the emptied table becomes cur. */
static void
rotate(struct cookie_cache *cc)
{
	struct cookie_gen tmp;

	gen_clear(&cc->old);
	tmp = cc->old;
	cc->old = cc->cur;
	cc->cur = tmp;
}

static void
maybe_rotate(struct cookie_cache *cc, uint64_t now_s)
{
	if (!cc->started) {
		cc->started = true;
		cc->deadline_s = sat_add(now_s, cc->interval_s);
		return;
	}
	if (now_s < cc->deadline_s)
		return;
	if (now_s - cc->deadline_s >= cc->interval_s) {
		/* even cur's youngest entry is two intervals old */
		gen_clear(&cc->old);
		gen_clear(&cc->cur);
		cc->deadline_s = sat_add(now_s, cc->interval_s);
		return;
	}
	rotate(cc);
	cc->deadline_s = sat_add(cc->deadline_s, cc->interval_s);
}

struct cookie_cache *
cookie_cache_create(unsigned interval_s)
{
	struct cookie_cache *cc;

	if (interval_s == 0) {
		errno = EINVAL;
		return NULL;
	}
	cc = calloc(1, sizeof(*cc));
	if (cc == NULL)
		goto nomem;
	if (gen_init(&cc->cur) < 0)
		goto free_cc;
	if (gen_init(&cc->old) < 0)
		goto free_cur;
	cc->interval_s = interval_s;
	if (sl_random_bytes(cc->sipkey, sizeof(cc->sipkey)) < 0) {
		/*
		 * No CSPRNG: a predictable key only costs flood resistance,
		 * never correctness, so carry on with what we have.
		 */
		cc->sipkey[0] = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)cc;
		cc->sipkey[1] = (uint64_t)clock() ^ 0x9e3779b97f4a7c15ULL;
	}
	return cc;

free_cur:
	free(cc->cur.buckets);
free_cc:
	free(cc);
nomem:
	errno = ENOMEM;
	return NULL;
}

void
cookie_cache_destroy(struct cookie_cache *cc)
{
	if (cc == NULL)
		return;
	gen_clear(&cc->cur);
	gen_clear(&cc->old);
	free(cc->cur.buckets);
	free(cc->old.buckets);
	free(cc);
}

const char *
cookie_cache_lookup(struct cookie_cache *cc, const char *cookie, size_t cookie_len,
	uint64_t now_s, size_t *len)
{
	struct cookie_entry **link;
	uint64_t h;

	if (cc == NULL || (cookie == NULL && cookie_len > 0))
		return NULL;
	maybe_rotate(cc, now_s);
	h = siphash24(cc->sipkey, cookie, cookie_len);
	/*
	 * A hit in old is not promoted: that would let a retransmitting
	 * client keep a reply alive forever.
	 */
	link = gen_find(&cc->cur, h, cookie, cookie_len);
	if (link == NULL)
		link = gen_find(&cc->old, h, cookie, cookie_len);
	if (link == NULL)
		return NULL;
	if (len != NULL)
		*len = (*link)->reply_len;
	return (*link)->data + (*link)->cookie_len;
}

int
cookie_cache_insert(struct cookie_cache *cc, const char *cookie, size_t cookie_len,
	const char *reply, size_t reply_len, uint64_t now_s)
{
	struct cookie_entry *e, **link;
	size_t sz;
	uint64_t h;

	if (cc == NULL || (cookie == NULL && cookie_len > 0) || (reply == NULL && reply_len > 0))
		return -EINVAL;
	if (cookie_len > SIZE_MAX - sizeof(*e) || reply_len > SIZE_MAX - sizeof(*e) - cookie_len)
		return -ENOMEM;
	sz = sizeof(*e) + cookie_len + reply_len;
	maybe_rotate(cc, now_s);

	/* allocate first so that -ENOMEM leaves the cache as it was */
	e = malloc(sz);
	if (e == NULL)
		return -ENOMEM;
	h = siphash24(cc->sipkey, cookie, cookie_len);
	e->hash = h;
	e->cookie_len = cookie_len;
	e->reply_len = reply_len;
	if (cookie_len > 0)
		memcpy(e->data, cookie, cookie_len);
	if (reply_len > 0)
		memcpy(e->data + cookie_len, reply, reply_len);

	link = gen_find(&cc->cur, h, cookie, cookie_len);
	if (link != NULL) {
		gen_unlink(&cc->cur, link);
	} else {
		/* keep one entry per cookie so that count and bytes stay honest */
		link = gen_find(&cc->old, h, cookie, cookie_len);
		if (link != NULL)
			gen_unlink(&cc->old, link);
	}

	/*
	 * Flood bound: rotate before cur outgrows its limits. The grid
	 * restarts at now so that what was cur still gets a full interval.
	 */
	if (cc->cur.count >= COOKIE_CACHE_GEN_MAX ||
		(cc->cur.count > 0 && (cc->cur.bytes >= COOKIE_CACHE_GEN_MAX_BYTES ||
			sz > COOKIE_CACHE_GEN_MAX_BYTES - cc->cur.bytes))) {
		rotate(cc);
		cc->deadline_s = sat_add(now_s, cc->interval_s);
	}
	gen_link(&cc->cur, e);
	return 0;
}

size_t
cookie_cache_count(const struct cookie_cache *cc)
{
	if (cc == NULL)
		return 0;
	return cc->cur.count + cc->old.count;
}
