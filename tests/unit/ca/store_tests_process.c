/* tests/unit/ca/store_tests_process.c: two real processes racing on one database, driven by
 * tests/integration/test_ca_store_pg.py. With SMT_TEST_STORE_SHARED_DSN set, test_store_race_processes_setup fills
 * that database with STORE_RACE_RECORDS records of each kind, and each test_store_race_processes_worker (two run at
 * once, released by the file SMT_TEST_STORE_GO appearing) tries to win every one of them and prints a line
 * "won <record>" per win; the driver checks every record was won exactly once. Without the variable both do
 * nothing (ctest runs them so). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "ca/store.h"
#include "check.h"
#include "store_fixture.h"
#include "store_tests.h"

#define STORE_RACE_RECORDS 100

void test_store_race_processes_setup(void)
{
        const char *dsn = getenv("SMT_TEST_STORE_SHARED_DSN");
        if (dsn == NULL)
                return;
        struct store *store = store_fixture_open_fresh(dsn, 1);
        struct err err = {0};
        store_fixture_account(store, "acct");
        for (int i = 0; i < STORE_RACE_RECORDS; i++) {
                char id[STORE_ID_MAX];
                snprintf(id, sizeof id, "c%d", i);
                store_fixture_order(store, "acct", id, 1, 1000);
                snprintf(id, sizeof id, "f%d", i);
                store_fixture_order(store, "acct", id, 1, 1000);
                store_fixture_make_ready(store, id, 1);
                snprintf(id, sizeof id, "n%d", i);
                CHECK_OK(store_nonce_insert(store, id, 1000, &err), &err);
        }
        store_close(store);
}

static void race_wait_for_go(void)
{
        const char *go = getenv("SMT_TEST_STORE_GO");
        struct timespec pause = {.tv_nsec = 1000 * 1000};
        for (int i = 0; go != NULL && access(go, F_OK) != 0; i++) {
                if (i > 60 * 1000)
                        check_fail(__FILE__, __LINE__, "%s did not appear within a minute", go);
                nanosleep(&pause, NULL);
        }
}

/* race_report prints a win, accepts the documented loss, and fails on anything else. */
static void race_report(int status, const char *record, int loser_status, const struct err *err)
{
        if (status == 0)
                printf("won %s\n", record);
        else if (status != loser_status)
                check_fail(__FILE__, __LINE__, "%s: %s (%s)", record, err_name(status), err->msg);
}

void test_store_race_processes_worker(void)
{
        const char *dsn = getenv("SMT_TEST_STORE_SHARED_DSN");
        if (dsn == NULL)
                return;
        struct store *store = NULL;
        struct err err = {0};
        CHECK_OK(store_open(&store, dsn, 2, &err), &err);
        race_wait_for_go();
        for (int i = 0; i < STORE_RACE_RECORDS; i++) {
                char id[STORE_ID_MAX], record[STORE_ID_MAX];
                snprintf(record, sizeof record, "c%d-a0-http", i);
                race_report(store_challenge_start(store, record, &err), record, CA_ECONFLICT, &err);
                snprintf(id, sizeof id, "f%d", i);
                struct store_cert cert;
                char serial[STORE_SERIAL_MAX];
                snprintf(serial, sizeof serial, "%s-%ld", id, (long)getpid());
                store_fixture_cert(&cert, serial, "race.example", "ssl-sm2", 6000, 90000);
                race_report(store_order_finalize(store, id, &cert, &err), id, CA_ECONFLICT, &err);
                snprintf(record, sizeof record, "n%d", i);
                race_report(store_nonce_redeem(store, record, 1010, 60, &err), record, CA_ENOT_FOUND, &err);
        }
        fflush(stdout);
        store_close(store);
}
