/* src/tlcp/field.c: field reads that turn a short read into decode_error with the field's name. */
#include "tlcp/field.h"

#include "crypto/sm2.h"
#include "tlcp/protocol.h"

static int tlcp_field_truncated(const struct buf_reader *in, size_t need, const char *message, const char *field,
                                struct err *err)
{
        return SMT_ERR(err, TLCP_EDECODE_ERROR, "%s: %s needs %zu bytes, %zu left", message, field, need, in->len);
}

int tlcp_field_read_u8(struct buf_reader *in, uint8_t *out, const char *message, const char *field, struct err *err)
{
        if (buf_read_u8(in, out) < 0)
                return tlcp_field_truncated(in, 1, message, field, err);
        return SMT_OK;
}

int tlcp_field_read_u16(struct buf_reader *in, uint16_t *out, const char *message, const char *field, struct err *err)
{
        if (buf_read_u16(in, out) < 0)
                return tlcp_field_truncated(in, 2, message, field, err);
        return SMT_OK;
}

int tlcp_field_read_u32(struct buf_reader *in, uint32_t *out, const char *message, const char *field, struct err *err)
{
        if (buf_read_u32(in, out) < 0)
                return tlcp_field_truncated(in, 4, message, field, err);
        return SMT_OK;
}

int tlcp_field_read_bytes(struct buf_reader *in, uint8_t *out, size_t len, const char *message, const char *field,
                          struct err *err)
{
        if (buf_read_bytes(in, out, len) < 0)
                return tlcp_field_truncated(in, len, message, field, err);
        return SMT_OK;
}

/* tlcp_field_read_vector reads a width-byte length and that many bytes; the reader moves only on success. */
static int tlcp_field_read_vector(struct buf_reader *in, size_t width, struct buf_reader *out, const char *message,
                                  const char *field, struct err *err)
{
        struct buf_reader cursor = *in;
        uint32_t len = 0;
        for (size_t i = 0; i < width; i++) {
                uint8_t byte;
                if (buf_read_u8(&cursor, &byte) < 0)
                        return SMT_ERR(err, TLCP_EDECODE_ERROR, "%s: %s length needs %zu bytes, %zu left", message,
                                       field, width, in->len);
                len = (len << 8) | byte;
        }
        if (buf_read_slice(&cursor, out, len) < 0)
                return SMT_ERR(err, TLCP_EDECODE_ERROR, "%s: %s length %u exceeds the %zu bytes left", message, field,
                               (unsigned)len, cursor.len);
        *in = cursor;
        return SMT_OK;
}

int tlcp_field_read_u8_vector(struct buf_reader *in, struct buf_reader *out, const char *message, const char *field,
                              struct err *err)
{
        return tlcp_field_read_vector(in, 1, out, message, field, err);
}

int tlcp_field_read_u16_vector(struct buf_reader *in, struct buf_reader *out, const char *message, const char *field,
                               struct err *err)
{
        return tlcp_field_read_vector(in, 2, out, message, field, err);
}

int tlcp_field_read_u24_vector(struct buf_reader *in, struct buf_reader *out, const char *message, const char *field,
                               struct err *err)
{
        return tlcp_field_read_vector(in, 3, out, message, field, err);
}

int tlcp_field_read_session_id(struct buf_reader *in, uint8_t out[32], size_t *out_len, const char *message,
                               struct err *err)
{
        struct buf_reader saved = *in, session_id;
        TRY(tlcp_field_read_u8_vector(in, &session_id, message, "session_id", err));
        if (session_id.len > TLCP_SESSION_ID_MAX) {
                *in = saved;
                return SMT_ERR(err, TLCP_EDECODE_ERROR, "%s: session_id length %zu exceeds %d", message, session_id.len,
                               TLCP_SESSION_ID_MAX);
        }
        *out_len = session_id.len;
        return buf_read_bytes(&session_id, out, session_id.len);
}

int tlcp_field_read_ec_point(struct buf_reader *in, struct buf_reader *point, const char *message, struct err *err)
{
        struct buf_reader cursor = *in;
        uint8_t curve_type;
        uint16_t named_curve;
        TRY(tlcp_field_read_u8(&cursor, &curve_type, message, "curve_type", err));
        if (curve_type != TLCP_EC_CURVE_TYPE_NAMED)
                return SMT_ERR(err, TLCP_EILLEGAL_PARAMETER, "%s: curve_type %u, expected named_curve (%d)", message,
                               curve_type, TLCP_EC_CURVE_TYPE_NAMED);
        TRY(tlcp_field_read_u16(&cursor, &named_curve, message, "named_curve", err));
        if (named_curve != TLCP_EC_CURVE_SM2)
                return SMT_ERR(err, TLCP_EILLEGAL_PARAMETER, "%s: named_curve %u, expected SM2 (%d)", message,
                               named_curve, TLCP_EC_CURVE_SM2);
        TRY(tlcp_field_read_u8_vector(&cursor, point, message, "point", err));
        if (point->len == 0)
                return SMT_ERR(err, TLCP_EDECODE_ERROR, "%s: point is empty", message);
        *in = cursor;
        return SMT_OK;
}

int tlcp_field_write_ec_point(struct buf_writer *out, const uint8_t *point, size_t point_len)
{
        if (point_len == 0 || point_len > UINT8_MAX)
                return SMT_EINVAL;
        TRY(buf_write_u8(out, TLCP_EC_CURVE_TYPE_NAMED));
        TRY(buf_write_u16(out, TLCP_EC_CURVE_SM2));
        TRY(buf_write_u8(out, (uint8_t)point_len));
        return buf_write_bytes(out, point, point_len);
}

int tlcp_field_read_signature(struct buf_reader *in, struct buf_reader *signature, const char *message, struct err *err)
{
        struct buf_reader cursor = *in;
        TRY(tlcp_field_read_u16_vector(&cursor, signature, message, "signature", err));
        if (signature->len == 0)
                return SMT_ERR(err, TLCP_EDECODE_ERROR, "%s: signature is empty", message);
        if (signature->len > SM2_SIGNATURE_MAX)
                return SMT_ERR(err, TLCP_EDECODE_ERROR, "%s: signature length %zu exceeds %d", message, signature->len,
                               SM2_SIGNATURE_MAX);
        *in = cursor;
        return SMT_OK;
}

int tlcp_field_check_signature_len(size_t len, const char *message, struct err *err)
{
        if (len == 0 || len > SM2_SIGNATURE_MAX)
                return SMT_ERR(err, SMT_EINVAL, "%s: signature of %zu bytes (1..%d)", message, len, SM2_SIGNATURE_MAX);
        return SMT_OK;
}

int tlcp_field_expect_end(const struct buf_reader *in, const char *message, const char *field, struct err *err)
{
        if (in->len != 0)
                return SMT_ERR(err, TLCP_EDECODE_ERROR, "%s: %zu bytes after %s", message, in->len, field);
        return SMT_OK;
}

int tlcp_field_wrote(int status, const char *message, struct err *err)
{
        if (status < 0)
                return SMT_ERR(err, status, "%s: %s", message, err_describe(status));
        return status;
}
