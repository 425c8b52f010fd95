/* tests/unit/crypto/test_sm2_point.c: SM2 curve points and scalar multiplication (crypto/sm2_point.h)
 * differentially against OpenSSL's EC_GROUP for NID_sm2 (EC_POINT_add / EC_POINT_mul), on reproducible
 * pseudo-random scalars and points, the edge scalars (0, 1, 2, n - 6, n - 1, n, n + 1, 2^256 - 1), the
 * point at infinity, P + P and P + (-P); and the curve constants against GB/T 32918.5. */
#include "crypto/sm2_point.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>

#include "check.h"

#define NUM_RANDOM_BASE 1000
#define NUM_RANDOM_VAR 300
#define NUM_RANDOM_DOUBLE 300
#define NUM_RANDOM_ADD 500

/* GB/T 32918.5-2017 §4 (recommended curve parameters), as printed there. */
static const char gbt_p[] = "FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF";
static const char gbt_a[] = "FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC";
static const char gbt_b[] = "28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93";
static const char gbt_n[] = "FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123";
static const char gbt_gx[] = "32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7";
static const char gbt_gy[] = "BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0";

static uint64_t test_state = 0x243f6a8885a308d3;

static void test_random_bytes(uint8_t out[32])
{
        for (int i = 0; i < 32; i += 8) {
                test_state ^= test_state >> 12;
                test_state ^= test_state << 25;
                test_state ^= test_state >> 27;
                uint64_t v = test_state * 0x2545f4914f6cdd1d;
                for (int j = 0; j < 8; j++)
                        out[i + j] = (uint8_t)(v >> (8 * j));
        }
}

struct test_curve {
        EC_GROUP *group;
        BN_CTX *ctx;
        BIGNUM *n;
};

static struct test_curve test_curve_new(void)
{
        struct test_curve curve = { EC_GROUP_new_by_curve_name(NID_sm2), BN_CTX_new(), NULL };
        CHECK(curve.group != NULL && curve.ctx != NULL);
        CHECK(BN_hex2bn(&curve.n, gbt_n) > 0);
        return curve;
}

static void test_curve_free(struct test_curve *curve)
{
        EC_GROUP_free(curve->group);
        BN_CTX_free(curve->ctx);
        BN_free(curve->n);
}

/* test_expect_same checks that ours and theirs are the same point (both infinity or same x, y). */
static void test_expect_same(const struct test_curve *curve, const struct sm2_point *ours, const EC_POINT *theirs)
{
        struct err err = { 0 };
        uint8_t got[SM2_POINT_AFFINE_LEN], want[1 + SM2_POINT_AFFINE_LEN];
        if (EC_POINT_is_at_infinity(curve->group, theirs)) {
                CHECK(sm2_point_is_infinity(ours));
                CHECK_STATUS(sm2_point_to_bytes(got, ours, &err), SMT_EINVAL);
                return;
        }
        CHECK(!sm2_point_is_infinity(ours));
        CHECK(EC_POINT_point2oct(curve->group, theirs, POINT_CONVERSION_UNCOMPRESSED, want, sizeof want,
                                 curve->ctx) == sizeof want);
        CHECK_OK(sm2_point_to_bytes(got, ours, &err), &err);
        CHECK_MEM(got, want + 1, SM2_POINT_AFFINE_LEN);
}

/* test_point_from_openssl converts an OpenSSL point into ours through its affine encoding. */
static void test_point_from_openssl(const struct test_curve *curve, struct sm2_point *out, const EC_POINT *in)
{
        struct err err = { 0 };
        uint8_t bytes[1 + SM2_POINT_AFFINE_LEN];
        if (EC_POINT_is_at_infinity(curve->group, in)) {
                sm2_point_set_infinity(out);
                return;
        }
        CHECK(EC_POINT_point2oct(curve->group, in, POINT_CONVERSION_UNCOMPRESSED, bytes, sizeof bytes, curve->ctx) ==
              sizeof bytes);
        CHECK_OK(sm2_point_from_bytes(out, bytes + 1, &err), &err);
}

