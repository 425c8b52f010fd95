/* src/crypto/cert_issue.c: making X.509 v3 certificates (RFC 5280 §4.1) that OpenSSL, Tongsuo and GmSSL
 * all accept (see /work/shared/tlcp-wire.md "Certificates that both libraries accept"): no
 * basicConstraints on leaves, serials of 16 random bytes; validity is capped at 30 years for roots, and a
 * caller that wants GmSSL to take a leaf keeps it within 3653 days. SM2 issuers sign with SM2-with-SM3 over Z
 * computed with the ID 1234567812345678 (GM/T 0009 §10, GM/T 0015). The extensions are in cert_issue_ext.c. */
#include "crypto/cert.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto/cert_issue_internal.h"
#include "crypto/crypto_error.h"
#include "crypto/sm2_sign_ctx.h"
#include "crypto/random.h"
#include "crypto/sm2.h"

/* 30 years of 365 days and the at most 8 leap days they can hold. */
#define CERT_ISSUE_MAX_DAYS   (30 * 365 + 8)
#define CERT_ISSUE_SERIAL_LEN 16

/* --- parameter checks --- */

static int cert_issue_check_keys(const struct cert_issue_params *p, struct err *err)
{
        if (p->subject_key == NULL)
                return SMT_ERR(err, SMT_EINVAL, "cert_issue: no subject key");
        if ((p->issuer_key == NULL) != (p->issuer_cert == NULL))
                return SMT_ERR(err, SMT_EINVAL, "cert_issue: give both issuer key and issuer certificate, or neither");
        const struct key *signer = p->issuer_key != NULL ? p->issuer_key : p->subject_key;
        if (!key_is_private(signer))
                return SMT_ERR(err, SMT_EINVAL, "cert_issue: the %s key has no private half",
                               p->issuer_key != NULL ? "issuer" : "self-signing subject");
        if (p->issuer_cert == NULL)
                return SMT_OK;
        struct key *certified = NULL;
        uint8_t want[32], have[32];
        TRY(cert_public_key(p->issuer_cert, &certified, err));
        int status = key_public_fingerprint(certified, want, err);
        key_free(certified);
        TRY(status);
        TRY(key_public_fingerprint(p->issuer_key, have, err));
        if (memcmp(want, have, sizeof want) != 0)
                return SMT_ERR(err, SMT_EINVAL, "cert_issue: the issuer key does not belong to the issuer certificate");
        return SMT_OK;
}

static int cert_issue_check_names(const struct cert_issue_params *p, struct err *err)
{
        bool has_common_name = p->common_name != NULL && p->common_name[0] != '\0';
        if (!has_common_name && !p->omit_common_name)
                return SMT_ERR(err, SMT_EINVAL, "cert_issue: no subject common name");
        struct cert_issue_alt_names names = {
            .dns_names = p->dns_names,
            .num_dns_names = p->num_dns_names,
            .ip_addresses = p->ip_addresses,
            .num_ip_addresses = p->num_ip_addresses,
            .emails = p->emails,
            .num_emails = p->num_emails,
            .uris = p->uris,
            .num_uris = p->num_uris,
        };
        return cert_issue_check_alt_names(&names, "cert_issue", err);
}

/* cert_issue_check_serial: the bytes are the DER INTEGER's content, so they must encode a positive number
 * minimally (X.690 §8.3.2); RFC 5280 §4.1.2.2 caps them at 20 octets, GmSSL wants at least 4. */
static int cert_issue_check_serial(const struct cert_issue_params *p, struct err *err)
{
        if (p->serial == NULL)
                return SMT_OK;
        if (p->serial_len < 4 || p->serial_len > 20)
                return SMT_ERR(err, SMT_EINVAL, "cert_issue: serial of %zu bytes, expected 4..20", p->serial_len);
        if (p->serial[0] & 0x80)
                return SMT_ERR(err, SMT_EINVAL, "cert_issue: serial is negative (first byte 0x%02x)", p->serial[0]);
        if (p->serial[0] == 0 && !(p->serial[1] & 0x80))
                return SMT_ERR(err, SMT_EINVAL, "cert_issue: serial has a redundant leading zero byte");
        return SMT_OK;
}

static int cert_issue_check_validity(time_t not_before, time_t not_after, struct err *err)
{
        if (not_after <= not_before)
                return SMT_ERR(err, SMT_EINVAL, "cert_issue: notAfter %lld is not after notBefore %lld",
                               (long long)not_after, (long long)not_before);
        if (not_after - not_before > (time_t)CERT_ISSUE_MAX_DAYS * 86400)
                return SMT_ERR(err, SMT_EINVAL, "cert_issue: validity of %lld days exceeds %d",
                               (long long)((not_after - not_before) / 86400), CERT_ISSUE_MAX_DAYS);
        return SMT_OK;
}

/* --- building the to-be-signed certificate --- */

static int cert_issue_serial(X509 *x509, const struct cert_issue_params *p, struct err *err)
{
        uint8_t random[CERT_ISSUE_SERIAL_LEN];
        const uint8_t *bytes = p->serial;
        size_t len = p->serial_len;
        if (bytes == NULL) {
                TRY(random_bytes(random, sizeof random, err));
                /* Top bit clear keeps it positive, the next bit set keeps all 16 bytes (RFC 5280 §4.1.2.2). */
                random[0] = (uint8_t)((random[0] & 0x7f) | 0x40);
                bytes = random;
                len = sizeof random;
        }
        BIGNUM *bn = BN_bin2bn(bytes, (int)len, NULL);
        int ok = bn != NULL && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x509)) != NULL;
        BN_free(bn);
        return ok ? SMT_OK : crypto_error_set(err, CRYPTO_EOPENSSL, "cert_issue: setting the serial");
}

