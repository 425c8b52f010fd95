/* src/crypto/jose_sign.c: making flattened JWS (RFC 7515 7.2.2) for our own ACME client and tests, and
 * the HMAC algorithms of RFC 7518 3.2 both ways for external account binding (RFC 8555 7.3.4).
 *
 * The protected header is written compactly with its members in the order the header documents (alg,
 * nonce, url, kid or jwk), as certbot and lego write theirs; ECDSA signatures are converted from OpenSSL's
 * DER to the fixed-length R || S of RFC 7518 3.4. */
#include "crypto/jose.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "crypto/crypto_error.h"

/* The largest signature we make: RSA-8192 (1024 bytes); ECDSA P-384 is 96, HMAC-SHA-512 64. */
#define JOSE_SIGNATURE_MAX 1024

/* The HMAC algorithms of RFC 7518 section 3.2. */
static const struct jose_hmac_alg {
        const char *alg;
        const char *digest;
} jose_hmac_algs[] = {{"HS256", "SHA256"}, {"HS384", "SHA384"}, {"HS512", "SHA512"}};

/* A signer turns the signing input into signature bytes (at most JOSE_SIGNATURE_MAX). */
struct jose_signer {
        int (*sign)(const struct jose_signer *signer, const uint8_t *input, size_t input_len,
                    uint8_t sig[JOSE_SIGNATURE_MAX], size_t *sig_len, struct err *err);
        const struct key *key;   /* ECDSA and RSA */
        size_t coordinate_len;   /* ECDSA only */
        const uint8_t *hmac_key; /* HMAC only */
        size_t hmac_key_len;
};

static int jose_hmac(const char *digest, const uint8_t *key, size_t key_len, const uint8_t *input, size_t input_len,
                     uint8_t mac[EVP_MAX_MD_SIZE], size_t *mac_len, struct err *err)
{
        if (key_len == 0)
                return SMT_ERR(err, SMT_EINVAL, "jws: an empty HMAC key");
        if (EVP_Q_mac(NULL, "HMAC", NULL, digest, NULL, key, key_len, input, input_len, mac, EVP_MAX_MD_SIZE,
                      mac_len) == NULL)
                return crypto_error_set(err, CRYPTO_EOPENSSL, "jws: HMAC-%s", digest);
        return SMT_OK;
}

static int jose_sign_hmac_sha256(const struct jose_signer *signer, const uint8_t *input, size_t input_len,
                                 uint8_t sig[JOSE_SIGNATURE_MAX], size_t *sig_len, struct err *err)
{
        return jose_hmac("SHA256", signer->hmac_key, signer->hmac_key_len, input, input_len, sig, sig_len, err);
}

static int jose_evp_sign(EVP_PKEY *pkey, const uint8_t *input, size_t input_len, uint8_t sig[JOSE_SIGNATURE_MAX],
                         size_t *sig_len, struct err *err)
{
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        size_t len = JOSE_SIGNATURE_MAX;
        bool ok = ctx != NULL && EVP_DigestSignInit_ex(ctx, NULL, "SHA256", NULL, NULL, pkey, NULL) == 1 &&
                  EVP_DigestSign(ctx, NULL, &len, input, input_len) == 1 && len <= JOSE_SIGNATURE_MAX &&
                  EVP_DigestSign(ctx, sig, &len, input, input_len) == 1;
        EVP_MD_CTX_free(ctx);
        if (!ok)
                return crypto_error_set(err, CRYPTO_EKEY, "jws: signing with the %s key",
                                        EVP_PKEY_get0_type_name(pkey));
        *sig_len = len;
        return SMT_OK;
}

static int jose_sign_rsa(const struct jose_signer *signer, const uint8_t *input, size_t input_len,
                         uint8_t sig[JOSE_SIGNATURE_MAX], size_t *sig_len, struct err *err)
{
        /* RS256: RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7518 3.3), OpenSSL's default padding for RSA keys. */
        return jose_evp_sign(key_evp(signer->key), input, input_len, sig, sig_len, err);
}

