/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bencode codec for ng documents.
 *
 * The decoder treats every datagram as hostile: it only accepts the one
 * canonical spelling of each integer and length (no "i03e", "i-0e", "03:"),
 * refuses trailing bytes, bounds nesting at NG_MAX_DEPTH and never reads
 * past len. Because integers and lengths are canonical and dictionaries keep
 * their order and duplicates, encode(decode(x)) == x for every accepted x.
 * Each byte is looked at a bounded number of times, so decoding is O(n).
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "control/ng_tree.h"

struct bdec {
	struct sl_arena *a;
	const char *p;   /* next byte to read */
	const char *end; /* one past the last byte */
	const char *err; /* static description of the first failure */
	int errnum;
};

static struct ng_val *
fail(struct bdec *b, int errnum, const char *err)
{
	if (b->err == NULL) {
		b->err = err;
		b->errnum = errnum;
	}
	return NULL;
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * "<len>:" followed by len bytes. The length may not exceed what is left of
 * the buffer; checking that while accumulating also rules out overflow.
 */
static int
dec_strbody(struct bdec *b, const char **s, size_t *len)
{
	size_t acc = 0;

	if (b->p == b->end) {
		fail(b, EINVAL, "bencode: truncated string");
		return -1;
	}
	if (!is_digit(*b->p)) {
		fail(b, EINVAL, "bencode: string length is not a number");
		return -1;
	}
	if (*b->p == '0' && b->p + 1 < b->end && is_digit(b->p[1])) {
		fail(b, EINVAL, "bencode: leading zero in string length");
		return -1;
	}
	while (b->p < b->end && is_digit(*b->p)) {
		if (acc > (SIZE_MAX - 9) / 10) {
			fail(b, EINVAL, "bencode: string length out of range");
			return -1;
		}
		acc = acc * 10 + (size_t)(*b->p - '0');
		b->p++;
		if (acc > (size_t)(b->end - b->p)) {
			fail(b, EINVAL, "bencode: string length exceeds the message");
			return -1;
		}
	}
	if (b->p == b->end) {
		fail(b, EINVAL, "bencode: truncated string");
		return -1;
	}
	if (*b->p != ':') {
		fail(b, EINVAL, "bencode: expected ':' after string length");
		return -1;
	}
	b->p++;
	if (acc > (size_t)(b->end - b->p)) {
		fail(b, EINVAL, "bencode: string length exceeds the message");
		return -1;
	}
	*s = b->p;
	*len = acc;
	b->p += acc;
	return 0;
}

static struct ng_val *
dec_str(struct bdec *b)
{
	const char *s;
	size_t len;
	struct ng_val *v;

	if (dec_strbody(b, &s, &len) < 0)
		return NULL;
	v = ng_new_str(b->a, s, len);
	if (v == NULL)
		return fail(b, ENOMEM, "out of memory");
	return v;
}

/* "i<n>e": n is 0 or [-]<non-zero digit><digits>, within int64. */
static struct ng_val *
dec_int(struct bdec *b)
{
	uint64_t limit = INT64_MAX, acc = 0;
	bool neg = false;
	const char *digits;
	struct ng_val *v;
	int64_t i;

	b->p++; /* 'i' */
	if (b->p < b->end && *b->p == '-') {
		neg = true;
		limit = (uint64_t)INT64_MAX + 1;
		b->p++;
	}
	digits = b->p;
	while (b->p < b->end && is_digit(*b->p)) {
		unsigned d = (unsigned)(*b->p - '0');

		if (acc > (limit - d) / 10)
			return fail(b, EINVAL, "bencode: integer out of range");
		acc = acc * 10 + d;
		b->p++;
	}
	if (b->p == b->end)
		return fail(b, EINVAL, "bencode: truncated integer");
	if (*b->p != 'e' || b->p == digits)
		return fail(b, EINVAL, "bencode: malformed integer");
	if (*digits == '0' && (b->p - digits > 1 || neg))
		return fail(b, EINVAL, "bencode: non-canonical integer");
	b->p++; /* 'e' */

	if (neg)
		i = acc == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)acc;
	else
		i = (int64_t)acc;
	v = ng_new_int(b->a, i);
	if (v == NULL)
		return fail(b, ENOMEM, "out of memory");
	return v;
}

static struct ng_val *dec_value(struct bdec *b, unsigned depth);

static struct ng_val *
dec_list(struct bdec *b, unsigned depth)
{
	struct ng_val *l, *v;

	b->p++; /* 'l' */
	l = ng_new_list(b->a);
	if (l == NULL)
		return fail(b, ENOMEM, "out of memory");
	for (;;) {
		if (b->p == b->end)
			return fail(b, EINVAL, "bencode: truncated list");
		if (*b->p == 'e')
			break;
		v = dec_value(b, depth + 1);
		if (v == NULL)
			return NULL;
		ng_list_add(l, v);
	}
	b->p++; /* 'e' */
	return l;
}

