/* tests/unit/net/test_loop.c: the event loop's watchers on real descriptors (socketpairs, pipes), no
 * stale callback after an unwatch inside the same epoll batch, and signals through signalfd. Other
 * threads: test_loop_threads.c; timers: test_loop_timer.c; tens of thousands of watchers:
 * test_loop_many.c. */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "net/loop.h"
#include "net/signals.h"

/* A wait long enough never to matter on a loaded machine, short enough that a missing event fails. */
#define WAIT_MS 2000

static void make_socketpair(int fds[2])
{
        CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == 0);
}

static void write_byte(int fd)
{
        CHECK(write(fd, "x", 1) == 1);
}

/* A watcher that records what it was called with. */
struct recorder {
        struct net_watcher watcher;
        int calls;
        unsigned events;
};

static void record_events(struct net_loop *loop, struct net_watcher *watcher, unsigned events, void *arg)
{
        (void)loop;
        struct recorder *recorder = arg;
        CHECK(watcher == &recorder->watcher);
        recorder->calls++;
        recorder->events = events;
}

static void run_once(struct net_loop *loop, int timeout_ms)
{
        struct err err = {0};
        CHECK_OK(net_loop_run_once(loop, timeout_ms, &err), &err);
}

static void test_readable_and_writable(void)
{
        struct net_loop *loop;
        struct err err = {0};
        struct recorder recorder = {0};
        int fds[2];
        CHECK_OK(net_loop_new(&loop, &err), &err);
        make_socketpair(fds);
        net_watcher_init(&recorder.watcher, fds[0], record_events, &recorder);
        CHECK_OK(net_loop_watch(loop, &recorder.watcher, NET_LOOP_WRITE, &err), &err);
        run_once(loop, WAIT_MS);
        CHECK_EQ(recorder.calls, 1);
        CHECK_EQ(recorder.events, NET_LOOP_WRITE);

        /* Nothing to read yet: a READ-only watcher is not called. */
        CHECK_OK(net_loop_modify(loop, &recorder.watcher, NET_LOOP_READ, &err), &err);
        run_once(loop, 0);
        CHECK_EQ(recorder.calls, 1);
        write_byte(fds[1]);
        run_once(loop, WAIT_MS);
        CHECK_EQ(recorder.calls, 2);
        CHECK_EQ(recorder.events, NET_LOOP_READ);

        /* Level-triggered: the unread byte is reported again; once read, silence. */
        run_once(loop, 0);
        CHECK_EQ(recorder.calls, 3);
        char byte;
        CHECK(read(fds[0], &byte, 1) == 1);
        run_once(loop, 0);
        CHECK_EQ(recorder.calls, 3);

        CHECK_OK(net_loop_modify(loop, &recorder.watcher, NET_LOOP_READ | NET_LOOP_WRITE, &err), &err);
        write_byte(fds[1]);
        run_once(loop, WAIT_MS);
        CHECK_EQ(recorder.events, NET_LOOP_READ | NET_LOOP_WRITE);
        net_loop_unwatch(loop, &recorder.watcher);
        CHECK(!recorder.watcher.is_watched);
        run_once(loop, 0);
        CHECK_EQ(recorder.calls, 4);
        close(fds[0]);
        close(fds[1]);
        net_loop_free(loop);
}

/* A pipe whose writer closed reports HANGUP; one whose reader closed reports ERROR to the writer, even
 * to a watcher with no interest at all (epoll always reports them). */
