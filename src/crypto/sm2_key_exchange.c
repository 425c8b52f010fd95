/* src/crypto/sm2_key_exchange.c: the SM2 key exchange protocol (GB/T 32918.3-2016 §6.1), the key agreement
 * under TLCP's ECDHE suites. Step numbers in comments are the standard's: A1..A10 for the initiator A,
 * B1..B10 for the responder B. */
#include "crypto/sm2.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>

#include "crypto/crypto_error.h"

/* KDF input Z = xU || yU || ZA || ZB (A8/B7). */
#define SM2_KX_MATERIAL_LEN (2 * SM2_SCALAR_LEN + 2 * SM3_DIGEST_LEN)

struct sm2_key_exchange {
        enum sm2_key_exchange_role role;
        const struct key *own_static; /* borrowed */
        EC_GROUP *group;
        BIGNUM *r;                        /* ephemeral scalar, in OpenSSL's secure heap */
        uint8_t own_point[SM2_POINT_LEN]; /* R = [r]G */
        uint8_t own_z[SM3_DIGEST_LEN];
};

static int sm2_key_exchange_check_own(enum sm2_key_exchange_role role, const struct key *own_static, struct err *err)
{
        if (role != SM2_KEY_EXCHANGE_INITIATOR && role != SM2_KEY_EXCHANGE_RESPONDER)
                return SMT_ERR(err, SMT_EINVAL, "sm2 key exchange: role %d is neither initiator nor responder",
                               (int)role);
        if (key_get_alg(own_static) != KEY_ALG_SM2)
                return SMT_ERR(err, CRYPTO_EWRONGALG, "sm2 key exchange: own %s key; expected sm2",
                               key_alg_name(key_get_alg(own_static)));
        if (!key_is_private(own_static))
                return SMT_ERR(err, CRYPTO_EKEY, "sm2 key exchange: own key is public only; a private key is needed");
        return SMT_OK;
}

/* sm2_key_exchange_draw_r picks r in [1, n-1] (A1/B1) from OpenSSL's private DRBG. */
static int sm2_key_exchange_draw_r(struct sm2_key_exchange *kx, struct err *err)
{
        do {
                if (!BN_priv_rand_range(kx->r, EC_GROUP_get0_order(kx->group)))
                        return crypto_error_set(err, CRYPTO_ERANDOM, "sm2 key exchange: ephemeral scalar");
        } while (BN_is_zero(kx->r));
        return SMT_OK;
}

static int sm2_key_exchange_set_r(struct sm2_key_exchange *kx, const uint8_t r[SM2_SCALAR_LEN], struct err *err)
{
        if (BN_bin2bn(r, SM2_SCALAR_LEN, kx->r) == NULL)
                return crypto_error_set(err, SMT_ENOMEM, "sm2 key exchange: ephemeral scalar");
        if (BN_is_zero(kx->r) || BN_cmp(kx->r, EC_GROUP_get0_order(kx->group)) >= 0)
                return SMT_ERR(err, SMT_EINVAL, "sm2 key exchange: ephemeral scalar out of range [1, n-1]");
        return SMT_OK;
}

/* sm2_key_exchange_set_point computes R = [r]G (A2/B2). */
static int sm2_key_exchange_set_point(struct sm2_key_exchange *kx, struct err *err)
{
        EC_POINT *point = EC_POINT_new(kx->group);
        int ok = point != NULL && EC_POINT_mul(kx->group, point, kx->r, NULL, NULL, NULL) &&
                 EC_POINT_point2oct(kx->group, point, POINT_CONVERSION_UNCOMPRESSED, kx->own_point,
                                    sizeof kx->own_point, NULL) == sizeof kx->own_point;
        EC_POINT_free(point);
        if (!ok)
                return crypto_error_set(err, CRYPTO_EOPENSSL, "sm2 key exchange: ephemeral point");
        return SMT_OK;
}