/* jose_ecdsa_from_der writes the DER signature's r and s as R || S, each coordinate_len bytes. */
static int jose_ecdsa_from_der(const uint8_t *der, size_t der_len, size_t coordinate_len,
                               uint8_t sig[JOSE_SIGNATURE_MAX], size_t *sig_len, struct err *err)
{
        const unsigned char *p = der;
        ECDSA_SIG *ecdsa = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
        const BIGNUM *r = NULL, *s = NULL;
        if (ecdsa != NULL)
                ECDSA_SIG_get0(ecdsa, &r, &s);
        bool ok = ecdsa != NULL && BN_bn2binpad(r, sig, (int)coordinate_len) >= 0 &&
                  BN_bn2binpad(s, sig + coordinate_len, (int)coordinate_len) >= 0;
        ECDSA_SIG_free(ecdsa);
        if (!ok)
                return crypto_error_set(err, CRYPTO_EOPENSSL, "jws: converting an ECDSA signature to R || S");
        *sig_len = 2 * coordinate_len;
        return SMT_OK;
}

static int jose_sign_ecdsa(const struct jose_signer *signer, const uint8_t *input, size_t input_len,
                           uint8_t sig[JOSE_SIGNATURE_MAX], size_t *sig_len, struct err *err)
{
        uint8_t der[JOSE_SIGNATURE_MAX];
        size_t der_len = 0;
        EVP_PKEY *pkey = key_evp(signer->key);
        /* ES256 hashes with SHA-256, ES384 with SHA-384 (RFC 7518 3.4). */
        const char *digest = signer->coordinate_len == 32 ? "SHA256" : "SHA384";
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        size_t len = sizeof der;
        bool ok = ctx != NULL && EVP_DigestSignInit_ex(ctx, NULL, digest, NULL, NULL, pkey, NULL) == 1 &&
                  EVP_DigestSign(ctx, der, &len, input, input_len) == 1;
        EVP_MD_CTX_free(ctx);
        if (!ok)
                return crypto_error_set(err, CRYPTO_EKEY, "jws: ECDSA signing");
        der_len = len;
        return jose_ecdsa_from_der(der, der_len, signer->coordinate_len, sig, sig_len, err);
}

/* jose_jws_write_parts signs BASE64URL(header) '.' BASE64URL(payload) and appends the flattened JWS. */
static int jose_jws_write_parts(const struct jose_signer *signer, const struct buf_writer *header_b64,
                                const struct buf_writer *payload_b64, struct buf_writer *out, struct err *err)
{
        struct buf_writer input;
        uint8_t sig[JOSE_SIGNATURE_MAX];
        size_t sig_len = 0;
        buf_writer_init_heap(&input, 2 * JOSE_JWS_MAX);
        int status = SMT_OK;
        if (buf_write_bytes(&input, header_b64->data, header_b64->len) < 0 || buf_write_u8(&input, '.') < 0 ||
            buf_write_bytes(&input, payload_b64->data, payload_b64->len) < 0)
                status = SMT_ERR(err, SMT_ENOMEM, "jws: out of memory for the signing input");
        if (status == SMT_OK)
                status = signer->sign(signer, input.data, input.len, sig, &sig_len, err);
        buf_writer_cleanup(&input);
        static const char protected_open[] = "{\"protected\":\"", payload_open[] = "\",\"payload\":\"",
                          signature_open[] = "\",\"signature\":\"", close[] = "\"}";
        if (status == SMT_OK && (buf_write_bytes(out, (const uint8_t *)protected_open, strlen(protected_open)) < 0 ||
                                 buf_write_bytes(out, header_b64->data, header_b64->len) < 0 ||
                                 buf_write_bytes(out, (const uint8_t *)payload_open, strlen(payload_open)) < 0 ||
                                 buf_write_bytes(out, payload_b64->data, payload_b64->len) < 0 ||
                                 buf_write_bytes(out, (const uint8_t *)signature_open, strlen(signature_open)) < 0))
                status = SMT_ERR(err, SMT_ENOSPACE, "jws: no room for the JWS");
        if (status == SMT_OK)
                status = jose_b64url_encode(sig, sig_len, out, err);
        if (status == SMT_OK && buf_write_bytes(out, (const uint8_t *)close, strlen(close)) < 0)
                status = SMT_ERR(err, SMT_ENOSPACE, "jws: no room for the JWS");
        OPENSSL_cleanse(sig, sizeof sig); /* an HMAC tag is as good as the key for this input */
        return status;
}

