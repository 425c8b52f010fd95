/* src/crypto/ocsp_response.c: building OCSPResponse (RFC 6960 4.2.1): the unsigned error answers and the
 * signed BasicOCSPResponse, SM2-with-SM3 for SM2 responders (GM/T 0009 10 ID), SHA-256 for EC and RSA ones. */
#include <string.h>

#include <openssl/x509.h>

#include "crypto/crypto_error.h"
#include "crypto/ocsp_internal.h"
#include "crypto/sm2.h"

/* A signature, big enough for RSA 8192 bits. */
#define OCSP_SIGNATURE_MAX 1024

static int ocsp_status_write(struct buf_writer *w, enum ocsp_response_status status, struct err *err)
{
        uint8_t value = (uint8_t)status;
        return ocsp_write_element(w, OCSP_TAG_ENUMERATED, &value, 1, err);
}

int ocsp_response_build_error(struct buf_writer *out, enum ocsp_response_status status, struct err *err)
{
        if (status != OCSP_RESPONSE_MALFORMED_REQUEST && status != OCSP_RESPONSE_INTERNAL_ERROR &&
            status != OCSP_RESPONSE_TRY_LATER && status != OCSP_RESPONSE_SIG_REQUIRED &&
            status != OCSP_RESPONSE_UNAUTHORIZED)
                return SMT_ERR(err, SMT_EINVAL, "ocsp_response_build_error: status %d is not an error status",
                               (int)status);
        struct buf_writer body;
        ocsp_writer_init(&body);
        int result = ocsp_status_write(&body, status, err);
        if (result == 0)
                result = ocsp_seal(out, DER_TAG_SEQUENCE, &body, err);
        buf_writer_cleanup(&body);
        return result;
}

/* ocsp_cert_status_write writes CertStatus: good [0] IMPLICIT NULL, revoked [1] IMPLICIT RevokedInfo,
 * unknown [2] IMPLICIT NULL. */
static int ocsp_cert_status_write(struct buf_writer *w, const struct ocsp_single *single, struct err *err)
{
        if (single->status == OCSP_CERT_GOOD)
                return ocsp_write_element(w, OCSP_TAG_IMPLICIT0_NULL, NULL, 0, err);
        if (single->status == OCSP_CERT_UNKNOWN)
                return ocsp_write_element(w, OCSP_TAG_IMPLICIT2_NULL, NULL, 0, err);
        struct buf_writer info, reason;
        ocsp_writer_init(&info);
        ocsp_writer_init(&reason);
        int status = ocsp_time_write(&info, single->revocation_time, err);
        if (status == 0 && single->revocation_reason >= 0) {
                uint8_t value = (uint8_t)single->revocation_reason;
                status = ocsp_write_element(&reason, OCSP_TAG_ENUMERATED, &value, 1, err);
                if (status == 0)
                        status = ocsp_seal(&info, OCSP_TAG_CTX0, &reason, err);
        }
        if (status == 0)
                status = ocsp_seal(w, OCSP_TAG_CTX1, &info, err);
        buf_writer_cleanup(&info);
        buf_writer_cleanup(&reason);
        return status;
}

static int ocsp_single_check(const struct ocsp_single *s, size_t index, struct err *err)
{
        if (s->cert_id.der_len == 0 || s->cert_id.der_len > sizeof s->cert_id.der)
                return SMT_ERR(err, SMT_EINVAL, "ocsp_response_build: response %zu has no CertID encoding", index);
        if (s->status != OCSP_CERT_GOOD && s->status != OCSP_CERT_REVOKED && s->status != OCSP_CERT_UNKNOWN)
                return SMT_ERR(err, SMT_EINVAL, "ocsp_response_build: response %zu status %d", index, (int)s->status);
        /* RFC 5280 5.3.1: CRLReason 0..10, 7 unused. */
        if (s->status == OCSP_CERT_REVOKED &&
            (s->revocation_reason < -1 || s->revocation_reason > 10 || s->revocation_reason == 7))
                return SMT_ERR(err, SMT_EINVAL, "ocsp_response_build: revocation reason %d, expected -1 or 0..10 "
                               "but 7", s->revocation_reason);
        if (s->next_update != 0 && s->next_update < s->this_update)
                return SMT_ERR(err, SMT_EINVAL, "ocsp_response_build: nextUpdate before thisUpdate");
        return SMT_OK;
}

static int ocsp_single_write(struct buf_writer *list, const struct ocsp_single *s, struct err *err)
{
        struct buf_writer body, next;
        ocsp_writer_init(&body);
        ocsp_writer_init(&next);
        int status = buf_write_bytes(&body, s->cert_id.der, s->cert_id.der_len) < 0
                             ? SMT_ERR(err, SMT_ENOSPACE, "ocsp_response_build: CertID")
                             : ocsp_cert_status_write(&body, s, err);
        if (status == 0)
                status = ocsp_time_write(&body, s->this_update, err);
        if (status == 0 && s->next_update != 0) {
                status = ocsp_time_write(&next, s->next_update, err);
                if (status == 0)
                        status = ocsp_seal(&body, OCSP_TAG_CTX0, &next, err);
        }
        if (status == 0)
                status = ocsp_seal(list, DER_TAG_SEQUENCE, &body, err);
        buf_writer_cleanup(&body);
        buf_writer_cleanup(&next);
        return status;
}

