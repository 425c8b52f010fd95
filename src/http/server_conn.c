/* src/http/server_conn.c: see server_internal.h. One connection, request after request: read a head
 * (bounded by idle_timeout until its first byte, then head_timeout), copy what the handler sees out of
 * the input buffer, read the body (body_timeout, max_body), call the handler, write the answer. Whatever
 * the parser refuses is answered here and ends the connection: after a bad message the framing of what
 * follows cannot be trusted (RFC 9112 §11.2). */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "http/server_internal.h"

/* A response buffer above this is freed after its request rather than kept for the next one. */
#define HTTP_SERVER_KEEP_BUFFER_MAX (1024 * 1024)

int http_server_conn_init(struct http_server_conn *conn, struct http_server *server, struct err *err)
{
        conn->server = server;
        conn->fd = -1;
        /* Every part of a head is copied at most twice (the target again as path and query), each with a NUL. */
        conn->strings_cap = 2 * server->limits.max_head_len + 2 * HTTP_FIELDS_MAX + 64;
        conn->in_mem = malloc(HTTP_SERVER_IN_MAX);
        conn->strings_mem = malloc(conn->strings_cap);
        if (conn->in_mem == NULL || conn->strings_mem == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "http server: connection buffers");
        buf_writer_init_fixed(&conn->in, conn->in_mem, HTTP_SERVER_IN_MAX);
        buf_writer_init_fixed(&conn->strings, conn->strings_mem, conn->strings_cap);
        buf_writer_init_heap(&conn->body, server->max_body);
        buf_writer_init_heap(&conn->out, HTTP_SERVER_RESPONSE_MAX + 64 * 1024);
        buf_writer_init_heap(&conn->response.body, HTTP_SERVER_RESPONSE_MAX);
        return 0;
}

void http_server_conn_cleanup(struct http_server_conn *conn)
{
        if (conn->in_mem != NULL)
                buf_writer_cleanup(&conn->in);
        if (conn->strings_mem != NULL)
                buf_writer_cleanup(&conn->strings);
        free(conn->in_mem);
        free(conn->strings_mem);
        buf_writer_cleanup(&conn->body);
        buf_writer_cleanup(&conn->out);
        buf_writer_cleanup(&conn->response.body);
}

/* http_server_conn_refusal_status maps a parser refusal to the status that answers it. */
static int http_server_conn_refusal_status(int status)
{
        switch (status) {
        case HTTP_ETOO_LARGE:
                return 431;
        case HTTP_ETARGET_TOO_LONG:
                return 414;
        case HTTP_EUNSUPPORTED:
                return 501;
        case HTTP_EVERSION:
        case HTTP_EHTTP2_PREFACE:
                return 505;
        case HTTP_EEXPECTATION:
                return 417;
        default:
                return 400;
        }
}

/* http_server_conn_read_head waits for a whole head in conn->in and parses it into conn->head: 0, or a
 * negative status once the connection is to close (answered already when there was something to say). */
static int http_server_conn_read_head(struct http_server_conn *conn, bool is_first)
{
        struct http_server *server = conn->server;
        struct err err = {0};
        struct http_parser parser;
        TRY(http_parser_init_request(&parser, &server->limits, &err));
        /* Until a request's first byte, stop may close the connection: nothing was asked yet. */
        bool is_waiting = conn->in.len == 0;
        bool is_idle = !is_first && is_waiting;
        int64_t deadline = http_server_io_now_ms() + (is_idle ? server->idle_timeout_ms : server->head_timeout_ms);
        for (;;) {
                int status = http_parser_parse(&parser, &conn->head, conn->in.data, conn->in.len, &err);
                if (status == 0)
                        return 0;
                if (status != SMT_EAGAIN) {
                        http_server_response_send_error(conn, http_server_conn_refusal_status(status), err.msg);
                        return status;
                }
                int got = http_server_io_read(conn, deadline, is_waiting, &err);
                if (got == SMT_EAGAIN && conn->in.len > 0)
                        http_server_response_send_error(conn, 408, "the request head did not arrive in time");
                if (got <= 0)
                        return got < 0 ? got : SMT_EIO;
                if (is_idle) /* a request began: it has head_timeout to arrive whole */
                        deadline = http_server_io_now_ms() + server->head_timeout_ms;
                is_waiting = false;
                is_idle = false;
        }
}

static int http_server_conn_copy(struct http_server_conn *conn, const char *prefix, struct buf_reader text,
                                 const char **out, struct err *err)
{
        size_t at = conn->strings.len;
        int status = buf_write_bytes(&conn->strings, (const uint8_t *)prefix, strlen(prefix));
        if (status == 0 && text.len > 0)
                status = buf_write_bytes(&conn->strings, text.data, text.len);
        if (status == 0)
                status = buf_write_u8(&conn->strings, 0);
        if (status < 0)
                return SMT_ERR(err, status, "http server: the request head's copy exceeds %zu bytes",
                               conn->strings_cap);
        *out = (const char *)&conn->strings.data[at];
        return 0;
}

