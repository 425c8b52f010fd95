/* src/crypto/sm2_field_scalar.c: arithmetic modulo the SM2 group order
 *     n = FFFFFFFE FFFFFFFF FFFFFFFF FFFFFFFF 7203DF6B 21C6052B 53BBF409 39D54123   (GB/T 32918.5 §4)
 * in Montgomery form with R = 2^256. n has no special shape in its low half, so this is textbook
 * word-by-word Montgomery reduction: m = t_i·n0 with n0 = -1/n mod 2^64, then t += m·n·2^(64i).
 *
 * Constant time: all functions (the exponent of the inversion is the public n - 2, so its window
 * digits may index the table); the only data-dependent outcome is the status of
 * sm2_field_scalar_from_bytes. */
#include "crypto/sm2_field.h"

#include "crypto/sm2_field_internal.h"

static const uint64_t scalar_n[4] = { 0x53bbf40939d54123, 0x7203df6b21c6052b, 0xffffffffffffffff,
                                      0xfffffffeffffffff };
/* -1/n mod 2^64. */
static const uint64_t scalar_n0 = 0x327f9e8872350975;
/* R^2 mod n = 2^512 mod n. */
static const uint64_t scalar_r2[4] = { 0x901192af7c114f20, 0x3464504ade6fa2fa, 0x620fc84c3affe0d4,
                                       0x1eb5e412a22b3d3b };

/* scalar_reduce sets out = t / 2^256 mod n for t < n·2^256 (t is clobbered). */
static void scalar_reduce(uint64_t out[4], uint64_t t[8])
{
        uint64_t top = 0;
#pragma GCC unroll 8
        for (int i = 0; i < 4; i++) {
                uint64_t m = t[i] * scalar_n0;
                uint64_t carry = 0;
#pragma GCC unroll 8
                for (int j = 0; j < 4; j++) {
                        unsigned __int128 v = (unsigned __int128)m * scalar_n[j] + t[i + j] + carry;
                        t[i + j] = (uint64_t)v;
                        carry = (uint64_t)(v >> 64);
                }
#pragma GCC unroll 8
                for (int j = i + 4; j < 8; j++) {
                        unsigned __int128 s = (unsigned __int128)t[j] + carry;
                        t[j] = (uint64_t)s;
                        carry = (uint64_t)(s >> 64);
                }
                top += carry;
        }
        sm2_limbs_reduce_once(out, t + 4, top, scalar_n);
}

void sm2_field_scalar_mul(struct sm2_field_scalar *out, const struct sm2_field_scalar *a, const struct sm2_field_scalar *b)
{
        uint64_t t[8];
        sm2_limbs_mul_wide(t, a->limb, b->limb);
        scalar_reduce(out->limb, t);
}

void sm2_field_scalar_add(struct sm2_field_scalar *out, const struct sm2_field_scalar *a, const struct sm2_field_scalar *b)
{
        sm2_limbs_add_mod(out->limb, a->limb, b->limb, scalar_n);
}

void sm2_field_scalar_sub(struct sm2_field_scalar *out, const struct sm2_field_scalar *a, const struct sm2_field_scalar *b)
{
        sm2_limbs_sub_mod(out->limb, a->limb, b->limb, scalar_n);
}

void sm2_field_scalar_neg(struct sm2_field_scalar *out, const struct sm2_field_scalar *a)
{
        static const uint64_t zero[4] = { 0 };
        sm2_limbs_sub_mod(out->limb, zero, a->limb, scalar_n);
}

uint64_t sm2_field_scalar_is_zero(const struct sm2_field_scalar *a)
{
        return sm2_limbs_is_zero(a->limb);
}

/* Any 256-bit value is below 2n, so one masked subtraction of n reduces it. */
void sm2_field_scalar_reduce_plain(uint64_t out[4], const uint8_t in[SM2_FIELD_LEN])
{
        uint64_t plain[4];
        sm2_limbs_load(plain, in);
        sm2_limbs_reduce_once(out, plain, 0, scalar_n);
}

/* A value below 2^256 times R^2 is below n·2^256, so the Montgomery reduction both converts and
 * reduces mod n in one step. */
void sm2_field_scalar_from_bytes_reduce(struct sm2_field_scalar *out, const uint8_t in[SM2_FIELD_LEN])
{
        uint64_t plain[4], t[8];
        sm2_limbs_load(plain, in);
        sm2_limbs_mul_wide(t, plain, scalar_r2);
        scalar_reduce(out->limb, t);
}

int sm2_field_scalar_from_bytes(struct sm2_field_scalar *out, const uint8_t in[SM2_FIELD_LEN], struct err *err)
{
        uint64_t plain[4], diff[4];
        sm2_limbs_load(plain, in);
        if (sm2_limbs_sub(diff, plain, scalar_n) == 0)
                return SMT_ERR(err, SMT_EDECODE, "sm2 scalar: value is not below n");
        sm2_field_scalar_from_bytes_reduce(out, in);
        return 0;
}

void sm2_field_scalar_to_bytes(uint8_t out[SM2_FIELD_LEN], const struct sm2_field_scalar *a)
{
        uint64_t t[8] = { a->limb[0], a->limb[1], a->limb[2], a->limb[3], 0, 0, 0, 0 };
        uint64_t plain[4];
        scalar_reduce(plain, t);
        sm2_limbs_store(out, plain);
}

/* sm2_field_scalar_inv raises a to n - 2 (Fermat) four bits at a time from the top: the table holds
 * a^0 .. a^15 and the exponent's digits, public, pick the entry. */
void sm2_field_scalar_inv(struct sm2_field_scalar *out, const struct sm2_field_scalar *a)
{
        static const uint64_t n_minus_2[4] = { 0x53bbf40939d54121, 0x7203df6b21c6052b, 0xffffffffffffffff,
                                               0xfffffffeffffffff };
        static const uint8_t one_bytes[SM2_FIELD_LEN] = { [SM2_FIELD_LEN - 1] = 1 };
        struct sm2_field_scalar table[16], acc;
        sm2_field_scalar_from_bytes_reduce(&table[0], one_bytes);
#pragma GCC unroll 8
        for (int i = 1; i < 16; i++)
                sm2_field_scalar_mul(&table[i], &table[i - 1], a);
        acc = table[0];
#pragma GCC unroll 8
        for (int i = 63; i >= 0; i--) {
#pragma GCC unroll 8
                for (int j = 0; j < 4; j++)
                        sm2_field_scalar_mul(&acc, &acc, &acc);
                unsigned digit = (unsigned)(n_minus_2[i / 16] >> (4 * (i % 16))) & 15;
                sm2_field_scalar_mul(&acc, &acc, &table[digit]);
        }
        *out = acc;
}
