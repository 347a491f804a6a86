/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * JSON flavour of ng documents: decoding through cJSON into the ng tree and
 * the hand-written compact encoder. Inputs are decoded from exact-size heap
 * copies so that AddressSanitizer sees any read past the datagram.
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

static struct ng_val *
decode(struct sl_arena *a, const char *buf, size_t len, const char **err)
{
	char *copy = malloc(len > 0 ? len : 1);
	struct ng_val *v;

	assert_non_null(copy);
	memcpy(copy, buf, len);
	v = ng_json_decode(a, copy, len, err);
	free(copy);
	return v;
}

static void
assert_json(const struct ng_val *v, const char *want, size_t want_len)
{
	char out[4096];
	long n = ng_json_encode(v, out, sizeof(out));

	if (n != (long)want_len || memcmp(out, want, want_len) != 0)
		fail_msg("encoded '%.*s' (%ld), want '%.*s'", n > 0 ? (int)n : 0, out, n,
			(int)want_len, want);
}

/* decode -> encode gives back the (compact) input */
static void
assert_roundtrip(struct sl_arena *a, const char *buf, size_t len)
{
	const char *err = NULL;
	struct ng_val *v = decode(a, buf, len, &err);

	if (v == NULL)
		fail_msg("decode of '%.*s' failed: %s", (int)len, buf, err);
	assert_json(v, buf, len);
}

static void
test_captured(void **state)
{
	struct sl_arena *a = *state;
	struct ng_val *v, *r;

	v = decode(a, S("{\"command\":\"ping\"}"), NULL);
	assert_non_null(v);
	assert_int_equal(v->type, NG_DICT);
	assert_true(ng_str_eq(ng_dict_get(v, "command"), "ping"));

	r = ng_new_dict(a);
	ng_dict_add_str(a, r, "result", "pong");
	assert_json(r, S("{\"result\":\"pong\"}"));

	r = ng_new_dict(a);
	ng_dict_add_str(a, r, "warning", "Call-ID not found or tags didn't match");
	ng_dict_add_str(a, r, "result", "ok");
	assert_json(r, S("{\"warning\":\"Call-ID not found or tags didn't match\","
			 "\"result\":\"ok\"}"));

	/* whitespace is accepted on input, output is compact */
	v = decode(a, S(" {\n\t\"command\" : \"delete\", \"call-id\":\"abc\" ,"
			"\"flags\": [ ] }\r\n"), NULL);
	assert_non_null(v);
	assert_json(v, S("{\"command\":\"delete\",\"call-id\":\"abc\",\"flags\":[]}"));
}

static void
test_roundtrip_nested(void **state)
{
	struct sl_arena *a = *state;
	static const char doc[] =
		"{\"command\":\"offer\",\"flags\":[\"trust-address\",\"SIP-source\"],"
		"\"codec\":{\"strip\":[\"PCMA\"],\"offer\":[\"opus\",\"G722\"]},\"TOS\":184,"
		"\"delete delay\":-5,\"deep\":[[[[{\"k\":[1,{},[]]}]]]],\"z\":0,"
		"\"a\":9223372036854775807,\"b\":-9223372036854775808,\"c\":\"\","
		"\"sdp\":\"v=0\\r\\no=- 1 1 IN IP4 192.0.2.1\\r\\n\"}";
	const struct ng_val *v;
	int64_t i;

	assert_roundtrip(a, S(doc));
	v = decode(a, S(doc), NULL);
	assert_int_equal(ng_dict_get(v, "flags")->c.n, 2);
	assert_int_equal(ng_dict_get_int(v, "TOS", &i), 0);
	assert_int_equal(i, 184);
	assert_int_equal(ng_dict_get(v, "TOS")->type, NG_INT);
	assert_int_equal(ng_dict_get_int(v, "a", &i), 0);
	assert_true(i == INT64_MAX);
	assert_int_equal(ng_dict_get_int(v, "b", &i), 0);
	assert_true(i == INT64_MIN);
	assert_string_equal(ng_dict_get_str(v, "sdp", NULL), "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n");
	assert_string_equal(v->c.first->key, "command");

	assert_roundtrip(a, S("{}"));
	assert_roundtrip(a, S("[]"));
	assert_roundtrip(a, S("\"x\""));
	assert_roundtrip(a, S("-7"));
	/* duplicate keys are kept in order; lookups return the first */
	assert_roundtrip(a, S("{\"k\":\"first\",\"x\":1,\"k\":\"second\"}"));
	v = decode(a, S("{\"k\":\"first\",\"x\":1,\"k\":\"second\"}"), NULL);
	assert_true(ng_str_eq(ng_dict_get(v, "k"), "first"));
}

