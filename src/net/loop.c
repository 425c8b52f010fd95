/* src/net/loop.c: the epoll loop, watchers, cross-thread wake-ups and posted functions.
 *
 * Level-triggered epoll, without EPOLLET or EPOLLONESHOT. A callback may take only part of what is
 * ready (one request's worth, or as much as the other side's buffer has room for) and the loop reports
 * the rest next iteration; edge-triggered mode would require draining every descriptor to EAGAIN and
 * remembering "ready but not consumed" by hand, where one mistake is a connection that hangs forever.
 * ONESHOT would cost an epoll_ctl per event to re-arm. The price of level-triggered mode is an
 * epoll_ctl when write interest toggles, which net_loop_modify skips when nothing changes.
 *
 * Stale events: epoll_wait returns a batch, and a callback early in it may unwatch (and free) a watcher
 * whose entry comes later. net_loop_unwatch therefore clears that watcher's entries in the rest of the
 * batch (at most NET_LOOP_BATCH_MAX pointer compares, only while dispatching), and dispatch skips cleared
 * entries: no callback through a stale pointer, even when the memory is freed and reused at once. */
#include "net/loop_internal.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

static int64_t net_loop_clock_ms(void)
{
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

int64_t net_loop_now_ms(const struct net_loop *loop)
{
        return loop->now_ms;
}

void net_loop_update_now(struct net_loop *loop)
{
        loop->now_ms = net_loop_clock_ms();
}

static void net_loop_tasks_run(struct net_loop *loop);

/* The eventfd's counter only says "look at the flags and the queue": reading resets it. */
static void net_loop_wake_ready(struct net_loop *loop, struct net_watcher *watcher, unsigned events, void *arg)
{
        (void)events;
        (void)arg;
        uint64_t count;
        while (read(watcher->fd, &count, sizeof count) < 0 && errno == EINTR)
                continue;
        net_loop_tasks_run(loop);
}

static void net_loop_close_fds(struct net_loop *loop)
{
        if (loop->wake_fd >= 0)
                close(loop->wake_fd);
        if (loop->epoll_fd >= 0)
                close(loop->epoll_fd);
}

/* Opens the epoll instance and the wake-up eventfd, watched like any descriptor. */
static int net_loop_open(struct net_loop *loop, struct err *err)
{
        loop->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
        if (loop->epoll_fd < 0)
                return SMT_ERR(err, SMT_EIO, "epoll_create1: %s", strerror(errno));
        loop->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (loop->wake_fd < 0)
                return SMT_ERR(err, SMT_EIO, "eventfd: %s", strerror(errno));
        net_watcher_init(&loop->wake_watcher, loop->wake_fd, net_loop_wake_ready, NULL);
        return net_loop_watch(loop, &loop->wake_watcher, NET_LOOP_READ, err);
}

int net_loop_new(struct net_loop **out, struct err *err)
{
        *out = NULL;
        struct net_loop *loop = calloc(1, sizeof *loop);
        if (loop == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "net_loop_new: out of memory for a loop");
        loop->epoll_fd = -1;
        loop->wake_fd = -1;
        int status = net_loop_open(loop, err);
        if (status < 0) {
                net_loop_close_fds(loop);
                free(loop);
                return status;
        }
        pthread_mutex_init(&loop->posted_lock, NULL);
        atomic_init(&loop->is_stop_requested, false);
        net_loop_update_now(loop);
        *out = loop;
        return SMT_OK;
}

void net_loop_free(struct net_loop *loop)
{
        if (loop == NULL)
                return;
        net_loop_close_fds(loop);
        pthread_mutex_destroy(&loop->posted_lock);
        free(loop->posted.items);
        free(loop->running.items);
        net_loop_timers_cleanup(loop);
        free(loop);
}

/* ---- watchers ---- */

void net_watcher_init(struct net_watcher *watcher, int fd, net_watcher_fn callback, void *arg)
{
        memset(watcher, 0, sizeof *watcher);
        watcher->fd = fd;
        watcher->callback = callback;
        watcher->arg = arg;
}

static uint32_t net_loop_epoll_events(unsigned interest)
{
        return ((interest & NET_LOOP_READ) != 0 ? (uint32_t)EPOLLIN : 0) |
               ((interest & NET_LOOP_WRITE) != 0 ? (uint32_t)EPOLLOUT : 0);
}

static unsigned net_loop_ready_events(uint32_t epoll_events)
{
        return ((epoll_events & (EPOLLIN | EPOLLPRI)) != 0 ? NET_LOOP_READ : 0u) |
               ((epoll_events & EPOLLOUT) != 0 ? NET_LOOP_WRITE : 0u) |
               ((epoll_events & EPOLLERR) != 0 ? NET_LOOP_ERROR : 0u) |
               ((epoll_events & EPOLLHUP) != 0 ? NET_LOOP_HANGUP : 0u);
}

static int net_loop_check_interest(const char *what, const struct net_watcher *watcher, unsigned interest,
                                   struct err *err)
{
        if ((interest & ~(unsigned)(NET_LOOP_READ | NET_LOOP_WRITE)) != 0)
                return SMT_ERR(err, SMT_EINVAL, "%s: fd %d: interest 0x%x has bits other than READ|WRITE", what,
                               watcher->fd, interest);
        return SMT_OK;
}

static int net_loop_control(struct net_loop *loop, int operation, struct net_watcher *watcher, unsigned interest,
                            struct err *err)
{
        struct epoll_event event = {.events = net_loop_epoll_events(interest), .data.ptr = watcher};
        if (epoll_ctl(loop->epoll_fd, operation, watcher->fd, &event) < 0)
                return SMT_ERR(err, SMT_EIO, "epoll_ctl(%s) fd %d: %s", operation == EPOLL_CTL_ADD ? "ADD" : "MOD",
                               watcher->fd, strerror(errno));
        watcher->interest = interest;
        return SMT_OK;
}

int net_loop_watch(struct net_loop *loop, struct net_watcher *watcher, unsigned interest, struct err *err)
{
        TRY(net_loop_check_interest("net_loop_watch", watcher, interest, err));
        if (watcher->is_watched)
                return SMT_ERR(err, SMT_EINVAL, "net_loop_watch: fd %d is already watched", watcher->fd);
        if (watcher->callback == NULL)
                return SMT_ERR(err, SMT_EINVAL, "net_loop_watch: fd %d has no callback", watcher->fd);
        TRY(net_loop_control(loop, EPOLL_CTL_ADD, watcher, interest, err));
        watcher->is_watched = true;
        return SMT_OK;
}

int net_loop_modify(struct net_loop *loop, struct net_watcher *watcher, unsigned interest, struct err *err)
{
        TRY(net_loop_check_interest("net_loop_modify", watcher, interest, err));
        if (!watcher->is_watched)
                return SMT_ERR(err, SMT_EINVAL, "net_loop_modify: fd %d is not watched", watcher->fd);
        if (interest == watcher->interest)
                return SMT_OK;
        return net_loop_control(loop, EPOLL_CTL_MOD, watcher, interest, err);
}

void net_loop_unwatch(struct net_loop *loop, struct net_watcher *watcher)
{
        if (!watcher->is_watched)
                return;
        /* The descriptor may already be closed (EBADF) or gone from the set; either way it is out. */
        (void)epoll_ctl(loop->epoll_fd, EPOLL_CTL_DEL, watcher->fd, NULL);
        watcher->is_watched = false;
        watcher->interest = 0;
        for (size_t i = loop->batch_next; i < loop->batch_len; i++) {
                if (loop->batch[i].data.ptr == watcher)
                        loop->batch[i].data.ptr = NULL;
        }
}

/* ---- one iteration ---- */

static void net_loop_dispatch(struct net_loop *loop, size_t count)
{
        loop->batch_len = count;
        loop->batch_next = 0;
        while (loop->batch_next < loop->batch_len) {
                struct epoll_event *entry = &loop->batch[loop->batch_next++];
                struct net_watcher *watcher = entry->data.ptr;
                if (watcher == NULL)
                        continue; /* unwatched by an earlier callback of this batch */
                unsigned ready =
                    net_loop_ready_events(entry->events) & (watcher->interest | NET_LOOP_ERROR | NET_LOOP_HANGUP);
                if (ready != 0)
                        watcher->callback(loop, watcher, ready, watcher->arg);
        }
        loop->batch_len = 0;
        loop->batch_next = 0;
}

static int net_loop_wait_ms(const struct net_loop *loop, int timeout_ms)
{
        int timers_ms = net_loop_timers_wait_ms(loop);
        if (timers_ms < 0)
                return timeout_ms;
        if (timeout_ms < 0 || timers_ms < timeout_ms)
                return timers_ms;
        return timeout_ms;
}

int net_loop_run_once(struct net_loop *loop, int timeout_ms, struct err *err)
{
        if (loop->is_running)
                return SMT_ERR(err, SMT_EINVAL, "net_loop_run_once: called from inside the loop's own callback");
        int count = epoll_wait(loop->epoll_fd, loop->batch, NET_LOOP_BATCH_MAX, net_loop_wait_ms(loop, timeout_ms));
        if (count < 0 && errno != EINTR)
                return SMT_ERR(err, SMT_EIO, "epoll_wait: %s", strerror(errno));
        loop->is_running = true;
        net_loop_update_now(loop);
        if (count > 0)
                net_loop_dispatch(loop, (size_t)count);
        net_loop_timers_run(loop);
        loop->is_running = false;
        return SMT_OK;
}

int net_loop_run(struct net_loop *loop, struct err *err)
{
        if (loop->is_running)
                return SMT_ERR(err, SMT_EINVAL, "net_loop_run: called from inside the loop's own callback");
        while (!atomic_exchange(&loop->is_stop_requested, false))
                TRY(net_loop_run_once(loop, -1, err));
        return SMT_OK;
}

/* ---- other threads ---- */

void net_loop_wake(struct net_loop *loop)
{
        uint64_t one = 1;
        /* EAGAIN means the counter is saturated: the loop is woken already. */
        while (write(loop->wake_fd, &one, sizeof one) < 0 && errno == EINTR)
                continue;
}

void net_loop_stop(struct net_loop *loop)
{
        atomic_store(&loop->is_stop_requested, true);
        net_loop_wake(loop);
}

static int net_loop_tasks_grow(struct net_loop_tasks *tasks)
{
        size_t cap = tasks->cap == 0 ? 64 : tasks->cap * 2;
        struct net_loop_task *items = reallocarray(tasks->items, cap, sizeof *items);
        if (items == NULL)
                return SMT_ENOMEM;
        tasks->items = items;
        tasks->cap = cap;
        return SMT_OK;
}

int net_loop_post(struct net_loop *loop, net_loop_task_fn fn, void *arg, struct err *err)
{
        if (fn == NULL)
                return SMT_ERR(err, SMT_EINVAL, "net_loop_post: no function");
        pthread_mutex_lock(&loop->posted_lock);
        struct net_loop_tasks *posted = &loop->posted;
        if (posted->len == posted->cap && net_loop_tasks_grow(posted) < 0) {
                size_t len = posted->len;
                pthread_mutex_unlock(&loop->posted_lock);
                return SMT_ERR(err, SMT_ENOMEM, "net_loop_post: out of memory for %zu queued functions", len + 1);
        }
        posted->items[posted->len++] = (struct net_loop_task){.fn = fn, .arg = arg};
        /* Only the first function posted since the loop last took the queue needs a wake-up: the loop
         * takes everything queued when it wakes. */
        bool needs_wake = posted->len == 1;
        pthread_mutex_unlock(&loop->posted_lock);
        if (needs_wake)
                net_loop_wake(loop);
        return SMT_OK;
}

/* Takes the whole queue in one swap, so posting threads wait for the lock only as long as a swap takes,
 * and runs it outside the lock (a function may post again; that one runs on the next wake-up). */
static void net_loop_tasks_run(struct net_loop *loop)
{
        pthread_mutex_lock(&loop->posted_lock);
        struct net_loop_tasks taken = loop->posted;
        loop->posted = loop->running;
        pthread_mutex_unlock(&loop->posted_lock);
        loop->running = (struct net_loop_tasks){0};
        for (size_t i = 0; i < taken.len; i++)
                taken.items[i].fn(loop, taken.items[i].arg);
        taken.len = 0;
        loop->running = taken;
}
