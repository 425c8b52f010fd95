/* src/crypto/random.h: cryptographically secure random bytes (OpenSSL's DRBG, seeded by the OS). */
#ifndef SMT_CRYPTO_RANDOM_H
#define SMT_CRYPTO_RANDOM_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/* random_bytes fills len bytes of out; CRYPTO_ERANDOM if the generator fails. */
int random_bytes(uint8_t *out, size_t len, struct err *err) SMT_MUST_USE;

#endif
