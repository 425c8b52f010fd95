/* src/crypto/ocsp_verify.c: deciding whether to believe a parsed OCSP response (RFC 6960 3.2, 4.2.2.2):
 * who signed it, whether that signer may, whether it speaks of our certificate, whether it is current. */
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "crypto/crypto_error.h"
#include "crypto/ocsp_internal.h"
#include "crypto/sm2.h"

/* Signature algorithms accepted, with the digest each implies; SM2-with-SM3 is handled apart. */
static const struct {
        uint8_t oid[9];
        size_t oid_len;
        const char *digest;
} ocsp_sig_algs[] = {
        {{0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02}, 8, "SHA256"}, /* ecdsa-with-SHA256 */
        {{0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x03}, 8, "SHA384"},
        {{0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x04}, 8, "SHA512"},
        {{0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0B}, 9, "SHA256"}, /* sha256WithRSAEncryption */
        {{0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0C}, 9, "SHA384"},
        {{0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0D}, 9, "SHA512"},
};

static int ocsp_signature_check(const struct ocsp_response *resp, const struct cert *signer, struct err *err)
{
        struct key *key = NULL;
        TRY(cert_public_key(signer, &key, err));
        int status = SMT_OK;
        if (ocsp_oid_equal(resp->sig_alg_oid, &ocsp_oid_sm2_sm3)) {
                status = key_get_alg(key) != KEY_ALG_SM2
                                 ? SMT_ERR(err, CRYPTO_EVERIFY, "ocsp: SM2-with-SM3 signature by a %s key",
                                           key_alg_name(key_get_alg(key)))
                                 : sm2_verify(key, NULL, resp->tbs.data, resp->tbs.len, resp->signature.data,
                                              resp->signature.len, err);
                key_free(key);
                return status < 0 ? SMT_ERR(err, CRYPTO_EVERIFY, "ocsp: SM2 signature: %s", err->msg) : SMT_OK;
        }
        const char *digest = NULL;
        for (size_t i = 0; i < sizeof ocsp_sig_algs / sizeof ocsp_sig_algs[0]; i++) {
                struct ocsp_oid oid = {ocsp_sig_algs[i].oid, ocsp_sig_algs[i].oid_len};
                if (ocsp_oid_equal(resp->sig_alg_oid, &oid))
                        digest = ocsp_sig_algs[i].digest;
        }
        EVP_MD_CTX *ctx = digest != NULL && key_get_alg(key) != KEY_ALG_SM2 ? EVP_MD_CTX_new() : NULL;
        bool ok = ctx != NULL && EVP_DigestVerifyInit_ex(ctx, NULL, digest, NULL, NULL, key_evp(key), NULL) == 1 &&
                  EVP_DigestVerify(ctx, resp->signature.data, resp->signature.len, resp->tbs.data, resp->tbs.len) == 1;
        EVP_MD_CTX_free(ctx);
        key_free(key);
        ERR_clear_error();
        if (!ok)
                return SMT_ERR(err, CRYPTO_EVERIFY, "ocsp: response signature (%s) does not verify",
                               digest != NULL ? digest : "unsupported algorithm");
        return SMT_OK;
}

static bool ocsp_is_responder(const struct ocsp_response *resp, const struct cert *cand)
{
        if (!resp->responder_by_key) {
                const uint8_t *name = NULL;
                size_t len = 0;
                struct err ignored = {0};
                return cert_subject_der(cand, &name, &len, &ignored) == 0 && len == resp->responder_name.len &&
                       memcmp(name, resp->responder_name.data, len) == 0;
        }
        uint8_t hash[EVP_MAX_MD_SIZE];
        size_t len = 0;
        struct err ignored = {0};
        return ocsp_key_hash(cand, NULL, hash, &len, &ignored) == 0 && len == OCSP_KEY_HASH_LEN &&
               memcmp(hash, resp->responder_key_hash, len) == 0;
}

/* ocsp_delegate_check: RFC 6960 4.2.2.2: a responder other than the CA must be certified by the CA itself and
 * carry id-kp-OCSPSigning; its own validity is checked too (revocation is not: ocsp-nocheck, 4.2.2.2.1). */
static int ocsp_delegate_check(const struct cert *signer, const struct cert *issuer, time_t now, struct err *err)
{
        X509 *x = cert_x509(signer);
        if (X509_check_issued(cert_x509(issuer), x) != X509_V_OK ||
            X509_verify(x, X509_get0_pubkey(cert_x509(issuer))) != 1) {
                ERR_clear_error();
                return SMT_ERR(err, CRYPTO_ECERT_UNTRUSTED, "ocsp: the responder certificate is not issued by the "
                               "certificate's issuer");
        }
        if (!(X509_get_extension_flags(x) & EXFLAG_XKUSAGE) || !(X509_get_extended_key_usage(x) & XKU_OCSP_SIGN))
                return SMT_ERR(err, CRYPTO_ECERT_USAGE, "ocsp: the responder certificate lacks id-kp-OCSPSigning");
        time_t not_before = 0, not_after = 0;
        TRY(cert_not_before(signer, &not_before, err));
        TRY(cert_not_after(signer, &not_after, err));
        if (now < not_before || now > not_after)
                return SMT_ERR(err, CRYPTO_ECERT_EXPIRED, "ocsp: the responder certificate is not valid at %lld",
                               (long long)now);
        return SMT_OK;
}