/* sm2_key_exchange_start makes an exchange; r NULL draws a random ephemeral scalar. */
static int sm2_key_exchange_start(struct sm2_key_exchange **out, enum sm2_key_exchange_role role,
                                  const struct key *own_static, const char *own_id, const uint8_t *r, struct err *err)
{
        TRY(sm2_key_exchange_check_own(role, own_static, err));
        struct sm2_key_exchange *kx = calloc(1, sizeof *kx);
        if (kx == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "sm2 key exchange: out of memory");
        kx->role = role;
        kx->own_static = own_static;
        kx->group = EC_GROUP_new_by_curve_name(NID_sm2);
        kx->r = BN_secure_new();
        int status = SMT_OK;
        if (kx->group == NULL || kx->r == NULL)
                status = crypto_error_set(err, SMT_ENOMEM, "sm2 key exchange: curve");
        if (status == SMT_OK)
                BN_set_flags(kx->r, BN_FLG_CONSTTIME);
        if (status == SMT_OK)
                status = sm2_compute_z(kx->own_z, own_static, own_id, err);
        if (status == SMT_OK)
                status = r != NULL ? sm2_key_exchange_set_r(kx, r, err) : sm2_key_exchange_draw_r(kx, err);
        if (status == SMT_OK)
                status = sm2_key_exchange_set_point(kx, err);
        if (status < 0) {
                sm2_key_exchange_free(kx);
                return status;
        }
        *out = kx;
        return SMT_OK;
}

int sm2_key_exchange_new(struct sm2_key_exchange **out, enum sm2_key_exchange_role role, const struct key *own_static,
                         const char *own_id, struct err *err)
{
        return sm2_key_exchange_start(out, role, own_static, own_id, NULL, err);
}

int sm2_key_exchange_new_with_ephemeral(struct sm2_key_exchange **out, enum sm2_key_exchange_role role,
                                        const struct key *own_static, const char *own_id,
                                        const uint8_t r[SM2_SCALAR_LEN], struct err *err)
{
        return sm2_key_exchange_start(out, role, own_static, own_id, r, err);
}

void sm2_key_exchange_ephemeral_point(const struct sm2_key_exchange *kx, uint8_t out[SM2_POINT_LEN])
{
        memcpy(out, kx->own_point, SM2_POINT_LEN);
}

/* sm2_key_exchange_x_bar computes x̄ = 2^w + (x & (2^w - 1)) with w = ceil(ceil(log2 n) / 2) - 1, 127 for
 * SM2 (A4/A6/B3/B5); x is a point's 32-byte x coordinate. */
static int sm2_key_exchange_x_bar(const EC_GROUP *group, BIGNUM *out, const uint8_t x[SM2_SCALAR_LEN])
{
        int w = (BN_num_bits(EC_GROUP_get0_order(group)) + 1) / 2 - 1;
        /* BN_mask_bits fails on a number already shorter than w bits, which needs no masking. */
        return BN_bin2bn(x, SM2_SCALAR_LEN, out) != NULL && (BN_num_bits(out) <= w || BN_mask_bits(out, w)) &&
               BN_set_bit(out, w);
}

/* sm2_key_exchange_t computes t = (d + x̄_own · r) mod n (A5/B4). */
static int sm2_key_exchange_t(const struct sm2_key_exchange *kx, BIGNUM *t, BN_CTX *ctx, struct err *err)
{
        const BIGNUM *n = EC_GROUP_get0_order(kx->group);
        BIGNUM *d = BN_secure_new();
        BIGNUM *x_bar = BN_new();
        int ok = d != NULL && x_bar != NULL &&
                 EVP_PKEY_get_bn_param(key_evp(kx->own_static), OSSL_PKEY_PARAM_PRIV_KEY, &d) &&
                 sm2_key_exchange_x_bar(kx->group, x_bar, kx->own_point + 1) && BN_mod_mul(t, x_bar, kx->r, n, ctx) &&
                 BN_mod_add(t, t, d, n, ctx);
        BN_clear_free(d);
        BN_free(x_bar);
        if (!ok)
                return crypto_error_set(err, CRYPTO_EKEY, "sm2 key exchange: own private key");
        return SMT_OK;
}