static struct ng_val *
dec_dict(struct bdec *b, unsigned depth)
{
	struct ng_val *d, *v;
	const char *key;
	size_t key_len;

	b->p++; /* 'd' */
	d = ng_new_dict(b->a);
	if (d == NULL)
		return fail(b, ENOMEM, "out of memory");
	for (;;) {
		if (b->p == b->end)
			return fail(b, EINVAL, "bencode: truncated dictionary");
		if (*b->p == 'e')
			break;
		if (!is_digit(*b->p))
			return fail(b, EINVAL, "bencode: dictionary key is not a string");
		if (dec_strbody(b, &key, &key_len) < 0)
			return fail(b, EINVAL, "bencode: truncated dictionary");
		if (b->p == b->end)
			return fail(b, EINVAL, "bencode: truncated dictionary");
		if (*b->p == 'e')
			return fail(b, EINVAL, "bencode: dictionary key without value");
		v = dec_value(b, depth + 1);
		if (v == NULL)
			return NULL;
		if (ng_dict_addn(b->a, d, key, key_len, v) == NULL)
			return fail(b, ENOMEM, "out of memory");
	}
	b->p++; /* 'e' */
	return d;
}

/*
 * Recursion is bounded by NG_MAX_DEPTH, which keeps the stack small no
 * matter what the peer sends ("llll..." 64 KiB deep fails at level 33).
 */
static struct ng_val *
dec_value(struct bdec *b, unsigned depth)
{
	if (b->p == b->end)
		return fail(b, EINVAL, "bencode: truncated value");
	switch (*b->p) {
	case 'i':
		return dec_int(b);
	case 'l':
	case 'd':
		if (depth >= NG_MAX_DEPTH)
			return fail(b, EINVAL, "bencode: nesting too deep");
		return *b->p == 'l' ? dec_list(b, depth) : dec_dict(b, depth);
	default:
		if (is_digit(*b->p))
			return dec_str(b);
		return fail(b, EINVAL, "bencode: invalid value type");
	}
}

struct ng_val *
ng_bencode_decode(struct sl_arena *a, const char *buf, size_t len, const char **err)
{
	struct bdec b = {
		.a = a,
		.p = buf,
		.end = buf + len,
	};
	struct ng_val *root;

	if (buf == NULL && len > 0) {
		b.err = "bencode: no input";
		b.errnum = EINVAL;
		root = NULL;
	} else {
		root = dec_value(&b, 0);
		if (root != NULL && b.p != b.end)
			root = fail(&b, EINVAL, "bencode: trailing bytes after the value");
	}
	if (root == NULL) {
		if (b.err == NULL) { /* defensive: every failure path sets one */
			b.err = "bencode: malformed";
			b.errnum = EINVAL;
		}
		if (err != NULL)
			*err = b.err;
		errno = b.errnum;
		return NULL;
	}
	if (err != NULL)
		*err = NULL;
	return root;
}

/* ---- encoder ---- */

struct benc {
	char *out;
	size_t cap;
	size_t pos;
	bool full; /* something did not fit; pos stops advancing */
};

static void
put(struct benc *e, const void *p, size_t n)
{
	if (e->full || n > e->cap - e->pos) {
		e->full = true;
		return;
	}
	if (n > 0)
		memcpy(e->out + e->pos, p, n);
	e->pos += n;
}

static void
put_fmt_len(struct benc *e, size_t len)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "%zu:", len);

	put(e, tmp, (size_t)n);
}

static void
put_bytes(struct benc *e, const char *s, size_t len)
{
	put_fmt_len(e, len);
	put(e, s, len);
}

static int
enc_value(struct benc *e, const struct ng_val *v)
{
	const struct ng_val *c;
	char tmp[32];
	int n;

	switch (v->type) {
	case NG_STR:
		put_bytes(e, v->str.s, v->str.len);
		break;
	case NG_INT:
		n = snprintf(tmp, sizeof(tmp), "i%" PRId64 "e", v->i);
		put(e, tmp, (size_t)n);
		break;
	case NG_LIST:
	case NG_DICT:
		put(e, v->type == NG_LIST ? "l" : "d", 1);
		for (c = v->c.first; c != NULL && !e->full; c = c->next) {
			if (v->type == NG_DICT)
				put_bytes(e, c->key != NULL ? c->key : "",
					c->key != NULL ? c->key_len : 0);
			if (enc_value(e, c) < 0)
				return -EINVAL;
		}
		put(e, "e", 1);
		break;
	default:
		return -EINVAL;
	}
	return 0;
}

long
ng_bencode_encode(const struct ng_val *v, char *out, size_t cap)
{
	struct benc e = {
		.out = out,
		.cap = cap > LONG_MAX ? LONG_MAX : cap,
	};

	if (v == NULL || (out == NULL && cap > 0))
		return -EINVAL;
	if (enc_value(&e, v) < 0)
		return -EINVAL;
	if (e.full)
		return -ENOSPC;
	return (long)e.pos;
}
