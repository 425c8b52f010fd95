/* src/net/loop_internal.h: struct net_loop, shared by loop.c (epoll, watchers, wake-ups, posted
 * functions) and loop_timer.c (the timer heap). Not an API: other modules use net/loop.h. */
#ifndef SMT_NET_LOOP_INTERNAL_H
#define SMT_NET_LOOP_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>

#include "net/loop.h"

/* Events taken from epoll per iteration. Level-triggered epoll reports what is left next time, so a
 * small batch only means more iterations under load, never a lost event. */
#define NET_LOOP_BATCH_MAX 256

struct net_loop_task {
        net_loop_task_fn fn;
        void *arg;
};

/* A growable array of posted functions. */
struct net_loop_tasks {
        struct net_loop_task *items;
        size_t len;
        size_t cap;
};

struct net_loop {
        int epoll_fd;
        int64_t now_ms;
        bool is_running; /* inside net_loop_run_once: refuses a nested run */

        /* The batch epoll_wait returned and the entry being dispatched. net_loop_unwatch clears a
         * watcher's later entries here, so nothing is called through a stale pointer. */
        struct epoll_event batch[NET_LOOP_BATCH_MAX];
        size_t batch_len;
        size_t batch_next;

        /* Timers: a binary min-heap ordered by (deadline_ms, sequence); see loop_timer.c. */
        struct net_timer **timers;
        size_t timers_len;
        size_t timers_cap;
        uint64_t timers_next_sequence;

        /* Cross-thread: the only fields other threads touch. */
        int wake_fd; /* eventfd, watched by wake_watcher */
        struct net_watcher wake_watcher;
        atomic_bool is_stop_requested;
        pthread_mutex_t posted_lock; /* guards posted */
        struct net_loop_tasks posted;
        struct net_loop_tasks running; /* the loop thread's: what it took from posted */
};

/* net_loop_timers_wait_ms is how long epoll may wait before the next timer is due: -1 for no timer. */
int net_loop_timers_wait_ms(const struct net_loop *loop);

/* net_loop_timers_run calls every timer due at loop->now_ms that was started before this call. */
void net_loop_timers_run(struct net_loop *loop);

/* net_loop_timers_cleanup frees the heap (not the timers, which are the caller's). */
void net_loop_timers_cleanup(struct net_loop *loop);

#endif
