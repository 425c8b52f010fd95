/* tests/unit/crypto/test_jose.c: base64url, JWK reading and thumbprints, flattened JWS parsing and
 * verification (src/crypto/jose.c, jose_b64.c, jose_jwk.c) against the published examples of RFC 4648,
 * RFC 7515 Appendix A, RFC 7638 section 3.1 and RFC 8037 Appendix A, a JWS made by certbot's own library,
 * and every refusal the ACME server relies on. Signing, cross-checks with OpenSSL used directly and HMAC are in
 * test_jose_sign.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "check.h"
#include "crypto/jose.h"

/* RFC 7515 Appendix A: the payload shared by A.1, A.2 and A.3, and each example's header and signature. */
#define RFC7515_PAYLOAD      "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
#define RFC7515_PAYLOAD_TEXT "{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}"
#define RFC7515_A1_KEY       "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"
#define RFC7515_A1_HEADER    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
#define RFC7515_A1_SIGNATURE "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
#define RFC7515_A2_HEADER    "eyJhbGciOiJSUzI1NiJ9"
#define RFC7515_A2_N                                                                                                   \
        "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-"       \
        "SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-"      \
        "UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2e"       \
        "thFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ"
#define RFC7515_A2_SIGNATURE                                                                                           \
        "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJ"       \
        "dbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN"       \
        "9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXL"       \
        "IhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw"
#define RFC7515_A3_HEADER    "eyJhbGciOiJFUzI1NiJ9"
#define RFC7515_A3_X         "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"
#define RFC7515_A3_Y         "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"
#define RFC7515_A3_SIGNATURE "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q"
#define RFC7515_A4_HEADER    "eyJhbGciOiJFUzUxMiJ9"
#define RFC7515_A4_PAYLOAD   "UGF5bG9hZA"
#define RFC7515_A4_X         "AekpBQ8ST8a8VcfVOTNl353vSrDCLLJXmPk06wTjxrrjcBpXp5EOnYG_NjFZ6OvLFV1jSfS9tsz4qUxcWceqwQGk"
#define RFC7515_A4_Y         "ADSmRA43Z1DSNx_RvcLI87cdL07l6jQyyBXMoxVg_l2Th-x3S1WDhjDly79ajL4Kkd0AZMaZmh9ubmf63e3kyMj2"
#define RFC7515_A4_SIGNATURE                                                                                           \
        "AdwMgeerwtHoh-l192l60hp9wAHZFVJbLfD_UxMi70cwnZOYaRI1bKPWROc-mZZqwqT2SI-KGDKB34XO0aw_7XdtAG8GaSwFKdCAPZ"       \
        "goXD2YBJZCPEX3xKpRwcdOO8KpEHwJjyqOgzDO7iKvU8vcnwNrmxYbSW9ERBXukOXolLzeO_Jn"
/* RFC 7638 section 3.1: the example RSA key (with its optional members) and its thumbprint. */
#define RFC7638_N                                                                                                      \
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiF"     \
        "V4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9"     \
        "c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1"     \
        "jF44-csFCur-kEgU8awapJzKnqDKgw"
#define RFC7638_THUMBPRINT "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
/* RFC 8037 Appendix A.2 (public key), A.3 (its thumbprint), A.4 (the JWS of "Example of Ed25519 signing"). */
#define RFC8037_X          "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
#define RFC8037_THUMBPRINT "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
#define RFC8037_HEADER     "eyJhbGciOiJFZERTQSJ9"
#define RFC8037_PAYLOAD    "RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc"
#define RFC8037_SIGNATURE  "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"

#define EC_P256_JWK "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" RFC7515_A3_X "\",\"y\":\"" RFC7515_A3_Y "\"}"

/* flattened writes the flattened JWS of three base64url parts (RFC 7515 7.2.2) into out. */
static const char *flattened(char *out, size_t cap, const char *protected, const char *payload, const char *signature)
{
        int len = snprintf(out, cap, "{\"protected\":\"%s\",\"payload\":\"%s\",\"signature\":\"%s\"}", protected,
                           payload, signature);
        CHECK(len > 0 && (size_t)len < cap);
        return out;
}

/* b64 writes the base64url of text into out, NUL-terminated. */
static const char *b64(char *out, size_t cap, const char *text)
{
        struct buf_writer w;
        struct err err = {0};
        buf_writer_init_fixed(&w, (uint8_t *)out, cap - 1);
        CHECK_OK(jose_b64url_encode((const uint8_t *)text, strlen(text), &w, &err), &err);
        out[w.len] = '\0';
        return out;
}

static int parse_text(struct jose_jws *jws, const char *text, bool require_key_id, struct err *err)
{
        return jose_jws_parse(jws, (const uint8_t *)text, strlen(text), require_key_id, err);
}

