/* tests/fuzz/fuzz_http.h: the driver shared by fuzz_http_request.c and fuzz_http_response.c.
 *
 * It reads a stream of messages as a connection would — head (http_parser_parse), then body
 * (http_parser_body_decode, the end of the input being the peer's close) — up to FUZZ_HTTP_MESSAGES_MAX
 * messages, twice: once with every byte available at once, once with the bytes arriving one at a time.
 * Each run writes a transcript (every head's facts and slices as offsets, the body bytes, the trailers,
 * where each message ended, the final status and message); the two must be identical, else abort().
 * Along the way every accepted head and body part is checked against what the parser promises (field
 * names are tokens, values hold no control bytes but HTAB and no outer OWS, chunked excludes
 * Content-Length, slices lie inside the input, ...). */
#ifndef SMT_FUZZ_HTTP_H
#define SMT_FUZZ_HTTP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/parser.h"

#define FUZZ_HTTP_MESSAGES_MAX 8

struct fuzz_http_config {
        bool is_response;
        uint8_t methods; /* responses: 2 bits per message: GET, HEAD, CONNECT, POST */
        bool has_small_limits;
};

struct fuzz_transcript {
        uint8_t *data;
        size_t len;
        size_t cap;
};

static void fuzz_put(struct fuzz_transcript *t, const void *bytes, size_t n)
{
        if (t->len + n > t->cap) {
                size_t cap = (t->len + n) * 2 + 256;
                uint8_t *grown = realloc(t->data, cap);
                if (grown == NULL)
                        abort();
                t->data = grown;
                t->cap = cap;
        }
        if (n > 0)
                memcpy(t->data + t->len, bytes, n);
        t->len += n;
}

static void fuzz_put_u64(struct fuzz_transcript *t, uint64_t v)
{
        fuzz_put(t, &v, sizeof v);
}

/* fuzz_put_slice aborts unless s lies inside [base, base + len); it records s as an offset and length. */
static void fuzz_put_slice(struct fuzz_transcript *t, const uint8_t *base, size_t len, struct buf_reader s)
{
        if (s.len > 0 && (s.data < base || s.data + s.len > base + len))
                abort();
        fuzz_put_u64(t, s.len > 0 ? (uint64_t)(s.data - base) : 0);
        fuzz_put_u64(t, s.len);
}

static bool fuzz_is_token(struct buf_reader s)
{
        for (size_t i = 0; i < s.len; i++)
                if (s.data[i] <= 0x20 || s.data[i] >= 0x7f || strchr("\"(),/:;<=>?@[\\]{}", s.data[i]) != NULL)
                        return false;
        return s.len > 0;
}

static void fuzz_check_field(const struct http_field *f)
{
        if (!fuzz_is_token(f->name))
                abort();
        for (size_t i = 0; i < f->value.len; i++)
                if ((f->value.data[i] < 0x20 && f->value.data[i] != '\t') || f->value.data[i] == 0x7f)
                        abort();
        if (f->value.len > 0 && (f->value.data[0] == ' ' || f->value.data[0] == '\t' ||
                                 f->value.data[f->value.len - 1] == ' ' || f->value.data[f->value.len - 1] == '\t'))
                abort();
}

static void fuzz_check_head(const struct fuzz_http_config *cfg, const struct http_head *h, size_t available)
{
        if (h->head_len == 0 || h->head_len > available || h->num_fields > 100)
                abort();
        if (h->is_chunked && h->has_content_length)
                abort();
        if (h->version == HTTP_VERSION_1_0 && h->is_chunked)
                abort();
        if ((h->framing == HTTP_FRAMING_LENGTH && !h->has_content_length) ||
            (h->framing == HTTP_FRAMING_CHUNKED && !h->is_chunked))
                abort();
        if (h->has_content_length && h->content_length > INT64_MAX)
                abort();
        if (!cfg->is_response &&
            (!fuzz_is_token(h->method) || h->target.len == 0 || h->framing == HTTP_FRAMING_UNTIL_CLOSE))
                abort();
        if (!cfg->is_response && h->version == HTTP_VERSION_1_1 && !h->has_host)
                abort();
        if (cfg->is_response && (h->status < 100 || h->status > 599))
                abort();
        if (h->framing == HTTP_FRAMING_UNTIL_CLOSE && h->is_keep_alive)
                abort();
        for (size_t i = 0; i < h->num_fields; i++)
                fuzz_check_field(&h->fields[i]);
}

static void fuzz_put_head(struct fuzz_transcript *t, const uint8_t *base, size_t len, const struct http_head *h)
{
        uint64_t facts[] = {h->head_len,
                            h->version,
                            h->target_form,
                            (uint64_t)h->status,
                            h->num_fields,
                            h->framing,
                            h->has_content_length,
                            h->content_length,
                            h->is_chunked,
                            h->connection,
                            h->is_keep_alive,
                            h->has_host,
                            h->is_websocket_upgrade,
                            h->expects_continue};
        fuzz_put(t, facts, sizeof facts);
        const struct buf_reader slices[] = {h->method, h->target, h->reason, h->host, h->authority, h->upgrade};
        for (size_t i = 0; i < sizeof slices / sizeof slices[0]; i++)
                fuzz_put_slice(t, base, len, slices[i]);
        for (size_t i = 0; i < h->num_fields; i++) {
                fuzz_put_slice(t, base, len, h->fields[i].name);
                fuzz_put_slice(t, base, len, h->fields[i].value);
        }
}

