/* tests/unit/ca/test_store.c: the CA store (src/ca/store.h): every function and every documented error, on
 * SQLite, and on PostgreSQL too when SMT_TEST_PG_DSN names a database (tests/integration/test_ca_store_pg.py
 * runs this binary so). Concurrency: threads and two struct stores racing on one record have one winner. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ca/store.h"
#include "check.h"
#include "store_fixture.h"
#include "store_tests.h"

static int test_mode_of(const char *path)
{
        struct stat st;
        if (stat(path, &st) != 0)
                check_fail(__FILE__, __LINE__, "stat %s failed", path);
        return (int)(st.st_mode & 0777);
}

/* A wide-open umask must not leak the CA's database to other users. */
static void test_open_sqlite_creates_private_files(void)
{
        char dir[512], path[600], dsn[620], wal[620], shm[620];
        snprintf(dir, sizeof dir, "%s/private/nested", check_temp_dir());
        snprintf(path, sizeof path, "%s/ca.db", dir);
        snprintf(dsn, sizeof dsn, "sqlite:%s", path);
        snprintf(wal, sizeof wal, "%s-wal", path);
        snprintf(shm, sizeof shm, "%s-shm", path);
        mode_t old_umask = umask(0);
        struct store *store = NULL;
        struct err err = {0};
        int status = store_open(&store, dsn, 2, &err);
        umask(old_umask);
        CHECK_OK(status, &err);
        CHECK_STR(store_backend_name(store), "sqlite");
        CHECK_OK(store_nonce_insert(store, "n1", 100, &err), &err); /* a write: the WAL exists now */
        CHECK_EQ(test_mode_of(dir), 0700);
        char parent[560];
        snprintf(parent, sizeof parent, "%s/private", check_temp_dir());
        CHECK_EQ(test_mode_of(parent), 0700);
        CHECK_EQ(test_mode_of(path), 0600);
        CHECK_EQ(test_mode_of(wal), 0600);
        CHECK_EQ(test_mode_of(shm), 0600);
        store_close(store);
        /* A plain path is SQLite too, and the data written above is there. */
        CHECK_OK(store_open(&store, path, 1, &err), &err);
        CHECK_OK(store_nonce_redeem(store, "n1", 110, 60, &err), &err);
        store_close(store);
}

static void test_open_refuses_bad_arguments(void)
{
        struct store *store = NULL;
        struct err err = {0};
        char path[600];
        snprintf(path, sizeof path, "%s/bad.db", check_temp_dir());
        CHECK_STATUS(store_open(&store, path, 0, &err), SMT_EINVAL);
        CHECK_STATUS(store_open(&store, "sqlite:", 1, &err), SMT_EINVAL);
        CHECK_STATUS(store_open(&store, "/proc/no/such/dir/ca.db", 1, &err), CA_ESTORE);
        CHECK(strstr(err.msg, "/proc/no") != NULL);
        store_close(NULL);
}

static void test_open_refuses_other_schema_version(void)
{
        struct store *store = store_fixture_open(1);
        store_close(store);
        store_fixture_exec("UPDATE schema_version SET version = 99");
        struct err err = {0};
        CHECK_STATUS(store_open(&store, store_fixture_dsn(), 1, &err), CA_ESTORE);
        CHECK(strstr(err.msg, "99") != NULL);
        CHECK(strstr(err.msg, "version 1") != NULL);
}

/* Nothing listens on port 1: connecting fails, and the message must not carry the password in any spelling. */
static void test_open_postgresql_error_hides_password(void)
{
        static const char *const dsns[] = {
            "postgresql://smt:Secret123@127.0.0.1:1/ca",
            "postgres://smt@127.0.0.1:1/ca?password=Secret123",
            "postgresql:host=127.0.0.1 port=1 dbname=ca user=smt password=Secret123",
            "postgresql:host=127.0.0.1 port=1 password='Secret123' dbname=ca",
        };
        for (size_t i = 0; i < sizeof dsns / sizeof dsns[0]; i++) {
                struct store *store = NULL;
                struct err err = {0};
                CHECK_STATUS(store_open(&store, dsns[i], 1, &err), CA_ESTORE);
                CHECK(strstr(err.msg, "Secret123") == NULL);
                CHECK(strstr(err.msg, "127.0.0.1") != NULL);
        }
}

