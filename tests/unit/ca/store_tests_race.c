/* tests/unit/ca/store_tests_race.c: the store's rules between concurrent requests. Threads (one struct store, or
 * two on one database as two processes would have) released together by a barrier race on one record: exactly
 * one wins, the others get the documented error. test_race_processes_* are driven by
 * tests/integration/test_ca_store_pg.py to race two real processes. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ca/store.h"
#include "check.h"
#include "store_fixture.h"
#include "store_tests.h"

#define RACE_THREADS 8
#define RACE_ROUNDS  10

/* race_op does one thread's attempt on record id; thread numbers its attempt (serials must differ). */
typedef int (*race_op)(struct store *store, int thread, const char *id, struct err *err);

struct race {
        struct store *stores[2];
        int num_stores;
        race_op op;
        const char *id;
        pthread_barrier_t barrier;
        int statuses[RACE_THREADS];
        char messages[RACE_THREADS][256];
};

struct race_thread {
        struct race *race;
        int index;
};

static void *race_thread_main(void *arg)
{
        struct race_thread *thread = arg;
        struct race *race = thread->race;
        struct err err = {0};
        pthread_barrier_wait(&race->barrier);
        struct store *store = race->stores[thread->index % race->num_stores];
        race->statuses[thread->index] = race->op(store, thread->index, race->id, &err);
        snprintf(race->messages[thread->index], sizeof race->messages[thread->index], "%s", err.msg);
        return NULL;
}

/* race_run lets RACE_THREADS threads do op on id at once and checks that exactly one succeeded and every other
 * failed with loser_status; returns the winner's thread number. */
static int race_run(struct store **stores, int num_stores, race_op op, const char *id, int loser_status)
{
        struct race race = {.num_stores = num_stores, .op = op, .id = id};
        memcpy(race.stores, stores, (size_t)num_stores * sizeof *stores);
        pthread_barrier_init(&race.barrier, NULL, RACE_THREADS);
        pthread_t threads[RACE_THREADS];
        struct race_thread args[RACE_THREADS];
        for (int i = 0; i < RACE_THREADS; i++) {
                args[i] = (struct race_thread){.race = &race, .index = i};
                CHECK(pthread_create(&threads[i], NULL, race_thread_main, &args[i]) == 0);
        }
        for (int i = 0; i < RACE_THREADS; i++)
                pthread_join(threads[i], NULL);
        pthread_barrier_destroy(&race.barrier);
        int winner = -1;
        for (int i = 0; i < RACE_THREADS; i++) {
                if (race.statuses[i] == 0) {
                        if (winner >= 0)
                                check_fail(__FILE__, __LINE__, "%s: threads %d and %d both won", id, winner, i);
                        winner = i;
                } else if (race.statuses[i] != loser_status) {
                        check_fail(__FILE__, __LINE__, "%s: thread %d got %s (%s), expected %s", id, i,
                                   err_name(race.statuses[i]), race.messages[i], err_name(loser_status));
                }
        }
        if (winner < 0)
                check_fail(__FILE__, __LINE__, "%s: no thread won", id);
        return winner;
}

static int race_start(struct store *store, int thread, const char *id, struct err *err)
{
        (void)thread;
        return store_challenge_start(store, id, err);
}

static void race_serial(char out[STORE_SERIAL_MAX], const char *order_id, int thread)
{
        snprintf(out, STORE_SERIAL_MAX, "%s-t%d", order_id, thread);
}

static int race_finalize(struct store *store, int thread, const char *id, struct err *err)
{
        char serial[STORE_SERIAL_MAX];
        race_serial(serial, id, thread);
        struct store_cert cert;
        store_fixture_cert(&cert, serial, "race.example", "ssl-sm2", 6000, 90000);
        return store_order_finalize(store, id, &cert, err);
}

static int race_redeem(struct store *store, int thread, const char *id, struct err *err)
{
        (void)thread;
        return store_nonce_redeem(store, id, 1010, 60, err);
}

static void race_challenge_start(struct store **stores, int num_stores, const char *order_id)
{
        char challenge[STORE_ID_MAX];
        store_fixture_order(stores[0], "acct", order_id, 1, 1000);
        snprintf(challenge, sizeof challenge, "%.30s-a0-http", order_id);
        race_run(stores, num_stores, race_start, challenge, CA_ECONFLICT);
}

