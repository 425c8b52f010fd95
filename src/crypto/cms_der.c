/* src/crypto/cms_der.c: the DER pieces of SignedData that base/der.h does not have: OIDs from dotted text
 * (X.690 §8.19), UTCTime / GeneralizedTime (X.690 §11.7-11.8, RFC 5652 §11.3), whole elements and
 * AlgorithmIdentifiers (RFC 5280 §4.1.1.2). */
#include "crypto/cms.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "crypto/cms_internal.h"

/* cms_oid_next_arc reads one decimal arc at *p (no sign, no leading zero) and moves *p past it. */
static int cms_oid_next_arc(const char **p, uint64_t *arc)
{
        const char *s = *p;
        if (!isdigit((unsigned char)*s) || (s[0] == '0' && isdigit((unsigned char)s[1])))
                return SMT_EINVAL;
        uint64_t value = 0;
        for (; isdigit((unsigned char)*s); s++) {
                if (value > (UINT64_MAX - 9) / 10)
                        return SMT_EINVAL;
                value = value * 10 + (uint64_t)(*s - '0');
        }
        *arc = value;
        *p = s;
        return SMT_OK;
}

/* cms_oid_put_arc appends arc in base 128, high groups first with the continuation bit (X.690 §8.19.2). */
static int cms_oid_put_arc(struct buf_writer *w, uint64_t arc)
{
        uint8_t groups[10];
        size_t num_groups = 0;
        do {
                groups[num_groups++] = (uint8_t)(arc & 0x7F);
                arc >>= 7;
        } while (arc != 0);
        while (num_groups > 1)
                TRY(buf_write_u8(w, (uint8_t)(groups[--num_groups] | 0x80)));
        return buf_write_u8(w, groups[0]);
}

int cms_oid_encode(uint8_t out[CMS_OID_MAX], size_t *out_len, const char *dotted, struct err *err)
{
        struct buf_writer w;
        buf_writer_init_fixed(&w, out, CMS_OID_MAX);
        const char *p = dotted != NULL ? dotted : "";
        uint64_t first = 0, second = 0, arc = 0;
        int status = cms_oid_next_arc(&p, &first);
        if (status == SMT_OK && *p++ == '.')
                status = cms_oid_next_arc(&p, &second);
        else
                status = SMT_EINVAL;
        /* X.690 §8.19.4: the first two arcs share one number, 40 * first + second, with second < 40 under 0 and 1. */
        if (status == SMT_OK && (first > 2 || (first < 2 && second >= 40) || second > UINT64_MAX - 80))
                status = SMT_EINVAL;
        if (status == SMT_OK)
                status = cms_oid_put_arc(&w, first * 40 + second);
        while (status == SMT_OK && *p != '\0') {
                if (*p++ != '.' || cms_oid_next_arc(&p, &arc) != SMT_OK)
                        status = SMT_EINVAL;
                else
                        status = cms_oid_put_arc(&w, arc);
        }
        if (status != SMT_OK)
                return SMT_ERR(err, SMT_EINVAL, "cms: \"%.64s\" is not a dotted OID of at most %d bytes",
                               dotted != NULL ? dotted : "(null)", CMS_OID_MAX);
        *out_len = w.len;
        return SMT_OK;
}

bool cms_oid_is(const struct buf_reader *value, const char *dotted)
{
        uint8_t der[CMS_OID_MAX];
        size_t len = 0;
        struct err ignored = {0};
        if (cms_oid_encode(der, &len, dotted, &ignored) != SMT_OK)
                return false;
        return value->len == len && memcmp(value->data, der, len) == 0;
}

int cms_der_write_element(struct buf_writer *w, uint8_t tag, const uint8_t *content, size_t content_len)
{
        TRY(der_write_header(w, tag, content_len));
        return content_len == 0 ? SMT_OK : buf_write_bytes(w, content, content_len);
}

int cms_der_write_oid(struct buf_writer *w, const char *dotted, struct err *err)
{
        uint8_t der[CMS_OID_MAX];
        size_t len = 0;
        TRY(cms_oid_encode(der, &len, dotted, err));
        return cms_der_write_element(w, DER_TAG_OID, der, len);
}

int cms_der_write_time(struct buf_writer *w, time_t t, struct err *err)
{
        struct tm tm;
        char text[32];
        if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 0)
                return SMT_ERR(err, SMT_EINVAL, "cms: signing time %lld out of range", (long long)t);
        int year = tm.tm_year + 1900;
        bool is_utc = year >= 1950 && year < 2050;
        int len = is_utc ? snprintf(text, sizeof text, "%02d%02d%02d%02d%02d%02dZ", year % 100, tm.tm_mon + 1,
                                    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec)
                         : snprintf(text, sizeof text, "%04d%02d%02d%02d%02d%02dZ", year, tm.tm_mon + 1, tm.tm_mday,
                                    tm.tm_hour, tm.tm_min, tm.tm_sec);
        return cms_der_write_element(w, is_utc ? CMS_TAG_UTC_TIME : CMS_TAG_GENERALIZED_TIME, (const uint8_t *)text,
                                     (size_t)len);
}

