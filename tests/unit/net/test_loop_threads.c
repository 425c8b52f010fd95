/* tests/unit/net/test_loop_threads.c: what other threads may do to a loop: post functions (4 threads x
 * 10,000, each run exactly once, on the loop's thread, in each poster's order), wake it, stop it; and a
 * stop from inside a callback or before the loop runs. */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "check.h"
#include "net/loop.h"

#define WAIT_MS 2000

static int64_t clock_ms(void)
{
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static void run_once(struct net_loop *loop, int timeout_ms)
{
        struct err err = {0};
        CHECK_OK(net_loop_run_once(loop, timeout_ms, &err), &err);
}

#define POST_THREADS     4
#define POSTS_PER_THREAD 10000

struct post_test {
        struct net_loop *loop;
        pthread_t loop_thread;
        int runs[POST_THREADS][POSTS_PER_THREAD]; /* touched only on the loop thread */
        int total;
        int wrong_thread;
        int failed_posts; /* per posting thread's own count, summed after join */
        int next_in_order[POST_THREADS];
        int out_of_order;
};

struct post_item {
        struct post_test *test;
        int thread;
        int index;
};

static void post_item_run(struct net_loop *loop, void *arg)
{
        struct post_item *item = arg;
        struct post_test *test = item->test;
        if (!pthread_equal(pthread_self(), test->loop_thread))
                test->wrong_thread++;
        if (item->index != test->next_in_order[item->thread])
                test->out_of_order++;
        test->next_in_order[item->thread] = item->index + 1;
        test->runs[item->thread][item->index]++;
        if (++test->total == POST_THREADS * POSTS_PER_THREAD)
                net_loop_stop(loop);
}

struct poster {
        struct post_test *test;
        struct post_item items[POSTS_PER_THREAD];
        int failed;
};

static void *poster_main(void *arg)
{
        struct poster *poster = arg;
        struct err err = {0};
        for (int i = 0; i < POSTS_PER_THREAD; i++) {
                if (net_loop_post(poster->test->loop, post_item_run, &poster->items[i], &err) != 0)
                        poster->failed++;
        }
        return NULL;
}

static void test_post_from_four_threads(void)
{
        struct post_test *test = calloc(1, sizeof *test);
        struct poster *posters = calloc(POST_THREADS, sizeof *posters);
        pthread_t threads[POST_THREADS];
        struct err err = {0};
        CHECK(test != NULL && posters != NULL);
        CHECK_OK(net_loop_new(&test->loop, &err), &err);
        test->loop_thread = pthread_self();
        for (int t = 0; t < POST_THREADS; t++) {
                posters[t].test = test;
                for (int i = 0; i < POSTS_PER_THREAD; i++)
                        posters[t].items[i] = (struct post_item){.test = test, .thread = t, .index = i};
                CHECK(pthread_create(&threads[t], NULL, poster_main, &posters[t]) == 0);
        }
        CHECK_OK(net_loop_run(test->loop, &err), &err);
        for (int t = 0; t < POST_THREADS; t++) {
                CHECK(pthread_join(threads[t], NULL) == 0);
                CHECK_EQ(posters[t].failed, 0);
        }
        run_once(test->loop, 0); /* anything posted twice would run here */
        CHECK_EQ(test->total, POST_THREADS * POSTS_PER_THREAD);
        for (int t = 0; t < POST_THREADS; t++) {
                for (int i = 0; i < POSTS_PER_THREAD; i++)
                        CHECK_EQ(test->runs[t][i], 1);
        }
        CHECK_EQ(test->wrong_thread, 0);
        CHECK_EQ(test->out_of_order, 0);
        net_loop_free(test->loop);
        free(posters);
        free(test);
}

/* A function posted from a posted function runs on a later wake-up, not recursively. */
struct repost_test {
        int runs;
        int depth;
        int max_depth;
};

static void repost_run(struct net_loop *loop, void *arg)
{
        struct repost_test *test = arg;
        struct err err = {0};
        test->depth++;
        if (test->depth > test->max_depth)
                test->max_depth = test->depth;
        if (++test->runs < 3)
                CHECK_OK(net_loop_post(loop, repost_run, test, &err), &err);
        test->depth--;
}

static void test_post_from_posted_function(void)
{
        struct net_loop *loop;
        struct err err = {0};
        struct repost_test test = {0};
        CHECK_OK(net_loop_new(&loop, &err), &err);
        CHECK_STATUS(net_loop_post(loop, NULL, &test, &err), SMT_EINVAL);
        CHECK_OK(net_loop_post(loop, repost_run, &test, &err), &err);
        for (int i = 0; i < 3; i++) {
                run_once(loop, WAIT_MS);
                CHECK_EQ(test.runs, i + 1);
        }
        CHECK_EQ(test.max_depth, 1);
        net_loop_free(loop);
}

struct delayed_call {
        struct net_loop *loop;
        int delay_ms;
        bool stops; /* else wakes */
};

static void *delayed_call_main(void *arg)
{
        struct delayed_call *call = arg;
        struct timespec delay = {.tv_sec = 0, .tv_nsec = call->delay_ms * 1000000L};
        nanosleep(&delay, NULL);
        if (call->stops)
                net_loop_stop(call->loop);
        else
                net_loop_wake(call->loop);
        return NULL;
}

static void guard_expired(struct net_loop *loop, struct net_timer *timer, void *arg)
{
        (void)timer;
        *(bool *)arg = true;
        net_loop_stop(loop);
}

static void test_stop_from_another_thread(void)
{
        struct net_loop *loop;
        struct err err = {0};
        struct net_timer guard = {0};
        bool guard_fired = false;
        pthread_t thread;
        CHECK_OK(net_loop_new(&loop, &err), &err);
        /* Only the other thread's stop or this guard can end the run. */
        CHECK_OK(net_loop_timer_start(loop, &guard, 10000, guard_expired, &guard_fired, &err), &err);
        struct delayed_call call = {.loop = loop, .delay_ms = 50, .stops = true};
        int64_t start = clock_ms();
        CHECK(pthread_create(&thread, NULL, delayed_call_main, &call) == 0);
        CHECK_OK(net_loop_run(loop, &err), &err);
        int64_t elapsed = clock_ms() - start;
        CHECK(pthread_join(thread, NULL) == 0);
        CHECK(!guard_fired);
        CHECK(elapsed >= 50 && elapsed < 5000);
        net_loop_timer_stop(loop, &guard);
        net_loop_free(loop);
}

static void test_wake_from_another_thread(void)
{
        struct net_loop *loop;
        struct err err = {0};
        pthread_t thread;
        CHECK_OK(net_loop_new(&loop, &err), &err);
        struct delayed_call call = {.loop = loop, .delay_ms = 50, .stops = false};
        int64_t start = clock_ms();
        CHECK(pthread_create(&thread, NULL, delayed_call_main, &call) == 0);
        run_once(loop, 10000); /* nothing else can end this wait early */
        int64_t elapsed = clock_ms() - start;
        CHECK(pthread_join(thread, NULL) == 0);
        CHECK(elapsed >= 50 && elapsed < 5000);
        net_loop_free(loop);
}

static void stop_now(struct net_loop *loop, struct net_timer *timer, void *arg)
{
        (void)timer;
        (*(int *)arg)++;
        net_loop_stop(loop);
}

static void test_stop_from_callback_and_before_run(void)
{
        struct net_loop *loop;
        struct err err = {0};
        struct net_timer timer = {0};
        int calls = 0;
        CHECK_OK(net_loop_new(&loop, &err), &err);
        CHECK_OK(net_loop_timer_start(loop, &timer, 10, stop_now, &calls, &err), &err);
        CHECK_OK(net_loop_run(loop, &err), &err);
        CHECK_EQ(calls, 1);
        /* A stop requested while not running ends the next run before it waits. */
        net_loop_stop(loop);
        CHECK_OK(net_loop_run(loop, &err), &err);
        /* That stop is used up: the loop runs again until the next one. */
        CHECK_OK(net_loop_timer_start(loop, &timer, 10, stop_now, &calls, &err), &err);
        CHECK_OK(net_loop_run(loop, &err), &err);
        CHECK_EQ(calls, 2);
        net_loop_free(loop);
}

CHECK_MAIN(CHECK_TEST(test_post_from_four_threads), CHECK_TEST(test_post_from_posted_function),
           CHECK_TEST(test_stop_from_another_thread), CHECK_TEST(test_wake_from_another_thread),
           CHECK_TEST(test_stop_from_callback_and_before_run))
