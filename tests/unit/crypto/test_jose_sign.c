/* tests/unit/crypto/test_jose_sign.c: making JWS with jose_jws_sign and jose_jws_sign_hmac
 * (src/crypto/jose_sign.c) and reading them back, JWKs of our keys, and cross-checks in both directions
 * with OpenSSL used directly: what jose signs verifies with EVP_DigestVerify, and what EVP_DigestSign signs
 * (converted here to the R || S of RFC 7518 3.4) verifies with jose, for P-256, P-384, P-521, RSA and
 * Ed25519. HMAC: the RFC 7515 A.1 example and OpenSSL's HMAC. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "check.h"
#include "crypto/jose.h"

#define URL     "https://ca.example/acme/new-account"
#define KID     "https://ca.example/acme/acct/17"
#define PAYLOAD "{\"termsOfServiceAgreed\":true,\"contact\":[\"mailto:ops@example.com\"]}"

/* cached_key generates each algorithm once per run: RSA generation takes seconds under ASan. */
static struct key *cached_key(enum key_alg alg)
{
        static struct key *keys[8];
        struct err err = {0};
        if (keys[alg] == NULL)
                CHECK_OK(key_generate(&keys[alg], alg, &err), &err);
        return keys[alg];
}

/* sign_text signs payload with key into a NUL-terminated heap string (free()). */
static char *sign_text(const struct key *key, const char *kid, const char *nonce, const char *payload)
{
        struct buf_writer w;
        struct err err = {0};
        buf_writer_init_heap(&w, JOSE_JWS_MAX);
        CHECK_OK(jose_jws_sign(key, kid, nonce, URL, (const uint8_t *)payload, strlen(payload), &w, &err), &err);
        CHECK_OK(buf_write_u8(&w, '\0'), &err);
        size_t len = 0;
        return (char *)buf_writer_release(&w, &len);
}

static void parse_ok(struct jose_jws *jws, const char *text, bool require_key_id)
{
        struct err err = {0};
        CHECK_OK(jose_jws_parse(jws, (const uint8_t *)text, strlen(text), require_key_id, &err), &err);
}

/* protected_text returns the decoded protected header of a flattened JWS text (free()). */
static char *protected_text(const char *text)
{
        json_t *object = json_loads(text, 0, NULL);
        CHECK(object != NULL);
        const char *protected = json_string_value(json_object_get(object, "protected"));
        uint8_t *header = NULL;
        size_t header_len = 0;
        struct err err = {0};
        CHECK_OK(jose_b64url_decode(protected, strlen(protected), &header, &header_len, &err), &err);
        json_decref(object);
        char *out = calloc(1, header_len + 1);
        memcpy(out, header, header_len);
        free(header);
        return out;
}

/* with_payload returns text with its "payload" replaced by the base64url of payload (free()). */
static char *with_payload(const char *text, const char *payload)
{
        json_t *object = json_loads(text, 0, NULL);
        struct buf_writer w;
        struct err err = {0};
        buf_writer_init_heap(&w, JOSE_JWS_MAX);
        CHECK_OK(jose_b64url_encode((const uint8_t *)payload, strlen(payload), &w, &err), &err);
        CHECK(json_object_set_new(object, "payload", json_stringn((const char *)w.data, w.len)) == 0);
        buf_writer_cleanup(&w);
        char *out = json_dumps(object, JSON_COMPACT);
        json_decref(object);
        return out;
}

