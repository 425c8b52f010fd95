/* tests/unit/ca/store_tests_order.c: orders, authorizations and challenges (RFC 8555 7.1) in the store. */
#include <stdio.h>
#include <string.h>

#include "ca/store.h"
#include "check.h"
#include "store_fixture.h"
#include "store_tests.h"

static int order_status(struct store *store, const char *id)
{
        struct store_order order;
        struct err err = {0};
        CHECK_OK(store_order_get(store, id, &order, &err), &err);
        int status = order.status;
        store_order_clear(&order);
        return status;
}

static int authz_status(struct store *store, const char *id)
{
        struct store_authz authz;
        struct err err = {0};
        CHECK_OK(store_authz_get(store, id, &authz, &err), &err);
        return authz.status;
}

static int challenge_status(struct store *store, const char *id)
{
        struct store_challenge challenge;
        struct err err = {0};
        CHECK_OK(store_challenge_get(store, id, &challenge, &err), &err);
        store_challenge_clear(&challenge);
        return challenge.status;
}

static void new_authz(struct store_authz *authz, const char *id, const char *value, bool wildcard)
{
        *authz = (struct store_authz){.wildcard = wildcard, .status = STORE_AUTHZ_PENDING, .expires_at = 9000};
        snprintf(authz->id, sizeof authz->id, "%s", id);
        snprintf(authz->account_id, sizeof authz->account_id, "acct");
        snprintf(authz->identifier_type, sizeof authz->identifier_type, "dns");
        snprintf(authz->identifier_value, sizeof authz->identifier_value, "%s", value);
}

static void new_challenge(struct store_challenge *challenge, const char *id, const char *authz_id, const char *type)
{
        *challenge = (struct store_challenge){.status = STORE_CHALLENGE_PENDING};
        snprintf(challenge->id, sizeof challenge->id, "%s", id);
        snprintf(challenge->authz_id, sizeof challenge->authz_id, "%s", authz_id);
        snprintf(challenge->type, sizeof challenge->type, "%s", type);
        snprintf(challenge->token, sizeof challenge->token, "tok-%s", id);
}

/* check_new_authz_and_challenges reads back what test_store_order_create_and_get inserted. */
static void check_new_authz_and_challenges(struct store *store)
{
        struct err err = {0};
        struct store_authz authz;
        CHECK_OK(store_authz_get(store, "new-c", &authz, &err), &err);
        CHECK_STR(authz.account_id, "acct");
        CHECK_STR(authz.identifier_type, "dns");
        CHECK_STR(authz.identifier_value, "example.com");
        CHECK(authz.wildcard);
        CHECK_EQ(authz.status, STORE_AUTHZ_PENDING);
        CHECK_EQ(authz.expires_at, 9000);
        struct store_challenge listed[4];
        size_t num = 0;
        CHECK_OK(store_challenge_list(store, "new-a", listed, 4, &num, &err), &err);
        CHECK_EQ(num, 2);
        CHECK_STR(listed[0].id, "new-a-dns");
        CHECK_STR(listed[1].id, "new-a-alpn");
        CHECK_STR(listed[1].type, "tls-alpn-01");
        CHECK_STR(listed[1].token, "tok-new-a-alpn");
        CHECK_EQ(listed[1].status, STORE_CHALLENGE_PENDING);
        CHECK_EQ(listed[1].validated_at, 0);
        CHECK(listed[1].error_json == NULL);
        for (size_t i = 0; i < num; i++)
                store_challenge_clear(&listed[i]);
        CHECK_OK(store_challenge_list(store, "new-a", listed, 1, &num, &err), &err);
        CHECK_EQ(num, 1);
        store_challenge_clear(&listed[0]);
        struct store_challenge challenge;
        CHECK_OK(store_challenge_get(store, "new-c-dns", &challenge, &err), &err);
        CHECK_STR(challenge.authz_id, "new-c");
        store_challenge_clear(&challenge);
}

