/* src/http/writer.c: the pieces every written message shares (bytes appended with a clear error, the byte
 * checks that keep CR and LF from reaching the wire out of a value, the hop-by-hop rules of RFC 9110
 * §7.6.1, framing and status lines), chunked framing (RFC 9112 §7.1) and the response head for a client. */
#include "http/writer.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "http/writer_internal.h"

int http_writer_put(struct buf_writer *out, const void *data, size_t len, struct err *err)
{
        int status = buf_write_bytes(out, data, len);
        if (status < 0)
                return SMT_ERR(err, status, "http writer: no room for %zu more bytes after %zu (at most %zu)", len,
                               out->len, out->max_len);
        return SMT_OK;
}

int http_writer_put_string(struct buf_writer *out, const char *s, struct err *err)
{
        return http_writer_put(out, s, strlen(s), err);
}

int http_writer_put_slice(struct buf_writer *out, struct buf_reader s, struct err *err)
{
        return s.len == 0 ? SMT_OK : http_writer_put(out, s.data, s.len, err);
}

int http_writer_put_decimal(struct buf_writer *out, uint64_t v, struct err *err)
{
        char digits[24];
        int n = snprintf(digits, sizeof digits, "%" PRIu64, v);
        return http_writer_put(out, digits, (size_t)n, err);
}

struct buf_reader http_writer_slice(const char *s)
{
        return buf_reader_make((const uint8_t *)s, strlen(s));
}

/* RFC 9110 §5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|"
 * / "~" / DIGIT / ALPHA. */
