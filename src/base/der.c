/* src/base/der.c: strict DER (X.690 §10) for small structures. */
#include "base/der.h"

#include <string.h>

static int der_read_length(struct buf_reader *r, size_t *out, const char *what, struct err *err)
{
        uint8_t first;
        if (buf_read_u8(r, &first) < 0)
                return SMT_ERR(err, SMT_ETRUNCATED, "%s: truncated length", what);
        if (first < 0x80) {
                *out = first;
                return SMT_OK;
        }
        size_t num_bytes = first & 0x7F;
        if (num_bytes == 0 || num_bytes > 4)
                return SMT_ERR(err, SMT_EDECODE, "%s: unsupported length form 0x%02x", what, first);
        size_t len = 0;
        for (size_t i = 0; i < num_bytes; i++) {
                uint8_t b;
                if (buf_read_u8(r, &b) < 0)
                        return SMT_ERR(err, SMT_ETRUNCATED, "%s: truncated length", what);
                if (i == 0 && b == 0)
                        return SMT_ERR(err, SMT_EDECODE, "%s: length has a leading zero byte", what);
                len = (len << 8) | b;
        }
        /* X.690 §10.1: the short form is mandatory below 128. */
        if (len < 0x80)
                return SMT_ERR(err, SMT_EDECODE, "%s: length %zu not minimally encoded", what, len);
        *out = len;
        return SMT_OK;
}

int der_read_element(struct buf_reader *r, uint8_t tag, struct buf_reader *content, const char *what,
                     struct err *err)
{
        struct buf_reader saved = *r;
        uint8_t seen_tag;
        if (buf_read_u8(r, &seen_tag) < 0)
                return SMT_ERR(err, SMT_ETRUNCATED, "%s: missing", what);
        if (seen_tag != tag) {
                *r = saved;
                return SMT_ERR(err, SMT_EDECODE, "%s: tag 0x%02x, expected 0x%02x", what, seen_tag, tag);
        }
        size_t len = 0;
        int status = der_read_length(r, &len, what, err);
        if (status == SMT_OK && buf_read_slice(r, content, len) < 0)
                status = SMT_ERR(err, SMT_ETRUNCATED, "%s: length %zu exceeds the %zu bytes left", what, len,
                                 r->len);
        if (status < 0)
                *r = saved;
        return status;
}

int der_read_unsigned_integer(struct buf_reader *r, uint8_t *out, size_t out_len, const char *what,
                              struct err *err)
{
        struct buf_reader value;
        TRY(der_read_element(r, DER_TAG_INTEGER, &value, what, err));
        if (value.len == 0)
                return SMT_ERR(err, SMT_EDECODE, "%s: empty INTEGER", what);
        if (value.data[0] & 0x80)
                return SMT_ERR(err, SMT_EDECODE, "%s: negative INTEGER", what);
        if (value.len > 1 && value.data[0] == 0 && !(value.data[1] & 0x80))
                return SMT_ERR(err, SMT_EDECODE, "%s: INTEGER not minimally encoded", what);
        if (value.data[0] == 0 && value.len > 1)
                TRY(buf_skip(&value, 1));
        if (value.len > out_len)
                return SMT_ERR(err, SMT_EDECODE, "%s: INTEGER of %zu bytes exceeds %zu", what, value.len, out_len);
        memset(out, 0, out_len - value.len);
        memcpy(out + (out_len - value.len), value.data, value.len);
        return SMT_OK;
}

size_t der_element_len(size_t content_len)
{
        size_t header = 2; /* tag and a short-form length */
        if (content_len >= 0x80)
                for (size_t rest = content_len; rest != 0; rest >>= 8)
                        header++;
        return header + content_len;
}

int der_write_header(struct buf_writer *w, uint8_t tag, size_t content_len)
{
        TRY(buf_write_u8(w, tag));
        if (content_len < 0x80)
                return buf_write_u8(w, (uint8_t)content_len);
        size_t num_bytes = 0;
        for (size_t rest = content_len; rest != 0; rest >>= 8)
                num_bytes++;
        if (num_bytes > 4)
                return SMT_EINVAL;
        TRY(buf_write_u8(w, (uint8_t)(0x80 | num_bytes)));
        for (size_t i = num_bytes; i > 0; i--)
                TRY(buf_write_u8(w, (uint8_t)(content_len >> (8 * (i - 1)))));
        return SMT_OK;
}

/* der_integer_content_len counts the value bytes: leading zeros dropped, one 0x00 added before a set top bit. */
static size_t der_integer_content_len(const uint8_t *in, size_t in_len, size_t *skip)
{
        size_t i = 0;
        while (i + 1 < in_len && in[i] == 0)
                i++;
        *skip = i;
        if (in_len == 0)
                return 1;
        return (in_len - i) + ((in[i] & 0x80) ? 1 : 0);
}

size_t der_unsigned_integer_len(const uint8_t *in, size_t in_len)
{
        size_t skip;
        return der_element_len(der_integer_content_len(in, in_len, &skip));
}

int der_write_unsigned_integer(struct buf_writer *w, const uint8_t *in, size_t in_len)
{
        size_t skip;
        size_t content_len = der_integer_content_len(in, in_len, &skip);
        TRY(der_write_header(w, DER_TAG_INTEGER, content_len));
        if (in_len == 0)
                return buf_write_u8(w, 0);
        if (in[skip] & 0x80)
                TRY(buf_write_u8(w, 0));
        return buf_write_bytes(w, in + skip, in_len - skip);
}