static void fuzz_limits(const struct fuzz_http_config *cfg, struct http_limits *limits)
{
        http_parser_limits_default(limits);
        if (cfg->has_small_limits)
                *limits = (struct http_limits){
                    .max_head_len = 200, .max_start_line_len = 60, .max_fields = 6, .max_chunk_line_len = 24};
}

static int fuzz_head(struct http_head *head, const struct fuzz_http_config *cfg, size_t index, const uint8_t *data,
                     size_t len, bool is_bytewise, struct err *err)
{
        static const char *const methods[] = {"GET", "HEAD", "CONNECT", "POST"};
        struct http_limits limits;
        struct http_parser p;
        fuzz_limits(cfg, &limits);
        const char *method = methods[(cfg->methods >> (2 * (index % 4))) & 3];
        int status =
            cfg->is_response
                ? http_parser_init_response(&p, &limits, buf_reader_make((const uint8_t *)method, strlen(method)), err)
                : http_parser_init_request(&p, &limits, err);
        if (status != 0)
                abort();
        if (!is_bytewise)
                return http_parser_parse(&p, head, data, len, err);
        status = SMT_EAGAIN;
        for (size_t fed = 1; status == SMT_EAGAIN && fed <= len; fed++)
                status = http_parser_parse(&p, head, data, fed, err);
        return status;
}

/* fuzz_body decodes the body after a head, from *pos; the end of the input closes the connection. */
static int fuzz_body(struct fuzz_transcript *t, const struct fuzz_http_config *cfg, const struct http_head *head,
                     const uint8_t *data, size_t len, size_t *pos, bool is_bytewise, struct err *err)
{
        struct http_limits limits;
        struct http_parser_body body;
        fuzz_limits(cfg, &limits);
        if (http_parser_body_init(&body, head->framing, head->content_length, &limits, err) != 0)
                abort();
        size_t avail = is_bytewise ? *pos : len;
        for (;;) {
                struct http_body_part part;
                size_t used;
                int status = http_parser_body_decode(&body, &part, &used, data + *pos, avail - *pos, err);
                if (status == SMT_EAGAIN && avail < len) {
                        avail++;
                        continue;
                }
                if (status == SMT_EAGAIN)
                        return http_parser_body_finish(&body, err);
                if (status != 0)
                        return status;
                if (used > avail - *pos || (used == 0 && part.data.len == 0 && !part.has_trailer && !part.is_end))
                        abort();
                /* Data lies in what was consumed; only its bytes are recorded, as pieces differ between runs. */
                if (part.data.len > 0 &&
                    (part.data.data < data + *pos || part.data.data + part.data.len > data + *pos + used))
                        abort();
                fuzz_put(t, part.data.data, part.data.len);
                if (part.has_trailer) {
                        fuzz_check_field(&part.trailer);
                        fuzz_put_u64(t, UINT64_MAX); /* a trailer follows */
                        fuzz_put_u64(t, part.trailer.name.len);
                        fuzz_put(t, part.trailer.name.data, part.trailer.name.len);
                        fuzz_put_u64(t, part.trailer.value.len);
                        fuzz_put(t, part.trailer.value.data, part.trailer.value.len);
                }
                *pos += used;
                if (part.is_end != http_parser_body_is_done(&body))
                        abort();
                if (part.is_end)
                        return SMT_OK;
        }
}

static void fuzz_run(struct fuzz_transcript *t, const struct fuzz_http_config *cfg, const uint8_t *data, size_t len,
                     bool is_bytewise)
{
        static struct http_head head;
        struct err err = {0};
        size_t pos = 0;
        int status = SMT_OK;
        for (size_t i = 0; i < FUZZ_HTTP_MESSAGES_MAX && status == SMT_OK; i++) {
                status = fuzz_head(&head, cfg, i, data + pos, len - pos, is_bytewise, &err);
                if (status != SMT_OK)
                        break;
                fuzz_check_head(cfg, &head, len - pos);
                fuzz_put_head(t, data, len, &head);
                pos += head.head_len;
                status = fuzz_body(t, cfg, &head, data, len, &pos, is_bytewise, &err);
                if (status == SMT_OK)
                        fuzz_put_u64(t, pos); /* after a refusal, where each run stopped may differ */
        }
        fuzz_put_u64(t, (uint64_t)(int64_t)status);
        if (status < 0 && status != SMT_EAGAIN)
                fuzz_put(t, err.msg, strlen(err.msg));
}

/* fuzz_http_check runs the input at once and byte by byte and aborts unless both tell the same story. */
static void fuzz_http_check(const struct fuzz_http_config *cfg, const uint8_t *data, size_t len)
{
        struct fuzz_transcript at_once = {0}, bytewise = {0};
        fuzz_run(&at_once, cfg, data, len, false);
        fuzz_run(&bytewise, cfg, data, len, true);
        if (at_once.len != bytewise.len || memcmp(at_once.data, bytewise.data, at_once.len) != 0)
                abort();
        free(at_once.data);
        free(bytewise.data);
}

#endif
