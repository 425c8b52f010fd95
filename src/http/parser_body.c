/* src/http/parser_body.c: the body decoder (RFC 9112 §6, §7): Content-Length bodies, chunked bodies with
 * their extensions and trailer section, and bodies that last until the connection closes. It yields body
 * bytes as slices of its input and keeps none of them: only a chunk-size or trailer line not yet whole
 * (bounded by the limits) is left for the caller to present again. */
#include <inttypes.h>
#include <string.h>

#include "http/parser_internal.h"

/* 16 hex digits hold any 64-bit size; more is either an overflow or padding meant to confuse. */
#define HTTP_CHUNK_SIZE_DIGITS_MAX 16

int http_parser_body_init(struct http_parser_body *body, enum http_framing framing, uint64_t content_length,
                          const struct http_limits *limits, struct err *err)
{
        struct http_limits defaults;
        http_parser_limits_default(&defaults);
        if (limits == NULL)
                limits = &defaults;
        TRY(http_parser_check_limits(limits, err));
        *body = (struct http_parser_body){.limits = *limits, .state = HTTP_BODY_DONE};
        switch (framing) {
        case HTTP_FRAMING_NONE:
                return SMT_OK;
        case HTTP_FRAMING_LENGTH:
                body->remaining = content_length;
                body->state = content_length > 0 ? HTTP_BODY_LENGTH : HTTP_BODY_DONE;
                return SMT_OK;
        case HTTP_FRAMING_CHUNKED:
                body->state = HTTP_BODY_CHUNK_SIZE;
                return SMT_OK;
        case HTTP_FRAMING_UNTIL_CLOSE:
                body->state = HTTP_BODY_UNTIL_CLOSE;
                return SMT_OK;
        }
        return SMT_ERR(err, SMT_EINVAL, "body: unknown framing %d", (int)framing);
}

/* http_parser_body_data yields up to body->remaining bytes of rest as data. */
static int http_parser_body_data(struct http_parser_body *body, struct http_body_part *part, struct buf_reader *rest,
                                 enum http_parser_body_state next)
{
        if (rest->len == 0)
                return SMT_EAGAIN;
        size_t n = body->remaining < rest->len ? (size_t)body->remaining : rest->len;
        TRY(buf_read_slice(rest, &part->data, n));
        body->remaining -= n;
        if (body->remaining == 0)
                body->state = next;
        part->is_end = body->state == HTTP_BODY_DONE;
        return SMT_OK;
}