/* ocsp_tbs_write writes ResponseData: v1 (default, so omitted), responderID byKey, producedAt, responses,
 * the nonce extension. */
static int ocsp_tbs_write(struct buf_writer *out, const struct ocsp_signer *signer, time_t produced_at,
                          const struct ocsp_single *singles, size_t num, const uint8_t *nonce, size_t nonce_len,
                          struct err *err)
{
        uint8_t key_hash[EVP_MAX_MD_SIZE];
        size_t key_hash_len = 0;
        struct buf_writer body, id, list;
        ocsp_writer_init(&body);
        ocsp_writer_init(&id);
        ocsp_writer_init(&list);
        int status = ocsp_key_hash(signer->cert, NULL, key_hash, &key_hash_len, err);
        if (status == 0)
                status = ocsp_write_element(&id, DER_TAG_OCTET_STRING, key_hash, key_hash_len, err);
        if (status == 0)
                status = ocsp_seal(&body, OCSP_TAG_CTX2, &id, err);
        if (status == 0)
                status = ocsp_time_write(&body, produced_at, err);
        for (size_t i = 0; i < num && status == 0; i++)
                status = ocsp_single_write(&list, &singles[i], err);
        if (status == 0)
                status = ocsp_seal(&body, DER_TAG_SEQUENCE, &list, err);
        if (status == 0 && nonce != NULL)
                status = ocsp_nonce_extensions_write(&body, OCSP_TAG_CTX1, nonce, nonce_len, err);
        if (status == 0)
                status = ocsp_seal(out, DER_TAG_SEQUENCE, &body, err);
        buf_writer_cleanup(&body);
        buf_writer_cleanup(&id);
        buf_writer_cleanup(&list);
        return status;
}

/* ocsp_sign_evp signs msg with SHA-256 (ECDSA or RSA PKCS #1 v1.5) and names the algorithm in alg. */
static int ocsp_sign_evp(const struct key *key, const uint8_t *msg, size_t msg_len, uint8_t *sig, size_t *sig_len,
                         const struct ocsp_oid **alg, struct err *err)
{
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        size_t len = OCSP_SIGNATURE_MAX;
        bool ok = ctx != NULL && EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key_evp(key)) == 1 &&
                  EVP_DigestSign(ctx, NULL, &len, msg, msg_len) == 1 && len <= OCSP_SIGNATURE_MAX &&
                  EVP_DigestSign(ctx, sig, &len, msg, msg_len) == 1;
        EVP_MD_CTX_free(ctx);
        if (!ok)
                return crypto_error_set(err, CRYPTO_EOPENSSL, "ocsp: signing with %s", key_alg_name(key_get_alg(key)));
        *sig_len = len;
        *alg = key_get_alg(key) == KEY_ALG_EC_P256 || key_get_alg(key) == KEY_ALG_EC_P384 ? &ocsp_oid_ecdsa_sha256
                                                                                            : &ocsp_oid_rsa_sha256;
        return SMT_OK;
}

/* ocsp_signature_write appends signatureAlgorithm and signature over tbs. */
static int ocsp_signature_write(struct buf_writer *out, const struct key *key, const struct buf_writer *tbs,
                                struct err *err)
{
        uint8_t sig[OCSP_SIGNATURE_MAX + 1] = {0}; /* sig[0]: the BIT STRING's unused-bits octet */
        size_t sig_len = 0;
        const struct ocsp_oid *alg = &ocsp_oid_sm2_sm3;
        if (key_get_alg(key) == KEY_ALG_SM2)
                TRY(sm2_sign(key, sig + 1, &sig_len, NULL, tbs->data, tbs->len, err));
        else
                TRY(ocsp_sign_evp(key, tbs->data, tbs->len, sig + 1, &sig_len, &alg, err));
        struct buf_writer alg_id;
        ocsp_writer_init(&alg_id);
        int status = ocsp_write_element(&alg_id, DER_TAG_OID, alg->data, alg->len, err);
        if (status == 0 && alg == &ocsp_oid_rsa_sha256) /* RFC 4055 5: NULL parameters for RSA */
                status = ocsp_write_element(&alg_id, DER_TAG_NULL, NULL, 0, err);
        if (status == 0)
                status = ocsp_seal(out, DER_TAG_SEQUENCE, &alg_id, err);
        if (status == 0)
                status = ocsp_write_element(out, DER_TAG_BIT_STRING, sig, sig_len + 1, err);
        buf_writer_cleanup(&alg_id);
        return status;
}

