/* src/crypto/sm2_point.h: points of the SM2 recommended curve y^2 = x^3 - 3x + b over F_p
 * (GB/T 32918.5 §4) in Jacobian coordinates, and scalar multiplication, for the fast SM2 code (issue 10).
 *
 * Scalars are 32 bytes big-endian and are always reduced mod n first (never refused): k and k + n give
 * the same point, so 0 and n give the point at infinity and n + 1 gives G. Points enter only through
 * sm2_point_from_bytes (which refuses anything off the curve) or from this module, so every point has
 * order n or is the point at infinity.
 *
 * Constant time (no branch, no memory index on secret data): sm2_point_add, sm2_point_double,
 * sm2_point_neg, sm2_point_mul_base, sm2_point_mul, sm2_point_is_infinity. Variable time (public
 * inputs only): sm2_point_mul_double_vartime (signature verification), and the status returned by
 * sm2_point_from_bytes / sm2_point_to_bytes (whether the input is on the curve, whether the result
 * is the point at infinity). */
#ifndef SMT_CRYPTO_SM2_POINT_H
#define SMT_CRYPTO_SM2_POINT_H

#include <stdint.h>

#include "base/err.h"
#include "crypto/sm2_field.h"

#define SM2_POINT_AFFINE_LEN 64 /* x || y, 32 bytes big-endian each, no 0x04 prefix */

/* struct sm2_point: (X : Y : Z) stands for (X/Z^2, Y/Z^3); Z == 0 is the point at infinity. */
struct sm2_point {
        struct sm2_field_element x, y, z;
};

/* sm2_point_from_bytes reads x || y; SMT_EDECODE when a coordinate is not below p or the point is
 * not on the curve. */
int sm2_point_from_bytes(struct sm2_point *out, const uint8_t in[SM2_POINT_AFFINE_LEN], struct err *err) SMT_MUST_USE;
/* sm2_point_to_bytes writes the affine x || y of a; SMT_EINVAL when a is the point at infinity. */
int sm2_point_to_bytes(uint8_t out[SM2_POINT_AFFINE_LEN], const struct sm2_point *a, struct err *err) SMT_MUST_USE;

/* sm2_point_set_infinity sets out to the point at infinity; sm2_point_set_generator to G. */
void sm2_point_set_infinity(struct sm2_point *out);
void sm2_point_set_generator(struct sm2_point *out);
/* sm2_point_is_infinity returns all-ones when a is the point at infinity, else 0. */
uint64_t sm2_point_is_infinity(const struct sm2_point *a);
/* sm2_point_cmov sets out = in when mask is all-ones, leaves it alone when mask is 0. */
void sm2_point_cmov(struct sm2_point *out, const struct sm2_point *in, uint64_t mask);

/* sm2_point_add sets out = a + b for any a, b (infinity, a == b, a == -b included). */
void sm2_point_add(struct sm2_point *out, const struct sm2_point *a, const struct sm2_point *b);
/* sm2_point_double sets out = 2a. */
void sm2_point_double(struct sm2_point *out, const struct sm2_point *a);
/* sm2_point_neg sets out = -a. */
void sm2_point_neg(struct sm2_point *out, const struct sm2_point *a);

/* sm2_point_mul_base sets out = k·G (key generation, signing, C1 of encryption). */
void sm2_point_mul_base(struct sm2_point *out, const uint8_t k[SM2_FIELD_LEN]);
/* sm2_point_mul sets out = k·a (decryption, key exchange). */
void sm2_point_mul(struct sm2_point *out, const uint8_t k[SM2_FIELD_LEN], const struct sm2_point *a);
/* sm2_point_mul_double_vartime sets out = u1·G + u2·a; variable time, for public u1, u2 and a only. */
void sm2_point_mul_double_vartime(struct sm2_point *out, const uint8_t u1[SM2_FIELD_LEN],
                                  const uint8_t u2[SM2_FIELD_LEN], const struct sm2_point *a);

#endif
