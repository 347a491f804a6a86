/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bencode codec and ng tree API. Malformed inputs are decoded from exact-size
 * heap copies so that AddressSanitizer sees any read past the datagram.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "common/arena.h"
#include "control/ng_tree.h"

#define S(lit) lit, sizeof(lit) - 1

static int
setup(void **state)
{
	struct sl_arena *a = malloc(sizeof(*a));

	if (a == NULL)
		return -1;
	sl_arena_init(a, 0);
	*state = a;
	return 0;
}

static int
teardown(void **state)
{
	sl_arena_free(*state);
	free(*state);
	return 0;
}

/* Decode from an exact-size heap copy (no slack for over-reads). */
static struct ng_val *
decode(struct sl_arena *a, const char *buf, size_t len, const char **err)
{
	char *copy = malloc(len > 0 ? len : 1);
	struct ng_val *v;

	assert_non_null(copy);
	memcpy(copy, buf, len);
	v = ng_bencode_decode(a, copy, len, err);
	free(copy);
	return v;
}

/* decode -> encode must give back exactly the input */
static void
assert_roundtrip(struct sl_arena *a, const char *buf, size_t len)
{
	char out[4096];
	const char *err = NULL;
	struct ng_val *v = decode(a, buf, len, &err);
	long n;

	if (v == NULL)
		fail_msg("decode of '%.*s' failed: %s", (int)len, buf, err);
	n = ng_bencode_encode(v, out, sizeof(out));
	assert_int_equal(n, (long)len);
	assert_memory_equal(out, buf, len);
}

static void
assert_encodes_to(const struct ng_val *v, const char *want, size_t want_len)
{
	char out[4096];
	long n = ng_bencode_encode(v, out, sizeof(out));

	if (n != (long)want_len || memcmp(out, want, want_len) != 0)
		fail_msg("encoded '%.*s', want '%.*s'", n > 0 ? (int)n : 0, out, (int)want_len,
			want);
}

static void
test_captured_requests(void **state)
{
	struct sl_arena *a = *state;
	static const char sdp[] = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\n"
				  "c=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";
	char offer[256];
	const char *s, *err;
	struct ng_val *v;
	size_t len;
	int n;

	v = decode(a, S("d7:command4:pinge"), &err);
	assert_non_null(v);
	assert_int_equal(v->type, NG_DICT);
	assert_int_equal(v->c.n, 1);
	assert_true(ng_str_eq(ng_dict_get(v, "command"), "ping"));

	v = decode(a, S("d7:command6:delete7:call-id4:nope8:from-tag1:ae"), &err);
	assert_non_null(v);
	assert_int_equal(v->c.n, 3);
	assert_string_equal(ng_dict_get_str(v, "call-id", NULL), "nope");
	assert_string_equal(ng_dict_get_str(v, "from-tag", &len), "a");
	assert_int_equal(len, 1);

	assert_int_equal(strlen(sdp), 87);
	n = snprintf(offer, sizeof(offer),
		"d7:command5:offer7:call-id3:abc8:from-tag2:t13:sdp87:%se", sdp);
	v = decode(a, offer, (size_t)n, &err);
	assert_non_null(v);
	s = ng_dict_get_str(v, "sdp", &len);
	assert_non_null(s);
	assert_int_equal(len, 87);
	assert_memory_equal(s, sdp, 87);
	assert_int_equal(s[87], '\0');
	assert_roundtrip(a, offer, (size_t)n);
}

static void
test_captured_replies(void **state)
{
	struct sl_arena *a = *state;
	struct ng_val *r, *t, *rtp;

	r = ng_new_dict(a);
	assert_non_null(ng_dict_add_str(a, r, "result", "pong"));
	assert_encodes_to(r, S("d6:result4:ponge"));

	r = ng_new_dict(a);
	ng_dict_add_str(a, r, "result", "error");
	ng_dict_add_str(a, r, "error-reason", "Unrecognized command");
	assert_encodes_to(r, S("d6:result5:error12:error-reason20:Unrecognized commande"));

	/* insertion order, not sorted: result comes last as in rtpengine */
	r = ng_new_dict(a);
	ng_dict_add_str(a, r, "warning", "Call-ID not found or tags didn't match");
	ng_dict_add_str(a, r, "result", "ok");
	assert_encodes_to(r, S("d7:warning38:Call-ID not found or tags didn't match6:result2:oke"));

	r = ng_new_dict(a);
	ng_dict_add_int(a, r, "created", 1795693595);
	ng_dict_add_int(a, r, "created_us", 10087);
	ng_dict_add_int(a, r, "last signal", 1795693595);
	ng_dict_add_dict(a, r, "SSRC");
	ng_dict_add_dict(a, r, "tags");
	t = ng_dict_add_dict(a, r, "totals");
	rtp = ng_dict_add_dict(a, t, "RTP");
	ng_dict_add_int(a, rtp, "packets", 0);
	ng_dict_add_int(a, rtp, "bytes", 0);
	ng_dict_add_int(a, rtp, "errors", 0);
	rtp = ng_dict_add_dict(a, t, "RTCP");
	ng_dict_add_int(a, rtp, "packets", 0);
	ng_dict_add_int(a, rtp, "bytes", 0);
	assert_non_null(ng_dict_add_int(a, rtp, "errors", 0));
	ng_dict_add_str(a, r, "result", "ok");
	assert_encodes_to(r, S("d7:createdi1795693595e10:created_usi10087e11:last signal"
			       "i1795693595e4:SSRCde4:tagsde6:totalsd3:RTPd7:packetsi0e"
			       "5:bytesi0e6:errorsi0ee4:RTCPd7:packetsi0e5:bytesi0e6:errorsi0eee"
			       "6:result2:oke"));
}

