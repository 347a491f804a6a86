/* SPDX-License-Identifier: BSD-3-Clause */
/* Port allocator: pairs, owners, randomness, exhaustion, deferred reuse. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "control/ports.h"

static uint64_t applied[4];

static uint64_t
applied_of(unsigned owner)
{
	return applied[owner];
}

static void
test_pairs_and_owner(void **state)
{
	uint16_t p;
	unsigned i, w;

	(void)state;
	assert_int_equal(ports_init(2, 30000, 30099, 2), 0);
	assert_int_equal(ports_total(0), 50);
	assert_int_equal(ports_free_count(1), 50);
	for (w = 0; w < 2; w++) {
		for (i = 0; i < 25; i++) {
			assert_int_equal(ports_alloc(0, w, &p), 0);
			assert_true(p >= 30000 && p + 1 <= 30099);
			assert_int_equal(p % 2, 0);
			/* the owner function the data plane uses */
			assert_int_equal((p >> 1) % 2, w);
		}
		assert_int_equal(ports_alloc(0, w, &p), -ENOSPC);
	}
	assert_int_equal(ports_free_count(0), 0);
	assert_int_equal(ports_free_count(1), 50);
	ports_fini();
}

static void
test_odd_bounds(void **state)
{
	uint16_t p;

	(void)state;
	/* 30001..30004: only the pair 30002/30003 fits (30004 has no partner) */
	assert_int_equal(ports_init(1, 30001, 30004, 1), 0);
	assert_int_equal(ports_total(0), 1);
	assert_int_equal(ports_alloc(0, 0, &p), 0);
	assert_int_equal(p, 30002);
	assert_int_equal(ports_alloc(0, 0, &p), -ENOSPC);
	ports_fini();
	assert_int_equal(ports_init(1, 30001, 30002, 1), -EINVAL);
	assert_int_equal(ports_init(1, 40000, 30000, 1), -EINVAL);
}

static void
test_random(void **state)
{
	uint16_t p, first[20];
	unsigned i, same = 0, run;

	(void)state;
	/* two fresh allocators must not hand out the same sequence */
	for (run = 0; run < 2; run++) {
		assert_int_equal(ports_init(1, 30000, 39999, 1), 0);
		for (i = 0; i < 20; i++) {
			assert_int_equal(ports_alloc(0, 0, &p), 0);
			if (run == 0)
				first[i] = p;
			else if (first[i] == p)
				same++;
		}
		ports_fini();
	}
	assert_true(same < 3);
}

static void
test_deferred_reuse(void **state)
{
	uint16_t p, q;

	(void)state;
	memset(applied, 0, sizeof(applied));
	assert_int_equal(ports_init(1, 30000, 30003, 1), 0);
	assert_int_equal(ports_alloc(0, 0, &p), 0);
	assert_int_equal(ports_alloc(0, 0, &q), 0);
	assert_int_equal(ports_alloc(0, 0, &q), -ENOSPC);
	ports_release(0, p, 0, 7);
	assert_int_equal(ports_pending_count(), 1);
	/* the owner has not applied generation 7: the pair stays out of use */
	applied[0] = 6;
	assert_int_equal(ports_reclaim(applied_of), 0);
	assert_int_equal(ports_alloc(0, 0, &q), -ENOSPC);
	applied[0] = 7;
	assert_int_equal(ports_reclaim(applied_of), 1);
	assert_int_equal(ports_pending_count(), 0);
	assert_int_equal(ports_alloc(0, 0, &q), 0);
	assert_int_equal(q, p);
	ports_fini();
}

static void
test_reclaim_mixed_owners(void **state)
{
	uint16_t p[4];
	unsigned i;

	(void)state;
	memset(applied, 0, sizeof(applied));
	assert_int_equal(ports_init(1, 30000, 30007, 2), 0);
	assert_int_equal(ports_alloc(0, 0, &p[0]), 0);
	assert_int_equal(ports_alloc(0, 1, &p[1]), 0);
	assert_int_equal(ports_alloc(0, 0, &p[2]), 0);
	assert_int_equal(ports_alloc(0, 1, &p[3]), 0);
	for (i = 0; i < 4; i++)
		ports_release(0, p[i], i % 2, 10 + i);
	/* owner 1 is ahead, owner 0 behind: only owner 1's pairs come back */
	applied[0] = 5;
	applied[1] = 100;
	assert_int_equal(ports_reclaim(applied_of), 2);
	assert_int_equal(ports_pending_count(), 2);
	assert_int_equal(ports_free_count(0), 2);
	applied[0] = 12;
	assert_int_equal(ports_reclaim(applied_of), 2);
	assert_int_equal(ports_free_count(0), 4);
	ports_fini();
}

static void
test_pick_owner(void **state)
{
	uint16_t p;
	int w1, w2;

	(void)state;
	assert_int_equal(ports_init(2, 30000, 30007, 2), 0);
	/* round robin over owners that have room on both addresses */
	w1 = ports_pick_owner(0, 1);
	w2 = ports_pick_owner(0, 1);
	assert_true(w1 >= 0 && w2 >= 0 && w1 != w2);
	/* exhaust owner 0 on address 1: owner 1 is the only choice */
	while (ports_alloc(1, 0, &p) == 0)
		;
	assert_int_equal(ports_pick_owner(0, 1), 1);
	assert_int_equal(ports_pick_owner(0, 1), 1);
	while (ports_alloc(1, 1, &p) == 0)
		;
	assert_int_equal(ports_pick_owner(0, 1), -ENOSPC);
	/* same address for both legs needs two pairs of one owner */
	assert_int_equal(ports_init(1, 30000, 30003, 1), 0);
	assert_int_equal(ports_pick_owner(0, 0), 0);
	assert_int_equal(ports_alloc(0, 0, &p), 0);
	assert_int_equal(ports_pick_owner(0, 0), -ENOSPC);
	ports_fini();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pairs_and_owner),
		cmocka_unit_test(test_odd_bounds),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_deferred_reuse),
		cmocka_unit_test(test_reclaim_mixed_owners),
		cmocka_unit_test(test_pick_owner),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