static void check_round_trip(enum key_alg alg, const char *expected_alg)
{
        struct key *key = cached_key(alg);
        char *text = sign_text(key, NULL, "nonce-1", PAYLOAD);
        /* RFC 8555 6.2 header members, in the order certbot and lego write them. */
        char *header = protected_text(text);
        char prefix[128];
        snprintf(prefix, sizeof prefix, "{\"alg\":\"%s\",\"nonce\":\"nonce-1\",\"url\":\"" URL "\",\"jwk\":{",
                 expected_alg);
        if (strncmp(header, prefix, strlen(prefix)) != 0)
                check_fail(__FILE__, __LINE__, "header %s does not start with %s", header, prefix);
        struct jose_jws jws;
        struct jose_jwk *jwk = NULL, *expected = NULL;
        struct err err = {0};
        parse_ok(&jws, text, true);
        CHECK_STR(jws.alg, expected_alg);
        CHECK_STR(jws.nonce, "nonce-1");
        CHECK_STR(jws.url, URL);
        CHECK(jws.kid == NULL && jws.jwk != NULL);
        CHECK_EQ(jws.payload_len, strlen(PAYLOAD));
        CHECK_MEM(jws.payload, PAYLOAD, jws.payload_len);
        CHECK_OK(jose_jwk_from_json(&jwk, jws.jwk, &err), &err);
        CHECK_OK(jose_jws_verify(&jws, jwk, &err), &err);
        CHECK_OK(jose_jwk_from_key(&expected, key, &err), &err);
        CHECK(jose_jwk_equal(jwk, expected));
        jose_jws_clear(&jws);
        /* The payload changed after signing. */
        char *tampered = with_payload(text, "{\"termsOfServiceAgreed\":false}");
        parse_ok(&jws, tampered, true);
        CHECK_STATUS(jose_jws_verify(&jws, jwk, &err), CRYPTO_EVERIFY);
        jose_jws_clear(&jws);
        jose_jwk_free(jwk);
        jose_jwk_free(expected);
        free(tampered);
        free(header);
        free(text);
}

static void test_sign_round_trip_p256(void)
{
        check_round_trip(KEY_ALG_EC_P256, "ES256");
}

static void test_sign_round_trip_p384(void)
{
        check_round_trip(KEY_ALG_EC_P384, "ES384");
}

static void test_sign_round_trip_rsa(void)
{
        check_round_trip(KEY_ALG_RSA_2048, "RS256");
        check_round_trip(KEY_ALG_RSA_3072, "RS256");
}

/* test_sign_with_kid_post_as_get: a request by an existing account names it by "kid" and has no "jwk"; a
 * POST-as-GET has the empty payload "" (RFC 8555 6.3). */
static void test_sign_with_kid_post_as_get(void)
{
        struct key *key = cached_key(KEY_ALG_EC_P256);
        char *text = sign_text(key, KID, "nonce-2", "");
        CHECK(strstr(text, "\"payload\":\"\"") != NULL);
        char *header = protected_text(text);
        CHECK_STR(header, "{\"alg\":\"ES256\",\"nonce\":\"nonce-2\",\"url\":\"" URL "\",\"kid\":\"" KID "\"}");
        struct jose_jws jws;
        struct jose_jwk *jwk = NULL;
        struct err err = {0};
        parse_ok(&jws, text, true);
        CHECK_STR(jws.kid, KID);
        CHECK(jws.jwk == NULL);
        CHECK_EQ(jws.payload_len, 0);
        CHECK_OK(jose_jwk_from_key(&jwk, key, &err), &err);
        CHECK_OK(jose_jws_verify(&jws, jwk, &err), &err);
        jose_jwk_free(jwk);
        /* Another P-256 key does not verify it. */
        struct key *other = NULL;
        CHECK_OK(key_generate(&other, KEY_ALG_EC_P256, &err), &err);
        CHECK_OK(jose_jwk_from_key(&jwk, other, &err), &err);
        CHECK_STATUS(jose_jws_verify(&jws, jwk, &err), CRYPTO_EVERIFY);
        jose_jwk_free(jwk);
        key_free(other);
        jose_jws_clear(&jws);
        free(header);
        free(text);
}

