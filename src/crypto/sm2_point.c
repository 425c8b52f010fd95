/* src/crypto/sm2_point.c: Jacobian point arithmetic on the SM2 curve y^2 = x^3 - 3x + b (a = -3,
 * GB/T 32918.5 §4), its encoding, and the curve check.
 *
 * Formulas (the Explicit-Formulas Database names): doubling "dbl-2001-b", which uses a = -3 to get
 * 3X^2 + aZ^4 as 3(X - Z^2)(X + Z^2) (3M + 5S); addition "add-2007-bl" (11M + 5S) and mixed addition
 * "madd-2007-bl" (7M + 4S). These break when a == b (they yield infinity instead of 2a) and when an
 * input is the point at infinity; sm2_point_add computes the doubling too and selects with masks.
 *
 * Constant time: everything except the statuses of sm2_point_from_bytes (on the curve or not) and
 * sm2_point_to_bytes (infinity or not), public facts. */
#include "crypto/sm2_point.h"

#include <string.h>

#include "crypto/sm2_field_internal.h"
#include "crypto/sm2_point_internal.h"

/* Montgomery forms (·2^256 mod p) of b, G = (xG, yG) and 1, from the values of GB/T 32918.5 §4. */
static const struct sm2_field_element point_b = { { 0x90d230632bc0dd42, 0x71cf379ae9b537ab, 0x527981505ea51c3c,
                                                    0x240fe188ba20e2c8 } };
static const struct sm2_field_element point_gx = { { 0x61328990f418029e, 0x3e7981eddca6c050, 0xd6a1ed99ac24c3c3,
                                                     0x91167a5ee1c13b05 } };
static const struct sm2_field_element point_gy = { { 0xc1354e593c2d0ddd, 0xc1f5e5788d3295fa, 0x8d4cfb066e2a48f8,
                                                     0x63cd65d481d735bd } };
static const struct sm2_field_element point_one = { { 0x0000000000000001, 0x00000000ffffffff, 0, 0x0000000100000000 } };

void sm2_point_set_infinity(struct sm2_point *out)
{
        memset(out, 0, sizeof *out);
}

void sm2_point_set_generator(struct sm2_point *out)
{
        out->x = point_gx;
        out->y = point_gy;
        out->z = point_one;
}

uint64_t sm2_point_is_infinity(const struct sm2_point *a)
{
        return sm2_field_is_zero(&a->z);
}

void sm2_point_cmov(struct sm2_point *out, const struct sm2_point *in, uint64_t mask)
{
        sm2_field_cmov(&out->x, &in->x, mask);
        sm2_field_cmov(&out->y, &in->y, mask);
        sm2_field_cmov(&out->z, &in->z, mask);
}

void sm2_point_neg(struct sm2_point *out, const struct sm2_point *a)
{
        out->x = a->x;
        sm2_field_neg(&out->y, &a->y);
        out->z = a->z;
}

void sm2_point_from_affine(struct sm2_point *out, const struct sm2_point_affine *a)
{
        out->x = a->x;
        out->y = a->y;
        out->z = point_one;
}

