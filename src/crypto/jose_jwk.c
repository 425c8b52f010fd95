/* src/crypto/jose_jwk.c: public JSON Web Keys (RFC 7517, RFC 7518 section 6, RFC 8037 section 2), their
 * RFC 7638 thumbprints, and checking a JWS signature with one (RFC 7518 sections 3.3, 3.4; RFC 8037 3.1).
 *
 * A key is read into an OpenSSL EVP_PKEY (EVP_PKEY_fromdata, so OpenSSL checks an EC point is on its
 * curve) and into its canonical JSON: exactly the members RFC 7638 section 3.2 lists for its kty, values
 * re-encoded from the decoded bytes. Because base64url decoding is strict and RSA integers must be minimal,
 * the canonical form is the client's own text, so the thumbprint we compute is the one the client computes
 * for its key authorizations (RFC 8555 section 8.1). */
#include "crypto/jose.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#include "crypto/crypto_error.h"

enum jose_key_type {
        JOSE_KEY_P256 = 1,
        JOSE_KEY_P384 = 2,
        JOSE_KEY_P521 = 3,
        JOSE_KEY_RSA = 4,
        JOSE_KEY_ED25519 = 5,
};

struct jose_jwk {
        enum jose_key_type type;
        EVP_PKEY *pkey;    /* public only */
        json_t *canonical; /* the RFC 7638 members, nothing else */
};

/* The curves of RFC 7518 section 6.2.1.1 we accept; coordinates are exactly coordinate_len bytes
 * (section 6.2.1.2: "MUST be the full size of a coordinate for the curve"). */
static const struct jose_curve {
        const char *crv;
        const char *openssl_name;
        enum jose_key_type type;
        size_t coordinate_len;
} jose_curves[] = {
    {"P-256", "prime256v1", JOSE_KEY_P256, 32},
    {"P-384", "secp384r1", JOSE_KEY_P384, 48},
    {"P-521", "secp521r1", JOSE_KEY_P521, 66},
};

/* RSA keys of 2048 to 8192 bits; a public exponent of at most 64 bits, as OpenSSL requires for large n. */
#define JOSE_RSA_MIN_BITS  2048
#define JOSE_RSA_MAX_BITS  8192
#define JOSE_RSA_E_MAX_LEN 8
#define JOSE_ED25519_LEN   32

/* Members that hold private key material (RFC 7518 sections 6.2.2, 6.3.2, 6.4.1; RFC 8037 section 2). */
static const char *const jose_private_members[] = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"};

/* jose_jwk_member reads the base64url string member name of object into a new buffer (free()). */
static int jose_jwk_member(const json_t *object, const char *name, uint8_t **out, size_t *out_len, struct err *err)
{
        const json_t *value = json_object_get(object, name);
        if (!json_is_string(value))
                return SMT_ERR(err, CA_EJOSE, "jwk: member \"%s\" is missing or not a string", name);
        int status = jose_b64url_decode(json_string_value(value), json_string_length(value), out, out_len, err);
        if (status < 0)
                return err_prefix(err, "jwk: member \"%s\"", name);
        return SMT_OK;
}

/* jose_canonical_add sets name to the base64url of bytes in the canonical object. */
static int jose_canonical_add(json_t *canonical, const char *name, const uint8_t *bytes, size_t len, struct err *err)
{
        struct buf_writer w;
        buf_writer_init_heap(&w, JOSE_JWS_MAX);
        int status = jose_b64url_encode(bytes, len, &w, err);
        if (status == SMT_OK && json_object_set_new(canonical, name, json_stringn((const char *)w.data, w.len)) != 0)
                status = SMT_ERR(err, SMT_ENOMEM, "jwk: out of memory");
        buf_writer_cleanup(&w);
        return status;
}