/* ecdsa_der_of_rs turns R || S into DER with OpenSSL's own ECDSA_SIG (the test's independent converter). */
static int ecdsa_der_of_rs(const uint8_t *sig, size_t sig_len, uint8_t **der)
{
        ECDSA_SIG *ecdsa = ECDSA_SIG_new();
        CHECK(ecdsa != NULL);
        CHECK(ECDSA_SIG_set0(ecdsa, BN_bin2bn(sig, (int)sig_len / 2, NULL),
                             BN_bin2bn(sig + sig_len / 2, (int)sig_len / 2, NULL)) == 1);
        *der = NULL;
        int len = i2d_ECDSA_SIG(ecdsa, der);
        ECDSA_SIG_free(ecdsa);
        return len;
}

static bool evp_verify(EVP_PKEY *pkey, const char *digest, const uint8_t *sig, size_t sig_len, const char *input)
{
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        bool ok = EVP_DigestVerifyInit_ex(ctx, NULL, digest, NULL, NULL, pkey, NULL) == 1 &&
                  EVP_DigestVerify(ctx, sig, sig_len, (const uint8_t *)input, strlen(input)) == 1;
        EVP_MD_CTX_free(ctx);
        ERR_clear_error();
        return ok;
}

/* test_jose_signatures_verify_with_openssl: jose's output checked by EVP_DigestVerify on the same input. */
static void test_jose_signatures_verify_with_openssl(void)
{
        static const struct {
                enum key_alg alg;
                const char *digest;
                size_t sig_len;
        } cases[] = {
            {KEY_ALG_EC_P256, "SHA256", 64}, {KEY_ALG_EC_P384, "SHA384", 96}, {KEY_ALG_RSA_2048, "SHA256", 256}};
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                struct key *key = cached_key(cases[i].alg);
                char *text = sign_text(key, KID, "n", PAYLOAD);
                struct jose_jws jws;
                parse_ok(&jws, text, true);
                CHECK_EQ(jws.signature_len, cases[i].sig_len);
                uint8_t *der = NULL;
                const uint8_t *sig = jws.signature;
                size_t sig_len = jws.signature_len;
                if (cases[i].alg != KEY_ALG_RSA_2048) {
                        sig_len = (size_t)ecdsa_der_of_rs(jws.signature, jws.signature_len, &der);
                        sig = der;
                }
                CHECK(evp_verify(key_evp(key), cases[i].digest, sig, sig_len, jws.signing_input));
                OPENSSL_free(der);
                jose_jws_clear(&jws);
                free(text);
        }
}

/* openssl_sign signs header_json.payload with EVP_DigestSign (digest NULL for Ed25519) and returns the
 * flattened JWS (free()); ECDSA DER is converted to R || S of coordinate_len bytes each here. */
static char *openssl_sign(EVP_PKEY *pkey, const char *digest, size_t coordinate_len, const char *header_json)
{
        struct buf_writer w;
        struct err err = {0};
        buf_writer_init_heap(&w, JOSE_JWS_MAX);
        CHECK_OK(jose_b64url_encode((const uint8_t *)header_json, strlen(header_json), &w, &err), &err);
        CHECK_OK(buf_write_u8(&w, '.'), &err);
        CHECK_OK(jose_b64url_encode((const uint8_t *)PAYLOAD, strlen(PAYLOAD), &w, &err), &err);
        uint8_t sig[1024], rs[132];
        size_t sig_len = sizeof sig;
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        CHECK(EVP_DigestSignInit_ex(ctx, NULL, digest, NULL, NULL, pkey, NULL) == 1);
        CHECK(EVP_DigestSign(ctx, sig, &sig_len, w.data, w.len) == 1);
        EVP_MD_CTX_free(ctx);
        if (coordinate_len != 0) {
                const unsigned char *p = sig;
                ECDSA_SIG *ecdsa = d2i_ECDSA_SIG(NULL, &p, (long)sig_len);
                CHECK(ecdsa != NULL);
                CHECK(BN_bn2binpad(ECDSA_SIG_get0_r(ecdsa), rs, (int)coordinate_len) > 0);
                CHECK(BN_bn2binpad(ECDSA_SIG_get0_s(ecdsa), rs + coordinate_len, (int)coordinate_len) > 0);
                ECDSA_SIG_free(ecdsa);
                memcpy(sig, rs, 2 * coordinate_len);
                sig_len = 2 * coordinate_len;
        }
        json_t *object = json_object();
        size_t dot = strcspn((const char *)w.data, ".");
        json_object_set_new(object, "protected", json_stringn((const char *)w.data, dot));
        json_object_set_new(object, "payload", json_stringn((const char *)w.data + dot + 1, w.len - dot - 1));
        buf_writer_truncate(&w, 0);
        CHECK_OK(jose_b64url_encode(sig, sig_len, &w, &err), &err);
        json_object_set_new(object, "signature", json_stringn((const char *)w.data, w.len));
        buf_writer_cleanup(&w);
        char *text = json_dumps(object, JSON_COMPACT);
        json_decref(object);
        return text;
}

