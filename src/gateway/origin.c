/* src/gateway/origin.c: connections to origins, and the idle ones each worker keeps per site.
 *
 * Pooling is per worker (no lock) and per site of the worker's current runtime: a reload empties the
 * pools, since origins or their TLS settings may have changed. A pooled connection is watched for
 * reading: an idle HTTP/1.1 origin sends nothing, so readability means it closed (or misbehaves), and the
 * connection is dropped at once rather than found dead by the next request. */
#include "gateway/worker.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/socket.h"

static void gw_origin_ready_cb(struct net_loop *loop, struct net_watcher *watcher, unsigned events, void *arg);

static void gw_origin_unpool(struct gw_origin_conn *origin)
{
        struct gw_worker *worker = origin->worker;
        struct gw_origin_pool *pool = origin->pool < worker->num_pools ? &worker->pools[origin->pool] : NULL;
        if (pool == NULL || origin->owner != NULL)
                return;
        if (origin->prev != NULL)
                origin->prev->next = origin->next;
        else if (pool->head == origin)
                pool->head = origin->next;
        if (origin->next != NULL)
                origin->next->prev = origin->prev;
        origin->prev = origin->next = NULL;
        pool->count--;
}

void gw_origin_close(struct gw_origin_conn *origin)
{
        if (origin == NULL)
                return;
        if (origin->owner == NULL && origin->generation == origin->worker->rt->generation)
                gw_origin_unpool(origin);
        net_loop_timer_stop(origin->worker->loop, &origin->idle_timer);
        if (origin->is_ready && origin->io.kind == GW_IO_TLS_CLIENT)
                gw_io_close_write(&origin->io);
        gw_io_cleanup(&origin->io, origin->worker->loop);
        free(origin);
}

int gw_origin_pools_reset(struct gw_worker *worker, struct err *err)
{
        for (size_t i = 0; i < worker->num_pools; i++) {
                while (worker->pools[i].head != NULL) {
                        struct gw_origin_conn *origin = worker->pools[i].head;
                        gw_origin_unpool(origin);
                        origin->generation = 0; /* already out of the pool */
                        gw_origin_close(origin);
                }
        }
        free(worker->pools);
        worker->num_pools = worker->rt->num_pools;
        worker->pools = calloc(worker->num_pools > 0 ? worker->num_pools : 1, sizeof *worker->pools);
        if (worker->pools == NULL) {
                worker->num_pools = 0;
                return SMT_ERR(err, SMT_ENOMEM, "out of memory for origin pools");
        }
        return SMT_OK;
}

static void gw_origin_idle_expired(struct net_loop *loop, struct net_timer *timer, void *arg)
{
        (void)loop;
        (void)timer;
        gw_origin_close(arg);
}

