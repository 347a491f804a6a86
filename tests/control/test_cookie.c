/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Duplicate-cookie cache: replay, replacement, the one-to-two interval
 * lifetime (independent of when calls happen) and the flood bounds.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "control/cookie.h"

#define IVL 30

static bool
has(struct cookie_cache *cc, const char *cookie, uint64_t now)
{
	size_t len;

	return cookie_cache_lookup(cc, cookie, strlen(cookie), now, &len) != NULL;
}

static void
put(struct cookie_cache *cc, const char *cookie, const char *reply, uint64_t now)
{
	assert_int_equal(cookie_cache_insert(cc, cookie, strlen(cookie), reply, strlen(reply), now),
		0);
}

static void
test_replay(void **state)
{
	static const char reply[] = "d6:result2:ok3:sdp5:a\0\xff\r\ne";
	struct cookie_cache *cc = cookie_cache_create(IVL);
	const char *r;
	size_t len = 0;

	assert_non_null(cc);
	assert_null(cookie_cache_lookup(cc, "5323_1", 6, 1000, &len));
	assert_int_equal(cookie_cache_count(cc), 0);
	assert_int_equal(cookie_cache_insert(cc, "5323_1", 6, reply, sizeof(reply) - 1, 1000), 0);
	assert_int_equal(cookie_cache_count(cc), 1);

	r = cookie_cache_lookup(cc, "5323_1", 6, 1001, &len);
	assert_non_null(r);
	assert_int_equal(len, sizeof(reply) - 1);
	assert_memory_equal(r, reply, len);
	assert_true(r != reply); /* a copy, not the caller's buffer */

	/* keyed by the exact cookie bytes only */
	assert_null(cookie_cache_lookup(cc, "5323_", 5, 1001, &len));
	assert_null(cookie_cache_lookup(cc, "5323_10", 7, 1001, &len));
	assert_null(cookie_cache_lookup(cc, "5323_2", 6, 1001, &len));
	/* cookies are byte strings: an embedded NUL is significant */
	assert_int_equal(cookie_cache_insert(cc, "x\0a", 3, "A", 1, 1001), 0);
	assert_int_equal(cookie_cache_insert(cc, "x\0b", 3, "B", 1, 1001), 0);
	r = cookie_cache_lookup(cc, "x\0b", 3, 1001, &len);
	assert_non_null(r);
	assert_memory_equal(r, "B", 1);
	assert_null(cookie_cache_lookup(cc, "x", 1, 1001, &len));
	/* empty reply is a valid reply */
	assert_int_equal(cookie_cache_insert(cc, "empty", 5, "", 0, 1001), 0);
	len = 99;
	assert_non_null(cookie_cache_lookup(cc, "empty", 5, 1001, &len));
	assert_int_equal(len, 0);
	assert_int_equal(cookie_cache_count(cc), 4);
	cookie_cache_destroy(cc);
	cookie_cache_destroy(NULL);
}

static void
test_replace(void **state)
{
	struct cookie_cache *cc = cookie_cache_create(IVL);
	const char *r;
	size_t len;

	assert_non_null(cc);
	put(cc, "c", "first", 0);
	put(cc, "c", "second reply", 1);
	assert_int_equal(cookie_cache_count(cc), 1);
	r = cookie_cache_lookup(cc, "c", 1, 2, &len);
	assert_int_equal(len, 12);
	assert_memory_equal(r, "second reply", 12);

	/* replacing an entry that already moved to the old generation */
	put(cc, "d", "old", 3);
	assert_true(has(cc, "d", IVL + 1)); /* rotated: d is in old now */
	put(cc, "d", "new", IVL + 2);
	assert_int_equal(cookie_cache_count(cc), 2);
	r = cookie_cache_lookup(cc, "d", 1, IVL + 3, &len);
	assert_memory_equal(r, "new", 3);
	/* the new copy lives with the new generation */
	assert_true(has(cc, "d", 3 * IVL - 1));
	r = cookie_cache_lookup(cc, "d", 1, 3 * IVL - 1, &len);
	assert_memory_equal(r, "new", 3);
	assert_false(has(cc, "c", 3 * IVL - 1));
	assert_false(has(cc, "d", 3 * IVL));
	assert_int_equal(cookie_cache_count(cc), 0);
	cookie_cache_destroy(cc);
}

