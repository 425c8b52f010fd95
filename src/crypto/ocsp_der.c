/* src/crypto/ocsp_der.c: the DER pieces OCSP requests and responses share (RFC 6960 4.1.1, 4.2.1, 4.4). */
#include <stdio.h>
#include <string.h>

#include <openssl/x509.h>

#include "crypto/crypto_error.h"
#include "crypto/ocsp_internal.h"

#define OID(name, ...)                                                                             \
        static const uint8_t name##_bytes[] = {__VA_ARGS__};                                      \
        const struct ocsp_oid name = {name##_bytes, sizeof name##_bytes}

OID(ocsp_oid_basic, 0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x01);
OID(ocsp_oid_nonce, 0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x02);
OID(ocsp_oid_sm2_sm3, 0x2A, 0x81, 0x1C, 0xCF, 0x55, 0x01, 0x83, 0x75);
OID(ocsp_oid_ecdsa_sha256, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02);
OID(ocsp_oid_rsa_sha256, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0B);
OID(ocsp_oid_sha1, 0x2B, 0x0E, 0x03, 0x02, 0x1A);
OID(ocsp_oid_sha256, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01);
OID(ocsp_oid_sm3, 0x2A, 0x81, 0x1C, 0xCF, 0x55, 0x01, 0x83, 0x11);

bool ocsp_oid_equal(struct buf_reader r, const struct ocsp_oid *oid)
{
        return r.len == oid->len && memcmp(r.data, oid->data, oid->len) == 0;
}

const struct ocsp_oid *ocsp_hash_oid(enum ocsp_hash hash)
{
        switch (hash) {
        case OCSP_HASH_SHA1:
                return &ocsp_oid_sha1;
        case OCSP_HASH_SHA256:
                return &ocsp_oid_sha256;
        case OCSP_HASH_SM3:
                return &ocsp_oid_sm3;
        default:
                return NULL;
        }
}

enum ocsp_hash ocsp_hash_from_oid(struct buf_reader oid)
{
        static const enum ocsp_hash known[] = {OCSP_HASH_SHA1, OCSP_HASH_SHA256, OCSP_HASH_SM3};
        for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
                if (ocsp_oid_equal(oid, ocsp_hash_oid(known[i])))
                        return known[i];
        return OCSP_HASH_UNKNOWN;
}

const EVP_MD *ocsp_hash_md(enum ocsp_hash hash)
{
        switch (hash) {
        case OCSP_HASH_SHA1:
                return EVP_sha1();
        case OCSP_HASH_SHA256:
                return EVP_sha256();
        case OCSP_HASH_SM3:
                return EVP_sm3();
        default:
                return NULL;
        }
}

int ocsp_digest(const EVP_MD *md, const uint8_t *in, size_t in_len, uint8_t *out, size_t *out_len, struct err *err)
{
        unsigned int len = 0;
        if (EVP_Digest(in, in_len, out, &len, md, NULL) != 1)
                return crypto_error_set(err, CRYPTO_EOPENSSL, "ocsp: digest %s", EVP_MD_get0_name(md));
        *out_len = len;
        return SMT_OK;
}

static int ocsp_time_digits(const uint8_t *p, size_t n, int *out)
{
        int v = 0;
        for (size_t i = 0; i < n; i++) {
                if (p[i] < '0' || p[i] > '9')
                        return -1;
                v = v * 10 + (p[i] - '0');
        }
        *out = v;
        return 0;
}

int ocsp_time_read(struct buf_reader *r, time_t *out, const char *what, struct err *err)
{
        struct buf_reader v;
        TRY(der_read_element(r, OCSP_TAG_GENERALIZED_TIME, &v, what, err));
        /* RFC 5280 4.1.2.5.2: seconds present, no fraction, "Z". */
        int year, mon, day, hour, min, sec;
        if (v.len != 15 || v.data[14] != 'Z' || ocsp_time_digits(v.data, 4, &year) < 0 ||
            ocsp_time_digits(v.data + 4, 2, &mon) < 0 || ocsp_time_digits(v.data + 6, 2, &day) < 0 ||
            ocsp_time_digits(v.data + 8, 2, &hour) < 0 || ocsp_time_digits(v.data + 10, 2, &min) < 0 ||
            ocsp_time_digits(v.data + 12, 2, &sec) < 0)
                return SMT_ERR(err, SMT_EDECODE, "%s: GeneralizedTime of %zu bytes is not YYYYMMDDHHMMSSZ", what,
                               v.len);
        if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60)
                return SMT_ERR(err, SMT_EDECODE, "%s: GeneralizedTime %.14s out of range", what,
                               (const char *)v.data);
        struct tm tm = {.tm_year = year - 1900, .tm_mon = mon - 1, .tm_mday = day, .tm_hour = hour,
                        .tm_min = min, .tm_sec = sec};
        *out = timegm(&tm);
        return SMT_OK;
}