/* sm2_key_exchange_peer_r parses the peer's R, which A6/B5 require to be a point of the curve. Only the
 * uncompressed form is accepted: that is what GB/T 32918.3 and TLCP send. */
static int sm2_key_exchange_peer_r(const EC_GROUP *group, EC_POINT *out, const uint8_t point[SM2_POINT_LEN],
                                   BN_CTX *ctx, struct err *err)
{
        if (point[0] != 0x04)
                return SMT_ERR(err, CRYPTO_EKEYEXCHANGE, "sm2 key exchange: peer point form 0x%02x; expected 0x04",
                               point[0]);
        /* oct2point refuses coordinates >= p and points off the curve. */
        if (!EC_POINT_oct2point(group, out, point, SM2_POINT_LEN, ctx) || EC_POINT_is_at_infinity(group, out))
                return crypto_error_set(err, CRYPTO_EKEYEXCHANGE, "sm2 key exchange: peer point is not on the curve");
        return SMT_OK;
}

static int sm2_key_exchange_peer_p(const EC_GROUP *group, EC_POINT *out, const struct key *peer_static, BN_CTX *ctx,
                                   struct err *err)
{
        uint8_t point[SM2_POINT_LEN];
        size_t point_len = 0;
        TRY(key_public_point(peer_static, point, sizeof point, &point_len, err));
        if (point_len != SM2_POINT_LEN || !EC_POINT_oct2point(group, out, point, point_len, ctx))
                return crypto_error_set(err, CRYPTO_EKEY, "sm2 key exchange: peer public key");
        return SMT_OK;
}

/* sm2_key_exchange_mul computes U = [h · t](P_peer + [x̄_peer] R_peer) (A7/B6), failing when it is the point at
 * infinity. */
static int sm2_key_exchange_mul(const EC_GROUP *group, EC_POINT *u, const BIGNUM *t, const EC_POINT *peer_p,
                                const EC_POINT *peer_r, const uint8_t peer_x[SM2_SCALAR_LEN], BN_CTX *ctx,
                                struct err *err)
{
        BIGNUM *x_bar = BN_new();
        BIGNUM *ht = BN_secure_new();
        EC_POINT *sum = EC_POINT_new(group);
        int ok = x_bar != NULL && ht != NULL && sum != NULL && sm2_key_exchange_x_bar(group, x_bar, peer_x) &&
                 EC_POINT_mul(group, sum, NULL, peer_r, x_bar, ctx) && EC_POINT_add(group, sum, sum, peer_p, ctx);
        bool is_infinity = ok && EC_POINT_is_at_infinity(group, sum);
        if (ok && !is_infinity) {
                BN_set_flags(ht, BN_FLG_CONSTTIME);
                ok = BN_mul(ht, EC_GROUP_get0_cofactor(group), t, ctx) && EC_POINT_mul(group, u, NULL, sum, ht, ctx);
                is_infinity = ok && EC_POINT_is_at_infinity(group, u);
        }
        BN_free(x_bar);
        BN_clear_free(ht);
        EC_POINT_clear_free(sum);
        if (!ok)
                return crypto_error_set(err, CRYPTO_EOPENSSL, "sm2 key exchange: point U");
        if (is_infinity)
                return SMT_ERR(err, CRYPTO_EKEYEXCHANGE, "sm2 key exchange: U is the point at infinity");
        return SMT_OK;
}