static bool ocsp_same_cert(const struct cert *a, const struct cert *b)
{
        const uint8_t *da = NULL, *db = NULL;
        size_t la = 0, lb = 0;
        cert_der(a, &da, &la);
        cert_der(b, &db, &lb);
        return la == lb && memcmp(da, db, la) == 0;
}

/* ocsp_signer_check finds the responder among the issuer and the response's certificates and checks it. */
static int ocsp_signer_check(const struct ocsp_response *resp, const struct ocsp_verify_params *p, time_t now,
                             struct err *err)
{
        if (ocsp_is_responder(resp, p->issuer))
                return ocsp_signature_check(resp, p->issuer, err);
        size_t count = resp->certs != NULL ? cert_chain_count(resp->certs) : 0;
        for (size_t i = 0; i < count; i++) {
                const struct cert *cand = cert_chain_get(resp->certs, i);
                if (!ocsp_is_responder(resp, cand))
                        continue;
                if (!ocsp_same_cert(cand, p->issuer))
                        TRY(ocsp_delegate_check(cand, p->issuer, now, err));
                return ocsp_signature_check(resp, cand, err);
        }
        return SMT_ERR(err, CRYPTO_ECERT_UNTRUSTED, "ocsp: the responder is neither the issuer nor a certificate in "
                       "the response (%zu included)", count);
}

static int ocsp_single_find(const struct ocsp_response *resp, const struct ocsp_verify_params *p,
                            const struct ocsp_single **out, struct err *err)
{
        for (size_t i = 0; i < resp->num_singles; i++) {
                const struct ocsp_single *s = &resp->singles[i];
                struct ocsp_cert_id mine;
                if (s->cert_id.hash == OCSP_HASH_UNKNOWN)
                        continue;
                TRY(ocsp_cert_id_make(&mine, p->leaf, p->issuer, s->cert_id.hash, err));
                if (ocsp_cert_id_equal(&mine, &s->cert_id)) {
                        *out = s;
                        return SMT_OK;
                }
        }
        return SMT_ERR(err, CRYPTO_EVERIFY, "ocsp: none of the %zu responses is about this certificate",
                       resp->num_singles);
}

static int ocsp_times_check(const struct ocsp_single *s, time_t now, long tolerance, struct err *err)
{
        if (s->this_update > now + tolerance)
                return SMT_ERR(err, CRYPTO_ECERT_EXPIRED, "ocsp: thisUpdate %lld is after now %lld (+%ld s)",
                               (long long)s->this_update, (long long)now, tolerance);
        time_t limit = s->next_update != 0 ? s->next_update : s->this_update;
        if (limit < now - tolerance)
                return SMT_ERR(err, CRYPTO_ECERT_EXPIRED, "ocsp: response stale: %s %lld is before now %lld (-%ld s)",
                               s->next_update != 0 ? "nextUpdate" : "thisUpdate (no nextUpdate)", (long long)limit,
                               (long long)now, tolerance);
        return SMT_OK;
}

int ocsp_response_verify(const struct ocsp_response *resp, const struct ocsp_verify_params *params,
                         struct ocsp_single *out, struct err *err)
{
        if (resp->status != OCSP_RESPONSE_SUCCESSFUL)
                return SMT_ERR(err, CRYPTO_EVERIFY, "ocsp: responseStatus %d, expected successful (0)",
                               (int)resp->status);
        if (params->leaf == NULL || params->issuer == NULL || params->tolerance < 0)
                return SMT_ERR(err, SMT_EINVAL, "ocsp_response_verify: leaf, issuer and a tolerance >= 0 needed");
        time_t now = params->now != 0 ? params->now : time(NULL);
        TRY(ocsp_signer_check(resp, params, now, err));
        const struct ocsp_single *single = NULL;
        TRY(ocsp_single_find(resp, params, &single, err));
        TRY(ocsp_times_check(single, now, params->tolerance, err));
        if (params->nonce != NULL &&
            (!resp->has_nonce || resp->nonce_len != params->nonce_len ||
             memcmp(resp->nonce, params->nonce, params->nonce_len) != 0))
                return SMT_ERR(err, CRYPTO_EVERIFY, "ocsp: the response %s the request's nonce",
                               resp->has_nonce ? "does not echo" : "has no nonce, expected");
        *out = *single;
        return SMT_OK;
}
