/* src/crypto/sm2.c: SM2 signatures with a distinguishing ID (GB/T 32918.2) over OpenSSL's EVP.
 * The ciphertext codec is sm2_ciphertext.c, encryption sm2_encrypt.c. */
#include "crypto/sm2.h"

#include <string.h>

#include <openssl/evp.h>

#include "base/der.h"
#include "crypto/crypto_error.h"

/* sm2_check_key refuses anything but an SM2 key, naming the key's algorithm. */
static int sm2_check_key(const struct key *key, struct err *err)
{
        enum key_alg alg = key_get_alg(key);
        if (alg != KEY_ALG_SM2)
                return SMT_ERR(err, CRYPTO_EWRONGALG, "key is %s, SM2 needed", key_alg_name(alg));
        return SMT_OK;
}

/* IDs are hashed with ENTL, their length in bits, as 16 bits (GB/T 32918.2 §5.5), which allows SM2_ID_MAX
 * (8191) bytes; OpenSSL 3.0 refuses one byte less (ossl_sm2_compute_z_digest: id_len >= UINT16_MAX / 8),
 * so that is where we stop, with our own error rather than a failure deep inside OpenSSL. */
#define SM2_OPENSSL_ID_MAX (SM2_ID_MAX - 1)

/* sm2_id_len resolves a NULL id to the default and bounds its length. */
static int sm2_id_len(const char **id, size_t *id_len, struct err *err)
{
        if (*id == NULL)
                *id = SM2_DEFAULT_ID;
        size_t len = strnlen(*id, SM2_ID_MAX + 1);
        if (len > SM2_OPENSSL_ID_MAX)
                return SMT_ERR(err, SMT_EINVAL, "ID of %s%zu bytes; at most %d are supported",
                               len > SM2_ID_MAX ? "over " : "", len > SM2_ID_MAX ? (size_t)SM2_ID_MAX : len,
                               SM2_OPENSSL_ID_MAX);
        *id_len = len;
        return SMT_OK;
}

/* sm2_digest_ctx_new makes an SM3 sign or verify context whose Z uses id. The ID is set on the EVP_PKEY_CTX
 * before the init (the order EVP_PKEY-SM2(7) shows); OpenSSL 3.0 otherwise hashes an empty ID, which
 * GM/T 0009 §10 does not use. */
static int sm2_digest_ctx_new(EVP_MD_CTX **out_md, EVP_PKEY_CTX **out_pkey, const struct key *key, bool is_sign,
                              const char *id, size_t id_len, const char *what, struct err *err)
{
        EVP_PKEY *pkey = key_evp(key);
        EVP_MD_CTX *md_ctx = EVP_MD_CTX_new();
        EVP_PKEY_CTX *pkey_ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
        int ok = md_ctx != NULL && pkey_ctx != NULL && EVP_PKEY_CTX_set1_id(pkey_ctx, (const uint8_t *)id, id_len) > 0;
        if (ok) {
                EVP_MD_CTX_set_pkey_ctx(md_ctx, pkey_ctx);
                ok = is_sign ? EVP_DigestSignInit(md_ctx, NULL, EVP_sm3(), NULL, pkey) == 1
                             : EVP_DigestVerifyInit(md_ctx, NULL, EVP_sm3(), NULL, pkey) == 1;
        }
        if (!ok) {
                EVP_MD_CTX_free(md_ctx);
                EVP_PKEY_CTX_free(pkey_ctx);
                return crypto_error_set(err, CRYPTO_EOPENSSL, "%s: setting up SM3 with the ID", what);
        }
        *out_md = md_ctx;
        *out_pkey = pkey_ctx;
        return SMT_OK;
}

/* sm2_digest_ctx_free releases both: an EVP_MD_CTX does not own a pkey context given by set_pkey_ctx. */
static void sm2_digest_ctx_free(EVP_MD_CTX *md_ctx, EVP_PKEY_CTX *pkey_ctx)
{
        EVP_MD_CTX_free(md_ctx);
        EVP_PKEY_CTX_free(pkey_ctx);
}

int sm2_sign(const struct key *key, uint8_t out[SM2_SIGNATURE_MAX], size_t *out_len, const char *id, const uint8_t *msg,
             size_t msg_len, struct err *err)
{
        static const uint8_t empty[1];
        size_t id_len = 0;
        TRY(sm2_check_key(key, err));
        if (!key_is_private(key))
                return SMT_ERR(err, CRYPTO_EKEY, "key is a public key; signing needs the private key");
        TRY(sm2_id_len(&id, &id_len, err));
        EVP_MD_CTX *md_ctx;
        EVP_PKEY_CTX *pkey_ctx;
        TRY(sm2_digest_ctx_new(&md_ctx, &pkey_ctx, key, true, id, id_len, "sm2_sign", err));
        size_t len = SM2_SIGNATURE_MAX;
        int status = SMT_OK;
        if (EVP_DigestSign(md_ctx, out, &len, msg != NULL ? msg : empty, msg_len) != 1)
                status = crypto_error_set(err, CRYPTO_EOPENSSL, "sm2_sign");
        else
                *out_len = len;
        sm2_digest_ctx_free(md_ctx, pkey_ctx);
        return status;
}

/* sm2_signature_check accepts only the DER form of GM/T 0009-2012 §7.3:
 * SEQUENCE { r INTEGER, s INTEGER }, each positive, minimal and at most 32 bytes, nothing after it. */
static int sm2_signature_check(const uint8_t *sig, size_t sig_len, struct err *err)
{
        struct buf_reader in = buf_reader_make(sig, sig_len);
        struct buf_reader seq;
        uint8_t r[SM2_SCALAR_LEN], s[SM2_SCALAR_LEN];
        TRY(der_read_element(&in, DER_TAG_SEQUENCE, &seq, "sm2 signature", err));
        TRY(buf_reader_expect_end(&in, "sm2 signature", err));
        TRY(der_read_unsigned_integer(&seq, r, sizeof r, "sm2 signature: r", err));
        TRY(der_read_unsigned_integer(&seq, s, sizeof s, "sm2 signature: s", err));
        return buf_reader_expect_end(&seq, "sm2 signature: SEQUENCE", err);
}

int sm2_verify(const struct key *key, const char *id, const uint8_t *msg, size_t msg_len, const uint8_t *sig,
               size_t sig_len, struct err *err)
{
        static const uint8_t empty[1];
        size_t id_len = 0;
        TRY(sm2_check_key(key, err));
        TRY(sm2_id_len(&id, &id_len, err));
        int status = sm2_signature_check(sig, sig_len, err);
        if (status < 0) {
                /* A short signature is as malformed as a wrong tag: the input is complete. */
                if (err != NULL)
                        err->code = SMT_EDECODE;
                return SMT_EDECODE;
        }
        EVP_MD_CTX *md_ctx;
        EVP_PKEY_CTX *pkey_ctx;
        TRY(sm2_digest_ctx_new(&md_ctx, &pkey_ctx, key, false, id, id_len, "sm2_verify", err));
        int verified = EVP_DigestVerify(md_ctx, sig, sig_len, msg != NULL ? msg : empty, msg_len);
        if (verified == 0) {
                crypto_error_clear();
                status = SMT_ERR(err, CRYPTO_EVERIFY, "signature does not verify");
        } else if (verified != 1)
                status = crypto_error_set(err, CRYPTO_EOPENSSL, "sm2_verify");
        sm2_digest_ctx_free(md_ctx, pkey_ctx);
        return status;
}
