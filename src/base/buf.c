/* src/base/buf.c: bounds-checked byte readers and writers. */
#include "base/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct buf_reader buf_reader_make(const uint8_t *data, size_t len)
{
        struct buf_reader r = { .data = data, .len = data != NULL ? len : 0 };
        return r;
}

static int buf_read_uint(struct buf_reader *r, size_t width, uint32_t *out)
{
        if (r->len < width)
                return SMT_ETRUNCATED;
        uint32_t v = 0;
        for (size_t i = 0; i < width; i++)
                v = (v << 8) | r->data[i];
        r->data += width;
        r->len -= width;
        *out = v;
        return SMT_OK;
}

int buf_read_u8(struct buf_reader *r, uint8_t *out)
{
        uint32_t v;
        TRY(buf_read_uint(r, 1, &v));
        *out = (uint8_t)v;
        return SMT_OK;
}

int buf_read_u16(struct buf_reader *r, uint16_t *out)
{
        uint32_t v;
        TRY(buf_read_uint(r, 2, &v));
        *out = (uint16_t)v;
        return SMT_OK;
}

int buf_read_u24(struct buf_reader *r, uint32_t *out)
{
        return buf_read_uint(r, 3, out);
}

int buf_read_u32(struct buf_reader *r, uint32_t *out)
{
        return buf_read_uint(r, 4, out);
}

int buf_read_slice(struct buf_reader *r, struct buf_reader *out, size_t len)
{
        if (r->len < len)
                return SMT_ETRUNCATED;
        *out = buf_reader_make(r->data, len);
        r->data += len;
        r->len -= len;
        return SMT_OK;
}

int buf_read_bytes(struct buf_reader *r, uint8_t *out, size_t len)
{
        struct buf_reader slice;
        TRY(buf_read_slice(r, &slice, len));
        if (len > 0)
                memcpy(out, slice.data, len);
        return SMT_OK;
}

static int buf_read_vector(struct buf_reader *r, size_t width, struct buf_reader *out)
{
        struct buf_reader saved = *r;
        uint32_t len;
        TRY(buf_read_uint(r, width, &len));
        if (buf_read_slice(r, out, len) < 0) {
                *r = saved;
                return SMT_ETRUNCATED;
        }
        return SMT_OK;
}

int buf_read_u8_vector(struct buf_reader *r, struct buf_reader *out)
{
        return buf_read_vector(r, 1, out);
}

int buf_read_u16_vector(struct buf_reader *r, struct buf_reader *out)
{
        return buf_read_vector(r, 2, out);
}

int buf_read_u24_vector(struct buf_reader *r, struct buf_reader *out)
{
        return buf_read_vector(r, 3, out);
}

int buf_skip(struct buf_reader *r, size_t len)
{
        struct buf_reader slice;
        return buf_read_slice(r, &slice, len);
}

int buf_peek_u8(const struct buf_reader *r, uint8_t *out)
{
        if (r->len < 1)
                return SMT_ETRUNCATED;
        *out = r->data[0];
        return SMT_OK;
}

bool buf_reader_is_empty(const struct buf_reader *r)
{
        return r->len == 0;
}

int buf_reader_expect_end(const struct buf_reader *r, const char *what, struct err *err)
{
        if (r->len != 0)
                return SMT_ERR(err, SMT_EDECODE, "%s: %zu trailing bytes", what, r->len);
        return SMT_OK;
}

void buf_writer_init_fixed(struct buf_writer *w, uint8_t *mem, size_t cap)
{
        *w = (struct buf_writer){ .data = mem, .len = 0, .cap = cap, .max_len = cap, .is_heap = false };
}

void buf_writer_init_heap(struct buf_writer *w, size_t max_len)
{
        *w = (struct buf_writer){ .data = NULL, .len = 0, .cap = 0, .max_len = max_len, .is_heap = true };
}

void buf_writer_cleanup(struct buf_writer *w)
{
        if (w->data != NULL && w->len > 0)
                explicit_bzero(w->data, w->len);
        if (w->is_heap) {
                free(w->data);
                w->data = NULL;
                w->cap = 0;
        }
        w->len = 0;
}

uint8_t *buf_writer_release(struct buf_writer *w, size_t *out_len)
{
        uint8_t *data = w->data;
        *out_len = w->len;
        w->data = NULL;
        w->len = 0;
        w->cap = 0;
        return data;
}

