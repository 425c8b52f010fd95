/* src/crypto/tsp_der.c: hashes, DER pieces and GeneralizedTime with fractions for the RFC 3161 messages. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/objects.h>

#include "crypto/crypto_error.h"
#include "crypto/tsp_internal.h"

static const struct {
        enum tsp_hash hash;
        const char *name;
        const char *oid;
        size_t len;
} tsp_hashes[] = {
    {TSP_HASH_SM3, "sm3", TSP_OID_SM3, 32},
    {TSP_HASH_SHA256, "sha256", TSP_OID_SHA256, 32},
    {TSP_HASH_SHA384, "sha384", TSP_OID_SHA384, 48},
    {TSP_HASH_SHA512, "sha512", TSP_OID_SHA512, 64},
};
#define TSP_NUM_HASHES (sizeof tsp_hashes / sizeof tsp_hashes[0])

int tsp_hash_parse(const char *name, enum tsp_hash *out)
{
        for (size_t i = 0; i < TSP_NUM_HASHES; i++)
                if (name != NULL && strcmp(name, tsp_hashes[i].name) == 0) {
                        *out = tsp_hashes[i].hash;
                        return SMT_OK;
                }
        return SMT_EINVAL;
}

const char *tsp_hash_name(enum tsp_hash hash)
{
        for (size_t i = 0; i < TSP_NUM_HASHES; i++)
                if (tsp_hashes[i].hash == hash)
                        return tsp_hashes[i].name;
        return "unknown";
}

size_t tsp_hash_len(enum tsp_hash hash)
{
        for (size_t i = 0; i < TSP_NUM_HASHES; i++)
                if (tsp_hashes[i].hash == hash)
                        return tsp_hashes[i].len;
        return 0;
}

const char *tsp_hash_oid(enum tsp_hash hash)
{
        for (size_t i = 0; i < TSP_NUM_HASHES; i++)
                if (tsp_hashes[i].hash == hash)
                        return tsp_hashes[i].oid;
        return NULL;
}

enum tsp_hash tsp_hash_from_oid(const struct buf_reader *oid)
{
        for (size_t i = 0; i < TSP_NUM_HASHES; i++)
                if (cms_oid_is(oid, tsp_hashes[i].oid))
                        return tsp_hashes[i].hash;
        return TSP_HASH_UNKNOWN;
}

static const EVP_MD *tsp_hash_md(enum tsp_hash hash)
{
        switch (hash) {
        case TSP_HASH_SM3:
                return EVP_sm3();
        case TSP_HASH_SHA256:
                return EVP_sha256();
        case TSP_HASH_SHA384:
                return EVP_sha384();
        case TSP_HASH_SHA512:
                return EVP_sha512();
        case TSP_HASH_UNKNOWN:
                return NULL;
        }
        return NULL;
}

int tsp_imprint_make(struct tsp_imprint *out, enum tsp_hash hash, const uint8_t *in, size_t in_len, struct err *err)
{
        const EVP_MD *md = tsp_hash_md(hash);
        unsigned int len = 0;
        if (md == NULL)
                return SMT_ERR(err, SMT_EINVAL, "tsp: hash %d unknown", (int)hash);
        memset(out, 0, sizeof *out);
        if (EVP_Digest(in != NULL ? in : (const uint8_t *)"", in_len, out->digest, &len, md, NULL) != 1)
                return crypto_error_set(err, CRYPTO_EOPENSSL, "tsp: %s digest", tsp_hash_name(hash));
        out->hash = hash;
        out->digest_len = len;
        return SMT_OK;
}

int tsp_oid_encode(uint8_t out[CMS_OID_MAX], size_t *out_len, const char *dotted, struct err *err)
{
        ASN1_OBJECT *obj = dotted != NULL ? OBJ_txt2obj(dotted, 1) : NULL;
        size_t len = obj != NULL ? OBJ_length(obj) : 0;
        if (len == 0 || len > CMS_OID_MAX) {
                ASN1_OBJECT_free(obj);
                crypto_error_clear();
                return SMT_ERR(err, SMT_EINVAL, "tsp: \"%s\" is not a dotted OID of at most %d bytes",
                               dotted != NULL ? dotted : "", CMS_OID_MAX);
        }
        memcpy(out, OBJ_get0_data(obj), len);
        *out_len = len;
        ASN1_OBJECT_free(obj);
        return SMT_OK;
}

bool tsp_oid_is(const struct buf_reader *value, const char *dotted)
{
        uint8_t oid[CMS_OID_MAX];
        size_t len = 0;
        struct err ignored = {0};
        return tsp_oid_encode(oid, &len, dotted, &ignored) == SMT_OK && value->len == len &&
               memcmp(value->data, oid, len) == 0;
}

int tsp_oid_text(char *out, size_t out_cap, const uint8_t *oid, size_t oid_len, struct err *err)
{
        uint8_t der[2 + CMS_OID_MAX];
        if (oid_len == 0 || oid_len > CMS_OID_MAX || out_cap == 0)
                return SMT_ERR(err, SMT_EINVAL, "tsp: OID of %zu octets", oid_len);
        der[0] = DER_TAG_OID;
        der[1] = (uint8_t)oid_len;
        memcpy(der + 2, oid, oid_len);
        const unsigned char *p = der;
        ASN1_OBJECT *obj = d2i_ASN1_OBJECT(NULL, &p, (long)(oid_len + 2));
        int n = obj != NULL ? OBJ_obj2txt(out, (int)out_cap, obj, 1) : -1;
        ASN1_OBJECT_free(obj);
        if (n <= 0 || (size_t)n >= out_cap)
                return crypto_error_set(err, SMT_EDECODE, "tsp: OID of %zu octets cannot be written", oid_len);
        return SMT_OK;
}

void tsp_writer_init(struct buf_writer *w)
{
        buf_writer_init_heap(w, TSP_RESPONSE_MAX);
}

int tsp_write_element(struct buf_writer *out, uint8_t tag, const uint8_t *content, size_t len, struct err *err)
{
        if (der_write_header(out, tag, len) < 0 || buf_write_bytes(out, content, len) < 0)
                return SMT_ERR(err, SMT_ENOSPACE, "tsp: element of %zu bytes does not fit", len);
        return SMT_OK;
}

int tsp_seal(struct buf_writer *out, uint8_t tag, struct buf_writer *inner, struct err *err)
{
        int status = tsp_write_element(out, tag, inner->data, inner->len, err);
        buf_writer_cleanup(inner);
        return status;
}

int tsp_write_oid(struct buf_writer *out, const char *dotted, struct err *err)
{
        uint8_t value[CMS_OID_MAX];
        size_t len = 0;
        TRY(tsp_oid_encode(value, &len, dotted, err));
        return tsp_write_element(out, DER_TAG_OID, value, len, err);
}

int tsp_write_algorithm(struct buf_writer *out, const char *dotted, struct err *err)
{
        struct buf_writer seq;
        tsp_writer_init(&seq);
        int status = tsp_write_oid(&seq, dotted, err);
        if (status < 0) {
                buf_writer_cleanup(&seq);
                return status;
        }
        return tsp_seal(out, DER_TAG_SEQUENCE, &seq, err);
}

int tsp_write_imprint(struct buf_writer *out, const struct tsp_imprint *imprint, struct err *err)
{
        const char *oid = tsp_hash_oid(imprint->hash);
        if (oid == NULL || imprint->digest_len != tsp_hash_len(imprint->hash))
                return SMT_ERR(err, SMT_EINVAL, "tsp: imprint hash %s with a digest of %zu bytes",
                               tsp_hash_name(imprint->hash), imprint->digest_len);
        struct buf_writer seq;
        tsp_writer_init(&seq);
        int status = tsp_write_algorithm(&seq, oid, err);
        if (status == SMT_OK)
                status = tsp_write_element(&seq, DER_TAG_OCTET_STRING, imprint->digest, imprint->digest_len, err);
        if (status < 0) {
                buf_writer_cleanup(&seq);
                return status;
        }
        return tsp_seal(out, DER_TAG_SEQUENCE, &seq, err);
}

int tsp_read_optional(struct buf_reader *r, uint8_t tag, bool *present, struct buf_reader *content, const char *what,
                      struct err *err)
{
        uint8_t next = 0;
        *present = buf_peek_u8(r, &next) == SMT_OK && next == tag;
        if (!*present)
                return SMT_OK;
        return der_read_element(r, tag, content, what, err);
}

int tsp_read_algorithm(struct buf_reader *r, struct buf_reader *oid, const char *what, struct err *err)
{
        struct buf_reader seq, params;
        bool has_params = false;
        TRY(der_read_element(r, DER_TAG_SEQUENCE, &seq, what, err));
        TRY(der_read_element(&seq, DER_TAG_OID, oid, what, err));
        TRY(tsp_read_optional(&seq, DER_TAG_NULL, &has_params, &params, what, err));
        if (has_params && params.len != 0)
                return SMT_ERR(err, SMT_EDECODE, "%s: NULL parameters of %zu bytes", what, params.len);
        if (oid->len == 0 || oid->len > CMS_OID_MAX)
                return SMT_ERR(err, SMT_EDECODE, "%s: OID of %zu bytes, expected 1..%d", what, oid->len, CMS_OID_MAX);
        return buf_reader_expect_end(&seq, what, err);
}

int tsp_read_imprint(struct buf_reader *r, struct tsp_imprint *out, struct err *err)
{
        struct buf_reader seq, oid, digest;
        TRY(der_read_element(r, DER_TAG_SEQUENCE, &seq, "messageImprint", err));
        TRY(tsp_read_algorithm(&seq, &oid, "messageImprint.hashAlgorithm", err));
        TRY(der_read_element(&seq, DER_TAG_OCTET_STRING, &digest, "messageImprint.hashedMessage", err));
        TRY(buf_reader_expect_end(&seq, "messageImprint", err));
        memset(out, 0, sizeof *out);
        out->hash = tsp_hash_from_oid(&oid);
        if (out->hash != TSP_HASH_UNKNOWN && digest.len != tsp_hash_len(out->hash))
                return SMT_ERR(err, SMT_EDECODE, "messageImprint: %s digest of %zu bytes, expected %zu",
                               tsp_hash_name(out->hash), digest.len, tsp_hash_len(out->hash));
        if (digest.len > TSP_DIGEST_MAX)
                return SMT_ERR(err, SMT_EDECODE, "messageImprint: digest of %zu bytes exceeds %d", digest.len,
                               TSP_DIGEST_MAX);
        out->digest_len = digest.len;
        return buf_read_bytes(&digest, out->digest, digest.len);
}

int tsp_read_integer(struct buf_reader *r, uint8_t *out, size_t max, size_t *out_len, const char *what, struct err *err)
{
        struct buf_reader v;
        TRY(der_read_element(r, DER_TAG_INTEGER, &v, what, err));
        if (v.len == 0 || v.len > max)
                return SMT_ERR(err, SMT_EDECODE, "%s: INTEGER of %zu octets, expected 1..%zu", what, v.len, max);
        /* X.690 8.3.2: the first nine bits are not all zeros nor all ones. */
        if (v.len > 1 && ((v.data[0] == 0x00 && v.data[1] < 0x80) || (v.data[0] == 0xFF && v.data[1] >= 0x80)))
                return SMT_ERR(err, SMT_EDECODE, "%s: INTEGER not minimally encoded", what);
        *out_len = v.len;
        return buf_read_bytes(&v, out, v.len);
}