/* jwk_text_of_ec writes the JWK of an EC key from OpenSSL's own coordinates. */
static void jwk_text_of_ec(char *out, size_t cap, EVP_PKEY *pkey, const char *crv, size_t coordinate_len)
{
        BIGNUM *x = NULL, *y = NULL;
        uint8_t xy[132];
        char x_b64[96] = {0}, y_b64[96] = {0};
        CHECK(EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_X, &x) == 1);
        CHECK(EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &y) == 1);
        CHECK(BN_bn2binpad(x, xy, (int)coordinate_len) > 0 && BN_bn2binpad(y, xy + 66, (int)coordinate_len) > 0);
        struct buf_writer w;
        struct err err = {0};
        buf_writer_init_fixed(&w, (uint8_t *)x_b64, sizeof x_b64 - 1);
        CHECK_OK(jose_b64url_encode(xy, coordinate_len, &w, &err), &err);
        buf_writer_init_fixed(&w, (uint8_t *)y_b64, sizeof y_b64 - 1);
        CHECK_OK(jose_b64url_encode(xy + 66, coordinate_len, &w, &err), &err);
        snprintf(out, cap, "{\"kty\":\"EC\",\"crv\":\"%s\",\"x\":\"%s\",\"y\":\"%s\"}", crv, x_b64, y_b64);
        BN_free(x);
        BN_free(y);
}

static void check_openssl_signature(EVP_PKEY *pkey, const char *digest, size_t coordinate_len, const char *alg,
                                    const char *jwk_text)
{
        char header[128];
        snprintf(header, sizeof header, "{\"alg\":\"%s\",\"kid\":\"" KID "\"}", alg);
        char *text = openssl_sign(pkey, digest, coordinate_len, header);
        struct jose_jws jws;
        struct jose_jwk *jwk = NULL;
        struct err err = {0};
        parse_ok(&jws, text, true);
        CHECK_OK(jose_jwk_from_text(&jwk, jwk_text, &err), &err);
        CHECK_OK(jose_jws_verify(&jws, jwk, &err), &err);
        jose_jws_clear(&jws);
        jose_jwk_free(jwk);
        free(text);
}