/* http_server_conn_origin_form cuts an absolute-form target ("http://host/p?q", RFC 9112 §3.2.2: a server
 * must accept it) to its path and query; *prefix is "/" when the path is empty. */
static struct buf_reader http_server_conn_origin_form(struct buf_reader target, const char **prefix)
{
        struct buf_reader rest = target;
        const uint8_t *scheme_end = memmem(target.data, target.len, "://", 3);
        size_t skip = scheme_end != NULL ? (size_t)(scheme_end - target.data) + 3 : 0;
        while (skip < target.len && target.data[skip] != '/' && target.data[skip] != '?')
                skip++;
        SMT_IGNORE(buf_skip(&rest, skip)); /* skip <= target.len */
        *prefix = rest.len > 0 && rest.data[0] == '/' ? "" : "/";
        return rest;
}

/* http_server_conn_copy_target fills the request's target, path and query. */
static int http_server_conn_copy_target(struct http_server_conn *conn, struct err *err)
{
        struct http_server_request *request = &conn->request;
        const char *prefix = "";
        struct buf_reader target = conn->head.target;
        if (conn->head.target_form == HTTP_TARGET_ABSOLUTE)
                target = http_server_conn_origin_form(target, &prefix);
        TRY(http_server_conn_copy(conn, prefix, target, &request->target, err));
        struct buf_reader path = target, query = {0};
        const uint8_t *mark = target.len > 0 ? memchr(target.data, '?', target.len) : NULL;
        if (mark != NULL) {
                query = target;
                TRY(buf_read_slice(&query, &path, (size_t)(mark - target.data)));
                TRY(buf_skip(&query, 1));
        }
        TRY(http_server_conn_copy(conn, prefix, path, &request->path, err));
        return http_server_conn_copy(conn, "", query, &request->query, err);
}

/* http_server_conn_copy_request copies the head's parts the handler sees out of conn->in, which may then
 * move and take the next bytes. */
static int http_server_conn_copy_request(struct http_server_conn *conn, struct err *err)
{
        struct http_server_request *request = &conn->request;
        const struct http_head *head = &conn->head;
        *request = (struct http_server_request){
            .fields = conn->fields,
            .num_fields = head->num_fields,
            .remote_addr = conn->remote_addr,
            .is_tls = conn->ssl != NULL,
            .client_cert = conn->client_cert,
        };
        TRY(http_server_conn_copy(conn, "", head->method, &request->method, err));
        TRY(http_server_conn_copy_target(conn, err));
        /* RFC 9112 §3.2.2: with an absolute-form target its authority replaces the Host field; the parser's
         * authority is exactly that, and the Host value for the other forms. */
        TRY(http_server_conn_copy(conn, "", head->authority, &request->host, err));
        for (size_t i = 0; i < head->num_fields; i++) {
                TRY(http_server_conn_copy(conn, "", head->fields[i].name, &conn->fields[i].name, err));
                TRY(http_server_conn_copy(conn, "", head->fields[i].value, &conn->fields[i].value, err));
        }
        conn->is_head_request = strcmp(request->method, "HEAD") == 0;
        return 0;
}

/* http_server_conn_read_more waits for body bytes until deadline, answering 408 when none came in time. */
static int http_server_conn_read_more(struct http_server_conn *conn, int64_t deadline)
{
        struct err err = {0};
        if (conn->in.len == conn->in.cap) {
                http_server_response_send_error(conn, 400, "request body framing line too long");
                return SMT_ENOSPACE;
        }
        int got = http_server_io_read(conn, deadline, false, &err);
        if (got == SMT_EAGAIN)
                http_server_response_send_error(conn, 408, "the request body did not arrive in time");
        if (got == 0)
                return SMT_ETRUNCATED;
        return got < 0 ? got : 0;
}

static int http_server_conn_too_large(struct http_server_conn *conn)
{
        char detail[128];
        snprintf(detail, sizeof detail, "the request body exceeds %zu bytes", conn->server->max_body);
        http_server_response_send_error(conn, 413, detail);
        return SMT_ENOSPACE;
}

/* http_server_conn_decode_body moves the body from conn->in (and the socket) into conn->body. */
static int http_server_conn_decode_body(struct http_server_conn *conn, struct http_parser_body *decoder)
{
        struct err err = {0};
        int64_t deadline = http_server_io_now_ms() + conn->server->body_timeout_ms;
        for (;;) {
                struct http_body_part part;
                size_t consumed = 0;
                int status = http_parser_body_decode(decoder, &part, &consumed, conn->in.data, conn->in.len, &err);
                if (status == SMT_EAGAIN) {
                        TRY(http_server_conn_read_more(conn, deadline));
                        continue;
                }
                if (status < 0) {
                        http_server_response_send_error(conn, http_server_conn_refusal_status(status), err.msg);
                        return status;
                }
                if (part.data.len > conn->server->max_body - conn->body.len)
                        return http_server_conn_too_large(conn);
                if (part.data.len > 0)
                        TRY(buf_write_bytes(&conn->body, part.data.data, part.data.len));
                buf_writer_drop_front(&conn->in, consumed); /* trailer fields are dropped: nobody asks for them */
                if (part.is_end)
                        return 0;
        }
}