static void test_hangup_and_error(void)
{
        struct net_loop *loop;
        struct err err = {0};
        struct recorder reader = {0}, writer = {0};
        int first[2], second[2];
        CHECK_OK(net_loop_new(&loop, &err), &err);
        CHECK(pipe2(first, O_NONBLOCK | O_CLOEXEC) == 0);
        CHECK(pipe2(second, O_NONBLOCK | O_CLOEXEC) == 0);
        net_watcher_init(&reader.watcher, first[0], record_events, &reader);
        net_watcher_init(&writer.watcher, second[1], record_events, &writer);
        CHECK_OK(net_loop_watch(loop, &reader.watcher, NET_LOOP_READ, &err), &err);
        CHECK_OK(net_loop_watch(loop, &writer.watcher, 0, &err), &err);
        run_once(loop, 0);
        CHECK_EQ(reader.calls + writer.calls, 0);
        close(first[1]);
        close(second[0]);
        run_once(loop, WAIT_MS);
        CHECK_EQ(reader.calls, 1);
        CHECK((reader.events & NET_LOOP_HANGUP) != 0);
        CHECK_EQ(writer.calls, 1);
        CHECK((writer.events & NET_LOOP_ERROR) != 0);
        CHECK((writer.events & NET_LOOP_WRITE) == 0);
        net_loop_unwatch(loop, &reader.watcher);
        net_loop_unwatch(loop, &writer.watcher);
        close(first[0]);
        close(second[1]);
        net_loop_free(loop);
}

static void test_watch_refusals(void)
{
        struct net_loop *loop;
        struct err err = {0};
        struct recorder recorder = {0};
        int fds[2];
        CHECK_OK(net_loop_new(&loop, &err), &err);
        make_socketpair(fds);
        net_watcher_init(&recorder.watcher, fds[0], record_events, &recorder);
        CHECK_STATUS(net_loop_watch(loop, &recorder.watcher, 0x10, &err), SMT_EINVAL);
        CHECK_STATUS(net_loop_modify(loop, &recorder.watcher, NET_LOOP_READ, &err), SMT_EINVAL);
        CHECK(strstr(err.msg, "not watched") != NULL);
        net_watcher_init(&recorder.watcher, fds[0], NULL, NULL);
        CHECK_STATUS(net_loop_watch(loop, &recorder.watcher, NET_LOOP_READ, &err), SMT_EINVAL);
        CHECK(strstr(err.msg, "no callback") != NULL);
        net_watcher_init(&recorder.watcher, fds[0], record_events, &recorder);
        net_loop_unwatch(loop, &recorder.watcher); /* not watched: nothing happens */
        CHECK_OK(net_loop_watch(loop, &recorder.watcher, NET_LOOP_READ, &err), &err);
        CHECK_STATUS(net_loop_watch(loop, &recorder.watcher, NET_LOOP_READ, &err), SMT_EINVAL);
        CHECK(strstr(err.msg, "already watched") != NULL);
        net_loop_unwatch(loop, &recorder.watcher);

        /* epoll refuses regular files (EPERM) and closed descriptors (EBADF). */
        int file_fd = open(check_source_path("CMakeLists.txt"), O_RDONLY | O_CLOEXEC);
        CHECK(file_fd >= 0);
        net_watcher_init(&recorder.watcher, file_fd, record_events, &recorder);
        CHECK_STATUS(net_loop_watch(loop, &recorder.watcher, NET_LOOP_READ, &err), SMT_EIO);
        CHECK(!recorder.watcher.is_watched);
        close(file_fd);
        net_watcher_init(&recorder.watcher, file_fd, record_events, &recorder);
        CHECK_STATUS(net_loop_watch(loop, &recorder.watcher, NET_LOOP_READ, &err), SMT_EIO);
        close(fds[0]);
        close(fds[1]);
        net_loop_free(loop);
}

/* With no descriptor left, net_loop_new names the call that failed and leaks nothing: the lowest free
 * descriptor number is the same afterwards. */