static void
test_scalars(void **state)
{
	struct sl_arena *a = *state;
	static const char doc[] =
		"{\"i\":42,\"s\":\"42\",\"f\":1.5,\"e\":1e3,\"z\":-0,\"big\":99999999999999999999,"
		"\"nbig\":-9223372036854775809,\"t\":true,\"n\":null,\"fl\":false,"
		"\"l\":[null,1,null,\"2\",true,null],\"q\":\"1,2 \\\"3\",\"after\":7}";
	const struct ng_val *v, *l;
	int64_t i;

	v = decode(a, S(doc), NULL);
	assert_non_null(v);
	assert_int_equal(ng_dict_get(v, "i")->type, NG_INT);
	assert_int_equal(ng_dict_get_int(v, "i", &i), 0);
	assert_int_equal(i, 42);
	assert_int_equal(ng_dict_get(v, "s")->type, NG_STR);
	assert_int_equal(ng_dict_get_int(v, "s", &i), 0);
	assert_int_equal(i, 42);
	/* non-integral and out-of-range numbers keep their text */
	assert_true(ng_str_eq(ng_dict_get(v, "f"), "1.5"));
	assert_true(ng_str_eq(ng_dict_get(v, "e"), "1e3"));
	assert_int_equal(ng_dict_get_int(v, "f", &i), -EINVAL);
	assert_int_equal(ng_dict_get(v, "z")->type, NG_INT);
	assert_int_equal(ng_dict_get(v, "z")->i, 0);
	assert_true(ng_str_eq(ng_dict_get(v, "big"), "99999999999999999999"));
	assert_true(ng_str_eq(ng_dict_get(v, "nbig"), "-9223372036854775809"));
	assert_int_equal(ng_dict_get_int(v, "big", &i), -EINVAL);
	/* booleans become strings, null disappears */
	assert_true(ng_str_eq(ng_dict_get(v, "t"), "true"));
	assert_true(ng_str_eq(ng_dict_get(v, "fl"), "false"));
	assert_null(ng_dict_get(v, "n"));
	l = ng_dict_get(v, "l");
	assert_int_equal(l->c.n, 3);
	assert_int_equal(l->c.first->type, NG_INT);
	assert_int_equal(l->c.first->i, 1);
	assert_true(ng_str_eq(l->c.first->next, "2"));
	assert_true(ng_str_eq(l->c.last, "true"));
	/* digits inside strings do not confuse the number text recovery */
	assert_true(ng_str_eq(ng_dict_get(v, "q"), "1,2 \"3"));
	assert_int_equal(ng_dict_get(v, "after")->i, 7);

	assert_json(v, S("{\"i\":42,\"s\":\"42\",\"f\":\"1.5\",\"e\":\"1e3\",\"z\":0,"
			 "\"big\":\"99999999999999999999\",\"nbig\":\"-9223372036854775809\","
			 "\"t\":\"true\",\"fl\":\"false\",\"l\":[1,\"2\",\"true\"],"
			 "\"q\":\"1,2 \\\"3\",\"after\":7}"));

	assert_null(decode(a, S("null"), NULL));
	assert_int_equal(errno, EINVAL);
	v = decode(a, S("[null]"), NULL);
	assert_non_null(v);
	assert_int_equal(v->c.n, 0);
}

