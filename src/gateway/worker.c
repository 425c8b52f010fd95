/* src/gateway/worker.c: a worker thread: its loop, accepting on the runtime's listeners, runtime
 * switches on reload, and the graceful stop. */
#include "gateway/worker.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "net/socket.h"

/* Connections accepted per listener wake-up, so one busy port cannot starve the others. */
#define GW_WORKER_ACCEPT_BATCH 64
/* After the process ran out of descriptors, accepting pauses this long (the backlog keeps the clients). */
#define GW_WORKER_ACCEPT_BACKOFF_MS 100

static void gw_worker_watch_listeners(struct gw_worker *worker, bool on);

static void gw_worker_accept_resume(struct net_loop *loop, struct net_timer *timer, void *arg)
{
        (void)loop;
        (void)timer;
        gw_worker_watch_listeners(arg, true);
}

static void gw_worker_accept_cb(struct net_loop *loop, struct net_watcher *watcher, unsigned events, void *arg)
{
        (void)events;
        struct gw_listen_watch *lw = arg;
        struct gw_worker *worker = lw->worker;
        for (int i = 0; i < GW_WORKER_ACCEPT_BATCH && !worker->is_stopping; i++) {
                int fd = -1;
                char peer[NET_ADDRESS_TEXT_MAX];
                struct err err;
                int status = net_socket_accept(watcher->fd, &fd, peer, &err);
                if (status == SMT_EAGAIN)
                        return;
                if (status < 0) {
                        /* EMFILE/ENFILE/ENOBUFS: stop for a moment instead of spinning on a ready socket. */
                        log_warning("listener %s: %s", lw->listener->text, err.msg);
                        gw_worker_watch_listeners(worker, false);
                        SMT_IGNORE(net_loop_timer_start(loop, &worker->accept_backoff, GW_WORKER_ACCEPT_BACKOFF_MS,
                                                   gw_worker_accept_resume, worker, &err));
                        return;
                }
                if (atomic_load(&worker->shared->num_connections) >= worker->rt->config.limits.max_connections) {
                        close(fd); /* over the limit: refuse at once rather than hold a client that gets nothing */
                        continue;
                }
                gw_conn_accept(worker, lw->listener, fd, peer);
        }
}

static void gw_worker_watch_listeners(struct gw_worker *worker, bool on)
{
        struct err err;
        for (size_t i = 0; i < worker->num_watches; i++) {
                struct net_watcher *w = &worker->watches[i].watcher;
                if (!on) {
                        net_loop_unwatch(worker->loop, w);
                } else if (!w->is_watched && net_loop_watch(worker->loop, w, NET_LOOP_READ, &err) < 0) {
                        log_error("worker %d: %s", worker->index, err.msg);
                }
        }
}

/* gw_worker_use makes rt the worker's runtime: listeners and pools follow it. */
static int gw_worker_use(struct gw_worker *worker, struct gw_runtime *rt, struct err *err)
{
        gw_worker_watch_listeners(worker, false);
        free(worker->watches);
        worker->watches = NULL;
        worker->num_watches = 0;
        struct gw_runtime *old = worker->rt;
        worker->rt = rt;
        worker->watches = calloc(rt->num_listeners > 0 ? rt->num_listeners : 1, sizeof *worker->watches);
        if (worker->watches == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "out of memory");
        worker->num_watches = rt->num_listeners;
        for (size_t i = 0; i < rt->num_listeners; i++) {
                worker->watches[i].listener = rt->listeners[i];
                worker->watches[i].worker = worker;
                net_watcher_init(&worker->watches[i].watcher, rt->listeners[i]->fd, gw_worker_accept_cb,
                                 &worker->watches[i]);
        }
        if (!worker->is_stopping)
                gw_worker_watch_listeners(worker, true);
        int status = gw_origin_pools_reset(worker, err);
        gw_runtime_unref(old); /* after the old listeners are unwatched */
        return status;
}

struct gw_worker_switch_msg {
        struct gw_worker *worker;
        struct gw_runtime *rt;
};

static void gw_worker_switch_run(struct net_loop *loop, void *arg)
{
        (void)loop;
        struct gw_worker_switch_msg *msg = arg;
        struct err err;
        if (gw_worker_use(msg->worker, msg->rt, &err) < 0)
                log_error("worker %d: %s", msg->worker->index, err.msg);
        free(msg);
}

