/* src/crypto/tsp_openssl.c: ECC/RSA time-stamp tokens through OpenSSL's TS API: TS_RESP_CTX signs (one
 * context per token, so any number of threads sign at once), told genTime and the serial by callbacks;
 * TS_RESP_verify_token checks signature, chain, the ESS signing-certificate attribute and the TSA's critical
 * timeStamping EKU. */
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ts.h>
#include <openssl/x509.h>

#include "crypto/crypto_error.h"
#include "crypto/tsp_internal.h"

static ASN1_INTEGER *tsp_openssl_serial_cb(TS_RESP_CTX *ctx, void *data)
{
        const struct tsp_grant *grant = data;
        BIGNUM *bn = BN_bin2bn(grant->serial, (int)grant->serial_len, NULL);
        ASN1_INTEGER *serial = bn != NULL ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
        BN_free(bn);
        if (serial == NULL)
                TS_RESP_CTX_set_status_info(ctx, TS_STATUS_REJECTION, "serial number unavailable");
        return serial;
}

static int tsp_openssl_time_cb(TS_RESP_CTX *ctx, void *data, long *sec, long *usec)
{
        (void)ctx;
        const struct tsp_grant *grant = data;
        *sec = (long)(grant->gen_time_us / 1000000);
        *usec = (long)(grant->gen_time_us % 1000000);
        return 1;
}

/* tsp_openssl_certs gives the certificates a token carries after the signer when certReq is true. */
static int tsp_openssl_certs(TS_RESP_CTX *ctx, const struct tsp_signer *signer)
{
        if (signer->chain == NULL)
                return 1;
        STACK_OF(X509) *certs = sk_X509_new_null();
        int ok = certs != NULL;
        for (size_t i = 0; ok && i < cert_chain_count(signer->chain); i++)
                ok = sk_X509_push(certs, cert_x509(cert_chain_get(signer->chain, i))) > 0;
        ok = ok && TS_RESP_CTX_set_certs(ctx, certs) == 1; /* copies the stack, up-referencing each */
        sk_X509_free(certs);
        return ok;
}

static int tsp_openssl_setup(TS_RESP_CTX *ctx, const struct tsp_signer *signer, const struct tsp_grant *grant)
{
        ASN1_OBJECT *policy = OBJ_txt2obj(signer->policy, 1);
        int ok = policy != NULL && TS_RESP_CTX_set_signer_cert(ctx, cert_x509(signer->cert)) == 1 &&
                 TS_RESP_CTX_set_signer_key(ctx, key_evp(signer->key)) == 1 &&
                 TS_RESP_CTX_set_signer_digest(ctx, EVP_sha256()) == 1 &&
                 TS_RESP_CTX_set_ess_cert_id_digest(ctx, EVP_sha256()) == 1 && /* ESSCertIDv2 (RFC 5816) */
                 TS_RESP_CTX_set_def_policy(ctx, policy) == 1 && TS_RESP_CTX_add_md(ctx, EVP_sha256()) == 1 &&
                 TS_RESP_CTX_add_md(ctx, EVP_sha384()) == 1 && TS_RESP_CTX_add_md(ctx, EVP_sha512()) == 1 &&
                 TS_RESP_CTX_add_md(ctx, EVP_sm3()) == 1 && TS_RESP_CTX_set_clock_precision_digits(ctx, 6) == 1 &&
                 tsp_openssl_certs(ctx, signer);
        if (ok && signer->accuracy_ms > 0)
                ok = TS_RESP_CTX_set_accuracy(ctx, (int)(signer->accuracy_ms / 1000), (int)(signer->accuracy_ms % 1000),
                                              0) == 1;
        ASN1_OBJECT_free(policy);
        if (!ok)
                return 0;
        TS_RESP_CTX_add_flags(ctx, TS_TSA_NAME);
        TS_RESP_CTX_set_serial_cb(ctx, tsp_openssl_serial_cb, (void *)grant);
        TS_RESP_CTX_set_time_cb(ctx, tsp_openssl_time_cb, (void *)grant);
        return 1;
}

int tsp_openssl_grant(struct buf_writer *out, const struct tsp_signer *signer, const struct tsp_request *req,
                      const struct tsp_grant *grant, struct err *err)
{
        if (req->der == NULL || req->der_len > TSP_REQUEST_MAX)
                return SMT_ERR(err, SMT_EINVAL, "tsp: the request's DER is needed to sign with OpenSSL");
        TS_RESP_CTX *ctx = TS_RESP_CTX_new();
        BIO *bio = BIO_new_mem_buf(req->der, (int)req->der_len);
        TS_RESP *resp = NULL;
        unsigned char *der = NULL;
        int der_len = 0, status = SMT_OK;
        if (ctx == NULL || bio == NULL || !tsp_openssl_setup(ctx, signer, grant))
                status = crypto_error_set(err, CRYPTO_EOPENSSL, "tsp: TS_RESP_CTX set-up");
        if (status == SMT_OK && (resp = TS_RESP_create_response(ctx, bio)) == NULL)
                status = crypto_error_set(err, CRYPTO_EOPENSSL, "tsp: TS_RESP_create_response");
        if (status == SMT_OK && (der_len = i2d_TS_RESP(resp, &der)) <= 0)
                status = crypto_error_set(err, CRYPTO_EOPENSSL, "tsp: TimeStampResp encoding");
        if (status == SMT_OK && buf_write_bytes(out, der, (size_t)der_len) < 0)
                status = SMT_ERR(err, SMT_ENOSPACE, "tsp: TimeStampResp of %d bytes does not fit", der_len);
        OPENSSL_free(der);
        TS_RESP_free(resp);
        BIO_free(bio);
        TS_RESP_CTX_free(ctx);
        return status;
}

