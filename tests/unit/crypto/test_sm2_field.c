/* tests/unit/crypto/test_sm2_field.c: arithmetic mod the SM2 prime p and mod the group order n
 * (crypto/sm2_field.h), differentially against OpenSSL's BIGNUM (BN_mod_*), on thousands of
 * reproducible pseudo-random values plus the edges (0, 1, m - 1, values at and above the modulus). */
#include "crypto/sm2_field.h"

#include <openssl/bn.h>

#include "check.h"

#define NUM_RANDOM 4000
#define NUM_RANDOM_INV 500

/* GB/T 32918.5 §4: p and n of the recommended curve. */
static const char field_p_hex[] = "FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF";
static const char field_n_hex[] = "FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123";

static uint64_t test_state = 0x9e3779b97f4a7c15;

/* test_random_bytes fills out from a fixed-seed xorshift64* stream, so failures replay. Every 16th
 * value is drawn from a few limb patterns (runs of ones and zeros) that stress carries. */
static void test_random_bytes(uint8_t out[32])
{
        static const uint64_t patterns[] = { 0, 1, 0xffffffffffffffff, 0xffffffff00000000, 0x00000000ffffffff,
                                             0xfffffffeffffffff, 0x8000000000000000 };
        for (int i = 0; i < 32; i += 8) {
                test_state ^= test_state >> 12;
                test_state ^= test_state << 25;
                test_state ^= test_state >> 27;
                uint64_t v = test_state * 0x2545f4914f6cdd1d;
                if ((test_state & 0xf00) == 0)
                        v = patterns[(test_state >> 16) % (sizeof patterns / sizeof patterns[0])];
                for (int j = 0; j < 8; j++)
                        out[i + j] = (uint8_t)(v >> (8 * j));
        }
}

static BIGNUM *test_bn(const uint8_t in[32])
{
        BIGNUM *bn = BN_bin2bn(in, 32, NULL);
        CHECK(bn != NULL);
        return bn;
}

static void test_bn_bytes(uint8_t out[32], const BIGNUM *bn)
{
        CHECK(BN_bn2binpad(bn, out, 32) == 32);
}

/* test_random_below draws a value below m (its bytes in out, a BIGNUM returned). */
static BIGNUM *test_random_below(uint8_t out[32], const BIGNUM *m, BN_CTX *ctx)
{
        test_random_bytes(out);
        BIGNUM *bn = test_bn(out);
        CHECK(BN_nnmod(bn, bn, m, ctx) == 1);
        test_bn_bytes(out, bn);
        return bn;
}

static BIGNUM *test_hex_bn(const char *hex)
{
        BIGNUM *bn = NULL;
        CHECK(BN_hex2bn(&bn, hex) > 0);
        return bn;
}

/* test_edge_bytes writes edge value number i (0, 1, 2, m - 1, m - 2, 2^255, 2^224) as bytes. */
static void test_edge_bytes(uint8_t out[32], int i, const BIGNUM *m)
{
        BIGNUM *bn = BN_new();
        CHECK(bn != NULL);
        switch (i) {
        case 0: case 1: case 2: CHECK(BN_set_word(bn, (BN_ULONG)i) == 1); break;
        case 3: case 4: CHECK(BN_copy(bn, m) != NULL && BN_sub_word(bn, (BN_ULONG)(i - 2)) == 1); break;
        case 5: CHECK(BN_set_bit(bn, 255) == 1); break;
        default: CHECK(BN_set_bit(bn, 224) == 1); break;
        }
        test_bn_bytes(out, bn);
        BN_free(bn);
}

