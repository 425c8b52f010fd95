/* tests/unit/tlcp/test_session_cache.c: the server's session cache alone: lookups copy out, the lifetime and
 * the size limit hold, replacing and removing work, bad parameters are refused. */
#include <string.h>

#include "check.h"
#include "tlcp/session_cache.h"

static struct tlcp_session make_session(uint8_t tag, time_t created)
{
        struct tlcp_session s = {.id_len = 32, .suite_id = TLCP_ECC_SM4_GCM_SM3, .created = created};
        memset(s.id, tag, sizeof s.id);
        memset(s.master_secret, tag ^ 0x5a, sizeof s.master_secret);
        strcpy(s.server_name, "localhost");
        return s;
}

static struct tlcp_session_cache *new_cache(size_t max_entries, time_t lifetime)
{
        struct err err = {0};
        struct tlcp_session_cache *cache = NULL;
        CHECK_OK(tlcp_session_cache_new(&cache, max_entries, lifetime, &err), &err);
        return cache;
}

static void test_store_and_lookup_copy_out(void)
{
        struct err err = {0};
        struct tlcp_session_cache *cache = new_cache(4, 100);
        struct tlcp_session s = make_session(1, 1000), out;
        CHECK_OK(tlcp_session_cache_store(cache, &s, &err), &err);
        memset(&s, 0, sizeof s); /* the cache kept its own copy */
        CHECK(tlcp_session_cache_lookup(cache, &out, make_session(1, 0).id, 32, 1050));
        CHECK_EQ(out.created, 1000);
        CHECK_STR(out.server_name, "localhost");
        struct tlcp_session expected = make_session(1, 1000);
        CHECK_MEM(out.master_secret, expected.master_secret, TLCP_MASTER_SECRET_LEN);
        CHECK(!tlcp_session_cache_lookup(cache, &out, make_session(2, 0).id, 32, 1050));
        CHECK(!tlcp_session_cache_lookup(cache, &out, make_session(1, 0).id, 31, 1050));
        CHECK(!tlcp_session_cache_lookup(cache, &out, make_session(1, 0).id, 0, 1050));
        tlcp_session_cache_free(cache);
}

static void test_lifetime(void)
{
        struct err err = {0};
        struct tlcp_session_cache *cache = new_cache(4, 100);
        struct tlcp_session s = make_session(1, 1000), out;
        CHECK_OK(tlcp_session_cache_store(cache, &s, &err), &err);
        CHECK(tlcp_session_cache_lookup(cache, &out, s.id, 32, 1099));
        CHECK(!tlcp_session_cache_lookup(cache, &out, s.id, 32, 1100));
        CHECK_EQ(tlcp_session_cache_count(cache), 0); /* an expired session is dropped when met */
        CHECK(!tlcp_session_cache_lookup(cache, &out, s.id, 32, 1000));
        tlcp_session_cache_free(cache);
}

/* A cache of n keeps the n newest sessions; storing an ID again replaces its session in place. */
static void test_size_limit_and_replace(void)
{
        struct err err = {0};
        struct tlcp_session_cache *cache = new_cache(3, 100);
        struct tlcp_session out;
        for (uint8_t tag = 1; tag <= 5; tag++) {
                struct tlcp_session s = make_session(tag, 1000);
                CHECK_OK(tlcp_session_cache_store(cache, &s, &err), &err);
        }
        CHECK_EQ(tlcp_session_cache_count(cache), 3);
        for (uint8_t tag = 1; tag <= 5; tag++)
                CHECK_EQ(tlcp_session_cache_lookup(cache, &out, make_session(tag, 0).id, 32, 1000), tag >= 3);
        struct tlcp_session newer = make_session(4, 1050);
        CHECK_OK(tlcp_session_cache_store(cache, &newer, &err), &err);
        CHECK_EQ(tlcp_session_cache_count(cache), 3);
        CHECK(tlcp_session_cache_lookup(cache, &out, newer.id, 32, 1120));
        CHECK_EQ(out.created, 1050);
        tlcp_session_cache_remove(cache, newer.id, 32);
        CHECK(!tlcp_session_cache_lookup(cache, &out, newer.id, 32, 1000));
        CHECK_EQ(tlcp_session_cache_count(cache), 2);
        tlcp_session_cache_free(cache);
}

/* Many sessions in a large cache: every one is found (the hash chains hold). */
static void test_many_sessions(void)
{
        struct err err = {0};
        struct tlcp_session_cache *cache = new_cache(1000, 100);
        struct tlcp_session out;
        for (unsigned i = 0; i < 1500; i++) {
                struct tlcp_session s = make_session(0, 1000);
                memcpy(s.id, &i, sizeof i);
                CHECK_OK(tlcp_session_cache_store(cache, &s, &err), &err);
        }
        CHECK_EQ(tlcp_session_cache_count(cache), 1000);
        for (unsigned i = 0; i < 1500; i++) {
                struct tlcp_session s = make_session(0, 1000);
                memcpy(s.id, &i, sizeof i);
                CHECK_EQ(tlcp_session_cache_lookup(cache, &out, s.id, 32, 1000), i >= 500);
        }
        tlcp_session_cache_free(cache);
}

static void test_refuses_bad_parameters(void)
{
        struct err err = {0};
        struct tlcp_session_cache *cache = NULL;
        CHECK_STATUS(tlcp_session_cache_new(&cache, 0, 100, &err), SMT_EINVAL);
        CHECK_STATUS(tlcp_session_cache_new(&cache, 10, 0, &err), SMT_EINVAL);
        cache = new_cache(2, 10);
        struct tlcp_session s = make_session(1, 0);
        s.id_len = 0;
        CHECK_STATUS(tlcp_session_cache_store(cache, &s, &err), SMT_EINVAL);
        s.id_len = 33;
        CHECK_STATUS(tlcp_session_cache_store(cache, &s, &err), SMT_EINVAL);
        tlcp_session_cache_free(cache);
        tlcp_session_cache_free(NULL);
}

CHECK_MAIN(CHECK_TEST(test_store_and_lookup_copy_out), CHECK_TEST(test_lifetime),
           CHECK_TEST(test_size_limit_and_replace), CHECK_TEST(test_many_sessions),
           CHECK_TEST(test_refuses_bad_parameters))