/* test_random_point returns r·G for a random r, as both OpenSSL's point and ours. */
static EC_POINT *test_random_point(const struct test_curve *curve, struct sm2_point *ours)
{
        uint8_t r[32];
        test_random_bytes(r);
        BIGNUM *r_bn = BN_bin2bn(r, 32, NULL);
        EC_POINT *point = EC_POINT_new(curve->group);
        CHECK(r_bn != NULL && point != NULL);
        CHECK(EC_POINT_mul(curve->group, point, r_bn, NULL, NULL, curve->ctx) == 1);
        test_point_from_openssl(curve, ours, point);
        BN_free(r_bn);
        return point;
}

/* test_edge_scalar writes edge scalar number i: 0, 1, 2, n - 6, n - 1, n, n + 1, 2^256 - 1, then
 * values just below n whose top window is full (the last window of k·G adds near n). */
#define NUM_EDGE_SCALARS 10
static void test_edge_scalar(uint8_t out[32], int i, const BIGNUM *n)
{
        static const long offsets[] = { 0, 0, 0, -6, -1, 0, 1, 0, -3, -0x1000 };
        BIGNUM *v = BN_new();
        CHECK(v != NULL);
        if (i < 3) {
                CHECK(BN_set_word(v, (BN_ULONG)i) == 1);
        } else if (i == 7) {
                CHECK(BN_set_bit(v, 256) == 1 && BN_sub_word(v, 1) == 1);
        } else {
                CHECK(BN_copy(v, n) != NULL);
                CHECK(offsets[i] < 0 ? BN_sub_word(v, (BN_ULONG)-offsets[i]) == 1
                                     : BN_add_word(v, (BN_ULONG)offsets[i]) == 1);
        }
        CHECK(BN_bn2binpad(v, out, 32) == 32);
        BN_free(v);
}

static void sm2_point_curve_constants_match_gbt_32918_5(void)
{
        struct test_curve curve = test_curve_new();
        BIGNUM *p = BN_new(), *a = BN_new(), *b = BN_new(), *want = NULL;
        CHECK(p != NULL && a != NULL && b != NULL);
        CHECK(EC_GROUP_get_curve(curve.group, p, a, b, curve.ctx) == 1);
        const char *hex[] = { gbt_p, gbt_a, gbt_b };
        const BIGNUM *got[] = { p, a, b };
        for (int i = 0; i < 3; i++) {
                CHECK(BN_hex2bn(&want, hex[i]) > 0);
                CHECK(BN_cmp(got[i], want) == 0);
        }
        CHECK(BN_cmp(EC_GROUP_get0_order(curve.group), curve.n) == 0);
        /* a = p - 3, which the doubling formula relies on. */
        CHECK(BN_add_word(a, 3) == 1 && BN_cmp(a, p) == 0);

        struct err err = { 0 };
        uint8_t g_bytes[SM2_POINT_AFFINE_LEN], ours[SM2_POINT_AFFINE_LEN];
        CHECK_EQ(check_hex(g_bytes, 32, gbt_gx), 32);
        CHECK_EQ(check_hex(g_bytes + 32, 32, gbt_gy), 32);
        struct sm2_point g;
        sm2_point_set_generator(&g);
        CHECK_OK(sm2_point_to_bytes(ours, &g, &err), &err);
        CHECK_MEM(ours, g_bytes, sizeof ours);
        CHECK_OK(sm2_point_from_bytes(&g, g_bytes, &err), &err); /* on our curve (our b) */
        test_expect_same(&curve, &g, EC_GROUP_get0_generator(curve.group));
        BN_free(p);
        BN_free(a);
        BN_free(b);
        BN_free(want);
        test_curve_free(&curve);
}

static void sm2_point_from_bytes_refuses_points_off_the_curve(void)
{
        struct err err = { 0 };
        struct sm2_point point;
        uint8_t bytes[SM2_POINT_AFFINE_LEN];
        CHECK_EQ(check_hex(bytes, 32, gbt_gx), 32);
        CHECK_EQ(check_hex(bytes + 32, 32, gbt_gy), 32);
        bytes[63] ^= 1;
        CHECK_STATUS(sm2_point_from_bytes(&point, bytes, &err), SMT_EDECODE);
        memset(bytes, 0, sizeof bytes); /* (0, 0): not on the curve since b != 0 */
        CHECK_STATUS(sm2_point_from_bytes(&point, bytes, &err), SMT_EDECODE);
        CHECK_EQ(check_hex(bytes, 32, gbt_p), 32); /* x = p: not a field element */
        CHECK_STATUS(sm2_point_from_bytes(&point, bytes, &err), SMT_EDECODE);
}