void sm2_point_double(struct sm2_point *out, const struct sm2_point *a)
{
        struct sm2_field_element delta, gamma, beta, alpha, t, u, x3, y3, z3;
        sm2_field_sqr_inline(&delta, &a->z);
        sm2_field_sqr_inline(&gamma, &a->y);
        sm2_field_mul_inline(&beta, &a->x, &gamma);
        sm2_field_sub_inline(&t, &a->x, &delta);
        sm2_field_add_inline(&u, &a->x, &delta);
        sm2_field_mul_inline(&alpha, &t, &u);
        sm2_field_add_inline(&t, &alpha, &alpha);
        sm2_field_add_inline(&alpha, &alpha, &t); /* alpha = 3(X - delta)(X + delta) */
        sm2_field_add_inline(&beta, &beta, &beta);
        sm2_field_add_inline(&beta, &beta, &beta); /* beta = 4 X gamma */
        sm2_field_sqr_inline(&x3, &alpha);
        sm2_field_add_inline(&t, &beta, &beta);
        sm2_field_sub_inline(&x3, &x3, &t);
        sm2_field_add_inline(&z3, &a->y, &a->z);
        sm2_field_sqr_inline(&z3, &z3);
        sm2_field_sub_inline(&z3, &z3, &gamma);
        sm2_field_sub_inline(&z3, &z3, &delta);
        sm2_field_sub_inline(&t, &beta, &x3);
        sm2_field_mul_inline(&y3, &alpha, &t);
        sm2_field_sqr_inline(&gamma, &gamma);
        sm2_field_add_inline(&gamma, &gamma, &gamma);
        sm2_field_add_inline(&gamma, &gamma, &gamma);
        sm2_field_add_inline(&gamma, &gamma, &gamma); /* 8 gamma^2 */
        sm2_field_sub_inline(&out->y, &y3, &gamma);
        out->x = x3;
        out->z = z3;
}

/* point_add_finish computes X3, Y3 from r, J, V, S1 (shared by both additions):
 * X3 = r^2 - J - 2V, Y3 = r(V - X3) - 2 S1 J. */
static void point_add_finish(struct sm2_point *out, const struct sm2_field_element *r, const struct sm2_field_element *j,
                             const struct sm2_field_element *v, const struct sm2_field_element *s1)
{
        struct sm2_field_element x3, t, u;
        sm2_field_sqr_inline(&x3, r);
        sm2_field_sub_inline(&x3, &x3, j);
        sm2_field_sub_inline(&x3, &x3, v);
        sm2_field_sub_inline(&x3, &x3, v);
        sm2_field_sub_inline(&t, v, &x3);
        sm2_field_mul_inline(&t, r, &t);
        sm2_field_mul_inline(&u, s1, j);
        sm2_field_add_inline(&u, &u, &u);
        sm2_field_sub_inline(&out->y, &t, &u);
        out->x = x3;
}

uint64_t sm2_point_add_core(struct sm2_point *out, const struct sm2_point *a, const struct sm2_point *b)
{
        struct sm2_field_element z1z1, z2z2, u1, u2, s1, s2, h, i, j, r, v, z3;
        sm2_field_sqr_inline(&z1z1, &a->z);
        sm2_field_sqr_inline(&z2z2, &b->z);
        sm2_field_mul_inline(&u1, &a->x, &z2z2);
        sm2_field_mul_inline(&u2, &b->x, &z1z1);
        sm2_field_mul_inline(&s1, &a->y, &b->z);
        sm2_field_mul_inline(&s1, &s1, &z2z2);
        sm2_field_mul_inline(&s2, &b->y, &a->z);
        sm2_field_mul_inline(&s2, &s2, &z1z1);
        sm2_field_sub_inline(&h, &u2, &u1);
        sm2_field_sub_inline(&r, &s2, &s1);
        uint64_t same = sm2_field_is_zero(&h) & sm2_field_is_zero(&r);
        sm2_field_add_inline(&r, &r, &r);
        sm2_field_add_inline(&i, &h, &h);
        sm2_field_sqr_inline(&i, &i);
        sm2_field_mul_inline(&j, &h, &i);
        sm2_field_mul_inline(&v, &u1, &i);
        sm2_field_add_inline(&z3, &a->z, &b->z);
        sm2_field_sqr_inline(&z3, &z3);
        sm2_field_sub_inline(&z3, &z3, &z1z1);
        sm2_field_sub_inline(&z3, &z3, &z2z2);
        sm2_field_mul_inline(&z3, &z3, &h);
        point_add_finish(out, &r, &j, &v, &s1);
        out->z = z3;
        return same;
}