/* An order of two new authorizations and one reused (valid, from an earlier order), in identifier order. */
void test_store_order_create_and_get(void)
{
        struct store *store = store_fixture_open(2);
        struct err err = {0};
        store_fixture_account(store, "acct");
        store_fixture_order(store, "acct", "old", 1, 1000);
        store_fixture_make_ready(store, "old", 1);
        struct store_authz authzs[2];
        new_authz(&authzs[0], "new-a", "a.example.com", false);
        new_authz(&authzs[1], "new-c", "example.com", true);
        struct store_challenge challenges[3];
        new_challenge(&challenges[0], "new-a-dns", "new-a", "dns-01"); /* inserted first, listed first */
        new_challenge(&challenges[1], "new-a-alpn", "new-a", "tls-alpn-01");
        new_challenge(&challenges[2], "new-c-dns", "new-c", "dns-01");
        char authz_ids[3][STORE_ID_MAX] = {"new-a", "old-a0", "new-c"};
        struct store_order order = {.id = "ord",
                                    .account_id = "acct",
                                    .status = STORE_ORDER_PENDING,
                                    .created_at = 2000,
                                    .expires_at = 9000,
                                    .not_before = 2100,
                                    .not_after = 8000,
                                    .identifiers_json = "[{\"type\":\"dns\",\"value\":\"a.example.com\"}]",
                                    .replaces = "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE",
                                    .authz_ids = authz_ids,
                                    .num_authz_ids = 3};
        CHECK_OK(store_order_create(store, &order, authzs, 2, challenges, 3, &err), &err);
        struct store_order got;
        CHECK_OK(store_order_get(store, "ord", &got, &err), &err);
        CHECK_STR(got.account_id, "acct");
        CHECK_EQ(got.status, STORE_ORDER_PENDING);
        CHECK_EQ(got.created_at, 2000);
        CHECK_EQ(got.expires_at, 9000);
        CHECK_EQ(got.not_before, 2100);
        CHECK_EQ(got.not_after, 8000);
        CHECK_STR(got.identifiers_json, order.identifiers_json);
        CHECK(got.error_json == NULL);
        CHECK_STR(got.cert_serial, "");
        CHECK_STR(got.replaces, order.replaces);
        CHECK_STR(got.profile, "");
        CHECK_EQ(got.num_authz_ids, 3);
        CHECK_STR(got.authz_ids[0], "new-a");
        CHECK_STR(got.authz_ids[1], "old-a0");
        CHECK_STR(got.authz_ids[2], "new-c");
        store_order_clear(&got);
        check_new_authz_and_challenges(store);
        CHECK_STATUS(store_order_get(store, "nope", &got, &err), CA_ENOT_FOUND);
        struct store_authz authz;
        CHECK_STATUS(store_authz_get(store, "nope", &authz, &err), CA_ENOT_FOUND);
        struct store_challenge challenge;
        CHECK_STATUS(store_challenge_get(store, "nope", &challenge, &err), CA_ENOT_FOUND);
        store_close(store);
}

void test_store_order_create_conflict_changes_nothing(void)
{
        struct store *store = store_fixture_open(1);
        struct err err = {0};
        store_fixture_account(store, "acct");
        store_fixture_order(store, "acct", "ord", 1, 1000);
        struct store_authz authz;
        new_authz(&authz, "fresh", "fresh.example", false);
        struct store_challenge challenge;
        new_challenge(&challenge, "fresh-http", "fresh", "http-01");
        char authz_ids[1][STORE_ID_MAX] = {"fresh"};
        struct store_order order = {.id = "ord",
                                    .account_id = "acct",
                                    .status = STORE_ORDER_PENDING,
                                    .identifiers_json = "[]",
                                    .authz_ids = authz_ids,
                                    .num_authz_ids = 1};
        CHECK_STATUS(store_order_create(store, &order, &authz, 1, &challenge, 1, &err), CA_ECONFLICT);
        CHECK_STATUS(store_authz_get(store, "fresh", &authz, &err), CA_ENOT_FOUND);
        CHECK_STATUS(store_challenge_get(store, "fresh-http", &challenge, &err), CA_ENOT_FOUND);
        store_close(store);
}