static bool http_writer_is_tchar(uint8_t c)
{
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

bool http_writer_is_token(struct buf_reader s)
{
        for (size_t i = 0; i < s.len; i++)
                if (!http_writer_is_tchar(s.data[i]))
                        return false;
        return s.len > 0;
}

bool http_writer_is_field_value(struct buf_reader s)
{
        for (size_t i = 0; i < s.len; i++)
                if (!(s.data[i] == '\t' || (s.data[i] >= 0x20 && s.data[i] != 0x7f)))
                        return false;
        return true;
}

int http_writer_field(struct buf_writer *out, struct buf_reader name, struct buf_reader value, struct err *err)
{
        if (!http_writer_is_token(name))
                return SMT_ERR(err, SMT_EINVAL, "http writer: field name of %zu bytes is not a token", name.len);
        if (!http_writer_is_field_value(value))
                return SMT_ERR(err, SMT_EINVAL, "http writer: value of field \"%.*s\" holds a control byte",
                               (int)name.len, (const char *)name.data);
        TRY(http_writer_put_slice(out, name, err));
        TRY(http_writer_put(out, ": ", 2, err));
        TRY(http_writer_put_slice(out, value, err));
        return http_writer_put(out, "\r\n", 2, err);
}

int http_writer_field_string(struct buf_writer *out, const char *name, const char *value, struct err *err)
{
        return http_writer_field(out, http_writer_slice(name), http_writer_slice(value), err);
}

int http_writer_end_of_fields(struct buf_writer *out, struct err *err)
{
        return http_writer_put(out, "\r\n", 2, err);
}

int http_writer_chunk_size(struct buf_writer *out, uint64_t len, struct err *err)
{
        /* RFC 9112 §7.1: a chunk of size 0 is the last chunk; data chunks are never empty. */
        if (len == 0)
                return SMT_ERR(err, SMT_EINVAL, "http writer: chunk of 0 bytes (the last chunk has its own writer)");
        char line[24];
        int n = snprintf(line, sizeof line, "%" PRIx64 "\r\n", len);
        return http_writer_put(out, line, (size_t)n, err);
}

int http_writer_chunk_end(struct buf_writer *out, struct err *err)
{
        return http_writer_put(out, "\r\n", 2, err);
}

int http_writer_last_chunk(struct buf_writer *out, struct err *err)
{
        return http_writer_put(out, "0\r\n", 3, err);
}

static bool http_writer_names_equal(struct buf_reader a, struct buf_reader b)
{
        if (a.len != b.len)
                return false;
        for (size_t i = 0; i < a.len; i++) {
                uint8_t x = a.data[i], y = b.data[i];
                if (x >= 'A' && x <= 'Z')
                        x = (uint8_t)(x - 'A' + 'a');
                if (y >= 'A' && y <= 'Z')
                        y = (uint8_t)(y - 'A' + 'a');
                if (x != y)
                        return false;
        }
        return true;
}

static bool http_writer_is_ows(uint8_t c)
{
        return c == ' ' || c == '\t';
}

/* http_writer_list_next splits the next element of a comma-separated list (RFC 9110 §5.6.1) off rest, OWS
 * trimmed and maybe empty, and says whether a comma followed it (so that another element does). */
static bool http_writer_list_next(struct buf_reader *rest, struct buf_reader *element)
{
        size_t n = 0;
        while (n < rest->len && rest->data[n] != ',')
                n++;
        struct buf_reader e;
        uint8_t comma;
        if (buf_read_slice(rest, &e, n) != 0)
                e = buf_reader_make(NULL, 0);
        bool has_more = buf_read_u8(rest, &comma) == 0;
        size_t lead = 0, len = e.len;
        while (lead < len && http_writer_is_ows(e.data[lead]))
                lead++;
        while (len > lead && http_writer_is_ows(e.data[len - 1]))
                len--;
        if (buf_skip(&e, lead) != 0 || buf_read_slice(&e, element, len - lead) != 0)
                *element = buf_reader_make(NULL, 0);
        return has_more;
}

/* http_writer_is_connection_option says whether a Connection field of head lists name. */
static bool http_writer_is_connection_option(const struct http_head *head, struct buf_reader name)
{
        struct buf_reader connection = http_writer_slice("Connection");
        for (size_t i = 0; i < head->num_fields; i++) {
                if (!http_writer_names_equal(head->fields[i].name, connection))
                        continue;
                struct buf_reader rest = head->fields[i].value, option;
                bool has_more = true;
                while (has_more) {
                        has_more = http_writer_list_next(&rest, &option);
                        if (http_writer_names_equal(option, name))
                                return true;
                }
        }
        return false;
}

/* RFC 9110 §7.6.1 (Connection, Proxy-Connection, Keep-Alive, TE, Transfer-Encoding, Upgrade) and §11.7
 * (Proxy-Authenticate, Proxy-Authorization: credentials and challenges meant for this proxy). */
static const char *const http_writer_hop_by_hop_names[] = {
    "Connection",        "Keep-Alive",         "Proxy-Connection",    "TE",
    "Transfer-Encoding", "Proxy-Authenticate", "Proxy-Authorization",
};

bool http_writer_is_hop_by_hop(const struct http_head *head, struct buf_reader name, bool keep_upgrade)
{
        if (http_writer_names_equal(name, http_writer_slice("Upgrade")))
                return !keep_upgrade;
        size_t num_names = sizeof http_writer_hop_by_hop_names / sizeof http_writer_hop_by_hop_names[0];
        for (size_t i = 0; i < num_names; i++)
                if (http_writer_names_equal(name, http_writer_slice(http_writer_hop_by_hop_names[i])))
                        return true;
        return http_writer_is_connection_option(head, name);
}

bool http_writer_is_framing(struct buf_reader name)
{
        return http_writer_names_equal(name, http_writer_slice("Content-Length")) ||
               http_writer_names_equal(name, http_writer_slice("Transfer-Encoding"));
}

int http_writer_framing_write(struct buf_writer *out, enum http_writer_framing framing, uint64_t content_length,
                              struct err *err)
{
        switch (framing) {
        case HTTP_WRITER_NO_BODY:
        case HTTP_WRITER_UNTIL_CLOSE:
                return SMT_OK;
        case HTTP_WRITER_LENGTH:
                TRY(http_writer_put_string(out, "Content-Length: ", err));
                TRY(http_writer_put_decimal(out, content_length, err));
                return http_writer_put(out, "\r\n", 2, err);
        case HTTP_WRITER_CHUNKED:
                return http_writer_put_string(out, "Transfer-Encoding: chunked\r\n", err);
        }
        return SMT_ERR(err, SMT_EINVAL, "http writer: framing %d is not an enum http_writer_framing", (int)framing);
}

int http_writer_status_line(struct buf_writer *out, int status, struct buf_reader reason, struct err *err)
{
        if (status < 100 || status > 599)
                return SMT_ERR(err, SMT_EINVAL, "http writer: status %d outside 100..599", status);
        if (!http_writer_is_field_value(reason))
                return SMT_ERR(err, SMT_EINVAL, "http writer: reason phrase of status %d holds a control byte", status);
        if (reason.len == 0)
                reason = http_writer_slice(http_status_reason(status));
        char code[16];
        int n = snprintf(code, sizeof code, "HTTP/1.1 %03d ", status);
        TRY(http_writer_put(out, code, (size_t)n, err));
        TRY(http_writer_put_slice(out, reason, err));
        return http_writer_put(out, "\r\n", 2, err);
}

/* http_writer_response_fields copies resp's fields but hop-by-hop and framing ones; *has_hsts says whether
 * a Strict-Transport-Security field was among those copied. */
static int http_writer_response_fields(struct buf_writer *out, const struct http_head *resp, bool keep_upgrade,
                                       bool *has_hsts, struct err *err)
{
        struct buf_reader hsts = http_writer_slice("Strict-Transport-Security");
        *has_hsts = false;
        for (size_t i = 0; i < resp->num_fields; i++) {
                const struct http_field *field = &resp->fields[i];
                if (http_writer_is_framing(field->name) || http_writer_is_hop_by_hop(resp, field->name, keep_upgrade))
                        continue;
                *has_hsts = *has_hsts || http_writer_names_equal(field->name, hsts);
                TRY(http_writer_field(out, field->name, field->value, err));
        }
        return SMT_OK;
}

/* RFC 9110 §15.2: a 1xx carries no content and ends no exchange, so it gets neither framing nor
 * Connection: close; a 101 is forwarded only for the WebSocket upgrade the gateway let through. */
static int http_writer_informational_head(struct buf_writer *out, const struct http_head *resp,
                                          const struct http_response_rewrite *rw, struct err *err)
{
        bool is_websocket = resp->status == 101;
        if (is_websocket && !(rw->is_websocket && resp->is_websocket_upgrade))
                return SMT_ERR(err, SMT_EINVAL,
                               "http writer: a 101 response is forwarded only as a WebSocket upgrade (Upgrade: "
                               "websocket, Connection: upgrade, and is_websocket set)");
        bool has_hsts;
        TRY(http_writer_status_line(out, resp->status, resp->reason, err));
        TRY(http_writer_response_fields(out, resp, is_websocket, &has_hsts, err));
        if (is_websocket)
                TRY(http_writer_put_string(out, "Connection: upgrade\r\n", err));
        return http_writer_end_of_fields(out, err);
}

static int http_writer_final_head(struct buf_writer *out, const struct http_head *resp,
                                  const struct http_response_rewrite *rw, struct err *err)
{
        /* RFC 9110 §8.6, RFC 9112 §6.1: a 204 carries neither Content-Length nor Transfer-Encoding. */
        if (resp->status == 204 && rw->framing != HTTP_WRITER_NO_BODY)
                return SMT_ERR(err, SMT_EINVAL, "http writer: framing %d for a 204 response (NO_BODY expected)",
                               (int)rw->framing);
        if (rw->hsts != NULL && !http_writer_is_field_value(http_writer_slice(rw->hsts)))
                return SMT_ERR(err, SMT_EINVAL, "http writer: HSTS value holds a control byte");
        if (rw->set_cookie != NULL && !http_writer_is_field_value(http_writer_slice(rw->set_cookie)))
                return SMT_ERR(err, SMT_EINVAL, "http writer: Set-Cookie value holds a control byte");
        bool has_hsts;
        TRY(http_writer_status_line(out, resp->status, resp->reason, err));
        TRY(http_writer_response_fields(out, resp, false, &has_hsts, err));
        TRY(http_writer_framing_write(out, rw->framing, rw->content_length, err));
        /* RFC 9112 §6.3 rule 8: a body delimited by the close ends the connection, whatever was asked. */
        if (!rw->keep_alive || rw->framing == HTTP_WRITER_UNTIL_CLOSE)
                TRY(http_writer_put_string(out, "Connection: close\r\n", err));
        /* The origin's own policy wins (it may mean a shorter max-age); a second field would not help anyway:
         * RFC 6797 §8.1, a browser processes only the first. */
        if (rw->hsts != NULL && !has_hsts)
                TRY(http_writer_field_string(out, "Strict-Transport-Security", rw->hsts, err));
        if (rw->set_cookie != NULL)
                TRY(http_writer_field_string(out, "Set-Cookie", rw->set_cookie, err));
        return http_writer_end_of_fields(out, err);
}

int http_writer_response_head(struct buf_writer *out, const struct http_head *resp,
                              const struct http_response_rewrite *rw, struct err *err)
{
        size_t start = out->len;
        int status = resp->status < 200 ? http_writer_informational_head(out, resp, rw, err)
                                        : http_writer_final_head(out, resp, rw, err);
        if (status < 0)
                buf_writer_truncate(out, start);
        return status;
}