/* race_order_finalize also checks the winner's certificate is the order's and no loser's was inserted. */
static void race_order_finalize(struct store **stores, int num_stores, const char *order_id)
{
        store_fixture_order(stores[0], "acct", order_id, 1, 1000);
        store_fixture_make_ready(stores[0], order_id, 1);
        int winner = race_run(stores, num_stores, race_finalize, order_id, CA_ECONFLICT);
        struct err err = {0};
        struct store_order order;
        CHECK_OK(store_order_get(stores[0], order_id, &order, &err), &err);
        char serial[STORE_SERIAL_MAX];
        race_serial(serial, order_id, winner);
        CHECK_EQ(order.status, STORE_ORDER_VALID);
        CHECK_STR(order.cert_serial, serial);
        store_order_clear(&order);
        for (int i = 0; i < RACE_THREADS; i++) {
                struct store_cert cert;
                race_serial(serial, order_id, i);
                int status = store_cert_get(stores[0], serial, &cert, &err);
                CHECK_EQ(status, i == winner ? 0 : CA_ENOT_FOUND);
                store_cert_clear(&cert);
        }
}

static void race_nonce_redeem(struct store **stores, int num_stores, const char *nonce)
{
        struct err err = {0};
        CHECK_OK(store_nonce_insert(stores[0], nonce, 1000, &err), &err);
        race_run(stores, num_stores, race_redeem, nonce, CA_ENOT_FOUND);
}

void test_store_race_challenge_start_threads(void)
{
        struct store *store = store_fixture_open(4);
        store_fixture_account(store, "acct");
        for (int round = 0; round < RACE_ROUNDS; round++) {
                char id[STORE_ID_MAX];
                snprintf(id, sizeof id, "o%d", round);
                race_challenge_start(&store, 1, id);
        }
        store_close(store);
}

void test_store_race_order_finalize_threads(void)
{
        struct store *store = store_fixture_open(4);
        store_fixture_account(store, "acct");
        for (int round = 0; round < RACE_ROUNDS; round++) {
                char id[STORE_ID_MAX];
                snprintf(id, sizeof id, "o%d", round);
                race_order_finalize(&store, 1, id);
        }
        store_close(store);
}

void test_store_race_nonce_redeem_threads(void)
{
        struct store *store = store_fixture_open(4);
        for (int round = 0; round < RACE_ROUNDS; round++) {
                char id[STORE_ID_MAX];
                snprintf(id, sizeof id, "nonce%d", round);
                race_nonce_redeem(&store, 1, id);
        }
        store_close(store);
}

/* Two struct stores on one database stand for two `smtrust ca` processes: no shared pool, no shared memory. */
void test_store_race_two_stores(void)
{
        struct store *stores[2];
        stores[0] = store_fixture_open(3);
        stores[1] = store_fixture_open_again(3);
        store_fixture_account(stores[0], "acct");
        for (int round = 0; round < RACE_ROUNDS; round++) {
                char id[STORE_ID_MAX];
                snprintf(id, sizeof id, "c%d", round);
                race_challenge_start(stores, 2, id);
                snprintf(id, sizeof id, "f%d", round);
                race_order_finalize(stores, 2, id);
                snprintf(id, sizeof id, "n%d", round);
                race_nonce_redeem(stores, 2, id);
        }
        store_close(stores[0]);
        store_close(stores[1]);
}

static int race_finish_own_authz(struct store *store, int thread, const char *id, struct err *err)
{
        char challenge[STORE_ID_MAX];
        snprintf(challenge, sizeof challenge, "%.30s-a%d-http", id, thread);
        return store_challenge_finish(store, challenge, true, NULL, 5000, err);
}

/* The last two authorizations of an order validated at once, from two stores: whichever commits last must see
 * the other's and make the order ready (at READ COMMITTED this needs the order locked before deciding). */
