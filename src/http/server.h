/* src/http/server.h: a small threaded HTTP/1.1 server (plain or TLS) for request/response services: the
 * CA's ACME server and API, later OCSP, CRL and TSA. Not the gateway's proxy core: a handler gets one whole
 * request (head and body, bounded) and fills one whole response.
 *
 * Model: one listening socket, a fixed pool of threads; each thread accepts a connection and serves it to
 * the end (keep-alive, one request at a time), so a handler may block (database, signing, outbound
 * validation). Timeouts bound every wait: the TLS handshake and a request head (head_timeout), a body
 * (body_timeout), an idle keep-alive connection (idle_timeout), a response write (write_timeout); a slow or
 * silent client therefore holds a thread for at most those times. Requests are parsed by http/parser.h
 * (strict: smuggling vectors get 400 and a close); bodies may be Content-Length or chunked, at most
 * max_body bytes (413 otherwise). Every response carries Content-Length; HEAD gets the head only.
 * Errors the server itself answers (400, 408, 413, 414, 431, 501, 505) are plain text with Connection: close.
 *
 * TLS (OpenSSL, TLS 1.2 and 1.3): a certificate chain and key; optionally client certificates requested
 * and checked against client_ca_file (a request then carries the verified leaf; a client without one, or
 * with one that does not verify, still gets through with client_cert NULL: the handler decides, so one
 * listener serves ACME to anybody and the API only to holders of an admin certificate). */
#ifndef SMT_HTTP_SERVER_H
#define SMT_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "crypto/cert.h"

#define HTTP_SERVER_HEADERS_MAX 32 /* response fields a handler may add */

struct http_server_field {
        const char *name;
        const char *value;
};

/* One request, valid during the handler call only. */
struct http_server_request {
        const char *method;   /* "GET", "POST", ... (NUL-terminated copies) */
        const char *target;   /* origin-form: path and query, as received */
        const char *path;     /* target without the query, percent-decoding NOT applied */
        const char *query;    /* after '?', "" when none */
        const char *host;     /* the Host field value */
        const struct http_server_field *fields; /* every request field, in order */
        size_t num_fields;
        const uint8_t *body; /* de-chunked; NULL with body_len 0 when none */
        size_t body_len;
        const char *remote_addr;        /* "192.0.2.1" or "2001:db8::1" */
        bool is_tls;
        const struct cert *client_cert; /* a verified client certificate (TLS with client_ca_file), else NULL */
};

/* http_server_request_field returns the first field named name (case-insensitive), or NULL. */
const char *http_server_request_field(const struct http_server_request *request, const char *name);

/* The response a handler fills. status 0 means "no handler answer": the server sends 500. */
struct http_server_response {
        int status;
        struct http_server_field fields[HTTP_SERVER_HEADERS_MAX]; /* names and values copied into store */
        size_t num_fields;
        struct buf_writer body; /* initialised (growable) by the server; the handler appends */
        bool close;             /* close the connection after this response */
        char store[4096];       /* where response_add_field copies names and values */
        size_t store_used;
};

/* http_server_response_add_field adds a field (printf-style value); SMT_ENOSPACE when the table or its
 * storage is full, SMT_EINVAL for CR, LF or NUL in the result. */
int http_server_response_add_field(struct http_server_response *response, const char *name, const char *fmt, ...)
        SMT_PRINTF(3, 4) SMT_MUST_USE;

/* http_server_date writes t (UTC seconds) as an IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110
 * 5.6.7), for Last-Modified, Expires and Date fields. */
#define HTTP_SERVER_DATE_LEN 32
void http_server_date(char out[HTTP_SERVER_DATE_LEN], int64_t t);

/* http_server_handler serves one request; it is called from several threads at once. */
typedef void http_server_handler(void *context, const struct http_server_request *request,
                                 struct http_server_response *response);

struct http_server_config {
        const char *listen; /* "host:port", "[v6]:port", ":port"; port 0 picks a free one (tests) */
        int threads;        /* connections served at once (default 32) */
        size_t max_body;    /* default 64 KiB */
        int head_timeout_ms, body_timeout_ms, idle_timeout_ms, write_timeout_ms; /* 0 = 10 s, 30 s, 30 s, 30 s */
        const char *tls_cert_file;  /* NULL = plain HTTP; PEM, leaf first then intermediates */
        const char *tls_key_file;   /* 0600 */
        const char *client_ca_file; /* NULL = client certificates not asked for */
        const char *server_header;  /* "Server" field value, NULL = none */
};

struct http_server;

/* http_server_start binds, listens and starts the threads; when it returns 0 the server accepts. */
int http_server_start(struct http_server **out, const struct http_server_config *config, http_server_handler *handler,
                      void *context, struct err *err) SMT_MUST_USE;

/* http_server_port returns the bound port (the one picked for port 0). */
uint16_t http_server_port(const struct http_server *server);

/* http_server_stop stops accepting, lets each request being handled finish (bounded by the timeouts),
 * joins the threads and frees the server (NULL is fine). */
void http_server_stop(struct http_server *server);

#endif
