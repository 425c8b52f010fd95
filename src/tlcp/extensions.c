/* src/tlcp/extensions.c: the extensions block both hellos may end with (RFC 5246 §7.4.1.4, which
 * GB/T 38636 peers use although the standard does not list it). */
#include "tlcp/messages.h"

#include <string.h>

#include "tlcp/field.h"

/* tlcp_extensions_check walks every entry once; the 8 KiB bitmap makes duplicate detection linear
 * (RFC 5246 §7.4.1.4: "There MUST NOT be more than one extension of the same type"). */
static int tlcp_extensions_check(struct tlcp_extensions *extensions, const char *message, struct err *err)
{
        uint8_t seen[65536 / 8];
        memset(seen, 0, sizeof seen);
        struct buf_reader cursor = extensions->block;
        while (!buf_reader_is_empty(&cursor)) {
                uint16_t type;
                struct buf_reader data;
                TRY(tlcp_field_read_u16(&cursor, &type, message, "extension type", err));
                TRY(tlcp_field_read_u16_vector(&cursor, &data, message, "extension_data", err));
                uint8_t bit = (uint8_t)(1u << (type % 8));
                if (seen[type / 8] & bit)
                        return SMT_ERR(err, TLCP_EDECODE_ERROR, "%s: extension %u appears twice", message, type);
                seen[type / 8] |= bit;
                extensions->num_extensions++;
        }
        return SMT_OK;
}

int tlcp_extensions_parse(struct tlcp_extensions *out, struct buf_reader *in, const char *message, struct err *err)
{
        *out = (struct tlcp_extensions){.is_present = false};
        if (buf_reader_is_empty(in))
                return SMT_OK;
        TRY(tlcp_field_read_u16_vector(in, &out->block, message, "extensions", err));
        TRY(tlcp_field_expect_end(in, message, "extensions", err));
        out->is_present = true;
        return tlcp_extensions_check(out, message, err);
}

bool tlcp_extensions_next(struct buf_reader *cursor, uint16_t *type, struct buf_reader *data)
{
        struct buf_reader saved = *cursor;
        if (buf_read_u16(cursor, type) < 0 || buf_read_u16_vector(cursor, data) < 0) {
                *cursor = saved;
                return false;
        }
        return true;
}

bool tlcp_extensions_lookup(const struct tlcp_extensions *extensions, uint16_t type, struct buf_reader *data)
{
        struct buf_reader cursor = extensions->block;
        uint16_t entry_type;
        struct buf_reader entry_data;
        if (!extensions->is_present)
                return false;
        while (tlcp_extensions_next(&cursor, &entry_type, &entry_data)) {
                if (entry_type == type) {
                        *data = entry_data;
                        return true;
                }
        }
        return false;
}

int tlcp_extensions_write_one(struct buf_writer *out, uint16_t type, const uint8_t *data, size_t data_len,
                              struct err *err)
{
        if (data_len > UINT16_MAX)
                return SMT_ERR(err, SMT_EINVAL, "extension %u: %zu bytes exceed 65535", type, data_len);
        int status = buf_write_u16(out, type);
        if (status == SMT_OK)
                status = buf_write_u16(out, (uint16_t)data_len);
        if (status == SMT_OK)
                status = buf_write_bytes(out, data, data_len);
        return tlcp_field_wrote(status, "extension", err);
}