void test_store_race_order_ready_cascade(void)
{
        struct store *stores[2];
        stores[0] = store_fixture_open(RACE_THREADS);
        stores[1] = store_fixture_open_again(RACE_THREADS);
        store_fixture_account(stores[0], "acct");
        struct err err = {0};
        for (int round = 0; round < 2 * RACE_ROUNDS; round++) {
                char id[STORE_ID_MAX];
                snprintf(id, sizeof id, "o%d", round);
                store_fixture_order(stores[0], "acct", id, RACE_THREADS, 1000);
                for (int i = 0; i < RACE_THREADS; i++) {
                        char challenge[STORE_ID_MAX];
                        snprintf(challenge, sizeof challenge, "%.30s-a%d-http", id, i);
                        CHECK_OK(store_challenge_start(stores[0], challenge, &err), &err);
                }
                struct race race = {
                    .stores = {stores[0], stores[1]}, .num_stores = 2, .op = race_finish_own_authz, .id = id};
                pthread_barrier_init(&race.barrier, NULL, RACE_THREADS);
                pthread_t threads[RACE_THREADS];
                struct race_thread args[RACE_THREADS];
                for (int i = 0; i < RACE_THREADS; i++) {
                        args[i] = (struct race_thread){.race = &race, .index = i};
                        CHECK(pthread_create(&threads[i], NULL, race_thread_main, &args[i]) == 0);
                }
                for (int i = 0; i < RACE_THREADS; i++)
                        pthread_join(threads[i], NULL);
                pthread_barrier_destroy(&race.barrier);
                for (int i = 0; i < RACE_THREADS; i++)
                        CHECK_EQ(race.statuses[i], 0);
                struct store_order order;
                CHECK_OK(store_order_get(stores[1], id, &order, &err), &err);
                int status = order.status;
                store_order_clear(&order);
                CHECK_EQ(status, STORE_ORDER_READY);
        }
        store_close(stores[0]);
        store_close(stores[1]);
}

static int race_own_nonces(struct store *store, int thread, const char *id, struct err *err)
{
        for (int i = 0; i < 50; i++) {
                char nonce[STORE_ID_MAX];
                snprintf(nonce, sizeof nonce, "%s-%d-%d", id, thread, i);
                TRY(store_nonce_insert(store, nonce, 1000, err));
                TRY(store_nonce_redeem(store, nonce, 1001, 60, err));
        }
        return SMT_OK;
}

/* More threads than connections: they wait for one, none fails. */
void test_store_pool_of_one_serves_many_threads(void)
{
        struct store *store = store_fixture_open(1);
        struct race race = {.stores = {store}, .num_stores = 1, .op = race_own_nonces, .id = "pool"};
        pthread_barrier_init(&race.barrier, NULL, RACE_THREADS);
        pthread_t threads[RACE_THREADS];
        struct race_thread args[RACE_THREADS];
        for (int i = 0; i < RACE_THREADS; i++) {
                args[i] = (struct race_thread){.race = &race, .index = i};
                CHECK(pthread_create(&threads[i], NULL, race_thread_main, &args[i]) == 0);
        }
        for (int i = 0; i < RACE_THREADS; i++)
                pthread_join(threads[i], NULL);
        pthread_barrier_destroy(&race.barrier);
        for (int i = 0; i < RACE_THREADS; i++)
                if (race.statuses[i] != 0)
                        check_fail(__FILE__, __LINE__, "thread %d: %s", i, race.messages[i]);
        store_close(store);
}

/* The server ends the store's connection (as a restart would): the next call resets it once and succeeds. */
void test_store_postgresql_broken_connection_is_reset(void)
{
        if (!store_fixture_is_postgresql())
                return; /* SQLite has no server connection to lose */
        struct store *store = store_fixture_open(1);
        struct err err = {0};
        CHECK_OK(store_nonce_insert(store, "before", 1000, &err), &err);
        store_fixture_exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                           " WHERE datname = current_database() AND pid <> pg_backend_pid()");
        struct timespec pause = {.tv_nsec = 200 * 1000 * 1000};
        nanosleep(&pause, NULL);
        int64_t count = -1; /* a read first: were the server to die only while it runs, a retry changes nothing */
        CHECK_OK(store_order_count_since(store, "nobody", 0, &count, &err), &err);
        CHECK_EQ(count, 0);
        CHECK_OK(store_nonce_redeem(store, "before", 1001, 60, &err), &err);
        CHECK_OK(store_nonce_insert(store, "after", 1000, &err), &err);
        store_close(store);
}
