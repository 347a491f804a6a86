/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Address prefixes (--ng-allow): parsing into a network, matching IPv4,
 * IPv6 and IPv4-mapped IPv6 sources at every prefix length, and the
 * loopback test behind the "ng is reachable from elsewhere" warning.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/addr.h"

static struct sl_cidr
cidr(const char *s)
{
	struct sl_cidr c;

	if (sl_cidr_parse(s, &c) != 0)
		fail_msg("sl_cidr_parse(%s) failed", s);
	return c;
}

static bool
match(const char *net, const char *addr)
{
	struct sl_cidr c = cidr(net);
	struct sl_ip ip;

	if (sl_ip_parse(addr, &ip) != 0)
		fail_msg("sl_ip_parse(%s) failed", addr);
	return sl_cidr_match(&c, &ip);
}

static void
test_parse(void **state)
{
	static const struct {
		const char *in;
		int rc;
		const char *net;
		unsigned plen;
	} cases[] = {
		{"198.18.0.0/15", 0, "198.18.0.0", 15},
		{"198.18.0.7", 0, "198.18.0.7", 32},
		{"0.0.0.0/0", 0, "0.0.0.0", 0},
		{"2001:db8::/32", 0, "2001:db8::", 32},
		{"[2001:db8::]/32", 0, "2001:db8::", 32},
		{"2001:db8::5", 0, "2001:db8::5", 128},
		{"198.18.0.0/33", -ERANGE, "198.18.0.0", 0},
		{"2001:db8::/129", -ERANGE, "2001:db8::", 0},
		/* host bits: the error, and the network that was probably meant */
		{"198.19.255.255/15", -EDOM, "198.18.0.0", 15},
		{"198.18.0.1/31", -EDOM, "198.18.0.0", 31},
		{"2001:db8:ffff::/33", -EDOM, "2001:db8:8000::", 33},
		{"255.255.255.255/0", -EDOM, "0.0.0.0", 0},
		{"", -EINVAL, NULL, 0},
		{"/8", -EINVAL, NULL, 0},
		{"198.18.0.0/", -EINVAL, NULL, 0},
		{"198.18.0.0/+8", -EINVAL, NULL, 0},
		{"198.18.0.0/0008", -EINVAL, NULL, 0},
		{"198.18.0.0/8/8", -EINVAL, NULL, 0},
		{"198.18.0.0 /8", -EINVAL, NULL, 0},
		{"host.example/8", -EINVAL, NULL, 0},
	};
	char buf[SL_ADDRSTRLEN];
	struct sl_cidr c;
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = sl_cidr_parse(cases[i].in, &c);

		if (rc != cases[i].rc)
			fail_msg("sl_cidr_parse(%s) = %d, want %d", cases[i].in, rc, cases[i].rc);
		if (cases[i].net == NULL)
			continue;
		assert_string_equal(sl_ip_fmt(&c.net, buf, sizeof(buf)), cases[i].net);
		if (rc != -ERANGE)
			assert_int_equal(c.prefixlen, cases[i].plen);
	}
}

static void
test_match_v4(void **state)
{
	(void)state;
	assert_true(match("198.18.0.0/15", "198.18.0.0"));
	assert_true(match("198.18.0.0/15", "198.19.255.255"));
	assert_false(match("198.18.0.0/15", "198.20.0.0"));
	assert_false(match("198.18.0.0/15", "198.17.255.255"));
	assert_true(match("198.18.1.10", "198.18.1.10"));
	assert_false(match("198.18.1.10", "198.18.1.11"));
	assert_true(match("198.18.1.8/29", "198.18.1.15"));
	assert_false(match("198.18.1.8/29", "198.18.1.16"));
	assert_true(match("0.0.0.0/0", "198.18.1.1"));
	assert_true(match("128.0.0.0/1", "198.18.1.1"));
	assert_false(match("0.0.0.0/1", "198.18.1.1"));
	/* families do not mix */
	assert_false(match("0.0.0.0/0", "2001:db8::1"));
	assert_false(match("::/0", "198.18.1.1"));
}

