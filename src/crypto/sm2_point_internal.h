/* src/crypto/sm2_point_internal.h: the addition formulas without their exceptional cases, shared by
 * sm2_point.c and sm2_point_mul.c. Constant-time. */
#ifndef SMT_CRYPTO_SM2_POINT_INTERNAL_H
#define SMT_CRYPTO_SM2_POINT_INTERNAL_H

#include <stdint.h>

#include "crypto/sm2_point.h"

/* struct sm2_point_affine: (x, y) with no way to say "infinity": callers carry that in a mask. */
struct sm2_point_affine {
        struct sm2_field_element x, y;
};

/* sm2_point_add_core sets out = a + b for finite a != ±b; it returns all-ones when a == b (then out is
 * not 2a and the caller must double instead). For a == -b, out is the point at infinity. */
uint64_t sm2_point_add_core(struct sm2_point *out, const struct sm2_point *a, const struct sm2_point *b);
/* sm2_point_add_mixed_core is sm2_point_add_core with b affine (Z = 1), three multiplications cheaper. */
uint64_t sm2_point_add_mixed_core(struct sm2_point *out, const struct sm2_point *a, const struct sm2_point_affine *b);
/* sm2_point_to_affine sets out to a's affine coordinates ((0, 0) for the point at infinity). */
void sm2_point_to_affine(struct sm2_point_affine *out, const struct sm2_point *a);
/* sm2_point_from_affine sets out = (x : y : 1). */
void sm2_point_from_affine(struct sm2_point *out, const struct sm2_point_affine *a);

#endif