/* jose_pkey_fromdata builds a public EVP_PKEY of type from the parameters in bld. */
static EVP_PKEY *jose_pkey_fromdata(const char *type, OSSL_PARAM_BLD *bld)
{
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
        OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
        EVP_PKEY *pkey = NULL;
        if (ctx == NULL || params == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
            EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
                pkey = NULL;
        OSSL_PARAM_free(params);
        EVP_PKEY_CTX_free(ctx);
        return pkey;
}

/* jose_ec_public_check checks an EC point is on its curve and not the point at infinity (SEC 1 3.2.2.1
 * steps 1-3; step 4, nQ = O, follows for the cofactor-1 NIST curves and would cost a scalar multiplication). */
static bool jose_ec_public_check(EVP_PKEY *pkey)
{
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
        bool ok = ctx != NULL && EVP_PKEY_public_check_quick(ctx) == 1;
        EVP_PKEY_CTX_free(ctx);
        return ok;
}

static const struct jose_curve *jose_curve_lookup(const char *crv)
{
        for (size_t i = 0; i < sizeof jose_curves / sizeof jose_curves[0]; i++)
                if (strcmp(crv, jose_curves[i].crv) == 0)
                        return &jose_curves[i];
        return NULL;
}

static int jose_ec_build(struct jose_jwk *jwk, const struct jose_curve *curve, const uint8_t *x, const uint8_t *y,
                         struct err *err)
{
        uint8_t point[1 + 2 * 66];
        size_t point_len = 1 + 2 * curve->coordinate_len;
        point[0] = 0x04; /* SEC 1 2.3.3 uncompressed point */
        memcpy(point + 1, x, curve->coordinate_len);
        memcpy(point + 1 + curve->coordinate_len, y, curve->coordinate_len);
        OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
        if (bld != NULL && OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, curve->openssl_name, 0) &&
            OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, point_len))
                jwk->pkey = jose_pkey_fromdata("EC", bld);
        OSSL_PARAM_BLD_free(bld);
        if (jwk->pkey == NULL || !jose_ec_public_check(jwk->pkey))
                return crypto_error_set(err, CA_EJOSE, "jwk: (x, y) is not a point on %s", curve->crv);
        jwk->type = curve->type;
        return SMT_OK;
}

static int jose_ec_from_json(struct jose_jwk *jwk, const json_t *object, struct err *err)
{
        const char *crv = json_string_value(json_object_get(object, "crv"));
        if (crv == NULL)
                return SMT_ERR(err, CA_EJOSE, "jwk: EC key without a \"crv\" string");
        const struct jose_curve *curve = jose_curve_lookup(crv);
        if (curve == NULL)
                return SMT_ERR(err, CA_EJOSE_ALG, "jwk: curve \"%.32s\"; expected P-256, P-384 or P-521", crv);
        uint8_t *x = NULL, *y = NULL;
        size_t x_len = 0, y_len = 0;
        int status = jose_jwk_member(object, "x", &x, &x_len, err);
        if (status == SMT_OK)
                status = jose_jwk_member(object, "y", &y, &y_len, err);
        if (status == SMT_OK && (x_len != curve->coordinate_len || y_len != curve->coordinate_len))
                status = SMT_ERR(err, CA_EJOSE, "jwk: %s coordinates of %zu and %zu bytes; expected %zu each", crv,
                                 x_len, y_len, curve->coordinate_len);
        if (status == SMT_OK)
                status = jose_ec_build(jwk, curve, x, y, err);
        if (status == SMT_OK && (json_object_set_new(jwk->canonical, "crv", json_string(crv)) != 0 ||
                                 json_object_set_new(jwk->canonical, "kty", json_string("EC")) != 0))
                status = SMT_ERR(err, SMT_ENOMEM, "jwk: out of memory");
        if (status == SMT_OK)
                status = jose_canonical_add(jwk->canonical, "x", x, x_len, err);
        if (status == SMT_OK)
                status = jose_canonical_add(jwk->canonical, "y", y, y_len, err);
        free(x);
        free(y);
        return status;
}

/* jose_rsa_check_integers applies RFC 7518 section 6.3.1: n and e are Base64urlUInt, the minimal octets of
 * a positive integer (no leading zero octet), and our size limits. */