static void field_check_pair(const uint8_t a_bytes[32], const uint8_t b_bytes[32], const BIGNUM *p, BN_CTX *ctx)
{
        struct err err = { 0 };
        struct sm2_field_element a, b, r;
        uint8_t got[32], want[32];
        BIGNUM *a_bn = test_bn(a_bytes), *b_bn = test_bn(b_bytes), *w = BN_new();
        CHECK(w != NULL);
        CHECK_OK(sm2_field_from_bytes(&a, a_bytes, &err), &err);
        CHECK_OK(sm2_field_from_bytes(&b, b_bytes, &err), &err);
        sm2_field_to_bytes(got, &a);
        CHECK_MEM(got, a_bytes, 32);

        sm2_field_add(&r, &a, &b);
        sm2_field_to_bytes(got, &r);
        CHECK(BN_mod_add(w, a_bn, b_bn, p, ctx) == 1);
        test_bn_bytes(want, w);
        CHECK_MEM(got, want, 32);

        sm2_field_sub(&r, &a, &b);
        sm2_field_to_bytes(got, &r);
        CHECK(BN_mod_sub(w, a_bn, b_bn, p, ctx) == 1);
        test_bn_bytes(want, w);
        CHECK_MEM(got, want, 32);

        sm2_field_mul(&r, &a, &b);
        sm2_field_to_bytes(got, &r);
        CHECK(BN_mod_mul(w, a_bn, b_bn, p, ctx) == 1);
        test_bn_bytes(want, w);
        CHECK_MEM(got, want, 32);

        sm2_field_sqr(&r, &a);
        sm2_field_to_bytes(got, &r);
        CHECK(BN_mod_sqr(w, a_bn, p, ctx) == 1);
        test_bn_bytes(want, w);
        CHECK_MEM(got, want, 32);

        sm2_field_neg(&r, &a);
        sm2_field_to_bytes(got, &r);
        CHECK(BN_mod_sub(w, p, a_bn, p, ctx) == 1);
        test_bn_bytes(want, w);
        CHECK_MEM(got, want, 32);

        CHECK_EQ(sm2_field_equal(&a, &b) != 0, BN_cmp(a_bn, b_bn) == 0);
        CHECK_EQ(sm2_field_is_zero(&a) != 0, BN_is_zero(a_bn));
        BN_free(a_bn);
        BN_free(b_bn);
        BN_free(w);
}

static void sm2_field_add_sub_mul_sqr_neg_match_bn_mod(void)
{
        BN_CTX *ctx = BN_CTX_new();
        BIGNUM *p = test_hex_bn(field_p_hex);
        uint8_t a[32], b[32];
        for (int i = 0; i < 7; i++)
                for (int j = 0; j < 7; j++) {
                        test_edge_bytes(a, i, p);
                        test_edge_bytes(b, j, p);
                        field_check_pair(a, b, p, ctx);
                }
        for (int i = 0; i < NUM_RANDOM; i++) {
                BN_free(test_random_below(a, p, ctx));
                BN_free(test_random_below(b, p, ctx));
                field_check_pair(a, b, p, ctx);
        }
        BN_free(p);
        BN_CTX_free(ctx);
}

static void sm2_field_inv_matches_bn_mod_inverse(void)
{
        BN_CTX *ctx = BN_CTX_new();
        BIGNUM *p = test_hex_bn(field_p_hex), *w = BN_new();
        struct err err = { 0 };
        struct sm2_field_element a, r, product, one;
        uint8_t bytes[32], got[32], want[32];
        sm2_field_set_u64(&one, 1);
        for (int i = 0; i < NUM_RANDOM_INV + 7; i++) {
                BIGNUM *a_bn = i < 7 ? NULL : test_random_below(bytes, p, ctx);
                if (i < 7) {
                        test_edge_bytes(bytes, i, p);
                        a_bn = test_bn(bytes);
                }
                CHECK_OK(sm2_field_from_bytes(&a, bytes, &err), &err);
                sm2_field_inv(&r, &a);
                sm2_field_to_bytes(got, &r);
                if (BN_is_zero(a_bn)) {
                        CHECK(sm2_field_is_zero(&r));
                } else {
                        CHECK(BN_mod_inverse(w, a_bn, p, ctx) != NULL);
                        test_bn_bytes(want, w);
                        CHECK_MEM(got, want, 32);
                        sm2_field_mul(&product, &r, &a);
                        CHECK(sm2_field_equal(&product, &one));
                }
                BN_free(a_bn);
        }
        BN_free(w);
        BN_free(p);
        BN_CTX_free(ctx);
}

