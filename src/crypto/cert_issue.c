/* src/crypto/cert_issue.c: making X.509 v3 certificates (RFC 5280 §4.1) that OpenSSL, Tongsuo and GmSSL
 * all accept (see /work/shared/tlcp-wire.md "Certificates that both libraries accept"): no
 * basicConstraints on leaves, serials of 16 random bytes, validity of at most 3653 days. SM2 issuers sign
 * with SM2-with-SM3 over Z computed with the ID 1234567812345678 (GM/T 0009 §10, GM/T 0015). */
#include "crypto/cert.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto/crypto_error.h"
#include "crypto/random.h"
#include "crypto/sm2.h"

#define CERT_ISSUE_MAX_DAYS     3653
#define CERT_ISSUE_SERIAL_LEN   16
#define CERT_ISSUE_DNS_NAME_MAX 253

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

static bool cert_issue_is_dns_name(const char *name)
{
        size_t len = strlen(name);
        if (len == 0 || len > CERT_ISSUE_DNS_NAME_MAX)
                return false;
        for (size_t i = 0; i < len; i++) {
                char c = name[i];
                bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                          c == '.' || c == '*' || c == '_';
                if (!ok)
                        return false;
        }
        return true;
}

static int cert_issue_check_names(const struct cert_issue_params *p, struct err *err)
{
        if (p->common_name == NULL || p->common_name[0] == '\0')
                return SMT_ERR(err, SMT_EINVAL, "cert_issue: no subject common name");
        if ((p->num_dns_names > 0 && p->dns_names == NULL) || (p->num_ip_addresses > 0 && p->ip_addresses == NULL))
                return SMT_ERR(err, SMT_EINVAL, "cert_issue: name counts without name arrays");
        for (size_t i = 0; i < p->num_dns_names; i++)
                if (!cert_issue_is_dns_name(p->dns_names[i]))
                        return SMT_ERR(err, SMT_EINVAL, "cert_issue: \"%s\" is not a DNS name", p->dns_names[i]);
        return SMT_OK;
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
        int status = subject != NULL ? SMT_OK : crypto_error_set(err, SMT_ENOMEM, "cert_issue");
        if (status == SMT_OK)
                status = cert_issue_add_entry(subject, NID_countryName, p->country, err);
        if (status == SMT_OK)
                status = cert_issue_add_entry(subject, NID_organizationName, p->organization, err);
        if (status == SMT_OK)
                status = cert_issue_add_entry(subject, NID_commonName, p->common_name, err);
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

/* --- extensions (RFC 5280 §4.2.1) --- */

static int cert_issue_add(X509 *x509, int nid, void *value, bool critical, const char *what, struct err *err)
{
        if (value == NULL)
                return crypto_error_set(err, SMT_ENOMEM, "cert_issue: %s", what);
        if (X509_add1_ext_i2d(x509, nid, value, critical ? 1 : 0, X509V3_ADD_DEFAULT) != 1)
                return crypto_error_set(err, CRYPTO_EOPENSSL, "cert_issue: adding %s", what);
        return SMT_OK;
}

/* cert_issue_basic_constraints marks a CA (critical, §4.2.1.9); leaves get no extension at all because GmSSL
 * refuses the empty SEQUENCE OpenSSL writes for CA:FALSE. */
static int cert_issue_basic_constraints(X509 *x509, bool is_ca, struct err *err)
{
        if (!is_ca)
                return SMT_OK;
        BASIC_CONSTRAINTS *bc = BASIC_CONSTRAINTS_new();
        if (bc != NULL)
                bc->ca = 0xff;
        int status = cert_issue_add(x509, NID_basic_constraints, bc, true, "basicConstraints", err);
        BASIC_CONSTRAINTS_free(bc);
        return status;
}

/* cert_issue_key_usage: our bit n is keyUsage bit n of §4.2.1.3; a CA always may sign certificates and CRLs. */
static int cert_issue_key_usage(X509 *x509, unsigned usage, bool is_ca, struct err *err)
{
        if (is_ca)
                usage |= CERT_KEY_USAGE_KEY_CERT_SIGN | CERT_KEY_USAGE_CRL_SIGN;
        if (usage == 0)
                return SMT_OK;
        ASN1_BIT_STRING *bits = ASN1_BIT_STRING_new();
        for (int bit = 0; bits != NULL && bit <= 6; bit++)
                if ((usage & (1u << bit)) && !ASN1_BIT_STRING_set_bit(bits, bit, 1))
                        break;
        int status = cert_issue_add(x509, NID_key_usage, bits, true, "keyUsage", err);
        ASN1_BIT_STRING_free(bits);
        return status;
}

static int cert_issue_extended_usage(X509 *x509, unsigned usage, struct err *err)
{
        static const struct {
                unsigned bit;
                int nid;
        } purposes[] = {
            {CERT_EXTENDED_USAGE_SERVER_AUTH, NID_server_auth},
            {CERT_EXTENDED_USAGE_CLIENT_AUTH, NID_client_auth},
            {CERT_EXTENDED_USAGE_CODE_SIGNING, NID_code_sign},
            {CERT_EXTENDED_USAGE_EMAIL_PROTECTION, NID_email_protect},
            {CERT_EXTENDED_USAGE_TIME_STAMPING, NID_time_stamp},
            {CERT_EXTENDED_USAGE_OCSP_SIGNING, NID_OCSP_sign},
        };
        if (usage == 0)
                return SMT_OK;
        EXTENDED_KEY_USAGE *eku = sk_ASN1_OBJECT_new_null();
        for (size_t i = 0; eku != NULL && i < sizeof purposes / sizeof purposes[0]; i++)
                if ((usage & purposes[i].bit) && !sk_ASN1_OBJECT_push(eku, OBJ_nid2obj(purposes[i].nid)))
                        break;
        int status = cert_issue_add(x509, NID_ext_key_usage, eku, false, "extendedKeyUsage", err);
        sk_ASN1_OBJECT_free(eku); /* OBJ_nid2obj objects are static */
        return status;
}

static int cert_issue_push_name(GENERAL_NAMES *names, int type, ASN1_STRING *value, struct err *err)
{
        GENERAL_NAME *name = value != NULL ? GENERAL_NAME_new() : NULL;
        if (name == NULL) {
                ASN1_STRING_free(value);
                return crypto_error_set(err, SMT_ENOMEM, "cert_issue: subjectAltName");
        }
        GENERAL_NAME_set0_value(name, type, value);
        if (!sk_GENERAL_NAME_push(names, name)) {
                GENERAL_NAME_free(name);
                return crypto_error_set(err, SMT_ENOMEM, "cert_issue: subjectAltName");
        }
        return SMT_OK;
}

static int cert_issue_fill_alt_names(GENERAL_NAMES *names, const struct cert_issue_params *p, struct err *err)
{
        for (size_t i = 0; i < p->num_dns_names; i++) {
                ASN1_IA5STRING *dns = ASN1_IA5STRING_new();
                if (dns != NULL && !ASN1_STRING_set(dns, p->dns_names[i], -1)) {
                        ASN1_IA5STRING_free(dns);
                        dns = NULL;
                }
                TRY(cert_issue_push_name(names, GEN_DNS, dns, err));
        }
        for (size_t i = 0; i < p->num_ip_addresses; i++) {
                ASN1_OCTET_STRING *ip = a2i_IPADDRESS(p->ip_addresses[i]);
                if (ip == NULL)
                        return SMT_ERR(err, SMT_EINVAL, "cert_issue: \"%s\" is not an IP address", p->ip_addresses[i]);
                TRY(cert_issue_push_name(names, GEN_IPADD, ip, err));
        }
        return SMT_OK;
}

/* The subject always has a CN, so the subjectAltName is not critical (§4.2.1.6). */
static int cert_issue_alt_names(X509 *x509, const struct cert_issue_params *p, struct err *err)
{
        if (p->num_dns_names == 0 && p->num_ip_addresses == 0)
                return SMT_OK;
        GENERAL_NAMES *names = GENERAL_NAMES_new();
        if (names == NULL)
                return crypto_error_set(err, SMT_ENOMEM, "cert_issue: subjectAltName");
        int status = cert_issue_fill_alt_names(names, p, err);
        if (status == SMT_OK)
                status = cert_issue_add(x509, NID_subject_alt_name, names, false, "subjectAltName", err);
        GENERAL_NAMES_free(names);
        return status;
}

/* cert_issue_key_id is method (1) of RFC 5280 §4.2.1.2: SHA-1 of the subjectPublicKey BIT STRING. */
static ASN1_OCTET_STRING *cert_issue_key_id(const X509 *x509)
{
        uint8_t digest[EVP_MAX_MD_SIZE];
        unsigned int len = 0;
        ASN1_OCTET_STRING *id = ASN1_OCTET_STRING_new();
        if (id == NULL || !X509_pubkey_digest(x509, EVP_sha1(), digest, &len) ||
            !ASN1_OCTET_STRING_set(id, digest, (int)len)) {
                ASN1_OCTET_STRING_free(id);
                return NULL;
        }
        return id;
}

/* cert_issue_key_ids adds the subject key identifier and the authority key identifier (§4.2.1.1), the issuer's
 * own SKI when it has one so chain building matches them, which strict verification requires. */
static int cert_issue_key_ids(X509 *x509, const struct cert_issue_params *p, struct err *err)
{
        ASN1_OCTET_STRING *ski = cert_issue_key_id(x509);
        int status = cert_issue_add(x509, NID_subject_key_identifier, ski, false, "subjectKeyIdentifier", err);
        AUTHORITY_KEYID *aki = status == SMT_OK ? AUTHORITY_KEYID_new() : NULL;
        if (aki != NULL && p->issuer_cert == NULL)
                aki->keyid = ASN1_OCTET_STRING_dup(ski);
        else if (aki != NULL && X509_get0_subject_key_id(cert_x509(p->issuer_cert)) != NULL)
                aki->keyid = ASN1_OCTET_STRING_dup(X509_get0_subject_key_id(cert_x509(p->issuer_cert)));
        else if (aki != NULL)
                aki->keyid = cert_issue_key_id(cert_x509(p->issuer_cert));
        if (status == SMT_OK)
                status =
                    cert_issue_add(x509, NID_authority_key_identifier, aki != NULL && aki->keyid != NULL ? aki : NULL,
                                   false, "authorityKeyIdentifier", err);
        AUTHORITY_KEYID_free(aki);
        ASN1_OCTET_STRING_free(ski);
        return status;
}

static int cert_issue_extensions(X509 *x509, const struct cert_issue_params *p, struct err *err)
{
        TRY(cert_issue_basic_constraints(x509, p->is_ca, err));
        TRY(cert_issue_key_usage(x509, p->key_usage, p->is_ca, err));
        TRY(cert_issue_extended_usage(x509, p->extended_usage, err));
        TRY(cert_issue_alt_names(x509, p, err));
        return cert_issue_key_ids(x509, p, err);
}

/* --- signing --- */

/* cert_issue_sign_sm2 sets the ID on the signing context before the init, the order EVP_PKEY-SM2(7) shows;
 * X509_sign_ctx then writes the SM2-with-SM3 algorithm identifier the provider reports. */
static int cert_issue_sign_sm2(X509 *x509, const struct key *signer, struct err *err)
{
        EVP_PKEY *pkey = key_evp(signer);
        EVP_MD_CTX *md_ctx = EVP_MD_CTX_new();
        EVP_PKEY_CTX *pkey_ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
        int ok = md_ctx != NULL && pkey_ctx != NULL &&
                 EVP_PKEY_CTX_set1_id(pkey_ctx, (const uint8_t *)SM2_DEFAULT_ID, strlen(SM2_DEFAULT_ID)) > 0;
        if (ok) {
                EVP_MD_CTX_set_pkey_ctx(md_ctx, pkey_ctx);
                ok = EVP_DigestSignInit(md_ctx, NULL, EVP_sm3(), NULL, pkey) == 1 && X509_sign_ctx(x509, md_ctx) > 0;
        }
        EVP_MD_CTX_free(md_ctx);
        EVP_PKEY_CTX_free(pkey_ctx); /* set_pkey_ctx does not hand it over */
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