/* verify_text parses text and verifies it with the JWK jwk_text; returns the first failure. */
static int verify_text(const char *text, const char *jwk_text)
{
        struct jose_jws jws;
        struct jose_jwk *jwk = NULL;
        struct err err = {0};
        int status = parse_text(&jws, text, false, &err);
        if (status < 0)
                return status;
        CHECK_OK(jose_jwk_from_text(&jwk, jwk_text, &err), &err);
        status = jose_jws_verify(&jws, jwk, &err);
        CHECK(status == 0 || err.msg[0] != '\0');
        jose_jwk_free(jwk);
        jose_jws_clear(&jws);
        return status;
}

static void test_b64url_rfc4648_vectors(void)
{
        /* RFC 4648 section 10, without the padding section 5 lets JOSE drop (RFC 7515 section 2). */
        static const char *const vectors[][2] = {
            {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},         {"foo", "Zm9v"},
            {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"}};
        for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
                char out[16];
                CHECK_STR(b64(out, sizeof out, vectors[i][0]), vectors[i][1]);
                uint8_t *back = NULL;
                size_t back_len = 0;
                struct err err = {0};
                CHECK_OK(jose_b64url_decode(vectors[i][1], strlen(vectors[i][1]), &back, &back_len, &err), &err);
                CHECK_EQ(back_len, strlen(vectors[i][0]));
                CHECK_MEM(back, vectors[i][0], back_len);
                free(back);
        }
}

/* test_b64url_matches_openssl compares with OpenSSL's base64 turned URL-safe (RFC 4648 section 5: '+' is '-',
 * '/' is '_', padding dropped) for every length 0..96 of bytes that use every character. */
static void test_b64url_matches_openssl(void)
{
        uint8_t in[96];
        for (size_t i = 0; i < sizeof in; i++)
                in[i] = (uint8_t)(i * 37 + 251);
        for (size_t len = 0; len <= sizeof in; len++) {
                char expected[160];
                int n = EVP_EncodeBlock((unsigned char *)expected, in, (int)len);
                while (n > 0 && expected[n - 1] == '=')
                        n--;
                expected[n] = '\0';
                for (int c = 0; c < n; c++)
                        expected[c] = expected[c] == '+' ? '-' : expected[c] == '/' ? '_' : expected[c];
                char got[160];
                struct buf_writer w;
                struct err err = {0};
                buf_writer_init_fixed(&w, (uint8_t *)got, sizeof got - 1);
                CHECK_OK(jose_b64url_encode(in, len, &w, &err), &err);
                got[w.len] = '\0';
                CHECK_STR(got, expected);
                uint8_t *back = NULL;
                size_t back_len = 0;
                CHECK_OK(jose_b64url_decode(got, w.len, &back, &back_len, &err), &err);
                CHECK_EQ(back_len, len);
                CHECK_MEM(back, in, len);
                free(back);
        }
}

static void test_b64url_refuses_non_strict(void)
{
        /* Padding, the standard alphabet, white space, a 1 mod 4 length, non-zero unused bits ("Zh" would
         * otherwise also decode to "f"), a NUL inside. */
        static const char *const bad[] = {"Zg==", "Zm8=", "Zm9+", "Zm9/", "Zm9 v", "Zm9vY", "Zh", "Zm9", "Zm\n9v"};
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                uint8_t *out = NULL;
                size_t out_len = 0;
                struct err err = {0};
                int status = jose_b64url_decode(bad[i], strlen(bad[i]), &out, &out_len, &err);
                if (status != CA_EJOSE)
                        check_fail(__FILE__, __LINE__, "\"%s\" decoded with status %s", bad[i], err_name(status));
                CHECK(out == NULL);
        }
        uint8_t *out = NULL;
        size_t out_len = 0;
        struct err err = {0};
        CHECK_STATUS(jose_b64url_decode("Zm\0v", 4, &out, &out_len, &err), CA_EJOSE);
}

