/* src/crypto/sm2_field.c: arithmetic modulo the SM2 prime
 *     p = 2^256 - 2^224 - 2^96 + 2^64 - 1                        (GB/T 32918.5 §4)
 * in Montgomery form with R = 2^256.
 *
 * Why Montgomery, and why it is cheap for this p. Montgomery reduction of a 512-bit product t clears
 * one 64-bit limb at a time: pick m with t + m·p ≡ 0 (mod 2^64), add m·p, drop the low limb. In general
 * m = t0·(-1/p mod 2^64) costs a multiplication, and m·p four more. Here p ≡ -1 (mod 2^64) (its low limb
 * is all ones), so -1/p ≡ 1 and m = t0 itself. And p + 1 = 2^64·(2^192 - 2^160 - 2^32 + 1), so
 *     (t + m·p) / 2^64 = (t - t0) / 2^64 + m·(2^192 - 2^160 - 2^32 + 1)
 *                      = (t >> 64) + [m·2^192 + m] - [(m << 32)·(1 + 2^128)]
 * where m << 32 spans two limbs (lo = m << 32, hi = m >> 32): the quantity added is the four-limb
 * difference (m, 0, 0, m) - (lo, hi, lo, hi), never negative because m·2^192 exceeds the rest. Four
 * such steps, with shifts, additions and subtractions only, reduce t < p·2^256 to a value below 2p,
 * and one masked subtraction of p finishes.
 *
 * Constant time: all functions; the only data-dependent outcome is the status of sm2_field_from_bytes. */
#include "crypto/sm2_field.h"

#include "crypto/sm2_field_internal.h"

/* R^2 mod p = 2^512 mod p: multiplying by it enters Montgomery form. */
static const uint64_t field_r2[4] = { 0x0000000200000003, 0x00000002ffffffff, 0x0000000100000001,
                                      0x0000000400000002 };

void sm2_field_mul(struct sm2_field_element *out, const struct sm2_field_element *a, const struct sm2_field_element *b)
{
        sm2_field_mul_inline(out, a, b);
}

void sm2_field_sqr(struct sm2_field_element *out, const struct sm2_field_element *a)
{
        sm2_field_sqr_inline(out, a);
}

void sm2_field_add(struct sm2_field_element *out, const struct sm2_field_element *a, const struct sm2_field_element *b)
{
        sm2_field_add_inline(out, a, b);
}

void sm2_field_sub(struct sm2_field_element *out, const struct sm2_field_element *a, const struct sm2_field_element *b)
{
        sm2_field_sub_inline(out, a, b);
}

void sm2_field_neg(struct sm2_field_element *out, const struct sm2_field_element *a)
{
        static const uint64_t zero[4] = { 0 };
        sm2_limbs_sub_mod(out->limb, zero, a->limb, sm2_field_p);
}

int sm2_field_from_bytes(struct sm2_field_element *out, const uint8_t in[SM2_FIELD_LEN], struct err *err)
{
        uint64_t plain[4], diff[4], t[8];
        sm2_limbs_load(plain, in);
        if (sm2_limbs_sub(diff, plain, sm2_field_p) == 0)
                return SMT_ERR(err, SMT_EDECODE, "sm2 field element: value is not below p");
        sm2_limbs_mul_wide(t, plain, field_r2);
        sm2_field_reduce(out->limb, t);
        return 0;
}

void sm2_field_to_bytes(uint8_t out[SM2_FIELD_LEN], const struct sm2_field_element *a)
{
        uint64_t t[8] = { a->limb[0], a->limb[1], a->limb[2], a->limb[3], 0, 0, 0, 0 };
        uint64_t plain[4];
        sm2_field_reduce(plain, t);
        sm2_limbs_store(out, plain);
}

void sm2_field_set_u64(struct sm2_field_element *out, uint64_t v)
{
        uint64_t plain[4] = { v, 0, 0, 0 }, t[8];
        sm2_limbs_mul_wide(t, plain, field_r2);
        sm2_field_reduce(out->limb, t);
}

uint64_t sm2_field_is_zero(const struct sm2_field_element *a)
{
        return sm2_limbs_is_zero(a->limb);
}

uint64_t sm2_field_equal(const struct sm2_field_element *a, const struct sm2_field_element *b)
{
        uint64_t diff[4];
#pragma GCC unroll 8
        for (int i = 0; i < 4; i++)
                diff[i] = a->limb[i] ^ b->limb[i];
        return sm2_limbs_is_zero(diff);
}

void sm2_field_cmov(struct sm2_field_element *out, const struct sm2_field_element *in, uint64_t mask)
{
        sm2_field_cmov_inline(out, in, mask);
}

/* field_sqr_times sets out = a^(2^count). */
static void field_sqr_times(struct sm2_field_element *out, const struct sm2_field_element *a, int count)
{
        *out = *a;
#pragma GCC unroll 8
        for (int i = 0; i < count; i++)
                sm2_field_sqr(out, out);
}

/* sm2_field_inv: p - 2, read from the top bit down, is 31 ones, a zero, 128 ones, 32 zeros, 32 ones,
 * 30 ones, a zero and a one. With x_k = a^(2^k - 1) (k ones), the chain builds x_2, x_3, x_6, x_12,
 * x_24, x_30, x_31, x_32 and then shifts the runs in: 255 squarings and 15 multiplications, the same
 * sequence for every a. */
void sm2_field_inv(struct sm2_field_element *out, const struct sm2_field_element *a)
{
        struct sm2_field_element x2, x3, x6, x12, x24, x30, x31, x32, t;
        field_sqr_times(&t, a, 1);
        sm2_field_mul(&x2, &t, a);
        field_sqr_times(&t, &x2, 1);
        sm2_field_mul(&x3, &t, a);
        field_sqr_times(&t, &x3, 3);
        sm2_field_mul(&x6, &t, &x3);
        field_sqr_times(&t, &x6, 6);
        sm2_field_mul(&x12, &t, &x6);
        field_sqr_times(&t, &x12, 12);
        sm2_field_mul(&x24, &t, &x12);
        field_sqr_times(&t, &x24, 6);
        sm2_field_mul(&x30, &t, &x6);
        field_sqr_times(&t, &x30, 1);
        sm2_field_mul(&x31, &t, a);
        field_sqr_times(&t, &x31, 1);
        sm2_field_mul(&x32, &t, a);

        field_sqr_times(&t, &x31, 1); /* 31 ones, then the zero */
#pragma GCC unroll 8
        for (int i = 0; i < 4; i++) { /* 128 ones */
                field_sqr_times(&t, &t, 32);
                sm2_field_mul(&t, &t, &x32);
        }
        field_sqr_times(&t, &t, 32); /* 32 zeros */
        field_sqr_times(&t, &t, 32);
        sm2_field_mul(&t, &t, &x32);
        field_sqr_times(&t, &t, 30);
        sm2_field_mul(&t, &t, &x30);
        field_sqr_times(&t, &t, 2); /* "01" */
        sm2_field_mul(out, &t, a);
}