/* jose_jws_write encodes header and payload and appends the signed flattened JWS to out; on failure out is
 * left as it was. */
static int jose_jws_write(const struct jose_signer *signer, const json_t *header, const uint8_t *payload,
                          size_t payload_len, struct buf_writer *out, struct err *err)
{
        char *header_text = json_dumps(header, JSON_COMPACT);
        if (header_text == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "jws: out of memory for the header");
        struct buf_writer header_b64, payload_b64;
        buf_writer_init_heap(&header_b64, JOSE_JWS_MAX);
        buf_writer_init_heap(&payload_b64, JOSE_JWS_MAX);
        size_t start = out->len;
        int status = jose_b64url_encode((const uint8_t *)header_text, strlen(header_text), &header_b64, err);
        if (status == SMT_OK)
                status = jose_b64url_encode(payload, payload_len, &payload_b64, err);
        if (status == SMT_OK)
                status = jose_jws_write_parts(signer, &header_b64, &payload_b64, out, err);
        if (status < 0)
                buf_writer_truncate(out, start);
        free(header_text);
        buf_writer_cleanup(&header_b64);
        buf_writer_cleanup(&payload_b64);
        return status;
}

/* jose_signer_for_key picks the algorithm that fits key (RFC 7518 3.1) and the function that signs with it. */
static int jose_signer_for_key(struct jose_signer *signer, const char **alg, const struct key *key, struct err *err)
{
        if (!key_is_private(key))
                return SMT_ERR(err, CRYPTO_EKEY, "jws: signing needs a private key; this one is public only");
        switch (key_get_alg(key)) {
        case KEY_ALG_EC_P256:
                *signer = (struct jose_signer){.sign = jose_sign_ecdsa, .key = key, .coordinate_len = 32};
                *alg = "ES256";
                return SMT_OK;
        case KEY_ALG_EC_P384:
                *signer = (struct jose_signer){.sign = jose_sign_ecdsa, .key = key, .coordinate_len = 48};
                *alg = "ES384";
                return SMT_OK;
        case KEY_ALG_RSA_2048:
        case KEY_ALG_RSA_3072:
        case KEY_ALG_RSA_OTHER:
                *signer = (struct jose_signer){.sign = jose_sign_rsa, .key = key};
                *alg = "RS256";
                return SMT_OK;
        case KEY_ALG_SM2:
                break;
        }
        return SMT_ERR(err, CRYPTO_EWRONGALG, "jws: a %s key has no JWS algorithm; expected EC P-256, P-384 or RSA",
                       key_alg_name(key_get_alg(key)));
}

/* jose_header_add_jwk sets "jwk" to the canonical JWK of key's public half. */
static int jose_header_add_jwk(json_t *header, const struct key *key, struct err *err)
{
        struct jose_jwk *jwk = NULL;
        TRY(jose_jwk_from_key(&jwk, key, err));
        json_t *object = jose_jwk_to_json(jwk);
        jose_jwk_free(jwk);
        if (object == NULL || json_object_set_new(header, "jwk", object) != 0)
                return SMT_ERR(err, SMT_ENOMEM, "jws: out of memory for the header");
        return SMT_OK;
}