static void sm2_point_add_matches_ec_point_add_with_every_special_case(void)
{
        struct test_curve curve = test_curve_new();
        EC_POINT *want = EC_POINT_new(curve.group);
        struct sm2_point infinity, sum;
        sm2_point_set_infinity(&infinity);
        for (int i = 0; i < NUM_RANDOM_ADD; i++) {
                struct sm2_point a, b, minus_a;
                EC_POINT *a_ossl = test_random_point(&curve, &a), *b_ossl = test_random_point(&curve, &b);
                /* Mix in Z != 1: 2a computed here, then compared against OpenSSL's. */
                sm2_point_add(&sum, &a, &b);
                CHECK(EC_POINT_add(curve.group, want, a_ossl, b_ossl, curve.ctx) == 1);
                test_expect_same(&curve, &sum, want);
                sm2_point_add(&sum, &a, &a);
                CHECK(EC_POINT_dbl(curve.group, want, a_ossl, curve.ctx) == 1);
                test_expect_same(&curve, &sum, want);
                sm2_point_double(&sum, &a);
                test_expect_same(&curve, &sum, want);
                struct sm2_point twice = sum, thrice;
                sm2_point_add(&thrice, &twice, &a); /* Jacobian + Jacobian with Z != 1 */
                CHECK(EC_POINT_add(curve.group, want, want, a_ossl, curve.ctx) == 1);
                test_expect_same(&curve, &thrice, want);
                sm2_point_neg(&minus_a, &a);
                sm2_point_add(&sum, &a, &minus_a);
                CHECK(sm2_point_is_infinity(&sum));
                sm2_point_add(&sum, &a, &infinity);
                test_expect_same(&curve, &sum, a_ossl);
                sm2_point_add(&sum, &infinity, &a);
                test_expect_same(&curve, &sum, a_ossl);
                EC_POINT_free(a_ossl);
                EC_POINT_free(b_ossl);
        }
        sm2_point_add(&sum, &infinity, &infinity);
        CHECK(sm2_point_is_infinity(&sum));
        sm2_point_double(&sum, &infinity);
        CHECK(sm2_point_is_infinity(&sum));
        EC_POINT_free(want);
        test_curve_free(&curve);
}

/* test_check_mul_base compares k·G with EC_POINT_mul(k, NULL). */
static void test_check_mul_base(const struct test_curve *curve, const uint8_t k[32], EC_POINT *want)
{
        struct sm2_point ours;
        BIGNUM *k_bn = BN_bin2bn(k, 32, NULL);
        CHECK(k_bn != NULL);
        CHECK(EC_POINT_mul(curve->group, want, k_bn, NULL, NULL, curve->ctx) == 1);
        sm2_point_mul_base(&ours, k);
        test_expect_same(curve, &ours, want);
        BN_free(k_bn);
}

