/* tests/unit/ca/store_tests.h: the tests of test_store that live in helper files (by subject), listed by
 * test_store.c's CHECK_MAIN. Each runs on SQLite, or on PostgreSQL when SMT_TEST_PG_DSN is set. */
#ifndef SMT_TESTS_CA_STORE_TESTS_H
#define SMT_TESTS_CA_STORE_TESTS_H

/* store_tests_order.c */
void test_store_order_create_and_get(void);
void test_store_order_create_conflict_changes_nothing(void);
void test_store_order_list_and_count(void);
void test_store_challenge_start_and_finish_make_order_ready(void);
void test_store_challenge_failure_invalidates_authz_and_order(void);
void test_store_authz_shared_by_two_orders(void);
void test_store_authz_find_valid(void);
void test_store_authz_deactivate(void);
void test_store_order_finalize(void);
void test_store_order_set_invalid(void);

/* store_tests_cert.c */
void test_store_nonce_redeem_once(void);
void test_store_nonce_purge(void);
void test_store_cert_insert_and_get(void);
void test_store_cert_revoke(void);
void test_store_cert_search(void);
void test_store_ca_insert_and_list(void);

/* store_tests_race.c */
void test_store_race_challenge_start_threads(void);
void test_store_race_order_finalize_threads(void);
void test_store_race_nonce_redeem_threads(void);
void test_store_race_two_stores(void);
void test_store_race_order_ready_cascade(void);
void test_store_pool_of_one_serves_many_threads(void);
void test_store_postgresql_broken_connection_is_reset(void);
void test_store_race_processes_setup(void);
void test_store_race_processes_worker(void);

#endif