static void
test_roundtrip_nested(void **state)
{
	struct sl_arena *a = *state;
	static const char doc[] = "d7:command5:offer5:flagsl13:trust-address10:SIP-sourcee"
				  "7:replacel6:origin18:session-connectione"
				  "5:codecd5:stripl4:PCMAe5:offerl4:opus4:G722ee"
				  "3:TOSi184e12:delete delayi-5e4:deep" "lllld1:ki1e" "eeeee"
				  "1:zi0e1:ai9223372036854775807e1:bi-9223372036854775808e"
				  "1:c0:e";
	const struct ng_val *v, *l, *c;
	int64_t i;

	assert_roundtrip(a, S(doc));
	v = decode(a, S(doc), NULL);
	assert_non_null(v);
	l = ng_dict_get(v, "flags");
	assert_non_null(l);
	assert_int_equal(l->type, NG_LIST);
	assert_int_equal(l->c.n, 2);
	assert_true(ng_str_eq(l->c.first, "trust-address"));
	assert_true(ng_str_eq(l->c.last, "SIP-source"));
	c = ng_dict_get(ng_dict_get(v, "codec"), "offer");
	assert_non_null(c);
	assert_true(ng_str_eq(c->c.first->next, "G722"));
	assert_int_equal(ng_dict_get_int(v, "TOS", &i), 0);
	assert_int_equal(i, 184);
	assert_int_equal(ng_dict_get_int(v, "delete delay", &i), 0);
	assert_int_equal(i, -5);
	assert_int_equal(ng_dict_get_int(v, "a", &i), 0);
	assert_true(i == INT64_MAX);
	assert_int_equal(ng_dict_get_int(v, "b", &i), 0);
	assert_true(i == INT64_MIN);
	/* keys stay in wire order, not sorted */
	assert_string_equal(v->c.first->key, "command");
	assert_string_equal(v->c.last->key, "c");
	assert_int_equal(ng_dict_get(v, "c")->str.len, 0);

	assert_roundtrip(a, S("le"));
	assert_roundtrip(a, S("de"));
	assert_roundtrip(a, S("0:"));
	assert_roundtrip(a, S("i0e"));
	assert_roundtrip(a, S("i-1e"));
}

static void
test_duplicate_keys(void **state)
{
	struct sl_arena *a = *state;
	static const char doc[] = "d1:k5:first1:x1:y1:k6:seconde";
	struct ng_val *v = decode(a, S(doc), NULL);

	assert_non_null(v);
	assert_int_equal(v->c.n, 3);
	assert_true(ng_str_eq(ng_dict_get(v, "k"), "first"));
	assert_roundtrip(a, S(doc));
}

static void
test_binary_strings(void **state)
{
	struct sl_arena *a = *state;
	static const char doc[] = "d3:k\0y6:a\0b\xff\x00\x80" "4:\xfe\xff\0\0" "le" "e";
	struct ng_val *v = decode(a, S(doc), NULL), *e;
	const char *s;
	size_t len;

	assert_non_null(v);
	e = v->c.first;
	assert_int_equal(e->key_len, 3);
	assert_memory_equal(e->key, "k\0y", 4); /* NUL-terminated copy */
	assert_int_equal(e->str.len, 6);
	assert_memory_equal(e->str.s, "a\0b\xff\0\x80", 7);
	assert_null(ng_dict_get(v, "k")); /* the embedded NUL is part of the key */
	s = e->next->key;
	len = e->next->key_len;
	assert_int_equal(len, 4);
	assert_memory_equal(s, "\xfe\xff\0\0", 5);
	assert_roundtrip(a, S(doc));
}

