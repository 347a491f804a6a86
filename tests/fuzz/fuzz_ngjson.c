/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ng JSON decoder (ng_json.c, cJSON behind a pre-scan) on a hostile
 * datagram body, and the hand-written encoder on whatever it produced.
 * Properties: an accepted document encodes; after one round trip (which
 * normalises escapes and invalid UTF-8 to valid text) decoding and encoding
 * again is the identity; the same tree also encodes as bencode.
 */
#include <errno.h>

#include "common/arena.h"
#include "control/ng_tree.h"
#include "fuzz.h"

static char *
encode(const struct ng_val *v, size_t cap, long *n)
{
	char *out = malloc(cap);

	FUZZ_CHECK(out != NULL);
	*n = ng_json_encode(v, out, cap);
	FUZZ_CHECK(*n >= 0);
	return out;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sl_arena a;
	struct ng_val *v;
	const char *err = NULL;
	char *e1, *e2, *e3;
	long n1, n2, n3;
	/* \u00XX for each byte is the worst case; ints grow from "0" to 20 chars */
	size_t cap = 24 * size + 64;

	sl_arena_init(&a, 16384);
	v = ng_json_decode(&a, (const char *)data, size, &err);
	if (v == NULL) {
		FUZZ_CHECK(err != NULL);
		sl_arena_free(&a);
		return 0;
	}
	e1 = malloc(cap);
	FUZZ_CHECK(e1 != NULL && ng_bencode_encode(v, e1, cap) >= 0);
	free(e1);
	e1 = encode(v, cap, &n1);

	v = ng_json_decode(&a, e1, (size_t)n1, &err);
	FUZZ_CHECK(v != NULL);
	e2 = encode(v, cap, &n2);
	v = ng_json_decode(&a, e2, (size_t)n2, &err);
	FUZZ_CHECK(v != NULL);
	e3 = encode(v, cap, &n3);
	FUZZ_CHECK(n2 == n3 && memcmp(e2, e3, (size_t)n2) == 0);

	free(e1);
	free(e2);
	free(e3);
	sl_arena_free(&a);
	return 0;
}
