/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ng bencode decoder (bencode.c) on a hostile datagram body. Properties:
 * every accepted document re-encodes to exactly the input bytes (the codec
 * promises encode(decode(x)) == x), a buffer one byte short makes the
 * encoder report -ENOSPC instead of writing past it, and the tree can also
 * be written as JSON (a bencode request gets a JSON-capable reply path).
 */
#include <errno.h>

#include "common/arena.h"
#include "control/ng_tree.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sl_arena a;
	struct ng_val *v;
	const char *err = NULL;
	char *out;
	long n;

	sl_arena_init(&a, 16384);
	v = ng_bencode_decode(&a, (const char *)data, size, &err);
	if (v == NULL) {
		FUZZ_CHECK(err != NULL);
		sl_arena_free(&a);
		return 0;
	}
	out = malloc(size + 1);
	FUZZ_CHECK(out != NULL);
	n = ng_bencode_encode(v, out, size);
	FUZZ_CHECK(n == (long)size);
	FUZZ_CHECK(memcmp(out, data, size) == 0);
	if (size > 0)
		FUZZ_CHECK(ng_bencode_encode(v, out, size - 1) == -ENOSPC);
	free(out);

	/* JSON escapes every byte at most as \u00XX: 6x plus structure */
	out = malloc(6 * size + 16);
	FUZZ_CHECK(out != NULL);
	n = ng_json_encode(v, out, 6 * size + 16);
	FUZZ_CHECK(n >= 0);
	free(out);
	sl_arena_free(&a);
	return 0;
}
