/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * JSON flavour of ng documents.
 *
 * Decoding goes through cJSON, wrapped so that hostile input cannot reach
 * cJSON's weak spots: a linear pre-scan bounds nesting (cJSON itself would
 * recurse 1000 deep) and rejects NUL bytes and "\u0000" (cJSON hands out
 * NUL-terminated strings, so either would silently truncate a call-id);
 * cJSON parses a private NUL-padded copy, so no parser bug can read past
 * the datagram. cJSON keeps numbers only as doubles, which loses int64
 * precision, so the number text is recovered from the input: numbers appear
 * in the tree in document order, and a cursor walking the input finds them
 * in that same order (O(n) overall).
 *
 * Encoding is done by hand for exact, compact output that matches what
 * rtpengine clients parse: byte strings that are not valid UTF-8 cannot be
 * represented in JSON, so each offending byte is written as \u00XX.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "control/ng_tree.h"

/* Zero bytes after the private copy: room for any parser over-read. */
#define JSON_PAD 16

static bool
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * Reject what cJSON would accept but we must not: nesting deeper than
 * NG_MAX_DEPTH, raw NUL bytes and the escape \u0000. Syntax is left to cJSON.
 */
static const char *
prescan(const char *buf, size_t len)
{
	unsigned depth = 0;
	bool in_str = false;
	size_t i;

	for (i = 0; i < len; i++) {
		char c = buf[i];

		if (c == '\0')
			return "json: NUL byte in document";
		if (in_str) {
			if (c == '"') {
				in_str = false;
			} else if (c == '\\' && i + 1 < len) {
				if (buf[i + 1] == 'u' && len - i >= 6 &&
					memcmp(buf + i + 2, "0000", 4) == 0)
					return "json: \\u0000 in string is not supported";
				i++; /* the escaped character cannot end the string */
			}
			continue;
		}
		if (c == '"') {
			in_str = true;
		} else if (c == '{' || c == '[') {
			if (++depth > NG_MAX_DEPTH)
				return "json: nesting too deep";
		} else if ((c == '}' || c == ']') && depth > 0) {
			depth--;
		}
	}
	return NULL;
}

static bool
is_num_char(char c)
{
	return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

/* Walks the original input, outside strings, from one number token to the next. */
struct numcur {
	const char *p;
	const char *end;
	bool in_str;
};

static int
next_number(struct numcur *nc, const char **tok, size_t *tok_len)
{
	while (nc->p < nc->end) {
		char c = *nc->p;

		if (nc->in_str) {
			if (c == '"')
				nc->in_str = false;
			else if (c == '\\' && nc->p + 1 < nc->end)
				nc->p++;
			nc->p++;
			continue;
		}
		if (c == '"') {
			nc->in_str = true;
			nc->p++;
			continue;
		}
		if (c == '-' || (c >= '0' && c <= '9')) {
			*tok = nc->p;
			while (nc->p < nc->end && is_num_char(*nc->p))
				nc->p++;
			*tok_len = (size_t)(nc->p - *tok);
			return 0;
		}
		nc->p++;
	}
	return -1;
}

/* "-?[0-9]+" within int64 -> 0; anything else (fraction, exponent, overflow) -> -1. */
static int
int_from_text(const char *s, size_t len, int64_t *out)
{
	uint64_t limit = INT64_MAX, acc = 0;
	bool neg = false;
	size_t i = 0;

	if (len > 0 && s[0] == '-') {
		neg = true;
		limit = (uint64_t)INT64_MAX + 1;
		i = 1;
	}
	if (i == len)
		return -1;
	for (; i < len; i++) {
		unsigned d = (unsigned)(unsigned char)s[i] - '0';

		if (d > 9 || acc > (limit - d) / 10)
			return -1;
		acc = acc * 10 + d;
	}
	if (neg)
		*out = acc == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)acc;
	else
		*out = (int64_t)acc;
	return 0;
}

struct jdec {
	struct sl_arena *a;
	struct numcur nc;
	const char *err;
	int errnum;
};