static int jose_rsa_check_integers(const uint8_t *n, size_t n_len, const uint8_t *e, size_t e_len, struct err *err)
{
        if (n_len == 0 || n[0] == 0 || e_len == 0 || e[0] == 0)
                return SMT_ERR(err, CA_EJOSE, "jwk: RSA \"n\" or \"e\" is empty or has a leading zero octet");
        size_t n_bits = n_len * 8 + 24 - (size_t)__builtin_clz(n[0]); /* clz counts in 32 bits */
        if (n_bits < JOSE_RSA_MIN_BITS || n_bits > JOSE_RSA_MAX_BITS)
                return SMT_ERR(err, CA_EJOSE_ALG, "jwk: RSA modulus of %zu bits; expected %d to %d", n_bits,
                               JOSE_RSA_MIN_BITS, JOSE_RSA_MAX_BITS);
        if ((n[n_len - 1] & 1) == 0)
                return SMT_ERR(err, CA_EJOSE, "jwk: RSA modulus is even; a product of two odd primes is odd");
        if (e_len > JOSE_RSA_E_MAX_LEN || (e[e_len - 1] & 1) == 0 || (e_len == 1 && e[0] < 3))
                return SMT_ERR(err, CA_EJOSE, "jwk: RSA exponent of %zu bytes is not an odd number from 3 to 2^64",
                               e_len);
        return SMT_OK;
}

static int jose_rsa_build(struct jose_jwk *jwk, const uint8_t *n, size_t n_len, const uint8_t *e, size_t e_len,
                          struct err *err)
{
        OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
        BIGNUM *n_bn = BN_bin2bn(n, (int)n_len, NULL);
        BIGNUM *e_bn = BN_bin2bn(e, (int)e_len, NULL);
        if (bld != NULL && n_bn != NULL && e_bn != NULL && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n_bn) &&
            OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e_bn))
                jwk->pkey = jose_pkey_fromdata("RSA", bld);
        OSSL_PARAM_BLD_free(bld);
        BN_free(n_bn);
        BN_free(e_bn);
        /* No EVP_PKEY_public_check here: its SP 800-56B test of n runs a Miller-Rabin round, 0.5 s for 8192
         * bits, on a key anyone can send. Screening weak moduli is the CA's key policy. */
        if (jwk->pkey == NULL)
                return crypto_error_set(err, CA_EJOSE, "jwk: (n, e) is not a usable RSA public key");
        jwk->type = JOSE_KEY_RSA;
        return SMT_OK;
}

static int jose_rsa_from_json(struct jose_jwk *jwk, const json_t *object, struct err *err)
{
        uint8_t *n = NULL, *e = NULL;
        size_t n_len = 0, e_len = 0;
        int status = jose_jwk_member(object, "n", &n, &n_len, err);
        if (status == SMT_OK)
                status = jose_jwk_member(object, "e", &e, &e_len, err);
        if (status == SMT_OK)
                status = jose_rsa_check_integers(n, n_len, e, e_len, err);
        if (status == SMT_OK)
                status = jose_rsa_build(jwk, n, n_len, e, e_len, err);
        if (status == SMT_OK)
                status = jose_canonical_add(jwk->canonical, "e", e, e_len, err);
        if (status == SMT_OK && json_object_set_new(jwk->canonical, "kty", json_string("RSA")) != 0)
                status = SMT_ERR(err, SMT_ENOMEM, "jwk: out of memory");
        if (status == SMT_OK)
                status = jose_canonical_add(jwk->canonical, "n", n, n_len, err);
        free(n);
        free(e);
        return status;
}

/* jose_okp_from_json reads an RFC 8037 section 2 key; only Ed25519 signs ACME requests (X25519 is for key
 * agreement, Ed448 has no ACME client). */
