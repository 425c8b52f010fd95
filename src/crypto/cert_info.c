/* src/crypto/cert_info.c: what a certificate says: names, serial, validity, subjectAltName, fingerprint,
 * and the usage and host-name checks (RFC 5280 §4.2.1, RFC 6125 §6). */
#include "crypto/cert.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "crypto/crypto_error.h"

/* One table for the keyUsage bits: our bit, OpenSSL's X509_get_key_usage bit, RFC 5280 name. */
static const struct {
        unsigned ours;
        uint32_t openssl;
        const char *name;
} cert_key_usages[] = {
    {CERT_KEY_USAGE_DIGITAL_SIGNATURE, KU_DIGITAL_SIGNATURE, "digitalSignature"},
    {CERT_KEY_USAGE_NON_REPUDIATION, KU_NON_REPUDIATION, "nonRepudiation"},
    {CERT_KEY_USAGE_KEY_ENCIPHERMENT, KU_KEY_ENCIPHERMENT, "keyEncipherment"},
    {CERT_KEY_USAGE_DATA_ENCIPHERMENT, KU_DATA_ENCIPHERMENT, "dataEncipherment"},
    {CERT_KEY_USAGE_KEY_AGREEMENT, KU_KEY_AGREEMENT, "keyAgreement"},
    {CERT_KEY_USAGE_KEY_CERT_SIGN, KU_KEY_CERT_SIGN, "keyCertSign"},
    {CERT_KEY_USAGE_CRL_SIGN, KU_CRL_SIGN, "cRLSign"},
};

static const struct {
        unsigned ours;
        uint32_t openssl;
        const char *name;
} cert_extended_usages[] = {
    {CERT_EXTENDED_USAGE_SERVER_AUTH, XKU_SSL_SERVER, "serverAuth"},
    {CERT_EXTENDED_USAGE_CLIENT_AUTH, XKU_SSL_CLIENT, "clientAuth"},
    {CERT_EXTENDED_USAGE_CODE_SIGNING, XKU_CODE_SIGN, "codeSigning"},
    {CERT_EXTENDED_USAGE_EMAIL_PROTECTION, XKU_SMIME, "emailProtection"},
    {CERT_EXTENDED_USAGE_TIME_STAMPING, XKU_TIMESTAMP, "timeStamping"},
    {CERT_EXTENDED_USAGE_OCSP_SIGNING, XKU_OCSP_SIGN, "OCSPSigning"},
};

#define CERT_INFO_COUNT(table) (sizeof(table) / sizeof((table)[0]))

/* cert_info_copy_bio moves a memory BIO's text to out as a C string. */
static int cert_info_copy_bio(BIO *bio, char *out, size_t out_cap, const char *what, struct err *err)
{
        char *mem = NULL;
        long len = BIO_get_mem_data(bio, &mem);
        if (len < 0 || (size_t)len >= out_cap)
                return SMT_ERR(err, SMT_ENOSPACE, "certificate %s of %ld characters exceeds %zu", what, len,
                               out_cap - 1);
        memcpy(out, mem, (size_t)len);
        out[len] = '\0';
        return SMT_OK;
}

/* cert_info_name_text prints RFC 4514 attribute=value pairs in certificate order, UTF-8 kept as is and
 * control characters escaped, so a hostile name cannot forge log lines. */
static int cert_info_name_text(const X509_NAME *name, char *out, size_t out_cap, const char *what, struct err *err)
{
        unsigned long flags = ASN1_STRFLGS_RFC2253 & ~ASN1_STRFLGS_ESC_MSB;
        flags |= XN_FLAG_SEP_CPLUS_SPC | XN_FLAG_FN_SN;
        BIO *bio = BIO_new(BIO_s_mem());
        if (bio == NULL || X509_NAME_print_ex(bio, name, 0, flags) < 0) {
                BIO_free(bio);
                return crypto_error_set(err, CRYPTO_ECERT, "certificate %s: cannot print", what);
        }
        int status = cert_info_copy_bio(bio, out, out_cap, what, err);
        BIO_free(bio);
        return status;
}

int cert_subject_text(const struct cert *cert, char *out, size_t out_cap, struct err *err)
{
        return cert_info_name_text(X509_get_subject_name(cert_x509(cert)), out, out_cap, "subject", err);
}

int cert_issuer_text(const struct cert *cert, char *out, size_t out_cap, struct err *err)
{
        return cert_info_name_text(X509_get_issuer_name(cert_x509(cert)), out, out_cap, "issuer", err);
}

/* cert_info_name_der borrows the encoding OpenSSL keeps from parsing (X509_NAME_get0_der), so the bytes are
 * the certificate's own and compare equal to what a peer reads from it. */