static void test_rfc7515_a3_es256(void)
{
        char text[512];
        flattened(text, sizeof text, RFC7515_A3_HEADER, RFC7515_PAYLOAD, RFC7515_A3_SIGNATURE);
        CHECK_OK(verify_text(text, EC_P256_JWK), &(struct err){0});
        struct jose_jws jws;
        struct err err = {0};
        CHECK_OK(parse_text(&jws, text, false, &err), &err);
        CHECK_STR(jws.alg, "ES256");
        CHECK(jws.jwk == NULL && jws.kid == NULL && jws.nonce == NULL && jws.url == NULL);
        CHECK_EQ(jws.payload_len, strlen(RFC7515_PAYLOAD_TEXT));
        CHECK_MEM(jws.payload, RFC7515_PAYLOAD_TEXT, jws.payload_len);
        CHECK_STR(jws.signing_input, RFC7515_A3_HEADER "." RFC7515_PAYLOAD);
        CHECK_EQ(jws.signing_input_len, strlen(RFC7515_A3_HEADER "." RFC7515_PAYLOAD));
        CHECK_EQ(jws.signature_len, 64);
        json_t *payload = NULL;
        CHECK_OK(jose_jws_payload_json(&jws, &payload, &err), &err);
        CHECK_STR(json_string_value(json_object_get(payload, "iss")), "joe");
        json_decref(payload);
        jose_jws_clear(&jws);
        /* RFC 8555 6.2: an ACME request must name its key. */
        CHECK_STATUS(parse_text(&jws, text, true, &err), CA_EJOSE);
}

static void test_rfc7515_a2_rs256(void)
{
        char text[1024];
        flattened(text, sizeof text, RFC7515_A2_HEADER, RFC7515_PAYLOAD, RFC7515_A2_SIGNATURE);
        CHECK_OK(verify_text(text, "{\"kty\":\"RSA\",\"n\":\"" RFC7515_A2_N "\",\"e\":\"AQAB\"}"), &(struct err){0});
        /* The same signature under another RSA key (RFC 7638's example) does not verify. */
        CHECK_STATUS(verify_text(text, "{\"kty\":\"RSA\",\"n\":\"" RFC7638_N "\",\"e\":\"AQAB\"}"), CRYPTO_EVERIFY);
}

static void test_rfc7515_a4_es512(void)
{
        char text[1024];
        flattened(text, sizeof text, RFC7515_A4_HEADER, RFC7515_A4_PAYLOAD, RFC7515_A4_SIGNATURE);
        CHECK_OK(verify_text(text, "{\"kty\":\"EC\",\"crv\":\"P-521\",\"x\":\"" RFC7515_A4_X "\",\"y\":\"" RFC7515_A4_Y
                                   "\"}"),
                 &(struct err){0});
}

static void test_rfc8037_ed25519(void)
{
        static const char jwk_text[] = "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" RFC8037_X "\"}";
        char text[512];
        flattened(text, sizeof text, RFC8037_HEADER, RFC8037_PAYLOAD, RFC8037_SIGNATURE);
        CHECK_OK(verify_text(text, jwk_text), &(struct err){0});
        struct jose_jwk *jwk = NULL;
        struct err err = {0};
        char thumbprint[JOSE_THUMBPRINT_LEN];
        CHECK_OK(jose_jwk_from_text(&jwk, jwk_text, &err), &err);
        CHECK_OK(jose_jwk_thumbprint(jwk, thumbprint, &err), &err);
        CHECK_STR(thumbprint, RFC8037_THUMBPRINT);
        jose_jwk_free(jwk);
        /* The payload "Example of Ed25519 signinf". */
        flattened(text, sizeof text, RFC8037_HEADER, "RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmY", RFC8037_SIGNATURE);
        CHECK_STATUS(verify_text(text, jwk_text), CRYPTO_EVERIFY);
}

static void test_rfc7638_thumbprint(void)
{
        /* The optional members "alg" and "kid" do not change the thumbprint (RFC 7638 section 3.1). */
        static const char jwk_text[] = "{\"kty\":\"RSA\",\"n\":\"" RFC7638_N "\",\"e\":\"AQAB\",\"alg\":\"RS256\","
                                       "\"kid\":\"2011-04-29\"}";
        struct jose_jwk *jwk = NULL;
        struct err err = {0};
        char thumbprint[JOSE_THUMBPRINT_LEN];
        CHECK_OK(jose_jwk_from_text(&jwk, jwk_text, &err), &err);
        CHECK_OK(jose_jwk_thumbprint(jwk, thumbprint, &err), &err);
        CHECK_STR(thumbprint, RFC7638_THUMBPRINT);
        json_t *canonical = jose_jwk_to_json(jwk);
        char *canonical_text = json_dumps(canonical, JSON_COMPACT | JSON_SORT_KEYS);
        CHECK_STR(canonical_text, "{\"e\":\"AQAB\",\"kty\":\"RSA\",\"n\":\"" RFC7638_N "\"}");
        free(canonical_text);
        struct jose_jwk *again = NULL;
        CHECK_OK(jose_jwk_from_json(&again, canonical, &err), &err);
        CHECK(jose_jwk_equal(jwk, again));
        json_decref(canonical);
        jose_jwk_free(again);
        jose_jwk_free(jwk);
}