void test_store_order_list_and_count(void)
{
        struct store *store = store_fixture_open(1);
        struct err err = {0};
        store_fixture_account(store, "acct");
        store_fixture_account(store, "other");
        store_fixture_order(store, "acct", "o200", 1, 200);
        store_fixture_order(store, "acct", "o100", 1, 100);
        store_fixture_order(store, "acct", "o300", 1, 300);
        store_fixture_order(store, "other", "x", 1, 250);
        char ids[4][STORE_ID_MAX];
        size_t num = 0;
        CHECK_OK(store_order_list_ids(store, "acct", ids, 4, &num, &err), &err);
        CHECK_EQ(num, 3);
        CHECK_STR(ids[0], "o300");
        CHECK_STR(ids[1], "o200");
        CHECK_STR(ids[2], "o100");
        CHECK_OK(store_order_list_ids(store, "acct", ids, 2, &num, &err), &err);
        CHECK_EQ(num, 2);
        CHECK_STR(ids[1], "o200");
        CHECK_OK(store_order_list_ids(store, "nobody", ids, 4, &num, &err), &err);
        CHECK_EQ(num, 0);
        int64_t count = -1;
        CHECK_OK(store_order_count_since(store, "acct", 200, &count, &err), &err);
        CHECK_EQ(count, 2);
        CHECK_OK(store_order_count_since(store, "acct", 301, &count, &err), &err);
        CHECK_EQ(count, 0);
        CHECK_OK(store_order_count_since(store, "other", 0, &count, &err), &err);
        CHECK_EQ(count, 1);
        store_close(store);
}

void test_store_challenge_start_and_finish_make_order_ready(void)
{
        struct store *store = store_fixture_open(2);
        struct err err = {0};
        store_fixture_account(store, "acct");
        store_fixture_order(store, "acct", "o", 2, 1000);
        CHECK_OK(store_challenge_start(store, "o-a0-http", &err), &err);
        CHECK_STATUS(store_challenge_start(store, "o-a0-http", &err), CA_ECONFLICT);
        CHECK_STATUS(store_challenge_start(store, "nope", &err), CA_ENOT_FOUND);
        CHECK_EQ(challenge_status(store, "o-a0-http"), STORE_CHALLENGE_PROCESSING);
        char ids[4][STORE_ID_MAX];
        size_t num = 0;
        CHECK_OK(store_challenge_list_processing(store, ids, 4, &num, &err), &err);
        CHECK_EQ(num, 1);
        CHECK_STR(ids[0], "o-a0-http");
        CHECK_STATUS(store_challenge_finish(store, "o-a1-http", true, NULL, 5000, &err), CA_ECONFLICT); /* pending */
        CHECK_STATUS(store_challenge_finish(store, "nope", true, NULL, 5000, &err), CA_ENOT_FOUND);
        CHECK_OK(store_challenge_finish(store, "o-a0-http", true, NULL, 5000, &err), &err);
        struct store_challenge challenge;
        CHECK_OK(store_challenge_get(store, "o-a0-http", &challenge, &err), &err);
        CHECK_EQ(challenge.status, STORE_CHALLENGE_VALID);
        CHECK_EQ(challenge.validated_at, 5000);
        CHECK(challenge.error_json == NULL);
        store_challenge_clear(&challenge);
        CHECK_EQ(authz_status(store, "o-a0"), STORE_AUTHZ_VALID);
        CHECK_EQ(order_status(store, "o"), STORE_ORDER_PENDING); /* o-a1 is still pending */
        CHECK_STATUS(store_challenge_finish(store, "o-a0-http", true, NULL, 5001, &err), CA_ECONFLICT);
        CHECK_STATUS(store_challenge_start(store, "o-a0-dns", &err), CA_ECONFLICT); /* its authz is valid */
        CHECK_OK(store_challenge_start(store, "o-a1-dns", &err), &err);
        CHECK_OK(store_challenge_finish(store, "o-a1-dns", true, NULL, 5002, &err), &err);
        CHECK_EQ(order_status(store, "o"), STORE_ORDER_READY);
        CHECK_OK(store_challenge_list_processing(store, ids, 4, &num, &err), &err);
        CHECK_EQ(num, 0);
        store_close(store);
}

