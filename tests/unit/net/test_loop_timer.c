/* tests/unit/net/test_loop_timer.c: the loop's timers: 10,000 timers fire once each in deadline order
 * (equal deadlines in start order), stopping and restarting them (active and fired), random operations
 * checked against a model, callbacks that stop and start timers, and how long a 50 ms timer takes.
 *
 * Every expected order is computed here from the delays given (sorted by deadline, then by the order of
 * the starts), never read back from the loop's own fields. */
#include <stdlib.h>
#include <time.h>

#include "check.h"
#include "net/loop.h"

#define NUM_TIMERS 10000

struct fired_log {
        int *order; /* indices in firing order */
        int len;
        int cap;
        bool fired_early;   /* a callback ran before its deadline */
        uint64_t next_rank; /* the test's own count of starts and restarts */
};

struct test_timer {
        struct net_timer timer;
        struct fired_log *log;
        int index;
        int fired;
        int64_t deadline_ms; /* computed by the test */
        uint64_t start_rank; /* log->next_rank when last started or restarted */
};

static void test_timer_fired(struct net_loop *loop, struct net_timer *timer, void *arg)
{
        struct test_timer *t = arg;
        CHECK(timer == &t->timer);
        CHECK(!net_loop_timer_is_active(timer));
        if (net_loop_now_ms(loop) < t->deadline_ms)
                t->log->fired_early = true;
        t->fired++;
        if (t->log->len < t->log->cap)
                t->log->order[t->log->len] = t->index;
        t->log->len++;
}

/* A deterministic generator, so a failure can be replayed. */
static uint32_t next_random(uint32_t *state)
{
        *state = *state * 1664525u + 1013904223u;
        return *state >> 8;
}

static void run_until_idle(struct net_loop *loop)
{
        struct err err = {0};
        for (int guard = 0; net_loop_timer_count(loop) > 0; guard++) {
                CHECK(guard < 100000);
                CHECK_OK(net_loop_run_once(loop, -1, &err), &err);
        }
}

static struct test_timer *timers_alloc(struct fired_log *log)
{
        struct test_timer *timers = calloc(NUM_TIMERS, sizeof *timers);
        CHECK(timers != NULL);
        log->cap = 4 * NUM_TIMERS;
        log->order = calloc((size_t)log->cap, sizeof *log->order);
        CHECK(log->order != NULL);
        for (int i = 0; i < NUM_TIMERS; i++) {
                timers[i].log = log;
                timers[i].index = i;
        }
        return timers;
}

static void timers_free(struct test_timer *timers, struct fired_log *log)
{
        free(timers);
        free(log->order);
}

static void start_timer(struct net_loop *loop, struct test_timer *t, int64_t delay_ms)
{
        struct err err = {0};
        CHECK_OK(net_loop_timer_start(loop, &t->timer, delay_ms, test_timer_fired, t, &err), &err);
        t->deadline_ms = net_loop_now_ms(loop) + delay_ms;
        t->start_rank = t->log->next_rank++;
}

static void restart_timer(struct net_loop *loop, struct test_timer *t, int64_t delay_ms)
{
        struct err err = {0};
        CHECK_OK(net_loop_timer_restart(loop, &t->timer, delay_ms, &err), &err);
        t->deadline_ms = net_loop_now_ms(loop) + delay_ms;
        t->start_rank = t->log->next_rank++;
}

static int compare_expected(const void *a, const void *b, void *arg)
{
        const struct test_timer *timers = arg;
        const struct test_timer *x = &timers[*(const int *)a], *y = &timers[*(const int *)b];
        if (x->deadline_ms != y->deadline_ms)
                return x->deadline_ms < y->deadline_ms ? -1 : 1;
        return x->start_rank < y->start_rank ? -1 : (x->start_rank > y->start_rank ? 1 : 0);
}