uint64_t sm2_point_add_mixed_core(struct sm2_point *out, const struct sm2_point *a, const struct sm2_point_affine *b)
{
        struct sm2_field_element z1z1, u2, s2, h, hh, i, j, r, v, z3, y1 = a->y, x1 = a->x;
        sm2_field_sqr_inline(&z1z1, &a->z);
        sm2_field_mul_inline(&u2, &b->x, &z1z1);
        sm2_field_mul_inline(&s2, &b->y, &a->z);
        sm2_field_mul_inline(&s2, &s2, &z1z1);
        sm2_field_sub_inline(&h, &u2, &x1);
        sm2_field_sub_inline(&r, &s2, &y1);
        uint64_t same = sm2_field_is_zero(&h) & sm2_field_is_zero(&r);
        sm2_field_add_inline(&r, &r, &r);
        sm2_field_sqr_inline(&hh, &h);
        sm2_field_add_inline(&i, &hh, &hh);
        sm2_field_add_inline(&i, &i, &i);
        sm2_field_mul_inline(&j, &h, &i);
        sm2_field_mul_inline(&v, &x1, &i);
        sm2_field_add_inline(&z3, &a->z, &h);
        sm2_field_sqr_inline(&z3, &z3);
        sm2_field_sub_inline(&z3, &z3, &z1z1);
        sm2_field_sub_inline(&z3, &z3, &hh);
        point_add_finish(out, &r, &j, &v, &y1);
        out->z = z3;
        return same;
}

void sm2_point_add(struct sm2_point *out, const struct sm2_point *a, const struct sm2_point *b)
{
        struct sm2_point sum, twice;
        uint64_t same = sm2_point_add_core(&sum, a, b);
        sm2_point_double(&twice, a);
        sm2_point_cmov(&sum, &twice, same);
        sm2_point_cmov(&sum, b, sm2_point_is_infinity(a));
        sm2_point_cmov(&sum, a, sm2_point_is_infinity(b));
        *out = sum;
}

void sm2_point_to_affine(struct sm2_point_affine *out, const struct sm2_point *a)
{
        struct sm2_field_element zinv, zinv2;
        sm2_field_inv(&zinv, &a->z);
        sm2_field_sqr_inline(&zinv2, &zinv);
        sm2_field_mul_inline(&out->x, &a->x, &zinv2);
        sm2_field_mul_inline(&zinv, &zinv, &zinv2);
        sm2_field_mul_inline(&out->y, &a->y, &zinv);
}

int sm2_point_to_bytes(uint8_t out[SM2_POINT_AFFINE_LEN], const struct sm2_point *a, struct err *err)
{
        if (sm2_point_is_infinity(a))
                return SMT_ERR(err, SMT_EINVAL, "sm2 point: the point at infinity has no affine coordinates");
        struct sm2_point_affine affine;
        sm2_point_to_affine(&affine, a);
        sm2_field_to_bytes(out, &affine.x);
        sm2_field_to_bytes(out + SM2_FIELD_LEN, &affine.y);
        return 0;
}

/* GB/T 32918.1 §6.1.2 (public key validation): the coordinates lie in F_p and y^2 = x^3 - 3x + b. */
int sm2_point_from_bytes(struct sm2_point *out, const uint8_t in[SM2_POINT_AFFINE_LEN], struct err *err)
{
        struct sm2_point_affine affine;
        TRY(sm2_field_from_bytes(&affine.x, in, err));
        TRY(sm2_field_from_bytes(&affine.y, in + SM2_FIELD_LEN, err));
        struct sm2_field_element lhs, rhs, three_x;
        sm2_field_sqr_inline(&lhs, &affine.y);
        sm2_field_sqr_inline(&rhs, &affine.x);
        sm2_field_mul_inline(&rhs, &rhs, &affine.x);
        sm2_field_add_inline(&three_x, &affine.x, &affine.x);
        sm2_field_add_inline(&three_x, &three_x, &affine.x);
        sm2_field_sub_inline(&rhs, &rhs, &three_x);
        sm2_field_add_inline(&rhs, &rhs, &point_b);
        if (!sm2_field_equal(&lhs, &rhs))
                return SMT_ERR(err, SMT_EDECODE, "sm2 point: (x, y) is not on the SM2 curve");
        sm2_point_from_affine(out, &affine);
        return 0;
}
