/* src/http/server_internal.h: what the files behind http/server.h share: the server, one connection's
 * state (a worker thread reuses one for every connection it serves) and the deadline-bounded socket and
 * TLS operations. Not an API: only src/http/server*.c include it. */
#ifndef SMT_HTTP_SERVER_INTERNAL_H
#define SMT_HTTP_SERVER_INTERNAL_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "crypto/cert.h"
#include "http/parser.h"
#include "http/server.h"

/* Bytes received and not yet parsed: a whole head (limits.max_head_len, 32 KiB) and what follows it. */
#define HTTP_SERVER_IN_MAX (64 * 1024)
/* The largest response body a handler may build (a CRL of a big CA fits). */
#define HTTP_SERVER_RESPONSE_MAX (64 * 1024 * 1024)
/* How long a closing connection keeps reading (and dropping) what the client still sends, so that the
 * kernel does not answer those bytes with a reset that destroys our last response in flight. */
#define HTTP_SERVER_LINGER_MS 1000

struct http_server {
        http_server_handler *handler;
        void *context;
        int threads;
        size_t max_body;
        int head_timeout_ms, body_timeout_ms, idle_timeout_ms, write_timeout_ms;
        char *server_header; /* a copy, NULL = none */
        struct http_limits limits;
        int listen_fd;
        int wake_fd; /* an eventfd written once by stop: readable from then on, it wakes every poll */
        uint16_t port;
        SSL_CTX *ssl_ctx;                /* NULL: plain HTTP */
        struct cert_store *client_store; /* NULL: client certificates not asked for */
        atomic_bool is_stopping;
        pthread_mutex_t accept_lock; /* one idle worker at a time waits on listen_fd (see server.c) */
        pthread_t *workers;
        int num_workers; /* started */
};

/* One connection being served, and the buffers its requests use. */
struct http_server_conn {
        struct http_server *server;
        int fd;
        SSL *ssl; /* NULL on plain HTTP */
        char remote_addr[INET6_ADDRSTRLEN];
        struct cert *client_cert; /* verified at the handshake, NULL when none */
        struct buf_writer in;     /* fixed, HTTP_SERVER_IN_MAX: received bytes not consumed yet */
        uint8_t *in_mem;
        struct buf_writer strings; /* fixed: NUL-terminated copies of the current request head's parts */
        uint8_t *strings_mem;
        size_t strings_cap;
        struct http_server_field fields[HTTP_FIELDS_MAX];
        struct buf_writer body; /* heap, at most max_body: the de-chunked request body */
        struct buf_writer out;  /* heap: the response being written */
        struct http_head head;
        struct http_server_request request;
        struct http_server_response response;
        bool is_head_request;
        bool is_closing;   /* no further request on this connection */
        bool needs_linger; /* unread request bytes may follow: read them away before closing */
        bool is_http_1_0_keep_alive;
};

/* What a bounded wait or read ended with, besides bytes. */
enum http_server_wait {
        HTTP_SERVER_READY = 1, /* the descriptor is ready */
        HTTP_SERVER_TIMEOUT,   /* the deadline passed */
        HTTP_SERVER_STOPPED,   /* stop was called (only when the wait watched for it) */
};

/* --- server_io.c: deadlines are CLOCK_MONOTONIC milliseconds --- */

int64_t http_server_io_now_ms(void);

/* http_server_io_wait polls conn's socket for events until deadline (and the wake descriptor when
 * watch_stop): READY, TIMEOUT, STOPPED, or SMT_EIO. */
int http_server_io_wait(struct http_server_conn *conn, short events, int64_t deadline, bool watch_stop,
                        struct err *err);

/* http_server_io_read appends what arrives to conn->in (which must have room): the byte count (> 0), 0 when
 * the peer closed (or, with watch_stop, stop was called before a byte came), SMT_EAGAIN at the deadline,
 * SMT_EIO on a failed connection. */
int http_server_io_read(struct http_server_conn *conn, int64_t deadline, bool watch_stop, struct err *err);

/* http_server_io_write sends len bytes whole before deadline: 0, SMT_EAGAIN at the deadline, SMT_EIO. */
int http_server_io_write(struct http_server_conn *conn, const uint8_t *data, size_t len, int64_t deadline,
                         struct err *err);

/* http_server_io_close ends the connection: TLS close_notify, and when conn->needs_linger the lingering
 * read described at HTTP_SERVER_LINGER_MS; then the socket is closed. */
void http_server_io_close(struct http_server_conn *conn);

/* --- server_tls.c --- */

/* http_server_tls_init builds server->ssl_ctx (and client_store) from config's files. */
int http_server_tls_init(struct http_server *server, const struct http_server_config *config, struct err *err);

/* http_server_tls_cleanup frees what http_server_tls_init made. */
void http_server_tls_cleanup(struct http_server *server);

/* http_server_tls_accept runs the handshake on conn->fd before deadline and sets conn->client_cert when
 * the client's certificate verifies against the client CAs. */
int http_server_tls_accept(struct http_server_conn *conn, int64_t deadline, struct err *err);

/* --- server_conn.c --- */

/* http_server_conn_init / _cleanup: a worker's connection state, reused for each connection. */
int http_server_conn_init(struct http_server_conn *conn, struct http_server *server, struct err *err);
void http_server_conn_cleanup(struct http_server_conn *conn);

/* http_server_conn_serve serves the accepted fd to its end and closes it. */
void http_server_conn_serve(struct http_server_conn *conn, int fd);

/* --- server_response.c --- */

/* http_server_response_reset prepares conn->response for the handler. */
void http_server_response_reset(struct http_server_conn *conn);

/* http_server_response_send writes conn->response (or a 500 when the handler left no valid status). */
int http_server_response_send(struct http_server_conn *conn, struct err *err);

/* http_server_response_send_error answers status with a plain text detail and Connection: close; the
 * connection then closes, reading away what the client still sends. */
void http_server_response_send_error(struct http_server_conn *conn, int status, const char *detail);

/* http_server_response_send_continue writes the interim "100 Continue" (RFC 9110 §10.1.1). */
int http_server_response_send_continue(struct http_server_conn *conn, struct err *err);

#endif
