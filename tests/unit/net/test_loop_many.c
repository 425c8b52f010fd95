/* tests/unit/net/test_loop_many.c: one loop with 20,000 watchers (both ends of 10,000 socketpairs), each
 * with an idle timer, as a worker holding that many idle connections would have: every read, every
 * write readiness and every hang-up is delivered exactly once to the right watcher.
 *
 * That needs 20,000 descriptors plus a few: the test raises its soft RLIMIT_NOFILE up to the hard limit,
 * and when the hard limit is lower it says so and runs with as many watchers as fit. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "net/loop.h"

#define WANTED_WATCHERS 20000
/* Descriptors kept free for stdio, the loop's epoll and eventfd, and the sanitizers. */
#define SPARE_FDS       64
#define IDLE_TIMEOUT_MS 60000

struct many_test;

struct many_conn {
        struct net_watcher watcher;
        struct net_timer idle;
        struct many_test *test;
        int reads;
        int writes;
        int hangups;
        int unexpected; /* events that should not have come */
};

struct many_test {
        struct many_conn *conns; /* conns[2 * i] and conns[2 * i + 1] are the two ends of pair i */
        int num_conns;
        int reads;
        int writes;
        int hangups;
};

static void many_idle_expired(struct net_loop *loop, struct net_timer *timer, void *arg)
{
        (void)loop;
        (void)timer;
        ((struct many_conn *)arg)->unexpected++;
}

static void many_conn_ready(struct net_loop *loop, struct net_watcher *watcher, unsigned events, void *arg)
{
        struct many_conn *conn = arg;
        struct err err = {0};
        if ((events & NET_LOOP_HANGUP) != 0) {
                conn->hangups++;
                conn->test->hangups++;
                net_loop_unwatch(loop, watcher);
                return;
        }
        if (events == NET_LOOP_READ) {
                char byte;
                CHECK(read(watcher->fd, &byte, 1) == 1);
                conn->reads++;
                conn->test->reads++;
                CHECK_OK(net_loop_timer_restart(loop, &conn->idle, IDLE_TIMEOUT_MS, &err), &err);
        } else if (events == NET_LOOP_WRITE) {
                conn->writes++;
                conn->test->writes++;
                CHECK_OK(net_loop_modify(loop, watcher, 0, &err), &err);
        } else {
                conn->unexpected++;
        }
}

/* how_many_watchers raises the soft descriptor limit as far as needed and allowed. */
static int how_many_watchers(void)
{
        struct rlimit limit;
        CHECK(getrlimit(RLIMIT_NOFILE, &limit) == 0);
        rlim_t wanted = WANTED_WATCHERS + SPARE_FDS;
        if (limit.rlim_cur < wanted) {
                limit.rlim_cur = limit.rlim_max == RLIM_INFINITY || limit.rlim_max >= wanted ? wanted : limit.rlim_max;
                CHECK(setrlimit(RLIMIT_NOFILE, &limit) == 0);
        }
        if (limit.rlim_cur >= wanted)
                return WANTED_WATCHERS;
        int fitting = (int)((limit.rlim_cur - SPARE_FDS) / 2 * 2);
        fprintf(stderr, "test_loop_many: RLIMIT_NOFILE hard limit is %llu: %d watchers instead of %d\n",
                (unsigned long long)limit.rlim_max, fitting, WANTED_WATCHERS);
        CHECK(fitting >= 1000);
        return fitting;
}

static int64_t clock_ms(void)
{
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static void run_until(struct net_loop *loop, const int *count, int target)
{
        struct err err = {0};
        int64_t give_up = clock_ms() + 60000;
        while (*count < target) {
                CHECK(clock_ms() < give_up);
                CHECK_OK(net_loop_run_once(loop, 1000, &err), &err);
        }
        CHECK_OK(net_loop_run_once(loop, 0, &err), &err); /* nothing is delivered twice */
        CHECK_EQ(*count, target);
}

static void open_all(struct net_loop *loop, struct many_test *test)
{
        struct err err = {0};
        for (int i = 0; i < test->num_conns; i += 2) {
                int fds[2];
                CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == 0);
                for (int end = 0; end < 2; end++) {
                        struct many_conn *conn = &test->conns[i + end];
                        conn->test = test;
                        CHECK(write(fds[end], "x", 1) == 1); /* makes the other end readable */
                        net_watcher_init(&conn->watcher, fds[end], many_conn_ready, conn);
                        CHECK_OK(net_loop_watch(loop, &conn->watcher, NET_LOOP_READ, &err), &err);
                        CHECK_OK(
                            net_loop_timer_start(loop, &conn->idle, IDLE_TIMEOUT_MS, many_idle_expired, conn, &err),
                            &err);
                }
        }
}

static void test_twenty_thousand_watchers(void)
{
        struct net_loop *loop;
        struct err err = {0};
        struct many_test test = {.num_conns = how_many_watchers()};
        test.conns = calloc((size_t)test.num_conns, sizeof *test.conns);
        CHECK(test.conns != NULL);
        CHECK_OK(net_loop_new(&loop, &err), &err);
        open_all(loop, &test);
        CHECK_EQ(net_loop_timer_count(loop), test.num_conns);

        run_until(loop, &test.reads, test.num_conns);
        for (int i = 0; i < test.num_conns; i++)
                CHECK_EQ(test.conns[i].reads, 1);

        for (int i = 0; i < test.num_conns; i++)
                CHECK_OK(net_loop_modify(loop, &test.conns[i].watcher, NET_LOOP_WRITE, &err), &err);
        run_until(loop, &test.writes, test.num_conns);
        for (int i = 0; i < test.num_conns; i++)
                CHECK_EQ(test.conns[i].writes, 1);

        /* Close the first end of every pair: each second end, asking for nothing, hears the hang-up. */
        for (int i = 0; i < test.num_conns; i += 2) {
                net_loop_unwatch(loop, &test.conns[i].watcher);
                net_loop_timer_stop(loop, &test.conns[i].idle);
                close(test.conns[i].watcher.fd);
        }
        CHECK_EQ(net_loop_timer_count(loop), test.num_conns / 2);
        run_until(loop, &test.hangups, test.num_conns / 2);
        for (int i = 0; i < test.num_conns; i++) {
                CHECK_EQ(test.conns[i].hangups, i % 2);
                CHECK_EQ(test.conns[i].unexpected, 0);
        }
        for (int i = 1; i < test.num_conns; i += 2) {
                net_loop_timer_stop(loop, &test.conns[i].idle);
                close(test.conns[i].watcher.fd);
        }
        CHECK_EQ(net_loop_timer_count(loop), 0);
        net_loop_free(loop);
        free(test.conns);
}

CHECK_MAIN(CHECK_TEST(test_twenty_thousand_watchers))
