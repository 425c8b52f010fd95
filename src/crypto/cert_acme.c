/* src/crypto/cert_acme.c: the self-signed validation certificate an ACME client presents for tls-alpn-01
 * (RFC 8737 3): one subjectAltName, the identifier being validated (a dNSName, or an iPAddress for an IP
 * literal, RFC 8738 6), and the critical id-pe-acmeIdentifier extension holding SHA-256 of the key
 * authorization. Nobody verifies its chain, so it is self-signed with a fresh key and lives a short time. */
#include "crypto/cert.h"

#include <arpa/inet.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto/crypto_error.h"
#include "crypto/random.h"

/* RFC 8737 6.1: id-pe-acmeIdentifier. */
#define CERT_ACME_IDENTIFIER_OID "1.3.6.1.5.5.7.1.31"
/* The certificate only has to outlive one validation; an hour of slack before now absorbs clock skew. */
#define CERT_ACME_SKEW_SECONDS     3600
#define CERT_ACME_LIFETIME_SECONDS (7 * 24 * 3600)
#define CERT_ACME_SERIAL_LEN       16

/* cert_acme_name makes the one GENERAL_NAME: iPAddress for an IPv4 or IPv6 literal, else dNSName. */
static GENERAL_NAME *cert_acme_name(const char *name)
{
        uint8_t ip[16];
        int ip_len = inet_pton(AF_INET, name, ip) == 1 ? 4 : inet_pton(AF_INET6, name, ip) == 1 ? 16 : 0;
        GENERAL_NAME *general = GENERAL_NAME_new();
        ASN1_STRING *value = ip_len != 0 ? ASN1_OCTET_STRING_new() : ASN1_IA5STRING_new();
        if (general == NULL || value == NULL ||
            ASN1_STRING_set(value, ip_len != 0 ? (const void *)ip : name, ip_len != 0 ? ip_len : -1) != 1) {
                GENERAL_NAME_free(general);
                ASN1_STRING_free(value);
                return NULL;
        }
        GENERAL_NAME_set0_value(general, ip_len != 0 ? GEN_IPADD : GEN_DNS, value);
        return general;
}

static int cert_acme_add_name(X509 *x509, const char *name)
{
        GENERAL_NAMES *names = GENERAL_NAMES_new();
        GENERAL_NAME *general = cert_acme_name(name);
        int ok = names != NULL && general != NULL && sk_GENERAL_NAME_push(names, general) > 0;
        if (!ok)
                GENERAL_NAME_free(general);
        ok = ok && X509_add1_ext_i2d(x509, NID_subject_alt_name, names, 0, X509V3_ADD_DEFAULT) == 1;
        GENERAL_NAMES_free(names);
        return ok;
}

/* RFC 8737 3: extnValue is the DER of Authorization ::= OCTET STRING (SIZE (32)), and the extension is
 * critical so that no ordinary TLS client would accept the certificate. */
static int cert_acme_add_identifier(X509 *x509, const uint8_t digest[32])
{
        uint8_t der[2 + 32] = {0x04, 0x20};
        memcpy(der + 2, digest, 32);
        ASN1_OBJECT *oid = OBJ_txt2obj(CERT_ACME_IDENTIFIER_OID, 1);
        ASN1_OCTET_STRING *value = ASN1_OCTET_STRING_new();
        X509_EXTENSION *extension = NULL;
        if (oid != NULL && value != NULL && ASN1_OCTET_STRING_set(value, der, sizeof der) == 1)
                extension = X509_EXTENSION_create_by_OBJ(NULL, oid, 1, value);
        int ok = extension != NULL && X509_add_ext(x509, extension, -1) == 1;
        X509_EXTENSION_free(extension);
        ASN1_OCTET_STRING_free(value);
        ASN1_OBJECT_free(oid);
        return ok;
}

/* cert_acme_set_fields: version 3, a random positive serial, subject = issuer = CN "ACME tls-alpn-01"
 * (RFC 8737 puts no requirement on the names), and the short validity. */
static int cert_acme_set_fields(X509 *x509, EVP_PKEY *pkey, struct err *err)
{
        uint8_t serial[CERT_ACME_SERIAL_LEN];
        TRY(random_bytes(serial, sizeof serial, err));
        serial[0] = (uint8_t)((serial[0] & 0x7f) | 0x01); /* positive, no leading zero octet */
        BIGNUM *bn = BN_bin2bn(serial, sizeof serial, NULL);
        X509_NAME *subject = X509_NAME_new();
        int ok = bn != NULL && subject != NULL && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x509)) != NULL &&
                 X509_set_version(x509, X509_VERSION_3) == 1 &&
                 X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, (const unsigned char *)"ACME tls-alpn-01", -1,
                                            -1, 0) == 1 &&
                 X509_set_subject_name(x509, subject) == 1 && X509_set_issuer_name(x509, subject) == 1 &&
                 X509_gmtime_adj(X509_getm_notBefore(x509), -CERT_ACME_SKEW_SECONDS) != NULL &&
                 X509_gmtime_adj(X509_getm_notAfter(x509), CERT_ACME_LIFETIME_SECONDS) != NULL &&
                 X509_set_pubkey(x509, pkey) == 1;
        BN_free(bn);
        X509_NAME_free(subject);
        return ok ? SMT_OK : crypto_error_set(err, CRYPTO_EOPENSSL, "tls-alpn-01 certificate fields");
}

static int cert_acme_build(X509 *x509, EVP_PKEY *pkey, const char *name, const uint8_t digest[32], struct err *err)
{
        TRY(cert_acme_set_fields(x509, pkey, err));
        if (!cert_acme_add_name(x509, name))
                return crypto_error_set(err, CRYPTO_EOPENSSL, "tls-alpn-01 certificate subjectAltName");
        if (!cert_acme_add_identifier(x509, digest))
                return crypto_error_set(err, CRYPTO_EOPENSSL, "tls-alpn-01 certificate acmeIdentifier");
        if (X509_sign(x509, pkey, EVP_sha256()) <= 0)
                return crypto_error_set(err, CRYPTO_EOPENSSL, "signing the tls-alpn-01 certificate");
        return SMT_OK;
}

int cert_acme_tls_alpn01_new(struct cert **cert, struct key **key, const char *name, const uint8_t digest[32],
                             struct err *err)
{
        *cert = NULL;
        *key = NULL;
        if (name == NULL || name[0] == '\0' || strlen(name) >= CERT_SAN_VALUE_MAX)
                return SMT_ERR(err, SMT_EINVAL, "tls-alpn-01 certificate: name of %zu bytes, expected 1..%d",
                               name != NULL ? strlen(name) : 0, CERT_SAN_VALUE_MAX - 1);
        struct key *made = NULL;
        TRY(key_generate(&made, KEY_ALG_EC_P256, err));
        X509 *x509 = X509_new();
        int status = x509 != NULL ? cert_acme_build(x509, key_evp(made), name, digest, err)
                                  : SMT_ERR(err, SMT_ENOMEM, "allocating a tls-alpn-01 certificate");
        if (status == SMT_OK) {
                status = cert_wrap(cert, x509, err); /* takes x509, also on failure */
                x509 = NULL;
        }
        X509_free(x509);
        if (status != SMT_OK) {
                key_free(made);
                return status;
        }
        *key = made;
        return SMT_OK;
}
