/* src/gateway/worker.h: a worker thread of the gateway and the connections it owns.
 *
 * Each worker runs its own event loop (net/loop.h) on its own thread and accepts from every listening
 * socket of its current runtime; a connection stays on the worker that accepted it, so nothing about a
 * connection is ever shared between threads. What workers share is read-only (the runtime) or atomic
 * (metrics, the connection count, the access log's descriptor).
 *
 * A client connection (struct gw_conn) is an explicit state machine:
 *   SNIFF -> HANDSHAKE -> HEAD -> PROXY -> HEAD ... (keep-alive) | TUNNEL (WebSocket) | DRAIN -> closed
 * and every event on either of its sockets, or its timer, runs gw_conn_pump, which makes all the progress
 * the buffered bytes allow and then sets both sockets' interest from what is buffered (flow control: a
 * side is read only while the other side's output is under GW_CONN_HIGH_WATER). */
#ifndef SMT_GATEWAY_WORKER_H
#define SMT_GATEWAY_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "gateway/access_log.h"
#include "gateway/io.h"
#include "gateway/metrics.h"
#include "gateway/runtime.h"
#include "http/parser.h"
#include "http/writer.h"
#include "net/loop.h"

/* Bytes buffered toward one side before the other side is no longer read. */
#define GW_CONN_HIGH_WATER (256 * 1024)
/* Servers one request may try: the first and up to 10 retries (upstream.retries). */
#define GW_CONN_TRIES_MAX 11
/* A buffer larger than this is freed when its connection goes idle. */
#define GW_CONN_KEEP_BUFFER (64 * 1024)

/* What all workers share; owned by the server. */
struct gw_shared {
        struct gw_metrics *metrics;
        struct gw_log_file *access_log;
        atomic_long num_connections;
};

struct gw_worker;
struct gw_conn;

/* An origin connection: in use by one client connection, or idle in the worker's pool. */
struct gw_origin_conn {
        struct gw_worker *worker;
        struct gw_io io;
        size_t site_index;
        size_t server;            /* index in its site's servers */
        size_t pool;              /* the worker pool it returns to (gw_runtime_server.pool) */
        uint64_t generation;      /* of the runtime it was made for */
        struct gw_conn *owner;    /* NULL while pooled */
        struct gw_origin_conn *prev, *next; /* pool list */
        struct net_timer idle_timer;
        bool is_connecting;       /* TCP connect in progress */
        bool is_ready;            /* connected and, for https, handshake done */
        bool is_reused;
};

enum gw_conn_state {
        GW_CONN_SNIFF = 1,
        GW_CONN_HANDSHAKE,
        GW_CONN_HEAD,
        GW_CONN_PROXY,
        GW_CONN_TUNNEL,
        GW_CONN_DRAIN,
};

/* What the access log says about the request in flight (copied: the head's bytes move on). */
struct gw_request_log {
        char method[32];
        char target[1024];
        char host[256];
        char user_agent[256];
        int http_minor;
        int64_t start_us;      /* monotonic, request head complete */
        int64_t start_unix_ms; /* wall clock */
        int64_t upstream_start_us;
        int64_t upstream_us;
        int origin_status;
        uint64_t request_bytes;
        uint64_t body_bytes_sent;
};

struct gw_conn {
        struct gw_worker *worker;
        struct gw_runtime *rt; /* the generation it was accepted under (referenced) */
        const struct gw_listener *listener;
        struct gw_io client;
        struct net_timer timer;
        enum gw_conn_state state;
        char client_ip[NET_ADDRESS_TEXT_MAX];
        const struct gw_site *tls_site; /* the site SNI chose for the handshake; NULL on plain listeners */
        const char *protocol;           /* "TLCP", "TLSv1.3", ..., "HTTP" */
        const char *cipher;
        const char *cert_alg;
        enum gw_metrics_protocol metrics_protocol;
        unsigned num_requests;

        struct buf_writer cin;  /* client plaintext not yet used */
        struct buf_writer oin;  /* origin plaintext not yet used */
        struct buf_writer oout; /* plaintext for the origin while it is not ready */
        struct buf_writer replay; /* a body-less request's head, resent once if a reused origin dropped it */
        struct buf_writer stage;  /* scratch for heads and chunk framing sent to the client */
        struct http_parser parser; /* the request head's, then the response's */
        bool is_parsing_request;   /* parser holds a request head's scanning state */
        struct http_head *req;  /* heap; freed while idle */
        struct http_head *resp;
        struct http_parser_body req_body;
        struct http_parser_body resp_body;

