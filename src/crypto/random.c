/* src/crypto/random.c: random bytes from OpenSSL's DRBG. */
#include "crypto/random.h"

#include <limits.h>
#include <openssl/rand.h>

#include "crypto/crypto_error.h"

int random_bytes(uint8_t *out, size_t len, struct err *err)
{
        if (len > INT_MAX)
                return SMT_ERR(err, SMT_EINVAL, "random_bytes: %zu bytes requested", len);
        if (RAND_bytes(out, (int)len) != 1)
                return crypto_error_set(err, CRYPTO_ERANDOM, "random_bytes");
        return SMT_OK;
}