int ocsp_time_write(struct buf_writer *w, time_t t, struct err *err)
{
        struct tm tm;
        char text[32];
        if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 1950)
                return SMT_ERR(err, SMT_EINVAL, "ocsp: time %lld out of range", (long long)t);
        int n = snprintf(text, sizeof text, "%04d%02d%02d%02d%02d%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        return ocsp_write_element(w, OCSP_TAG_GENERALIZED_TIME, (const uint8_t *)text, (size_t)n, err);
}

/* ocsp_cert_id_fields reads the CertID body; the hashes are OCTET STRINGs of any length up to OCSP_HASH_MAX
 * (an unknown algorithm's length cannot be checked), the serial a non-empty INTEGER kept as encoded. */
static int ocsp_cert_id_fields(struct buf_reader *body, struct ocsp_cert_id *out, struct err *err)
{
        struct buf_reader alg, oid, name_hash, key_hash, serial;
        TRY(der_read_element(body, DER_TAG_SEQUENCE, &alg, "CertID.hashAlgorithm", err));
        TRY(der_read_element(&alg, DER_TAG_OID, &oid, "CertID.hashAlgorithm.algorithm", err));
        if (!buf_reader_is_empty(&alg)) { /* parameters: NULL or absent (RFC 5754 2) */
                struct buf_reader params;
                TRY(der_read_element(&alg, DER_TAG_NULL, &params, "CertID.hashAlgorithm.parameters", err));
                if (params.len != 0)
                        return SMT_ERR(err, SMT_EDECODE, "CertID: NULL parameters of %zu bytes", params.len);
                TRY(buf_reader_expect_end(&alg, "CertID.hashAlgorithm", err));
        }
        TRY(der_read_element(body, DER_TAG_OCTET_STRING, &name_hash, "CertID.issuerNameHash", err));
        TRY(der_read_element(body, DER_TAG_OCTET_STRING, &key_hash, "CertID.issuerKeyHash", err));
        TRY(der_read_element(body, DER_TAG_INTEGER, &serial, "CertID.serialNumber", err));
        TRY(buf_reader_expect_end(body, "CertID", err));
        if (oid.len == 0 || oid.len > OCSP_OID_MAX || name_hash.len > OCSP_HASH_MAX || key_hash.len > OCSP_HASH_MAX)
                return SMT_ERR(err, SMT_EDECODE, "CertID: OID %zu / hashes %zu, %zu bytes exceed %d / %d", oid.len,
                               name_hash.len, key_hash.len, OCSP_OID_MAX, OCSP_HASH_MAX);
        if (serial.len == 0 || serial.len > OCSP_SERIAL_MAX)
                return SMT_ERR(err, SMT_EDECODE, "CertID: serialNumber of %zu octets, expected 1..%d", serial.len,
                               OCSP_SERIAL_MAX);
        out->hash = ocsp_hash_from_oid(oid);
        const EVP_MD *md = ocsp_hash_md(out->hash);
        if (md != NULL && (name_hash.len != (size_t)EVP_MD_get_size(md) || key_hash.len != name_hash.len))
                return SMT_ERR(err, SMT_EDECODE, "CertID: hashes of %zu and %zu bytes, %s gives %d", name_hash.len,
                               key_hash.len, EVP_MD_get0_name(md), EVP_MD_get_size(md));
        memcpy(out->hash_oid, oid.data, oid.len);
        out->hash_oid_len = oid.len;
        memcpy(out->issuer_name_hash, name_hash.data, name_hash.len);
        out->issuer_name_hash_len = name_hash.len;
        memcpy(out->issuer_key_hash, key_hash.data, key_hash.len);
        out->issuer_key_hash_len = key_hash.len;
        memcpy(out->serial, serial.data, serial.len);
        out->serial_len = serial.len;
        return SMT_OK;
}

int ocsp_cert_id_read(struct buf_reader *r, struct ocsp_cert_id *out, struct err *err)
{
        struct buf_reader start = *r, body;
        memset(out, 0, sizeof *out);
        TRY(der_read_element(r, DER_TAG_SEQUENCE, &body, "CertID", err));
        size_t der_len = start.len - r->len;
        if (der_len > sizeof out->der)
                return SMT_ERR(err, SMT_EDECODE, "CertID: %zu bytes exceed %zu", der_len, sizeof out->der);
        TRY(ocsp_cert_id_fields(&body, out, err));
        memcpy(out->der, start.data, der_len);
        out->der_len = der_len;
        return SMT_OK;
}

