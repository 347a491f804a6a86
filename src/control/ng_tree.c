/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ng document tree: construction and lookup. Everything lives in the
 * request's arena, so there is no free path; a failed allocation simply
 * returns NULL and the caller abandons the whole request.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "control/ng_tree.h"

static struct ng_val *
new_node(struct sl_arena *a, enum ng_type type, size_t extra)
{
	struct ng_val *v;

	if (extra > SIZE_MAX - sizeof(*v)) {
		errno = ENOMEM;
		return NULL;
	}
	v = sl_arena_alloc(a, sizeof(*v) + extra); /* zeroed */
	if (v == NULL)
		return NULL;
	v->type = type;
	return v;
}

struct ng_val *
ng_new_dict(struct sl_arena *a)
{
	return new_node(a, NG_DICT, 0);
}

struct ng_val *
ng_new_list(struct sl_arena *a)
{
	return new_node(a, NG_LIST, 0);
}

struct ng_val *
ng_new_str(struct sl_arena *a, const char *s, size_t len)
{
	struct ng_val *v;
	char *copy;

	if (s == NULL && len > 0) {
		errno = EINVAL;
		return NULL;
	}
	if (len == SIZE_MAX) {
		errno = ENOMEM;
		return NULL;
	}
	/*
	 * Node and bytes in one allocation: a hostile list of 30000 empty
	 * strings then costs one arena slot per element instead of two.
	 */
	v = new_node(a, NG_STR, len + 1);
	if (v == NULL)
		return NULL;
	copy = (char *)(v + 1);
	if (len > 0)
		memcpy(copy, s, len);
	copy[len] = '\0';
	v->str.s = copy;
	v->str.len = len;
	return v;
}

struct ng_val *
ng_new_cstr(struct sl_arena *a, const char *s)
{
	if (s == NULL) {
		errno = EINVAL;
		return NULL;
	}
	return ng_new_str(a, s, strlen(s));
}

struct ng_val *
ng_new_int(struct sl_arena *a, int64_t i)
{
	struct ng_val *v = new_node(a, NG_INT, 0);

	if (v != NULL)
		v->i = i;
	return v;
}

/* Append keeps a tail pointer so that building an n-element container is O(n). */
static void
container_append(struct ng_val *c, struct ng_val *v)
{
	v->next = NULL;
	if (c->c.last == NULL)
		c->c.first = v;
	else
		c->c.last->next = v;
	c->c.last = v;
	c->c.n++;
}

struct ng_val *
ng_list_add(struct ng_val *l, struct ng_val *v)
{
	if (l == NULL || v == NULL || l->type != NG_LIST) {
		errno = EINVAL;
		return NULL;
	}
	v->key = NULL;
	v->key_len = 0;
	container_append(l, v);
	return v;
}

struct ng_val *
ng_dict_addn(struct sl_arena *a, struct ng_val *d, const char *key, size_t key_len,
	struct ng_val *v)
{
	char *k;

	if (d == NULL || v == NULL || d->type != NG_DICT || (key == NULL && key_len > 0)) {
		errno = EINVAL;
		return NULL;
	}
	if (key_len == SIZE_MAX) {
		errno = ENOMEM;
		return NULL;
	}
	k = sl_arena_alloc(a, key_len + 1);
	if (k == NULL)
		return NULL;
	if (key_len > 0)
		memcpy(k, key, key_len);
	k[key_len] = '\0';
	v->key = k;
	v->key_len = key_len;
	container_append(d, v);
	return v;
}

struct ng_val *
ng_dict_add(struct sl_arena *a, struct ng_val *d, const char *key, struct ng_val *v)
{
	if (key == NULL) {
		errno = EINVAL;
		return NULL;
	}
	return ng_dict_addn(a, d, key, strlen(key), v);
}

/*
 * The shorthands check the parent first so that a NULL parent (an earlier
 * failed allocation) does not leave orphaned nodes behind in the arena.
 */
struct ng_val *
ng_dict_add_str(struct sl_arena *a, struct ng_val *d, const char *key, const char *s)
{
	if (d == NULL || s == NULL) {
		errno = EINVAL;
		return NULL;
	}
	return ng_dict_add(a, d, key, ng_new_cstr(a, s));
}