/* test_certbot_new_account: a newAccount JWS as certbot writes it (python3-acme 2.1.0 acme.jws.JWS.sign with
 * josepy 1.13.0, a throwaway P-256 key; JSON with spaces, jwk members in josepy's order) verifies, and our
 * thumbprint of its key is the one josepy computed for it. */
static void test_certbot_new_account(void)
{
        static const char text[] =
            "{\"protected\": \"eyJhbGciOiAiRVMyNTYiLCAiandrIjogeyJ4IjogImotcmRUanZ4Mkt0dWp0b250U3RHWXA1REE3dXRxUWRYLVB"
            "2YTRQUUpXV2siLCAieSI6ICJsWDVYMENDQnlGRlBXSGMwM21kd05HMUhOaWk4UUFNdndkMnhtWWk1eHJjIiwgImNydiI6ICJQLTI1Ni"
            "IsICJrdHkiOiAiRUMifSwgIm5vbmNlIjogIkFRSnViMjVqWlMxaWVYUmxjdyIsICJ1cmwiOiAiaHR0cHM6Ly9jYS5leGFtcGxlL2Fj"
            "bWUvbmV3LWFjY291bnQifQ\", \"signature\": \"lDQGc01EwYikgfIsfw4EiqM4XiXKUpAeQcUMVClensnKn_YMZVRRddlkR1S3"
            "28Tr-waoBHz_M-X-a8AKgBdCpg\", \"payload\": \"eyJ0ZXJtc09mU2VydmljZUFncmVlZCI6IHRydWV9\"}";
        struct jose_jws jws;
        struct jose_jwk *jwk = NULL;
        struct err err = {0};
        char thumbprint[JOSE_THUMBPRINT_LEN];
        CHECK_OK(parse_text(&jws, text, true, &err), &err);
        CHECK_STR(jws.alg, "ES256");
        CHECK_STR(jws.nonce, "AQJub25jZS1ieXRlcw");
        CHECK_STR(jws.url, "https://ca.example/acme/new-account");
        CHECK(jws.jwk != NULL && jws.kid == NULL);
        CHECK_OK(jose_jwk_from_json(&jwk, jws.jwk, &err), &err);
        CHECK_OK(jose_jws_verify(&jws, jwk, &err), &err);
        CHECK_OK(jose_jwk_thumbprint(jwk, thumbprint, &err), &err);
        CHECK_STR(thumbprint, "wpoy0-cgV-Z4PdwK9EPg0ZSvVcRrRqSI8xriZrzcQL0");
        jose_jwk_free(jwk);
        jose_jws_clear(&jws);
}

/* expect_jws_refused checks that the JWS made of header_json (encoded here), payload and signature is
 * refused by parse with status. */
static void expect_jws_refused(const char *header_json, const char *signature, bool require_key_id, int status)
{
        char header[1024], text[2048];
        flattened(text, sizeof text, b64(header, sizeof header, header_json), RFC7515_PAYLOAD, signature);
        struct jose_jws jws;
        struct err err = {0};
        int got = parse_text(&jws, text, require_key_id, &err);
        if (got != status)
                check_fail(__FILE__, __LINE__, "header %s: got %s (%s), expected %s", header_json, err_name(got),
                           err.msg, err_name(status));
        CHECK(err.msg[0] != '\0');
        CHECK(jws.header == NULL && jws.payload == NULL && jws.signing_input == NULL);
}

#define JWK_MEMBER "\"jwk\":" EC_P256_JWK