static void
test_unicode_decode(void **state)
{
	struct sl_arena *a = *state;
	const struct ng_val *v;

	v = decode(a, S("{\"k\\u00e9y\":\"caf\\u00e9 \\ud83d\\ude00 \\u20AC "
			"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}"), NULL);
	assert_non_null(v);
	assert_string_equal(v->c.first->key, "k\xc3\xa9y");
	assert_int_equal(v->c.first->key_len, 4);
	assert_string_equal(v->c.first->str.s,
		"caf\xc3\xa9 \xf0\x9f\x98\x80 \xe2\x82\xac \"\\/\b\f\n\r\t");

	/* raw UTF-8 and raw invalid bytes pass through as bytes */
	v = decode(a, S("[\"\xc3\xa9\",\"\xff\xfe\"]"), NULL);
	assert_non_null(v);
	assert_true(ng_str_eq(v->c.first, "\xc3\xa9"));
	assert_true(ng_str_eq(v->c.last, "\xff\xfe"));

	/* lone surrogates are not text */
	assert_null(decode(a, S("[\"\\ud83d\"]"), NULL));
	assert_null(decode(a, S("[\"\\ude00\"]"), NULL));
	assert_null(decode(a, S("[\"\\ud83dx\"]"), NULL));
}

static void
test_encode_strings(void **state)
{
	struct sl_arena *a = *state;
	struct ng_val *l = ng_new_list(a);

	ng_list_add(l, ng_new_str(a, S("q\"b\\s/")));
	ng_list_add(l, ng_new_str(a, S("\b\f\n\r\t\x01\x1f\x7f")));
	ng_list_add(l, ng_new_str(a, S("a\0b")));
	ng_list_add(l,
		ng_new_str(a, S("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf")));
	/* binary: each byte outside a well-formed sequence becomes \u00XX */
	ng_list_add(l, ng_new_str(a, S("a\xff" "b\x80\xfe")));
	ng_list_add(l, ng_new_str(a, S("\xc0\xaf")));         /* overlong '/' */
	ng_list_add(l, ng_new_str(a, S("\xe0\x80\xaf")));     /* overlong 3-byte '/' */
	ng_list_add(l, ng_new_str(a, S("\xf0\x80\x80\xaf"))); /* overlong 4-byte '/' */
	ng_list_add(l, ng_new_str(a, S("\xed\xa0\x80")));     /* UTF-8 encoded surrogate */
	ng_list_add(l, ng_new_str(a, S("\xf4\x90\x80\x80"))); /* above U+10FFFF */
	ng_list_add(l, ng_new_str(a, S("\xe2\x82")));         /* truncated at the end */
	ng_list_add(l, ng_new_str(a, S("\xe2\x82x\xc3\xa9"))); /* truncated mid-string */
	ng_list_add(l, ng_new_int(a, INT64_MIN));
	assert_json(l, S("[\"q\\\"b\\\\s/\","
			 "\"\\b\\f\\n\\r\\t\\u0001\\u001f\x7f\","
			 "\"a\\u0000b\","
			 "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf\","
			 "\"a\\u00ffb\\u0080\\u00fe\","
			 "\"\\u00c0\\u00af\","
			 "\"\\u00e0\\u0080\\u00af\","
			 "\"\\u00f0\\u0080\\u0080\\u00af\","
			 "\"\\u00ed\\u00a0\\u0080\","
			 "\"\\u00f4\\u0090\\u0080\\u0080\","
			 "\"\\u00e2\\u0082\","
			 "\"\\u00e2\\u0082x\xc3\xa9\","
			 "-9223372036854775808]"));
}