static int jose_okp_from_json(struct jose_jwk *jwk, const json_t *object, struct err *err)
{
        const char *crv = json_string_value(json_object_get(object, "crv"));
        if (crv == NULL)
                return SMT_ERR(err, CA_EJOSE, "jwk: OKP key without a \"crv\" string");
        if (strcmp(crv, "Ed25519") != 0)
                return SMT_ERR(err, CA_EJOSE_ALG, "jwk: OKP curve \"%.32s\"; expected Ed25519", crv);
        uint8_t *x = NULL;
        size_t x_len = 0;
        int status = jose_jwk_member(object, "x", &x, &x_len, err);
        if (status == SMT_OK && x_len != JOSE_ED25519_LEN)
                status = SMT_ERR(err, CA_EJOSE, "jwk: Ed25519 \"x\" of %zu bytes; expected 32", x_len);
        if (status == SMT_OK) {
                jwk->pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, x, x_len);
                if (jwk->pkey == NULL)
                        status = crypto_error_set(err, CA_EJOSE, "jwk: Ed25519 public key");
        }
        jwk->type = JOSE_KEY_ED25519;
        if (status == SMT_OK && (json_object_set_new(jwk->canonical, "crv", json_string("Ed25519")) != 0 ||
                                 json_object_set_new(jwk->canonical, "kty", json_string("OKP")) != 0))
                status = SMT_ERR(err, SMT_ENOMEM, "jwk: out of memory");
        if (status == SMT_OK)
                status = jose_canonical_add(jwk->canonical, "x", x, x_len, err);
        free(x);
        return status;
}

static int jose_jwk_read(struct jose_jwk *jwk, const json_t *object, struct err *err)
{
        if (!json_is_object(object))
                return SMT_ERR(err, CA_EJOSE, "jwk: not a JSON object");
        for (size_t i = 0; i < sizeof jose_private_members / sizeof jose_private_members[0]; i++)
                if (json_object_get(object, jose_private_members[i]) != NULL)
                        return SMT_ERR(err, CA_EJOSE, "jwk: private member \"%s\" in a public key",
                                       jose_private_members[i]);
        const char *kty = json_string_value(json_object_get(object, "kty"));
        if (kty == NULL)
                return SMT_ERR(err, CA_EJOSE, "jwk: \"kty\" is missing or not a string");
        if (strcmp(kty, "EC") == 0)
                return jose_ec_from_json(jwk, object, err);
        if (strcmp(kty, "RSA") == 0)
                return jose_rsa_from_json(jwk, object, err);
        if (strcmp(kty, "OKP") == 0)
                return jose_okp_from_json(jwk, object, err);
        return SMT_ERR(err, CA_EJOSE_ALG, "jwk: kty \"%.32s\"; expected EC, RSA or OKP", kty);
}

int jose_jwk_from_json(struct jose_jwk **out, const json_t *object, struct err *err)
{
        struct jose_jwk *jwk = calloc(1, sizeof *jwk);
        if (jwk == NULL || (jwk->canonical = json_object()) == NULL) {
                free(jwk);
                return SMT_ERR(err, SMT_ENOMEM, "jwk: out of memory");
        }
        int status = jose_jwk_read(jwk, object, err);
        if (status < 0) {
                jose_jwk_free(jwk);
                return status;
        }
        *out = jwk;
        return SMT_OK;
}

int jose_jwk_from_text(struct jose_jwk **out, const char *text, struct err *err)
{
        json_error_t json_error;
        json_t *object = json_loads(text, JSON_REJECT_DUPLICATES, &json_error);
        if (object == NULL)
                return SMT_ERR(err, CA_EJOSE, "jwk: not JSON: %s at line %d column %d", json_error.text,
                               json_error.line, json_error.column);
        int status = jose_jwk_from_json(out, object, err);
        json_decref(object);
        return status;
}