/* check_fired_in_order: exactly the timers marked expected fired, once each, sorted by the model. */
static void check_fired_in_order(struct test_timer *timers, const bool *expected, struct fired_log *log)
{
        int *want = calloc(NUM_TIMERS, sizeof *want);
        int want_len = 0;
        CHECK(want != NULL);
        for (int i = 0; i < NUM_TIMERS; i++) {
                CHECK_EQ(timers[i].fired, expected[i] ? 1 : 0);
                if (expected[i])
                        want[want_len++] = i;
        }
        qsort_r(want, (size_t)want_len, sizeof *want, compare_expected, timers);
        CHECK_EQ(log->len, want_len);
        for (int i = 0; i < want_len; i++)
                CHECK_EQ(log->order[i], want[i]);
        CHECK(!log->fired_early);
        free(want);
}

static void log_reset(struct test_timer *timers, struct fired_log *log)
{
        log->len = 0;
        for (int i = 0; i < NUM_TIMERS; i++)
                timers[i].fired = 0;
}

/* Delays 0..199 ms: about 50 timers share each millisecond, so ties are common. */
static void test_ten_thousand_fire_in_order(void)
{
        struct net_loop *loop;
        struct err err = {0};
        struct fired_log log = {0};
        struct test_timer *timers = timers_alloc(&log);
        bool *expected = calloc(NUM_TIMERS, sizeof *expected);
        uint32_t random = 1;
        CHECK_OK(net_loop_new(&loop, &err), &err);
        for (int i = 0; i < NUM_TIMERS; i++) {
                start_timer(loop, &timers[i], next_random(&random) % 200);
                expected[i] = true;
        }
        CHECK_EQ(net_loop_timer_count(loop), NUM_TIMERS);
        run_until_idle(loop);
        check_fired_in_order(timers, expected, &log);
        net_loop_free(loop);
        timers_free(timers, &log);
        free(expected);
}

/* Stop the odd half (in a scattered order, so removal comes from the heap's middle), move a quarter of
 * the rest earlier or later while armed, fire; then restart the stopped ones and some fired ones. */
static void test_stop_half_and_restart(void)
{
        struct net_loop *loop;
        struct err err = {0};
        struct fired_log log = {0};
        struct test_timer *timers = timers_alloc(&log);
        bool *expected = calloc(NUM_TIMERS, sizeof *expected);
        uint32_t random = 7;
        CHECK_OK(net_loop_new(&loop, &err), &err);
        for (int i = 0; i < NUM_TIMERS; i++)
                start_timer(loop, &timers[i], next_random(&random) % 100);
        for (int k = 0; k < NUM_TIMERS / 2; k++) {
                int i = (int)(((uint64_t)k * 7919) % (NUM_TIMERS / 2)) * 2 + 1; /* every odd index once */
                CHECK(net_loop_timer_is_active(&timers[i].timer));
                net_loop_timer_stop(loop, &timers[i].timer);
                CHECK(!net_loop_timer_is_active(&timers[i].timer));
                net_loop_timer_stop(loop, &timers[i].timer); /* again: nothing */
        }
        CHECK_EQ(net_loop_timer_count(loop), NUM_TIMERS / 2);
        for (int i = 0; i < NUM_TIMERS; i += 2) {
                expected[i] = true;
                if (i % 8 == 0)
                        restart_timer(loop, &timers[i], next_random(&random) % 100);
        }
        run_until_idle(loop);
        check_fired_in_order(timers, expected, &log);

        log_reset(timers, &log);
        net_loop_update_now(loop);
        for (int i = 0; i < NUM_TIMERS; i++) {
                expected[i] = i % 2 == 1 || i % 6 == 0;
                if (expected[i])
                        restart_timer(loop, &timers[i], next_random(&random) % 100);
        }
        run_until_idle(loop);
        check_fired_in_order(timers, expected, &log);
        net_loop_free(loop);
        timers_free(timers, &log);
        free(expected);
}

/* Random start/restart/stop over 2,000 timers, then everything fires: the armed set and its order must
 * match a model that only records delays and the order of operations. */