/* Escaped binary comes back as the code points U+0080..U+00FF, i.e. as UTF-8. */
static void
test_binary_roundtrip(void **state)
{
	struct sl_arena *a = *state;
	struct ng_val *d = ng_new_dict(a), *v;
	char out[256];
	long n;

	ng_dict_add_strn(a, d, "bin", "\x01\xff\x80z", 4);
	ng_dict_addn(a, d, "k\xfe", 2, ng_new_int(a, 1));
	n = ng_json_encode(d, out, sizeof(out));
	assert_true(n > 0);
	assert_memory_equal(out, "{\"bin\":\"\\u0001\\u00ff\\u0080z\",\"k\\u00fe\":1}", (size_t)n);
	v = decode(a, out, (size_t)n, NULL);
	assert_non_null(v);
	assert_string_equal(ng_dict_get_str(v, "bin", NULL), "\x01\xc3\xbf\xc2\x80z");
	assert_non_null(ng_dict_get(v, "k\xc3\xbe"));
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
		BAD(""), BAD(" "), BAD("{"), BAD("{\"a\""), BAD("{\"a\":"), BAD("{\"a\":1"),
		BAD("{\"a\":1,}"), BAD("{a:1}"), BAD("{1:1}"), BAD("[1,]"), BAD("[\"abc"),
		BAD("[\"abc\\"), BAD("[\"\\u12\"]"), BAD("[\"\\u"), BAD("[\"\\x41\"]"),
		BAD("{\"a\":1}x"), BAD("{\"a\":1}{}"), BAD("{\"a\":1} 1"), BAD("{\"a\":1}\0"),
		BAD("[tru]"), BAD("[nul]"), BAD("[-]"), BAD("[1.2.3]"), BAD("[0x10]"),
		BAD("[\"a\\u0000b\"]"), BAD("{\"a\\u0000\":1}"), BAD("[\"a\0b\"]"), BAD("[1,\0 2]"),
		BAD("'x'"), BAD("[1 2]"), BAD("}"), BAD("]"),
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
	/* escaped backslash followed by "u0000" is plain text, not NUL */
	assert_roundtrip(a, S("[\"\\\\u0000\"]"));
	/* trailing whitespace is fine */
	assert_non_null(decode(a, S("{\"a\":1} \r\n\t"), NULL));
}

static void
test_depth(void **state)
{
	struct sl_arena *a = *state;
	char buf[4 * NG_MAX_DEPTH + 8];
	size_t big = 1 << 16, i;
	const char *err;
	char *deep;

	memset(buf, '[', NG_MAX_DEPTH);
	memset(buf + NG_MAX_DEPTH, ']', NG_MAX_DEPTH);
	assert_roundtrip(a, buf, 2 * NG_MAX_DEPTH);

	memset(buf, '[', NG_MAX_DEPTH + 1);
	memset(buf + NG_MAX_DEPTH + 1, ']', NG_MAX_DEPTH + 1);
	assert_null(decode(a, buf, 2 * NG_MAX_DEPTH + 2, &err));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(err, "deep"));

	/* brackets inside strings do not count */
	buf[0] = '[';
	buf[1] = '"';
	memset(buf + 2, '[', 2 * NG_MAX_DEPTH);
	memcpy(buf + 2 + 2 * NG_MAX_DEPTH, "\"]", 2);
	assert_non_null(decode(a, buf, 2 * NG_MAX_DEPTH + 4, NULL));

	/* 64 KiB of '[' or '{"a":' never reaches cJSON's deep recursion */
	deep = malloc(big);
	assert_non_null(deep);
	memset(deep, '[', big);
	assert_null(decode(a, deep, big, &err));
	assert_non_null(strstr(err, "deep"));
	for (i = 0; i + 5 <= big; i += 5)
		memcpy(deep + i, "{\"a\":", 5);
	assert_null(decode(a, deep, big - big % 5, &err));
	assert_non_null(strstr(err, "deep"));
	free(deep);
}