void buf_writer_truncate(struct buf_writer *w, size_t len)
{
        if (len >= w->len)
                return;
        explicit_bzero(w->data + len, w->len - len);
        w->len = len;
}

void buf_writer_drop_front(struct buf_writer *w, size_t len)
{
        if (len >= w->len) {
                buf_writer_truncate(w, 0);
                return;
        }
        memmove(w->data, w->data + len, w->len - len);
        buf_writer_truncate(w, w->len - len);
}

/* buf_writer_make_room grows a heap writer geometrically; wiping the old block because it may hold secrets. */
static int buf_writer_make_room(struct buf_writer *w, size_t len)
{
        if (w->cap - w->len >= len)
                return SMT_OK;
        if (!w->is_heap || len > w->max_len - w->len)
                return SMT_ENOSPACE;
        size_t need = w->len + len;
        size_t cap = w->cap < 64 ? 64 : w->cap;
        while (cap < need)
                cap = cap > w->max_len / 2 ? w->max_len : cap * 2;
        uint8_t *grown = malloc(cap);
        if (grown == NULL)
                return SMT_ENOMEM;
        if (w->len > 0) {
                memcpy(grown, w->data, w->len);
                explicit_bzero(w->data, w->len);
        }
        free(w->data);
        w->data = grown;
        w->cap = cap;
        return SMT_OK;
}

int buf_write_reserve(struct buf_writer *w, uint8_t **out, size_t len)
{
        TRY(buf_writer_make_room(w, len));
        *out = w->data + w->len;
        w->len += len;
        return SMT_OK;
}

int buf_write_printf(struct buf_writer *w, const char *fmt, ...)
{
        char small[512];
        va_list args;
        va_start(args, fmt);
        int len = vsnprintf(small, sizeof small, fmt, args);
        va_end(args);
        if (len < 0)
                return SMT_EINVAL;
        if ((size_t)len < sizeof small)
                return buf_write_bytes(w, (const uint8_t *)small, (size_t)len);
        /* vsnprintf needs room for a NUL the writer must not keep: a long text is formatted on the side */
        char *big = malloc((size_t)len + 1);
        if (big == NULL)
                return SMT_ENOMEM;
        va_start(args, fmt);
        vsnprintf(big, (size_t)len + 1, fmt, args);
        va_end(args);
        int status = buf_write_bytes(w, (const uint8_t *)big, (size_t)len);
        free(big);
        return status;
}

int buf_write_bytes(struct buf_writer *w, const uint8_t *in, size_t len)
{
        uint8_t *dst;
        TRY(buf_write_reserve(w, &dst, len));
        if (len > 0)
                memcpy(dst, in, len);
        return SMT_OK;
}

static int buf_write_uint(struct buf_writer *w, size_t width, uint32_t v)
{
        uint8_t *dst;
        TRY(buf_write_reserve(w, &dst, width));
        for (size_t i = 0; i < width; i++)
                dst[i] = (uint8_t)(v >> (8 * (width - 1 - i)));
        return SMT_OK;
}

int buf_write_u8(struct buf_writer *w, uint8_t v)
{
        return buf_write_uint(w, 1, v);
}

int buf_write_u16(struct buf_writer *w, uint16_t v)
{
        return buf_write_uint(w, 2, v);
}

int buf_write_u24(struct buf_writer *w, uint32_t v)
{
        if (v > 0xFFFFFF)
                return SMT_EINVAL;
        return buf_write_uint(w, 3, v);
}

int buf_write_u32(struct buf_writer *w, uint32_t v)
{
        return buf_write_uint(w, 4, v);
}

int buf_write_vector_begin(struct buf_writer *w, size_t width, size_t *mark)
{
        if (width < 1 || width > 3)
                return SMT_EINVAL;
        *mark = w->len;
        return buf_write_uint(w, width, 0);
}

int buf_write_vector_end(struct buf_writer *w, size_t width, size_t mark)
{
        if (width < 1 || width > 3 || mark > w->len || w->len - mark < width)
                return SMT_EINVAL;
        size_t body_len = w->len - mark - width;
        if (body_len >> (8 * width) != 0)
                return SMT_ENOSPACE;
        for (size_t i = 0; i < width; i++)
                w->data[mark + i] = (uint8_t)(body_len >> (8 * (width - 1 - i)));
        return SMT_OK;
}
