/* src/crypto/crl.c: making and signing X.509 v2 CRLs (RFC 5280 §5.1); reading and checking them is in
 * crl_verify.c. */
#include "crypto/crl.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto/crypto_error.h"
#include "crypto/sm2_sign_ctx.h"
#include "crypto/sm2.h"

/* --- checks --- */

static int crl_check_params(const struct crl_params *p, struct err *err)
{
        if (p->issuer_cert == NULL || p->issuer_key == NULL || !key_is_private(p->issuer_key))
                return SMT_ERR(err, SMT_EINVAL, "crl_sign: an issuer certificate and its private key are needed");
        if (p->next_update <= p->this_update)
                return SMT_ERR(err, SMT_EINVAL, "crl_sign: nextUpdate %lld is not after thisUpdate %lld",
                               (long long)p->next_update, (long long)p->this_update);
        struct key *certified = NULL;
        uint8_t want[32], have[32];
        TRY(cert_public_key(p->issuer_cert, &certified, err));
        int status = key_public_fingerprint(certified, want, err);
        key_free(certified);
        TRY(status);
        TRY(key_public_fingerprint(p->issuer_key, have, err));
        if (memcmp(want, have, sizeof want) != 0)
                return SMT_ERR(err, SMT_EINVAL, "crl_sign: the issuer key does not belong to the issuer certificate");
        return SMT_OK;
}

/* --- entries --- */

static int crl_entry_serial(X509_REVOKED *revoked, const char *hex, struct err *err)
{
        size_t len = hex != NULL ? strlen(hex) : 0;
        if (len == 0 || len > 2 * 20 || strspn(hex, "0123456789abcdefABCDEF") != len)
                return SMT_ERR(err, SMT_EINVAL, "crl_sign: serial \"%.48s\" is not 1..40 hex digits",
                               hex != NULL ? hex : "");
        BIGNUM *bn = NULL;
        ASN1_INTEGER *serial = NULL;
        int ok = BN_hex2bn(&bn, hex) == (int)len && (serial = BN_to_ASN1_INTEGER(bn, NULL)) != NULL &&
                 X509_REVOKED_set_serialNumber(revoked, serial);
        BN_free(bn);
        ASN1_INTEGER_free(serial);
        return ok ? SMT_OK : crypto_error_set(err, CRYPTO_EOPENSSL, "crl_sign: serial %s", hex);
}

/* RFC 5280 §5.3.1: 7 is not used; 0 (unspecified) is said by leaving the extension out. */
static int crl_entry_reason(X509_REVOKED *revoked, int reason, struct err *err)
{
        if (reason <= 0)
                return SMT_OK;
        if (reason == 7 || reason > 10)
                return SMT_ERR(err, SMT_EINVAL, "crl_sign: reason %d, expected a CRLReason 0..10 but 7", reason);
        ASN1_ENUMERATED *value = ASN1_ENUMERATED_new();
        int ok = value != NULL && ASN1_ENUMERATED_set(value, reason) &&
                 X509_REVOKED_add1_ext_i2d(revoked, NID_crl_reason, value, 0, 0) == 1;
        ASN1_ENUMERATED_free(value);
        return ok ? SMT_OK : crypto_error_set(err, CRYPTO_EOPENSSL, "crl_sign: reason code");
}

static int crl_add_entry(X509_CRL *crl, const struct crl_entry *entry, struct err *err)
{
        X509_REVOKED *revoked = X509_REVOKED_new();
        ASN1_TIME *date = ASN1_TIME_set(NULL, (time_t)entry->revoked_at);
        if (revoked == NULL || date == NULL || !X509_REVOKED_set_revocationDate(revoked, date)) {
                X509_REVOKED_free(revoked);
                ASN1_TIME_free(date);
                return crypto_error_set(err, CRYPTO_EOPENSSL, "crl_sign: revocation date %lld",
                                        (long long)entry->revoked_at);
        }
        ASN1_TIME_free(date);
        int status = crl_entry_serial(revoked, entry->serial_hex, err);
        if (status == SMT_OK)
                status = crl_entry_reason(revoked, entry->reason, err);
        if (status == SMT_OK && !X509_CRL_add0_revoked(crl, revoked))
                status = crypto_error_set(err, CRYPTO_EOPENSSL, "crl_sign: adding an entry");
        if (status != SMT_OK)
                X509_REVOKED_free(revoked);
        return status;
}

/* --- the CRL's own fields --- */

static int crl_set_times(X509_CRL *crl, int64_t this_update, int64_t next_update, struct err *err)
{
        /* ASN1_TIME_set picks UTCTime through 2049 and GeneralizedTime after (RFC 5280 §5.1.2.4-5). */
        ASN1_TIME *this_time = ASN1_TIME_set(NULL, (time_t)this_update);
        ASN1_TIME *next_time = ASN1_TIME_set(NULL, (time_t)next_update);
        int ok = this_time != NULL && next_time != NULL && X509_CRL_set1_lastUpdate(crl, this_time) &&
                 X509_CRL_set1_nextUpdate(crl, next_time);
        ASN1_TIME_free(this_time);
        ASN1_TIME_free(next_time);
        return ok ? SMT_OK : crypto_error_set(err, SMT_EINVAL, "crl_sign: update times out of range");
}