/* jose_jwk_json_of_ec writes the RFC 7518 6.2.1 members of an EC P-256/P-384 key's public point. */
static int jose_jwk_json_of_ec(json_t *object, EVP_PKEY *pkey, const char *crv, size_t coordinate_len, struct err *err)
{
        BIGNUM *x = NULL, *y = NULL;
        uint8_t x_bytes[66], y_bytes[66];
        int status = SMT_OK;
        if (!EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_X, &x) ||
            !EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &y) ||
            BN_bn2binpad(x, x_bytes, (int)coordinate_len) < 0 || BN_bn2binpad(y, y_bytes, (int)coordinate_len) < 0)
                status = crypto_error_set(err, CRYPTO_EKEY, "jwk: the EC key's public point");
        if (status == SMT_OK && (json_object_set_new(object, "kty", json_string("EC")) != 0 ||
                                 json_object_set_new(object, "crv", json_string(crv)) != 0))
                status = SMT_ERR(err, SMT_ENOMEM, "jwk: out of memory");
        if (status == SMT_OK)
                status = jose_canonical_add(object, "x", x_bytes, coordinate_len, err);
        if (status == SMT_OK)
                status = jose_canonical_add(object, "y", y_bytes, coordinate_len, err);
        BN_free(x);
        BN_free(y);
        return status;
}

/* jose_jwk_json_of_rsa writes the RFC 7518 6.3.1 members: n and e as minimal big-endian octets. */
static int jose_jwk_json_of_rsa(json_t *object, EVP_PKEY *pkey, struct err *err)
{
        BIGNUM *n = NULL, *e = NULL;
        uint8_t n_bytes[JOSE_RSA_MAX_BITS / 8], e_bytes[JOSE_RSA_E_MAX_LEN];
        int status = SMT_OK, n_len = 0, e_len = 0;
        if (!EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n) ||
            !EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e))
                status = crypto_error_set(err, CRYPTO_EKEY, "jwk: the RSA key's modulus and exponent");
        else if (BN_num_bytes(n) > (int)sizeof n_bytes || BN_num_bytes(e) > (int)sizeof e_bytes)
                status = SMT_ERR(err, CA_EJOSE_ALG, "jwk: RSA key of %d bits, exponent of %d bits; at most %d and 64",
                                 BN_num_bits(n), BN_num_bits(e), JOSE_RSA_MAX_BITS);
        else if ((n_len = BN_bn2bin(n, n_bytes)) <= 0 || (e_len = BN_bn2bin(e, e_bytes)) <= 0)
                status = crypto_error_set(err, CRYPTO_EKEY, "jwk: the RSA key's modulus and exponent");
        if (status == SMT_OK && json_object_set_new(object, "kty", json_string("RSA")) != 0)
                status = SMT_ERR(err, SMT_ENOMEM, "jwk: out of memory");
        if (status == SMT_OK)
                status = jose_canonical_add(object, "n", n_bytes, (size_t)n_len, err);
        if (status == SMT_OK)
                status = jose_canonical_add(object, "e", e_bytes, (size_t)e_len, err);
        BN_free(n);
        BN_free(e);
        return status;
}

static int jose_jwk_json_of_key(json_t *object, const struct key *key, struct err *err)
{
        EVP_PKEY *pkey = key_evp(key);
        enum key_alg alg = key_get_alg(key);
        switch (alg) {
        case KEY_ALG_EC_P256:
                return jose_jwk_json_of_ec(object, pkey, "P-256", 32, err);
        case KEY_ALG_EC_P384:
                return jose_jwk_json_of_ec(object, pkey, "P-384", 48, err);
        case KEY_ALG_RSA_2048:
        case KEY_ALG_RSA_3072:
        case KEY_ALG_RSA_OTHER:
                return jose_jwk_json_of_rsa(object, pkey, err);
        case KEY_ALG_SM2:
                break;
        }
        return SMT_ERR(err, CRYPTO_EWRONGALG, "jwk: a %s key has no JWK; expected EC P-256, P-384 or RSA",
                       key_alg_name(alg));
}

int jose_jwk_from_key(struct jose_jwk **out, const struct key *key, struct err *err)
{
        json_t *object = json_object();
        if (object == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "jwk: out of memory");
        int status = jose_jwk_json_of_key(object, key, err);
        if (status == SMT_OK)
                status = jose_jwk_from_json(out, object, err);
        json_decref(object);
        return status;
}

