/* src/base/buf.h: bounds-checked byte readers and writers.
 *
 * A buf_reader borrows bytes it never owns; every read either consumes exactly
 * what it returns or fails with SMT_ETRUNCATED and leaves the reader as it was.
 * A length-prefixed vector becomes a sub-reader that cannot see past its end.
 * A buf_writer writes into a fixed array or a growable heap buffer and fails
 * with SMT_ENOSPACE instead of writing past its capacity. This file and buf.c
 * are the only places that do offset arithmetic. */
#ifndef SMT_BASE_BUF_H
#define SMT_BASE_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

struct buf_reader {
        const uint8_t *data;
        size_t len;
};

/* buf_reader_make returns a reader over len bytes at data (borrowed; data must outlive it). */
struct buf_reader buf_reader_make(const uint8_t *data, size_t len);

/* buf_read_u8 .. buf_read_u32 read a big-endian integer; SMT_ETRUNCATED when too few bytes remain. */
int buf_read_u8(struct buf_reader *r, uint8_t *out) SMT_MUST_USE;
int buf_read_u16(struct buf_reader *r, uint16_t *out) SMT_MUST_USE;
int buf_read_u24(struct buf_reader *r, uint32_t *out) SMT_MUST_USE;
int buf_read_u32(struct buf_reader *r, uint32_t *out) SMT_MUST_USE;

/* buf_read_bytes copies exactly len bytes to out. */
int buf_read_bytes(struct buf_reader *r, uint8_t *out, size_t len) SMT_MUST_USE;

/* buf_read_slice makes out a sub-reader over the next len bytes and consumes them. */
int buf_read_slice(struct buf_reader *r, struct buf_reader *out, size_t len) SMT_MUST_USE;

/* buf_read_u8_vector .. u24_vector read a length prefix of that width, then the vector as a sub-reader. */
int buf_read_u8_vector(struct buf_reader *r, struct buf_reader *out) SMT_MUST_USE;
int buf_read_u16_vector(struct buf_reader *r, struct buf_reader *out) SMT_MUST_USE;
int buf_read_u24_vector(struct buf_reader *r, struct buf_reader *out) SMT_MUST_USE;

/* buf_skip consumes len bytes. */
int buf_skip(struct buf_reader *r, size_t len) SMT_MUST_USE;

/* buf_peek_u8 reads the next byte without consuming it. */
int buf_peek_u8(const struct buf_reader *r, uint8_t *out) SMT_MUST_USE;

/* buf_reader_is_empty says whether every byte was consumed. */
bool buf_reader_is_empty(const struct buf_reader *r);

/* buf_reader_expect_end fails with SMT_EDECODE naming what when bytes are left over. */
int buf_reader_expect_end(const struct buf_reader *r, const char *what, struct err *err) SMT_MUST_USE;

struct buf_writer {
        uint8_t *data;
        size_t len;
        size_t cap;     /* bytes available now */
        size_t max_len; /* heap writers grow up to this; fixed writers have max_len == cap */
        bool is_heap;
};

/* buf_writer_init_fixed writes into cap bytes of caller storage. */
void buf_writer_init_fixed(struct buf_writer *w, uint8_t *mem, size_t cap);

/* buf_writer_init_heap writes into a heap buffer that grows up to max_len bytes. */
void buf_writer_init_heap(struct buf_writer *w, size_t max_len);

/* buf_writer_cleanup wipes what was written and frees a heap buffer; the writer is then empty. */
void buf_writer_cleanup(struct buf_writer *w);

/* buf_writer_release hands a heap writer's buffer to the caller (free() it) and empties the writer. */
uint8_t *buf_writer_release(struct buf_writer *w, size_t *out_len);

/* buf_writer_truncate cuts what was written back to len bytes (no-op when len >= w->len), wiping the rest:
 * a writer that failed half-way gives its reservation back this way. */
void buf_writer_truncate(struct buf_writer *w, size_t len);

/* buf_writer_drop_front removes the first len bytes (all when len >= w->len), moving the rest to the start:
 * an output queue drops what the socket has taken. */
void buf_writer_drop_front(struct buf_writer *w, size_t len);

/* buf_write_u8 .. u32 append a big-endian integer; SMT_ENOSPACE or SMT_ENOMEM when full. */
int buf_write_u8(struct buf_writer *w, uint8_t v) SMT_MUST_USE;
int buf_write_u16(struct buf_writer *w, uint16_t v) SMT_MUST_USE;
int buf_write_u24(struct buf_writer *w, uint32_t v) SMT_MUST_USE;
int buf_write_u32(struct buf_writer *w, uint32_t v) SMT_MUST_USE;

/* buf_write_bytes appends len bytes from in. */
int buf_write_bytes(struct buf_writer *w, const uint8_t *in, size_t len) SMT_MUST_USE;

/* buf_write_reserve appends len bytes the caller fills through *out (valid until the next write). */
int buf_write_reserve(struct buf_writer *w, uint8_t **out, size_t len) SMT_MUST_USE;

/* buf_write_printf appends printf-style text (without its NUL); SMT_ENOSPACE when it does not fit (nothing
 * is appended then), SMT_EINVAL for a format vsnprintf refuses, SMT_ENOMEM. */
int buf_write_printf(struct buf_writer *w, const char *fmt, ...) SMT_PRINTF(2, 3) SMT_MUST_USE;

/* buf_write_vector_begin writes a zero length prefix of width 1, 2 or 3 bytes and remembers its position in
 * *mark; buf_write_vector_end patches it with the number of bytes written since, failing when it does not fit. */
int buf_write_vector_begin(struct buf_writer *w, size_t width, size_t *mark) SMT_MUST_USE;
int buf_write_vector_end(struct buf_writer *w, size_t width, size_t mark) SMT_MUST_USE;

#endif