/* ocsp_extension_read reads one Extension; *is_nonce says it was the nonce, whose extnValue goes to value. */
static int ocsp_extension_read(struct buf_reader *list, bool *is_nonce, struct buf_reader *value, const char *what,
                               struct err *err)
{
        struct buf_reader ext, oid, critical = {0};
        TRY(der_read_element(list, DER_TAG_SEQUENCE, &ext, what, err));
        TRY(der_read_element(&ext, DER_TAG_OID, &oid, what, err));
        uint8_t tag = 0;
        if (buf_peek_u8(&ext, &tag) == 0 && tag == OCSP_TAG_BOOLEAN) {
                TRY(der_read_element(&ext, OCSP_TAG_BOOLEAN, &critical, what, err));
                /* X.690 11.1 and DEFAULT FALSE: only an explicit TRUE (0xFF) is DER. */
                if (critical.len != 1 || critical.data[0] != 0xFF)
                        return SMT_ERR(err, SMT_EDECODE, "%s: critical flag is not DER TRUE", what);
        }
        TRY(der_read_element(&ext, DER_TAG_OCTET_STRING, value, what, err));
        TRY(buf_reader_expect_end(&ext, what, err));
        *is_nonce = ocsp_oid_equal(oid, &ocsp_oid_nonce);
        if (!*is_nonce && critical.len == 1)
                return SMT_ERR(err, SMT_EDECODE, "%s: unknown critical extension", what);
        return SMT_OK;
}

int ocsp_extensions_read(struct buf_reader *r, bool *has_nonce, uint8_t nonce[OCSP_NONCE_MAX], size_t *nonce_len,
                         const char *what, struct err *err)
{
        struct buf_reader list;
        TRY(der_read_element(r, DER_TAG_SEQUENCE, &list, what, err));
        TRY(buf_reader_expect_end(r, what, err));
        if (buf_reader_is_empty(&list)) /* RFC 5280 4.1: SIZE (1..MAX) */
                return SMT_ERR(err, SMT_EDECODE, "%s: empty Extensions", what);
        while (!buf_reader_is_empty(&list)) {
                bool is_nonce = false;
                struct buf_reader value;
                TRY(ocsp_extension_read(&list, &is_nonce, &value, what, err));
                if (!is_nonce || nonce == NULL)
                        continue;
                if (*has_nonce)
                        return SMT_ERR(err, SMT_EDECODE, "%s: two nonce extensions", what);
                if (value.len == 0 || value.len > OCSP_NONCE_MAX)
                        return SMT_ERR(err, SMT_EDECODE, "%s: nonce of %zu bytes, expected 1..%d", what, value.len,
                                       OCSP_NONCE_MAX);
                memcpy(nonce, value.data, value.len);
                *nonce_len = value.len;
                *has_nonce = true;
        }
        return SMT_OK;
}

int ocsp_nonce_extensions_write(struct buf_writer *w, uint8_t tag, const uint8_t *nonce, size_t nonce_len,
                                struct err *err)
{
        struct buf_writer ext, list, wrapper;
        ocsp_writer_init(&ext);
        ocsp_writer_init(&list);
        ocsp_writer_init(&wrapper);
        int status = ocsp_write_element(&ext, DER_TAG_OID, ocsp_oid_nonce.data, ocsp_oid_nonce.len, err);
        if (status == 0)
                status = ocsp_write_element(&ext, DER_TAG_OCTET_STRING, nonce, nonce_len, err);
        if (status == 0)
                status = ocsp_seal(&list, DER_TAG_SEQUENCE, &ext, err);
        if (status == 0)
                status = ocsp_seal(&wrapper, DER_TAG_SEQUENCE, &list, err);
        if (status == 0)
                status = ocsp_seal(w, tag, &wrapper, err);
        buf_writer_cleanup(&ext);
        buf_writer_cleanup(&list);
        buf_writer_cleanup(&wrapper);
        return status;
}

void ocsp_writer_init(struct buf_writer *w)
{
        buf_writer_init_heap(w, OCSP_RESPONSE_MAX);
}

int ocsp_write_element(struct buf_writer *out, uint8_t tag, const uint8_t *content, size_t len, struct err *err)
{
        if (der_write_header(out, tag, len) < 0 || buf_write_bytes(out, content, len) < 0)
                return SMT_ERR(err, SMT_ENOSPACE, "ocsp: element of %zu bytes does not fit", len);
        return SMT_OK;
}

int ocsp_seal(struct buf_writer *out, uint8_t tag, struct buf_writer *inner, struct err *err)
{
        int status = ocsp_write_element(out, tag, inner->data, inner->len, err);
        buf_writer_cleanup(inner);
        return status;
}

int ocsp_key_hash(const struct cert *cert, const EVP_MD *md, uint8_t *out, size_t *out_len, struct err *err)
{
        const ASN1_BIT_STRING *bits = X509_get0_pubkey_bitstr(cert_x509(cert));
        if (bits == NULL)
                return SMT_ERR(err, CRYPTO_ECERT, "ocsp: certificate without a public key");
        return ocsp_digest(md != NULL ? md : EVP_sha1(), ASN1_STRING_get0_data(bits), (size_t)ASN1_STRING_length(bits),
                           out, out_len, err);
}