struct bad {
	const char *doc;
	size_t len;
};

#define BAD(lit) { lit, sizeof(lit) - 1 }

static void
test_malformed(void **state)
{
	static const struct bad bad[] = {
		BAD(""), BAD("i"), BAD("ie"), BAD("i-e"), BAD("i-0e"), BAD("i03e"),
		BAD("i-03e"), BAD("i00e"), BAD("i1"), BAD("i-"), BAD("i1x"), BAD("i+1e"),
		BAD("i 1e"), BAD("i1.5e"), BAD("i9223372036854775808e"),
		BAD("i-9223372036854775809e"), BAD("i99999999999999999999999e"),
		BAD("03:abc"), BAD("00:"), BAD("-3:abc"), BAD("3:ab"), BAD("4abc"), BAD(":abc"),
		BAD("3"), BAD("3:"), BAD("99999999999999999999999:a"),
		BAD("18446744073709551616:a"), BAD("18446744073709551615:a"),
		BAD("l"), BAD("li1e"), BAD("d"), BAD("d3:key"), BAD("d3:keye"),
		BAD("di1e1:ae"), BAD("dle1:ae"), BAD("dde1:ae"), BAD("d1:a"), BAD("d1:ai1e"),
		BAD("d1:a1:be "), BAD("le "), BAD("lee"), BAD("i1ei2e"), BAD("0:x"), BAD("x"),
		BAD("e"), BAD(" i1e"), BAD("d1:a1:b"), BAD("d1:ax"), BAD("l1:ax"), BAD("lx"),
		BAD("d7:command4:ping"), BAD("d7:command4:pinge\0"), BAD("d7:command5:pinge"),
	};
	struct sl_arena *a = *state;
	const char *err;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err = NULL;
		errno = 0;
		if (decode(a, bad[i].doc, bad[i].len, &err) != NULL)
			fail_msg("accepted malformed '%.*s'", (int)bad[i].len, bad[i].doc);
		assert_int_equal(errno, EINVAL);
		assert_non_null(err);
	}
	assert_null(ng_bencode_decode(a, NULL, 0, &err));
	assert_int_equal(errno, EINVAL);
}

static void
test_depth(void **state)
{
	struct sl_arena *a = *state;
	char buf[2 * NG_MAX_DEPTH + 2], mixed[8 * NG_MAX_DEPTH];
	size_t big = 1 << 16, i, k, len;
	const char *err;
	char *deep;

	/* exactly NG_MAX_DEPTH nested containers are accepted */
	memset(buf, 'l', NG_MAX_DEPTH);
	memset(buf + NG_MAX_DEPTH, 'e', NG_MAX_DEPTH);
	assert_roundtrip(a, buf, 2 * NG_MAX_DEPTH);

	/* one more is rejected */
	memset(buf, 'l', NG_MAX_DEPTH + 1);
	memset(buf + NG_MAX_DEPTH + 1, 'e', NG_MAX_DEPTH + 1);
	assert_null(decode(a, buf, 2 * NG_MAX_DEPTH + 2, &err));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(err, "deep"));

	/* mixed dict/list nesting counts the same way */
	for (k = NG_MAX_DEPTH; k <= NG_MAX_DEPTH + 1; k++) {
		len = 0;
		for (i = 0; i < k; i++) {
			memcpy(mixed + len, i % 2 ? "l" : "d1:a", i % 2 ? 1 : 4);
			len += i % 2 ? 1 : 4;
		}
		memcpy(mixed + len, "i0e", 3);
		len += 3;
		memset(mixed + len, 'e', k);
		len += k;
		if (k == NG_MAX_DEPTH) {
			assert_roundtrip(a, mixed, len);
		} else {
			assert_null(decode(a, mixed, len, &err));
			assert_int_equal(errno, EINVAL);
		}
	}

	/* a 64 KiB tower of 'l' must fail fast without blowing the stack */
	deep = malloc(big);
	assert_non_null(deep);
	memset(deep, 'l', big);
	assert_null(decode(a, deep, big, &err));
	memset(deep, 'd', big);
	assert_null(decode(a, deep, big, &err));
	free(deep);
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* A full 64 KiB datagram of tiny elements: quadratic code would take seconds. */
static void
test_large_fast(void **state)
{
	struct sl_arena *a = *state;
	size_t cap = 65535, pos = 0, n = 0;
	char *buf = malloc(cap), *out = malloc(cap);
	struct ng_val *v;
	double t0, t1;
	long enc;

	assert_non_null(buf);
	assert_non_null(out);
	buf[pos++] = 'd';
	while (pos + 8 < cap) {
		/* 2-byte keys so that entries are distinct; values alternate types */
		pos += (size_t)snprintf(buf + pos, cap - pos, "2:%c%c%s", 'A' + (int)(n % 50),
			'A' + (int)(n / 50 % 50), n % 2 ? "0:" : "i7e");
		n++;
	}
	buf[pos++] = 'e';
	t0 = now_ms();
	v = ng_bencode_decode(a, buf, pos, NULL);
	t1 = now_ms();
	assert_non_null(v);
	assert_int_equal(v->c.n, n);
	assert_true(t1 - t0 < 250.0);
	enc = ng_bencode_encode(v, out, cap);
	assert_int_equal(enc, (long)pos);
	assert_memory_equal(out, buf, pos);

	/* one big binary string */
	pos = (size_t)snprintf(buf, cap, "%zu:", cap - 6);
	memset(buf + pos, 0xa5, cap - pos);
	v = ng_bencode_decode(a, buf, cap, NULL);
	assert_non_null(v);
	assert_int_equal(v->str.len, cap - 6);
	free(buf);
	free(out);
}