static void test_header_refusals(void)
{
        expect_jws_refused("{\"alg\":\"none\"," JWK_MEMBER "}", "", true, CA_EJOSE_ALG);
        expect_jws_refused("{\"alg\":\"PS256\"," JWK_MEMBER "}", RFC7515_A3_SIGNATURE, true, CA_EJOSE_ALG);
        expect_jws_refused("{\"alg\":\"es256\"," JWK_MEMBER "}", RFC7515_A3_SIGNATURE, true, CA_EJOSE_ALG);
        expect_jws_refused("{" JWK_MEMBER "}", RFC7515_A3_SIGNATURE, true, CA_EJOSE);
        expect_jws_refused("{\"alg\":256," JWK_MEMBER "}", RFC7515_A3_SIGNATURE, true, CA_EJOSE);
        expect_jws_refused("{\"alg\":\"ES256\"," JWK_MEMBER ",\"kid\":\"https://ca/acct/1\"}", RFC7515_A3_SIGNATURE,
                           true, CA_EJOSE);
        expect_jws_refused("{\"alg\":\"ES256\"," JWK_MEMBER ",\"kid\":\"https://ca/acct/1\"}", RFC7515_A3_SIGNATURE,
                           false, CA_EJOSE);
        expect_jws_refused("{\"alg\":\"ES256\",\"nonce\":\"n\"}", RFC7515_A3_SIGNATURE, true, CA_EJOSE);
        expect_jws_refused("{\"alg\":\"ES256\",\"crit\":[\"b64\"],\"b64\":false," JWK_MEMBER "}", RFC7515_A3_SIGNATURE,
                           true, CA_EJOSE);
        expect_jws_refused("{\"alg\":\"ES256\",\"jwk\":\"" RFC7515_A3_X "\"}", RFC7515_A3_SIGNATURE, true, CA_EJOSE);
        expect_jws_refused("{\"alg\":\"ES256\",\"kid\":7}", RFC7515_A3_SIGNATURE, true, CA_EJOSE);
        expect_jws_refused("{\"alg\":\"ES256\",\"kid\":\"k\",\"url\":[]}", RFC7515_A3_SIGNATURE, true, CA_EJOSE);
        expect_jws_refused("{\"alg\":\"ES256\",\"alg\":\"ES256\",\"kid\":\"k\"}", RFC7515_A3_SIGNATURE, true, CA_EJOSE);
        expect_jws_refused("[\"ES256\"]", RFC7515_A3_SIGNATURE, true, CA_EJOSE);
        expect_jws_refused("{\"alg\":\"ES256\",\"kid\":\"k\"", RFC7515_A3_SIGNATURE, true, CA_EJOSE);
        /* Padding on the signature. */
        expect_jws_refused("{\"alg\":\"ES256\",\"kid\":\"k\"}", "Zg==", true, CA_EJOSE);
}

static void expect_text_refused(const char *text, int status)
{
        struct jose_jws jws;
        struct err err = {0};
        int got = parse_text(&jws, text, false, &err);
        if (got != status)
                check_fail(__FILE__, __LINE__, "%s: got %s (%s), expected %s", text, err_name(got), err.msg,
                           err_name(status));
        jose_jws_clear(&jws);
}

static void test_envelope_refusals(void)
{
        char text[1024];
        /* The RFC 7515 example is fine as it is; each change below is refused. */
        expect_text_refused(flattened(text, sizeof text, RFC7515_A3_HEADER, RFC7515_PAYLOAD, RFC7515_A3_SIGNATURE), 0);
        expect_text_refused(flattened(text, sizeof text, RFC7515_A3_HEADER "=", RFC7515_PAYLOAD, RFC7515_A3_SIGNATURE),
                            CA_EJOSE);
        expect_text_refused(flattened(text, sizeof text, RFC7515_A3_HEADER, RFC7515_PAYLOAD "=", RFC7515_A3_SIGNATURE),
                            CA_EJOSE);
        expect_text_refused(flattened(text, sizeof text, RFC7515_A3_HEADER, RFC7515_PAYLOAD "+", RFC7515_A3_SIGNATURE),
                            CA_EJOSE);
        expect_text_refused("{\"protected\":\"" RFC7515_A3_HEADER "\",\"payload\":\"" RFC7515_PAYLOAD "\","
                            "\"signature\":\"" RFC7515_A3_SIGNATURE "\",\"header\":{\"kid\":\"k\"}}",
                            CA_EJOSE);
        expect_text_refused("{\"protected\":\"" RFC7515_A3_HEADER "\",\"payload\":\"" RFC7515_PAYLOAD "\","
                            "\"signature\":\"" RFC7515_A3_SIGNATURE "\",\"extra\":1}",
                            CA_EJOSE);
        expect_text_refused("{\"protected\":\"" RFC7515_A3_HEADER "\",\"payload\":\"" RFC7515_PAYLOAD "\"}", CA_EJOSE);
        expect_text_refused("{\"protected\":\"" RFC7515_A3_HEADER "\",\"payload\":\"" RFC7515_PAYLOAD "\","
                            "\"signatures\":[{\"signature\":\"" RFC7515_A3_SIGNATURE "\"}]}",
                            CA_EJOSE);
        expect_text_refused("{\"protected\":\"" RFC7515_A3_HEADER "\",\"payload\":\"" RFC7515_PAYLOAD "\","
                            "\"signature\":\"" RFC7515_A3_SIGNATURE "\",\"payload\":\"\"}",
                            CA_EJOSE);
        expect_text_refused("{\"protected\":\"" RFC7515_A3_HEADER "\",\"payload\":{},"
                            "\"signature\":\"" RFC7515_A3_SIGNATURE "\"}",
                            CA_EJOSE);
        expect_text_refused(RFC7515_A3_HEADER "." RFC7515_PAYLOAD "." RFC7515_A3_SIGNATURE, CA_EJOSE);
        expect_text_refused(flattened(text, sizeof text, RFC7515_A3_HEADER, RFC7515_PAYLOAD, RFC7515_A3_SIGNATURE), 0);
        strcat(text, " x");
        expect_text_refused(text, CA_EJOSE);
        expect_text_refused("", CA_EJOSE);
        /* Larger than JOSE_JWS_MAX. */
        size_t big_len = JOSE_JWS_MAX + 1;
        uint8_t *big = calloc(1, big_len);
        struct jose_jws jws;
        struct err err = {0};
        CHECK_STATUS(jose_jws_parse(&jws, big, big_len, false, &err), CA_EJOSE);
        free(big);
}

