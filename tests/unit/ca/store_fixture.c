/* tests/unit/ca/store_fixture.c: fresh stores and records for test_store. */
#include "store_fixture.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static char store_fixture_last_dsn[512];

bool store_fixture_is_postgresql(void)
{
        const char *dsn = getenv("SMT_TEST_PG_DSN");
        return dsn != NULL && dsn[0] != 0;
}

/* store_fixture_pg_conninfo returns the DSN as libpq takes it ("postgresql:" before key=value removed). */
static const char *store_fixture_pg_conninfo(const char *dsn)
{
        if (strncmp(dsn, "postgresql:", 11) == 0 && strncmp(dsn, "postgresql://", 13) != 0)
                return dsn + 11;
        return dsn;
}

static void store_fixture_exec_on(const char *dsn, const char *sql)
{
        if (strncmp(dsn, "postgres", 8) == 0) {
                PGconn *pg = PQconnectdb(store_fixture_pg_conninfo(dsn));
                PGresult *result = PQexec(pg, sql);
                ExecStatusType state = PQresultStatus(result);
                char message[300];
                snprintf(message, sizeof message, "%s", PQerrorMessage(pg));
                PQclear(result);
                PQfinish(pg);
                if (state != PGRES_COMMAND_OK && state != PGRES_TUPLES_OK)
                        check_fail(__FILE__, __LINE__, "postgresql: %s: %s", sql, message);
                return;
        }
        const char *path = strncmp(dsn, "sqlite:", 7) == 0 ? dsn + 7 : dsn;
        sqlite3 *db = NULL;
        int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);
        if (rc == SQLITE_OK) {
                sqlite3_busy_timeout(db, 10000);
                rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
        }
        char message[300];
        snprintf(message, sizeof message, "%s", sqlite3_errmsg(db));
        sqlite3_close_v2(db);
        if (rc != SQLITE_OK)
                check_fail(__FILE__, __LINE__, "sqlite: %s: %s", sql, message);
}

void store_fixture_exec(const char *sql)
{
        store_fixture_exec_on(store_fixture_last_dsn, sql);
}

struct store *store_fixture_open_fresh(const char *dsn, int pool_size)
{
        snprintf(store_fixture_last_dsn, sizeof store_fixture_last_dsn, "%s", dsn);
        if (strncmp(dsn, "postgres", 8) == 0)
                store_fixture_exec("DROP TABLE IF EXISTS cert_names, certificates, challenges, order_authzs, orders,"
                                   " authzs, eab_keys, accounts, nonces, cas, schema_version CASCADE");
        return store_fixture_open_again(pool_size);
}

struct store *store_fixture_open(int pool_size)
{
        static int num_opened;
        char dsn[512];
        if (store_fixture_is_postgresql())
                snprintf(dsn, sizeof dsn, "%s", getenv("SMT_TEST_PG_DSN"));
        else
                snprintf(dsn, sizeof dsn, "sqlite:%s/store-%d.db", check_temp_dir(), ++num_opened);
        return store_fixture_open_fresh(dsn, pool_size);
}

struct store *store_fixture_open_again(int pool_size)
{
        struct store *store = NULL;
        struct err err = {0};
        CHECK_OK(store_open(&store, store_fixture_last_dsn, pool_size, &err), &err);
        return store;
}

const char *store_fixture_dsn(void)
{
        return store_fixture_last_dsn;
}

void store_fixture_account(struct store *store, const char *id)
{
        struct store_account account = {
            .key_jwk = "{\"kty\":\"EC\"}", .contact_json = "[]", .status = STORE_ACCOUNT_VALID, .created_at = 1000};
        snprintf(account.id, sizeof account.id, "%s", id);
        snprintf(account.key_thumbprint, sizeof account.key_thumbprint, "tp-%s", id);
        struct err err = {0};
        CHECK_OK(store_account_insert(store, &account, &err), &err);
}

