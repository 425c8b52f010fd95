/* src/http/server_response.c: see server_internal.h. The response a handler fills, and writing it: status
 * line, Date (RFC 9110 §6.6.1: an origin server with a clock must send it), Server, the handler's fields,
 * Content-Length, Connection; then the body unless the request was HEAD or the status has none. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "http/server_internal.h"
#include "http/writer.h"

/* Framing and connection management belong to the server: a handler's copy could contradict ours
 * (two Content-Lengths are a smuggling vector downstream), so these are never copied. */
static const char *const http_server_reserved_fields[] = {
    "Content-Length", "Transfer-Encoding", "Connection", "Keep-Alive", "Date", "Upgrade", "Trailer",
};

static bool http_server_response_is_tchar(char c)
{
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* http_server_response_check_name refuses what is not an RFC 9110 §5.1 token. */
static int http_server_response_check_name(const char *name)
{
        if (name[0] == '\0')
                return SMT_EINVAL;
        for (size_t i = 0; name[i] != '\0'; i++) {
                if (!http_server_response_is_tchar(name[i]))
                        return SMT_EINVAL;
        }
        return 0;
}

int http_server_response_add_field(struct http_server_response *response, const char *name, const char *fmt, ...)
{
        if (response->num_fields >= HTTP_SERVER_HEADERS_MAX)
                return SMT_ENOSPACE;
        TRY(http_server_response_check_name(name));
        size_t name_len = strlen(name);
        size_t room = sizeof response->store - response->store_used;
        if (name_len + 2 > room)
                return SMT_ENOSPACE;
        char *name_copy = &response->store[response->store_used];
        memcpy(name_copy, name, name_len + 1);
        char *value = &name_copy[name_len + 1];
        va_list args;
        va_start(args, fmt);
        int value_len = vsnprintf(value, room - name_len - 1, fmt, args);
        va_end(args);
        if (value_len < 0 || (size_t)value_len >= room - name_len - 1)
                return SMT_ENOSPACE;
        if (strlen(value) != (size_t)value_len || strpbrk(value, "\r\n") != NULL)
                return SMT_EINVAL; /* a NUL, CR or LF would end the field early or start a forged one */
        response->fields[response->num_fields++] = (struct http_server_field){.name = name_copy, .value = value};
        response->store_used += name_len + 1 + (size_t)value_len + 1;
        return 0;
}

void http_server_response_reset(struct http_server_conn *conn)
{
        struct http_server_response *response = &conn->response;
        response->status = 0;
        response->num_fields = 0;
        response->close = false;
        response->store_used = 0;
        buf_writer_truncate(&response->body, 0);
}

static int http_server_response_printf(struct buf_writer *out, const char *fmt, ...) SMT_PRINTF(2, 3);

static int http_server_response_printf(struct buf_writer *out, const char *fmt, ...)
{
        va_list args;
        va_start(args, fmt);
        int len = vsnprintf(NULL, 0, fmt, args);
        va_end(args);
        uint8_t *room = NULL;
        if (len < 0)
                return SMT_EINVAL;
        TRY(buf_write_reserve(out, &room, (size_t)len + 1));
        va_start(args, fmt);
        vsnprintf((char *)room, (size_t)len + 1, fmt, args);
        va_end(args);
        buf_writer_truncate(out, out->len - 1); /* the NUL vsnprintf needed */
        return 0;
}

/* http_server_response_date writes the IMF-fixdate of now (RFC 9110 §5.6.7), by hand: strftime's names
 * follow the locale. */
static int http_server_response_date(struct buf_writer *out)
{
        static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
        static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        return http_server_response_printf(out, "Date: %s, %02d %s %04d %02d:%02d:%02d GMT\r\n", days[tm.tm_wday],
                                           tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                                           tm.tm_sec);
}

static bool http_server_response_is_reserved(const char *name)
{
        for (size_t i = 0; i < sizeof http_server_reserved_fields / sizeof http_server_reserved_fields[0]; i++) {
                if (strcasecmp(name, http_server_reserved_fields[i]) == 0)
                        return true;
        }
        return false;
}

/* http_server_response_has_body: RFC 9110 §6.4.1: 1xx, 204 and 304 responses have none. */
static bool http_server_response_has_body(int status)
{
        return status >= 200 && status != 204 && status != 304;
}

/* http_server_response_head writes the head of a response of status with body_len bytes of body. */
static int http_server_response_head(struct http_server_conn *conn, int status, const struct http_server_field *fields,
                                     size_t num_fields, size_t body_len)
{
        struct buf_writer *out = &conn->out;
        TRY(http_server_response_printf(out, "HTTP/1.1 %d %s\r\n", status, http_status_reason(status)));
        TRY(http_server_response_date(out));
        if (conn->server->server_header != NULL)
                TRY(http_server_response_printf(out, "Server: %s\r\n", conn->server->server_header));
        for (size_t i = 0; i < num_fields; i++) {
                if (!http_server_response_is_reserved(fields[i].name))
                        TRY(http_server_response_printf(out, "%s: %s\r\n", fields[i].name, fields[i].value));
        }
        /* RFC 9110 §8.6: never in a 204; a 304's would have to be the length of the 200 it stands for. */
        if (http_server_response_has_body(status))
                TRY(http_server_response_printf(out, "Content-Length: %zu\r\n", body_len));
        if (conn->is_closing)
                TRY(http_server_response_printf(out, "Connection: close\r\n"));
        else if (conn->is_http_1_0_keep_alive)
                TRY(http_server_response_printf(out, "Connection: keep-alive\r\n"));
        return http_server_response_printf(out, "\r\n");
}

static int http_server_response_flush(struct http_server_conn *conn, struct err *err)
{
        int64_t deadline = http_server_io_now_ms() + conn->server->write_timeout_ms;
        int status = http_server_io_write(conn, conn->out.data, conn->out.len, deadline, err);
        buf_writer_truncate(&conn->out, 0);
        return status;
}

/* http_server_response_write writes a whole response to conn->out and sends it. */
static int http_server_response_write(struct http_server_conn *conn, int status, const struct http_server_field *fields,
                                      size_t num_fields, const uint8_t *body, size_t body_len, struct err *err)
{
        buf_writer_truncate(&conn->out, 0);
        bool has_body = http_server_response_has_body(status);
        int written = http_server_response_head(conn, status, fields, num_fields, has_body ? body_len : 0);
        if (written == 0 && has_body && !conn->is_head_request && body_len > 0)
                written = buf_write_bytes(&conn->out, body, body_len);
        if (written < 0)
                return SMT_ERR(err, written, "http server: response %d does not fit", status);
        return http_server_response_flush(conn, err);
}

static const uint8_t http_server_internal_error[] = "the request handler gave no answer\n";

int http_server_response_send(struct http_server_conn *conn, struct err *err)
{
        const struct http_server_response *response = &conn->response;
        if (response->status < 200 || response->status > 599) {
                /* No answer, or a 1xx (this server has no upgrades and sends 100 Continue itself). */
                static const struct http_server_field plain = {"Content-Type", "text/plain; charset=utf-8"};
                return http_server_response_write(conn, 500, &plain, 1, http_server_internal_error,
                                                  sizeof http_server_internal_error - 1, err);
        }
        return http_server_response_write(conn, response->status, response->fields, response->num_fields,
                                          response->body.data, response->body.len, err);
}

void http_server_response_send_error(struct http_server_conn *conn, int status, const char *detail)
{
        char body[320];
        int len = snprintf(body, sizeof body, "%d %s: %s\n", status, http_status_reason(status), detail);
        if (len < 0)
                len = 0;
        if ((size_t)len >= sizeof body)
                len = sizeof body - 1;
        static const struct http_server_field plain = {"Content-Type", "text/plain; charset=utf-8"};
        struct err err = {0};
        conn->is_closing = true;
        conn->needs_linger = true;
        SMT_IGNORE(http_server_response_write(conn, status, &plain, 1, (const uint8_t *)body, (size_t)len, &err));
}

int http_server_response_send_continue(struct http_server_conn *conn, struct err *err)
{
        static const uint8_t line[] = "HTTP/1.1 100 Continue\r\n\r\n";
        int64_t deadline = http_server_io_now_ms() + conn->server->write_timeout_ms;
        return http_server_io_write(conn, line, sizeof line - 1, deadline, err);
}

void http_server_date(char out[HTTP_SERVER_DATE_LEN], int64_t t)
{
        struct tm tm;
        time_t at = (time_t)t;
        if (gmtime_r(&at, &tm) == NULL || strftime(out, HTTP_SERVER_DATE_LEN, "%a, %d %b %Y %H:%M:%S GMT", &tm) == 0)
                snprintf(out, HTTP_SERVER_DATE_LEN, "Thu, 01 Jan 1970 00:00:00 GMT");
}