static struct ng_val *
jfail(struct jdec *j, int errnum, const char *err)
{
	if (j->err == NULL) {
		j->err = err;
		j->errnum = errnum;
	}
	return NULL;
}

/*
 * Convert one cJSON item. *skip is set for null, which ng drops. Depth is
 * already bounded by prescan(); checking again costs nothing.
 */
static struct ng_val *
conv(struct jdec *j, const cJSON *it, unsigned depth, bool *skip)
{
	struct ng_val *v, *c;
	const cJSON *ch;
	const char *tok;
	size_t tok_len;
	int64_t i;
	bool cskip;

	*skip = false;
	if (cJSON_IsNull(it)) {
		*skip = true;
		return NULL;
	}
	if (cJSON_IsTrue(it) || cJSON_IsFalse(it)) {
		v = ng_new_cstr(j->a, cJSON_IsTrue(it) ? "true" : "false");
		return v != NULL ? v : jfail(j, ENOMEM, "out of memory");
	}
	if (cJSON_IsString(it)) {
		if (it->valuestring == NULL)
			return jfail(j, EINVAL, "json: malformed string");
		v = ng_new_cstr(j->a, it->valuestring);
		return v != NULL ? v : jfail(j, ENOMEM, "out of memory");
	}
	if (cJSON_IsNumber(it)) {
		if (next_number(&j->nc, &tok, &tok_len) < 0)
			return jfail(j, EINVAL, "json: number not found in input");
		if (int_from_text(tok, tok_len, &i) == 0)
			v = ng_new_int(j->a, i);
		else
			v = ng_new_str(j->a, tok, tok_len);
		return v != NULL ? v : jfail(j, ENOMEM, "out of memory");
	}
	if (!cJSON_IsArray(it) && !cJSON_IsObject(it))
		return jfail(j, EINVAL, "json: unsupported value");
	if (depth >= NG_MAX_DEPTH)
		return jfail(j, EINVAL, "json: nesting too deep");

	v = cJSON_IsArray(it) ? ng_new_list(j->a) : ng_new_dict(j->a);
	if (v == NULL)
		return jfail(j, ENOMEM, "out of memory");
	for (ch = it->child; ch != NULL; ch = ch->next) {
		c = conv(j, ch, depth + 1, &cskip);
		if (cskip)
			continue;
		if (c == NULL)
			return NULL;
		if (v->type == NG_LIST) {
			ng_list_add(v, c);
		} else {
			if (ch->string == NULL)
				return jfail(j, EINVAL, "json: object member without a name");
			if (ng_dict_add(j->a, v, ch->string, c) == NULL)
				return jfail(j, ENOMEM, "out of memory");
		}
	}
	return v;
}

struct ng_val *
ng_json_decode(struct sl_arena *a, const char *buf, size_t len, const char **err)
{
	struct jdec j = {
		.a = a,
	};
	struct ng_val *root = NULL;
	const char *end = NULL, *e;
	cJSON *doc = NULL;
	char *copy = NULL;
	bool skip;
	size_t rest;

	if (buf == NULL || len == 0) {
		jfail(&j, EINVAL, "json: empty document");
		goto out;
	}
	e = prescan(buf, len);
	if (e != NULL) {
		jfail(&j, EINVAL, e);
		goto out;
	}
	if (len > SIZE_MAX - JSON_PAD || (copy = malloc(len + JSON_PAD)) == NULL) {
		jfail(&j, ENOMEM, "out of memory");
		goto out;
	}
	memcpy(copy, buf, len);
	memset(copy + len, 0, JSON_PAD);

	doc = cJSON_ParseWithLengthOpts(copy, len, &end, 0);
	if (doc == NULL) {
		jfail(&j, EINVAL, "json: syntax error");
		goto out;
	}
	/* cJSON stops after the first value; only whitespace may follow. */
	if (end == NULL || end < copy || end > copy + len) {
		jfail(&j, EINVAL, "json: syntax error");
		goto out;
	}
	for (rest = (size_t)(end - copy); rest < len; rest++) {
		if (!is_ws(copy[rest])) {
			jfail(&j, EINVAL, "json: trailing bytes after the value");
			goto out;
		}
	}

	j.nc.p = buf;
	j.nc.end = buf + len;
	root = conv(&j, doc, 0, &skip);
	if (skip)
		jfail(&j, EINVAL, "json: document is null");
out:
	cJSON_Delete(doc);
	free(copy);
	if (root == NULL) {
		if (j.err == NULL) {
			j.err = "json: malformed";
			j.errnum = EINVAL;
		}
		if (err != NULL)
			*err = j.err;
		errno = j.errnum;
		return NULL;
	}
	if (err != NULL)
		*err = NULL;
	return root;
}