static int jose_sign_header(json_t *header, const char *alg, const struct key *key, const char *kid, const char *nonce,
                            const char *url, struct err *err)
{
        if (json_object_set_new(header, "alg", json_string(alg)) != 0 ||
            (nonce != NULL && json_object_set_new(header, "nonce", json_string(nonce)) != 0) ||
            json_object_set_new(header, "url", json_string(url)) != 0 ||
            (kid != NULL && json_object_set_new(header, "kid", json_string(kid)) != 0))
                return SMT_ERR(err, SMT_EINVAL, "jws: nonce, url or kid is not UTF-8 (or out of memory)");
        if (kid == NULL)
                return jose_header_add_jwk(header, key, err);
        return SMT_OK;
}

int jose_jws_sign(const struct key *key, const char *kid, const char *nonce, const char *url, const uint8_t *payload,
                  size_t payload_len, struct buf_writer *out, struct err *err)
{
        if (url == NULL)
                return SMT_ERR(err, SMT_EINVAL, "jws: no url; RFC 8555 6.4 requires one in every request");
        struct jose_signer signer;
        const char *alg = NULL;
        TRY(jose_signer_for_key(&signer, &alg, key, err));
        json_t *header = json_object();
        if (header == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "jws: out of memory for the header");
        int status = jose_sign_header(header, alg, key, kid, nonce, url, err);
        if (status == SMT_OK)
                status = jose_jws_write(&signer, header, payload, payload_len, out, err);
        json_decref(header);
        return status;
}

int jose_jws_sign_hmac(const uint8_t *key, size_t key_len, const char *kid, const char *url, const uint8_t *payload,
                       size_t payload_len, struct buf_writer *out, struct err *err)
{
        if (kid == NULL || url == NULL)
                return SMT_ERR(err, SMT_EINVAL, "jws: an EAB JWS needs kid and url (RFC 8555 7.3.4)");
        json_t *header = json_object();
        if (header == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "jws: out of memory for the header");
        int status = SMT_OK;
        if (json_object_set_new(header, "alg", json_string("HS256")) != 0 ||
            json_object_set_new(header, "kid", json_string(kid)) != 0 ||
            json_object_set_new(header, "url", json_string(url)) != 0)
                status = SMT_ERR(err, SMT_EINVAL, "jws: kid or url is not UTF-8 (or out of memory)");
        struct jose_signer signer = {.sign = jose_sign_hmac_sha256, .hmac_key = key, .hmac_key_len = key_len};
        if (status == SMT_OK)
                status = jose_jws_write(&signer, header, payload, payload_len, out, err);
        json_decref(header);
        return status;
}

int jose_jws_verify_hmac(const struct jose_jws *jws, const uint8_t *key, size_t key_len, struct err *err)
{
        const char *digest = NULL;
        for (size_t i = 0; i < sizeof jose_hmac_algs / sizeof jose_hmac_algs[0]; i++)
                if (strcmp(jws->alg, jose_hmac_algs[i].alg) == 0)
                        digest = jose_hmac_algs[i].digest;
        if (digest == NULL)
                return SMT_ERR(err, CA_EJOSE_ALG, "jws: alg \"%.32s\" is not a MAC; expected HS256, HS384 or HS512",
                               jws->alg);
        uint8_t mac[EVP_MAX_MD_SIZE];
        size_t mac_len = 0;
        TRY(jose_hmac(digest, key, key_len, (const uint8_t *)jws->signing_input, jws->signing_input_len, mac, &mac_len,
                      err));
        bool ok = jws->signature_len == mac_len && CRYPTO_memcmp(mac, jws->signature, mac_len) == 0;
        OPENSSL_cleanse(mac, sizeof mac);
        if (!ok)
                return SMT_ERR(err, CRYPTO_EVERIFY, "jws: %s MAC of %zu bytes does not verify", jws->alg,
                               jws->signature_len);
        return SMT_OK;
}