        /* the request in flight */
        const struct gw_site *site;
        struct gw_origin_conn *origin;
        size_t server;           /* the server picked for it (index in the site's servers) */
        bool has_pick;           /* the balancer was told started() and not yet finished() */
        size_t tried[GW_CONN_TRIES_MAX]; /* servers that failed this request: excluded from the next pick */
        size_t num_tried;
        unsigned num_attempts;   /* origin connections this request was sent on, less one */
        size_t persisted;        /* the server a persistence cookie names, SIZE_MAX: none */
        bool is_raw;             /* a tcp or passthrough connection: bytes, not HTTP; never pooled */
        uint8_t client_addr[16]; /* the client's address bytes (4 or 16), for ip_hash */
        size_t client_addr_len;
        enum http_writer_framing req_out_framing;
        enum http_writer_framing resp_out_framing;
        bool is_req_done;       /* the whole request went to the origin's queue */
        bool is_resp_head_done; /* the response head was read (and staged for the client) */
        bool has_sent_response; /* a byte of the response left the stage: no retry from here on */
        uint64_t resp_content_length;
        bool is_resp_done;
        bool is_keep_alive;     /* the client may send another request */
        bool is_websocket;
        bool has_retried;
        bool is_closing;        /* the current response ends the connection */
        bool has_last_chunk;    /* the request's "0" chunk went to the origin (trailers follow it) */
        bool has_resp_last_chunk;
        bool is_origin_keep_alive; /* the origin's response allows another request on its connection */
        enum http_framing resp_in_framing;
        int status;             /* sent to the client */
        struct gw_request_log log;

        struct gw_conn *prev, *next; /* the worker's list */
        int pump_depth;              /* gw_conn_pump calls running: closing inside one defers the free */
        bool is_dead;                /* closed; freed when the outermost pump returns */
};

struct gw_listen_watch {
        struct net_watcher watcher;
        struct gw_listener *listener;
        struct gw_worker *worker;
};

struct gw_origin_pool {
        struct gw_origin_conn *head;
        size_t count;
};

struct gw_worker {
        int index;
        pthread_t thread;
        struct net_loop *loop;
        struct gw_shared *shared;
        struct gw_worker_metrics *metrics;
        struct gw_runtime *rt; /* the generation new connections get (referenced) */
        struct gw_listen_watch *watches;
        size_t num_watches;
        struct gw_origin_pool *pools; /* by site index of rt */
        size_t num_pools;
        struct gw_conn *conns;
        bool is_stopping;
        struct net_timer stop_timer;
        struct net_timer check_timer; /* while stopping: has the last connection ended? */
        struct net_timer accept_backoff; /* after EMFILE: stop accepting for a moment */
};

/* --- worker.c --- */
/* gw_worker_start makes the worker's loop and thread, serving rt (a reference is taken). */
int gw_worker_start(struct gw_worker *worker, int index, struct gw_shared *shared, struct gw_runtime *rt,
                    struct err *err) SMT_MUST_USE;
/* gw_worker_switch posts a new runtime to the worker (reference taken here, dropped by the worker later). */
int gw_worker_switch(struct gw_worker *worker, struct gw_runtime *rt, struct err *err) SMT_MUST_USE;
/* gw_worker_stop asks the worker to stop accepting, let its connections finish within shutdown_ms, and
 * end its thread; gw_worker_join waits for it and frees the loop. */
void gw_worker_stop(struct gw_worker *worker);
void gw_worker_join(struct gw_worker *worker);

/* --- conn.c: client connections --- */
void gw_conn_accept(struct gw_worker *worker, struct gw_listener *listener, int fd, const char *peer);
void gw_conn_pump(struct gw_conn *conn);
void gw_conn_close(struct gw_conn *conn);
/* gw_conn_close_if_idle closes a connection waiting between requests (stop and reload drain). */
void gw_conn_close_if_idle(struct gw_conn *conn);
int64_t gw_now_us(void);

/* --- conn_proxy.c: one request through the origin --- */
void gw_conn_start_request(struct gw_conn *conn);
void gw_conn_proxy(struct gw_conn *conn);
void gw_conn_tunnel(struct gw_conn *conn);
/* gw_conn_start_raw begins a tcp or passthrough connection to site's servers: what cin holds goes first. */
void gw_conn_start_raw(struct gw_conn *conn, const struct gw_site *site);
/* gw_conn_fail answers status with the gateway's own page when no response head went out yet (else
 * just closes), then drains and closes the connection. */
void gw_conn_fail(struct gw_conn *conn, int status, const char *detail);
void gw_conn_origin_timeout(struct gw_conn *conn);
/* gw_conn_request_done writes the access log line and counts the request. */
void gw_conn_request_done(struct gw_conn *conn);

/* --- origin.c: origin connections and the per-worker pool --- */
/* gw_origin_get takes a live pooled connection to conn's site origin or starts a new one. */
int gw_origin_get(struct gw_conn *conn, struct gw_origin_conn **out, struct err *err) SMT_MUST_USE;
/* gw_origin_progress advances connect and handshake: 0 ready, SMT_EAGAIN, or a failure. */
int gw_origin_progress(struct gw_origin_conn *origin, struct err *err) SMT_MUST_USE;
/* gw_origin_done tells the site's balancer how the picked server did for this request (once per pick):
 * ok false for a connection that failed, reset or timed out (passive health checks count those). */
void gw_origin_done(struct gw_conn *conn, bool ok);
/* gw_origin_release puts origin back in the pool when reusable, else closes it. */
void gw_origin_release(struct gw_origin_conn *origin, bool is_reusable);
void gw_origin_close(struct gw_origin_conn *origin);
/* gw_origin_pools_reset closes every pooled connection and sizes the pools for the worker's runtime. */
int gw_origin_pools_reset(struct gw_worker *worker, struct err *err) SMT_MUST_USE;

#endif