static void
test_enospc(void **state)
{
	struct sl_arena *a = *state;
	static const char doc[] = "d6:result2:ok3:sdp4:v=0\n4:listl1:ai-42ee5:emptyde1:ii0ee";
	struct ng_val *v = decode(a, S(doc), NULL);
	char out[sizeof(doc) + 16];
	size_t cap, i;
	long n;

	assert_non_null(v);
	for (cap = 0; cap < sizeof(doc) - 1; cap++) {
		memset(out, 0x5a, sizeof(out));
		assert_int_equal(ng_bencode_encode(v, out, cap), -ENOSPC);
		for (i = cap; i < sizeof(out); i++)
			assert_int_equal((unsigned char)out[i], 0x5a);
	}
	memset(out, 0x5a, sizeof(out));
	n = ng_bencode_encode(v, out, sizeof(doc) - 1);
	assert_int_equal(n, sizeof(doc) - 1);
	assert_memory_equal(out, doc, sizeof(doc) - 1);
	assert_int_equal((unsigned char)out[n], 0x5a);
	assert_int_equal(ng_bencode_encode(v, NULL, 0), -ENOSPC);
}

/*
 * Mutation fuzz: flips, truncations and splices of valid documents. Nothing
 * may crash (ASan), and whatever is accepted must re-encode to the input.
 */
static void
test_mutations(void **state)
{
	static const char *seeds[] = {
		"d7:command5:offer7:call-id3:abc5:flagsl1:a2:bbe3:TOSi184e1:dd1:xi-3eee",
		"d6:result5:error12:error-reason20:Unrecognized commande",
		"ld1:ai0eel0:i12ee",
	};
	struct sl_arena *a = *state;
	static const char alpha[] = "dlie0123456789:-x";
	char buf[128], out[256];
	unsigned seed = 12345;
	size_t len, k, iter;
	struct ng_val *v;
	long n;

	for (iter = 0; iter < 200000; iter++) {
		const char *s = seeds[iter % 3];

		len = strlen(s);
		memcpy(buf, s, len);
		for (k = 0; k < 1 + iter % 4; k++) {
			seed = seed * 1103515245 + 12345;
			switch ((seed >> 16) % 3) {
			case 0:
				if (len == 0)
					break;
				buf[(seed >> 4) % len] = alpha[(seed >> 20) % (sizeof(alpha) - 1)];
				break;
			case 1:
				len = (seed >> 4) % (len + 1);
				break;
			default:
				if (len < sizeof(buf) - 1) {
					size_t at = (seed >> 4) % (len + 1);

					memmove(buf + at + 1, buf + at, len - at);
					buf[at] = alpha[(seed >> 20) % (sizeof(alpha) - 1)];
					len++;
				}
				break;
			}
		}
		v = decode(a, buf, len, NULL);
		if (v != NULL) {
			n = ng_bencode_encode(v, out, sizeof(out));
			assert_int_equal(n, (long)len);
			assert_memory_equal(out, buf, len);
		}
		if (iter % 1000 == 0) {
			sl_arena_free(a);
			sl_arena_init(a, 0);
		}
	}
}