int tsp_read_small(struct buf_reader *r, uint8_t tag, int64_t *out, const char *what, struct err *err)
{
        struct buf_reader v;
        TRY(der_read_element(r, tag, &v, what, err));
        if (v.len == 0 || v.len > 4 || v.data[0] >= 0x80 || (v.len > 1 && v.data[0] == 0 && v.data[1] < 0x80))
                return SMT_ERR(err, SMT_EDECODE, "%s: INTEGER of %zu octets is not a small non-negative number", what,
                               v.len);
        int64_t value = 0;
        for (size_t i = 0; i < v.len; i++)
                value = value * 256 + v.data[i];
        *out = value;
        return SMT_OK;
}

int tsp_time_format(char out[TSP_TIME_TEXT_MAX], int64_t us, struct err *err)
{
        time_t seconds = (time_t)(us / 1000000);
        int micros = (int)(us % 1000000);
        struct tm tm;
        if (us < 0 || gmtime_r(&seconds, &tm) == NULL || tm.tm_year + 1900 > 9999)
                return SMT_ERR(err, SMT_EINVAL, "tsp: time %lld us out of range", (long long)us);
        int n = snprintf(out, TSP_TIME_TEXT_MAX, "%04d%02d%02d%02d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        if (micros != 0) {
                char fraction[8];
                snprintf(fraction, sizeof fraction, "%06d", micros);
                for (size_t i = 5; fraction[i] == '0'; i--) /* RFC 3161 2.4.2: no trailing zeros */
                        fraction[i] = '\0';
                n += snprintf(out + n, TSP_TIME_TEXT_MAX - (size_t)n, ".%s", fraction);
        }
        snprintf(out + n, TSP_TIME_TEXT_MAX - (size_t)n, "Z");
        return SMT_OK;
}