/* Encodings at or above the modulus are refused (field) or reduced (scalar _reduce), never wrapped. */
static void sm2_field_from_bytes_refuses_values_at_or_above_the_modulus(void)
{
        BN_CTX *ctx = BN_CTX_new();
        struct err err = { 0 };
        struct sm2_field_element a;
        struct sm2_field_scalar s;
        uint8_t bytes[32];
        for (int which = 0; which < 2; which++) {
                BIGNUM *m = test_hex_bn(which == 0 ? field_p_hex : field_n_hex);
                for (int delta = -1; delta <= 2; delta++) {
                        BIGNUM *v = BN_dup(m);
                        CHECK(v != NULL);
                        CHECK(delta < 0 ? BN_sub_word(v, 1) == 1 : BN_add_word(v, (BN_ULONG)delta) == 1);
                        test_bn_bytes(bytes, v);
                        int status = which == 0 ? sm2_field_from_bytes(&a, bytes, &err)
                                                : sm2_field_scalar_from_bytes(&s, bytes, &err);
                        CHECK_EQ(status, delta < 0 ? 0 : SMT_EDECODE);
                        BN_free(v);
                }
                memset(bytes, 0xff, sizeof bytes);
                CHECK_STATUS(which == 0 ? sm2_field_from_bytes(&a, bytes, &err)
                                        : sm2_field_scalar_from_bytes(&s, bytes, &err), SMT_EDECODE);
                BN_free(m);
        }
        BN_CTX_free(ctx);
}

static void sm2_field_cmov_moves_only_under_a_full_mask(void)
{
        struct sm2_field_element a, b, c;
        sm2_field_set_u64(&a, 7);
        sm2_field_set_u64(&b, 9);
        c = a;
        sm2_field_cmov(&c, &b, 0);
        CHECK(sm2_field_equal(&c, &a));
        sm2_field_cmov(&c, &b, ~(uint64_t)0);
        CHECK(sm2_field_equal(&c, &b));
        CHECK(!sm2_field_equal(&a, &b));
}

static void scalar_check_pair(const uint8_t a_bytes[32], const uint8_t b_bytes[32], const BIGNUM *n, BN_CTX *ctx)
{
        struct sm2_field_scalar a, b, r;
        uint8_t got[32], want[32];
        uint64_t plain[4];
        BIGNUM *a_bn = test_bn(a_bytes), *b_bn = test_bn(b_bytes), *w = BN_new();
        CHECK(w != NULL);
        /* Inputs are any 256-bit values: _reduce must agree with BN_nnmod. */
        sm2_field_scalar_from_bytes_reduce(&a, a_bytes);
        sm2_field_scalar_from_bytes_reduce(&b, b_bytes);
        CHECK(BN_nnmod(a_bn, a_bn, n, ctx) == 1 && BN_nnmod(b_bn, b_bn, n, ctx) == 1);
        sm2_field_scalar_to_bytes(got, &a);
        test_bn_bytes(want, a_bn);
        CHECK_MEM(got, want, 32);
        sm2_field_scalar_reduce_plain(plain, a_bytes);
        for (int i = 0; i < 4; i++)
                for (int j = 0; j < 8; j++)
                        CHECK_EQ((uint8_t)(plain[i] >> (8 * j)), want[31 - 8 * i - j]);

        sm2_field_scalar_add(&r, &a, &b);
        sm2_field_scalar_to_bytes(got, &r);
        CHECK(BN_mod_add(w, a_bn, b_bn, n, ctx) == 1);
        test_bn_bytes(want, w);
        CHECK_MEM(got, want, 32);

        sm2_field_scalar_sub(&r, &a, &b);
        sm2_field_scalar_to_bytes(got, &r);
        CHECK(BN_mod_sub(w, a_bn, b_bn, n, ctx) == 1);
        test_bn_bytes(want, w);
        CHECK_MEM(got, want, 32);

        sm2_field_scalar_mul(&r, &a, &b);
        sm2_field_scalar_to_bytes(got, &r);
        CHECK(BN_mod_mul(w, a_bn, b_bn, n, ctx) == 1);
        test_bn_bytes(want, w);
        CHECK_MEM(got, want, 32);

        sm2_field_scalar_neg(&r, &a);
        sm2_field_scalar_to_bytes(got, &r);
        CHECK(BN_mod_sub(w, n, a_bn, n, ctx) == 1);
        test_bn_bytes(want, w);
        CHECK_MEM(got, want, 32);
        CHECK_EQ(sm2_field_scalar_is_zero(&a) != 0, BN_is_zero(a_bn));
        BN_free(a_bn);
        BN_free(b_bn);
        BN_free(w);
}

