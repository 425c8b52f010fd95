/* tests/unit/ca/store_fixture.h: fresh stores for test_store, on SQLite (a file in the test's temporary folder)
 * or, when SMT_TEST_PG_DSN is set, on that PostgreSQL database (emptied first), and records to put in them. */
#ifndef SMT_TESTS_CA_STORE_FIXTURE_H
#define SMT_TESTS_CA_STORE_FIXTURE_H

#include "ca/store.h"

/* store_fixture_is_postgresql says whether the tests run on PostgreSQL. */
bool store_fixture_is_postgresql(void);

/* store_fixture_open empties the test database (a new SQLite file, or every table dropped) and opens it. */
struct store *store_fixture_open(int pool_size);

/* store_fixture_open_fresh empties the database at dsn (drops the store's tables; SQLite: dsn names a new
 * file) and opens it; store_fixture_dsn returns dsn then. */
struct store *store_fixture_open_fresh(const char *dsn, int pool_size);

/* store_fixture_open_again opens another struct store on the database of the last store_fixture_open, as a
 * second process would. */
struct store *store_fixture_open_again(int pool_size);

/* store_fixture_dsn returns the DSN of the last store_fixture_open. */
const char *store_fixture_dsn(void);

/* store_fixture_exec runs sql on the test database outside the store (a test reaching behind its back). */
void store_fixture_exec(const char *sql);

/* store_fixture_account inserts a valid account with this id (thumbprint "tp-<id>"). */
void store_fixture_account(struct store *store, const char *id);

/* store_fixture_order creates a PENDING order of account for num_authzs new authorizations
 * ("<order>-a<i>", identifier "<i>.<order>.example"), each with an http-01 ("<order>-a<i>-http") and a dns-01
 * ("<order>-a<i>-dns") challenge, created at created_at. */
void store_fixture_order(struct store *store, const char *account_id, const char *order_id, size_t num_authzs,
                         int64_t created_at);

/* store_fixture_make_ready validates the http-01 challenge of each of the order's num_authzs authorizations. */
void store_fixture_make_ready(struct store *store, const char *order_id, size_t num_authzs);

#define STORE_FIXTURE_DER_LEN 1000

/* store_fixture_der returns the stand-in DER of fixture certificates: 1000 bytes covering every byte value. */
const uint8_t *store_fixture_der(void);

/* store_fixture_cert fills cert with serial, names, ca_name, created_at and not_after, store_fixture_der and
 * other fixed values. Its pointers borrow (never store_cert_clear it). */
void store_fixture_cert(struct store_cert *cert, const char *serial, const char *names, const char *ca_name,
                        int64_t created_at, int64_t not_after);

#endif