void test_store_challenge_failure_invalidates_authz_and_order(void)
{
        static const char problem[] = "{\"type\":\"urn:ietf:params:acme:error:unauthorized\"}";
        struct store *store = store_fixture_open(1);
        struct err err = {0};
        store_fixture_account(store, "acct");
        store_fixture_order(store, "acct", "o", 2, 1000);
        CHECK_OK(store_challenge_start(store, "o-a0-http", &err), &err);
        CHECK_OK(store_challenge_finish(store, "o-a0-http", false, problem, 5000, &err), &err);
        struct store_challenge challenge;
        CHECK_OK(store_challenge_get(store, "o-a0-http", &challenge, &err), &err);
        CHECK_EQ(challenge.status, STORE_CHALLENGE_INVALID);
        CHECK_EQ(challenge.validated_at, 0);
        CHECK_STR(challenge.error_json, problem);
        store_challenge_clear(&challenge);
        CHECK_EQ(authz_status(store, "o-a0"), STORE_AUTHZ_INVALID);
        struct store_order order;
        CHECK_OK(store_order_get(store, "o", &order, &err), &err);
        CHECK_EQ(order.status, STORE_ORDER_INVALID);
        CHECK_STR(order.error_json, problem);
        store_order_clear(&order);
        CHECK_STATUS(store_challenge_start(store, "o-a0-dns", &err), CA_ECONFLICT);
        /* The other authorization can still be validated; the order stays invalid. */
        CHECK_OK(store_challenge_start(store, "o-a1-http", &err), &err);
        CHECK_OK(store_challenge_finish(store, "o-a1-http", true, NULL, 5001, &err), &err);
        CHECK_EQ(authz_status(store, "o-a1"), STORE_AUTHZ_VALID);
        CHECK_EQ(order_status(store, "o"), STORE_ORDER_INVALID);
        store_close(store);
}

/* reuse_order creates order id of the account "acct" whose only authorization is the existing authz_id. */
static void reuse_order(struct store *store, const char *id, const char *authz_id)
{
        char authz_ids[1][STORE_ID_MAX];
        snprintf(authz_ids[0], STORE_ID_MAX, "%s", authz_id);
        struct store_order order = {.account_id = "acct",
                                    .status = STORE_ORDER_PENDING,
                                    .created_at = 1500,
                                    .identifiers_json = "[]",
                                    .authz_ids = authz_ids,
                                    .num_authz_ids = 1};
        snprintf(order.id, sizeof order.id, "%s", id);
        struct err err = {0};
        CHECK_OK(store_order_create(store, &order, NULL, 0, NULL, 0, &err), &err);
}

/* One authorization in two pending orders: its result reaches both. */
void test_store_authz_shared_by_two_orders(void)
{
        struct store *store = store_fixture_open(1);
        struct err err = {0};
        store_fixture_account(store, "acct");
        store_fixture_order(store, "acct", "o", 1, 1000);
        reuse_order(store, "p", "o-a0");
        CHECK_OK(store_challenge_start(store, "o-a0-dns", &err), &err);
        CHECK_OK(store_challenge_finish(store, "o-a0-dns", true, NULL, 5000, &err), &err);
        CHECK_EQ(order_status(store, "o"), STORE_ORDER_READY);
        CHECK_EQ(order_status(store, "p"), STORE_ORDER_READY);
        store_fixture_order(store, "acct", "f", 1, 1000);
        reuse_order(store, "g", "f-a0");
        CHECK_OK(store_challenge_start(store, "f-a0-dns", &err), &err);
        CHECK_OK(store_challenge_finish(store, "f-a0-dns", false, "{\"status\":403}", 5000, &err), &err);
        CHECK_EQ(order_status(store, "f"), STORE_ORDER_INVALID);
        CHECK_EQ(order_status(store, "g"), STORE_ORDER_INVALID);
        store_close(store);
}