/*
 * The grid starts at the first call (t0). An entry inserted at t0 + off is
 * replayed until the end of the interval after its own, and not after that:
 * never less than one interval, never two or more.
 */
static void
test_lifetime(void **state)
{
	uint64_t t0 = 1000, off, t, last;
	struct cookie_cache *cc;

	for (off = 0; off < IVL; off++) {
		/* dense lookups, once per second */
		cc = cookie_cache_create(IVL);
		assert_non_null(cc);
		assert_false(has(cc, "warmup", t0));
		put(cc, "k", "r", t0 + off);
		last = 0;
		for (t = t0 + off; t < t0 + 3 * IVL; t++) {
			if (has(cc, "k", t))
				last = t;
		}
		assert_int_equal(last, t0 + 2 * IVL - 1);
		assert_true(last + 1 - (t0 + off) > IVL - 1);
		assert_true(last + 1 - (t0 + off) <= 2 * IVL);
		cookie_cache_destroy(cc);

		/* sparse lookups give the same answer */
		for (t = t0 + off; t < t0 + 3 * IVL; t++) {
			cc = cookie_cache_create(IVL);
			assert_non_null(cc);
			assert_false(has(cc, "warmup", t0));
			put(cc, "k", "r", t0 + off);
			assert_int_equal(has(cc, "k", t), t < t0 + 2 * IVL);
			cookie_cache_destroy(cc);
		}
	}
}

static void
test_idle_drops_both(void **state)
{
	struct cookie_cache *cc = cookie_cache_create(IVL);

	assert_non_null(cc);
	put(cc, "a", "1", 0);
	put(cc, "b", "2", IVL);     /* rotation: a in old, b in cur */
	assert_int_equal(cookie_cache_count(cc), 2);
	assert_true(has(cc, "a", IVL));
	/* two and more intervals idle: both generations go at once */
	assert_false(has(cc, "b", 3 * IVL + 5));
	assert_int_equal(cookie_cache_count(cc), 0);
	/* and the grid restarts from there */
	put(cc, "c", "3", 3 * IVL + 5);
	assert_true(has(cc, "c", 5 * IVL + 4));
	assert_false(has(cc, "c", 5 * IVL + 5));
	cookie_cache_destroy(cc);
}

static void
test_early_rotation(void **state)
{
	struct cookie_cache *cc = cookie_cache_create(IVL);
	char key[32];
	size_t i, n;

	assert_non_null(cc);
	for (i = 0; i < COOKIE_CACHE_GEN_MAX; i++) {
		n = (size_t)snprintf(key, sizeof(key), "flood_%zu", i);
		assert_int_equal(cookie_cache_insert(cc, key, n, "r", 1, 5), 0);
	}
	assert_int_equal(cookie_cache_count(cc), COOKIE_CACHE_GEN_MAX);
	assert_true(has(cc, "flood_0", 5));

	/* one more: the full generation becomes old, nothing is lost yet */
	put(cc, "next_0", "r", 5);
	assert_int_equal(cookie_cache_count(cc), COOKIE_CACHE_GEN_MAX + 1);
	assert_true(has(cc, "flood_0", 5));
	assert_true(has(cc, "next_0", 5));

	/* the second full generation pushes the first one out */
	for (i = 1; i < COOKIE_CACHE_GEN_MAX; i++) {
		n = (size_t)snprintf(key, sizeof(key), "next_%zu", i);
		assert_int_equal(cookie_cache_insert(cc, key, n, "r", 1, 6), 0);
		assert_true(cookie_cache_count(cc) <= 2 * COOKIE_CACHE_GEN_MAX);
	}
	assert_int_equal(cookie_cache_count(cc), 2 * COOKIE_CACHE_GEN_MAX);
	put(cc, "last", "r", 6);
	assert_int_equal(cookie_cache_count(cc), COOKIE_CACHE_GEN_MAX + 1);
	assert_false(has(cc, "flood_0", 6));
	assert_false(has(cc, "flood_99999", 6));
	assert_true(has(cc, "next_0", 6));
	assert_true(has(cc, "next_99999", 6));
	assert_true(has(cc, "last", 6));

	/*
	 * Early rotation restarts the grid at its own time (6), so what was
	 * rotated out early is still replayed for a full interval.
	 */
	assert_true(has(cc, "next_0", 6 + IVL - 1));
	assert_false(has(cc, "next_0", 6 + IVL));
	assert_true(has(cc, "last", 6 + 2 * IVL - 1));
	assert_false(has(cc, "last", 6 + 2 * IVL));
	cookie_cache_destroy(cc);
}