static void test_random_operations_match_model(void)
{
        struct net_loop *loop;
        struct err err = {0};
        struct fired_log log = {0};
        struct test_timer *timers = timers_alloc(&log);
        bool *armed = calloc(NUM_TIMERS, sizeof *armed);
        uint32_t random = 12345;
        CHECK_OK(net_loop_new(&loop, &err), &err);
        for (int op = 0; op < 50000; op++) {
                int i = (int)(next_random(&random) % 2000);
                switch (next_random(&random) % 3) {
                case 0:
                        start_timer(loop, &timers[i], next_random(&random) % 50);
                        armed[i] = true;
                        break;
                case 1:
                        if (armed[i])
                                restart_timer(loop, &timers[i], next_random(&random) % 50);
                        break;
                case 2:
                        net_loop_timer_stop(loop, &timers[i].timer);
                        armed[i] = false;
                        break;
                }
        }
        size_t num_armed = 0;
        for (int i = 0; i < NUM_TIMERS; i++) {
                CHECK_EQ(net_loop_timer_is_active(&timers[i].timer), armed[i]);
                num_armed += armed[i];
        }
        CHECK_EQ(net_loop_timer_count(loop), num_armed);
        run_until_idle(loop);
        check_fired_in_order(timers, armed, &log);
        net_loop_free(loop);
        timers_free(timers, &log);
        free(armed);
}

/* A fires first and, inside its pass, stops B (due in the same pass), re-arms itself with delay 0 and
 * starts C with delay 0: B never fires, and A and C wait for the next iteration instead of spinning. */
struct chain_test {
        struct net_timer a, b, c;
        int a_runs, b_runs, c_runs;
        int order[4];
        int order_len;
};

static void chain_counted(struct net_loop *loop, struct net_timer *timer, void *arg);

static void chain_a(struct net_loop *loop, struct net_timer *timer, void *arg)
{
        struct chain_test *test = arg;
        struct err err = {0};
        test->order[test->order_len++ % 4] = 'A';
        if (test->a_runs++ > 0)
                return;
        net_loop_timer_stop(loop, &test->b);
        CHECK_OK(net_loop_timer_restart(loop, timer, 0, &err), &err);
        CHECK(net_loop_timer_is_active(timer));
        CHECK_OK(net_loop_timer_start(loop, &test->c, 0, chain_counted, test, &err), &err);
}

static void chain_counted(struct net_loop *loop, struct net_timer *timer, void *arg)
{
        (void)loop;
        struct chain_test *test = arg;
        if (timer == &test->b) {
                test->b_runs++;
        } else {
                test->c_runs++;
                test->order[test->order_len++ % 4] = 'C';
        }
}

static void test_callbacks_stop_and_start_timers(void)
{
        struct net_loop *loop;
        struct err err = {0};
        struct chain_test test = {0};
        CHECK_OK(net_loop_new(&loop, &err), &err);
        CHECK_OK(net_loop_timer_start(loop, &test.a, 5, chain_a, &test, &err), &err);
        CHECK_OK(net_loop_timer_start(loop, &test.b, 5, chain_counted, &test, &err), &err);
        CHECK_OK(net_loop_timer_start(loop, &test.c, 1000, chain_counted, &test, &err), &err);
        while (test.a_runs == 0)
                CHECK_OK(net_loop_run_once(loop, -1, &err), &err);
        CHECK_EQ(test.a_runs, 1);
        CHECK_EQ(test.b_runs, 0);
        CHECK_EQ(test.c_runs, 0);
        CHECK_EQ(net_loop_timer_count(loop), 2);
        CHECK_OK(net_loop_run_once(loop, -1, &err), &err); /* both due: no wait */
        CHECK_EQ(test.a_runs, 2);
        CHECK_EQ(test.b_runs, 0);
        CHECK_EQ(test.c_runs, 1);
        /* Both due at the same millisecond: A, re-armed before C was started, fires first. */
        CHECK_EQ(test.order_len, 3);
        CHECK_EQ(test.order[1], 'A');
        CHECK_EQ(test.order[2], 'C');
        CHECK_EQ(net_loop_timer_count(loop), 0);
        net_loop_free(loop);
}