static bool tsp_time_digits(const uint8_t *p, size_t n, int *out)
{
        int v = 0;
        for (size_t i = 0; i < n; i++) {
                if (p[i] < '0' || p[i] > '9')
                        return false;
                v = v * 10 + (p[i] - '0');
        }
        *out = v;
        return true;
}

/* tsp_time_fraction reads ".d+" before the final 'Z' into microseconds (finer digits dropped); no trailing zero
 * (RFC 3161 2.4.2). */
static bool tsp_time_fraction(const uint8_t *p, size_t n, int *micros)
{
        static const int weights[] = {0, 100000, 10000, 1000, 100, 10, 1};
        *micros = 0;
        if (n == 0)
                return true;
        if (n < 2 || p[0] != '.' || p[n - 1] == '0')
                return false;
        for (size_t i = 1; i < n; i++) {
                if (p[i] < '0' || p[i] > '9')
                        return false;
                if (i <= 6)
                        *micros += (p[i] - '0') * weights[i];
        }
        return true;
}

int tsp_time_read(struct buf_reader *r, int64_t *us, char text[TSP_TIME_TEXT_MAX], struct err *err)
{
        struct buf_reader v;
        TRY(der_read_element(r, TSP_TAG_GENERALIZED_TIME, &v, "genTime", err));
        int year, mon, day, hour, min, sec, micros;
        if (v.len < 15 || v.len >= TSP_TIME_TEXT_MAX || v.data[v.len - 1] != 'Z' ||
            !tsp_time_digits(v.data, 4, &year) || !tsp_time_digits(v.data + 4, 2, &mon) ||
            !tsp_time_digits(v.data + 6, 2, &day) || !tsp_time_digits(v.data + 8, 2, &hour) ||
            !tsp_time_digits(v.data + 10, 2, &min) || !tsp_time_digits(v.data + 12, 2, &sec) ||
            !tsp_time_fraction(v.data + 14, v.len - 15, &micros))
                return SMT_ERR(err, SMT_EDECODE, "genTime: %zu bytes are not YYYYMMDDHHMMSS[.f]Z", v.len);
        if (year < 1970 || mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60)
                return SMT_ERR(err, SMT_EDECODE, "genTime %.14s out of range", (const char *)v.data);
        struct tm tm = {
            .tm_year = year - 1900, .tm_mon = mon - 1, .tm_mday = day, .tm_hour = hour, .tm_min = min, .tm_sec = sec};
        *us = (int64_t)timegm(&tm) * 1000000 + micros;
        memcpy(text, v.data, v.len);
        text[v.len] = '\0';
        return SMT_OK;
}