static int cert_issue_add_entry(X509_NAME *name, int nid, const char *value, struct err *err)
{
        if (value == NULL)
                return SMT_OK;
        if (!X509_NAME_add_entry_by_NID(name, nid, MBSTRING_UTF8, (const unsigned char *)value, -1, -1, 0))
                return crypto_error_set(err, SMT_EINVAL, "cert_issue: subject %s \"%s\"", OBJ_nid2sn(nid), value);
        return SMT_OK;
}

static int cert_issue_names(X509 *x509, const struct cert_issue_params *p, struct err *err)
{
        X509_NAME *subject = X509_NAME_new();
        /* The usual order, most general first (X.520 / RFC 4519 attributes). */
        const struct {
                int nid;
                const char *value;
        } entries[] = {
            {NID_countryName, p->country},
            {NID_stateOrProvinceName, p->province},
            {NID_localityName, p->locality},
            {NID_organizationName, p->organization},
            {NID_organizationalUnitName, p->organizational_unit},
            {NID_commonName, p->omit_common_name ? NULL : p->common_name},
        };
        int status = subject != NULL ? SMT_OK : crypto_error_set(err, SMT_ENOMEM, "cert_issue");
        for (size_t i = 0; status == SMT_OK && i < sizeof entries / sizeof entries[0]; i++)
                status = cert_issue_add_entry(subject, entries[i].nid, entries[i].value, err);
        const X509_NAME *issuer = p->issuer_cert != NULL ? X509_get_subject_name(cert_x509(p->issuer_cert)) : subject;
        if (status == SMT_OK && (!X509_set_subject_name(x509, subject) || !X509_set_issuer_name(x509, issuer)))
                status = crypto_error_set(err, CRYPTO_EOPENSSL, "cert_issue: setting names");
        X509_NAME_free(subject);
        return status;
}

static int cert_issue_body(X509 *x509, const struct cert_issue_params *p, time_t not_before, time_t not_after,
                           struct err *err)
{
        if (!X509_set_version(x509, X509_VERSION_3))
                return crypto_error_set(err, CRYPTO_EOPENSSL, "cert_issue: version");
        TRY(cert_issue_serial(x509, p, err));
        TRY(cert_issue_names(x509, p, err));
        /* ASN1_TIME_set picks UTCTime through 2049 and GeneralizedTime after, as RFC 5280 §4.1.2.5 asks. */
        if (!ASN1_TIME_set(X509_getm_notBefore(x509), not_before) ||
            !ASN1_TIME_set(X509_getm_notAfter(x509), not_after))
                return crypto_error_set(err, SMT_EINVAL, "cert_issue: validity out of range");
        if (!X509_set_pubkey(x509, key_evp(p->subject_key)))
                return crypto_error_set(err, CRYPTO_EOPENSSL, "cert_issue: subject public key");
        return SMT_OK;
}

/* --- signing --- */

/* cert_issue_sign_sm2: X509_sign_ctx writes the SM2-with-SM3 algorithm identifier the provider reports. */
static int cert_issue_sign_sm2(X509 *x509, const struct key *signer, struct err *err)
{
        struct sm2_sign_ctx ctx;
        TRY(sm2_sign_ctx_init(&ctx, key_evp(signer), "cert_issue", err));
        int ok = X509_sign_ctx(x509, ctx.md) > 0;
        sm2_sign_ctx_cleanup(&ctx);
        return ok ? SMT_OK : crypto_error_set(err, CRYPTO_EOPENSSL, "cert_issue: SM2 signing");
}

static int cert_issue_sign(X509 *x509, const struct key *signer, struct err *err)
{
        if (key_get_alg(signer) == KEY_ALG_SM2)
                return cert_issue_sign_sm2(x509, signer, err);
        if (X509_sign(x509, key_evp(signer), EVP_sha256()) <= 0)
                return crypto_error_set(err, CRYPTO_EOPENSSL, "cert_issue: signing with %s",
                                        key_alg_name(key_get_alg(signer)));
        return SMT_OK;
}

/* cert_issue_finish re-reads the signed certificate from its DER, so the result is exactly what a peer parses. */
static int cert_issue_finish(struct cert **out, X509 *x509, struct err *err)
{
        unsigned char *der = NULL;
        int len = i2d_X509(x509, &der);
        if (len <= 0)
                return crypto_error_set(err, CRYPTO_EOPENSSL, "cert_issue: encoding");
        int status = cert_parse_der(out, der, (size_t)len, err);
        OPENSSL_free(der);
        return status;
}

int cert_issue(struct cert **out, const struct cert_issue_params *params, struct err *err)
{
        time_t not_before = params->not_before != 0 ? params->not_before : time(NULL);
        TRY(cert_issue_check_keys(params, err));
        TRY(cert_issue_check_names(params, err));
        TRY(cert_issue_check_serial(params, err));
        TRY(cert_issue_check_validity(not_before, params->not_after, err));
        TRY(cert_issue_check_extensions(params, err));
        X509 *x509 = X509_new();
        if (x509 == NULL)
                return crypto_error_set(err, SMT_ENOMEM, "cert_issue");
        int status = cert_issue_body(x509, params, not_before, params->not_after, err);
        if (status == SMT_OK)
                status = cert_issue_extensions(x509, params, err);
        if (status == SMT_OK)
                status =
                    cert_issue_sign(x509, params->issuer_key != NULL ? params->issuer_key : params->subject_key, err);
        if (status == SMT_OK)
                status = cert_issue_finish(out, x509, err);
        X509_free(x509);
        return status;
}
