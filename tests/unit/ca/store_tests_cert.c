/* tests/unit/ca/store_tests_cert.c: nonces, certificates (insertion, revocation, search by name and status) and
 * issuing CAs in the store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca/store.h"
#include "check.h"
#include "store_fixture.h"
#include "store_tests.h"

void test_store_nonce_redeem_once(void)
{
        struct store *store = store_fixture_open(1);
        struct err err = {0};
        CHECK_OK(store_nonce_insert(store, "n1", 1000, &err), &err);
        CHECK_OK(store_nonce_insert(store, "n2", 1000, &err), &err);
        CHECK_STATUS(store_nonce_insert(store, "n1", 1001, &err), CA_ECONFLICT);
        CHECK_OK(store_nonce_redeem(store, "n1", 1030, 60, &err), &err);
        CHECK_STATUS(store_nonce_redeem(store, "n1", 1030, 60, &err), CA_ENOT_FOUND);
        CHECK_STATUS(store_nonce_redeem(store, "unknown", 1030, 60, &err), CA_ENOT_FOUND);
        /* Issued at 1000, max_age 60: at 1060 it is too old (issued after now - max_age is required). */
        CHECK_STATUS(store_nonce_redeem(store, "n2", 1060, 60, &err), CA_ENOT_FOUND);
        CHECK_OK(store_nonce_redeem(store, "n2", 1059, 60, &err), &err);
        store_close(store);
}

/* Every 1000th redemption also deletes expired nonces: afterwards an old nonce is gone even for a caller who
 * would accept any age, while a fresh one stays. */
void test_store_nonce_purge(void)
{
        struct store *store = store_fixture_open(1);
        struct err err = {0};
        CHECK_OK(store_nonce_insert(store, "old", 100, &err), &err);
        CHECK_OK(store_nonce_insert(store, "fresh", 9990, &err), &err);
        for (int i = 0; i < 999; i++)
                CHECK_STATUS(store_nonce_redeem(store, "unknown", 10000, 60, &err), CA_ENOT_FOUND);
        CHECK_STATUS(store_nonce_redeem(store, "unknown", 10000, 60, &err), CA_ENOT_FOUND); /* the 1000th */
        CHECK_STATUS(store_nonce_redeem(store, "old", 10000, 1000000, &err), CA_ENOT_FOUND);
        CHECK_OK(store_nonce_redeem(store, "fresh", 10000, 60, &err), &err);
        store_close(store);
}

void test_store_cert_insert_and_get(void)
{
        struct store *store = store_fixture_open(1);
        struct err err = {0};
        struct store_cert cert;
        store_fixture_cert(&cert, "7f00ab", "www.example.com,example.com", "ssl-sm2", 1000, 5000);
        snprintf(cert.profile, sizeof cert.profile, "ov");
        cert.subject = "CN=www.example.com, O=Example";
        CHECK_OK(store_cert_insert(store, &cert, &err), &err);
        struct store_cert got;
        CHECK_OK(store_cert_get(store, "7f00ab", &got, &err), &err);
        CHECK_STR(got.serial, "7f00ab");
        CHECK_STR(got.ca_name, "ssl-sm2");
        CHECK_STR(got.profile, "ov");
        CHECK_STR(got.subject, cert.subject);
        CHECK_STR(got.names, "www.example.com,example.com");
        CHECK_EQ(got.not_before, 1000);
        CHECK_EQ(got.not_after, 5000);
        CHECK_EQ(got.created_at, 1000);
        CHECK_EQ(got.status, STORE_CERT_VALID);
        CHECK_EQ(got.revoked_at, 0);
        CHECK_EQ(got.revocation_reason, -1);
        CHECK_STR(got.account_id, "");
        CHECK_STR(got.order_id, "");
        CHECK_STR(got.key_thumbprint, "kt-7f00ab");
        CHECK_EQ(got.der_len, STORE_FIXTURE_DER_LEN);
        CHECK_MEM(got.der, store_fixture_der(), STORE_FIXTURE_DER_LEN);
        store_cert_clear(&got);
        CHECK_STATUS(store_cert_insert(store, &cert, &err), SMT_EEXIST);
        CHECK_STATUS(store_cert_get(store, "7f00ac", &got, &err), CA_ENOT_FOUND);
        CHECK(got.der == NULL);
        store_close(store);
}