/* expect_verify_refused checks that the RFC 7515 A.3 JWS with signature (base64url) and payload does not
 * verify under the A.3 key with status. */
static void expect_verify_refused(const char *payload, const char *signature, int status)
{
        char text[1024];
        flattened(text, sizeof text, RFC7515_A3_HEADER, payload, signature);
        int got = verify_text(text, EC_P256_JWK);
        if (got != status)
                check_fail(__FILE__, __LINE__, "payload %s signature %s: got %s, expected %s", payload, signature,
                           err_name(got), err_name(status));
}

static void test_signature_refusals(void)
{
        /* Truncated to 63 and 32 bytes (R || S must be exactly 64), empty, one bit of S flipped. */
        uint8_t *sig = NULL;
        size_t sig_len = 0;
        struct err err = {0};
        CHECK_OK(jose_b64url_decode(RFC7515_A3_SIGNATURE, strlen(RFC7515_A3_SIGNATURE), &sig, &sig_len, &err), &err);
        CHECK_EQ(sig_len, 64);
        static const size_t cuts[] = {63, 32};
        for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
                char truncated[128];
                struct buf_writer w;
                buf_writer_init_fixed(&w, (uint8_t *)truncated, sizeof truncated - 1);
                CHECK_OK(jose_b64url_encode(sig, cuts[i], &w, &err), &err);
                truncated[w.len] = '\0';
                expect_verify_refused(RFC7515_PAYLOAD, truncated, CRYPTO_EVERIFY);
        }
        /* One byte appended, and 00 in front of R (S would shift): R || S has exactly one length. */
        uint8_t longer[66] = {0};
        memcpy(longer, sig, 64);
        char longer_b64[128];
        struct buf_writer w;
        buf_writer_init_fixed(&w, (uint8_t *)longer_b64, sizeof longer_b64 - 1);
        CHECK_OK(jose_b64url_encode(longer, 65, &w, &err), &err);
        longer_b64[w.len] = '\0';
        expect_verify_refused(RFC7515_PAYLOAD, longer_b64, CRYPTO_EVERIFY);
        memcpy(longer + 1, sig, 64);
        longer[0] = 0;
        buf_writer_init_fixed(&w, (uint8_t *)longer_b64, sizeof longer_b64 - 1);
        CHECK_OK(jose_b64url_encode(longer, 65, &w, &err), &err);
        longer_b64[w.len] = '\0';
        expect_verify_refused(RFC7515_PAYLOAD, longer_b64, CRYPTO_EVERIFY);
        free(sig);
        expect_verify_refused(RFC7515_PAYLOAD, "", CRYPTO_EVERIFY);
        expect_verify_refused(RFC7515_PAYLOAD,
                              "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQx"
                              "fKTUJqPP3-Kg6NU1A",
                              CRYPTO_EVERIFY);
        /* The payload tampered: "joe" becomes "jof". */
        char payload[256];
        b64(payload, sizeof payload,
            "{\"iss\":\"jof\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}");
        expect_verify_refused(payload, RFC7515_A3_SIGNATURE, CRYPTO_EVERIFY);
        /* The payload unchanged again verifies: the check above fails for the change only. */
        b64(payload, sizeof payload, RFC7515_PAYLOAD_TEXT);
        expect_verify_refused(payload, RFC7515_A3_SIGNATURE, 0);
}