static void
test_tree_api(void **state)
{
	struct sl_arena *a = *state;
	struct ng_val *d = ng_new_dict(a), *l, *v;
	int64_t i = 99;
	size_t len;

	assert_non_null(d);
	ng_dict_add_str(a, d, "s42", "42");
	ng_dict_add_int(a, d, "i42", 42);
	ng_dict_add_str(a, d, "x", "x");
	ng_dict_add_str(a, d, "neg", "-17");
	ng_dict_add_str(a, d, "empty", "");
	ng_dict_add_str(a, d, "minus", "-");
	ng_dict_add_str(a, d, "big", "9223372036854775808");
	ng_dict_add_str(a, d, "min", "-9223372036854775808");
	ng_dict_add_str(a, d, "space", " 5");
	ng_dict_add_str(a, d, "trail", "5x");
	ng_dict_add_strn(a, d, "nul", "5\0", 2);
	l = ng_dict_add_list(a, d, "list");
	assert_non_null(ng_list_add_str(a, l, "one"));
	assert_non_null(ng_list_add(l, ng_new_int(a, 2)));
	assert_non_null(ng_dict_add_dict(a, d, "dict"));

	assert_int_equal(ng_dict_get_int(d, "s42", &i), 0);
	assert_int_equal(i, 42);
	i = 0;
	assert_int_equal(ng_dict_get_int(d, "i42", &i), 0);
	assert_int_equal(i, 42);
	i = 99;
	assert_int_equal(ng_dict_get_int(d, "x", &i), -EINVAL);
	assert_int_equal(i, 99); /* untouched on error */
	assert_int_equal(ng_dict_get_int(d, "neg", &i), 0);
	assert_int_equal(i, -17);
	assert_int_equal(ng_dict_get_int(d, "min", &i), 0);
	assert_true(i == INT64_MIN);
	assert_int_equal(ng_dict_get_int(d, "empty", &i), -EINVAL);
	assert_int_equal(ng_dict_get_int(d, "minus", &i), -EINVAL);
	assert_int_equal(ng_dict_get_int(d, "big", &i), -EINVAL);
	assert_int_equal(ng_dict_get_int(d, "space", &i), -EINVAL);
	assert_int_equal(ng_dict_get_int(d, "trail", &i), -EINVAL);
	assert_int_equal(ng_dict_get_int(d, "nul", &i), -EINVAL);
	assert_int_equal(ng_dict_get_int(d, "list", &i), -EINVAL);
	assert_int_equal(ng_dict_get_int(d, "dict", &i), -EINVAL);
	assert_int_equal(ng_dict_get_int(d, "absent", &i), -ENOENT);
	assert_int_equal(ng_dict_get_int(l, "s42", &i), -ENOENT);

	assert_string_equal(ng_dict_get_str(d, "s42", &len), "42");
	assert_int_equal(len, 2);
	assert_null(ng_dict_get_str(d, "i42", &len)); /* integers are not converted */
	assert_null(ng_dict_get_str(d, "list", NULL));
	assert_null(ng_dict_get_str(d, "absent", NULL));
	assert_null(ng_dict_get(l, "x"));
	assert_null(ng_dict_get(NULL, "x"));

	assert_true(ng_str_eq(ng_dict_get(d, "x"), "x"));
	assert_false(ng_str_eq(ng_dict_get(d, "x"), "xy"));
	assert_false(ng_str_eq(ng_dict_get(d, "x"), ""));
	assert_false(ng_str_eq(ng_dict_get(d, "nul"), "5"));
	assert_false(ng_str_eq(ng_dict_get(d, "i42"), "42"));
	assert_false(ng_str_eq(NULL, "x"));

	/* duplicates are appended, lookups return the first */
	ng_dict_add_str(a, d, "x", "second");
	assert_true(ng_str_eq(ng_dict_get(d, "x"), "x"));
	assert_true(ng_str_eq(d->c.last, "second"));
	assert_int_equal(d->c.n, 14);

	/* a NULL value (failed allocation upstream) propagates as NULL */
	assert_null(ng_dict_add(a, d, "k", NULL));
	assert_null(ng_list_add(l, NULL));
	assert_null(ng_dict_add_str(a, NULL, "k", "v"));
	assert_int_equal(d->c.n, 14);
	/* containers of the wrong kind are refused */
	assert_null(ng_list_add(d, ng_new_int(a, 1)));
	assert_null(ng_dict_add(a, l, "k", ng_new_int(a, 1)));

	v = ng_new_str(a, "ab\0cd", 5);
	assert_non_null(v);
	assert_int_equal(v->str.len, 5);
	assert_int_equal(v->str.s[5], '\0');
	assert_encodes_to(l, S("l3:onei2ee"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_captured_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_captured_replies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_roundtrip_nested, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_binary_strings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_depth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_large_fast, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enospc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mutations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tree_api, setup, teardown),
	};

	return cmocka_run_group_tests_name("bencode", tests, NULL, NULL);
}
