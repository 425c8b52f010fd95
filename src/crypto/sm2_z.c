/* src/crypto/sm2_z.c: the user hash Z that binds a distinguishing ID and a public key to the curve
 * (GB/T 32918.2 §5.5, used again by the key exchange in GB/T 32918.3 §5.5). */
#include "crypto/sm2.h"

#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>

#include "crypto/crypto_error.h"

/* The curve part of Z: a || b || xG || yG, each a 32-byte big-endian field element. */
#define SM2_Z_CURVE_LEN (4 * SM2_SCALAR_LEN)

/* sm2_z_curve_params writes a, b, xG and yG of the recommended curve (GB/T 32918.5 §5) as OpenSSL
 * knows it, so the constants live in one place only. */
static int sm2_z_curve_params(uint8_t out[SM2_Z_CURVE_LEN], struct err *err)
{
        EC_GROUP *group = EC_GROUP_new_by_curve_name(NID_sm2);
        BIGNUM *a = BN_new(), *b = BN_new(), *x = BN_new(), *y = BN_new();
        int ok = group != NULL && a != NULL && b != NULL && x != NULL && y != NULL &&
                 EC_GROUP_get_curve(group, NULL, a, b, NULL) &&
                 EC_POINT_get_affine_coordinates(group, EC_GROUP_get0_generator(group), x, y, NULL) &&
                 BN_bn2binpad(a, out, SM2_SCALAR_LEN) == SM2_SCALAR_LEN &&
                 BN_bn2binpad(b, out + SM2_SCALAR_LEN, SM2_SCALAR_LEN) == SM2_SCALAR_LEN &&
                 BN_bn2binpad(x, out + 2 * SM2_SCALAR_LEN, SM2_SCALAR_LEN) == SM2_SCALAR_LEN &&
                 BN_bn2binpad(y, out + 3 * SM2_SCALAR_LEN, SM2_SCALAR_LEN) == SM2_SCALAR_LEN;
        BN_free(a);
        BN_free(b);
        BN_free(x);
        BN_free(y);
        EC_GROUP_free(group);
        if (!ok)
                return crypto_error_set(err, CRYPTO_EOPENSSL, "sm2_compute_z: SM2 curve parameters");
        return SMT_OK;
}

/* sm2_z_hash runs SM3 over ENTL || ID || curve || xA || yA; point is 0x04 || xA || yA. */
static int sm2_z_hash(uint8_t out[SM3_DIGEST_LEN], const char *id, size_t id_len, const uint8_t curve[SM2_Z_CURVE_LEN],
                      const uint8_t point[SM2_POINT_LEN], struct err *err)
{
        /* ENTL is the ID's length in bits, two bytes big-endian (GB/T 32918.2 §5.5). */
        const uint8_t entl[2] = {(uint8_t)((id_len * 8) >> 8), (uint8_t)(id_len * 8)};
        struct sm3_ctx ctx = {0};
        int status = sm3_init(&ctx, err);
        if (status == SMT_OK)
                status = sm3_update(&ctx, entl, sizeof entl, err);
        if (status == SMT_OK)
                status = sm3_update(&ctx, (const uint8_t *)id, id_len, err);
        if (status == SMT_OK)
                status = sm3_update(&ctx, curve, SM2_Z_CURVE_LEN, err);
        if (status == SMT_OK)
                status = sm3_update(&ctx, point + 1, SM2_POINT_LEN - 1, err);
        if (status == SMT_OK)
                status = sm3_final(&ctx, out, err);
        sm3_cleanup(&ctx);
        return status;
}

int sm2_compute_z(uint8_t out[SM3_DIGEST_LEN], const struct key *key, const char *id, struct err *err)
{
        if (key_get_alg(key) != KEY_ALG_SM2)
                return SMT_ERR(err, CRYPTO_EWRONGALG, "sm2_compute_z: %s key; expected sm2",
                               key_alg_name(key_get_alg(key)));
        if (id == NULL)
                id = SM2_DEFAULT_ID;
        size_t id_len = strnlen(id, SM2_ID_MAX + 1);
        if (id_len > SM2_ID_MAX)
                return SMT_ERR(err, SMT_EINVAL, "sm2_compute_z: ID longer than %d bytes", SM2_ID_MAX);

        uint8_t point[SM2_POINT_LEN];
        size_t point_len = 0;
        TRY(key_public_point(key, point, sizeof point, &point_len, err));
        if (point_len != SM2_POINT_LEN)
                return SMT_ERR(err, CRYPTO_EKEY, "sm2_compute_z: public point of %zu bytes; expected %d", point_len,
                               SM2_POINT_LEN);
        uint8_t curve[SM2_Z_CURVE_LEN];
        TRY(sm2_z_curve_params(curve, err));
        return sm2_z_hash(out, id, id_len, curve, point, err);
}
