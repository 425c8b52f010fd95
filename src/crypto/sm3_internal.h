/* src/crypto/sm3_internal.h: the SM3 compression function, shared by sm3.c (hash, KDF) and sm3_hmac.c
 * (HMAC-SM3 from precomputed pad states, P_SM3). Not an API: only src/crypto/sm3*.c include it. */
#ifndef SMT_CRYPTO_SM3_INTERNAL_H
#define SMT_CRYPTO_SM3_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/sm3.h"

/* sm3_compress runs CF (GB/T 32905 §5.3) over num_blocks consecutive 64-byte blocks into state. */
void sm3_compress(uint32_t state[8], const uint8_t *blocks, size_t num_blocks);

/* sm3_iv sets state to the initial value IV (§4.1). */
void sm3_iv(uint32_t state[8]);

/* sm3_finish pads (§5.2) what ctx holds and writes the digest; ctx is left finished (wiped). */
void sm3_finish(struct sm3_ctx *ctx, uint8_t out[SM3_DIGEST_LEN]);

#endif
