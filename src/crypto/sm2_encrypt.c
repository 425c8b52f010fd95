/* src/crypto/sm2_encrypt.c: SM2 public key encryption (GB/T 32918.4 §6) over OpenSSL's EVP.
 *
 * OpenSSL 3.0 reads and writes only the GM/T 0009 ASN.1 form (with SM3 for C3 and the KDF). Every
 * ciphertext therefore passes through our strict codec: what OpenSSL writes is parsed and written in
 * the requested format, and what we are given is parsed and re-encoded as DER before OpenSSL sees it,
 * so both formats get the same checks. */
#include "crypto/sm2.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "crypto/crypto_error.h"

static int sm2_encrypt_check_key(const struct key *key, struct err *err)
{
        enum key_alg alg = key_get_alg(key);
        if (alg != KEY_ALG_SM2)
                return SMT_ERR(err, CRYPTO_EWRONGALG, "key is %s, SM2 needed", key_alg_name(alg));
        return SMT_OK;
}

/* sm2_encrypt_evp runs OpenSSL's encryption and hands back its ASN.1 ciphertext in *out (free() it). */
static int sm2_encrypt_evp(const struct key *key, uint8_t **out, size_t *out_len, const uint8_t *in, size_t in_len,
                           struct err *err)
{
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key_evp(key), NULL);
        size_t len = 0;
        uint8_t *ciphertext = NULL;
        int status = SMT_OK;
        if (ctx == NULL || EVP_PKEY_encrypt_init(ctx) != 1 || EVP_PKEY_encrypt(ctx, NULL, &len, in, in_len) != 1)
                status = crypto_error_set(err, CRYPTO_EOPENSSL, "sm2_encrypt");
        else if ((ciphertext = malloc(len)) == NULL)
                status = SMT_ERR(err, SMT_ENOMEM, "sm2_encrypt: no room for a %zu-byte ciphertext", len);
        /* The first call gives an upper bound; len becomes what was written. */
        else if (EVP_PKEY_encrypt(ctx, ciphertext, &len, in, in_len) != 1)
                status = crypto_error_set(err, CRYPTO_EOPENSSL, "sm2_encrypt");
        EVP_PKEY_CTX_free(ctx);
        if (status < 0) {
                free(ciphertext);
                return status;
        }
        *out = ciphertext;
        *out_len = len;
        return SMT_OK;
}

int sm2_encrypt(const struct key *key, struct buf_writer *out, enum sm2_ciphertext_format format, const uint8_t *in,
                size_t in_len, struct err *err)
{
        TRY(sm2_encrypt_check_key(key, err));
        /* GB/T 32918.4 §6.1 step A5 starts over while t = KDF(x2 || y2, klen) is all zeros, which an empty t
         * always is. */
        if (in_len == 0)
                return SMT_ERR(err, SMT_EINVAL, "nothing to encrypt: SM2 needs at least 1 byte");
        uint8_t *asn1;
        size_t asn1_len;
        TRY(sm2_encrypt_evp(key, &asn1, &asn1_len, in, in_len, err));
        struct sm2_ciphertext ct;
        int status = sm2_ciphertext_parse(&ct, SM2_CIPHERTEXT_ASN1, asn1, asn1_len, err);
        if (status == SMT_OK)
                status = sm2_ciphertext_write(out, &ct, format, err);
        free(asn1);
        return status;
}

/* sm2_decrypt_evp decrypts DER bytes into a temporary buffer and appends it to out only when OpenSSL
 * accepted C3, so a failure leaves out as it was; the temporary is wiped either way. */
static int sm2_decrypt_evp(const struct key *key, struct buf_writer *out, const uint8_t *asn1, size_t asn1_len,
                           struct err *err)
{
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key_evp(key), NULL);
        size_t cap = 0;
        /* The size query reads C2's length from the DER. */
        if (ctx == NULL || EVP_PKEY_decrypt_init(ctx) != 1 || EVP_PKEY_decrypt(ctx, NULL, &cap, asn1, asn1_len) != 1) {
                EVP_PKEY_CTX_free(ctx);
                return crypto_error_set(err, CRYPTO_EOPENSSL, "sm2_decrypt");
        }
        uint8_t *plain = malloc(cap > 0 ? cap : 1);
        size_t len = cap;
        int status = SMT_OK;
        if (plain == NULL) {
                status = SMT_ERR(err, SMT_ENOMEM, "sm2_decrypt: no room for %zu bytes of plaintext", cap);
        } else if (EVP_PKEY_decrypt(ctx, plain, &len, asn1, asn1_len) != 1) {
                /* A changed C1, C2 or C3, or another key, all end here: C3 = SM3(x2 || M || y2) does not
                 * match (GB/T 32918.4 §7.1 step B6) or C1 is not on the curve (step B1). */
                crypto_error_clear();
                status = SMT_ERR(err, CRYPTO_EDECRYPT, "decryption failed: ciphertext changed or for another key");
        } else if (buf_write_bytes(out, plain, len) < 0) {
                status = SMT_ERR(err, SMT_ENOSPACE, "sm2_decrypt: no room for %zu bytes of plaintext", len);
        }
        EVP_PKEY_CTX_free(ctx);
        if (plain != NULL) {
                explicit_bzero(plain, cap);
                free(plain);
        }
        return status;
}

int sm2_decrypt(const struct key *key, struct buf_writer *out, enum sm2_ciphertext_format format, const uint8_t *in,
                size_t in_len, struct err *err)
{
        TRY(sm2_encrypt_check_key(key, err));
        if (!key_is_private(key))
                return SMT_ERR(err, CRYPTO_EKEY, "key is a public key; decryption needs the private key");
        struct sm2_ciphertext ct;
        TRY(sm2_ciphertext_parse(&ct, format, in, in_len, err));
        struct buf_writer asn1;
        buf_writer_init_heap(&asn1, ct.c2.len + SM2_CIPHERTEXT_ASN1_OVERHEAD_MAX);
        int status = sm2_ciphertext_write(&asn1, &ct, SM2_CIPHERTEXT_ASN1, err);
        if (status == SMT_OK)
                status = sm2_decrypt_evp(key, out, asn1.data, asn1.len, err);
        buf_writer_cleanup(&asn1);
        return status;
}