/* ---- encoder ---- */

struct jenc {
	char *out;
	size_t cap;
	size_t pos;
	bool full;
};

static void
jput(struct jenc *e, const void *p, size_t n)
{
	if (e->full || n > e->cap - e->pos) {
		e->full = true;
		return;
	}
	if (n > 0)
		memcpy(e->out + e->pos, p, n);
	e->pos += n;
}

/*
 * Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF), or 0 if there is none.
 */
static size_t
utf8_len(const unsigned char *s, size_t avail)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (n > avail)
		return 0;
	/* the second byte carries the overlong/surrogate/range restrictions */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++) {
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	}
	return n;
}

static void
put_escaped_byte(struct jenc *e, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf] };

	jput(e, u, sizeof(u));
}

static void
put_json_str(struct jenc *e, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run, n;

	jput(e, "\"", 1);
	while (i < len && !e->full) {
		/* copy runs of plain printable ASCII in one go */
		for (run = i; run < len && s[run] >= 0x20 && s[run] < 0x80 && s[run] != '"' &&
			s[run] != '\\'; run++)
			;
		jput(e, s + i, run - i);
		i = run;
		if (i == len)
			break;
		switch (s[i]) {
		case '"':
			jput(e, "\\\"", 2);
			break;
		case '\\':
			jput(e, "\\\\", 2);
			break;
		case '\b':
			jput(e, "\\b", 2);
			break;
		case '\f':
			jput(e, "\\f", 2);
			break;
		case '\n':
			jput(e, "\\n", 2);
			break;
		case '\r':
			jput(e, "\\r", 2);
			break;
		case '\t':
			jput(e, "\\t", 2);
			break;
		default:
			n = s[i] >= 0x80 ? utf8_len(s + i, len - i) : 0;
			if (n > 0) {
				jput(e, s + i, n);
				i += n;
				continue;
			}
			put_escaped_byte(e, s[i]);
			break;
		}
		i++;
	}
	jput(e, "\"", 1);
}

static int
jenc_value(struct jenc *e, const struct ng_val *v)
{
	const struct ng_val *c;
	char tmp[32];
	int n;

	switch (v->type) {
	case NG_STR:
		put_json_str(e, v->str.s, v->str.len);
		break;
	case NG_INT:
		n = snprintf(tmp, sizeof(tmp), "%" PRId64, v->i);
		jput(e, tmp, (size_t)n);
		break;
	case NG_LIST:
	case NG_DICT:
		jput(e, v->type == NG_LIST ? "[" : "{", 1);
		for (c = v->c.first; c != NULL && !e->full; c = c->next) {
			if (c != v->c.first)
				jput(e, ",", 1);
			if (v->type == NG_DICT) {
				put_json_str(e, c->key != NULL ? c->key : "",
					c->key != NULL ? c->key_len : 0);
				jput(e, ":", 1);
			}
			if (jenc_value(e, c) < 0)
				return -EINVAL;
		}
		jput(e, v->type == NG_LIST ? "]" : "}", 1);
		break;
	default:
		return -EINVAL;
	}
	return 0;
}

long
ng_json_encode(const struct ng_val *v, char *out, size_t cap)
{
	struct jenc e = {
		.out = out,
		.cap = cap > LONG_MAX ? LONG_MAX : cap,
	};

	if (v == NULL || (out == NULL && cap > 0))
		return -EINVAL;
	if (jenc_value(&e, v) < 0)
		return -EINVAL;
	if (e.full)
		return -ENOSPC;
	return (long)e.pos;
}