json_t *jose_jwk_to_json(const struct jose_jwk *jwk)
{
        return json_deep_copy(jwk->canonical);
}

int jose_jwk_thumbprint(const struct jose_jwk *jwk, char out[JOSE_THUMBPRINT_LEN], struct err *err)
{
        /* RFC 7638 section 3.3: members in lexicographic order, no whitespace; our values need no escapes. */
        char *text = json_dumps(jwk->canonical, JSON_COMPACT | JSON_SORT_KEYS);
        if (text == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "jwk thumbprint: out of memory");
        uint8_t digest[32];
        unsigned int digest_len = 0;
        int ok = EVP_Digest(text, strlen(text), digest, &digest_len, EVP_sha256(), NULL);
        free(text);
        if (!ok)
                return crypto_error_set(err, CRYPTO_EOPENSSL, "jwk thumbprint: SHA-256");
        struct buf_writer w;
        buf_writer_init_fixed(&w, (uint8_t *)out, JOSE_THUMBPRINT_LEN - 1);
        TRY(jose_b64url_encode(digest, sizeof digest, &w, err));
        out[w.len] = '\0';
        return SMT_OK;
}

bool jose_jwk_equal(const struct jose_jwk *a, const struct jose_jwk *b)
{
        return a->type == b->type && EVP_PKEY_eq(a->pkey, b->pkey) == 1;
}

bool jose_jwk_matches_spki(const struct jose_jwk *jwk, const uint8_t *spki_der, size_t spki_len)
{
        if (spki_len == 0 || spki_len > LONG_MAX)
                return false;
        const unsigned char *p = spki_der;
        EVP_PKEY *pkey = d2i_PUBKEY(NULL, &p, (long)spki_len);
        /* Trailing bytes after the SubjectPublicKeyInfo make it some other structure. */
        bool match = pkey != NULL && p == spki_der + spki_len && EVP_PKEY_eq(jwk->pkey, pkey) == 1;
        EVP_PKEY_free(pkey);
        crypto_error_clear();
        return match;
}

/* The signature algorithms of RFC 7518 section 3.1 and RFC 8037 section 3.1 we verify, and the one key type
 * each fits (RFC 7518 3.4: ES256 is P-256 with SHA-256, and so on; EdDSA hashes inside, so no digest). */
static const struct jose_signature_alg {
        const char *alg;
        enum jose_key_type key_type;
        const char *digest;
} jose_signature_algs[] = {
    {"ES256", JOSE_KEY_P256, "SHA256"}, {"ES384", JOSE_KEY_P384, "SHA384"}, {"ES512", JOSE_KEY_P521, "SHA512"},
    {"RS256", JOSE_KEY_RSA, "SHA256"},  {"EdDSA", JOSE_KEY_ED25519, NULL},
};

static const char *jose_key_type_name(enum jose_key_type type)
{
        switch (type) {
        case JOSE_KEY_P256:
                return "EC P-256";
        case JOSE_KEY_P384:
                return "EC P-384";
        case JOSE_KEY_P521:
                return "EC P-521";
        case JOSE_KEY_RSA:
                return "RSA";
        case JOSE_KEY_ED25519:
                return "Ed25519";
        }
        return "unknown";
}

/* jose_ecdsa_to_der turns the R || S of RFC 7518 section 3.4 (each exactly coordinate_len bytes) into the
 * DER ECDSA-Sig-Value OpenSSL verifies; CRYPTO_EVERIFY for any other length. */