void store_fixture_order(struct store *store, const char *account_id, const char *order_id, size_t num_authzs,
                         int64_t created_at)
{
        struct store_authz authzs[8] = {0};
        struct store_challenge challenges[16] = {0};
        char authz_ids[8][STORE_ID_MAX];
        CHECK(num_authzs <= 8);
        for (size_t i = 0; i < num_authzs; i++) {
                snprintf(authz_ids[i], STORE_ID_MAX, "%.40s-a%zu", order_id, i);
                authzs[i] = (struct store_authz){.status = STORE_AUTHZ_PENDING, .expires_at = created_at + 3600};
                snprintf(authzs[i].id, STORE_ID_MAX, "%s", authz_ids[i]);
                snprintf(authzs[i].account_id, STORE_ID_MAX, "%s", account_id);
                snprintf(authzs[i].identifier_type, sizeof authzs[i].identifier_type, "dns");
                snprintf(authzs[i].identifier_value, STORE_NAME_MAX, "%zu.%s.example", i, order_id);
                for (size_t j = 0; j < 2; j++) {
                        struct store_challenge *challenge = &challenges[2 * i + j];
                        challenge->status = STORE_CHALLENGE_PENDING;
                        snprintf(challenge->id, STORE_ID_MAX, "%.40s-%s", authz_ids[i], j == 0 ? "http" : "dns");
                        snprintf(challenge->authz_id, STORE_ID_MAX, "%s", authz_ids[i]);
                        snprintf(challenge->type, sizeof challenge->type, "%s", j == 0 ? "http-01" : "dns-01");
                        snprintf(challenge->token, STORE_ID_MAX, "token-%zu-%zu", i, j);
                }
        }
        struct store_order order = {.status = STORE_ORDER_PENDING,
                                    .created_at = created_at,
                                    .expires_at = created_at + 7200,
                                    .identifiers_json = "[]",
                                    .authz_ids = authz_ids,
                                    .num_authz_ids = num_authzs};
        snprintf(order.id, sizeof order.id, "%s", order_id);
        snprintf(order.account_id, sizeof order.account_id, "%s", account_id);
        struct err err = {0};
        CHECK_OK(store_order_create(store, &order, authzs, num_authzs, challenges, 2 * num_authzs, &err), &err);
}

void store_fixture_make_ready(struct store *store, const char *order_id, size_t num_authzs)
{
        struct err err = {0};
        for (size_t i = 0; i < num_authzs; i++) {
                char id[STORE_ID_MAX];
                snprintf(id, sizeof id, "%s-a%zu-http", order_id, i);
                CHECK_OK(store_challenge_start(store, id, &err), &err);
                CHECK_OK(store_challenge_finish(store, id, true, NULL, 5000, &err), &err);
        }
}

static uint8_t store_fixture_der_bytes[STORE_FIXTURE_DER_LEN];
static pthread_once_t store_fixture_der_once = PTHREAD_ONCE_INIT;

static void store_fixture_der_fill(void)
{
        for (size_t i = 0; i < sizeof store_fixture_der_bytes; i++)
                store_fixture_der_bytes[i] = (uint8_t)(i * 7 + 3);
}

const uint8_t *store_fixture_der(void)
{
        pthread_once(&store_fixture_der_once, store_fixture_der_fill);
        return store_fixture_der_bytes;
}

void store_fixture_cert(struct store_cert *cert, const char *serial, const char *names, const char *ca_name,
                        int64_t created_at, int64_t not_after)
{
        *cert = (struct store_cert){.subject = "CN=fixture",
                                    .names = (char *)names,
                                    .not_before = created_at,
                                    .not_after = not_after,
                                    .created_at = created_at,
                                    .status = STORE_CERT_VALID,
                                    .revocation_reason = -1,
                                    .der = (uint8_t *)store_fixture_der(),
                                    .der_len = STORE_FIXTURE_DER_LEN};
        snprintf(cert->serial, sizeof cert->serial, "%s", serial);
        snprintf(cert->ca_name, sizeof cert->ca_name, "%s", ca_name);
        snprintf(cert->profile, sizeof cert->profile, "dv");
        snprintf(cert->key_thumbprint, sizeof cert->key_thumbprint, "kt-%s", serial);
}
