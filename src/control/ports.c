/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "control/ports.h"
#include "crypto/crypto.h"

/* free pairs of one (address, owner): unordered array, random pick + swap-remove */
struct port_set {
	uint16_t *pairs; /* even RTP ports */
	unsigned n;
	unsigned cap;
};

struct port_pending {
	uint64_t gen;
	uint16_t port;
	uint8_t addr;
	uint8_t owner;
};

static struct {
	unsigned n_addrs, n_workers;
	struct port_set *sets; /* [addr * n_workers + owner] */
	unsigned *total;       /* pairs per address */
	struct port_pending *pending; /* ring buffer in release order */
	unsigned pend_head, pend_len, pend_cap;
	unsigned next_owner;
} P;

static struct port_set *
set_of(unsigned addr, unsigned owner)
{
	return &P.sets[addr * P.n_workers + owner];
}

void
ports_fini(void)
{
	unsigned i;

	if (P.sets != NULL)
		for (i = 0; i < P.n_addrs * P.n_workers; i++)
			free(P.sets[i].pairs);
	free(P.sets);
	free(P.total);
	free(P.pending);
	P.sets = NULL;
	P.total = NULL;
	P.pending = NULL;
}

int
ports_init(unsigned n_addrs, uint16_t port_min, uint16_t port_max, unsigned n_workers)
{
	unsigned a, p, first;

	ports_fini();
	if (n_addrs == 0 || n_workers == 0 || port_min > port_max)
		return -EINVAL;
	first = (port_min + 1u) & ~1u; /* first even port in range */
	if (first + 1u > port_max)
		return -EINVAL;
	P.n_addrs = n_addrs;
	P.n_workers = n_workers;
	P.next_owner = 0;
	P.sets = calloc((size_t)n_addrs * n_workers, sizeof(*P.sets));
	P.total = calloc(n_addrs, sizeof(*P.total));
	P.pend_cap = 1024;
	P.pend_head = P.pend_len = 0;
	P.pending = malloc(P.pend_cap * sizeof(*P.pending));
	if (P.sets == NULL || P.total == NULL || P.pending == NULL)
		goto nomem;
	for (a = 0; a < n_addrs; a++) {
		for (p = first; p + 1 <= port_max; p += 2) {
			struct port_set *s = set_of(a, (p >> 1) % n_workers);

			if (s->n == s->cap) {
				unsigned ncap = s->cap ? s->cap * 2 : 256;
				uint16_t *np = realloc(s->pairs, ncap * sizeof(*np));

				if (np == NULL)
					goto nomem;
				s->pairs = np;
				s->cap = ncap;
			}
			s->pairs[s->n++] = (uint16_t)p;
			P.total[a]++;
		}
	}
	return 0;
nomem:
	ports_fini();
	return -ENOMEM;
}

int
ports_alloc(unsigned addr, unsigned owner, uint16_t *port)
{
	struct port_set *s;
	unsigned i;

	if (addr >= P.n_addrs || owner >= P.n_workers)
		return -EINVAL;
	s = set_of(addr, owner);
	if (s->n == 0)
		return -ENOSPC;
	/* random choice: ports must not be predictable (RTP Bleed) */
	i = sl_random_below(s->n);
	*port = s->pairs[i];
	s->pairs[i] = s->pairs[--s->n];
	return 0;
}

static void
ports_put(unsigned addr, unsigned owner, uint16_t port)
{
	struct port_set *s = set_of(addr, owner);

	/* cap never shrinks and the set held this pair before: no overflow */
	if (s->n < s->cap)
		s->pairs[s->n++] = port;
}

void
ports_release(unsigned addr, uint16_t port, unsigned owner, uint64_t gen)
{
	struct port_pending *e;

	if (addr >= P.n_addrs || owner >= P.n_workers)
		return;
	if (P.pend_len == P.pend_cap) {
		unsigned ncap = P.pend_cap * 2, i;
		struct port_pending *np = malloc(ncap * sizeof(*np));

		if (np == NULL) {
			/* cannot defer: keep the pair out of circulation rather than risk reuse */
			return;
		}
		for (i = 0; i < P.pend_len; i++)
			np[i] = P.pending[(P.pend_head + i) % P.pend_cap];
		free(P.pending);
		P.pending = np;
		P.pend_cap = ncap;
		P.pend_head = 0;
	}
	e = &P.pending[(P.pend_head + P.pend_len) % P.pend_cap];
	e->gen = gen;
	e->port = port;
	e->addr = (uint8_t)addr;
	e->owner = (uint8_t)owner;
	P.pend_len++;
}

unsigned
ports_reclaim(uint64_t (*applied)(unsigned owner))
{
	unsigned n = 0, scanned, len = P.pend_len;

	/*
	 * Generations grow in release order per owner but not across owners, so
	 * walk the whole queue once and keep what is not applied yet.
	 */
	for (scanned = 0; scanned < len; scanned++) {
		struct port_pending e = P.pending[P.pend_head];

		P.pend_head = (P.pend_head + 1) % P.pend_cap;
		P.pend_len--;
		if (applied(e.owner) >= e.gen) {
			ports_put(e.addr, e.owner, e.port);
			n++;
		} else {
			P.pending[(P.pend_head + P.pend_len) % P.pend_cap] = e;
			P.pend_len++;
		}
	}
	return n;
}

int
ports_pick_owner(unsigned addr_a, unsigned addr_b)
{
	unsigned k, w;

	if (addr_a >= P.n_addrs || addr_b >= P.n_addrs)
		return -EINVAL;
	for (k = 0; k < P.n_workers; k++) {
		w = (P.next_owner + k) % P.n_workers;
		if (set_of(addr_a, w)->n > (addr_a == addr_b ? 1u : 0u) && set_of(addr_b, w)->n > 0) {
			P.next_owner = (w + 1) % P.n_workers;
			return (int)w;
		}
	}
	return -ENOSPC;
}

unsigned
ports_free_count(unsigned addr)
{
	unsigned w, n = 0;

	if (addr >= P.n_addrs)
		return 0;
	for (w = 0; w < P.n_workers; w++)
		n += set_of(addr, w)->n;
	return n;
}

unsigned
ports_pending_count(void)
{
	return P.pend_len;
}

unsigned
ports_total(unsigned addr)
{
	return addr < P.n_addrs ? P.total[addr] : 0;
}
