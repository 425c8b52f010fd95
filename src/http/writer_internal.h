/* src/http/writer_internal.h: what the files behind http/writer.h share (appending bytes with an error
 * that says what did not fit, the byte classes every written line is checked against, the hop-by-hop
 * rules). Not an API: other modules use http/writer.h. */
#ifndef SMT_HTTP_WRITER_INTERNAL_H
#define SMT_HTTP_WRITER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/writer.h"

/* http_writer_put appends len bytes; SMT_ENOSPACE (or SMT_ENOMEM) naming the sizes when they do not fit. */
int http_writer_put(struct buf_writer *out, const void *data, size_t len, struct err *err) SMT_MUST_USE;

/* http_writer_put_string appends a C string without its NUL. */
int http_writer_put_string(struct buf_writer *out, const char *s, struct err *err) SMT_MUST_USE;

/* http_writer_put_slice appends the bytes of s. */
int http_writer_put_slice(struct buf_writer *out, struct buf_reader s, struct err *err) SMT_MUST_USE;

/* http_writer_put_decimal appends v in decimal without leading zeros. */
int http_writer_put_decimal(struct buf_writer *out, uint64_t v, struct err *err) SMT_MUST_USE;

/* http_writer_slice returns a reader over the bytes of s (borrowed). */
struct buf_reader http_writer_slice(const char *s);

/* http_writer_is_token says whether s is a non-empty RFC 9110 §5.6.2 token. */
bool http_writer_is_token(struct buf_reader s);

/* http_writer_is_field_value says whether s holds only RFC 9110 §5.5 field-vchar, SP and HTAB: no CR, LF,
 * NUL or other control byte can reach the wire through it. */
bool http_writer_is_field_value(struct buf_reader s);

/* http_writer_field_string writes the field line "name: value" of the gateway's own (value checked). */
int http_writer_field_string(struct buf_writer *out, const char *name, const char *value, struct err *err) SMT_MUST_USE;

/* http_writer_is_hop_by_hop says whether the field named name must not cross the proxy (RFC 9110 §7.6.1):
 * one of the fixed hop-by-hop names, or a name listed in one of head's Connection fields. keep_upgrade
 * spares Upgrade both ways (a WebSocket upgrade, whose Connection names it). */
bool http_writer_is_hop_by_hop(const struct http_head *head, struct buf_reader name, bool keep_upgrade);

/* http_writer_is_framing says whether name is Content-Length or Transfer-Encoding (written anew). */
bool http_writer_is_framing(struct buf_reader name);

/* http_writer_framing_write writes the framing field for framing: Content-Length: content_length, or
 * Transfer-Encoding: chunked, or nothing (NO_BODY, UNTIL_CLOSE). */
int http_writer_framing_write(struct buf_writer *out, enum http_writer_framing framing, uint64_t content_length,
                              struct err *err) SMT_MUST_USE;

/* http_writer_status_line writes "HTTP/1.1 <status> <reason>" CRLF; an empty reason means the
 * standard phrase (http_status_reason). SMT_EINVAL for a status outside 100..599 or a reason that is not field-value
 * bytes. */
int http_writer_status_line(struct buf_writer *out, int status, struct buf_reader reason, struct err *err) SMT_MUST_USE;

#endif