/* tsp_openssl_verify_ctx makes a TS_VERIFY_CTX that owns a store of params->trust and params->certs. */
static TS_VERIFY_CTX *tsp_openssl_verify_ctx(const struct tsp_verify_params *params)
{
        TS_VERIFY_CTX *ctx = TS_VERIFY_CTX_new();
        X509_STORE *store = X509_STORE_new();
        STACK_OF(X509) *certs = sk_X509_new_null();
        int ok = ctx != NULL && store != NULL && certs != NULL;
        for (size_t i = 0; ok && i < cert_store_count(params->trust); i++)
                ok = X509_STORE_add_cert(store, cert_x509(cert_store_get(params->trust, i))) == 1;
        size_t count = params->certs != NULL ? cert_chain_count(params->certs) : 0;
        for (size_t i = 0; ok && i < count; i++) {
                X509 *x = cert_x509(cert_chain_get(params->certs, i));
                ok = X509_up_ref(x) == 1;
                if (ok && sk_X509_push(certs, x) <= 0) {
                        X509_free(x);
                        ok = 0;
                }
        }
        if (!ok) {
                TS_VERIFY_CTX_free(ctx);
                X509_STORE_free(store);
                sk_X509_pop_free(certs, X509_free);
                return NULL;
        }
        TS_VERIFY_CTX_set_flags(ctx, TS_VFY_SIGNATURE | TS_VFY_VERSION);
        TS_VERIFY_CTX_set_store(ctx, store); /* the context frees both from here */
        TS_VERIFY_CTX_set_certs(ctx, certs);
        return ctx;
}

/* tsp_openssl_subject names the token's signer (the certificate TS_RESP_verify_token checked). */
static int tsp_openssl_subject(PKCS7 *p7, const struct tsp_verify_params *params, char subject[CERT_NAME_TEXT_MAX],
                               struct err *err)
{
        STACK_OF(X509) *extra = sk_X509_new_null();
        size_t count = params->certs != NULL ? cert_chain_count(params->certs) : 0;
        for (size_t i = 0; extra != NULL && i < count; i++)
                sk_X509_push(extra, cert_x509(cert_chain_get(params->certs, i)));
        STACK_OF(X509) *signers = extra != NULL ? PKCS7_get0_signers(p7, extra, 0) : NULL;
        X509 *x = signers != NULL && sk_X509_num(signers) == 1 ? sk_X509_value(signers, 0) : NULL;
        struct cert *signer = NULL;
        int status = x != NULL && X509_up_ref(x) == 1
                         ? cert_wrap(&signer, x, err)
                         : crypto_error_set(err, CRYPTO_ECERT, "token: signer certificate");
        if (status == SMT_OK)
                status = cert_subject_text(signer, subject, CERT_NAME_TEXT_MAX, err);
        cert_free(signer);
        sk_X509_free(signers);
        sk_X509_free(extra);
        return status;
}

int tsp_openssl_verify(const uint8_t *token, size_t token_len, const struct tsp_verify_params *params,
                       char subject[CERT_NAME_TEXT_MAX], struct err *err)
{
        const unsigned char *p = token;
        PKCS7 *p7 = token_len <= TSP_RESPONSE_MAX ? d2i_PKCS7(NULL, &p, (long)token_len) : NULL;
        if (p7 == NULL || p != token + token_len) {
                PKCS7_free(p7);
                return crypto_error_set(err, SMT_EDECODE, "token: not a PKCS#7 SignedData");
        }
        TS_VERIFY_CTX *ctx = tsp_openssl_verify_ctx(params);
        int status = ctx == NULL ? crypto_error_set(err, SMT_ENOMEM, "token: TS_VERIFY_CTX") : SMT_OK;
        if (status == SMT_OK && TS_RESP_verify_token(ctx, p7) != 1)
                status = crypto_error_set(err, CRYPTO_EVERIFY, "token: OpenSSL's TS verification");
        if (status == SMT_OK)
                status = tsp_openssl_subject(p7, params, subject, err);
        TS_VERIFY_CTX_free(ctx);
        PKCS7_free(p7);
        return status;
}