void test_store_cert_revoke(void)
{
        struct store *store = store_fixture_open(1);
        struct err err = {0};
        struct store_cert cert;
        store_fixture_cert(&cert, "01", "a.example", "ssl-sm2", 1000, 5000);
        CHECK_OK(store_cert_insert(store, &cert, &err), &err);
        CHECK_OK(store_cert_revoke(store, "01", 1 /* keyCompromise */, 2000, &err), &err);
        struct store_cert got;
        CHECK_OK(store_cert_get(store, "01", &got, &err), &err);
        CHECK_EQ(got.status, STORE_CERT_REVOKED);
        CHECK_EQ(got.revoked_at, 2000);
        CHECK_EQ(got.revocation_reason, 1);
        store_cert_clear(&got);
        CHECK_STATUS(store_cert_revoke(store, "01", 4, 3000, &err), CA_ECONFLICT);
        CHECK_OK(store_cert_get(store, "01", &got, &err), &err);
        CHECK_EQ(got.revoked_at, 2000);
        CHECK_EQ(got.revocation_reason, 1);
        store_cert_clear(&got);
        CHECK_STATUS(store_cert_revoke(store, "02", 1, 2000, &err), CA_ENOT_FOUND);
        store_close(store);
}

/* search returns the serials of the matching certificates, newest first, joined by spaces. */
static void search(struct store *store, const struct store_cert_query *query, char *out, size_t cap)
{
        struct store_cert *certs = NULL;
        size_t num = 0;
        struct err err = {0};
        CHECK_OK(store_cert_search(store, query, &certs, &num, &err), &err);
        out[0] = 0;
        for (size_t i = 0; i < num; i++) {
                CHECK(certs[i].der == NULL);
                CHECK(certs[i].names != NULL && certs[i].subject != NULL);
                size_t len = strlen(out);
                snprintf(out + len, cap - len, "%s%s", i > 0 ? " " : "", certs[i].serial);
        }
        store_cert_list_free(certs, num);
}

static void test_cert_search_setup(struct store *store)
{
        static const struct {
                const char *serial, *names, *ca;
                int64_t created_at, not_after;
        } certs[] = {
            {"01", "example.com, www.example.com", "ssl-sm2", 100, 5000},
            {"02", "*.example.com", "ssl-ecc", 200, 5000},
            {"03", "mail.example.org", "ssl-sm2", 300, 1500}, /* expired at 2000 */
            {"04", "a.b.example.com", "ssl-sm2", 400, 8000},  /* revoked below */
            {"05", "notexample.com", "ssl-sm2", 500, 6000},
        };
        struct err err = {0};
        for (size_t i = 0; i < sizeof certs / sizeof certs[0]; i++) {
                struct store_cert cert;
                store_fixture_cert(&cert, certs[i].serial, certs[i].names, certs[i].ca, certs[i].created_at,
                                   certs[i].not_after);
                CHECK_OK(store_cert_insert(store, &cert, &err), &err);
        }
        CHECK_OK(store_cert_revoke(store, "04", 0, 450, &err), &err);
}

/* The certificates of test_cert_search_setup at now = 2000, and which each query finds, newest first. */
static const struct {
        const char *name, *ca_name;
        int status;
        int64_t expires_after, expires_before;
        size_t limit, offset;
        const char *serials;
} test_cert_searches[] = {
    {NULL, NULL, STORE_FILTER_ANY, 0, 0, 10, 0, "05 04 03 02 01"},
    {"www.example.com", NULL, STORE_FILTER_ANY, 0, 0, 10, 0, "01"},
    {"example.com", NULL, STORE_FILTER_ANY, 0, 0, 10, 0, "01"},        /* exact: not a.b.example.com, notexample.com */
    {".example.com", NULL, STORE_FILTER_ANY, 0, 0, 10, 0, "04 02 01"}, /* at a dot: the wildcard too */
    {".b.example.com", NULL, STORE_FILTER_ANY, 0, 0, 10, 0, "04"},
    {"le.com", NULL, STORE_FILTER_ANY, 0, 0, 10, 0, ""},
    {NULL, "ssl-ecc", STORE_FILTER_ANY, 0, 0, 10, 0, "02"},
    {NULL, NULL, STORE_FILTER_VALID, 0, 0, 10, 0, "05 02 01"},
    {NULL, NULL, STORE_FILTER_REVOKED, 0, 0, 10, 0, "04"},
    {NULL, NULL, STORE_FILTER_EXPIRED, 0, 0, 10, 0, "03"},
    {NULL, NULL, STORE_FILTER_ANY, 5000, 8000, 10, 0, "05 02 01"},
    {NULL, NULL, STORE_FILTER_ANY, 0, 0, 2, 1, "04 03"},
    {".example.com", "ssl-sm2", STORE_FILTER_VALID, 0, 0, 2, 0, "01"},
    {".example.com", NULL, STORE_FILTER_VALID, 0, 0, 1, 1, "01"},
};