static int cert_info_name_der(const X509_NAME *name, const uint8_t **data, size_t *len, const char *what,
                              struct err *err)
{
        const unsigned char *der = NULL;
        size_t der_len = 0;
        if (name == NULL || !X509_NAME_get0_der(name, &der, &der_len) || der_len == 0)
                return crypto_error_set(err, CRYPTO_ECERT, "certificate %s: cannot encode", what);
        *data = der;
        *len = der_len;
        return SMT_OK;
}

int cert_subject_der(const struct cert *cert, const uint8_t **data, size_t *len, struct err *err)
{
        return cert_info_name_der(X509_get_subject_name(cert_x509(cert)), data, len, "subject", err);
}

int cert_issuer_der(const struct cert *cert, const uint8_t **data, size_t *len, struct err *err)
{
        return cert_info_name_der(X509_get_issuer_name(cert_x509(cert)), data, len, "issuer", err);
}

int cert_serial_hex(const struct cert *cert, char *out, size_t out_cap, struct err *err)
{
        BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert_x509(cert)), NULL);
        char *hex = bn != NULL ? BN_bn2hex(bn) : NULL;
        BN_free(bn);
        if (hex == NULL)
                return crypto_error_set(err, CRYPTO_ECERT, "certificate serial: cannot convert");
        size_t len = strlen(hex);
        int status = SMT_OK;
        if (len >= out_cap) {
                status =
                    SMT_ERR(err, SMT_ENOSPACE, "certificate serial of %zu hex digits exceeds %zu", len, out_cap - 1);
        } else {
                for (size_t i = 0; i <= len; i++)
                        out[i] = (char)(hex[i] >= 'A' && hex[i] <= 'F' ? hex[i] - 'A' + 'a' : hex[i]);
        }
        OPENSSL_free(hex);
        return status;
}

int cert_authority_key_id(const struct cert *cert, uint8_t *out, size_t out_cap, size_t *out_len, struct err *err)
{
        const ASN1_OCTET_STRING *id = X509_get0_authority_key_id(cert_x509(cert));
        if (id == NULL)
                return SMT_ERR(err, CRYPTO_ECERT, "certificate has no authority key identifier");
        size_t len = (size_t)ASN1_STRING_length(id);
        if (len > out_cap)
                return SMT_ERR(err, SMT_ENOSPACE, "authority key identifier of %zu bytes exceeds %zu", len, out_cap);
        memcpy(out, ASN1_STRING_get0_data(id), len);
        *out_len = len;
        return SMT_OK;
}

static int cert_info_time(const ASN1_TIME *t, time_t *out, const char *what, struct err *err)
{
        struct tm tm;
        memset(&tm, 0, sizeof tm);
        if (t == NULL || !ASN1_TIME_to_tm(t, &tm))
                return crypto_error_set(err, CRYPTO_ECERT, "certificate %s: malformed time", what);
        *out = timegm(&tm);
        return SMT_OK;
}

int cert_not_before(const struct cert *cert, time_t *out, struct err *err)
{
        return cert_info_time(X509_get0_notBefore(cert_x509(cert)), out, "notBefore", err);
}

int cert_not_after(const struct cert *cert, time_t *out, struct err *err)
{
        return cert_info_time(X509_get0_notAfter(cert_x509(cert)), out, "notAfter", err);
}

bool cert_is_ca(const struct cert *cert)
{
        return (X509_get_extension_flags(cert_x509(cert)) & EXFLAG_CA) != 0;
}

bool cert_is_self_issued(const struct cert *cert)
{
        X509 *x509 = cert_x509(cert);
        return X509_NAME_cmp(X509_get_subject_name(x509), X509_get_issuer_name(x509)) == 0;
}

/* cert_info_ia5 copies an IA5String SAN value; an embedded NUL would let "a.com\0.evil" pass as text. */
static int cert_info_ia5(struct cert_san *san, enum cert_san_type type, const ASN1_IA5STRING *s, struct err *err)
{
        size_t len = (size_t)ASN1_STRING_length(s);
        const unsigned char *data = ASN1_STRING_get0_data(s);
        if (len >= sizeof san->value)
                return SMT_ERR(err, SMT_ENOSPACE, "subjectAltName entry of %zu bytes exceeds %zu", len,
                               sizeof san->value - 1);
        if (memchr(data, '\0', len) != NULL)
                return SMT_ERR(err, CRYPTO_ECERT, "subjectAltName entry holds a NUL byte");
        memcpy(san->value, data, len);
        san->value[len] = '\0';
        san->type = type;
        return SMT_OK;
}