/* gw_origin_is_alive tells a pooled connection the origin has not closed: nothing to read, no EOF. */
static bool gw_origin_is_alive(struct gw_origin_conn *origin)
{
        uint8_t byte;
        if (origin->io.raw_in.len > 0 || origin->io.is_eof)
                return false;
        ssize_t n = recv(origin->io.fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
        return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

static struct gw_origin_conn *gw_origin_take_pooled(struct gw_conn *conn, size_t pool_index)
{
        struct gw_worker *worker = conn->worker;
        if (conn->rt != worker->rt || pool_index >= worker->num_pools)
                return NULL;
        struct gw_origin_pool *pool = &worker->pools[pool_index];
        while (pool->head != NULL) {
                struct gw_origin_conn *origin = pool->head;
                gw_origin_unpool(origin);
                net_loop_timer_stop(worker->loop, &origin->idle_timer);
                if (gw_origin_is_alive(origin)) {
                        origin->owner = conn;
                        origin->is_reused = true;
                        return origin;
                }
                origin->generation = 0;
                gw_origin_close(origin);
        }
        return NULL;
}

static int gw_origin_connect(struct gw_conn *conn, size_t server, struct gw_origin_conn **out, struct err *err)
{
        const struct gw_runtime_server *rs = &conn->rt->origins[conn->site->index].servers[server];
        int fd = -1;
        int status = net_socket_connect(&fd, (const struct sockaddr *)&rs->addr, rs->addr_len, err);
        if (status < 0 && status != SMT_EAGAIN)
                return status;
        struct gw_origin_conn *origin = calloc(1, sizeof *origin);
        if (origin == NULL) {
                close(fd);
                return SMT_ERR(err, SMT_ENOMEM, "out of memory");
        }
        origin->worker = conn->worker;
        origin->owner = conn;
        origin->site_index = conn->site->index;
        origin->server = server;
        origin->pool = rs->pool;
        origin->generation = conn->rt->generation;
        origin->is_connecting = status == SMT_EAGAIN;
        gw_io_init(&origin->io, fd, gw_origin_ready_cb, origin);
        /* A passthrough connection carries the client's own TLS: the server gets it on plain TCP. */
        if (rs->tls_ctx != NULL && conn->listener->kind != GW_LISTENER_PASSTHROUGH) {
                origin->io.kind = GW_IO_TLS_CLIENT;
                status = net_tls_client_new(&origin->io.tls, rs->tls_ctx, err);
                if (status < 0) {
                        gw_origin_close(origin);
                        return status;
                }
        }
        *out = origin;
        return SMT_OK;
}

void gw_origin_done(struct gw_conn *conn, bool ok)
{
        struct err err;
        if (!conn->has_pick)
                return;
        conn->has_pick = false;
        int64_t latency = conn->log.upstream_us >= 0 ? conn->log.upstream_us : gw_now_us() - conn->log.upstream_start_us;
        SMT_IGNORE(gw_balancer_finished(conn->rt->origins[conn->site->index].balancer, conn->server, ok, latency,
                                        net_loop_now_ms(conn->worker->loop), &err)); /* only for a bad index */
}

int gw_origin_get(struct gw_conn *conn, struct gw_origin_conn **out, struct err *err)
{
        const struct gw_runtime_origin *ro = &conn->rt->origins[conn->site->index];
        struct gw_balancer_request req = {
                .address = conn->client_addr,
                .address_len = conn->client_addr_len,
                .persisted = conn->persisted,
                .excluded = conn->tried,
                .num_excluded = conn->num_tried,
                .now_ms = net_loop_now_ms(conn->worker->loop),
        };
        size_t server;
        TRY(gw_balancer_pick(ro->balancer, &req, &server, err));
        struct gw_origin_conn *origin = conn->is_raw ? NULL : gw_origin_take_pooled(conn, ro->servers[server].pool);
        if (origin == NULL)
                TRY(gw_origin_connect(conn, server, &origin, err));
        gw_metrics_origin_connection(conn->worker->metrics, origin->is_reused);
        TRY(gw_balancer_started(ro->balancer, server, err));
        conn->server = server;
        conn->has_pick = true;
        *out = origin;
        return SMT_OK;
}

int gw_origin_progress(struct gw_origin_conn *origin, struct err *err)
{
        if (origin->is_ready)
                return SMT_OK;
        if (origin->is_connecting) {
                /* Writable means the connect finished, one way or the other; the pump also runs for the
                 * client's events, so look before asking. */
                struct pollfd pfd = { .fd = origin->io.fd, .events = POLLOUT };
                if (poll(&pfd, 1, 0) == 0)
                        return SMT_EAGAIN;
                TRY(net_socket_connect_result(origin->io.fd, err));
                origin->is_connecting = false;
        }
        TRY(gw_io_handshake(&origin->io, err));
        origin->is_ready = true;
        return SMT_OK;
}

void gw_origin_release(struct gw_origin_conn *origin, bool is_reusable)
{
        struct gw_worker *worker = origin->worker;
        struct err err;
        origin->owner = NULL;
        bool fits = origin->generation == worker->rt->generation && origin->pool < worker->num_pools &&
                    worker->pools[origin->pool].count < (size_t)worker->rt->config.limits.origin_pool_size;
        if (!is_reusable || !fits || !origin->is_ready || worker->is_stopping ||
            gw_io_pending_output(&origin->io) > 0 || origin->io.is_eof) {
                origin->generation = 0; /* not in a pool */
                gw_origin_close(origin);
                return;
        }
        struct gw_origin_pool *pool = &worker->pools[origin->pool];
        origin->is_reused = false;
        origin->next = pool->head;
        origin->prev = NULL;
        if (pool->head != NULL)
                pool->head->prev = origin;
        pool->head = origin;
        pool->count++;
        if (gw_io_watch(&origin->io, worker->loop, true, &err) < 0 ||
            net_loop_timer_start(worker->loop, &origin->idle_timer, worker->rt->config.timeouts.origin_idle_ms,
                                 gw_origin_idle_expired, origin, &err) < 0)
                gw_origin_close(origin);
}

static void gw_origin_ready_cb(struct net_loop *loop, struct net_watcher *watcher, unsigned events, void *arg)
{
        (void)loop;
        (void)watcher;
        struct gw_origin_conn *origin = arg;
        if (origin->owner == NULL) {
                gw_origin_close(origin); /* a pooled origin spoke or closed: either way it is done */
                return;
        }
        if ((events & (NET_LOOP_ERROR | NET_LOOP_HANGUP)) != 0 && (events & NET_LOOP_READ) == 0 && origin->is_ready) {
                /* A reset while we were not reading (the client is slow): the rest of the response is
                 * lost, and the loop would report the hang-up forever. The connect case (not ready) is
                 * the pump's: it reads the socket error and answers 502. */
                gw_conn_close(origin->owner);
                return;
        }
        gw_conn_pump(origin->owner);
}