void test_store_authz_find_valid(void)
{
        struct store *store = store_fixture_open(1);
        struct err err = {0};
        store_fixture_account(store, "acct");
        store_fixture_account(store, "other");
        store_fixture_order(store, "acct", "v", 1, 1000); /* authz v-a0 for 0.v.example, expires 4600 */
        store_fixture_make_ready(store, "v", 1);
        store_fixture_order(store, "acct", "p", 1, 1000); /* pending */
        struct store_authz authz;
        CHECK_OK(store_authz_find_valid(store, "acct", "dns", "0.v.example", false, 2000, &authz, &err), &err);
        CHECK_STR(authz.id, "v-a0");
        CHECK_EQ(authz.status, STORE_AUTHZ_VALID);
        CHECK_STATUS(store_authz_find_valid(store, "acct", "dns", "0.v.example", false, 4600, &authz, &err),
                     CA_ENOT_FOUND);
        CHECK_STATUS(store_authz_find_valid(store, "acct", "dns", "0.v.example", true, 2000, &authz, &err),
                     CA_ENOT_FOUND);
        CHECK_STATUS(store_authz_find_valid(store, "acct", "ip", "0.v.example", false, 2000, &authz, &err),
                     CA_ENOT_FOUND);
        CHECK_STATUS(store_authz_find_valid(store, "other", "dns", "0.v.example", false, 2000, &authz, &err),
                     CA_ENOT_FOUND);
        CHECK_STATUS(store_authz_find_valid(store, "acct", "dns", "0.p.example", false, 2000, &authz, &err),
                     CA_ENOT_FOUND);
        store_close(store);
}

void test_store_authz_deactivate(void)
{
        struct store *store = store_fixture_open(1);
        struct err err = {0};
        store_fixture_account(store, "acct");
        store_fixture_order(store, "acct", "p", 2, 1000);
        CHECK_OK(store_authz_deactivate(store, "p-a0", &err), &err);
        CHECK_EQ(authz_status(store, "p-a0"), STORE_AUTHZ_DEACTIVATED);
        CHECK_EQ(order_status(store, "p"), STORE_ORDER_INVALID);
        CHECK_STATUS(store_authz_deactivate(store, "p-a0", &err), CA_ECONFLICT);
        CHECK_STATUS(store_authz_deactivate(store, "nope", &err), CA_ENOT_FOUND);
        CHECK_STATUS(store_challenge_start(store, "p-a0-http", &err), CA_ECONFLICT);
        /* A valid authorization of a ready order. */
        store_fixture_order(store, "acct", "r", 1, 1000);
        store_fixture_make_ready(store, "r", 1);
        CHECK_EQ(order_status(store, "r"), STORE_ORDER_READY);
        CHECK_OK(store_authz_deactivate(store, "r-a0", &err), &err);
        CHECK_EQ(order_status(store, "r"), STORE_ORDER_INVALID);
        /* An invalid authorization cannot be deactivated. */
        store_fixture_order(store, "acct", "i", 1, 1000);
        CHECK_OK(store_challenge_start(store, "i-a0-dns", &err), &err);
        CHECK_OK(store_challenge_finish(store, "i-a0-dns", false, "{}", 5000, &err), &err);
        CHECK_STATUS(store_authz_deactivate(store, "i-a0", &err), CA_ECONFLICT);
        store_close(store);
}