/* tsp_failure_write appends PKIFailureInfo as a DER BIT STRING: named bits, trailing zero bits dropped
 * (X.690 11.2.2), so the length follows the highest bit set. */
static int tsp_failure_write(struct buf_writer *out, uint32_t failure_info, struct err *err)
{
        int highest = 31;
        while (highest > 0 && (failure_info & (1u << highest)) == 0)
                highest--;
        uint8_t bits[5] = {0};
        size_t num_octets = (size_t)highest / 8 + 1;
        bits[0] = (uint8_t)(7 - highest % 8); /* unused bits in the last octet */
        for (int bit = 0; bit <= highest; bit++)
                if (failure_info & (1u << bit))
                        bits[1 + bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
        return tsp_write_element(out, DER_TAG_BIT_STRING, bits, num_octets + 1, err);
}

int tsp_status_info_write(struct buf_writer *out, enum tsp_status status, uint32_t failure_info, const char *text,
                          struct err *err)
{
        struct buf_writer seq, strings;
        tsp_writer_init(&seq);
        tsp_writer_init(&strings);
        uint8_t value = (uint8_t)status;
        int result =
            der_write_unsigned_integer(&seq, &value, 1) < 0 ? SMT_ERR(err, SMT_ENOSPACE, "tsp: status") : SMT_OK;
        if (result == SMT_OK && text != NULL) /* PKIFreeText: SEQUENCE OF UTF8String */
                result = tsp_write_element(&strings, TSP_TAG_UTF8_STRING, (const uint8_t *)text, strlen(text), err);
        if (result == SMT_OK && text != NULL)
                result = tsp_seal(&seq, DER_TAG_SEQUENCE, &strings, err);
        if (result == SMT_OK && failure_info != 0)
                result = tsp_failure_write(&seq, failure_info, err);
        buf_writer_cleanup(&strings);
        if (result < 0) {
                buf_writer_cleanup(&seq);
                return result;
        }
        return tsp_seal(out, DER_TAG_SEQUENCE, &seq, err);
}
