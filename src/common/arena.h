/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_ARENA_H
#define SL_ARENA_H

/**
 * @file
 * Bump allocator: one arena per ng request, freed in one go after the reply
 * is sent. Allocations are 16-byte aligned and never freed individually.
 */

#include <stddef.h>

struct sl_arena_chunk;

struct sl_arena {
	struct sl_arena_chunk *head; /* newest chunk */
	size_t chunk_size;           /* default size of new chunks */
	size_t total;                /* bytes handed out, for accounting */
};

/** Initialise an empty arena; the first allocation creates a chunk. */
void sl_arena_init(struct sl_arena *a, size_t chunk_size);

/** Free every chunk; the arena can be reused afterwards. */
void sl_arena_free(struct sl_arena *a);

/**
 * Allocate @p n bytes (zeroed).
 * @return pointer, or NULL with errno=ENOMEM.
 */
void *sl_arena_alloc(struct sl_arena *a, size_t n);

/** Copy @p len bytes of @p s and append a NUL; @return the copy or NULL. */
char *sl_arena_strndup(struct sl_arena *a, const char *s, size_t len);

/** printf into the arena; @return the string or NULL. */
char *sl_arena_printf(struct sl_arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif /* SL_ARENA_H */