/* AKI (RFC 5280 §5.2.1, MUST) is the keyIdentifier of the issuer's SKI; cRLNumber (§5.2.2, MUST). */
static int crl_set_extensions(X509_CRL *crl, const struct cert *issuer, uint64_t number, struct err *err)
{
        const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(cert_x509(issuer));
        if (ski == NULL)
                return SMT_ERR(err, SMT_EINVAL, "crl_sign: the issuer certificate has no subjectKeyIdentifier");
        AUTHORITY_KEYID *aki = AUTHORITY_KEYID_new();
        ASN1_INTEGER *crl_number = ASN1_INTEGER_new();
        int ok = aki != NULL && crl_number != NULL && (aki->keyid = ASN1_OCTET_STRING_dup(ski)) != NULL &&
                 X509_CRL_add1_ext_i2d(crl, NID_authority_key_identifier, aki, 0, 0) == 1 &&
                 ASN1_INTEGER_set_uint64(crl_number, number) && X509_CRL_add1_ext_i2d(crl, NID_crl_number, crl_number, 0, 0) == 1;
        AUTHORITY_KEYID_free(aki);
        ASN1_INTEGER_free(crl_number);
        return ok ? SMT_OK : crypto_error_set(err, CRYPTO_EOPENSSL, "crl_sign: extensions");
}

/* --- signing --- */

static int crl_sign_sm2(X509_CRL *crl, const struct key *signer, struct err *err)
{
        struct sm2_sign_ctx ctx;
        TRY(sm2_sign_ctx_init(&ctx, key_evp(signer), "crl_sign", err));
        int ok = X509_CRL_sign_ctx(crl, ctx.md) > 0;
        sm2_sign_ctx_cleanup(&ctx);
        return ok ? SMT_OK : crypto_error_set(err, CRYPTO_EOPENSSL, "crl_sign: SM2 signing");
}

static int crl_sign_with(X509_CRL *crl, const struct key *signer, struct err *err)
{
        enum key_alg alg = key_get_alg(signer);
        if (alg == KEY_ALG_SM2)
                return crl_sign_sm2(crl, signer, err);
        /* ECDSA's hash follows the curve (P-384 with SHA-384, RFC 5480 §4). */
        const EVP_MD *md = alg == KEY_ALG_EC_P384 ? EVP_sha384() : EVP_sha256();
        if (X509_CRL_sign(crl, key_evp(signer), md) <= 0)
                return crypto_error_set(err, CRYPTO_EOPENSSL, "crl_sign: signing with %s", key_alg_name(alg));
        return SMT_OK;
}

static int crl_encode(uint8_t **out, size_t *out_len, X509_CRL *crl, struct err *err)
{
        unsigned char *der = NULL;
        int len = i2d_X509_CRL(crl, &der);
        if (len <= 0)
                return crypto_error_set(err, CRYPTO_EOPENSSL, "crl_sign: encoding");
        *out = malloc((size_t)len);
        if (*out != NULL)
                memcpy(*out, der, (size_t)len);
        OPENSSL_free(der);
        if (*out == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "crl_sign: %d bytes", len);
        *out_len = (size_t)len;
        return SMT_OK;
}

static int crl_build(X509_CRL *crl, const struct crl_params *p, struct err *err)
{
        if (!X509_CRL_set_version(crl, X509_CRL_VERSION_2) ||
            !X509_CRL_set_issuer_name(crl, X509_get_subject_name(cert_x509(p->issuer_cert))))
                return crypto_error_set(err, CRYPTO_EOPENSSL, "crl_sign: version and issuer");
        TRY(crl_set_times(crl, p->this_update, p->next_update, err));
        for (size_t i = 0; i < p->num_entries; i++)
                TRY(crl_add_entry(crl, &p->entries[i], err));
        /* Sorted by serial, so a reader may search and two CRLs of one state are byte-comparable. */
        if (!X509_CRL_sort(crl))
                return crypto_error_set(err, CRYPTO_EOPENSSL, "crl_sign: sorting entries");
        return crl_set_extensions(crl, p->issuer_cert, p->number, err);
}

int crl_sign(uint8_t **out, size_t *out_len, const struct crl_params *params, struct err *err)
{
        TRY(crl_check_params(params, err));
        X509_CRL *crl = X509_CRL_new();
        if (crl == NULL)
                return crypto_error_set(err, SMT_ENOMEM, "crl_sign");
        int status = crl_build(crl, params, err);
        if (status == SMT_OK)
                status = crl_sign_with(crl, params->issuer_key, err);
        if (status == SMT_OK)
                status = crl_encode(out, out_len, crl, err);
        X509_CRL_free(crl);
        return status;
}
