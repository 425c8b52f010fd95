/* tests/unit/gateway/test_balancer_threads.c: gateway/balancer shared by threads, as the proxy's workers
 * share it: 4 threads pick, retry, start and finish requests (some failing) with every algorithm while
 * the main thread marks a server down and up and reads every state, and afterwards each server's picks
 * and failures are exactly the threads' sums and no request is left active. Meant for the ASan build
 * (and clean under ThreadSanitizer: gcc -fsanitize=thread on these sources). */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#include "check.h"
#include "gateway/balancer.h"

#define SERVERS 4

static struct gw_balancer_state state_of(struct gw_balancer *b, size_t server, int64_t now_ms)
{
        struct gw_balancer_state state;
        struct err err = {0};
        CHECK_OK(gw_balancer_get_state(b, server, now_ms, &state, &err), &err);
        return state;
}

static void set_up(struct gw_balancer *b, size_t server, bool up, int64_t now_ms)
{
        struct err err = {0};
        CHECK_OK(gw_balancer_set_up(b, server, up, now_ms, &err), &err);
}

#define THREADS      4
#define THREAD_PICKS 25000

struct worker {
        pthread_t thread;
        struct gw_balancer *b;
        size_t seed;
        size_t picks[SERVERS];
        size_t failures[SERVERS];
        int status;
};

/* worker_run picks, starts and finishes like a proxy thread: every 7th request fails, and every 5th is
 * picked twice, the second time excluding the first choice (a retry). */
static void *worker_run(void *arg)
{
        struct worker *w = arg;
        struct err err = {0};
        for (size_t i = 0; i < THREAD_PICKS && w->status == 0; i++) {
                size_t first = SIZE_MAX, server = SIZE_MAX;
                uint8_t address[4] = {10, (uint8_t)w->seed, (uint8_t)(i >> 8), (uint8_t)i};
                struct gw_balancer_request req = {
                    .address = address, .address_len = 4, .persisted = SIZE_MAX, .now_ms = (int64_t)i};
                if (i % 5 == 0) {
                        w->status = gw_balancer_pick(w->b, &req, &first, &err);
                        if (w->status < 0)
                                break;
                        w->picks[first]++;
                        req.excluded = &first;
                        req.num_excluded = 1;
                }
                w->status = gw_balancer_pick(w->b, &req, &server, &err);
                if (w->status < 0 || server == first)
                        break;
                w->picks[server]++;
                bool ok = (i + w->seed) % 7 != 0;
                w->failures[server] += ok ? 0 : 1;
                w->status = gw_balancer_started(w->b, server, &err);
                if (w->status == 0)
                        w->status =
                            gw_balancer_finished(w->b, server, ok, (int64_t)(100 + server * 10), (int64_t)i, &err);
        }
        if (w->status == 0 && w->picks[0] + w->picks[1] + w->picks[2] + w->picks[3] != THREAD_PICKS * 6 / 5)
                w->status = SMT_EINTERNAL;
        return NULL;
}

/* While 4 threads pick, the main thread flips server 3 down and up and reads every state (a health
 * checker and a metrics scrape): afterwards each server's picks and failures are the threads' sums and
 * nothing is left active. */
static void run_concurrent(enum gw_balance_algorithm algorithm)
{
        static const char *const names[SERVERS] = {"a", "b", "c", "d"};
        struct gw_balancer_server servers[SERVERS];
        for (unsigned i = 0; i < SERVERS; i++)
                servers[i] = (struct gw_balancer_server){.name = names[i], .weight = i + 1};
        struct gw_balancer *b = NULL;
        struct err err = {0};
        CHECK_OK(gw_balancer_new(&b, servers, SERVERS, algorithm, &err), &err);
        struct worker workers[THREADS] = {0};
        for (size_t t = 0; t < THREADS; t++) {
                workers[t].b = b;
                workers[t].seed = t;
                CHECK_EQ(pthread_create(&workers[t].thread, NULL, worker_run, &workers[t]), 0);
        }
        for (int i = 0; i < 2000; i++) {
                set_up(b, 3, i % 2 == 1, i);
                for (size_t s = 0; s < SERVERS; s++)
                        (void)state_of(b, s, i);
        }
        set_up(b, 3, true, 3000);
        for (size_t t = 0; t < THREADS; t++)
                CHECK_EQ(pthread_join(workers[t].thread, NULL), 0);
        uint64_t total = 0;
        for (size_t s = 0; s < SERVERS; s++) {
                size_t picks = 0, failures = 0;
                for (size_t t = 0; t < THREADS; t++) {
                        CHECK_EQ(workers[t].status, 0);
                        picks += workers[t].picks[s];
                        failures += workers[t].failures[s];
                }
                struct gw_balancer_state state = state_of(b, s, THREAD_PICKS);
                CHECK_EQ(state.picks, picks);
                CHECK_EQ(state.failures, failures);
                CHECK_EQ(state.active, 0);
                total += state.picks;
        }
        CHECK_EQ(total, THREADS * THREAD_PICKS * 6 / 5);
        gw_balancer_free(b);
}

static void test_concurrent_picks(void)
{
        run_concurrent(GW_BALANCE_ROUND_ROBIN);
        run_concurrent(GW_BALANCE_WEIGHTED);
        run_concurrent(GW_BALANCE_LEAST_CONNECTIONS);
        run_concurrent(GW_BALANCE_RESPONSE_TIME);
        run_concurrent(GW_BALANCE_IP_HASH);
}

CHECK_MAIN(CHECK_TEST(test_concurrent_picks))
