/* src/crypto/key.c: key objects, generation and construction from raw SM2 values.
 * Reading and writing files is in key_io.c. */
#include "crypto/key.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>

#include "crypto/crypto_error.h"

struct key {
        EVP_PKEY *pkey;
        enum key_alg alg;
        bool is_private;
};

static const struct {
        const char *name;
        enum key_alg alg;
} key_alg_names[] = {
        { "sm2", KEY_ALG_SM2 },           { "ec-p256", KEY_ALG_EC_P256 },   { "ec-p384", KEY_ALG_EC_P384 },
        { "rsa-2048", KEY_ALG_RSA_2048 }, { "rsa-3072", KEY_ALG_RSA_3072 }, { "rsa", KEY_ALG_RSA_OTHER },
};

int key_alg_parse(const char *name, enum key_alg *out)
{
        for (size_t i = 0; i < sizeof key_alg_names / sizeof key_alg_names[0]; i++) {
                if (key_alg_names[i].alg != KEY_ALG_RSA_OTHER && strcmp(name, key_alg_names[i].name) == 0) {
                        *out = key_alg_names[i].alg;
                        return SMT_OK;
                }
        }
        return SMT_EINVAL;
}

const char *key_alg_name(enum key_alg alg)
{
        for (size_t i = 0; i < sizeof key_alg_names / sizeof key_alg_names[0]; i++)
                if (key_alg_names[i].alg == alg)
                        return key_alg_names[i].name;
        return "unknown";
}

/* key_alg_of_ec maps an EC key's group; OpenSSL 3.0 loads keys on the SM2 curve as type "SM2", but a key
 * built as "EC" with group SM2 is still SM2 to us. */
static int key_alg_of_ec(EVP_PKEY *pkey, enum key_alg *out, struct err *err)
{
        char group[64];
        size_t group_len = 0;
        if (!EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &group_len))
                return crypto_error_set(err, CRYPTO_EWRONGALG, "EC key without a named curve");
        if (strcmp(group, "SM2") == 0)
                *out = KEY_ALG_SM2;
        else if (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0)
                *out = KEY_ALG_EC_P256;
        else if (strcmp(group, "secp384r1") == 0 || strcmp(group, "P-384") == 0)
                *out = KEY_ALG_EC_P384;
        else
                return SMT_ERR(err, CRYPTO_EWRONGALG, "EC key on curve %s; expected SM2, P-256 or P-384", group);
        return SMT_OK;
}

static int key_alg_of(EVP_PKEY *pkey, enum key_alg *out, struct err *err)
{
        if (EVP_PKEY_is_a(pkey, "SM2") || EVP_PKEY_is_a(pkey, "EC"))
                return key_alg_of_ec(pkey, out, err);
        if (EVP_PKEY_is_a(pkey, "RSA")) {
                int bits = EVP_PKEY_get_bits(pkey);
                if (bits < 2048)
                        return SMT_ERR(err, CRYPTO_EWRONGALG, "RSA key of %d bits; at least 2048 needed", bits);
                *out = bits == 2048 ? KEY_ALG_RSA_2048 : bits == 3072 ? KEY_ALG_RSA_3072 : KEY_ALG_RSA_OTHER;
                return SMT_OK;
        }
        return SMT_ERR(err, CRYPTO_EWRONGALG, "key type %s; expected SM2, EC or RSA", EVP_PKEY_get0_type_name(pkey));
}

int key_wrap(struct key **out, EVP_PKEY *pkey, bool is_private, struct err *err)
{
        enum key_alg alg = KEY_ALG_SM2;
        int status = key_alg_of(pkey, &alg, err);
        struct key *key = status == SMT_OK ? calloc(1, sizeof *key) : NULL;
        if (status == SMT_OK && key == NULL)
                status = SMT_ERR(err, SMT_ENOMEM, "key: out of memory");
        if (status < 0) {
                EVP_PKEY_free(pkey);
                return status;
        }
        key->pkey = pkey;
        key->alg = alg;
        key->is_private = is_private;
        *out = key;
        return SMT_OK;
}

static EVP_PKEY *key_generate_evp(enum key_alg alg)
{
        switch (alg) {
        case KEY_ALG_SM2:
                return EVP_PKEY_Q_keygen(NULL, NULL, "SM2");
        case KEY_ALG_EC_P256:
                return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        case KEY_ALG_EC_P384:
                return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
        case KEY_ALG_RSA_2048:
                return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
        case KEY_ALG_RSA_3072:
                return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
        case KEY_ALG_RSA_OTHER:
                return NULL;
        }
        return NULL;
}

int key_generate(struct key **out, enum key_alg alg, struct err *err)
{
        if (alg == KEY_ALG_RSA_OTHER)
                return SMT_ERR(err, SMT_EINVAL, "key_generate: choose rsa-2048 or rsa-3072");
        EVP_PKEY *pkey = key_generate_evp(alg);
        if (pkey == NULL)
                return crypto_error_set(err, CRYPTO_EKEY, "generating a %s key", key_alg_name(alg));
        return key_wrap(out, pkey, true, err);
}