static void test_new_id(void)
{
        char a[STORE_ID_MAX], b[STORE_ID_MAX];
        struct err err = {0};
        CHECK_OK(store_new_id(a, &err), &err);
        CHECK_OK(store_new_id(b, &err), &err);
        CHECK_EQ(strlen(a), 22);
        CHECK_EQ(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), 22);
        CHECK(strcmp(a, b) != 0);
        /* One id in 32 would start with '-' or '_' if nothing prevented it; 2,000 draws would show some. */
        for (int i = 0; i < 2000; i++) {
                CHECK_OK(store_new_id(a, &err), &err);
                CHECK(a[0] != '-' && a[0] != '_');
                CHECK_EQ(strlen(a), 22);
        }
}

static struct store_account test_account(const char *id, const char *thumbprint)
{
        struct store_account account = {.key_jwk = "{\"kty\":\"EC\",\"crv\":\"P-256\"}",
                                        .contact_json = "[\"mailto:a@example.com\"]",
                                        .status = STORE_ACCOUNT_VALID,
                                        .created_at = 1700000000};
        snprintf(account.id, sizeof account.id, "%s", id);
        snprintf(account.key_thumbprint, sizeof account.key_thumbprint, "%s", thumbprint);
        return account;
}

static void test_account_insert_get_find(void)
{
        struct store *store = store_fixture_open(2);
        CHECK(strcmp(store_backend_name(store), store_fixture_is_postgresql() ? "postgresql" : "sqlite") == 0);
        struct err err = {0};
        struct store_account account = test_account("acct1", "thumb1");
        account.organization = "Example Ltd";
        CHECK_OK(store_account_insert(store, &account, &err), &err);
        struct store_account got;
        CHECK_OK(store_account_get(store, "acct1", &got, &err), &err);
        CHECK_STR(got.id, "acct1");
        CHECK_STR(got.key_thumbprint, "thumb1");
        CHECK_STR(got.key_jwk, account.key_jwk);
        CHECK_STR(got.contact_json, account.contact_json);
        CHECK_EQ(got.status, STORE_ACCOUNT_VALID);
        CHECK_EQ(got.created_at, 1700000000);
        CHECK_STR(got.eab_kid, "");
        CHECK_STR(got.organization, "Example Ltd");
        store_account_clear(&got);
        CHECK_OK(store_account_find_by_thumbprint(store, "thumb1", &got, &err), &err);
        CHECK_STR(got.id, "acct1");
        store_account_clear(&got);
        CHECK_STATUS(store_account_get(store, "nobody", &got, &err), CA_ENOT_FOUND);
        CHECK(got.key_jwk == NULL);
        CHECK_STATUS(store_account_find_by_thumbprint(store, "thumb2", &got, &err), CA_ENOT_FOUND);
        struct store_account second = test_account("acct2", "thumb2"); /* organization NULL: DV only */
        CHECK_OK(store_account_insert(store, &second, &err), &err);
        CHECK_OK(store_account_get(store, "acct2", &got, &err), &err);
        CHECK(got.organization == NULL);
        store_account_clear(&got);
        store_close(store);
}

static void test_account_conflicts(void)
{
        struct store *store = store_fixture_open(1);
        struct err err = {0};
        struct store_account account = test_account("acct1", "thumb1");
        CHECK_OK(store_account_insert(store, &account, &err), &err);
        struct store_account same_key = test_account("acct2", "thumb1");
        CHECK_STATUS(store_account_insert(store, &same_key, &err), CA_ECONFLICT);
        CHECK(strstr(err.msg, "thumb1") != NULL);
        struct store_account same_id = test_account("acct1", "thumb9");
        CHECK_STATUS(store_account_insert(store, &same_id, &err), CA_ECONFLICT);
        struct store_account got;
        CHECK_STATUS(store_account_get(store, "acct2", &got, &err), CA_ENOT_FOUND);
        CHECK_STATUS(store_account_find_by_thumbprint(store, "thumb9", &got, &err), CA_ENOT_FOUND);
        store_close(store);
}

