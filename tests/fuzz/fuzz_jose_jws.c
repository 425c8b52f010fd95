/* tests/fuzz/fuzz_jose_jws.c: targets jose_jws_parse, jose_jws_payload_json (src/crypto/jose.c),
 * jose_jwk_from_json, jose_jwk_thumbprint, jose_jws_verify (jose_jwk.c) and jose_jws_verify_hmac
 * (jose_sign.c) on any bytes as the body of an ACME POST, and jose_jwk_from_text on the same bytes. Never a crash; a
 * parsed JWS is consistent; a JWK read from the header re-reads from its canonical form to the same key and thumbprint;
 * verification gives only the documented statuses; OpenSSL's error queue is left empty. Seeds:
 * tests/fuzz/corpus/fuzz_jose_jws/, JWS made by jose_jws_sign and jose_jws_sign_hmac (P-256, P-384, RSA,
 * EAB HS256), Ed25519 and P-521 ones made with OpenSSL, the RFC 7515 A.2/A.3 and RFC 8037 A.4 examples, and
 * the JWKs of RFC 7515 A.3, RFC 7638 3.1 and RFC 8037 A.2. */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "crypto/jose.h"

/* fuzz_check_canonical: a key re-read from its canonical JSON is the same key with the same thumbprint. */
static void fuzz_check_canonical(const struct jose_jwk *jwk)
{
        struct jose_jwk *again = NULL;
        struct err err = {0};
        char thumbprint[JOSE_THUMBPRINT_LEN], thumbprint_again[JOSE_THUMBPRINT_LEN];
        json_t *canonical = jose_jwk_to_json(jwk);
        if (canonical == NULL || jose_jwk_from_json(&again, canonical, &err) != 0 || !jose_jwk_equal(jwk, again) ||
            jose_jwk_thumbprint(jwk, thumbprint, &err) != 0 ||
            jose_jwk_thumbprint(again, thumbprint_again, &err) != 0 || strlen(thumbprint) != 43 ||
            strcmp(thumbprint, thumbprint_again) != 0)
                abort();
        json_decref(canonical);
        jose_jwk_free(again);
}

static void fuzz_check_jwk(const struct jose_jws *jws)
{
        struct jose_jwk *jwk = NULL;
        struct err err = {0};
        if (jose_jwk_from_json(&jwk, jws->jwk, &err) != 0)
                return;
        fuzz_check_canonical(jwk);
        int status = jose_jws_verify(jws, jwk, &err);
        if (status != 0 && status != CA_EJOSE_ALG && status != CRYPTO_EVERIFY)
                abort();
        jose_jwk_free(jwk);
}

/* fuzz_jwk_text reads the input as stored JWK text too, which reaches the key readers without the detour
 * through a base64url-encoded header. */
static void fuzz_jwk_text(const uint8_t *data, size_t len)
{
        char *text = malloc(len + 1);
        if (text == NULL)
                return;
        memcpy(text, data, len);
        text[len] = '\0';
        struct jose_jwk *jwk = NULL;
        struct err err = {0};
        int status = jose_jwk_from_text(&jwk, text, &err);
        if ((status == 0) != (jwk != NULL) || (status != 0 && err.msg[0] == '\0'))
                abort();
        if (jwk != NULL)
                fuzz_check_canonical(jwk);
        jose_jwk_free(jwk);
        free(text);
}

static void fuzz_check_parsed(const struct jose_jws *jws)
{
        struct err err = {0};
        if (jws->alg == NULL || jws->header == NULL || jws->signing_input == NULL ||
            strlen(jws->signing_input) != jws->signing_input_len || (jws->jwk != NULL && jws->kid != NULL))
                abort();
        json_t *payload = NULL;
        if (jose_jws_payload_json(jws, &payload, &err) == 0 && !json_is_object(payload))
                abort();
        json_decref(payload);
        static const uint8_t mac_key[32] = {1, 2, 3};
        int status = jose_jws_verify_hmac(jws, mac_key, sizeof mac_key, &err);
        if (status != 0 && status != CA_EJOSE_ALG && status != CRYPTO_EVERIFY)
                abort();
        if (jws->jwk != NULL)
                fuzz_check_jwk(jws);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
        struct jose_jws jws, strict;
        struct err err = {0};
        int status = jose_jws_parse(&jws, data, len, false, &err);
        if (status != 0 && (err.msg[0] == '\0' || jws.header != NULL || jws.signing_input != NULL))
                abort();
        /* Requiring a key id can only refuse more. */
        int strict_status = jose_jws_parse(&strict, data, len, true, &err);
        if (strict_status == 0 && status != 0)
                abort();
        jose_jws_clear(&strict);
        if (status == 0)
                fuzz_check_parsed(&jws);
        jose_jws_clear(&jws);
        fuzz_jwk_text(data, len);
        if (ERR_peek_error() != 0)
                abort();
        return 0;
}