static void test_new_without_descriptors(void)
{
        struct net_loop *loop = NULL;
        struct err err = {0};
        struct rlimit saved;
        int lowest_free = dup(0);
        CHECK(lowest_free >= 0);
        close(lowest_free);
        CHECK(getrlimit(RLIMIT_NOFILE, &saved) == 0);
        for (int room = 0; room < 2; room++) {
                struct rlimit tight = {.rlim_cur = (rlim_t)(lowest_free + room), .rlim_max = saved.rlim_max};
                CHECK(setrlimit(RLIMIT_NOFILE, &tight) == 0);
                int status = net_loop_new(&loop, &err);
                CHECK(setrlimit(RLIMIT_NOFILE, &saved) == 0);
                CHECK_EQ(status, SMT_EIO);
                CHECK(loop == NULL);
                CHECK(strstr(err.msg, room == 0 ? "epoll_create1" : "eventfd") != NULL);
                int next_free = dup(0);
                CHECK_EQ(next_free, lowest_free);
                close(next_free);
        }
}

/* ---- no stale callback after an unwatch in the same batch ---- */

#define BATCH_CONNS 16

struct batch_test;

/* A connection object as the gateway will have one: heap-allocated, the watcher embedded. */
struct batch_conn {
        struct net_watcher watcher;
        struct batch_test *test;
        int fds[2];
};

struct batch_test {
        struct batch_conn *conns[BATCH_CONNS];
        int calls;
        int called_index;
        bool closes_the_others;
        bool reuses_the_others;
};

static void batch_conn_close(struct net_loop *loop, struct batch_test *test, int index)
{
        struct batch_conn *conn = test->conns[index];
        net_loop_unwatch(loop, &conn->watcher);
        close(conn->fds[0]);
        close(conn->fds[1]);
        free(conn);
        test->conns[index] = NULL;
}

/* The first connection called closes and frees every other one (all still pending in this batch), or
 * re-watches their structs on fresh, silent socketpairs, as a freed-and-reused connection would. */
static void batch_conn_ready(struct net_loop *loop, struct net_watcher *watcher, unsigned events, void *arg)
{
        struct batch_conn *conn = arg;
        struct batch_test *test = conn->test;
        struct err err = {0};
        CHECK(watcher == &conn->watcher);
        CHECK_EQ(events, NET_LOOP_READ);
        char byte;
        CHECK(read(conn->fds[0], &byte, 1) == 1);
        test->calls++;
        for (int i = 0; i < BATCH_CONNS; i++) {
                if (test->conns[i] == conn)
                        test->called_index = i;
        }
        for (int i = 0; i < BATCH_CONNS; i++) {
                struct batch_conn *other = test->conns[i];
                if (other == NULL || other == conn)
                        continue;
                if (test->closes_the_others) {
                        batch_conn_close(loop, test, i);
                } else if (test->reuses_the_others) {
                        net_loop_unwatch(loop, &other->watcher);
                        close(other->fds[0]);
                        close(other->fds[1]);
                        make_socketpair(other->fds);
                        net_watcher_init(&other->watcher, other->fds[0], batch_conn_ready, other);
                        CHECK_OK(net_loop_watch(loop, &other->watcher, NET_LOOP_READ, &err), &err);
                }
        }
}

static void batch_run(bool closes_the_others, bool reuses_the_others)
{
        struct net_loop *loop;
        struct err err = {0};
        struct batch_test test = {.closes_the_others = closes_the_others, .reuses_the_others = reuses_the_others};
        CHECK_OK(net_loop_new(&loop, &err), &err);
        for (int i = 0; i < BATCH_CONNS; i++) {
                struct batch_conn *conn = calloc(1, sizeof *conn);
                CHECK(conn != NULL);
                conn->test = &test;
                make_socketpair(conn->fds);
                write_byte(conn->fds[1]); /* every connection is readable before the loop looks */
                net_watcher_init(&conn->watcher, conn->fds[0], batch_conn_ready, conn);
                CHECK_OK(net_loop_watch(loop, &conn->watcher, NET_LOOP_READ, &err), &err);
                test.conns[i] = conn;
        }
        run_once(loop, WAIT_MS);
        if (!closes_the_others && !reuses_the_others) {
                /* The control: all of them come in one batch, so the cases below unwatch pending entries. */
                CHECK_EQ(test.calls, BATCH_CONNS);
        } else {
                CHECK_EQ(test.calls, 1);
                run_once(loop, 50); /* the others are closed or silent: still nobody else is called */
                CHECK_EQ(test.calls, 1);
        }
        for (int i = 0; i < BATCH_CONNS; i++) {
                if (test.conns[i] != NULL)
                        batch_conn_close(loop, &test, i);
        }
        net_loop_free(loop);
}

