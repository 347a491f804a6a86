/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_TEST_FUZZ_H
#define SL_TEST_FUZZ_H

/*
 * Shared by the fuzz harnesses (tests/fuzz/fuzz_<target>.c). Each harness
 * defines LLVMFuzzerTestOneInput() and, when it needs one-time set-up (EAL,
 * keys), LLVMFuzzerInitialize(). The same sources link either with
 * libFuzzer (scripts/fuzz, clang) or with replay_main.c (the meson unit
 * test that runs the seed corpus and every regression input).
 *
 * Harnesses check properties of the code under test with FUZZ_CHECK: a
 * violated property aborts, which libFuzzer reports like any crash.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_CHECK(cond)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: property violated: %s\n", __FILE__, __LINE__,      \
				#cond);                                                            \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* A cursor over the fuzz input: harnesses take parameters from its front. */
struct fuzz_in {
	const uint8_t *p;
	size_t n;
};

static inline uint8_t
fuzz_u8(struct fuzz_in *in)
{
	uint8_t v = 0;

	if (in->n > 0) {
		v = in->p[0];
		in->p++;
		in->n--;
	}
	return v;
}

static inline uint16_t
fuzz_u16(struct fuzz_in *in)
{
	uint16_t hi = fuzz_u8(in);

	return (uint16_t)(hi << 8 | fuzz_u8(in));
}

/* Up to @p len bytes (fewer at the end of the input); @return the bytes taken. */
static inline size_t
fuzz_take(struct fuzz_in *in, size_t len, const uint8_t **out)
{
	if (len > in->n)
		len = in->n;
	*out = in->p;
	in->p += len;
	in->n -= len;
	return len;
}

/* Up to @p max bytes, the length from one input byte; @return the bytes taken. */
static inline size_t
fuzz_chunk(struct fuzz_in *in, size_t max, const uint8_t **out)
{
	size_t len = fuzz_u8(in);

	return fuzz_take(in, len > max ? max : len, out);
}

/*
 * An exact-size heap copy of @p len bytes (plus a NUL after them when @p nul),
 * so that AddressSanitizer catches any read past the end. Free with free().
 */
static inline char *
fuzz_dup(const void *p, size_t len, int nul)
{
	char *c = malloc(len + (nul ? 1 : 0) + (len == 0 && !nul));

	if (c == NULL)
		abort();
	if (len > 0)
		memcpy(c, p, len);
	if (nul)
		c[len] = '\0';
	return c;
}

#endif /* SL_TEST_FUZZ_H */