static int cert_info_ip(struct cert_san *san, const ASN1_OCTET_STRING *ip, struct err *err)
{
        int len = ASN1_STRING_length(ip);
        int family = len == 4 ? AF_INET : len == 16 ? AF_INET6 : 0;
        if (family == 0)
                return SMT_ERR(err, CRYPTO_ECERT, "subjectAltName iPAddress of %d bytes, expected 4 or 16", len);
        if (inet_ntop(family, ASN1_STRING_get0_data(ip), san->value, sizeof san->value) == NULL)
                return SMT_ERR(err, SMT_EINTERNAL, "subjectAltName iPAddress: cannot print");
        san->type = CERT_SAN_IP;
        return SMT_OK;
}

/* cert_info_san converts one GeneralName; 1 when it is of a type we list, 0 to skip it. */
static int cert_info_san(struct cert_san *san, const GENERAL_NAME *name, struct err *err)
{
        switch (name->type) {
        case GEN_DNS:
                TRY(cert_info_ia5(san, CERT_SAN_DNS, name->d.dNSName, err));
                return 1;
        case GEN_EMAIL:
                TRY(cert_info_ia5(san, CERT_SAN_EMAIL, name->d.rfc822Name, err));
                return 1;
        case GEN_URI:
                TRY(cert_info_ia5(san, CERT_SAN_URI, name->d.uniformResourceIdentifier, err));
                return 1;
        case GEN_IPADD:
                TRY(cert_info_ip(san, name->d.iPAddress, err));
                return 1;
        default:
                return 0;
        }
}

int cert_san_list(const struct cert *cert, struct cert_san *out, size_t out_cap, size_t *out_count, struct err *err)
{
        int critical = 0;
        GENERAL_NAMES *names = X509_get_ext_d2i(cert_x509(cert), NID_subject_alt_name, &critical, NULL);
        *out_count = 0;
        if (names == NULL && critical == -1)
                return SMT_OK;
        if (names == NULL)
                return crypto_error_set(err, CRYPTO_ECERT, "certificate subjectAltName: malformed or repeated");
        int status = SMT_OK;
        struct cert_san san;
        for (int i = 0; i < sk_GENERAL_NAME_num(names) && status >= 0; i++) {
                status = cert_info_san(&san, sk_GENERAL_NAME_value(names, i), err);
                if (status == 1 && *out_count == out_cap)
                        status =
                            SMT_ERR(err, SMT_ENOSPACE, "certificate has more than %zu subjectAltName entries", out_cap);
                else if (status == 1)
                        out[(*out_count)++] = san;
        }
        GENERAL_NAMES_free(names);
        return status < 0 ? status : SMT_OK;
}

int cert_sha256(const struct cert *cert, uint8_t out[CERT_SHA256_LEN], struct err *err)
{
        const uint8_t *der = NULL;
        size_t der_len = 0;
        cert_der(cert, &der, &der_len);
        if (!EVP_Digest(der, der_len, out, NULL, EVP_sha256(), NULL))
                return crypto_error_set(err, CRYPTO_EOPENSSL, "certificate SHA-256");
        return SMT_OK;
}

/* cert_info_bit_names writes the names of the bits of set, comma-separated, for messages. */
static void cert_info_key_usage_names(unsigned set, char *out, size_t out_cap)
{
        size_t used = 0;
        out[0] = '\0';
        for (size_t i = 0; i < CERT_INFO_COUNT(cert_key_usages) && used < out_cap; i++)
                if (set & cert_key_usages[i].ours)
                        used += (size_t)snprintf(out + used, out_cap - used, "%s%s", used ? ", " : "",
                                                 cert_key_usages[i].name);
}

static void cert_info_extended_usage_names(unsigned set, char *out, size_t out_cap)
{
        size_t used = 0;
        out[0] = '\0';
        for (size_t i = 0; i < CERT_INFO_COUNT(cert_extended_usages) && used < out_cap; i++)
                if (set & cert_extended_usages[i].ours)
                        used += (size_t)snprintf(out + used, out_cap - used, "%s%s", used ? ", " : "",
                                                 cert_extended_usages[i].name);
}

/* cert_info_key_usage gives our bits, or false when there is no keyUsage extension. OpenSSL reports a
 * certificate whose extensions do not decode as having no usage at all (0), so such a one fails every check. */
static bool cert_info_key_usage(const struct cert *cert, unsigned *out)
{
        uint32_t raw = X509_get_key_usage(cert_x509(cert));
        *out = 0;
        if (raw == UINT32_MAX)
                return false;
        for (size_t i = 0; i < CERT_INFO_COUNT(cert_key_usages); i++)
                if (raw & cert_key_usages[i].openssl)
                        *out |= cert_key_usages[i].ours;
        return true;
}