/* test_openssl_signatures_verify_with_jose: keys and signatures made by OpenSSL alone. */
static void test_openssl_signatures_verify_with_jose(void)
{
        static const struct {
                const char *curve, *crv, *digest, *alg;
                size_t coordinate_len;
        } curves[] = {{"P-256", "P-256", "SHA256", "ES256", 32},
                      {"P-384", "P-384", "SHA384", "ES384", 48},
                      {"P-521", "P-521", "SHA512", "ES512", 66}};
        char jwk_text[512];
        for (size_t i = 0; i < sizeof curves / sizeof curves[0]; i++) {
                /* Several keys, so short R or S values (a leading zero byte) come up for P-521 too. */
                for (int round = 0; round < 8; round++) {
                        EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curves[i].curve);
                        CHECK(pkey != NULL);
                        jwk_text_of_ec(jwk_text, sizeof jwk_text, pkey, curves[i].crv, curves[i].coordinate_len);
                        check_openssl_signature(pkey, curves[i].digest, curves[i].coordinate_len, curves[i].alg,
                                                jwk_text);
                        EVP_PKEY_free(pkey);
                }
        }
        /* Ed25519 (RFC 8037 3.1: EdDSA over the signing input, no separate digest). */
        EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
        uint8_t raw[32];
        size_t raw_len = sizeof raw;
        CHECK(ed != NULL && EVP_PKEY_get_raw_public_key(ed, raw, &raw_len) == 1 && raw_len == 32);
        char x_b64[64] = {0};
        struct buf_writer w;
        struct err err = {0};
        buf_writer_init_fixed(&w, (uint8_t *)x_b64, sizeof x_b64 - 1);
        CHECK_OK(jose_b64url_encode(raw, raw_len, &w, &err), &err);
        snprintf(jwk_text, sizeof jwk_text, "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"%s\"}", x_b64);
        check_openssl_signature(ed, NULL, 0, "EdDSA", jwk_text);
        EVP_PKEY_free(ed);
}

/* test_jwk_of_key_matches_spki: the JWK of a key is that key's SubjectPublicKeyInfo and no other's. */
static void test_jwk_of_key_matches_spki(void)
{
        static const enum key_alg algs[] = {KEY_ALG_EC_P256, KEY_ALG_EC_P384, KEY_ALG_RSA_2048};
        for (size_t i = 0; i < sizeof algs / sizeof algs[0]; i++) {
                struct key *key = cached_key(algs[i]), *other = NULL;
                struct jose_jwk *jwk = NULL;
                struct buf_writer spki, other_spki;
                struct err err = {0};
                buf_writer_init_heap(&spki, KEY_FILE_MAX);
                buf_writer_init_heap(&other_spki, KEY_FILE_MAX);
                CHECK_OK(jose_jwk_from_key(&jwk, key, &err), &err);
                CHECK_OK(key_write_public(key, KEY_FORMAT_DER, &spki, &err), &err);
                CHECK(jose_jwk_matches_spki(jwk, spki.data, spki.len));
                CHECK(!jose_jwk_matches_spki(jwk, spki.data, spki.len - 1));
                CHECK(!jose_jwk_matches_spki(jwk, spki.data, 0));
                CHECK_OK(key_generate(&other, algs[i] == KEY_ALG_RSA_2048 ? KEY_ALG_EC_P256 : algs[i], &err), &err);
                CHECK_OK(key_write_public(other, KEY_FORMAT_DER, &other_spki, &err), &err);
                CHECK(!jose_jwk_matches_spki(jwk, other_spki.data, other_spki.len));
                CHECK_EQ(ERR_peek_error(), 0);
                key_free(other);
                buf_writer_cleanup(&spki);
                buf_writer_cleanup(&other_spki);
                jose_jwk_free(jwk);
        }
}