static void
test_byte_bound(void **state)
{
	size_t big = 1 << 20, i, per_gen = COOKIE_CACHE_GEN_MAX_BYTES / big;
	struct cookie_cache *cc = cookie_cache_create(IVL);
	char *reply = malloc(big), key[32];
	size_t len;
	int n;

	assert_non_null(cc);
	assert_non_null(reply);
	memset(reply, 'r', big);
	for (i = 0; i < 3 * per_gen; i++) {
		n = snprintf(key, sizeof(key), "big_%zu", i);
		assert_int_equal(cookie_cache_insert(cc, key, (size_t)n, reply, big, 1), 0);
		/* never more than two generations' worth of bytes */
		assert_true(cookie_cache_count(cc) <= 2 * per_gen);
	}
	assert_null(cookie_cache_lookup(cc, "big_0", 5, 1, &len));
	assert_non_null(cookie_cache_lookup(cc, "big_191", 7, 1, &len));
	assert_int_equal(len, big);

	/* a single reply larger than the bound is still cached */
	free(reply);
	reply = calloc(1, COOKIE_CACHE_GEN_MAX_BYTES + 1);
	assert_non_null(reply);
	assert_int_equal(cookie_cache_insert(cc, "huge", 4, reply,
				 COOKIE_CACHE_GEN_MAX_BYTES + 1, 2), 0);
	assert_non_null(cookie_cache_lookup(cc, "huge", 4, 2, &len));
	/* and the next insert rotates it out of cur instead of growing further */
	assert_int_equal(cookie_cache_insert(cc, "small", 5, "s", 1, 2), 0);
	assert_int_equal(cookie_cache_count(cc), 2);
	free(reply);
	cookie_cache_destroy(cc);
}

static void
test_args(void **state)
{
	struct cookie_cache *cc;

	errno = 0;
	assert_null(cookie_cache_create(0));
	assert_int_equal(errno, EINVAL);
	cc = cookie_cache_create(1);
	assert_non_null(cc);
	assert_int_equal(cookie_cache_insert(cc, NULL, 1, "r", 1, 0), -EINVAL);
	assert_int_equal(cookie_cache_insert(cc, "c", 1, NULL, 1, 0), -EINVAL);
	assert_null(cookie_cache_lookup(cc, NULL, 1, 0, NULL));
	/* len is optional */
	put(cc, "c", "r", 0);
	assert_non_null(cookie_cache_lookup(cc, "c", 1, 0, NULL));
	/* interval 1: visible at t+1, gone at t+2 */
	assert_non_null(cookie_cache_lookup(cc, "c", 1, 1, NULL));
	assert_null(cookie_cache_lookup(cc, "c", 1, 2, NULL));
	/* a clock near the end of time does not wrap the deadline */
	put(cc, "e", "r", UINT64_MAX - 1);
	assert_non_null(cookie_cache_lookup(cc, "e", 1, UINT64_MAX - 1, NULL));
	cookie_cache_destroy(cc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replay),
		cmocka_unit_test(test_replace),
		cmocka_unit_test(test_lifetime),
		cmocka_unit_test(test_idle_drops_both),
		cmocka_unit_test(test_early_rotation),
		cmocka_unit_test(test_byte_bound),
		cmocka_unit_test(test_args),
	};

	return cmocka_run_group_tests_name("cookie", tests, NULL, NULL);
}
