/* src/tlcp/handshake_header.c: the 4-byte handshake message header, msg_type || uint24 length
 * (GB/T 38636 §6.4.5.1), which frames every message body the other codecs read and write. */
#include "tlcp/messages.h"

#include "tlcp/field.h"

int tlcp_handshake_header_parse(struct tlcp_handshake_header *out, struct buf_reader *in, struct err *err)
{
        struct buf_reader cursor = *in;
        uint8_t type;
        uint32_t length;
        if (buf_read_u8(&cursor, &type) < 0 || buf_read_u24(&cursor, &length) < 0)
                return SMT_EAGAIN;
        /* Refuse before buffering: a peer could otherwise make us wait for 16 MB. */
        if (length > TLCP_MAX_HANDSHAKE_MESSAGE)
                return SMT_ERR(err, TLCP_EDECODE_ERROR, "handshake: %s length %u exceeds %d",
                               tlcp_handshake_type_name(type), (unsigned)length, TLCP_MAX_HANDSHAKE_MESSAGE);
        out->type = type;
        out->length = length;
        *in = cursor;
        return SMT_OK;
}

int tlcp_handshake_header_split(struct tlcp_handshake_header *header, struct buf_reader *body, struct buf_reader *in,
                                struct err *err)
{
        struct buf_reader cursor = *in;
        struct tlcp_handshake_header parsed;
        TRY(tlcp_handshake_header_parse(&parsed, &cursor, err));
        if (buf_read_slice(&cursor, body, parsed.length) < 0)
                return SMT_EAGAIN;
        *header = parsed;
        *in = cursor;
        return SMT_OK;
}

int tlcp_handshake_header_write(struct buf_writer *out, uint8_t type, size_t body_len, struct err *err)
{
        if (body_len > TLCP_MAX_HANDSHAKE_MESSAGE)
                return SMT_ERR(err, SMT_EINVAL, "handshake: %s body of %zu bytes exceeds %d",
                               tlcp_handshake_type_name(type), body_len, TLCP_MAX_HANDSHAKE_MESSAGE);
        int status = buf_write_u8(out, type);
        if (status == SMT_OK)
                status = buf_write_u24(out, (uint32_t)body_len);
        return tlcp_field_wrote(status, "handshake header", err);
}

int tlcp_handshake_header_begin(struct buf_writer *out, uint8_t type, size_t *mark, struct err *err)
{
        int status = buf_write_u8(out, type);
        if (status == SMT_OK)
                status = buf_write_vector_begin(out, 3, mark);
        return tlcp_field_wrote(status, "handshake header", err);
}

int tlcp_handshake_header_end(struct buf_writer *out, size_t mark, struct err *err)
{
        if (mark > out->len || out->len - mark < 3)
                return SMT_ERR(err, SMT_EINVAL, "handshake: length mark %zu is not in this writer", mark);
        size_t body_len = out->len - mark - 3;
        if (body_len > TLCP_MAX_HANDSHAKE_MESSAGE)
                return SMT_ERR(err, SMT_EINVAL, "handshake: body of %zu bytes exceeds %d", body_len,
                               TLCP_MAX_HANDSHAKE_MESSAGE);
        return tlcp_field_wrote(buf_write_vector_end(out, 3, mark), "handshake header", err);
}