/* key_sm2_fromdata builds an SM2 EVP_PKEY from an optional private scalar and a public point. */
static int key_sm2_fromdata(struct key **out, const BIGNUM *priv, const uint8_t *point, size_t point_len,
                            struct err *err)
{
        OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
        OSSL_PARAM *params = NULL;
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "SM2", NULL);
        EVP_PKEY *pkey = NULL;
        int ok = bld != NULL && ctx != NULL &&
                 OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "SM2", 0) &&
                 OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, point_len) &&
                 (priv == NULL || OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv)) &&
                 (params = OSSL_PARAM_BLD_to_param(bld)) != NULL && EVP_PKEY_fromdata_init(ctx) == 1 &&
                 EVP_PKEY_fromdata(ctx, &pkey, priv != NULL ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
                                   params) == 1;
        OSSL_PARAM_free(params); /* clear-frees: the private scalar was copied in */
        OSSL_PARAM_BLD_free(bld);
        EVP_PKEY_CTX_free(ctx);
        if (!ok)
                return crypto_error_set(err, CRYPTO_EKEY, "building an SM2 key");
        return key_wrap(out, pkey, priv != NULL, err);
}

int key_new_sm2_from_scalar(struct key **out, const uint8_t d[32], struct err *err)
{
        EC_GROUP *group = EC_GROUP_new_by_curve_name(NID_sm2);
        BIGNUM *priv = BN_secure_new();
        BIGNUM *limit = BN_new();
        EC_POINT *pub = group != NULL ? EC_POINT_new(group) : NULL;
        uint8_t point[65];
        int status = SMT_OK;
        if (group == NULL || priv == NULL || limit == NULL || pub == NULL || BN_bin2bn(d, 32, priv) == NULL ||
            BN_sub(limit, EC_GROUP_get0_order(group), BN_value_one()) == 0)
                status = crypto_error_set(err, CRYPTO_EKEY, "SM2 scalar");
        /* GB/T 32918.1 §6.1: d in [1, n-2], because signing divides by (1 + d). */
        else if (BN_is_zero(priv) || BN_cmp(priv, limit) >= 0)
                status = SMT_ERR(err, CRYPTO_EKEY, "SM2 private scalar out of range [1, n-2]");
        else if (!EC_POINT_mul(group, pub, priv, NULL, NULL, NULL) ||
                 EC_POINT_point2oct(group, pub, POINT_CONVERSION_UNCOMPRESSED, point, sizeof point, NULL) !=
                         sizeof point)
                status = crypto_error_set(err, CRYPTO_EKEY, "SM2 public point");
        if (status == SMT_OK)
                status = key_sm2_fromdata(out, priv, point, sizeof point, err);
        BN_clear_free(priv);
        BN_free(limit);
        EC_POINT_free(pub);
        EC_GROUP_free(group);
        return status;
}

int key_new_sm2_from_point(struct key **out, const uint8_t point[65], struct err *err)
{
        EC_GROUP *group = EC_GROUP_new_by_curve_name(NID_sm2);
        EC_POINT *pub = group != NULL ? EC_POINT_new(group) : NULL;
        int status = SMT_OK;
        if (pub == NULL)
                status = crypto_error_set(err, CRYPTO_EKEY, "SM2 point");
        else if (point[0] != 0x04)
                status = SMT_ERR(err, CRYPTO_EKEY, "SM2 point: form 0x%02x, expected uncompressed 0x04", point[0]);
        /* oct2point rejects points off the curve. */
        else if (!EC_POINT_oct2point(group, pub, point, 65, NULL) || EC_POINT_is_at_infinity(group, pub))
                status = crypto_error_set(err, CRYPTO_EKEY, "SM2 point is not on the curve");
        EC_POINT_free(pub);
        EC_GROUP_free(group);
        if (status < 0)
                return status;
        return key_sm2_fromdata(out, NULL, point, 65, err);
}

int key_public_point(const struct key *key, uint8_t *out, size_t out_cap, size_t *out_len, struct err *err)
{
        if (key->alg != KEY_ALG_SM2 && key->alg != KEY_ALG_EC_P256 && key->alg != KEY_ALG_EC_P384)
                return SMT_ERR(err, CRYPTO_EWRONGALG, "key_public_point: %s key has no EC point",
                               key_alg_name(key->alg));
        size_t len = 0;
        if (!EVP_PKEY_get_octet_string_param(key->pkey, OSSL_PKEY_PARAM_PUB_KEY, NULL, 0, &len))
                return crypto_error_set(err, CRYPTO_EKEY, "key_public_point");
        if (len > out_cap)
                return SMT_ERR(err, SMT_ENOSPACE, "key_public_point: %zu bytes, room for %zu", len, out_cap);
        if (!EVP_PKEY_get_octet_string_param(key->pkey, OSSL_PKEY_PARAM_PUB_KEY, out, out_cap, &len))
                return crypto_error_set(err, CRYPTO_EKEY, "key_public_point");
        if (out[0] != 0x04)
                return SMT_ERR(err, CRYPTO_EKEY, "key_public_point: point not uncompressed");
        *out_len = len;
        return SMT_OK;
}

enum key_alg key_get_alg(const struct key *key)
{
        return key->alg;
}

int key_bits(const struct key *key)
{
        return EVP_PKEY_get_bits(key->pkey);
}

bool key_is_private(const struct key *key)
{
        return key->is_private;
}

EVP_PKEY *key_evp(const struct key *key)
{
        return key->pkey;
}

void key_free(struct key *key)
{
        if (key == NULL)
                return;
        EVP_PKEY_free(key->pkey);
        free(key);
}