static void test_sign_refusals(void)
{
        struct buf_writer w;
        struct err err = {0};
        struct jose_jwk *jwk = NULL;
        uint8_t small[64];
        buf_writer_init_heap(&w, JOSE_JWS_MAX);
        /* SM2 has no JOSE algorithm. */
        CHECK_STATUS(jose_jws_sign(cached_key(KEY_ALG_SM2), NULL, "n", URL, NULL, 0, &w, &err), CRYPTO_EWRONGALG);
        CHECK_STATUS(jose_jwk_from_key(&jwk, cached_key(KEY_ALG_SM2), &err), CRYPTO_EWRONGALG);
        CHECK_STATUS(jose_jws_sign(cached_key(KEY_ALG_EC_P256), NULL, "n", NULL, NULL, 0, &w, &err), SMT_EINVAL);
        CHECK_EQ(w.len, 0);
        /* A public key cannot sign. */
        struct buf_writer spki;
        struct key *public_key = NULL;
        buf_writer_init_heap(&spki, KEY_FILE_MAX);
        CHECK_OK(key_write_public(cached_key(KEY_ALG_EC_P256), KEY_FORMAT_DER, &spki, &err), &err);
        CHECK_OK(key_parse(&public_key, spki.data, spki.len, NULL, &err), &err);
        CHECK_STATUS(jose_jws_sign(public_key, NULL, "n", URL, NULL, 0, &w, &err), CRYPTO_EKEY);
        key_free(public_key);
        buf_writer_cleanup(&spki);
        /* No room: the writer keeps what it had. */
        buf_writer_init_fixed(&w, small, sizeof small);
        CHECK_OK(buf_write_u8(&w, 'x'), &err);
        CHECK_STATUS(jose_jws_sign(cached_key(KEY_ALG_EC_P256), NULL, "n", URL, NULL, 0, &w, &err), SMT_ENOSPACE);
        CHECK_EQ(w.len, 1);
        CHECK_STATUS(jose_jws_sign_hmac(small, 32, "kid", URL, small, 4, &w, &err), SMT_ENOSPACE);
        CHECK_EQ(w.len, 1);
}

/* test_hmac_rfc7515_a1: the published HS256 example verifies with its key, and not with another. */
static void test_hmac_rfc7515_a1(void)
{
        static const char text[] =
            "{\"protected\":\"eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9\",\"payload\":"
            "\"eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9p"
            "c19yb290Ijp0cnVlfQ\",\"signature\":\"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk\"}";
        static const char key_b64[] =
            "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9"
            "CAow";
        uint8_t *key = NULL;
        size_t key_len = 0;
        struct jose_jws jws;
        struct err err = {0};
        CHECK_OK(jose_b64url_decode(key_b64, strlen(key_b64), &key, &key_len, &err), &err);
        parse_ok(&jws, text, false);
        CHECK_STR(jws.alg, "HS256");
        CHECK_OK(jose_jws_verify_hmac(&jws, key, key_len, &err), &err);
        key[0] ^= 1;
        CHECK_STATUS(jose_jws_verify_hmac(&jws, key, key_len, &err), CRYPTO_EVERIFY);
        key[0] ^= 1;
        jws.signature_len--; /* a truncated MAC */
        CHECK_STATUS(jose_jws_verify_hmac(&jws, key, key_len, &err), CRYPTO_EVERIFY);
        CHECK_STATUS(jose_jws_verify_hmac(&jws, key, 0, &err), SMT_EINVAL);
        jose_jws_clear(&jws);
        free(key);
}

/* test_hmac_eab: an RFC 8555 7.3.4 inner JWS over the account key's JWK, checked by jose and by HMAC(). */
static void test_hmac_eab(void)
{
        uint8_t key[32];
        CHECK(RAND_bytes(key, sizeof key) == 1);
        struct jose_jwk *account = NULL;
        struct err err = {0};
        CHECK_OK(jose_jwk_from_key(&account, cached_key(KEY_ALG_EC_P256), &err), &err);
        json_t *account_json = jose_jwk_to_json(account);
        char *payload = json_dumps(account_json, JSON_COMPACT);
        struct buf_writer w;
        buf_writer_init_heap(&w, JOSE_JWS_MAX);
        CHECK_OK(
            jose_jws_sign_hmac(key, sizeof key, "eab-kid-1", URL, (const uint8_t *)payload, strlen(payload), &w, &err),
            &err);
        CHECK_OK(buf_write_u8(&w, '\0'), &err);
        char *header = protected_text((const char *)w.data);
        CHECK_STR(header, "{\"alg\":\"HS256\",\"kid\":\"eab-kid-1\",\"url\":\"" URL "\"}");
        struct jose_jws jws;
        parse_ok(&jws, (const char *)w.data, true);
        CHECK_OK(jose_jws_verify_hmac(&jws, key, sizeof key, &err), &err);
        uint8_t mac[32];
        unsigned int mac_len = 0;
        CHECK(HMAC(EVP_sha256(), key, sizeof key, (const uint8_t *)jws.signing_input, jws.signing_input_len, mac,
                   &mac_len) != NULL);
        CHECK_EQ(jws.signature_len, 32);
        CHECK_MEM(jws.signature, mac, 32);
        json_t *inner = NULL;
        struct jose_jwk *inner_jwk = NULL;
        CHECK_OK(jose_jws_payload_json(&jws, &inner, &err), &err);
        CHECK_OK(jose_jwk_from_json(&inner_jwk, inner, &err), &err);
        CHECK(jose_jwk_equal(inner_jwk, account));
        /* A public key signature algorithm is not a MAC. */
        jws.alg = "ES256";
        CHECK_STATUS(jose_jws_verify_hmac(&jws, key, sizeof key, &err), CA_EJOSE_ALG);
        jose_jwk_free(inner_jwk);
        json_decref(inner);
        jose_jws_clear(&jws);
        free(header);
        buf_writer_cleanup(&w);
        free(payload);
        json_decref(account_json);
        jose_jwk_free(account);
}

