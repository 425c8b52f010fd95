/* src/crypto/tsp_tst_info.c: TSTInfo (RFC 3161 2.4.2) written and read.
 *
 *   TSTInfo ::= SEQUENCE { version INTEGER { v1(1) }, policy TSAPolicyId, messageImprint MessageImprint,
 *     serialNumber INTEGER, genTime GeneralizedTime, accuracy Accuracy OPTIONAL,
 *     ordering BOOLEAN DEFAULT FALSE, nonce INTEGER OPTIONAL, tsa [0] GeneralName OPTIONAL,
 *     extensions [1] IMPLICIT Extensions OPTIONAL }
 *   Accuracy ::= SEQUENCE { seconds INTEGER OPTIONAL, millis [0] INTEGER (1..999) OPTIONAL,
 *     micros [1] INTEGER (1..999) OPTIONAL } */
#include <string.h>

#include "crypto/tsp_internal.h"

/* tsp_write_small appends a non-negative number below 2^31 as an INTEGER under tag. */
static int tsp_write_small(struct buf_writer *out, uint8_t tag, int64_t value, struct err *err)
{
        uint8_t bytes[5] = {0, (uint8_t)(value >> 24), (uint8_t)(value >> 16), (uint8_t)(value >> 8), (uint8_t)value};
        size_t start = 0;
        while (start < 4 && bytes[start] == 0 && bytes[start + 1] < 0x80)
                start++;
        return tsp_write_element(out, tag, bytes + start, sizeof bytes - start, err);
}

static int tsp_accuracy_write(struct buf_writer *out, const struct tsp_tst_info *info, struct err *err)
{
        if (info->accuracy_seconds < 0 || info->accuracy_seconds > 0x7FFFFFFF || info->accuracy_millis < 0 ||
            info->accuracy_millis > 999 || info->accuracy_micros < 0 || info->accuracy_micros > 999)
                return SMT_ERR(err, SMT_EINVAL, "tsp: accuracy %llds %lldms %lldus out of range",
                               (long long)info->accuracy_seconds, (long long)info->accuracy_millis,
                               (long long)info->accuracy_micros);
        if (info->accuracy_seconds == 0 && info->accuracy_millis == 0 && info->accuracy_micros == 0)
                return SMT_OK;
        struct buf_writer seq;
        tsp_writer_init(&seq);
        int status = SMT_OK;
        if (info->accuracy_seconds > 0)
                status = tsp_write_small(&seq, DER_TAG_INTEGER, info->accuracy_seconds, err);
        if (status == SMT_OK && info->accuracy_millis > 0)
                status = tsp_write_small(&seq, TSP_TAG_IMPLICIT_0, info->accuracy_millis, err);
        if (status == SMT_OK && info->accuracy_micros > 0)
                status = tsp_write_small(&seq, TSP_TAG_IMPLICIT_1, info->accuracy_micros, err);
        if (status < 0) {
                buf_writer_cleanup(&seq);
                return status;
        }
        return tsp_seal(out, DER_TAG_SEQUENCE, &seq, err);
}

/* tsp_tsa_name_write appends tsa [0] { directoryName [4] { Name } }: GeneralName is a CHOICE, so both tags are
 * explicit (X.680 31.2.7), as OpenSSL writes it. */
static int tsp_tsa_name_write(struct buf_writer *out, const struct buf_reader *name, struct err *err)
{
        struct buf_writer directory, general;
        tsp_writer_init(&directory);
        tsp_writer_init(&general);
        int status = buf_write_bytes(&directory, name->data, name->len) < 0
                         ? SMT_ERR(err, SMT_ENOSPACE, "tsp: tsa name of %zu bytes", name->len)
                         : tsp_seal(&general, TSP_TAG_DIRECTORY_NAME, &directory, err);
        if (status == SMT_OK)
                status = tsp_seal(out, TSP_TAG_CONTEXT_0, &general, err);
        buf_writer_cleanup(&directory);
        buf_writer_cleanup(&general);
        return status;
}

static int tsp_tst_info_fields(struct buf_writer *body, const struct tsp_tst_info *info, struct err *err)
{
        char time_text[TSP_TIME_TEXT_MAX];
        if (info->policy_len == 0 || info->serial_len == 0 || info->serial_len > sizeof info->serial ||
            info->nonce_len > sizeof info->nonce)
                return SMT_ERR(err, SMT_EINVAL, "tsp: TSTInfo policy %zu / serial %zu / nonce %zu octets",
                               info->policy_len, info->serial_len, info->nonce_len);
        TRY(tsp_time_format(time_text, info->gen_time_us, err));
        if (der_write_unsigned_integer(body, (const uint8_t[]){1}, 1) < 0)
                return SMT_ERR(err, SMT_ENOSPACE, "tsp: TSTInfo version");
        TRY(tsp_write_element(body, DER_TAG_OID, info->policy, info->policy_len, err));
        TRY(tsp_write_imprint(body, &info->imprint, err));
        TRY(tsp_write_element(body, DER_TAG_INTEGER, info->serial, info->serial_len, err));
        TRY(tsp_write_element(body, TSP_TAG_GENERALIZED_TIME, (const uint8_t *)time_text, strlen(time_text), err));
        TRY(tsp_accuracy_write(body, info, err));
        if (info->has_nonce)
                TRY(tsp_write_element(body, DER_TAG_INTEGER, info->nonce, info->nonce_len, err));
        if (info->tsa_name.len > 0)
                TRY(tsp_tsa_name_write(body, &info->tsa_name, err));
        return SMT_OK;
}

