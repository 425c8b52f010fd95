/* tests/fuzz/fuzz_sm2_point.c: targets sm2_point_from_bytes, sm2_point_mul_base, sm2_point_mul and
 * sm2_point_mul_double_vartime, differentially against OpenSSL's EC_POINT_mul on the SM2 curve.
 * Input: k (32 bytes) || r (32 bytes) || optional x || y (64 bytes); shorter inputs are zero-padded.
 * The point is x || y when both implementations accept it (they must agree on whether it is on the
 * curve), else r·G. Checked: k·G, k·P and k·G + r·P. Any disagreement aborts. */
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/sm2_point.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

/* fuzz_expect_same aborts unless ours and theirs are the same point. */
static void fuzz_expect_same(const EC_GROUP *group, const struct sm2_point *ours, const EC_POINT *theirs, BN_CTX *ctx)
{
        struct err err = { 0 };
        uint8_t got[SM2_POINT_AFFINE_LEN], want[1 + SM2_POINT_AFFINE_LEN];
        int ours_infinity = sm2_point_to_bytes(got, ours, &err) != 0;
        if (EC_POINT_is_at_infinity(group, theirs)) {
                if (!ours_infinity)
                        abort();
                return;
        }
        if (ours_infinity ||
            EC_POINT_point2oct(group, theirs, POINT_CONVERSION_UNCOMPRESSED, want, sizeof want, ctx) != sizeof want ||
            memcmp(got, want + 1, sizeof got) != 0)
                abort();
}

/* fuzz_pick_point sets ours/theirs to x || y from in when valid (both must agree), else to r·G. */
static void fuzz_pick_point(const EC_GROUP *group, struct sm2_point *ours, EC_POINT *theirs, const uint8_t in[64],
                            const BIGNUM *r, BN_CTX *ctx)
{
        struct err err = { 0 };
        uint8_t encoded[1 + SM2_POINT_AFFINE_LEN] = { POINT_CONVERSION_UNCOMPRESSED };
        memcpy(encoded + 1, in, SM2_POINT_AFFINE_LEN);
        int ours_ok = sm2_point_from_bytes(ours, in, &err) == 0;
        int theirs_ok = EC_POINT_oct2point(group, theirs, encoded, sizeof encoded, ctx) == 1;
        if (ours_ok != theirs_ok)
                abort();
        if (ours_ok)
                return;
        uint8_t r_bytes[32];
        if (EC_POINT_mul(group, theirs, r, NULL, NULL, ctx) != 1 || BN_bn2binpad(r, r_bytes, 32) != 32)
                abort();
        sm2_point_mul_base(ours, r_bytes);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
        uint8_t input[128] = { 0 };
        memcpy(input, data, len < sizeof input ? len : sizeof input);
        EC_GROUP *group = EC_GROUP_new_by_curve_name(NID_sm2);
        BN_CTX *ctx = BN_CTX_new();
        BIGNUM *k = BN_bin2bn(input, 32, NULL), *r = BN_bin2bn(input + 32, 32, NULL);
        EC_POINT *point = EC_POINT_new(group), *want = EC_POINT_new(group);
        if (group == NULL || ctx == NULL || k == NULL || r == NULL || point == NULL || want == NULL)
                abort();
        struct sm2_point ours_point, ours;
        fuzz_pick_point(group, &ours_point, point, len >= sizeof input ? input + 64 : input + 32, r, ctx);

        if (EC_POINT_mul(group, want, k, NULL, NULL, ctx) != 1)
                abort();
        sm2_point_mul_base(&ours, input);
        fuzz_expect_same(group, &ours, want, ctx);
        if (EC_POINT_mul(group, want, NULL, point, k, ctx) != 1)
                abort();
        sm2_point_mul(&ours, input, &ours_point);
        fuzz_expect_same(group, &ours, want, ctx);
        if (EC_POINT_mul(group, want, k, point, r, ctx) != 1)
                abort();
        sm2_point_mul_double_vartime(&ours, input, input + 32, &ours_point);
        fuzz_expect_same(group, &ours, want, ctx);

        EC_POINT_free(want);
        EC_POINT_free(point);
        BN_free(r);
        BN_free(k);
        BN_CTX_free(ctx);
        EC_GROUP_free(group);
        return 0;
}