static void
test_match_v6(void **state)
{
	(void)state;
	assert_true(match("2001:db8::/32", "2001:db8::1"));
	assert_true(match("2001:db8::/32", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"));
	assert_false(match("2001:db8::/32", "2001:db9::"));
	assert_true(match("2001:db8:0:8000::/49", "2001:db8:0:ffff::1"));
	assert_false(match("2001:db8:0:8000::/49", "2001:db8:0:7fff::1"));
	assert_true(match("2001:db8::7", "2001:db8::7"));
	assert_false(match("2001:db8::7", "2001:db8::6"));
	assert_true(match("::/0", "::1"));
}

/*
 * Every prefix length of both families: the network of an all-ones address
 * contains that address, and flipping its last network bit leaves it.
 */
static void
test_match_every_length(void **state)
{
	static const uint8_t family[2] = {AF_INET, AF_INET6};
	struct sl_cidr c;
	struct sl_ip in, out;
	unsigned f, plen, i, max, keep;

	(void)state;
	for (f = 0; f < 2; f++) {
		max = family[f] == AF_INET ? 32 : 128;
		memset(&in, 0, sizeof(in));
		in.family = family[f];
		memset(in.a, 0xff, max / 8);
		for (plen = 0; plen <= max; plen++) {
			memset(&c, 0, sizeof(c));
			c.net.family = family[f];
			c.prefixlen = (uint8_t)plen;
			for (i = 0; i < max / 8; i++) {
				keep = plen > i * 8 ? plen - i * 8 : 0;
				c.net.a[i] = keep >= 8 ? 0xff : (uint8_t)(0xff00 >> keep);
			}
			if (!sl_cidr_match(&c, &in))
				fail_msg("/%u (family %u) does not match its own host", plen, f);
			if (plen == 0)
				continue;
			out = in;
			out.a[(plen - 1) / 8] ^= (uint8_t)(0x80 >> ((plen - 1) % 8));
			if (sl_cidr_match(&c, &out))
				fail_msg("/%u (family %u) matches outside its network", plen, f);
		}
	}
}

/* an IPv4 client of a dual-stack [::] socket arrives as ::ffff:a.b.c.d */
static void
test_match_v4_mapped(void **state)
{
	(void)state;
	assert_true(match("198.18.0.0/15", "::ffff:198.18.3.4"));
	assert_false(match("198.18.0.0/15", "::ffff:198.20.3.4"));
	assert_true(match("198.18.3.4", "::ffff:198.18.3.4"));
	assert_true(match("::ffff:0.0.0.0/96", "::ffff:198.18.3.4"));
	/* not mapped: the IPv4-compatible form and other IPv6 never match IPv4 */
	assert_false(match("198.18.0.0/15", "::198.18.3.4"));
	assert_false(match("198.18.0.0/15", "2001:db8::c612:304"));
	assert_false(match("0.0.0.0/0", "::1"));
}

static void
test_loopback(void **state)
{
	static const struct {
		const char *ip;
		bool lo;
	} cases[] = {
		{"127.0.0.1", true}, {"127.255.0.9", true}, {"::1", true},
		{"::ffff:127.0.0.1", true}, {"0.0.0.0", false}, {"::", false},
		{"198.18.0.1", false}, {"126.255.255.255", false}, {"128.0.0.1", false},
		{"::2", false}, {"2001:db8::1", false}, {"::ffff:198.18.0.1", false},
		{"::127.0.0.1", false},
	};
	struct sl_ip ip;
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(sl_ip_parse(cases[i].ip, &ip), 0);
		if (sl_ip_is_loopback(&ip) != cases[i].lo)
			fail_msg("sl_ip_is_loopback(%s) != %d", cases[i].ip, cases[i].lo);
	}
	memset(&ip, 0, sizeof(ip));
	assert_false(sl_ip_is_loopback(&ip)); /* unset */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_match_v4),
		cmocka_unit_test(test_match_v6),
		cmocka_unit_test(test_match_every_length),
		cmocka_unit_test(test_match_v4_mapped),
		cmocka_unit_test(test_loopback),
	};

	return cmocka_run_group_tests_name("addr", tests, NULL, NULL);
}
