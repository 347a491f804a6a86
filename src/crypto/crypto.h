/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_CRYPTO_H
#define SL_CRYPTO_H

/**
 * @file
 * Randomness for everything an attacker must not predict: relay ports
 * (RTP Bleed defence), tags in file names, later ICE credentials and SDES
 * keys. Backed by OpenSSL's CSPRNG.
 */

#include <stddef.h>
#include <stdint.h>

/** Fill @p buf with @p len random bytes; @return 0 or -EIO. */
int sl_random_bytes(void *buf, size_t len);

/** @return a uniformly distributed value in [0, bound) (bound > 0). */
uint32_t sl_random_below(uint32_t bound);

/**
 * Write @p len random characters from [0-9a-zA-Z] plus a NUL into @p out
 * (capacity len + 1).
 */
void sl_random_alnum(char *out, size_t len);

/** Write @p nbytes random bytes as 2*nbytes lowercase hex digits plus a NUL. */
void sl_random_hex(char *out, size_t nbytes);

#endif /* SL_CRYPTO_H */