static bool http_parser_is_hex_digit(uint8_t c)
{
        return http_parser_is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* RFC 9110 §5.6.4 qdtext and quoted-pair. */
static int http_parser_quoted_string_read(struct buf_reader *r, const char *quoted, struct err *err)
{
        uint8_t c;
        while (buf_read_u8(r, &c) == 0) {
                if (c == '"')
                        return SMT_OK;
                if (c == '\\' && buf_read_u8(r, &c) != 0)
                        break;
                if (!http_parser_is_field_byte(c))
                        return SMT_ERR(err, HTTP_EBAD_REQUEST,
                                       "chunked body: byte 0x%02x in a quoted chunk extension value in \"%s\"", c,
                                       quoted);
        }
        return SMT_ERR(err, HTTP_EBAD_REQUEST, "chunked body: unterminated quoted string in \"%s\"", quoted);
}

/* RFC 9112 §7.1.1: chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] ), with
 * chunk-ext-val = token / quoted-string. Extensions are checked, then ignored. */
static int http_parser_chunk_extensions_check(struct buf_reader r, const char *quoted, struct err *err)
{
        struct buf_reader name, value;
        while (r.len > 0) {
                http_parser_skip_ows(&r);
                if (r.len == 0)
                        return SMT_ERR(err, HTTP_EBAD_REQUEST, "chunked body: trailing whitespace in \"%s\"", quoted);
                if (!http_parser_read_byte_if(&r, ';'))
                        return SMT_ERR(err, HTTP_EBAD_REQUEST, "chunked body: byte 0x%02x where ';' belongs in \"%s\"",
                                       r.data[0], quoted);
                http_parser_skip_ows(&r);
                http_parser_read_token(&r, &name);
                if (name.len == 0)
                        return SMT_ERR(err, HTTP_EBAD_REQUEST, "chunked body: chunk extension without a name in \"%s\"",
                                       quoted);
                struct buf_reader before_value = r;
                http_parser_skip_ows(&r);
                if (!http_parser_read_byte_if(&r, '=')) {
                        r = before_value;
                        continue;
                }
                http_parser_skip_ows(&r);
                if (http_parser_read_byte_if(&r, '"')) {
                        TRY(http_parser_quoted_string_read(&r, quoted, err));
                        continue;
                }
                http_parser_read_token(&r, &value);
                if (value.len == 0)
                        return SMT_ERR(err, HTTP_EBAD_REQUEST,
                                       "chunked body: chunk extension without a value after '=' in \"%s\"", quoted);
        }
        return SMT_OK;
}

/* RFC 9112 §7.1: chunk-size = 1*HEXDIG, nothing before it ("0x", spaces), at most 16 digits. */
static int http_parser_chunk_line_parse(uint64_t *size, struct buf_reader line, struct err *err)
{
        char quoted[HTTP_QUOTE_LEN];
        http_parser_quote(quoted, line);
        size_t n = 0;
        uint64_t value = 0;
        while (n < line.len && http_parser_is_hex_digit(line.data[n])) {
                uint8_t c = line.data[n++];
                if (n > HTTP_CHUNK_SIZE_DIGITS_MAX)
                        return SMT_ERR(err, HTTP_EBAD_REQUEST,
                                       "chunked body: chunk size \"%s\" has more than %d hex digits", quoted,
                                       HTTP_CHUNK_SIZE_DIGITS_MAX);
                unsigned digit = http_parser_is_digit(c) ? (unsigned)(c - '0') : (unsigned)((c | 0x20) - 'a' + 10);
                value = value << 4 | digit;
        }
        if (n == 0)
                return SMT_ERR(err, HTTP_EBAD_REQUEST,
                               "chunked body: chunk-size line \"%s\" does not start with a hex digit", quoted);
        TRY(buf_skip(&line, n));
        TRY(http_parser_chunk_extensions_check(line, quoted, err));
        *size = value;
        return SMT_OK;
}

static int http_parser_chunk_line_too_long(const struct http_parser_body *body, struct err *err)
{
        return SMT_ERR(err, HTTP_EBAD_REQUEST, "chunked body: chunk-size line exceeds %zu bytes",
                       body->limits.max_chunk_line_len);
}

/* http_parser_body_chunk_size reads a chunk-size line; its bounds work as http_parser_check_partial's do. */
static int http_parser_body_chunk_size(struct http_parser_body *body, struct buf_reader *rest, struct err *err)
{
        struct buf_reader line;
        size_t line_end;
        int status = http_parser_find_line(*rest, &body->scanned, &line, &line_end);
        if (status == SMT_EAGAIN)
                return rest->len > body->limits.max_chunk_line_len + 1 ? http_parser_chunk_line_too_long(body, err)
                                                                       : SMT_EAGAIN;
        TRY(status);
        size_t content_len = line.len > 0 && line.data[line.len - 1] == '\r' ? line.len - 1 : line.len;
        if (content_len > body->limits.max_chunk_line_len)
                return http_parser_chunk_line_too_long(body, err);
        TRY(http_parser_strip_cr(&line, "chunked body", err));
        uint64_t size = 0;
        TRY(http_parser_chunk_line_parse(&size, line, err));
        TRY(buf_skip(rest, line_end));
        body->scanned = 0;
        body->remaining = size;
        body->state = size > 0 ? HTTP_BODY_CHUNK_DATA : HTTP_BODY_TRAILER;
        return SMT_OK;
}

/* RFC 9112 §7.1: chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF; each CRLF byte is judged as it comes. */
static int http_parser_body_chunk_data_end(struct http_parser_body *body, struct buf_reader *rest, struct err *err)
{
        bool is_cr_bad = rest->len >= 1 && rest->data[0] != '\r';
        bool is_lf_bad = rest->len >= 2 && rest->data[1] != '\n';
        if (is_cr_bad || is_lf_bad)
                return SMT_ERR(err, HTTP_EBAD_REQUEST, "chunked body: chunk data not followed by CRLF");
        if (rest->len < 2)
                return SMT_EAGAIN;
        TRY(buf_skip(rest, 2));
        body->state = HTTP_BODY_CHUNK_SIZE;
        return SMT_OK;
}

static int http_parser_trailer_too_large(const struct http_parser_body *body, struct err *err)
{
        return SMT_ERR(err, HTTP_ETOO_LARGE, "chunked body: trailer section exceeds %zu bytes",
                       body->limits.max_head_len);
}

/* RFC 9112 §7.1.2: trailer fields follow the rules of header fields; RFC 9110 §6.5.1 forbids framing
 * fields there, which a recipient merging trailers into the head would otherwise act on. */
static int http_parser_body_trailer(struct http_parser_body *body, struct http_body_part *part, struct buf_reader *rest,
                                    struct err *err)
{
        struct buf_reader line;
        size_t line_end;
        int status = http_parser_find_line(*rest, &body->scanned, &line, &line_end);
        if (status == SMT_EAGAIN)
                return body->trailer_len + rest->len > body->limits.max_head_len
                           ? http_parser_trailer_too_large(body, err)
                           : SMT_EAGAIN;
        TRY(status);
        if (body->trailer_len + line_end > body->limits.max_head_len)
                return http_parser_trailer_too_large(body, err);
        TRY(http_parser_strip_cr(&line, "trailer", err));
        if (line.len > 0 && ++body->num_trailers > body->limits.max_fields)
                return SMT_ERR(err, HTTP_ETOO_LARGE, "trailer: more than %zu trailer fields", body->limits.max_fields);
        if (line.len > 0) {
                TRY(http_parser_field_line_parse(&part->trailer, line, "trailer", err));
                if (http_parser_token_equals(part->trailer.name, "Content-Length") ||
                    http_parser_token_equals(part->trailer.name, "Transfer-Encoding"))
                        return SMT_ERR(err, HTTP_EBAD_REQUEST, "trailer: %s is not allowed in a trailer section",
                                       http_parser_token_equals(part->trailer.name, "Content-Length")
                                           ? "Content-Length"
                                           : "Transfer-Encoding");
                part->has_trailer = true;
        } else {
                body->state = HTTP_BODY_DONE;
                part->is_end = true;
        }
        body->trailer_len += line_end;
        body->scanned = 0;
        return buf_skip(rest, line_end);
}

/* http_parser_body_step does one thing in body's state: consume framing, or yield data, a trailer or the end. */
static int http_parser_body_step(struct http_parser_body *body, struct http_body_part *part, struct buf_reader *rest,
                                 struct err *err)
{
        switch (body->state) {
        case HTTP_BODY_LENGTH:
                return http_parser_body_data(body, part, rest, HTTP_BODY_DONE);
        case HTTP_BODY_UNTIL_CLOSE:
                body->remaining = rest->len;
                return http_parser_body_data(body, part, rest, HTTP_BODY_UNTIL_CLOSE);
        case HTTP_BODY_CHUNK_SIZE:
                return http_parser_body_chunk_size(body, rest, err);
        case HTTP_BODY_CHUNK_DATA:
                return http_parser_body_data(body, part, rest, HTTP_BODY_CHUNK_DATA_END);
        case HTTP_BODY_CHUNK_DATA_END:
                return http_parser_body_chunk_data_end(body, rest, err);
        case HTTP_BODY_TRAILER:
                return http_parser_body_trailer(body, part, rest, err);
        case HTTP_BODY_DONE:
                part->is_end = true;
                return SMT_OK;
        }
        return SMT_ERR(err, SMT_EINTERNAL, "body: state %d", (int)body->state);
}

int http_parser_body_decode(struct http_parser_body *body, struct http_body_part *part, size_t *consumed,
                            const uint8_t *in, size_t in_len, struct err *err)
{
        struct buf_reader rest = buf_reader_make(in, in_len);
        *part = (struct http_body_part){0};
        int status;
        do {
                status = http_parser_body_step(body, part, &rest, err);
        } while (status == SMT_OK && part->data.len == 0 && !part->has_trailer && !part->is_end);
        *consumed = in_len - rest.len;
        if (status == SMT_EAGAIN && *consumed > 0)
                return SMT_OK;
        return status;
}

int http_parser_body_finish(struct http_parser_body *body, struct err *err)
{
        switch (body->state) {
        case HTTP_BODY_DONE:
                return SMT_OK;
        case HTTP_BODY_UNTIL_CLOSE:
                body->state = HTTP_BODY_DONE;
                return SMT_OK;
        case HTTP_BODY_LENGTH:
                return SMT_ERR(err, SMT_ETRUNCATED, "body: connection closed with %" PRIu64 " bytes missing",
                               body->remaining);
        case HTTP_BODY_CHUNK_SIZE:
        case HTTP_BODY_CHUNK_DATA:
        case HTTP_BODY_CHUNK_DATA_END:
                return SMT_ERR(err, SMT_ETRUNCATED, "chunked body: connection closed before the last chunk");
        case HTTP_BODY_TRAILER:
                return SMT_ERR(err, SMT_ETRUNCATED, "chunked body: connection closed inside the trailer section");
        }
        return SMT_ERR(err, SMT_EINTERNAL, "body: state %d", (int)body->state);
}

bool http_parser_body_is_done(const struct http_parser_body *body)
{
        return body->state == HTTP_BODY_DONE;
}