static int64_t clock_ms(void)
{
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static void mark_fired(struct net_loop *loop, struct net_timer *timer, void *arg)
{
        (void)timer;
        *(int64_t *)arg = net_loop_now_ms(loop);
}

/* The wait comes from the deadline: a 50 ms timer takes one or two iterations, fires no earlier than
 * 50 ms on the loop's millisecond clock, and not much later (tolerant: loaded CI machines). */
static void test_fifty_ms_timer(void)
{
        struct net_loop *loop;
        struct err err = {0};
        struct net_timer timer = {0};
        int64_t fired_at = -1;
        CHECK_OK(net_loop_new(&loop, &err), &err);
        net_loop_update_now(loop);
        int64_t started = net_loop_now_ms(loop);
        int64_t real_start = clock_ms();
        CHECK_OK(net_loop_timer_start(loop, &timer, 50, mark_fired, &fired_at, &err), &err);
        int iterations = 0;
        while (fired_at < 0) {
                CHECK_OK(net_loop_run_once(loop, -1, &err), &err);
                iterations++;
        }
        int64_t real_elapsed = clock_ms() - real_start;
        CHECK(fired_at - started >= 50);
        CHECK(real_elapsed >= 49); /* both clocks count whole milliseconds */
        CHECK(real_elapsed <= 500);
        CHECK(iterations <= 3);
        net_loop_free(loop);
}

static void never_called(struct net_loop *loop, struct net_timer *timer, void *arg)
{
        (void)loop;
        (void)timer;
        (void)arg;
        CHECK(false);
}

static void test_timer_refusals(void)
{
        struct net_loop *loop;
        struct err err = {0};
        struct net_timer timer = {0};
        CHECK_OK(net_loop_new(&loop, &err), &err);
        CHECK(!net_loop_timer_is_active(&timer));
        net_loop_timer_stop(loop, &timer); /* zeroed: nothing */
        CHECK_STATUS(net_loop_timer_restart(loop, &timer, 10, &err), SMT_EINVAL);
        CHECK(strstr(err.msg, "never started") != NULL);
        CHECK_STATUS(net_loop_timer_start(loop, &timer, -1, never_called, NULL, &err), SMT_EINVAL);
        CHECK(strstr(err.msg, "-1") != NULL);
        CHECK(!net_loop_timer_is_active(&timer));
        CHECK_STATUS(net_loop_timer_start(loop, &timer, 10, NULL, NULL, &err), SMT_EINVAL);
        CHECK_OK(net_loop_timer_start(loop, &timer, 1000, never_called, NULL, &err), &err);
        CHECK_STATUS(net_loop_timer_restart(loop, &timer, -5, &err), SMT_EINVAL);
        CHECK(net_loop_timer_is_active(&timer)); /* a refused restart leaves it armed */
        /* An idle timeout pushed out on every "read" never fires while reads keep coming. */
        for (int i = 0; i < 5; i++) {
                CHECK_OK(net_loop_run_once(loop, 5, &err), &err);
                CHECK_OK(net_loop_timer_restart(loop, &timer, 1000, &err), &err);
        }
        net_loop_timer_stop(loop, &timer);
        CHECK_EQ(net_loop_timer_count(loop), 0);
        CHECK_OK(net_loop_run_once(loop, 100, &err), &err);
        net_loop_free(loop);
}

CHECK_MAIN(CHECK_TEST(test_ten_thousand_fire_in_order), CHECK_TEST(test_stop_half_and_restart),
           CHECK_TEST(test_random_operations_match_model), CHECK_TEST(test_callbacks_stop_and_start_timers),
           CHECK_TEST(test_fifty_ms_timer), CHECK_TEST(test_timer_refusals))