static bool cert_info_extended_usage(const struct cert *cert, unsigned *out, bool *is_any)
{
        uint32_t raw = X509_get_extended_key_usage(cert_x509(cert));
        *out = 0;
        *is_any = false;
        if (raw == UINT32_MAX)
                return false;
        for (size_t i = 0; i < CERT_INFO_COUNT(cert_extended_usages); i++)
                if (raw & cert_extended_usages[i].openssl)
                        *out |= cert_extended_usages[i].ours;
        *is_any = (raw & XKU_ANYEKU) != 0;
        return true;
}

static int cert_info_usage_error(const struct cert *cert, const char *kind, const char *wanted, const char *has,
                                 struct err *err)
{
        char subject[CERT_NAME_TEXT_MAX];
        if (cert_subject_text(cert, subject, sizeof subject, NULL) < 0)
                snprintf(subject, sizeof subject, "(unprintable)");
        return SMT_ERR(err, CRYPTO_ECERT_USAGE, "certificate \"%s\": %s lacks %s (has %s)", subject, kind, wanted,
                       has[0] ? has : "none");
}

int cert_check_key_usage(const struct cert *cert, unsigned all_of, struct err *err)
{
        unsigned has = 0;
        if (!cert_info_key_usage(cert, &has) || (has & all_of) == all_of)
                return SMT_OK;
        char missing[160], present[160];
        cert_info_key_usage_names(all_of & ~has, missing, sizeof missing);
        cert_info_key_usage_names(has, present, sizeof present);
        return cert_info_usage_error(cert, "keyUsage", missing, present, err);
}

int cert_check_key_usage_any(const struct cert *cert, unsigned any_of, struct err *err)
{
        unsigned has = 0;
        if (!cert_info_key_usage(cert, &has) || (has & any_of) != 0)
                return SMT_OK;
        char wanted[180], present[160];
        cert_info_key_usage_names(any_of, wanted, sizeof wanted);
        cert_info_key_usage_names(has, present, sizeof present);
        char one_of[200];
        snprintf(one_of, sizeof one_of, "one of %s", wanted);
        return cert_info_usage_error(cert, "keyUsage", one_of, present, err);
}

int cert_check_extended_usage(const struct cert *cert, unsigned all_of, struct err *err)
{
        unsigned has = 0;
        bool is_any = false;
        if (!cert_info_extended_usage(cert, &has, &is_any) || is_any || (has & all_of) == all_of)
                return SMT_OK;
        char missing[160], present[160];
        cert_info_extended_usage_names(all_of & ~has, missing, sizeof missing);
        cert_info_extended_usage_names(has, present, sizeof present);
        return cert_info_usage_error(cert, "extendedKeyUsage", missing, present, err);
}

/* cert_info_names_text lists the names a host is matched against, for the mismatch message. */
static void cert_info_names_text(const struct cert *cert, char *out, size_t out_cap)
{
        struct cert_san sans[8];
        size_t count = 0, used = 0;
        out[0] = '\0';
        if (cert_san_list(cert, sans, 8, &count, NULL) < 0 || count == 0) {
                X509_NAME_get_text_by_NID(X509_get_subject_name(cert_x509(cert)), NID_commonName, out, (int)out_cap);
                return;
        }
        for (size_t i = 0; i < count && used < out_cap; i++)
                if (sans[i].type == CERT_SAN_DNS || sans[i].type == CERT_SAN_IP)
                        used += (size_t)snprintf(out + used, out_cap - used, "%s%s", used ? ", " : "", sans[i].value);
}

static bool cert_info_is_ip(const char *host)
{
        uint8_t addr[16];
        return inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1;
}

int cert_check_host(const struct cert *cert, const char *host, struct err *err)
{
        if (host == NULL || host[0] == '\0')
                return SMT_ERR(err, SMT_EINVAL, "cert_check_host: empty host name");
        int match;
        if (cert_info_is_ip(host))
                match = X509_check_ip_asc(cert_x509(cert), host, 0);
        else
                /* RFC 6125 §6.4.3: a wildcard only as the whole left-most label ("f*.example.com" is refused);
                 * OpenSSL checks the CN only when no dNSName is present (§6.4.4). */
                match =
                    X509_check_host(cert_x509(cert), host, strlen(host), X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, NULL);
        if (match == 1)
                return SMT_OK;
        crypto_error_clear();
        char names[200];
        cert_info_names_text(cert, names, sizeof names);
        return SMT_ERR(err, CRYPTO_ECERT_NAME, "certificate for \"%s\" does not match host \"%s\"", names, host);
}
