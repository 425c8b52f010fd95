/* src/net/loop.h: one thread's event loop: epoll for file descriptors, a timer heap, and a queue other
 * threads post functions to.
 *
 * The gateway runs one loop per worker thread. A loop is used only by the thread that runs it, except
 * net_loop_wake, net_loop_post and net_loop_stop, which any thread may call. Nothing here is global:
 * all state hangs off struct net_loop, so loops on different threads share nothing.
 *
 * Watchers and timers live inside the caller's objects (a connection embeds its struct net_watcher and
 * its struct net_timer), so watching a descriptor or arming a timeout allocates nothing per connection.
 * Callbacks run on the loop's thread, one at a time, and may watch, unwatch, start and stop anything,
 * including the object being called and objects whose events are still pending in the same batch:
 * an unwatched watcher or a stopped timer is never called again, so a callback may free its memory.
 *
 * Typical worker:
 *     net_loop_new(&loop, &err);
 *     net_watcher_init(&conn->watcher, fd, conn_ready, conn);
 *     net_loop_watch(loop, &conn->watcher, NET_LOOP_READ, &err);
 *     net_loop_timer_start(loop, &conn->idle, 60000, conn_idle_expired, conn, &err);
 *     net_loop_run(loop, &err);          until net_loop_stop, from any thread
 *     net_loop_free(loop); */
#ifndef SMT_NET_LOOP_H
#define SMT_NET_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

struct net_loop; /* opaque; one per thread */

/* Interest (what a watcher asks for) and ready events (what its callback gets) share these bits.
 * NET_LOOP_ERROR and NET_LOOP_HANGUP are reported even when not asked for, as epoll does: a callback
 * that gets them must close or unwatch, or the loop will report them again at once. */
enum net_loop_events {
        NET_LOOP_READ = 1,   /* readable: data, a pending accept, or the peer's end of stream */
        NET_LOOP_WRITE = 2,  /* writable: room in the send buffer, or a connect() finished */
        NET_LOOP_ERROR = 4,  /* an error is pending on the descriptor (EPOLLERR) */
        NET_LOOP_HANGUP = 8, /* both directions are closed (EPOLLHUP) */
};

struct net_watcher;
/* net_watcher_fn is called with the ready events, masked by the watcher's current interest. */
typedef void (*net_watcher_fn)(struct net_loop *loop, struct net_watcher *watcher, unsigned events, void *arg);

/* struct net_watcher: a descriptor's registration, embedded in the caller's object. Fields are the
 * loop's; read them, never write them. */
struct net_watcher {
        int fd;
        unsigned interest; /* NET_LOOP_READ | NET_LOOP_WRITE, or 0 (only errors and hang-ups) */
        bool is_watched;
        net_watcher_fn callback;
        void *arg;
};

struct net_timer;
/* net_timer_fn is called once per start, after the timer was taken off the loop (inactive again). */
typedef void (*net_timer_fn)(struct net_loop *loop, struct net_timer *timer, void *arg);

/* struct net_timer: a one-shot timer embedded in the caller's object. A zeroed timer is inactive, so
 * net_loop_timer_stop on it is harmless. Fields are the loop's; read them, never write them. */
struct net_timer {
        int64_t deadline_ms; /* on net_loop_now_ms's clock */
        uint64_t sequence;   /* start order: timers with one deadline fire in the order they were started */
        size_t heap_slot;    /* 0 when inactive, else position in the loop's heap + 1 */
        net_timer_fn callback;
        void *arg;
};

/* net_loop_task_fn is what net_loop_post runs on the loop's thread. */
typedef void (*net_loop_task_fn)(struct net_loop *loop, void *arg);

/* net_loop_new makes a loop (an epoll instance and an eventfd for wake-ups); free with net_loop_free.
 * SMT_EIO names the system call that failed (for example too many open files). */
int net_loop_new(struct net_loop **out, struct err *err) SMT_MUST_USE;

/* net_loop_free closes the loop's descriptors and drops any functions still posted, unrun. It touches
 * no watcher or timer: the caller's descriptors stay open and its objects are its own to free. */
void net_loop_free(struct net_loop *loop);

/* net_loop_run runs iterations until net_loop_stop, then returns 0 (at once if a stop was requested
 * since the last return). Fails only when epoll itself fails (SMT_EIO), or SMT_EINVAL when called from
 * inside one of the loop's own callbacks. */