static void sm2_field_scalar_ops_match_bn_mod_n(void)
{
        BN_CTX *ctx = BN_CTX_new();
        BIGNUM *n = test_hex_bn(field_n_hex);
        uint8_t a[32], b[32];
        for (int i = 0; i < 7; i++)
                for (int j = 0; j < 7; j++) {
                        test_edge_bytes(a, i, n);
                        test_edge_bytes(b, j, n);
                        scalar_check_pair(a, b, n, ctx);
                }
        memset(a, 0xff, sizeof a); /* 2^256 - 1, above n */
        test_edge_bytes(b, 3, n);
        scalar_check_pair(a, b, n, ctx);
        for (int i = 0; i < NUM_RANDOM; i++) {
                test_random_bytes(a);
                test_random_bytes(b);
                scalar_check_pair(a, b, n, ctx);
        }
        BN_free(n);
        BN_CTX_free(ctx);
}

static void sm2_field_scalar_inv_matches_bn_mod_inverse(void)
{
        BN_CTX *ctx = BN_CTX_new();
        BIGNUM *n = test_hex_bn(field_n_hex), *w = BN_new();
        struct sm2_field_scalar a, r;
        uint8_t bytes[32], got[32], want[32];
        for (int i = 0; i < NUM_RANDOM_INV + 7; i++) {
                BIGNUM *a_bn;
                if (i < 7) {
                        test_edge_bytes(bytes, i, n);
                        a_bn = test_bn(bytes);
                } else {
                        a_bn = test_random_below(bytes, n, ctx);
                }
                sm2_field_scalar_from_bytes_reduce(&a, bytes);
                sm2_field_scalar_inv(&r, &a);
                sm2_field_scalar_to_bytes(got, &r);
                if (BN_is_zero(a_bn)) {
                        CHECK(sm2_field_scalar_is_zero(&r));
                } else {
                        CHECK(BN_mod_inverse(w, a_bn, n, ctx) != NULL);
                        test_bn_bytes(want, w);
                        CHECK_MEM(got, want, 32);
                }
                BN_free(a_bn);
        }
        BN_free(w);
        BN_free(n);
        BN_CTX_free(ctx);
}

CHECK_MAIN(CHECK_TEST(sm2_field_add_sub_mul_sqr_neg_match_bn_mod), CHECK_TEST(sm2_field_inv_matches_bn_mod_inverse),
           CHECK_TEST(sm2_field_from_bytes_refuses_values_at_or_above_the_modulus),
           CHECK_TEST(sm2_field_cmov_moves_only_under_a_full_mask), CHECK_TEST(sm2_field_scalar_ops_match_bn_mod_n),
           CHECK_TEST(sm2_field_scalar_inv_matches_bn_mod_inverse))