/* sm2_key_exchange_encode_u writes xU || yU. */
static int sm2_key_exchange_encode_u(const EC_GROUP *group, uint8_t u_xy[2 * SM2_SCALAR_LEN], const EC_POINT *u,
                                     BN_CTX *ctx, struct err *err)
{
        uint8_t encoded[SM2_POINT_LEN];
        int status = SMT_OK;
        if (EC_POINT_point2oct(group, u, POINT_CONVERSION_UNCOMPRESSED, encoded, sizeof encoded, ctx) != sizeof encoded)
                status = crypto_error_set(err, CRYPTO_EOPENSSL, "sm2 key exchange: encoding U");
        else
                memcpy(u_xy, encoded + 1, 2 * SM2_SCALAR_LEN);
        explicit_bzero(encoded, sizeof encoded);
        return status;
}

/* sm2_key_exchange_point_u writes xU || yU, the shared point both sides reach (U for A, V for B). */
static int sm2_key_exchange_point_u(const struct sm2_key_exchange *kx, uint8_t u_xy[2 * SM2_SCALAR_LEN],
                                    const struct key *peer_static, const uint8_t peer_point[SM2_POINT_LEN],
                                    struct err *err)
{
        BN_CTX *ctx = BN_CTX_secure_new();
        BIGNUM *t = BN_secure_new();
        EC_POINT *peer_p = EC_POINT_new(kx->group), *peer_r = EC_POINT_new(kx->group), *u = EC_POINT_new(kx->group);
        int status = SMT_OK;
        if (ctx == NULL || t == NULL || peer_p == NULL || peer_r == NULL || u == NULL)
                status = crypto_error_set(err, SMT_ENOMEM, "sm2 key exchange: out of memory");
        else
                BN_set_flags(t, BN_FLG_CONSTTIME);
        if (status == SMT_OK)
                status = sm2_key_exchange_peer_r(kx->group, peer_r, peer_point, ctx, err);
        if (status == SMT_OK)
                status = sm2_key_exchange_peer_p(kx->group, peer_p, peer_static, ctx, err);
        if (status == SMT_OK)
                status = sm2_key_exchange_t(kx, t, ctx, err);
        if (status == SMT_OK)
                status = sm2_key_exchange_mul(kx->group, u, t, peer_p, peer_r, peer_point + 1, ctx, err);
        if (status == SMT_OK)
                status = sm2_key_exchange_encode_u(kx->group, u_xy, u, ctx, err);
        BN_clear_free(t);
        EC_POINT_free(peer_p);
        EC_POINT_free(peer_r);
        EC_POINT_clear_free(u);
        BN_CTX_free(ctx);
        return status;
}

/* sm2_key_exchange_tag computes SM3(prefix || yU || inner) (A9/A10/B8/B10). */
static int sm2_key_exchange_tag(uint8_t out[SM3_DIGEST_LEN], uint8_t prefix, const uint8_t *material,
                                const uint8_t inner[SM3_DIGEST_LEN], struct err *err)
{
        uint8_t in[1 + SM2_SCALAR_LEN + SM3_DIGEST_LEN];
        in[0] = prefix;
        memcpy(in + 1, material + SM2_SCALAR_LEN, SM2_SCALAR_LEN);
        memcpy(in + 1 + SM2_SCALAR_LEN, inner, SM3_DIGEST_LEN);
        int status = sm3_hash(out, in, sizeof in, err);
        explicit_bzero(in, sizeof in);
        return status;
}

/* sm2_key_exchange_inner computes SM3(xU || ZA || ZB || x1 || y1 || x2 || y2), where (x1, y1) is RA and
 * (x2, y2) is RB. */
static int sm2_key_exchange_inner(uint8_t out[SM3_DIGEST_LEN], const uint8_t material[SM2_KX_MATERIAL_LEN],
                                  const uint8_t *point_a, const uint8_t *point_b, struct err *err)
{
        struct sm3_ctx ctx = {0};
        int status = sm3_init(&ctx, err);
        if (status == SMT_OK)
                status = sm3_update(&ctx, material, SM2_SCALAR_LEN, err);
        if (status == SMT_OK)
                status = sm3_update(&ctx, material + 2 * SM2_SCALAR_LEN, 2 * SM3_DIGEST_LEN, err);
        if (status == SMT_OK)
                status = sm3_update(&ctx, point_a + 1, SM2_POINT_LEN - 1, err);
        if (status == SMT_OK)
                status = sm3_update(&ctx, point_b + 1, SM2_POINT_LEN - 1, err);
        if (status == SMT_OK)
                status = sm3_final(&ctx, out, err);
        sm3_cleanup(&ctx);
        return status;
}