void test_store_cert_search(void)
{
        struct store *store = store_fixture_open(1);
        test_cert_search_setup(store);
        for (size_t i = 0; i < sizeof test_cert_searches / sizeof test_cert_searches[0]; i++) {
                struct store_cert_query query = {.name = test_cert_searches[i].name,
                                                 .ca_name = test_cert_searches[i].ca_name,
                                                 .status = test_cert_searches[i].status,
                                                 .now = 2000,
                                                 .expires_after = test_cert_searches[i].expires_after,
                                                 .expires_before = test_cert_searches[i].expires_before,
                                                 .limit = test_cert_searches[i].limit,
                                                 .offset = test_cert_searches[i].offset};
                char serials[200];
                search(store, &query, serials, sizeof serials);
                if (strcmp(serials, test_cert_searches[i].serials) != 0)
                        check_fail(__FILE__, __LINE__, "search %zu: \"%s\", expected \"%s\"", i, serials,
                                   test_cert_searches[i].serials);
        }
        struct store_cert_query query = {.limit = 0};
        struct store_cert *certs = NULL;
        size_t num = 0;
        struct err err = {0};
        CHECK_STATUS(store_cert_search(store, &query, &certs, &num, &err), SMT_EINVAL);
        query.limit = STORE_LIST_MAX + 1;
        CHECK_STATUS(store_cert_search(store, &query, &certs, &num, &err), SMT_EINVAL);
        query.limit = 1;
        query.status = 7;
        CHECK_STATUS(store_cert_search(store, &query, &certs, &num, &err), SMT_EINVAL);
        store_close(store);
}

void test_store_ca_insert_and_list(void)
{
        struct store *store = store_fixture_open(1);
        struct err err = {0};
        struct store_ca *cas = NULL;
        size_t num = 9;
        CHECK_OK(store_ca_list(store, &cas, &num, &err), &err);
        CHECK_EQ(num, 0);
        store_ca_list_free(cas, num);
        uint8_t der_b[3] = {0x30, 0x00, 0xff};
        struct store_ca b = {.name = "iot-b",
                             .kind = "iot",
                             .key_path = "/keys/b.pem",
                             .cert_der = der_b,
                             .cert_der_len = sizeof der_b,
                             .created_at = 200};
        struct store_ca a = {.name = "email-a",
                             .kind = "email",
                             .key_path = "/keys/a.pem",
                             .cert_der = (uint8_t *)store_fixture_der(),
                             .cert_der_len = STORE_FIXTURE_DER_LEN,
                             .created_at = 100};
        CHECK_OK(store_ca_insert(store, &b, &err), &err);
        CHECK_OK(store_ca_insert(store, &a, &err), &err);
        CHECK_STATUS(store_ca_insert(store, &a, &err), CA_ECONFLICT);
        CHECK_OK(store_ca_list(store, &cas, &num, &err), &err);
        CHECK_EQ(num, 2);
        CHECK_STR(cas[0].name, "email-a");
        CHECK_STR(cas[0].kind, "email");
        CHECK_STR(cas[0].key_path, "/keys/a.pem");
        CHECK_EQ(cas[0].cert_der_len, STORE_FIXTURE_DER_LEN);
        CHECK_MEM(cas[0].cert_der, store_fixture_der(), STORE_FIXTURE_DER_LEN);
        CHECK_EQ(cas[0].created_at, 100);
        CHECK_STR(cas[1].name, "iot-b");
        CHECK_EQ(cas[1].cert_der_len, 3);
        CHECK_MEM(cas[1].cert_der, der_b, 3);
        store_ca_list_free(cas, num);
        store_close(store);
}
