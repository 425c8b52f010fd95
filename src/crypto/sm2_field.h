/* src/crypto/sm2_field.h: arithmetic modulo the SM2 prime p and modulo the group order n of the
 * recommended curve (GB/T 32918.5 §4), four 64-bit limbs, for the fast SM2 code (issue 10).
 *
 * Elements are kept in Montgomery form (x·2^256 mod the modulus) and always fully reduced, so equal
 * values have equal limbs and zero is all-zero limbs. Only _from_bytes / _to_bytes see the plain value.
 *
 * Constant time: every function here runs in time independent of the values of its operands (no
 * branch and no memory index on them), except the status that _from_bytes returns (whether the
 * input was canonical, a public fact about an encoding). Nothing here allocates. */
#ifndef SMT_CRYPTO_SM2_FIELD_H
#define SMT_CRYPTO_SM2_FIELD_H

#include <stdint.h>

#include "base/err.h"

#define SM2_FIELD_LEN 32

/* struct sm2_field_element: x mod p, as x·2^256 mod p, limb[0] least significant. */
struct sm2_field_element {
        uint64_t limb[4];
};

/* struct sm2_field_scalar: x mod n, as x·2^256 mod n, limb[0] least significant. */
struct sm2_field_scalar {
        uint64_t limb[4];
};

/* sm2_field_from_bytes reads a 32-byte big-endian value; SMT_EDECODE when it is not below p. */
int sm2_field_from_bytes(struct sm2_field_element *out, const uint8_t in[SM2_FIELD_LEN],
                         struct err *err) SMT_MUST_USE;
/* sm2_field_to_bytes writes a as 32 bytes big-endian (always below p). */
void sm2_field_to_bytes(uint8_t out[SM2_FIELD_LEN], const struct sm2_field_element *a);
/* sm2_field_set_u64 sets out to the small value v. */
void sm2_field_set_u64(struct sm2_field_element *out, uint64_t v);

/* Arithmetic mod p; out may alias any input. */
void sm2_field_add(struct sm2_field_element *out, const struct sm2_field_element *a, const struct sm2_field_element *b);
void sm2_field_sub(struct sm2_field_element *out, const struct sm2_field_element *a, const struct sm2_field_element *b);
void sm2_field_neg(struct sm2_field_element *out, const struct sm2_field_element *a);
void sm2_field_mul(struct sm2_field_element *out, const struct sm2_field_element *a, const struct sm2_field_element *b);
void sm2_field_sqr(struct sm2_field_element *out, const struct sm2_field_element *a);
/* sm2_field_inv sets out = a^(p-2) = 1/a (0 for a = 0), by a fixed addition chain. */
void sm2_field_inv(struct sm2_field_element *out, const struct sm2_field_element *a);

/* sm2_field_is_zero returns all-ones when a == 0, else 0 (a mask, not a boolean to branch on). */
uint64_t sm2_field_is_zero(const struct sm2_field_element *a);
/* sm2_field_equal returns all-ones when a == b, else 0. */
uint64_t sm2_field_equal(const struct sm2_field_element *a, const struct sm2_field_element *b);
/* sm2_field_cmov sets out = in when mask is all-ones and leaves out alone when mask is 0. */
void sm2_field_cmov(struct sm2_field_element *out, const struct sm2_field_element *in, uint64_t mask);

/* sm2_field_scalar_from_bytes reads a 32-byte big-endian value; SMT_EDECODE when it is not below n. */
int sm2_field_scalar_from_bytes(struct sm2_field_scalar *out, const uint8_t in[SM2_FIELD_LEN],
                                struct err *err) SMT_MUST_USE;
/* sm2_field_scalar_from_bytes_reduce reads any 32-byte big-endian value and reduces it mod n
 * (e and x1 in r = (e + x1) mod n, GB/T 32918.2 §6.1 A5). */
void sm2_field_scalar_from_bytes_reduce(struct sm2_field_scalar *out, const uint8_t in[SM2_FIELD_LEN]);
/* sm2_field_scalar_to_bytes writes a as 32 bytes big-endian (always below n). */
void sm2_field_scalar_to_bytes(uint8_t out[SM2_FIELD_LEN], const struct sm2_field_scalar *a);
/* sm2_field_scalar_reduce_plain writes the plain limbs of (in mod n), in read as 32 bytes big-endian:
 * the digits the scalar multiplications recode. */
void sm2_field_scalar_reduce_plain(uint64_t out[4], const uint8_t in[SM2_FIELD_LEN]);

/* Arithmetic mod n; out may alias any input. */
void sm2_field_scalar_add(struct sm2_field_scalar *out, const struct sm2_field_scalar *a, const struct sm2_field_scalar *b);
void sm2_field_scalar_sub(struct sm2_field_scalar *out, const struct sm2_field_scalar *a, const struct sm2_field_scalar *b);
void sm2_field_scalar_neg(struct sm2_field_scalar *out, const struct sm2_field_scalar *a);
void sm2_field_scalar_mul(struct sm2_field_scalar *out, const struct sm2_field_scalar *a, const struct sm2_field_scalar *b);
/* sm2_field_scalar_inv sets out = a^(n-2) = 1/a (0 for a = 0), by a fixed 4-bit window. */
void sm2_field_scalar_inv(struct sm2_field_scalar *out, const struct sm2_field_scalar *a);
/* sm2_field_scalar_is_zero returns all-ones when a == 0, else 0. */
uint64_t sm2_field_scalar_is_zero(const struct sm2_field_scalar *a);

#endif