/* cms_der_digits reads count decimal digits from r. */
static int cms_der_digits(struct buf_reader *r, size_t count, int *out)
{
        int value = 0;
        for (size_t i = 0; i < count; i++) {
                uint8_t c;
                TRY(buf_read_u8(r, &c));
                if (c < '0' || c > '9')
                        return SMT_EDECODE;
                value = value * 10 + (c - '0');
        }
        *out = value;
        return SMT_OK;
}

/* cms_der_time_fields reads the digits of either form; DER wants seconds and 'Z' (X.690 §11.7-11.8). */
static int cms_der_time_fields(struct buf_reader *r, bool is_utc, struct tm *tm)
{
        int year = 0, fields[5];
        TRY(cms_der_digits(r, is_utc ? 2 : 4, &year));
        for (size_t i = 0; i < 5; i++)
                TRY(cms_der_digits(r, 2, &fields[i]));
        uint8_t zulu;
        TRY(buf_read_u8(r, &zulu));
        if (zulu != 'Z' || !buf_reader_is_empty(r))
                return SMT_EDECODE;
        if (is_utc)
                year += year < 50 ? 2000 : 1900; /* RFC 5280 §4.1.2.5.1 */
        if (fields[0] < 1 || fields[0] > 12 || fields[1] < 1 || fields[1] > 31 || fields[2] > 23 || fields[3] > 59 ||
            fields[4] > 60)
                return SMT_EDECODE;
        *tm = (struct tm){.tm_year = year - 1900,
                          .tm_mon = fields[0] - 1,
                          .tm_mday = fields[1],
                          .tm_hour = fields[2],
                          .tm_min = fields[3],
                          .tm_sec = fields[4]};
        return SMT_OK;
}

int cms_der_read_time(struct buf_reader *r, time_t *out, const char *what, struct err *err)
{
        uint8_t tag = 0;
        struct buf_reader value;
        TRY(cms_der_read_any(r, &tag, &value, NULL, what, err));
        if (tag != CMS_TAG_UTC_TIME && tag != CMS_TAG_GENERALIZED_TIME)
                return SMT_ERR(err, SMT_EDECODE, "%s: tag 0x%02x is not a time", what, tag);
        struct tm tm;
        if (cms_der_time_fields(&value, tag == CMS_TAG_UTC_TIME, &tm) != SMT_OK)
                return SMT_ERR(err, SMT_EDECODE, "%s: not a DER time \"YY(YY)MMDDHHMMSSZ\"", what);
        *out = timegm(&tm);
        return SMT_OK;
}

int cms_der_read_any(struct buf_reader *r, uint8_t *tag, struct buf_reader *content, struct buf_reader *whole,
                     const char *what, struct err *err)
{
        uint8_t seen;
        if (buf_peek_u8(r, &seen) < 0)
                return SMT_ERR(err, SMT_ETRUNCATED, "%s: missing", what);
        /* Multi-byte tags (low bits all set, X.690 §8.1.2.4) never occur in what we read. */
        if ((seen & 0x1F) == 0x1F)
                return SMT_ERR(err, SMT_EDECODE, "%s: multi-byte tag 0x%02x", what, seen);
        *tag = seen;
        return cms_der_read_whole(r, seen, content, whole, what, err);
}

int cms_der_read_whole(struct buf_reader *r, uint8_t tag, struct buf_reader *content, struct buf_reader *whole,
                       const char *what, struct err *err)
{
        struct buf_reader before = *r;
        TRY(der_read_element(r, tag, content, what, err));
        if (whole != NULL)
                TRY(buf_read_slice(&before, whole, before.len - r->len));
        return SMT_OK;
}

int cms_der_read_algorithm(struct buf_reader *r, struct buf_reader *oid, const char *what, struct err *err)
{
        struct buf_reader seq, params;
        TRY(der_read_element(r, DER_TAG_SEQUENCE, &seq, what, err));
        TRY(der_read_element(&seq, DER_TAG_OID, oid, what, err));
        if (!buf_reader_is_empty(&seq)) {
                TRY(der_read_element(&seq, DER_TAG_NULL, &params, what, err));
                if (params.len != 0)
                        return SMT_ERR(err, SMT_EDECODE, "%s: NULL parameters of %zu bytes", what, params.len);
        }
        return buf_reader_expect_end(&seq, what, err);
}