struct ng_val *
ng_dict_add_strn(struct sl_arena *a, struct ng_val *d, const char *key, const char *s,
	size_t len)
{
	if (d == NULL) {
		errno = EINVAL;
		return NULL;
	}
	return ng_dict_add(a, d, key, ng_new_str(a, s, len));
}

struct ng_val *
ng_dict_add_int(struct sl_arena *a, struct ng_val *d, const char *key, int64_t i)
{
	if (d == NULL) {
		errno = EINVAL;
		return NULL;
	}
	return ng_dict_add(a, d, key, ng_new_int(a, i));
}

struct ng_val *
ng_dict_add_dict(struct sl_arena *a, struct ng_val *d, const char *key)
{
	if (d == NULL) {
		errno = EINVAL;
		return NULL;
	}
	return ng_dict_add(a, d, key, ng_new_dict(a));
}

struct ng_val *
ng_dict_add_list(struct sl_arena *a, struct ng_val *d, const char *key)
{
	if (d == NULL) {
		errno = EINVAL;
		return NULL;
	}
	return ng_dict_add(a, d, key, ng_new_list(a));
}

struct ng_val *
ng_list_add_str(struct sl_arena *a, struct ng_val *l, const char *s)
{
	if (l == NULL || s == NULL) {
		errno = EINVAL;
		return NULL;
	}
	return ng_list_add(l, ng_new_cstr(a, s));
}

/*
 * Linear scan: ng dictionaries hold a few dozen keys, and insertion order
 * plus "first match wins" is what rtpengine does with duplicates.
 */
struct ng_val *
ng_dict_get(const struct ng_val *d, const char *key)
{
	struct ng_val *v;
	size_t klen;

	if (d == NULL || key == NULL || d->type != NG_DICT)
		return NULL;
	klen = strlen(key);
	for (v = d->c.first; v != NULL; v = v->next) {
		if (v->key_len == klen && (klen == 0 || memcmp(v->key, key, klen) == 0))
			return v;
	}
	return NULL;
}

const char *
ng_dict_get_str(const struct ng_val *d, const char *key, size_t *len)
{
	const struct ng_val *v = ng_dict_get(d, key);

	if (v == NULL || v->type != NG_STR)
		return NULL;
	if (len != NULL)
		*len = v->str.len;
	return v->str.s;
}

/*
 * Decimal string to int64: optional sign, at least one digit, nothing else
 * (no blanks, no hex), and no silent wrap-around on overflow.
 */
static int
parse_dec(const char *s, size_t len, int64_t *out)
{
	uint64_t limit = INT64_MAX, acc = 0;
	bool neg = false;
	size_t i = 0;

	if (len > 0 && (s[0] == '-' || s[0] == '+')) {
		neg = s[0] == '-';
		if (neg)
			limit = (uint64_t)INT64_MAX + 1;
		i = 1;
	}
	if (i == len)
		return -EINVAL;
	for (; i < len; i++) {
		unsigned d = (unsigned char)s[i] - '0';

		if (d > 9)
			return -EINVAL;
		if (acc > (limit - d) / 10)
			return -EINVAL;
		acc = acc * 10 + d;
	}
	if (neg)
		*out = acc == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)acc;
	else
		*out = (int64_t)acc;
	return 0;
}

int
ng_dict_get_int(const struct ng_val *d, const char *key, int64_t *out)
{
	const struct ng_val *v = ng_dict_get(d, key);
	int64_t i;

	if (v == NULL)
		return -ENOENT;
	if (v->type == NG_INT) {
		*out = v->i;
		return 0;
	}
	if (v->type != NG_STR || parse_dec(v->str.s, v->str.len, &i) < 0)
		return -EINVAL;
	*out = i;
	return 0;
}

bool
ng_str_eq(const struct ng_val *v, const char *s)
{
	size_t len;

	if (v == NULL || s == NULL || v->type != NG_STR)
		return false;
	len = strlen(s);
	return v->str.len == len && memcmp(v->str.s, s, len) == 0;
}
