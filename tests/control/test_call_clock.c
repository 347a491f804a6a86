/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control thread's TSC -> clock conversion (call.c), which timestamps
 * RTCP for round trips: RR arrival - SR arrival - DLSR. An interval measured
 * with TSC stamps must match CLOCK_MONOTONIC to a few µs once calibrated.
 * Before the fix it used rte_get_tsc_hz(), which DPDK rounds to 10 MHz when
 * it measures the TSC itself (VMs): 2596.142 MHz became 2600, 0.15 % fast,
 * so a 700 ms DLSR window lost 1 ms and LAN round trips came out negative
 * (one party got no MOS at all). Bounded: about 2 s of sleeping.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <rte_cycles.h>

#include "control/call_priv.h"

static uint64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* (TSC, monotonic µs) read closely together: the test's own truth */
static void
truth(uint64_t *tsc, uint64_t *mono)
{
	uint64_t a = 0, b = 0;
	unsigned i;

	for (i = 0; i < 200; i++) { /* bounded; a busy machine preempts now and then */
		a = mono_us();
		*tsc = rte_rdtsc();
		b = mono_us();
		if (b - a <= 5)
			break;
	}
	assert_true(b - a <= 5);
	*mono = a + (b - a) / 2;
}

static int64_t
diff(int64_t x, int64_t y)
{
	return x > y ? x - y : y - x;
}

static void
test_interval(void **state)
{
	uint64_t t1, m1, t2, m2, r1, r2;
	struct timespec now;
	int64_t err;

	(void)state;
	call_clock_init();
	usleep(1100 * 1000); /* the rate needs a baseline of at least a second */
	call_clock_calibrate();

	truth(&t1, &m1);
	usleep(700 * 1000); /* a typical SR -> RR window (DLSR) */
	truth(&t2, &m2);
	r1 = call_tsc_to_real_us(t1);
	r2 = call_tsc_to_real_us(t2);
	err = diff((int64_t)(r2 - r1), (int64_t)(m2 - m1));
	print_message("700 ms window: TSC says %lld us, CLOCK_MONOTONIC %llu us (error %lld us)\n",
		(long long)(r2 - r1), (unsigned long long)(m2 - m1), (long long)err);
	/* the 10 MHz rounding alone would be ~1000 us here; a LAN RTT is ~100 */
	assert_true(err <= 50);

	/* stamps before the anchor convert too (RTCP copies wait in a ring) */
	call_clock_calibrate();
	err = diff((int64_t)call_tsc_to_real_us(t1), (int64_t)r1);
	assert_true(err <= 50);

	/* absolute: close to CLOCK_REALTIME now */
	clock_gettime(CLOCK_REALTIME, &now);
	err = diff((int64_t)call_tsc_to_real_us(rte_rdtsc()),
		(int64_t)((uint64_t)now.tv_sec * 1000000u + (uint64_t)now.tv_nsec / 1000u));
	assert_true(err <= 2000);
	/* monotonic seconds for the timeouts; TSC 0 means never */
	assert_true(diff((int64_t)call_tsc_to_mono_s(rte_rdtsc()),
			    (int64_t)(mono_us() / 1000000u)) <= 1);
	assert_int_equal(call_tsc_to_mono_s(0), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_interval),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