/* sm2_key_exchange_confirm fills the optional confirmation: B sends SB (prefix 0x02) and A checks it as S1,
 * A sends SA (prefix 0x03) and B checks it as S2. */
static int sm2_key_exchange_confirm(const struct sm2_key_exchange *kx, struct sm2_key_exchange_confirmation *out,
                                    const uint8_t material[SM2_KX_MATERIAL_LEN],
                                    const uint8_t peer_point[SM2_POINT_LEN], struct err *err)
{
        bool is_initiator = kx->role == SM2_KEY_EXCHANGE_INITIATOR;
        uint8_t inner[SM3_DIGEST_LEN];
        int status = sm2_key_exchange_inner(inner, material, is_initiator ? kx->own_point : peer_point,
                                            is_initiator ? peer_point : kx->own_point, err);
        if (status == SMT_OK)
                status = sm2_key_exchange_tag(is_initiator ? out->peer_expected : out->own_to_send, 0x02, material,
                                              inner, err);
        if (status == SMT_OK)
                status = sm2_key_exchange_tag(is_initiator ? out->own_to_send : out->peer_expected, 0x03, material,
                                              inner, err);
        explicit_bzero(inner, sizeof inner);
        return status;
}

int sm2_key_exchange_compute(struct sm2_key_exchange *kx, uint8_t *shared, size_t shared_len,
                             struct sm2_key_exchange_confirmation *confirmation, const struct key *peer_static,
                             const char *peer_id, const uint8_t peer_point[SM2_POINT_LEN], struct err *err)
{
        if (shared_len == 0)
                return SMT_ERR(err, SMT_EINVAL, "sm2 key exchange: shared key length 0");
        if (key_get_alg(peer_static) != KEY_ALG_SM2)
                return SMT_ERR(err, CRYPTO_EWRONGALG, "sm2 key exchange: peer %s key; expected sm2",
                               key_alg_name(key_get_alg(peer_static)));
        /* material = xU || yU || ZA || ZB, with A always the initiator (A8/B7). */
        uint8_t material[SM2_KX_MATERIAL_LEN];
        uint8_t *z_own = material + 2 * SM2_SCALAR_LEN + (kx->role == SM2_KEY_EXCHANGE_INITIATOR ? 0 : SM3_DIGEST_LEN);
        uint8_t *z_peer = material + 2 * SM2_SCALAR_LEN + (kx->role == SM2_KEY_EXCHANGE_INITIATOR ? SM3_DIGEST_LEN : 0);
        memcpy(z_own, kx->own_z, SM3_DIGEST_LEN);
        int status = sm2_compute_z(z_peer, peer_static, peer_id, err);
        if (status == SMT_OK)
                status = sm2_key_exchange_point_u(kx, material, peer_static, peer_point, err);
        if (status == SMT_OK)
                status = sm3_kdf(shared, shared_len, material, sizeof material, err);
        if (status == SMT_OK && confirmation != NULL)
                status = sm2_key_exchange_confirm(kx, confirmation, material, peer_point, err);
        explicit_bzero(material, sizeof material);
        if (status < 0) {
                explicit_bzero(shared, shared_len);
                if (confirmation != NULL)
                        explicit_bzero(confirmation, sizeof *confirmation);
        }
        return status;
}

void sm2_key_exchange_free(struct sm2_key_exchange *kx)
{
        if (kx == NULL)
                return;
        BN_clear_free(kx->r);
        EC_GROUP_free(kx->group);
        explicit_bzero(kx, sizeof *kx);
        free(kx);
}