static int http_server_conn_read_body(struct http_server_conn *conn)
{
        const struct http_head *head = &conn->head;
        struct err err = {0};
        if (head->framing == HTTP_FRAMING_NONE)
                return 0;
        if (head->framing == HTTP_FRAMING_LENGTH && head->content_length > conn->server->max_body)
                return http_server_conn_too_large(conn); /* without reading it: nobody wants it */
        /* RFC 9110 §10.1.1: a client that asked may wait for this before sending the body. */
        if (head->expects_continue && conn->in.len == 0 && http_server_response_send_continue(conn, &err) < 0)
                return SMT_EIO;
        struct http_parser_body decoder;
        TRY(http_parser_body_init(&decoder, head->framing, head->content_length, &conn->server->limits, &err));
        return http_server_conn_decode_body(conn, &decoder);
}

static void http_server_conn_call_handler(struct http_server_conn *conn)
{
        struct http_server *server = conn->server;
        if (conn->body.len > 0) {
                conn->request.body = conn->body.data;
                conn->request.body_len = conn->body.len;
        }
        http_server_response_reset(conn);
        server->handler(server->context, &conn->request, &conn->response);
        conn->is_http_1_0_keep_alive = conn->head.version == HTTP_VERSION_1_0 && conn->head.is_keep_alive;
        if (!conn->head.is_keep_alive || conn->response.close || atomic_load(&server->is_stopping))
                conn->is_closing = true;
}

/* http_server_conn_shrink gives a buffer a big request or response grew back to the heap. */
static void http_server_conn_shrink(struct buf_writer *w)
{
        if (w->cap > HTTP_SERVER_KEEP_BUFFER_MAX)
                buf_writer_cleanup(w);
        else
                buf_writer_truncate(w, 0);
}

static void http_server_conn_serve_one(struct http_server_conn *conn, bool is_first)
{
        struct err err = {0};
        conn->is_head_request = false;
        conn->is_http_1_0_keep_alive = false;
        int status = http_server_conn_read_head(conn, is_first);
        if (status == 0) {
                status = http_server_conn_copy_request(conn, &err);
                buf_writer_drop_front(&conn->in, conn->head.head_len);
                if (status < 0)
                        http_server_response_send_error(conn, 431, "request head too large");
        }
        if (status == 0 && conn->head.target_form == HTTP_TARGET_AUTHORITY) {
                http_server_response_send_error(conn, 501, "CONNECT is not supported");
                status = SMT_EINVAL;
        }
        if (status == 0)
                status = http_server_conn_read_body(conn);
        if (status == 0) {
                http_server_conn_call_handler(conn);
                status = http_server_response_send(conn, &err);
        }
        if (status < 0)
                conn->is_closing = true;
        buf_writer_truncate(&conn->strings, 0);
        http_server_conn_shrink(&conn->body);
        http_server_conn_shrink(&conn->out);
        http_server_conn_shrink(&conn->response.body);
}

/* http_server_conn_remote_addr writes the client's address without port; an IPv4 client of a dual-stack
 * listener shows as its IPv4 address, not ::ffff:192.0.2.1. */
static void http_server_conn_remote_addr(struct http_server_conn *conn)
{
        struct sockaddr_storage peer;
        socklen_t peer_len = sizeof peer;
        strcpy(conn->remote_addr, "unknown");
        if (getpeername(conn->fd, (struct sockaddr *)&peer, &peer_len) != 0)
                return;
        if (peer.ss_family == AF_INET) {
                inet_ntop(AF_INET, &((struct sockaddr_in *)&peer)->sin_addr, conn->remote_addr,
                          sizeof conn->remote_addr);
        } else if (peer.ss_family == AF_INET6) {
                const struct in6_addr *ip = &((struct sockaddr_in6 *)&peer)->sin6_addr;
                if (IN6_IS_ADDR_V4MAPPED(ip))
                        inet_ntop(AF_INET, &ip->s6_addr[12], conn->remote_addr, sizeof conn->remote_addr);
                else
                        inet_ntop(AF_INET6, ip, conn->remote_addr, sizeof conn->remote_addr);
        }
}

void http_server_conn_serve(struct http_server_conn *conn, int fd)
{
        struct http_server *server = conn->server;
        struct err err = {0};
        conn->fd = fd;
        conn->is_closing = false;
        conn->needs_linger = false;
        buf_writer_truncate(&conn->in, 0);
        http_server_conn_remote_addr(conn);
        int64_t deadline = http_server_io_now_ms() + server->head_timeout_ms;
        if (server->ssl_ctx != NULL && http_server_tls_accept(conn, deadline, &err) < 0)
                conn->is_closing = true;
        for (bool is_first = true; !conn->is_closing; is_first = false)
                http_server_conn_serve_one(conn, is_first);
        if (conn->in.len > 0)
                conn->needs_linger = true; /* pipelined requests after the last answer */
        http_server_io_close(conn);
        cert_free(conn->client_cert);
        conn->client_cert = NULL;
}