int gw_worker_switch(struct gw_worker *worker, struct gw_runtime *rt, struct err *err)
{
        struct gw_worker_switch_msg *msg = malloc(sizeof *msg);
        if (msg == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "out of memory");
        gw_runtime_ref(rt);
        msg->worker = worker;
        msg->rt = rt;
        int status = net_loop_post(worker->loop, gw_worker_switch_run, msg, err);
        if (status < 0) {
                gw_runtime_unref(rt);
                free(msg);
        }
        return status;
}

static void gw_worker_stop_expired(struct net_loop *loop, struct net_timer *timer, void *arg)
{
        (void)timer;
        struct gw_worker *worker = arg;
        while (worker->conns != NULL)
                gw_conn_close(worker->conns);
        net_loop_stop(loop);
}

static void gw_worker_check_done(struct net_loop *loop, struct net_timer *timer, void *arg);

static void gw_worker_stop_run(struct net_loop *loop, void *arg)
{
        struct gw_worker *worker = arg;
        struct err err;
        worker->is_stopping = true;
        gw_worker_watch_listeners(worker, false);
        net_loop_timer_stop(loop, &worker->accept_backoff);
        for (struct gw_conn *c = worker->conns, *next; c != NULL; c = next) {
                next = c->next;
                gw_conn_close_if_idle(c);
        }
        if (net_loop_timer_start(loop, &worker->stop_timer, worker->rt->config.timeouts.shutdown_ms,
                                 gw_worker_stop_expired, worker, &err) < 0)
                net_loop_stop(loop);
        gw_worker_check_done(loop, NULL, worker);
}

/* While stopping, a worker checks every 100 ms whether its last connection ended. */
static void gw_worker_check_done(struct net_loop *loop, struct net_timer *timer, void *arg)
{
        (void)timer;
        struct gw_worker *worker = arg;
        struct err err;
        for (struct gw_conn *c = worker->conns, *next; c != NULL; c = next) {
                next = c->next;
                gw_conn_close_if_idle(c);
        }
        if (worker->conns == NULL) {
                net_loop_timer_stop(loop, &worker->stop_timer);
                net_loop_stop(loop);
                return;
        }
        if (net_loop_timer_start(loop, &worker->check_timer, 100, gw_worker_check_done, worker, &err) < 0)
                net_loop_stop(loop);
}

void gw_worker_stop(struct gw_worker *worker)
{
        struct err err;
        if (net_loop_post(worker->loop, gw_worker_stop_run, worker, &err) < 0)
                net_loop_stop(worker->loop);
}

static void *gw_worker_main(void *arg)
{
        struct gw_worker *worker = arg;
        struct err err;
        if (net_loop_run(worker->loop, &err) < 0)
                log_error("worker %d: %s", worker->index, err.msg);
        return NULL;
}

int gw_worker_start(struct gw_worker *worker, int index, struct gw_shared *shared, struct gw_runtime *rt,
                    struct err *err)
{
        memset(worker, 0, sizeof *worker);
        worker->index = index;
        worker->shared = shared;
        worker->metrics = gw_metrics_worker(shared->metrics, index);
        TRY(net_loop_new(&worker->loop, err));
        gw_runtime_ref(rt);
        TRY(gw_worker_use(worker, rt, err));
        int status = pthread_create(&worker->thread, NULL, gw_worker_main, worker);
        if (status != 0)
                return SMT_ERR(err, SMT_EIO, "pthread_create: %s", strerror(status));
        return SMT_OK;
}

void gw_worker_join(struct gw_worker *worker)
{
        if (worker->loop == NULL)
                return;
        pthread_join(worker->thread, NULL);
        while (worker->conns != NULL)
                gw_conn_close(worker->conns);
        gw_worker_watch_listeners(worker, false);
        for (size_t i = 0; i < worker->num_pools; i++)
                while (worker->pools[i].head != NULL)
                        gw_origin_close(worker->pools[i].head);
        free(worker->pools);
        free(worker->watches);
        gw_runtime_unref(worker->rt);
        net_loop_free(worker->loop);
        worker->loop = NULL;
}