static int jose_ecdsa_to_der(const uint8_t *sig, size_t sig_len, size_t coordinate_len, uint8_t **der, int *der_len,
                             struct err *err)
{
        if (sig_len != 2 * coordinate_len)
                return SMT_ERR(err, CRYPTO_EVERIFY, "jws: ECDSA signature of %zu bytes; expected R || S of %zu",
                               sig_len, 2 * coordinate_len);
        ECDSA_SIG *ecdsa = ECDSA_SIG_new();
        BIGNUM *r = BN_bin2bn(sig, (int)coordinate_len, NULL);
        BIGNUM *s = BN_bin2bn(sig + coordinate_len, (int)coordinate_len, NULL);
        if (ecdsa == NULL || r == NULL || s == NULL || ECDSA_SIG_set0(ecdsa, r, s) != 1) {
                ECDSA_SIG_free(ecdsa);
                BN_free(r);
                BN_free(s);
                return crypto_error_set(err, CRYPTO_EOPENSSL, "jws: ECDSA signature");
        }
        *der = NULL;
        *der_len = i2d_ECDSA_SIG(ecdsa, der);
        ECDSA_SIG_free(ecdsa); /* frees r and s */
        if (*der_len <= 0)
                return crypto_error_set(err, CRYPTO_EOPENSSL, "jws: encoding an ECDSA signature");
        return SMT_OK;
}

static size_t jose_coordinate_len(enum jose_key_type type)
{
        for (size_t i = 0; i < sizeof jose_curves / sizeof jose_curves[0]; i++)
                if (jose_curves[i].type == type)
                        return jose_curves[i].coordinate_len;
        return 0;
}

static bool jose_evp_verify(EVP_PKEY *pkey, const char *digest, const uint8_t *sig, size_t sig_len,
                            const struct jose_jws *jws)
{
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        bool ok = ctx != NULL && EVP_DigestVerifyInit_ex(ctx, NULL, digest, NULL, NULL, pkey, NULL) == 1 &&
                  EVP_DigestVerify(ctx, sig, sig_len, (const uint8_t *)jws->signing_input, jws->signing_input_len) == 1;
        EVP_MD_CTX_free(ctx);
        crypto_error_clear();
        return ok;
}

static const struct jose_signature_alg *jose_signature_alg_lookup(const char *alg)
{
        for (size_t i = 0; i < sizeof jose_signature_algs / sizeof jose_signature_algs[0]; i++)
                if (strcmp(alg, jose_signature_algs[i].alg) == 0)
                        return &jose_signature_algs[i];
        return NULL;
}

int jose_jws_verify(const struct jose_jws *jws, const struct jose_jwk *jwk, struct err *err)
{
        const struct jose_signature_alg *alg = jose_signature_alg_lookup(jws->alg);
        if (alg == NULL)
                return SMT_ERR(err, CA_EJOSE_ALG,
                               "jws: alg \"%.32s\" is not a public key signature "
                               "(ES256, ES384, ES512, RS256, EdDSA)",
                               jws->alg);
        if (alg->key_type != jwk->type)
                return SMT_ERR(err, CA_EJOSE_ALG, "jws: alg %s needs a %s key; the key is %s", alg->alg,
                               jose_key_type_name(alg->key_type), jose_key_type_name(jwk->type));
        const uint8_t *sig = jws->signature;
        size_t sig_len = jws->signature_len;
        uint8_t *der = NULL;
        int der_len = 0;
        size_t coordinate_len = jose_coordinate_len(jwk->type);
        if (coordinate_len != 0) {
                TRY(jose_ecdsa_to_der(sig, sig_len, coordinate_len, &der, &der_len, err));
                sig = der;
                sig_len = (size_t)der_len;
        }
        bool ok = jose_evp_verify(jwk->pkey, alg->digest, sig, sig_len, jws);
        OPENSSL_free(der);
        if (!ok)
                return SMT_ERR(err, CRYPTO_EVERIFY, "jws: %s signature does not verify with the %s key", alg->alg,
                               jose_key_type_name(jwk->type));
        return SMT_OK;
}

void jose_jwk_free(struct jose_jwk *jwk)
{
        if (jwk == NULL)
                return;
        EVP_PKEY_free(jwk->pkey);
        json_decref(jwk->canonical);
        free(jwk);
}
