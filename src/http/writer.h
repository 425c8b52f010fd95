/* src/http/writer.h: writes HTTP/1.1 messages (RFC 9110, RFC 9112) for a proxy: the request head sent to
 * an origin and the response head sent to a client, each rewritten from a parsed head (http/parser.h),
 * chunked framing, and the gateway's own small responses (error pages, redirects).
 *
 * What a proxy must drop and add (RFC 9110 §7.6): hop-by-hop fields never cross it (Connection and every
 * field it names, Keep-Alive, Proxy-Connection, TE, Transfer-Encoding, Upgrade except for a WebSocket
 * upgrade, Proxy-Authenticate, Proxy-Authorization); the framing is written anew for the next hop.
 * Forwarding facts (X-Forwarded-For, -Proto, -Host and Forwarded, RFC 7239) sent by the client are
 * REPLACED, not appended to: a client can lie in them, and the origin must be able to trust what the
 * gateway says (Caddy's default without trusted proxies). Everything else is copied in order, byte for byte.
 *
 * All writers append to a struct buf_writer and fail with SMT_ENOSPACE when it is full (nothing useful
 * half-written matters: the caller discards the writer's contents and answers 502 or closes). */
#ifndef SMT_HTTP_WRITER_H
#define SMT_HTTP_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "http/parser.h"

/* How the body that follows a written head is framed. */
enum http_writer_framing {
        HTTP_WRITER_NO_BODY = 1, /* no framing fields (and for a response that cannot have a body) */
        HTTP_WRITER_LENGTH,      /* Content-Length: content_length */
        HTTP_WRITER_CHUNKED,     /* Transfer-Encoding: chunked */
        HTTP_WRITER_UNTIL_CLOSE, /* responses only: no framing fields, the connection closes after the body */
};

struct http_request_rewrite {
        enum http_writer_framing framing;
        uint64_t content_length;
        bool forwarded;          /* write the forwarding fields below (else drop the client's ones) */
        const char *client_ip;   /* "192.0.2.7" or "2001:db8::1" (no port, no brackets) */
        const char *proto;       /* "https" or "http" */
        bool is_websocket;       /* keep Upgrade and send Connection: upgrade */
};

/* http_writer_request_head writes req for the origin: "METHOD origin-form-target HTTP/1.1" (an absolute-
 * form target is cut to its path and query, and Host becomes its authority, RFC 9112 §3.2.2), the fields
 * minus hop-by-hop ones and forwarding ones, X-Forwarded-For: client_ip, X-Forwarded-Proto: proto,
 * X-Forwarded-Host: the Host, Forwarded: for=...;host=...;proto=... (IPv6 quoted and bracketed, RFC 7239
 * §6), the framing field and, for a WebSocket upgrade, Connection: upgrade. */
int http_writer_request_head(struct buf_writer *out, const struct http_head *req, const struct http_request_rewrite *rw,
                             struct err *err) SMT_MUST_USE;

struct http_response_rewrite {
        enum http_writer_framing framing;
        uint64_t content_length;
        bool keep_alive;         /* false: Connection: close */
        bool is_websocket;       /* a 101 switching to WebSocket: keep Upgrade, Connection: upgrade */
        const char *hsts;        /* Strict-Transport-Security value to add when the origin sent none; NULL */
        const char *set_cookie;  /* a Set-Cookie value of the gateway's own (session persistence), added
                                  * after the origin's fields (which may set their own); NULL: none */
};

/* http_writer_response_head writes resp for the client as HTTP/1.1: status line (the origin's reason
 * phrase, or the standard one when it sent none), fields minus hop-by-hop ones, the framing field,
 * Connection: close when not keep_alive, and HSTS. A 1xx response (100 Continue) is written as it came,
 * minus hop-by-hop fields. */
int http_writer_response_head(struct buf_writer *out, const struct http_head *resp,
                              const struct http_response_rewrite *rw, struct err *err) SMT_MUST_USE;

/* Chunked framing (RFC 9112 §7.1): http_writer_chunk_size writes "<hex>\r\n" before len bytes of data
 * (len > 0), http_writer_chunk_end the "\r\n" after them; http_writer_last_chunk writes "0\r\n",
 * http_writer_field a trailer (or any) field line, http_writer_end_of_fields the final "\r\n". */
int http_writer_chunk_size(struct buf_writer *out, uint64_t len, struct err *err) SMT_MUST_USE;
int http_writer_chunk_end(struct buf_writer *out, struct err *err) SMT_MUST_USE;
int http_writer_last_chunk(struct buf_writer *out, struct err *err) SMT_MUST_USE;
int http_writer_field(struct buf_writer *out, struct buf_reader name, struct buf_reader value,
                      struct err *err) SMT_MUST_USE;
int http_writer_end_of_fields(struct buf_writer *out, struct err *err) SMT_MUST_USE;

/* http_status_reason returns the standard reason phrase of status (RFC 9110 §15), "" for an unknown one. */
const char *http_status_reason(int status);

/* http_writer_error_page writes a whole response of the gateway's own: the status line, Content-Type
 * text/html; charset=utf-8, Content-Length, Cache-Control: no-store, Connection: close when close is set,
 * and a short HTML page whose title is "<status> <reason>" and whose text is detail (HTML-escaped; it
 * must never carry secrets or internal addresses). head_only: the fields without the body (HEAD). */
int http_writer_error_page(struct buf_writer *out, int status, const char *detail, bool close, bool head_only,
                           struct err *err) SMT_MUST_USE;

/* http_writer_redirect writes a whole 308 Permanent Redirect (301 for GET/HEAD from HTTP/1.0 clients is
 * the caller's choice: status) to "https://" host [":" port when port != 443] target, with a short HTML
 * body, Content-Length, Connection: close when close is set. host must be a valid Host value without a
 * port (the caller strips it); target an origin-form request-target. */
int http_writer_redirect(struct buf_writer *out, int status, struct buf_reader host, unsigned port,
                         struct buf_reader target, bool close, struct err *err) SMT_MUST_USE;

#endif