/* test_alg_key_mismatch: the header's alg must fit the key (RFC 7518 3.4; RFC 8555 6.2 badSignatureAlgorithm). */
static void test_alg_key_mismatch(void)
{
        char text[1024];
        flattened(text, sizeof text, RFC7515_A3_HEADER, RFC7515_PAYLOAD, RFC7515_A3_SIGNATURE);
        /* ES256 with a P-384 key, an RSA key, an Ed25519 key, a P-521 key. */
        struct key *p384 = NULL;
        struct jose_jwk *jwk = NULL;
        struct err err = {0};
        CHECK_OK(key_generate(&p384, KEY_ALG_EC_P384, &err), &err);
        CHECK_OK(jose_jwk_from_key(&jwk, p384, &err), &err);
        struct jose_jws jws;
        CHECK_OK(parse_text(&jws, text, false, &err), &err);
        CHECK_STATUS(jose_jws_verify(&jws, jwk, &err), CA_EJOSE_ALG);
        jose_jws_clear(&jws);
        jose_jwk_free(jwk);
        key_free(p384);
        CHECK_STATUS(verify_text(text, "{\"kty\":\"RSA\",\"n\":\"" RFC7638_N "\",\"e\":\"AQAB\"}"), CA_EJOSE_ALG);
        CHECK_STATUS(verify_text(text, "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" RFC8037_X "\"}"), CA_EJOSE_ALG);
        CHECK_STATUS(verify_text(text, "{\"kty\":\"EC\",\"crv\":\"P-521\",\"x\":\"" RFC7515_A4_X
                                       "\",\"y\":\"" RFC7515_A4_Y "\"}"),
                     CA_EJOSE_ALG);
        /* HS256 (a MAC) with a public key, and the A.1 HMAC example under the P-256 key. */
        flattened(text, sizeof text, RFC7515_A1_HEADER, RFC7515_PAYLOAD, RFC7515_A1_SIGNATURE);
        CHECK_STATUS(verify_text(text, EC_P256_JWK), CA_EJOSE_ALG);
}

/* expect_jwk_refused checks jose_jwk_from_text refuses text with status and leaves no key. */
static void expect_jwk_refused(const char *text, int status)
{
        struct jose_jwk *jwk = NULL;
        struct err err = {0};
        int got = jose_jwk_from_text(&jwk, text, &err);
        if (got != status)
                check_fail(__FILE__, __LINE__, "%s: got %s (%s), expected %s", text, err_name(got), err.msg,
                           err_name(status));
        CHECK((jwk == NULL) == (status != 0));
        jose_jwk_free(jwk);
}

static void test_jwk_refusals(void)
{
        /* Private members (RFC 7518 6.2.2, 6.3.2; RFC 8037 2), on a key that is otherwise fine. */
        expect_jwk_refused("{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" RFC7515_A3_X "\",\"y\":\"" RFC7515_A3_Y
                           "\",\"d\":\"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI\"}",
                           CA_EJOSE);
        expect_jwk_refused("{\"kty\":\"RSA\",\"n\":\"" RFC7638_N "\",\"e\":\"AQAB\",\"p\":\"AQAB\"}", CA_EJOSE);
        expect_jwk_refused("{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" RFC8037_X
                           "\",\"d\":\"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A\"}",
                           CA_EJOSE);
        /* The A.3 point with the last bit of y changed is not on P-256. */
        expect_jwk_refused("{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" RFC7515_A3_X
                           "\",\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a4\"}",
                           CA_EJOSE);
        /* x with a leading zero byte (33 bytes), y short of one byte (31). */
        expect_jwk_refused("{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AH_Nzidw9sRdQYPL7m_bS3tYBzM1e-nvE7rPbjx70VRF\","
                           "\"y\":\"" RFC7515_A3_Y "\"}",
                           CA_EJOSE);
        expect_jwk_refused("{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" RFC7515_A3_X
                           "\",\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5Q\"}",
                           CA_EJOSE);
        /* The P-256 coordinates claimed as P-384; unsupported curves and key types. */
        expect_jwk_refused("{\"kty\":\"EC\",\"crv\":\"P-384\",\"x\":\"" RFC7515_A3_X "\",\"y\":\"" RFC7515_A3_Y "\"}",
                           CA_EJOSE);
        expect_jwk_refused("{\"kty\":\"EC\",\"crv\":\"secp256k1\",\"x\":\"" RFC7515_A3_X "\",\"y\":\"" RFC7515_A3_Y
                           "\"}",
                           CA_EJOSE_ALG);
        expect_jwk_refused("{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\"" RFC8037_X "\"}", CA_EJOSE_ALG);
        expect_jwk_refused("{\"kty\":\"oct\",\"k\":\"" RFC7515_A1_KEY "\"}", CA_EJOSE);
        expect_jwk_refused("{\"kty\":\"oct\"}", CA_EJOSE_ALG);
        /* RSA: a 1024-bit modulus (RFC 7515 A.2's first half, odd), a leading zero octet, an even exponent. */
        expect_jwk_refused("{\"kty\":\"RSA\",\"n\":\"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-"
                           "Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7"
                           "OMg0LOL-bSf63gE\",\"e\":\"AQAB\"}",
                           CA_EJOSE_ALG);
        expect_jwk_refused("{\"kty\":\"RSA\",\"n\":\"AA" RFC7638_N "\",\"e\":\"AQAB\"}", CA_EJOSE);
        expect_jwk_refused("{\"kty\":\"RSA\",\"n\":\"" RFC7638_N "\",\"e\":\"AAEAAQ\"}", CA_EJOSE);
        expect_jwk_refused("{\"kty\":\"RSA\",\"n\":\"" RFC7638_N "\",\"e\":\"AQAC\"}", CA_EJOSE);
        /* (0, 0), which stands for the point at infinity in some encodings, is not on P-256 either. */
        expect_jwk_refused("{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\","
                           "\"y\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}",
                           CA_EJOSE);
        /* RFC 7638's modulus made even. */
        uint8_t *n = NULL;
        size_t n_len = 0;
        struct err err = {0};
        CHECK_OK(jose_b64url_decode(RFC7638_N, strlen(RFC7638_N), &n, &n_len, &err), &err);
        n[n_len - 1] &= 0xfe;
        char n_b64[400] = {0}, text[512];
        struct buf_writer w;
        buf_writer_init_fixed(&w, (uint8_t *)n_b64, sizeof n_b64 - 1);
        CHECK_OK(jose_b64url_encode(n, n_len, &w, &err), &err);
        snprintf(text, sizeof text, "{\"kty\":\"RSA\",\"e\":\"AQAB\",\"n\":\"%s\"}", n_b64);
        free(n);
        expect_jwk_refused(text, CA_EJOSE);
        /* The same text with the modulus odd again is a key: the refusal above is for the even modulus. */
        n_b64[strlen(n_b64) - 1] = RFC7638_N[strlen(RFC7638_N) - 1];
        snprintf(text, sizeof text, "{\"kty\":\"RSA\",\"e\":\"AQAB\",\"n\":\"%s\"}", n_b64);
        expect_jwk_refused(text, 0);
        /* Missing members, wrong types, not an object, not JSON. */
        expect_jwk_refused("{\"kty\":\"RSA\",\"n\":\"" RFC7638_N "\"}", CA_EJOSE);
        expect_jwk_refused("{\"kty\":\"EC\",\"x\":\"" RFC7515_A3_X "\",\"y\":\"" RFC7515_A3_Y "\"}", CA_EJOSE);
        expect_jwk_refused("{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":1,\"y\":\"" RFC7515_A3_Y "\"}", CA_EJOSE);
        expect_jwk_refused("{\"crv\":\"P-256\",\"x\":\"" RFC7515_A3_X "\",\"y\":\"" RFC7515_A3_Y "\"}", CA_EJOSE);
        expect_jwk_refused("[]", CA_EJOSE);
        expect_jwk_refused("{\"kty\":", CA_EJOSE);
}