static int ocsp_certs_write(struct buf_writer *out, const struct ocsp_signer *signer, struct err *err)
{
        size_t num_extra = signer->extra != NULL ? cert_chain_count(signer->extra) : 0;
        if (signer->omit_cert && num_extra == 0)
                return SMT_OK;
        struct buf_writer list, wrapper;
        ocsp_writer_init(&list);
        ocsp_writer_init(&wrapper);
        int status = 0;
        for (size_t i = signer->omit_cert ? 1 : 0; i <= num_extra && status == 0; i++) {
                const uint8_t *der = NULL;
                size_t len = 0;
                cert_der(i == 0 ? signer->cert : cert_chain_get(signer->extra, i - 1), &der, &len);
                if (buf_write_bytes(&list, der, len) < 0)
                        status = SMT_ERR(err, SMT_ENOSPACE, "ocsp_response_build: certificates exceed %d bytes",
                                         OCSP_RESPONSE_MAX);
        }
        if (status == 0)
                status = ocsp_seal(&wrapper, DER_TAG_SEQUENCE, &list, err);
        if (status == 0)
                status = ocsp_seal(out, OCSP_TAG_CTX0, &wrapper, err);
        buf_writer_cleanup(&list);
        buf_writer_cleanup(&wrapper);
        return status;
}

static int ocsp_build_check(const struct ocsp_signer *signer, const struct ocsp_single *singles, size_t num,
                            const uint8_t *nonce, size_t nonce_len, struct err *err)
{
        if (num == 0 || num > OCSP_MAX_CERT_IDS)
                return SMT_ERR(err, SMT_EINVAL, "ocsp_response_build: %zu responses, expected 1..%d", num,
                               OCSP_MAX_CERT_IDS);
        if (nonce != NULL && (nonce_len == 0 || nonce_len > OCSP_NONCE_MAX))
                return SMT_ERR(err, SMT_EINVAL, "ocsp_response_build: nonce of %zu bytes, expected 1..%d", nonce_len,
                               OCSP_NONCE_MAX);
        if (signer->cert == NULL || signer->key == NULL || !key_is_private(signer->key))
                return SMT_ERR(err, SMT_EINVAL, "ocsp_response_build: signer needs a certificate and a private key");
        if (EVP_PKEY_eq(X509_get0_pubkey(cert_x509(signer->cert)), key_evp(signer->key)) != 1)
                return SMT_ERR(err, CRYPTO_EWRONGALG, "ocsp_response_build: the key does not match the responder "
                               "certificate");
        for (size_t i = 0; i < num; i++)
                TRY(ocsp_single_check(&singles[i], i, err));
        return SMT_OK;
}

/* ocsp_response_wrap writes OCSPResponse { successful, [0] ResponseBytes { id-pkix-ocsp-basic, basic } }. */
static int ocsp_response_wrap(struct buf_writer *out, struct buf_writer *basic, struct err *err)
{
        struct buf_writer bytes, explicit0, response;
        ocsp_writer_init(&bytes);
        ocsp_writer_init(&explicit0);
        ocsp_writer_init(&response);
        int status = ocsp_write_element(&bytes, DER_TAG_OID, ocsp_oid_basic.data, ocsp_oid_basic.len, err);
        if (status == 0)
                status = ocsp_seal(&bytes, DER_TAG_OCTET_STRING, basic, err);
        if (status == 0)
                status = ocsp_seal(&explicit0, DER_TAG_SEQUENCE, &bytes, err);
        if (status == 0)
                status = ocsp_status_write(&response, OCSP_RESPONSE_SUCCESSFUL, err);
        if (status == 0)
                status = ocsp_seal(&response, OCSP_TAG_CTX0, &explicit0, err);
        if (status == 0)
                status = ocsp_seal(out, DER_TAG_SEQUENCE, &response, err);
        buf_writer_cleanup(&bytes);
        buf_writer_cleanup(&explicit0);
        buf_writer_cleanup(&response);
        return status;
}

int ocsp_response_build(struct buf_writer *out, const struct ocsp_signer *signer, time_t produced_at,
                        const struct ocsp_single *singles, size_t num_singles, const uint8_t *nonce,
                        size_t nonce_len, struct err *err)
{
        TRY(ocsp_build_check(signer, singles, num_singles, nonce, nonce_len, err));
        struct buf_writer tbs, body, basic;
        ocsp_writer_init(&tbs);
        ocsp_writer_init(&body);
        ocsp_writer_init(&basic);
        int status = ocsp_tbs_write(&tbs, signer, produced_at, singles, num_singles, nonce, nonce_len, err);
        if (status == 0 && buf_write_bytes(&body, tbs.data, tbs.len) < 0)
                status = SMT_ERR(err, SMT_ENOSPACE, "ocsp_response_build: ResponseData");
        if (status == 0)
                status = ocsp_signature_write(&body, signer->key, &tbs, err);
        if (status == 0)
                status = ocsp_certs_write(&body, signer, err);
        if (status == 0)
                status = ocsp_seal(&basic, DER_TAG_SEQUENCE, &body, err);
        if (status == 0)
                status = ocsp_response_wrap(out, &basic, err);
        buf_writer_cleanup(&tbs);
        buf_writer_cleanup(&body);
        buf_writer_cleanup(&basic);
        return status;
}

int ocsp_response_presign(struct buf_writer *out, const struct ocsp_signer *signer, time_t produced_at,
                          const struct ocsp_single *single, struct err *err)
{
        return ocsp_response_build(out, signer, produced_at, single, 1, NULL, 0, err);
}
