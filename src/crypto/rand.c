/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>

#include <openssl/rand.h>

#include "crypto/crypto.h"

int
sl_random_bytes(void *buf, size_t len)
{
	if (RAND_bytes(buf, (int)len) != 1)
		return -EIO;
	return 0;
}

uint32_t
sl_random_below(uint32_t bound)
{
	/* rejection sampling: no modulo bias */
	uint32_t limit = UINT32_MAX - (UINT32_MAX % bound);
	uint32_t v;

	do {
		if (sl_random_bytes(&v, sizeof(v)) < 0)
			abort(); /* CSPRNG failure: nothing safe to fall back to */
	} while (v >= limit);
	return v % bound;
}

void
sl_random_alnum(char *out, size_t len)
{
	static const char set[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
	size_t i;

	for (i = 0; i < len; i++)
		out[i] = set[sl_random_below(sizeof(set) - 1)];
	out[len] = '\0';
}

void
sl_random_hex(char *out, size_t nbytes)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[64];
	size_t i;

	while (nbytes > 0) {
		size_t n = nbytes > sizeof(b) ? sizeof(b) : nbytes;

		if (sl_random_bytes(b, n) < 0)
			abort();
		for (i = 0; i < n; i++) {
			*out++ = hex[b[i] >> 4];
			*out++ = hex[b[i] & 15];
		}
		nbytes -= n;
	}
	*out = '\0';
}