static void test_account_update(void)
{
        struct store *store = store_fixture_open(1);
        struct err err = {0};
        struct store_account one = test_account("acct1", "thumb1"), two = test_account("acct2", "thumb2");
        CHECK_OK(store_account_insert(store, &one, &err), &err);
        CHECK_OK(store_account_insert(store, &two, &err), &err);
        /* Key roll-over and new contacts. */
        one.key_thumbprint[5] = '3';
        one.key_jwk = "{\"kty\":\"EC\",\"crv\":\"P-384\"}";
        one.contact_json = "[]";
        one.organization = "Org";
        CHECK_OK(store_account_update(store, &one, &err), &err);
        struct store_account got;
        CHECK_OK(store_account_find_by_thumbprint(store, "thumb3", &got, &err), &err);
        CHECK_STR(got.key_jwk, one.key_jwk);
        CHECK_STR(got.contact_json, "[]");
        CHECK_STR(got.organization, "Org");
        store_account_clear(&got);
        /* Rolling over to another account's key: refused, nothing changed. */
        struct store_account stolen = one;
        snprintf(stolen.key_thumbprint, sizeof stolen.key_thumbprint, "thumb2");
        stolen.contact_json = "[\"mailto:x@example.com\"]";
        CHECK_STATUS(store_account_update(store, &stolen, &err), CA_ECONFLICT);
        CHECK_OK(store_account_get(store, "acct1", &got, &err), &err);
        CHECK_STR(got.key_thumbprint, "thumb3");
        CHECK_STR(got.contact_json, "[]");
        store_account_clear(&got);
        /* Deactivation is final. */
        one.status = STORE_ACCOUNT_DEACTIVATED;
        CHECK_OK(store_account_update(store, &one, &err), &err);
        one.status = STORE_ACCOUNT_VALID;
        CHECK_STATUS(store_account_update(store, &one, &err), CA_ECONFLICT);
        CHECK_OK(store_account_get(store, "acct1", &got, &err), &err);
        CHECK_EQ(got.status, STORE_ACCOUNT_DEACTIVATED);
        store_account_clear(&got);
        one.status = STORE_ACCOUNT_REVOKED;
        CHECK_OK(store_account_update(store, &one, &err), &err);
        struct store_account ghost = test_account("ghost", "thumb7");
        CHECK_STATUS(store_account_update(store, &ghost, &err), CA_ENOT_FOUND);
        store_close(store);
}

static void test_eab_keys(void)
{
        struct store *store = store_fixture_open(1);
        struct err err = {0};
        struct store_eab_key key = {.kid = "kid1", .key_len = STORE_EAB_KEY_MAX, .created_at = 42};
        for (size_t i = 0; i < key.key_len; i++)
                key.key[i] = (uint8_t)(255 - 2 * i); /* 0x00 and 0xff among them */
        key.key[3] = 0;
        CHECK_OK(store_eab_insert(store, &key, &err), &err);
        struct store_eab_key got;
        CHECK_OK(store_eab_get(store, "kid1", &got, &err), &err);
        CHECK_STR(got.kid, "kid1");
        CHECK_EQ(got.key_len, STORE_EAB_KEY_MAX);
        CHECK_MEM(got.key, key.key, key.key_len);
        CHECK_STR(got.account_id, "");
        CHECK_EQ(got.created_at, 42);
        CHECK_STATUS(store_eab_insert(store, &key, &err), CA_ECONFLICT);
        CHECK_STATUS(store_eab_get(store, "kid2", &got, &err), CA_ENOT_FOUND);
        key.key_len = 0;
        CHECK_STATUS(store_eab_insert(store, &key, &err), SMT_EINVAL);
        key.key_len = STORE_EAB_KEY_MAX + 1;
        CHECK_STATUS(store_eab_insert(store, &key, &err), SMT_EINVAL);
        store_close(store);
}