static void
test_enospc(void **state)
{
	struct sl_arena *a = *state;
	static const char doc[] = "{\"result\":\"ok\",\"sdp\":\"v=0\\r\\n\","
				  "\"l\":[1,-2,\"\\u00ff\"],\"d\":{},\"\\u0001\":\"\\\"\"}";
	struct ng_val *v = decode(a, S("{\"result\":\"ok\",\"sdp\":\"v=0\\r\\n\","
				      "\"l\":[1,-2,\"\xff\"],\"d\":{},"
				      "\"\\u0001\":\"\\\"\"}"), NULL);
	char out[sizeof(doc) + 16];
	size_t cap, i;
	long n;

	assert_non_null(v);
	for (cap = 0; cap < sizeof(doc) - 1; cap++) {
		memset(out, 0x5a, sizeof(out));
		assert_int_equal(ng_json_encode(v, out, cap), -ENOSPC);
		for (i = cap; i < sizeof(out); i++)
			assert_int_equal((unsigned char)out[i], 0x5a);
	}
	memset(out, 0x5a, sizeof(out));
	n = ng_json_encode(v, out, sizeof(doc) - 1);
	assert_int_equal(n, sizeof(doc) - 1);
	assert_memory_equal(out, doc, sizeof(doc) - 1);
	assert_int_equal((unsigned char)out[n], 0x5a);
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/*
 * A 64 KiB datagram of tiny members, numbers interleaved with strings full
 * of digits: a number-text lookup that rescanned from the start would be
 * quadratic here.
 */
static void
test_large_fast(void **state)
{
	struct sl_arena *a = *state;
	size_t cap = 65535, pos = 0, n = 0;
	char *buf = malloc(cap), *out = malloc(cap);
	const struct ng_val *v, *c;
	double t0, t1;
	long enc;

	assert_non_null(buf);
	assert_non_null(out);
	buf[pos++] = '[';
	while (pos + 16 < cap) {
		pos += (size_t)snprintf(buf + pos, cap - pos, n % 2 ? "\"%zu\"," : "%zu,", n);
		n++;
	}
	buf[pos - 1] = ']';
	t0 = now_ms();
	v = decode(a, buf, pos, NULL);
	t1 = now_ms();
	assert_non_null(v);
	assert_int_equal(v->c.n, n);
	assert_true(t1 - t0 < 250.0);
	for (c = v->c.first, n = 0; c != NULL; c = c->next, n++) {
		if (n % 2 == 0) {
			assert_int_equal(c->type, NG_INT);
			assert_int_equal(c->i, n);
		} else {
			assert_int_equal(c->type, NG_STR);
		}
	}
	enc = ng_json_encode(v, out, cap);
	assert_int_equal(enc, (long)pos);
	assert_memory_equal(out, buf, pos);
	free(buf);
	free(out);
}

/* Mutations of valid documents: no crash, and accepted output re-decodes. */
static void
test_mutations(void **state)
{
	static const char *seeds[] = {
		"{\"command\":\"offer\",\"flags\":[\"a\",\"b\"],\"TOS\":184,\"x\":{\"y\":-1.5e3}}",
		"[1,\"\\u00e9\\ud83d\\ude00\",true,false,null,{}]",
	};
	static const char alpha[] = "{}[]\",:\\u0123456789-.eEtrfn \xff";
	struct sl_arena *a = *state;
	char buf[128], out[1024];
	unsigned seed = 4242;
	size_t len, k, iter;
	struct ng_val *v;
	long n;

	for (iter = 0; iter < 100000; iter++) {
		const char *s = seeds[iter % 2];

		len = strlen(s);
		memcpy(buf, s, len);
		for (k = 0; k < 1 + iter % 3; k++) {
			seed = seed * 1103515245 + 12345;
			if ((seed >> 16) % 2 == 0 && len > 0)
				buf[(seed >> 4) % len] = alpha[(seed >> 20) % (sizeof(alpha) - 1)];
			else
				len = (seed >> 4) % (len + 1);
		}
		v = decode(a, buf, len, NULL);
		if (v != NULL) {
			n = ng_json_encode(v, out, sizeof(out));
			assert_true(n > 0);
			assert_non_null(decode(a, out, (size_t)n, NULL));
		}
		if (iter % 1000 == 0) {
			sl_arena_free(a);
			sl_arena_init(a, 0);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_captured, setup, teardown),
		cmocka_unit_test_setup_teardown(test_roundtrip_nested, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scalars, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unicode_decode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_encode_strings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_binary_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_depth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enospc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_large_fast, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mutations, setup, teardown),
	};

	return cmocka_run_group_tests_name("ngjson", tests, NULL, NULL);
}