void test_store_order_finalize(void)
{
        struct store *store = store_fixture_open(1);
        struct err err = {0};
        store_fixture_account(store, "acct");
        store_fixture_order(store, "acct", "r", 1, 1000);
        store_fixture_make_ready(store, "r", 1);
        struct store_cert cert;
        store_fixture_cert(&cert, "01", "0.r.example", "ssl-sm2", 6000, 90000);
        snprintf(cert.account_id, sizeof cert.account_id, "acct");
        snprintf(cert.order_id, sizeof cert.order_id, "r");
        CHECK_OK(store_order_finalize(store, "r", &cert, &err), &err);
        struct store_order order;
        CHECK_OK(store_order_get(store, "r", &order, &err), &err);
        CHECK_EQ(order.status, STORE_ORDER_VALID);
        CHECK_STR(order.cert_serial, "01");
        CHECK_STR(order.profile, "dv");
        store_order_clear(&order);
        struct store_cert got;
        CHECK_OK(store_cert_get(store, "01", &got, &err), &err);
        CHECK_STR(got.order_id, "r");
        CHECK_STR(got.account_id, "acct");
        store_cert_clear(&got);
        /* A second finalization loses and inserts nothing. */
        store_fixture_cert(&cert, "02", "0.r.example", "ssl-sm2", 6000, 90000);
        CHECK_STATUS(store_order_finalize(store, "r", &cert, &err), CA_ECONFLICT);
        CHECK_STATUS(store_cert_get(store, "02", &got, &err), CA_ENOT_FOUND);
        store_fixture_order(store, "acct", "p", 1, 1000);
        CHECK_STATUS(store_order_finalize(store, "p", &cert, &err), CA_ECONFLICT);
        CHECK_STATUS(store_order_finalize(store, "nope", &cert, &err), CA_ENOT_FOUND);
        CHECK_STATUS(store_cert_get(store, "02", &got, &err), CA_ENOT_FOUND);
        /* A serial drawn twice: SMT_EEXIST, the order stays ready for another try. */
        store_fixture_order(store, "acct", "s", 1, 1000);
        store_fixture_make_ready(store, "s", 1);
        store_fixture_cert(&cert, "01", "0.s.example", "ssl-sm2", 6000, 90000);
        CHECK_STATUS(store_order_finalize(store, "s", &cert, &err), SMT_EEXIST);
        CHECK_EQ(order_status(store, "s"), STORE_ORDER_READY);
        store_fixture_cert(&cert, "03", "0.s.example", "ssl-sm2", 6000, 90000);
        CHECK_OK(store_order_finalize(store, "s", &cert, &err), &err);
        CHECK_EQ(order_status(store, "s"), STORE_ORDER_VALID);
        store_close(store);
}

void test_store_order_set_invalid(void)
{
        struct store *store = store_fixture_open(1);
        struct err err = {0};
        store_fixture_account(store, "acct");
        store_fixture_order(store, "acct", "p", 1, 1000);
        CHECK_OK(store_order_set_invalid(store, "p", "{\"detail\":\"bad CSR\"}", &err), &err);
        struct store_order order;
        CHECK_OK(store_order_get(store, "p", &order, &err), &err);
        CHECK_EQ(order.status, STORE_ORDER_INVALID);
        CHECK_STR(order.error_json, "{\"detail\":\"bad CSR\"}");
        store_order_clear(&order);
        CHECK_STATUS(store_order_set_invalid(store, "p", "{}", &err), CA_ECONFLICT);
        CHECK_STATUS(store_order_set_invalid(store, "nope", "{}", &err), CA_ENOT_FOUND);
        store_fixture_order(store, "acct", "r", 1, 1000);
        store_fixture_make_ready(store, "r", 1);
        CHECK_OK(store_order_set_invalid(store, "r", "{}", &err), &err);
        CHECK_EQ(order_status(store, "r"), STORE_ORDER_INVALID);
        store_close(store);
}
