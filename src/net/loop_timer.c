/* src/net/loop_timer.c: the loop's timers, a binary min-heap of pointers to the caller's timers.
 *
 * Why a heap and not a hashed timing wheel: every connection restarts its idle timer on activity, so
 * start, stop and restart must be cheap, and a heap whose entries know their slot does each in O(log n)
 * (about 15 compares for 20,000 timers) with exact ordering and no ticking: the loop sleeps until the
 * earliest deadline and never wakes for an empty slot. A wheel's O(1) would matter only at millions of
 * timers, and it fires at slot granularity, out of order within a slot.
 *
 * Order is (deadline_ms, sequence): equal deadlines fire in start order. A pass fires only timers started
 * before it (sequence below the pass's limit), so a callback that re-arms itself with delay 0 runs once
 * per iteration instead of spinning the pass forever. */
#include "net/loop_internal.h"

#include <limits.h>
#include <stdlib.h>

static bool net_loop_timer_is_before(const struct net_timer *a, const struct net_timer *b)
{
        if (a->deadline_ms != b->deadline_ms)
                return a->deadline_ms < b->deadline_ms;
        return a->sequence < b->sequence;
}

static void net_loop_timers_place(struct net_loop *loop, size_t position, struct net_timer *timer)
{
        loop->timers[position] = timer;
        timer->heap_slot = position + 1;
}

static void net_loop_timers_sift_up(struct net_loop *loop, size_t position)
{
        struct net_timer *timer = loop->timers[position];
        while (position > 0) {
                size_t parent = (position - 1) / 2;
                if (!net_loop_timer_is_before(timer, loop->timers[parent]))
                        break;
                net_loop_timers_place(loop, position, loop->timers[parent]);
                position = parent;
        }
        net_loop_timers_place(loop, position, timer);
}

static void net_loop_timers_sift_down(struct net_loop *loop, size_t position)
{
        struct net_timer *timer = loop->timers[position];
        for (;;) {
                size_t child = 2 * position + 1;
                if (child >= loop->timers_len)
                        break;
                if (child + 1 < loop->timers_len &&
                    net_loop_timer_is_before(loop->timers[child + 1], loop->timers[child]))
                        child++;
                if (!net_loop_timer_is_before(loop->timers[child], timer))
                        break;
                net_loop_timers_place(loop, position, loop->timers[child]);
                position = child;
        }
        net_loop_timers_place(loop, position, timer);
}

/* Moves an active timer to where its (possibly changed) key belongs. */
static void net_loop_timers_fix(struct net_loop *loop, size_t position)
{
        if (position > 0 && net_loop_timer_is_before(loop->timers[position], loop->timers[(position - 1) / 2]))
                net_loop_timers_sift_up(loop, position);
        else
                net_loop_timers_sift_down(loop, position);
}

static void net_loop_timers_remove(struct net_loop *loop, struct net_timer *timer)
{
        size_t position = timer->heap_slot - 1;
        timer->heap_slot = 0;
        struct net_timer *last = loop->timers[--loop->timers_len];
        if (last == timer)
                return;
        net_loop_timers_place(loop, position, last);
        net_loop_timers_fix(loop, position);
}

static int net_loop_timers_insert(struct net_loop *loop, struct net_timer *timer, struct err *err)
{
        if (loop->timers_len == loop->timers_cap) {
                size_t cap = loop->timers_cap == 0 ? 64 : loop->timers_cap * 2;
                struct net_timer **timers = reallocarray(loop->timers, cap, sizeof *timers);
                if (timers == NULL)
                        return SMT_ERR(err, SMT_ENOMEM, "net_loop_timer_start: out of memory for %zu timers", cap);
                loop->timers = timers;
                loop->timers_cap = cap;
        }
        size_t position = loop->timers_len++;
        net_loop_timers_place(loop, position, timer);
        net_loop_timers_sift_up(loop, position);
        return SMT_OK;
}

/* Sets the key, then inserts an inactive timer or moves an active one. */
static int net_loop_timer_arm(struct net_loop *loop, struct net_timer *timer, int64_t delay_ms, struct err *err)
{
        if (delay_ms < 0)
                return SMT_ERR(err, SMT_EINVAL, "net_loop_timer_start: delay %lld ms is negative", (long long)delay_ms);
        if (delay_ms > INT64_MAX - loop->now_ms)
                delay_ms = INT64_MAX - loop->now_ms;
        timer->deadline_ms = loop->now_ms + delay_ms;
        timer->sequence = loop->timers_next_sequence++;
        if (timer->heap_slot == 0)
                return net_loop_timers_insert(loop, timer, err);
        net_loop_timers_fix(loop, timer->heap_slot - 1);
        return SMT_OK;
}

int net_loop_timer_start(struct net_loop *loop, struct net_timer *timer, int64_t delay_ms, net_timer_fn callback,
                         void *arg, struct err *err)
{
        if (callback == NULL)
                return SMT_ERR(err, SMT_EINVAL, "net_loop_timer_start: no callback");
        timer->callback = callback;
        timer->arg = arg;
        return net_loop_timer_arm(loop, timer, delay_ms, err);
}

int net_loop_timer_restart(struct net_loop *loop, struct net_timer *timer, int64_t delay_ms, struct err *err)
{
        if (timer->callback == NULL)
                return SMT_ERR(err, SMT_EINVAL, "net_loop_timer_restart: the timer was never started");
        return net_loop_timer_arm(loop, timer, delay_ms, err);
}

void net_loop_timer_stop(struct net_loop *loop, struct net_timer *timer)
{
        if (timer->heap_slot != 0)
                net_loop_timers_remove(loop, timer);
}

bool net_loop_timer_is_active(const struct net_timer *timer)
{
        return timer->heap_slot != 0;
}

size_t net_loop_timer_count(const struct net_loop *loop)
{
        return loop->timers_len;
}

int net_loop_timers_wait_ms(const struct net_loop *loop)
{
        if (loop->timers_len == 0)
                return -1;
        int64_t left = loop->timers[0]->deadline_ms - loop->now_ms;
        if (left <= 0)
                return 0;
        return left > INT_MAX ? INT_MAX : (int)left;
}

void net_loop_timers_run(struct net_loop *loop)
{
        uint64_t limit = loop->timers_next_sequence;
        while (loop->timers_len > 0) {
                struct net_timer *timer = loop->timers[0];
                if (timer->deadline_ms > loop->now_ms || timer->sequence >= limit)
                        break;
                net_loop_timers_remove(loop, timer);
                timer->callback(loop, timer, timer->arg);
        }
}

void net_loop_timers_cleanup(struct net_loop *loop)
{
        free(loop->timers);
        loop->timers = NULL;
        loop->timers_len = 0;
        loop->timers_cap = 0;
}
