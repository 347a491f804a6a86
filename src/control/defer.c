/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdlib.h>

#include "common/log.h"
#include "control/defer.h"

struct defer_entry {
	struct defer_entry *next;
	uint64_t gen;
	unsigned owner;
	void *ptr;
	void (*fn)(void *);
};

static struct defer_entry *defer_head;
static unsigned defer_n;

void
defer_free(unsigned owner, uint64_t gen, void *ptr, void (*fn)(void *))
{
	struct defer_entry *e;

	if (ptr == NULL)
		return;
	e = malloc(sizeof(*e));
	if (e == NULL) {
		/* cannot track it: leaking is safe, freeing now is not */
		SL_LOG_RL(SL_LOG_ERR, "ctl", "out of memory: deferred free leaked");
		return;
	}
	e->gen = gen;
	e->owner = owner;
	e->ptr = ptr;
	e->fn = fn;
	e->next = defer_head;
	defer_head = e;
	defer_n++;
}

unsigned
defer_reclaim(uint64_t (*applied)(unsigned owner))
{
	struct defer_entry **pp = &defer_head, *e;
	unsigned n = 0;

	while ((e = *pp) != NULL) {
		if (applied(e->owner) >= e->gen) {
			*pp = e->next;
			e->fn(e->ptr);
			free(e);
			defer_n--;
			n++;
		} else {
			pp = &e->next;
		}
	}
	return n;
}

unsigned
defer_pending(void)
{
	return defer_n;
}

void
defer_flush(void)
{
	struct defer_entry *e;

	while ((e = defer_head) != NULL) {
		defer_head = e->next;
		e->fn(e->ptr);
		free(e);
	}
	defer_n = 0;
}
