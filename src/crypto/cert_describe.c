/* src/crypto/cert_describe.c: a certificate as human-readable lines, for `-v` output and `smtrust cert show`. */
#include "crypto/cert.h"

#include <stdarg.h>
#include <stdio.h>

#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

static int cert_describe_line(struct buf_writer *out, struct err *err, const char *fmt, ...) SMT_PRINTF(3, 4);

static int cert_describe_line(struct buf_writer *out, struct err *err, const char *fmt, ...)
{
        char line[CERT_NAME_TEXT_MAX + 64];
        va_list args;
        va_start(args, fmt);
        int len = vsnprintf(line, sizeof line, fmt, args);
        va_end(args);
        if (len < 0)
                return SMT_ERR(err, SMT_EINTERNAL, "cert_describe: formatting failed");
        size_t used = (size_t)len < sizeof line ? (size_t)len : sizeof line - 1;
        if (buf_write_bytes(out, (const uint8_t *)line, used) < 0 || buf_write_u8(out, '\n') < 0)
                return SMT_ERR(err, SMT_ENOSPACE, "cert_describe: output full");
        return SMT_OK;
}

static int cert_describe_time(struct buf_writer *out, const char *label, time_t t, struct err *err)
{
        struct tm tm;
        char text[32];
        if (gmtime_r(&t, &tm) == NULL || strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
                return SMT_ERR(err, CRYPTO_ECERT, "cert_describe: %s out of range", label);
        return cert_describe_line(out, err, "%-20s%s", label, text);
}

static int cert_describe_names(const struct cert *cert, struct buf_writer *out, struct err *err)
{
        char text[CERT_NAME_TEXT_MAX];
        TRY(cert_subject_text(cert, text, sizeof text, err));
        TRY(cert_describe_line(out, err, "%-20s%s", "Subject:", text));
        TRY(cert_issuer_text(cert, text, sizeof text, err));
        TRY(cert_describe_line(out, err, "%-20s%s", "Issuer:", text));
        TRY(cert_serial_hex(cert, text, sizeof text, err));
        return cert_describe_line(out, err, "%-20s%s", "Serial:", text);
}

static int cert_describe_validity(const struct cert *cert, struct buf_writer *out, struct err *err)
{
        time_t t = 0;
        TRY(cert_not_before(cert, &t, err));
        TRY(cert_describe_time(out, "Not before:", t, err));
        TRY(cert_not_after(cert, &t, err));
        return cert_describe_time(out, "Not after:", t, err);
}

static int cert_describe_key(const struct cert *cert, struct buf_writer *out, struct err *err)
{
        struct key *key = NULL;
        int nid = X509_get_signature_nid(cert_x509(cert));
        const char *signature = nid != NID_undef ? OBJ_nid2ln(nid) : "unknown";
        if (cert_public_key(cert, &key, NULL) < 0)
                return cert_describe_line(out, err, "%-20sunsupported; signed with %s", "Public key:", signature);
        int status = cert_describe_line(out, err, "%-20s%s (%d bits); signed with %s",
                                        "Public key:", key_alg_name(key_get_alg(key)), key_bits(key), signature);
        key_free(key);
        return status;
}

static const char *cert_describe_san_prefix(enum cert_san_type type)
{
        switch (type) {
        case CERT_SAN_DNS:
                return "DNS";
        case CERT_SAN_IP:
                return "IP";
        case CERT_SAN_EMAIL:
                return "email";
        case CERT_SAN_URI:
                return "URI";
        }
        return "?";
}

static int cert_describe_sans(const struct cert *cert, struct buf_writer *out, struct err *err)
{
        struct cert_san sans[32];
        size_t count = 0;
        TRY(cert_san_list(cert, sans, sizeof sans / sizeof sans[0], &count, err));
        for (size_t i = 0; i < count; i++)
                TRY(cert_describe_line(out, err, "%-20s%s:%s", i == 0 ? "Alternative names:" : "",
                                       cert_describe_san_prefix(sans[i].type), sans[i].value));
        return SMT_OK;
}

/* The bits cert_describe names; it asks the check functions about each, so the text agrees with them. */
static const struct {
        unsigned bit;
        const char *name;
} cert_describe_key_usages[] =
    {
        {CERT_KEY_USAGE_DIGITAL_SIGNATURE, "digitalSignature"},
        {CERT_KEY_USAGE_NON_REPUDIATION, "nonRepudiation"},
        {CERT_KEY_USAGE_KEY_ENCIPHERMENT, "keyEncipherment"},
        {CERT_KEY_USAGE_DATA_ENCIPHERMENT, "dataEncipherment"},
        {CERT_KEY_USAGE_KEY_AGREEMENT, "keyAgreement"},
        {CERT_KEY_USAGE_KEY_CERT_SIGN, "keyCertSign"},
        {CERT_KEY_USAGE_CRL_SIGN, "cRLSign"},
},
  cert_describe_extended_usages[] = {
      {CERT_EXTENDED_USAGE_SERVER_AUTH, "serverAuth"},     {CERT_EXTENDED_USAGE_CLIENT_AUTH, "clientAuth"},
      {CERT_EXTENDED_USAGE_CODE_SIGNING, "codeSigning"},   {CERT_EXTENDED_USAGE_EMAIL_PROTECTION, "emailProtection"},
      {CERT_EXTENDED_USAGE_TIME_STAMPING, "timeStamping"}, {CERT_EXTENDED_USAGE_OCSP_SIGNING, "OCSPSigning"},
};

static int cert_describe_usage_line(const struct cert *cert, struct buf_writer *out, bool is_extended, struct err *err)
{
        size_t count = is_extended ? sizeof cert_describe_extended_usages / sizeof cert_describe_extended_usages[0]
                                   : sizeof cert_describe_key_usages / sizeof cert_describe_key_usages[0];
        char text[200];
        size_t used = 0, passed = 0;
        text[0] = '\0';
        for (size_t i = 0; i < count && used < sizeof text; i++) {
                unsigned bit = is_extended ? cert_describe_extended_usages[i].bit : cert_describe_key_usages[i].bit;
                const char *name =
                    is_extended ? cert_describe_extended_usages[i].name : cert_describe_key_usages[i].name;
                int status =
                    is_extended ? cert_check_extended_usage(cert, bit, NULL) : cert_check_key_usage(cert, bit, NULL);
                if (status == SMT_OK) {
                        used += (size_t)snprintf(text + used, sizeof text - used, "%s%s", used ? ", " : "", name);
                        passed++;
                }
        }
        const char *label = is_extended ? "Extended usage:" : "Key usage:";
        X509 *x509 = cert_x509(cert);
        uint32_t raw = is_extended ? X509_get_extended_key_usage(x509) : X509_get_key_usage(x509);
        if (raw == UINT32_MAX)
                return cert_describe_line(out, err, "%-20s(no extension: any)", label);
        return cert_describe_line(out, err, "%-20s%s", label, passed ? text : "(none)");
}

static int cert_describe_usages(const struct cert *cert, struct buf_writer *out, struct err *err)
{
        TRY(cert_describe_usage_line(cert, out, false, err));
        TRY(cert_describe_usage_line(cert, out, true, err));
        return cert_describe_line(out, err, "%-20s%s", "CA:", cert_is_ca(cert) ? "yes" : "no");
}

static int cert_describe_fingerprint(const struct cert *cert, struct buf_writer *out, struct err *err)
{
        uint8_t digest[CERT_SHA256_LEN];
        char hex[CERT_SHA256_LEN * 2 + 1];
        TRY(cert_sha256(cert, digest, err));
        for (size_t i = 0; i < sizeof digest; i++)
                snprintf(hex + 2 * i, 3, "%02x", digest[i]);
        return cert_describe_line(out, err, "%-20s%s", "SHA-256:", hex);
}

int cert_describe(const struct cert *cert, struct buf_writer *out, struct err *err)
{
        TRY(cert_describe_names(cert, out, err));
        TRY(cert_describe_validity(cert, out, err));
        TRY(cert_describe_key(cert, out, err));
        TRY(cert_describe_sans(cert, out, err));
        TRY(cert_describe_usages(cert, out, err));
        return cert_describe_fingerprint(cert, out, err);
}