/* test_hmac_sha384_sha512: HS384 and HS512 JWS made with OpenSSL's HMAC() verify with jose. */
static void test_hmac_sha384_sha512(void)
{
        static const struct {
                const char *alg;
                const EVP_MD *(*md)(void);
        } cases[] = {{"HS384", EVP_sha384}, {"HS512", EVP_sha512}};
        uint8_t key[64];
        CHECK(RAND_bytes(key, sizeof key) == 1);
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                char header_json[64], input[256], sig_b64[128] = {0}, text[512];
                snprintf(header_json, sizeof header_json, "{\"alg\":\"%s\",\"kid\":\"k\"}", cases[i].alg);
                struct buf_writer w;
                struct err err = {0};
                buf_writer_init_fixed(&w, (uint8_t *)input, sizeof input - 1);
                CHECK_OK(jose_b64url_encode((const uint8_t *)header_json, strlen(header_json), &w, &err), &err);
                CHECK_OK(buf_write_u8(&w, '.'), &err);
                input[w.len] = '\0';
                uint8_t mac[64];
                unsigned int mac_len = 0;
                CHECK(HMAC(cases[i].md(), key, sizeof key, (const uint8_t *)input, strlen(input), mac, &mac_len));
                buf_writer_init_fixed(&w, (uint8_t *)sig_b64, sizeof sig_b64 - 1);
                CHECK_OK(jose_b64url_encode(mac, mac_len, &w, &err), &err);
                input[strlen(input) - 1] = '\0';
                snprintf(text, sizeof text, "{\"protected\":\"%s\",\"payload\":\"\",\"signature\":\"%s\"}", input,
                         sig_b64);
                struct jose_jws jws;
                parse_ok(&jws, text, true);
                CHECK_OK(jose_jws_verify_hmac(&jws, key, sizeof key, &err), &err);
                CHECK_STATUS(jose_jws_verify_hmac(&jws, key, sizeof key - 1, &err), CRYPTO_EVERIFY);
                jose_jws_clear(&jws);
        }
}

CHECK_MAIN(CHECK_TEST(test_sign_round_trip_p256), CHECK_TEST(test_sign_round_trip_p384),
           CHECK_TEST(test_sign_round_trip_rsa), CHECK_TEST(test_sign_with_kid_post_as_get),
           CHECK_TEST(test_jose_signatures_verify_with_openssl), CHECK_TEST(test_openssl_signatures_verify_with_jose),
           CHECK_TEST(test_jwk_of_key_matches_spki), CHECK_TEST(test_sign_refusals), CHECK_TEST(test_hmac_rfc7515_a1),
           CHECK_TEST(test_hmac_eab), CHECK_TEST(test_hmac_sha384_sha512))
