/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_NG_TREE_H
#define SL_NG_TREE_H

/**
 * @file
 * The document tree of one ng request or reply, independent of its wire
 * format (bencode or JSON). Every node and string lives in the request's
 * arena; nothing is freed individually. Dictionaries keep insertion order
 * (rtpengine emits and accepts keys unsorted) and allow lookups by key.
 * Strings are byte strings with a length; they are also NUL-terminated for
 * convenience (the NUL is not counted in len).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"

enum ng_type {
	NG_STR,
	NG_INT,
	NG_LIST,
	NG_DICT,
};

struct ng_val {
	enum ng_type type;
	struct ng_val *next; /* next element of the parent list/dict */
	const char *key;     /* key when the parent is a dict (NUL-terminated) */
	size_t key_len;
	union {
		struct {
			const char *s; /* NUL-terminated copy */
			size_t len;
		} str;
		int64_t i;
		struct {
			struct ng_val *first;
			struct ng_val *last;
			size_t n;
		} c; /* NG_LIST and NG_DICT */
	};
};

/* ---- construction (all return NULL on ENOMEM) ---- */
struct ng_val *ng_new_dict(struct sl_arena *a);
struct ng_val *ng_new_list(struct sl_arena *a);
struct ng_val *ng_new_str(struct sl_arena *a, const char *s, size_t len);
struct ng_val *ng_new_cstr(struct sl_arena *a, const char *s);
struct ng_val *ng_new_int(struct sl_arena *a, int64_t i);

/** Append @p v to list @p l; @return v. */
struct ng_val *ng_list_add(struct ng_val *l, struct ng_val *v);

/**
 * Append @p v to dict @p d under @p key (copied into the arena). A key that
 * is already present is not replaced: the new entry is appended (lookups
 * return the first). @return v, or NULL on ENOMEM or if v is NULL.
 */
struct ng_val *ng_dict_add(struct sl_arena *a, struct ng_val *d, const char *key, struct ng_val *v);

/**
 * Like ng_dict_add() but the key is @p key_len bytes that may contain NUL
 * (the decoders use it: bencode keys are byte strings). The stored copy is
 * NUL-terminated. @return v, or NULL on ENOMEM or if v is NULL.
 */
struct ng_val *ng_dict_addn(struct sl_arena *a, struct ng_val *d, const char *key,
	size_t key_len, struct ng_val *v);

/* shorthands; return the new node or NULL */
struct ng_val *ng_dict_add_str(struct sl_arena *a, struct ng_val *d, const char *key, const char *s);
struct ng_val *ng_dict_add_strn(struct sl_arena *a, struct ng_val *d, const char *key,
	const char *s, size_t len);
struct ng_val *ng_dict_add_int(struct sl_arena *a, struct ng_val *d, const char *key, int64_t i);
struct ng_val *ng_dict_add_dict(struct sl_arena *a, struct ng_val *d, const char *key);
struct ng_val *ng_dict_add_list(struct sl_arena *a, struct ng_val *d, const char *key);
struct ng_val *ng_list_add_str(struct sl_arena *a, struct ng_val *l, const char *s);

/* ---- lookup ---- */

/** @return the first value under @p key, or NULL (also if @p d is not a dict). */
struct ng_val *ng_dict_get(const struct ng_val *d, const char *key);

/**
 * @return the string under @p key (NUL-terminated) or NULL if absent or not
 * a string; integers are NOT converted. If @p len is not NULL it gets the length.
 */
const char *ng_dict_get_str(const struct ng_val *d, const char *key, size_t *len);

/**
 * Integer under @p key, given either as an integer or as a decimal string
 * (rtpengine accepts both).
 * @return 0, -ENOENT if absent, -EINVAL if not an integer.
 */
int ng_dict_get_int(const struct ng_val *d, const char *key, int64_t *out);

/** @return true if @p v is a string equal to the NUL-terminated @p s. */
bool ng_str_eq(const struct ng_val *v, const char *s);

/* ---- wire formats ---- */

/** Longest nesting accepted by the decoders (hostile-input bound). */
#define NG_MAX_DEPTH 32

/**
 * Decode one bencode value that spans exactly @p len bytes.
 * @param err  on failure, a static string describing the problem
 * @return the root, or NULL (errno EINVAL: malformed/trailing bytes/too deep,
 *         ENOMEM).
 */
struct ng_val *ng_bencode_decode(struct sl_arena *a, const char *buf, size_t len,
	const char **err);

/**
 * Encode @p v as bencode into @p out (capacity @p cap).
 * @return bytes written, or -ENOSPC if it does not fit.
 */
long ng_bencode_encode(const struct ng_val *v, char *out, size_t cap);

/**
 * Decode a JSON document (via cJSON). Numbers become NG_INT when integral,
 * otherwise NG_STR holding the number text; true/false become the strings
 * "true"/"false"; null is dropped from dicts and lists.
 * @return the root, or NULL (errno EINVAL, ENOMEM).
 */
struct ng_val *ng_json_decode(struct sl_arena *a, const char *buf, size_t len, const char **err);

/**
 * Encode @p v as compact JSON into @p out (capacity @p cap). Byte strings
 * that are not valid UTF-8 are escaped byte by byte as \\u00XX.
 * @return bytes written, or -ENOSPC.
 */
long ng_json_encode(const struct ng_val *v, char *out, size_t cap);

#endif /* SL_NG_TREE_H */