static void test_account_with_eab(void)
{
        struct store *store = store_fixture_open(1);
        struct err err = {0};
        struct store_eab_key key = {.kid = "kid1", .key = {1, 2, 3}, .key_len = 3, .created_at = 42};
        CHECK_OK(store_eab_insert(store, &key, &err), &err);
        struct store_account account = test_account("acct1", "thumb1");
        snprintf(account.eab_kid, sizeof account.eab_kid, "kid1");
        CHECK_OK(store_account_insert(store, &account, &err), &err);
        struct store_eab_key got;
        CHECK_OK(store_eab_get(store, "kid1", &got, &err), &err);
        CHECK_STR(got.account_id, "acct1");
        struct store_account got_account;
        CHECK_OK(store_account_get(store, "acct1", &got_account, &err), &err);
        CHECK_STR(got_account.eab_kid, "kid1");
        store_account_clear(&got_account);
        /* The key is used: a second account with it is refused and not created. */
        struct store_account second = test_account("acct2", "thumb2");
        snprintf(second.eab_kid, sizeof second.eab_kid, "kid1");
        CHECK_STATUS(store_account_insert(store, &second, &err), CA_ECONFLICT);
        CHECK_STATUS(store_account_get(store, "acct2", &got_account, &err), CA_ENOT_FOUND);
        /* An unknown key: refused, not created. */
        snprintf(second.eab_kid, sizeof second.eab_kid, "kid9");
        CHECK_STATUS(store_account_insert(store, &second, &err), CA_ENOT_FOUND);
        CHECK_STATUS(store_account_get(store, "acct2", &got_account, &err), CA_ENOT_FOUND);
        CHECK_OK(store_eab_get(store, "kid1", &got, &err), &err);
        CHECK_STR(got.account_id, "acct1");
        store_close(store);
}

CHECK_MAIN(CHECK_TEST(test_open_sqlite_creates_private_files), CHECK_TEST(test_open_refuses_bad_arguments),
           CHECK_TEST(test_open_refuses_other_schema_version), CHECK_TEST(test_open_postgresql_error_hides_password),
           CHECK_TEST(test_new_id), CHECK_TEST(test_account_insert_get_find), CHECK_TEST(test_account_conflicts),
           CHECK_TEST(test_account_update), CHECK_TEST(test_eab_keys), CHECK_TEST(test_account_with_eab),
           CHECK_TEST(test_store_order_create_and_get), CHECK_TEST(test_store_order_create_conflict_changes_nothing),
           CHECK_TEST(test_store_order_list_and_count),
           CHECK_TEST(test_store_challenge_start_and_finish_make_order_ready),
           CHECK_TEST(test_store_challenge_failure_invalidates_authz_and_order),
           CHECK_TEST(test_store_authz_shared_by_two_orders), CHECK_TEST(test_store_authz_find_valid),
           CHECK_TEST(test_store_authz_deactivate), CHECK_TEST(test_store_order_finalize),
           CHECK_TEST(test_store_order_set_invalid), CHECK_TEST(test_store_nonce_redeem_once),
           CHECK_TEST(test_store_nonce_purge), CHECK_TEST(test_store_cert_insert_and_get),
           CHECK_TEST(test_store_cert_revoke), CHECK_TEST(test_store_cert_search),
           CHECK_TEST(test_store_ca_insert_and_list), CHECK_TEST(test_store_race_challenge_start_threads),
           CHECK_TEST(test_store_race_order_finalize_threads), CHECK_TEST(test_store_race_nonce_redeem_threads),
           CHECK_TEST(test_store_race_two_stores), CHECK_TEST(test_store_race_order_ready_cascade),
           CHECK_TEST(test_store_pool_of_one_serves_many_threads),
           CHECK_TEST(test_store_postgresql_broken_connection_is_reset), CHECK_TEST(test_store_race_processes_setup),
           CHECK_TEST(test_store_race_processes_worker))