static void test_all_ready_come_in_one_batch(void)
{
        batch_run(false, false);
}

static void test_unwatch_and_free_pending_in_same_batch(void)
{
        batch_run(true, false);
}

static void test_unwatch_and_rewatch_pending_in_same_batch(void)
{
        batch_run(false, true);
}

/* Lowering another watcher's interest masks the event epoll already returned for it. */
struct modify_test {
        struct recorder recorders[2];
        int fds[2][2];
        struct net_loop *loop;
};

static void modify_other_ready(struct net_loop *loop, struct net_watcher *watcher, unsigned events, void *arg)
{
        struct modify_test *test = arg;
        struct err err = {0};
        int self = watcher == &test->recorders[0].watcher ? 0 : 1;
        test->recorders[self].calls++;
        test->recorders[self].events = events;
        if (test->recorders[1 - self].calls == 0 && events == NET_LOOP_READ)
                CHECK_OK(net_loop_modify(loop, &test->recorders[1 - self].watcher, NET_LOOP_WRITE, &err), &err);
}

static void test_modify_masks_pending_event(void)
{
        struct modify_test test = {0};
        struct err err = {0};
        CHECK_OK(net_loop_new(&test.loop, &err), &err);
        for (int i = 0; i < 2; i++) {
                make_socketpair(test.fds[i]);
                write_byte(test.fds[i][1]);
                net_watcher_init(&test.recorders[i].watcher, test.fds[i][0], modify_other_ready, &test);
                CHECK_OK(net_loop_watch(test.loop, &test.recorders[i].watcher, NET_LOOP_READ, &err), &err);
        }
        run_once(test.loop, WAIT_MS);
        CHECK_EQ(test.recorders[0].calls + test.recorders[1].calls, 1);
        run_once(test.loop, WAIT_MS);
        int other = test.recorders[0].events == NET_LOOP_WRITE ? 0 : 1;
        CHECK_EQ(test.recorders[other].events, NET_LOOP_WRITE);
        for (int i = 0; i < 2; i++) {
                net_loop_unwatch(test.loop, &test.recorders[i].watcher);
                close(test.fds[i][0]);
                close(test.fds[i][1]);
        }
        net_loop_free(test.loop);
}

/* A callback may not run the loop it is called from. */
static void nested_run_ready(struct net_loop *loop, struct net_watcher *watcher, unsigned events, void *arg)
{
        (void)watcher;
        (void)events;
        struct err err = {0};
        int *statuses = arg;
        statuses[0] = net_loop_run_once(loop, 0, &err);
        statuses[1] = net_loop_run(loop, &err);
}

static void test_nested_run_refused(void)
{
        struct net_loop *loop;
        struct err err = {0};
        struct net_watcher watcher;
        int statuses[2] = {0, 0};
        int fds[2];
        CHECK_OK(net_loop_new(&loop, &err), &err);
        make_socketpair(fds);
        net_watcher_init(&watcher, fds[0], nested_run_ready, statuses);
        CHECK_OK(net_loop_watch(loop, &watcher, NET_LOOP_WRITE, &err), &err);
        run_once(loop, WAIT_MS);
        CHECK_EQ(statuses[0], SMT_EINVAL);
        CHECK_EQ(statuses[1], SMT_EINVAL);
        net_loop_unwatch(loop, &watcher);
        close(fds[0]);
        close(fds[1]);
        net_loop_free(loop);
}

