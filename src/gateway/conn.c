/* src/gateway/conn.c: a client connection from accept to close: sniffing the first bytes, the TLCP or
 * TLS handshake, waiting for request heads, timeouts, and closing without losing the last response.
 * The proxying of one request is in conn_proxy.c. */
#include "gateway/worker.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "net/hello_sni.h"
#include "net/sniff.h"

/* After our last response, the client's late bytes are read and dropped this long before closing, so
 * the kernel does not answer them with a reset that could destroy the response in flight (nginx's
 * lingering close). */
#define GW_CONN_LINGER_MS 2000

int64_t gw_now_us(void)
{
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        return (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
}

static void gw_conn_timer_expired(struct net_loop *loop, struct net_timer *timer, void *arg);
static void gw_conn_ready_cb(struct net_loop *loop, struct net_watcher *watcher, unsigned events, void *arg);

static void gw_conn_arm(struct gw_conn *conn, int64_t ms)
{
        struct err err;
        if (net_loop_timer_start(conn->worker->loop, &conn->timer, ms, gw_conn_timer_expired, conn, &err) < 0)
                log_error("timer: %s", err.msg);
}

void gw_conn_close(struct gw_conn *conn)
{
        struct gw_worker *worker = conn->worker;
        if (conn->is_dead)
                return;
        conn->is_dead = true;
        gw_origin_done(conn, true); /* a client that left is not the server's failure */
        if (conn->state == GW_CONN_TUNNEL && conn->is_raw) {
                /* A tcp or passthrough connection is logged once, at its end, with the bytes of both ways. */
                conn->log.body_bytes_sent = conn->client.bytes_sent;
                conn->log.request_bytes = conn->client.bytes_received;
                gw_conn_request_done(conn);
        }
        if (conn->state == GW_CONN_PROXY) {
                /* A request cut short still gets its log line: with the status already sent, or nginx's
                 * 499 when the client went away before any answer. */
                if (!conn->is_resp_head_done)
                        conn->status = 499;
                gw_conn_request_done(conn);
        }
        net_loop_timer_stop(worker->loop, &conn->timer);
        if (conn->origin != NULL) {
                conn->origin->owner = NULL;
                conn->origin->generation = 0;
                gw_origin_close(conn->origin);
                conn->origin = NULL;
        }
        gw_io_cleanup(&conn->client, worker->loop);
        buf_writer_cleanup(&conn->cin);
        buf_writer_cleanup(&conn->oin);
        buf_writer_cleanup(&conn->oout);
        buf_writer_cleanup(&conn->replay);
        buf_writer_cleanup(&conn->stage);
        free(conn->req);
        free(conn->resp);
        if (conn->prev != NULL)
                conn->prev->next = conn->next;
        else
                worker->conns = conn->next;
        if (conn->next != NULL)
                conn->next->prev = conn->prev;
        gw_metrics_connection_closed(worker->metrics);
        atomic_fetch_sub(&worker->shared->num_connections, 1);
        gw_runtime_unref(conn->rt);
        conn->rt = NULL;
        if (conn->pump_depth == 0)
                free(conn); /* else the pump that is running frees it when it returns */
}

void gw_conn_accept(struct gw_worker *worker, struct gw_listener *listener, int fd, const char *peer)
{
        struct gw_conn *conn = calloc(1, sizeof *conn);
        if (conn == NULL) {
                close(fd);
                return;
        }
        conn->worker = worker;
        conn->rt = worker->rt;
        gw_runtime_ref(conn->rt);
        conn->listener = listener;
        gw_io_init(&conn->client, fd, gw_conn_ready_cb, conn);
        snprintf(conn->client_ip, sizeof conn->client_ip, "%s", peer);
        char *colon = strrchr(conn->client_ip, ':'); /* "ip:port" / "[v6]:port" -> the address alone */
        if (colon != NULL)
                *colon = '\0';
        if (conn->client_ip[0] == '[') {
                memmove(conn->client_ip, conn->client_ip + 1, strlen(conn->client_ip));
                conn->client_ip[strcspn(conn->client_ip, "]")] = '\0';
        }
        if (inet_pton(AF_INET, conn->client_ip, conn->client_addr) == 1)
                conn->client_addr_len = 4;
        else if (inet_pton(AF_INET6, conn->client_ip, conn->client_addr) == 1)
                conn->client_addr_len = 16;
        buf_writer_init_heap(&conn->cin, (size_t)conn->rt->config.limits.max_head_size + GW_CONN_HIGH_WATER);
        buf_writer_init_heap(&conn->oin, (size_t)conn->rt->config.limits.max_head_size + GW_CONN_HIGH_WATER);
        buf_writer_init_heap(&conn->oout, (size_t)64 << 20);
        buf_writer_init_heap(&conn->replay, (size_t)conn->rt->config.limits.max_head_size * 2 + 4096);
        buf_writer_init_heap(&conn->stage, (size_t)conn->rt->config.limits.max_head_size * 2 + 2 * GW_CONN_HIGH_WATER);
        conn->next = worker->conns;
        if (worker->conns != NULL)
                worker->conns->prev = conn;
        worker->conns = conn;
        gw_metrics_connection_opened(worker->metrics);
        atomic_fetch_add(&worker->shared->num_connections, 1);
        if (listener->kind == GW_LISTENER_HTTPS || listener->kind == GW_LISTENER_TCP ||
            listener->kind == GW_LISTENER_PASSTHROUGH) {
                conn->state = GW_CONN_SNIFF;
                gw_conn_arm(conn, conn->rt->config.timeouts.handshake_ms);
        } else {
                conn->state = GW_CONN_HEAD;
                conn->protocol = "HTTP";
                conn->metrics_protocol = GW_METRICS_HTTP;
                gw_conn_arm(conn, conn->rt->config.timeouts.header_ms);
        }
        gw_conn_pump(conn);
}

/* gw_conn_plain_on_https answers a plain HTTP request sent to the https port (a user typing http://host:443)
 * with a 400 page in clear text, as nginx does, instead of a silent close. */
static void gw_conn_plain_on_https(struct gw_conn *conn)
{
        conn->state = GW_CONN_HEAD; /* so the page is written in clear */
        conn->protocol = "HTTP";
        conn->metrics_protocol = GW_METRICS_HTTP;
        gw_conn_fail(conn, 400, "This port speaks HTTPS (TLS or TLCP): use an https:// address.");
}

/* gw_conn_sniff reads the client's first bytes into raw_in (consumed, not peeked: a client that sends one
 * byte and waits must not keep a level-triggered socket readable) until they tell TLCP, TLS and HTTP apart;
 * the chosen secure layer then takes them from raw_in before anything else. */
/* gw_conn_sniff_passthrough reads the client's first record until its ClientHello names a site, then
 * hands the connection, bytes read included, to that site's servers untouched. */
static void gw_conn_sniff_passthrough(struct gw_conn *conn)
{
        struct gw_io *io = &conn->client;
        uint8_t chunk[4096];
        ssize_t n = recv(io->fd, chunk, sizeof chunk, 0);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
                return;
        if (n <= 0 || buf_write_bytes(&conn->cin, chunk, (size_t)n) < 0) {
                gw_conn_close(conn);
                return;
        }
        char name[NET_HELLO_SNI_MAX + 1];
        size_t need;
        struct err err;
        int status = net_hello_sni(conn->cin.data, conn->cin.len, name, &need, &err);
        if (status == SMT_EAGAIN)
                return;
        const struct gw_site *site = status == 0 ? gw_sites_lookup(conn->rt->sites, name) : NULL;
        if (site == NULL) {
                log_debug("%s: passthrough: %s", conn->client_ip, status == 0 ? "no site for this name" : err.msg);
                gw_metrics_handshake_failed(conn->worker->metrics);
                gw_conn_close(conn);
                return;
        }
        conn->protocol = "passthrough";
        gw_conn_start_raw(conn, site);
}

static void gw_conn_sniff(struct gw_conn *conn)
{
        struct gw_io *io = &conn->client;
        if (conn->listener->kind == GW_LISTENER_PASSTHROUGH) {
                gw_conn_sniff_passthrough(conn);
                return;
        }
        uint8_t first[NET_SNIFF_METHOD_MAX];
        size_t have = io->raw_in.len;
        ssize_t n = recv(io->fd, first, sizeof first - have, 0);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
                return;
        if (n <= 0 || buf_write_bytes(&io->raw_in, first, (size_t)n) < 0) {
                gw_conn_close(conn);
                return;
        }
        enum net_sniff_kind kind = net_sniff_classify(io->raw_in.data, io->raw_in.len);
        if (kind == NET_SNIFF_NEED_MORE && io->raw_in.len < sizeof first)
                return;
        if (kind == NET_SNIFF_HTTP) {
                gw_conn_plain_on_https(conn);
                return;
        }
        struct err err;
        const struct tlcp_config *tlcp = conn->listener->tlcp ? &conn->rt->tlcp : NULL;
        const struct net_tls_config *tls = conn->listener->tls ? &conn->rt->tls : NULL;
        if (net_secure_stream_new_for_client_hello(&io->secure, io->raw_in.data, io->raw_in.len, tlcp, tls, &err) < 0) {
                gw_metrics_handshake_failed(conn->worker->metrics);
                gw_conn_close(conn);
                return;
        }
        io->kind = GW_IO_SECURE_SERVER;
        conn->state = GW_CONN_HANDSHAKE;
}

static void gw_conn_handshake(struct gw_conn *conn)
{
        struct err err;
        int status = gw_io_handshake(&conn->client, &err);
        if (status == SMT_EAGAIN)
                return;
        if (status < 0) {
                gw_metrics_handshake_failed(conn->worker->metrics);
                log_debug("%s: handshake failed: %s", conn->client_ip, err.msg);
                conn->state = GW_CONN_DRAIN;
                conn->is_closing = true;
                gw_conn_arm(conn, GW_CONN_LINGER_MS);
                return;
        }
        struct net_secure_stream *s = conn->client.secure;
        conn->protocol = net_secure_stream_get_protocol(s);
        conn->cipher = net_secure_stream_get_cipher(s);
        conn->cert_alg = net_secure_stream_get_certificate_alg(s);
        conn->tls_site = gw_sites_lookup(conn->rt->sites, net_secure_stream_get_server_name(s));
        conn->metrics_protocol = net_secure_stream_get_kind(s) == NET_SECURE_STREAM_TLCP ? GW_METRICS_TLCP
                                 : strcmp(conn->protocol, "TLSv1.3") == 0               ? GW_METRICS_TLS13
                                                                                        : GW_METRICS_TLS12;
        gw_metrics_handshake_done(conn->worker->metrics, conn->metrics_protocol, net_secure_stream_is_resumed(s));
        if (net_secure_stream_is_acme(s)) {
                /* tls-alpn-01 (RFC 8737 3): the handshake was the whole validation; no request follows. */
                log_debug("%s: tls-alpn-01 validation handshake for %s", conn->client_ip,
                          net_secure_stream_get_server_name(s));
                conn->state = GW_CONN_DRAIN;
                conn->is_closing = true;
                gw_conn_arm(conn, GW_CONN_LINGER_MS);
                return;
        }
        if (conn->listener->kind == GW_LISTENER_TCP) {
                if (conn->tls_site == NULL)
                        gw_conn_close(conn);
                else
                        gw_conn_start_raw(conn, conn->tls_site);
                return;
        }
        conn->state = GW_CONN_HEAD;
        gw_conn_arm(conn, conn->rt->config.timeouts.header_ms);
}

/* gw_conn_head waits for a whole request head, then starts proxying it. */
static void gw_conn_head(struct gw_conn *conn)
{
        struct err err;
        if (conn->worker->is_stopping && conn->cin.len == 0) {
                gw_conn_close(conn);
                return;
        }
        if (!conn->is_parsing_request) {
                if (http_parser_init_request(&conn->parser, &conn->rt->limits, &err) < 0) {
                        gw_conn_close(conn);
                        return;
                }
                conn->is_parsing_request = true;
        }
        for (;;) {
                if (conn->cin.len > 0) {
                        if (conn->req == NULL && (conn->req = malloc(sizeof *conn->req)) == NULL) {
                                gw_conn_close(conn);
                                return;
                        }
                        int status = http_parser_parse(&conn->parser, conn->req, conn->cin.data, conn->cin.len, &err);
                        if (status == 0) {
                                conn->is_parsing_request = false; /* the parser goes on to the response */
                                gw_conn_start_request(conn);
                                return;
                        }
                        if (status != SMT_EAGAIN) {
                                conn->is_parsing_request = false;
                                gw_conn_fail(conn, status == HTTP_ETOO_LARGE         ? 431
                                                   : status == HTTP_ETARGET_TOO_LONG ? 414
                                                   : status == HTTP_EUNSUPPORTED     ? 501
                                                   : status == HTTP_EVERSION         ? 505
                                                   : status == HTTP_EEXPECTATION     ? 417
                                                                                     : 400,
                                             err.msg);
                                return;
                        }
                }
                size_t before = conn->cin.len;
                int status = gw_io_receive(&conn->client, &conn->cin, conn->rt->limits.max_head_len + 1, &err);
                if (status < 0 && status != SMT_EAGAIN) {
                        gw_conn_close(conn);
                        return;
                }
                if (conn->cin.len == before) {
                        if (conn->client.is_eof)
                                gw_conn_close(conn); /* the client went away between or inside a head */
                        return;
                }
                if (before == 0)
                        gw_conn_arm(conn, conn->rt->config.timeouts.header_ms); /* a head began */
        }
}

/* gw_conn_drain flushes the last response, half-closes and reads until the client closes or the linger
 * time is over. */
static void gw_conn_drain(struct gw_conn *conn)
{
        struct err err;
        int status = gw_io_flush(&conn->client, &err);
        if (status < 0 && status != SMT_EAGAIN) {
                gw_conn_close(conn);
                return;
        }
        if (status == SMT_EAGAIN)
                return;
        if (!conn->client.is_write_closed) {
                gw_io_close_write(&conn->client);
                if (conn->client.is_write_closed)
                        gw_conn_arm(conn, GW_CONN_LINGER_MS);
                return;
        }
        uint8_t sink[4096];
        for (;;) {
                ssize_t n = recv(conn->client.fd, sink, sizeof sink, 0);
                if (n > 0)
                        continue;
                if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                        return;
                gw_conn_close(conn);
                return;
        }
}

static bool gw_conn_wants_client_read(const struct gw_conn *conn)
{
        switch (conn->state) {
        case GW_CONN_SNIFF:
        case GW_CONN_HANDSHAKE:
        case GW_CONN_DRAIN:
                return true;
        case GW_CONN_HEAD:
                return conn->cin.len <= conn->rt->limits.max_head_len;
        case GW_CONN_PROXY:
                if (conn->is_req_done) /* watch for a pipelined request or the client leaving, once */
                        return conn->cin.len == 0 && !conn->client.is_eof;
                return conn->cin.len < GW_CONN_HIGH_WATER &&
                       conn->oout.len + (conn->origin != NULL ? gw_io_pending_output(&conn->origin->io) : 0) <
                           GW_CONN_HIGH_WATER;
        case GW_CONN_TUNNEL:
                return !conn->client.is_eof && conn->origin != NULL && conn->origin->is_ready &&
                       gw_io_pending_output(&conn->origin->io) < GW_CONN_HIGH_WATER;
        }
        return false;
}

static bool gw_conn_wants_origin_read(struct gw_conn *conn)
{
        if (conn->origin == NULL || conn->origin->is_connecting)
                return false;
        if (!conn->origin->is_ready)
                return true; /* handshake */
        if (conn->state == GW_CONN_PROXY)
                return !conn->is_resp_done && gw_io_pending_output(&conn->client) < GW_CONN_HIGH_WATER &&
                       conn->oin.len < GW_CONN_HIGH_WATER;
        if (conn->state == GW_CONN_TUNNEL)
                return !conn->origin->io.is_eof && gw_io_pending_output(&conn->client) < GW_CONN_HIGH_WATER;
        return false;
}

/* gw_conn_watch sets both sockets' interest after a pump. */
static void gw_conn_watch(struct gw_conn *conn)
{
        struct err err;
        int status = gw_io_watch(&conn->client, conn->worker->loop, gw_conn_wants_client_read(conn), &err);
        if (status == 0 && conn->origin != NULL) {
                struct gw_io *io = &conn->origin->io;
                bool want_write = conn->origin->is_connecting;
                status = gw_io_watch(io, conn->worker->loop, gw_conn_wants_origin_read(conn), &err);
                if (status == 0 && want_write)
                        status = net_loop_modify(conn->worker->loop, &io->watcher, io->watcher.interest | NET_LOOP_WRITE,
                                                 &err);
        }
        if (status < 0) {
                log_error("%s: %s", conn->client_ip, err.msg);
                gw_conn_close(conn);
        }
}

/* gw_conn_step runs the current state once. */
static void gw_conn_step(struct gw_conn *conn)
{
        switch (conn->state) {
        case GW_CONN_SNIFF: gw_conn_sniff(conn); break;
        case GW_CONN_HANDSHAKE: gw_conn_handshake(conn); break;
        case GW_CONN_HEAD: gw_conn_head(conn); break;
        case GW_CONN_PROXY: gw_conn_proxy(conn); break;
        case GW_CONN_TUNNEL: gw_conn_tunnel(conn); break;
        case GW_CONN_DRAIN: gw_conn_drain(conn); break;
        }
}

/* gw_conn_flush sends what both sides have queued, whatever the event was: a writable socket is
 * also how a side that was over the high-water mark gets drained. False when a socket failed. */
static bool gw_conn_flush(struct gw_conn *conn)
{
        struct err err;
        int status = gw_io_flush(&conn->client, &err);
        if (status < 0 && status != SMT_EAGAIN)
                return false;
        if (conn->origin != NULL && conn->origin->is_ready) {
                status = gw_io_flush(&conn->origin->io, &err);
                if (status < 0 && status != SMT_EAGAIN && conn->state == GW_CONN_TUNNEL)
                        return false; /* in PROXY the read side reports the failure, with the right answer */
        }
        return true;
}

/* gw_conn_is_blocked says whether either side's queue is at the high-water mark, where the states stop
 * moving bytes toward it. */
static bool gw_conn_is_blocked(struct gw_conn *conn)
{
        size_t to_origin = conn->oout.len + (conn->origin != NULL ? gw_io_pending_output(&conn->origin->io) : 0);
        return gw_io_pending_output(&conn->client) >= GW_CONN_HIGH_WATER || to_origin >= GW_CONN_HIGH_WATER;
}

void gw_conn_pump(struct gw_conn *conn)
{
        conn->pump_depth++;
        if (conn->state != GW_CONN_SNIFF && !gw_conn_flush(conn))
                gw_conn_close(conn);
        /* States hand over to each other within one pump (a head arrives with the handshake's last
         * record, a response ends and the next request is already buffered): run until none changes.
         * A step that stopped at a full queue runs again when the flush emptied it: the bytes it left
         * are already buffered, and no socket event would come for them. */
        for (int rounds = 0; rounds < 64 && !conn->is_dead; rounds++) {
                enum gw_conn_state before = conn->state;
                gw_conn_step(conn);
                if (conn->is_dead)
                        break;
                bool was_blocked = gw_conn_is_blocked(conn);
                if (!gw_conn_flush(conn)) {
                        gw_conn_close(conn);
                        break;
                }
                if (conn->state == before && !(was_blocked && !gw_conn_is_blocked(conn)))
                        break;
        }
        if (!conn->is_dead)
                gw_conn_watch(conn);
        if (--conn->pump_depth == 0 && conn->is_dead)
                free(conn);
}

void gw_conn_close_if_idle(struct gw_conn *conn)
{
        if (conn->state == GW_CONN_HEAD && conn->cin.len == 0)
                gw_conn_close(conn);
}

static void gw_conn_timer_expired(struct net_loop *loop, struct net_timer *timer, void *arg)
{
        (void)loop;
        (void)timer;
        struct gw_conn *conn = arg;
        conn->pump_depth++;
        if (conn->state == GW_CONN_HEAD && conn->cin.len > 0)
                gw_conn_fail(conn, 408, "The request head did not arrive in time.");
        else if (conn->state == GW_CONN_PROXY)
                gw_conn_origin_timeout(conn);
        else
                gw_conn_close(conn); /* handshake, keep-alive idle, tunnel idle, linger: just close */
        if (!conn->is_dead)
                gw_conn_pump(conn);
        if (--conn->pump_depth == 0 && conn->is_dead)
                free(conn);
}

static void gw_conn_ready_cb(struct net_loop *loop, struct net_watcher *watcher, unsigned events, void *arg)
{
        (void)loop;
        (void)watcher;
        struct gw_conn *conn = arg;
        /* ERROR or HANGUP on a client socket means a reset (or both directions closed, after our last
         * response): nothing more can be sent, and the level-triggered loop would report it forever. */
        if ((events & (NET_LOOP_ERROR | NET_LOOP_HANGUP)) != 0) {
                gw_conn_close(conn);
                return;
        }
        gw_conn_pump(conn);
}