static void test_payload_json(void)
{
        static const char *const payloads[][2] = {
            {"{\"onlyReturnExisting\":true}", "0"},
            {"", "-"},
            {"[1]", "-"},
            {"{\"a\":1,\"a\":2}", "-"},
        };
        for (size_t i = 0; i < sizeof payloads / sizeof payloads[0]; i++) {
                char header[256], payload[256], text[1024];
                flattened(text, sizeof text, b64(header, sizeof header, "{\"alg\":\"ES256\",\"kid\":\"k\"}"),
                          b64(payload, sizeof payload, payloads[i][0]), RFC7515_A3_SIGNATURE);
                struct jose_jws jws;
                struct err err = {0};
                json_t *object = NULL;
                CHECK_OK(parse_text(&jws, text, true, &err), &err);
                CHECK_EQ(jws.payload_len, strlen(payloads[i][0]));
                int status = jose_jws_payload_json(&jws, &object, &err);
                CHECK_EQ(status, payloads[i][1][0] == '0' ? 0 : CA_EJOSE);
                CHECK((object != NULL) == (status == 0));
                json_decref(object);
                jose_jws_clear(&jws);
        }
}

CHECK_MAIN(CHECK_TEST(test_b64url_rfc4648_vectors), CHECK_TEST(test_b64url_matches_openssl),
           CHECK_TEST(test_b64url_refuses_non_strict), CHECK_TEST(test_rfc7515_a3_es256),
           CHECK_TEST(test_rfc7515_a2_rs256), CHECK_TEST(test_rfc7515_a4_es512), CHECK_TEST(test_rfc8037_ed25519),
           CHECK_TEST(test_rfc7638_thumbprint), CHECK_TEST(test_certbot_new_account), CHECK_TEST(test_header_refusals),
           CHECK_TEST(test_envelope_refusals), CHECK_TEST(test_signature_refusals), CHECK_TEST(test_alg_key_mismatch),
           CHECK_TEST(test_jwk_refusals), CHECK_TEST(test_payload_json))
