/* tests/unit/crypto/gcrypt_sm2.h: SM2 signatures checked by libgcrypt, an implementation independent of
 * OpenSSL, for tests of what smtrust signs (OCSP responses, time-stamp tokens). */
#ifndef SMT_TESTS_GCRYPT_SM2_H
#define SMT_TESTS_GCRYPT_SM2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/cert.h"

/* gcrypt_sm2_verify: whether sig_der (DER r, s) is signer's SM2 signature of msg with the default ID. */
bool gcrypt_sm2_verify(const struct cert *signer, const uint8_t *msg, size_t msg_len, const uint8_t *sig_der,
                       size_t sig_len);

#endif