/* ---- signals ---- */

struct signal_log {
        int numbers[8];
        int len;
};

static void signal_logged(struct net_loop *loop, int signal_number, void *arg)
{
        (void)loop;
        struct signal_log *log = arg;
        if (log->len < 8)
                log->numbers[log->len++] = signal_number;
}

static bool is_blocked(int signal_number)
{
        sigset_t mask;
        CHECK(pthread_sigmask(SIG_BLOCK, NULL, &mask) == 0);
        return sigismember(&mask, signal_number) == 1;
}

static void test_signals_through_signalfd(void)
{
        struct net_loop *loop;
        struct err err = {0};
        struct net_signals signals;
        struct signal_log log = {0};
        const int watched[] = {SIGHUP, SIGTERM, SIGINT};
        CHECK_OK(net_loop_new(&loop, &err), &err);
        CHECK(!is_blocked(SIGHUP));
        CHECK_OK(net_signals_init(&signals, loop, watched, 3, signal_logged, &log, &err), &err);
        CHECK(is_blocked(SIGHUP) && is_blocked(SIGTERM) && is_blocked(SIGINT));

        CHECK(raise(SIGHUP) == 0); /* blocked: queued for the signalfd, the process survives */
        run_once(loop, WAIT_MS);
        CHECK_EQ(log.len, 1);
        CHECK_EQ(log.numbers[0], SIGHUP);

        CHECK(kill(getpid(), SIGTERM) == 0); /* process-directed, as `kill` sends it */
        CHECK(raise(SIGINT) == 0);
        run_once(loop, WAIT_MS);
        CHECK_EQ(log.len, 3);
        CHECK(log.numbers[1] != log.numbers[2]);
        CHECK(log.numbers[1] == SIGTERM || log.numbers[1] == SIGINT);
        CHECK(log.numbers[2] == SIGTERM || log.numbers[2] == SIGINT);

        net_signals_cleanup(&signals);
        CHECK(!is_blocked(SIGHUP) && !is_blocked(SIGTERM) && !is_blocked(SIGINT));
        net_signals_cleanup(&signals); /* twice: nothing */
        net_loop_free(loop);
}

static void test_signals_refusals(void)
{
        struct net_loop *loop;
        struct err err = {0};
        struct net_signals signals;
        struct signal_log log = {0};
        const int kill_and_hup[] = {SIGHUP, SIGKILL};
        const int out_of_range[] = {1000};
        CHECK_OK(net_loop_new(&loop, &err), &err);
        CHECK_STATUS(net_signals_init(&signals, loop, kill_and_hup, 2, signal_logged, &log, &err), SMT_EINVAL);
        CHECK(strstr(err.msg, "signal 9") != NULL);
        CHECK(!is_blocked(SIGHUP)); /* nothing changed */
        CHECK_STATUS(net_signals_init(&signals, loop, out_of_range, 1, signal_logged, &log, &err), SMT_EINVAL);
        CHECK_STATUS(net_signals_init(&signals, loop, kill_and_hup, 0, signal_logged, &log, &err), SMT_EINVAL);
        net_signals_cleanup(&signals); /* after a failed init: nothing */
        net_loop_free(loop);
}

CHECK_MAIN(CHECK_TEST(test_readable_and_writable), CHECK_TEST(test_hangup_and_error), CHECK_TEST(test_watch_refusals),
           CHECK_TEST(test_new_without_descriptors), CHECK_TEST(test_all_ready_come_in_one_batch),
           CHECK_TEST(test_unwatch_and_free_pending_in_same_batch),
           CHECK_TEST(test_unwatch_and_rewatch_pending_in_same_batch), CHECK_TEST(test_modify_masks_pending_event),
           CHECK_TEST(test_nested_run_refused), CHECK_TEST(test_signals_through_signalfd),
           CHECK_TEST(test_signals_refusals))