int tsp_tst_info_write(struct buf_writer *out, const struct tsp_tst_info *info, struct err *err)
{
        struct buf_writer body;
        tsp_writer_init(&body);
        int status = tsp_tst_info_fields(&body, info, err);
        if (status < 0) {
                buf_writer_cleanup(&body);
                return status;
        }
        return tsp_seal(out, DER_TAG_SEQUENCE, &body, err);
}

static int tsp_accuracy_read(struct buf_reader *body, struct tsp_tst_info *out, struct err *err)
{
        struct buf_reader seq;
        bool present = false;
        uint8_t next = 0;
        TRY(tsp_read_optional(body, DER_TAG_SEQUENCE, &out->has_accuracy, &seq, "TSTInfo.accuracy", err));
        if (!out->has_accuracy)
                return SMT_OK;
        if (buf_peek_u8(&seq, &next) == SMT_OK && next == DER_TAG_INTEGER)
                TRY(tsp_read_small(&seq, DER_TAG_INTEGER, &out->accuracy_seconds, "accuracy.seconds", err));
        present = buf_peek_u8(&seq, &next) == SMT_OK && next == TSP_TAG_IMPLICIT_0;
        if (present)
                TRY(tsp_read_small(&seq, TSP_TAG_IMPLICIT_0, &out->accuracy_millis, "accuracy.millis", err));
        present = buf_peek_u8(&seq, &next) == SMT_OK && next == TSP_TAG_IMPLICIT_1;
        if (present)
                TRY(tsp_read_small(&seq, TSP_TAG_IMPLICIT_1, &out->accuracy_micros, "accuracy.micros", err));
        if (out->accuracy_millis > 999 || out->accuracy_micros > 999)
                return SMT_ERR(err, SMT_EDECODE, "TSTInfo: accuracy millis %lld / micros %lld above 999",
                               (long long)out->accuracy_millis, (long long)out->accuracy_micros);
        return buf_reader_expect_end(&seq, "TSTInfo.accuracy", err);
}

static int tsp_tsa_name_read(struct buf_reader *body, struct tsp_tst_info *out, struct err *err)
{
        struct buf_reader general, name;
        bool present = false;
        uint8_t tag = 0;
        TRY(tsp_read_optional(body, TSP_TAG_CONTEXT_0, &present, &general, "TSTInfo.tsa", err));
        if (!present)
                return SMT_OK;
        if (buf_peek_u8(&general, &tag) < 0)
                return SMT_ERR(err, SMT_EDECODE, "TSTInfo: empty tsa");
        TRY(der_read_element(&general, tag, &name, "TSTInfo.tsa", err)); /* any GeneralName; a Name is kept */
        if (tag == TSP_TAG_DIRECTORY_NAME)
                out->tsa_name = name;
        return buf_reader_expect_end(&general, "TSTInfo.tsa", err);
}

static int tsp_tst_info_optional(struct buf_reader *body, struct tsp_tst_info *out, struct err *err)
{
        struct buf_reader v;
        bool present = false;
        TRY(tsp_accuracy_read(body, out, err));
        TRY(tsp_read_optional(body, TSP_TAG_BOOLEAN, &present, &v, "TSTInfo.ordering", err));
        if (present && (v.len != 1 || (v.data[0] != 0 && v.data[0] != 0xFF)))
                return SMT_ERR(err, SMT_EDECODE, "TSTInfo: ordering BOOLEAN of %zu octets", v.len);
        out->ordering = present && v.data[0] == 0xFF;
        uint8_t next = 0;
        out->has_nonce = buf_peek_u8(body, &next) == SMT_OK && next == DER_TAG_INTEGER;
        if (out->has_nonce)
                TRY(tsp_read_integer(body, out->nonce, sizeof out->nonce, &out->nonce_len, "TSTInfo.nonce", err));
        TRY(tsp_tsa_name_read(body, out, err));
        TRY(tsp_read_optional(body, TSP_TAG_CONTEXT_1, &out->has_extensions, &v, "TSTInfo.extensions", err));
        return buf_reader_expect_end(body, "TSTInfo", err);
}

int tsp_tst_info_parse(struct tsp_tst_info *out, const uint8_t *in, size_t in_len, struct err *err)
{
        memset(out, 0, sizeof *out);
        struct buf_reader r = buf_reader_make(in, in_len), body, version, policy;
        TRY(der_read_element(&r, DER_TAG_SEQUENCE, &body, "TSTInfo", err));
        TRY(buf_reader_expect_end(&r, "TSTInfo (trailing bytes)", err));
        TRY(der_read_element(&body, DER_TAG_INTEGER, &version, "TSTInfo.version", err));
        if (version.len != 1 || version.data[0] != 1)
                return SMT_ERR(err, SMT_EDECODE, "TSTInfo: version is not 1");
        TRY(der_read_element(&body, DER_TAG_OID, &policy, "TSTInfo.policy", err));
        if (policy.len == 0 || policy.len > CMS_OID_MAX)
                return SMT_ERR(err, SMT_EDECODE, "TSTInfo: policy OID of %zu octets", policy.len);
        out->policy_len = policy.len;
        TRY(buf_read_bytes(&policy, out->policy, policy.len));
        TRY(tsp_read_imprint(&body, &out->imprint, err));
        TRY(tsp_read_integer(&body, out->serial, sizeof out->serial, &out->serial_len, "TSTInfo.serialNumber", err));
        TRY(tsp_time_read(&body, &out->gen_time_us, out->gen_time_text, err));
        return tsp_tst_info_optional(&body, out, err);
}