static void sm2_point_mul_base_matches_ec_point_mul(void)
{
        struct test_curve curve = test_curve_new();
        EC_POINT *want = EC_POINT_new(curve.group);
        uint8_t k[32];
        for (int i = 0; i < NUM_EDGE_SCALARS; i++) {
                test_edge_scalar(k, i, curve.n);
                test_check_mul_base(&curve, k, want);
        }
        for (int i = 0; i < NUM_RANDOM_BASE; i++) {
                test_random_bytes(k);
                if (i % 4 == 1) /* just below n: the top window holds its largest digits */
                        memcpy(k, "\xff\xff\xff\xfe\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 16);
                test_check_mul_base(&curve, k, want);
        }
        EC_POINT_free(want);
        test_curve_free(&curve);
}

static void test_check_mul(const struct test_curve *curve, const uint8_t k[32], const struct sm2_point *point,
                           const EC_POINT *point_ossl, EC_POINT *want)
{
        struct sm2_point ours;
        BIGNUM *k_bn = BN_bin2bn(k, 32, NULL);
        CHECK(k_bn != NULL);
        CHECK(EC_POINT_mul(curve->group, want, NULL, point_ossl, k_bn, curve->ctx) == 1);
        sm2_point_mul(&ours, k, point);
        test_expect_same(curve, &ours, want);
        BN_free(k_bn);
}

static void sm2_point_mul_matches_ec_point_mul(void)
{
        struct test_curve curve = test_curve_new();
        EC_POINT *want = EC_POINT_new(curve.group), *infinity_ossl = EC_POINT_new(curve.group);
        CHECK(EC_POINT_set_to_infinity(curve.group, infinity_ossl) == 1);
        struct sm2_point point, infinity;
        sm2_point_set_infinity(&infinity);
        uint8_t k[32];
        for (int i = 0; i < NUM_RANDOM_VAR + NUM_EDGE_SCALARS; i++) {
                EC_POINT *point_ossl = test_random_point(&curve, &point);
                if (i < NUM_EDGE_SCALARS) {
                        test_edge_scalar(k, i, curve.n);
                        test_check_mul(&curve, k, &infinity, infinity_ossl, want);
                } else {
                        test_random_bytes(k);
                }
                test_check_mul(&curve, k, &point, point_ossl, want);
                EC_POINT_free(point_ossl);
        }
        EC_POINT_free(infinity_ossl);
        EC_POINT_free(want);
        test_curve_free(&curve);
}

static void test_check_mul_double(const struct test_curve *curve, const uint8_t u1[32], const uint8_t u2[32],
                                  const struct sm2_point *point, const EC_POINT *point_ossl, EC_POINT *want)
{
        struct sm2_point ours;
        BIGNUM *u1_bn = BN_bin2bn(u1, 32, NULL), *u2_bn = BN_bin2bn(u2, 32, NULL);
        CHECK(u1_bn != NULL && u2_bn != NULL);
        CHECK(EC_POINT_mul(curve->group, want, u1_bn, point_ossl, u2_bn, curve->ctx) == 1);
        sm2_point_mul_double_vartime(&ours, u1, u2, point);
        test_expect_same(curve, &ours, want);
        BN_free(u1_bn);
        BN_free(u2_bn);
}

/* With point = G, u1 + u2 ≡ 0 gives infinity and u1 = u2 makes the final addition a doubling. */
static void sm2_point_mul_double_vartime_matches_ec_point_mul(void)
{
        struct test_curve curve = test_curve_new();
        EC_POINT *want = EC_POINT_new(curve.group);
        struct sm2_point point, g;
        sm2_point_set_generator(&g);
        const EC_POINT *g_ossl = EC_GROUP_get0_generator(curve.group);
        uint8_t u1[32], u2[32];
        for (int i = 0; i < NUM_EDGE_SCALARS; i++)
                for (int j = 0; j < NUM_EDGE_SCALARS; j++) {
                        test_edge_scalar(u1, i, curve.n);
                        test_edge_scalar(u2, j, curve.n);
                        test_check_mul_double(&curve, u1, u2, &g, g_ossl, want);
                }
        for (int i = 0; i < NUM_RANDOM_DOUBLE; i++) {
                EC_POINT *point_ossl = test_random_point(&curve, &point);
                test_random_bytes(u1);
                test_random_bytes(u2);
                test_check_mul_double(&curve, u1, u2, &point, point_ossl, want);
                test_check_mul_double(&curve, u1, u1, &g, g_ossl, want);
                EC_POINT_free(point_ossl);
        }
        EC_POINT_free(want);
        test_curve_free(&curve);
}

CHECK_MAIN(CHECK_TEST(sm2_point_curve_constants_match_gbt_32918_5),
           CHECK_TEST(sm2_point_from_bytes_refuses_points_off_the_curve),
           CHECK_TEST(sm2_point_add_matches_ec_point_add_with_every_special_case),
           CHECK_TEST(sm2_point_mul_base_matches_ec_point_mul), CHECK_TEST(sm2_point_mul_matches_ec_point_mul),
           CHECK_TEST(sm2_point_mul_double_vartime_matches_ec_point_mul))