int net_loop_run(struct net_loop *loop, struct err *err) SMT_MUST_USE;

/* net_loop_run_once runs one iteration: waits at most timeout_ms (< 0: until something happens; the
 * next timer shortens the wait), then calls the ready watchers and the due timers. For tests and for
 * callers that drive the loop themselves; errors as net_loop_run. */
int net_loop_run_once(struct net_loop *loop, int timeout_ms, struct err *err) SMT_MUST_USE;

/* net_loop_stop makes net_loop_run return after the current iteration. Any thread may call it. */
void net_loop_stop(struct net_loop *loop);

/* net_loop_wake makes a waiting loop return from epoll_wait. Any thread may call it. */
void net_loop_wake(struct net_loop *loop);

/* net_loop_post queues fn(loop, arg) to run once on the loop's thread, in posting order per posting
 * thread, and wakes the loop. Any thread may call it. SMT_EINVAL for no fn; SMT_ENOMEM when the queue
 * cannot grow. */
int net_loop_post(struct net_loop *loop, net_loop_task_fn fn, void *arg, struct err *err) SMT_MUST_USE;

/* net_loop_now_ms is the loop's cached CLOCK_MONOTONIC time in milliseconds, read once per iteration
 * (after epoll_wait returns), so every callback of one iteration sees the same "now". */
int64_t net_loop_now_ms(const struct net_loop *loop);

/* net_loop_update_now re-reads the clock, for a caller that spent long enough in a callback that timers
 * it starts now should count from the real time. */
void net_loop_update_now(struct net_loop *loop);

/* net_watcher_init prepares watcher for fd; callback(loop, watcher, events, arg) runs on readiness. */
void net_watcher_init(struct net_watcher *watcher, int fd, net_watcher_fn callback, void *arg);

/* net_loop_watch registers watcher with interest (NET_LOOP_READ and/or NET_LOOP_WRITE, or 0). SMT_EINVAL
 * when it is already watched, has no callback or interest has other bits; SMT_EIO when epoll refuses
 * the descriptor (closed, a regular file, the epoll watch limit). */
int net_loop_watch(struct net_loop *loop, struct net_watcher *watcher, unsigned interest, struct err *err) SMT_MUST_USE;

/* net_loop_modify changes a watched watcher's interest (no system call when it is unchanged). Events
 * already pending in this iteration are masked by the new interest. Errors as net_loop_watch. */
int net_loop_modify(struct net_loop *loop, struct net_watcher *watcher, unsigned interest,
                    struct err *err) SMT_MUST_USE;

/* net_loop_unwatch removes watcher; its callback is never called again, even for events epoll already
 * returned in this iteration. Call it before closing the descriptor. A no-op when not watched. */
void net_loop_unwatch(struct net_loop *loop, struct net_watcher *watcher);

/* net_loop_timer_start arms timer to call callback(loop, timer, arg) once, in the first iteration whose
 * net_loop_now_ms is at least delay_ms past the current one (whole milliseconds; 0: the next iteration).
 * Timers fire in deadline order, equal deadlines in start order. An active timer is re-armed.
 * SMT_EINVAL for a negative delay or no callback; SMT_ENOMEM when the heap cannot grow. */
int net_loop_timer_start(struct net_loop *loop, struct net_timer *timer, int64_t delay_ms, net_timer_fn callback,
                         void *arg, struct err *err) SMT_MUST_USE;

/* net_loop_timer_restart re-arms timer delay_ms from now with the callback of its last start, as an
 * idle timeout does on every read; never allocates when the timer is active. SMT_EINVAL for a timer
 * never started or a negative delay; SMT_ENOMEM as net_loop_timer_start. */
int net_loop_timer_restart(struct net_loop *loop, struct net_timer *timer, int64_t delay_ms,
                           struct err *err) SMT_MUST_USE;

/* net_loop_timer_stop disarms timer (O(log n)); its callback will not run. A no-op when inactive. */
void net_loop_timer_stop(struct net_loop *loop, struct net_timer *timer);

/* net_loop_timer_is_active tells whether timer is armed. */
bool net_loop_timer_is_active(const struct net_timer *timer);

/* net_loop_timer_count is the number of armed timers. */
size_t net_loop_timer_count(const struct net_loop *loop);

#endif
