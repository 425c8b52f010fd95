/* tests/unit/tlcp/test_session_cache.c: the server's session cache alone: lookups copy out, the lifetime and
 * the size limit hold, replacing and removing work, bad parameters are refused, client certificates kept
 * with a session are copied out and freed. */
#include <string.h>

#include "check.h"
#include "handshake_fixture.h"
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
        CHECK_OK(tlcp_session_cache_store(cache, &s, NULL, &err), &err);
        memset(&s, 0, sizeof s); /* the cache kept its own copy */
        CHECK(tlcp_session_cache_lookup(cache, &out, NULL, make_session(1, 0).id, 32, 1050, &err));
        CHECK_EQ(out.created, 1000);
        CHECK_STR(out.server_name, "localhost");
        struct tlcp_session expected = make_session(1, 1000);
        CHECK_MEM(out.master_secret, expected.master_secret, TLCP_MASTER_SECRET_LEN);
        CHECK(!tlcp_session_cache_lookup(cache, &out, NULL, make_session(2, 0).id, 32, 1050, &err));
        CHECK(!tlcp_session_cache_lookup(cache, &out, NULL, make_session(1, 0).id, 31, 1050, &err));
        CHECK(!tlcp_session_cache_lookup(cache, &out, NULL, make_session(1, 0).id, 0, 1050, &err));
        tlcp_session_cache_free(cache);
}

static void test_lifetime(void)
{
        struct err err = {0};
        struct tlcp_session_cache *cache = new_cache(4, 100);
        struct tlcp_session s = make_session(1, 1000), out;
        CHECK_OK(tlcp_session_cache_store(cache, &s, NULL, &err), &err);
        CHECK(tlcp_session_cache_lookup(cache, &out, NULL, s.id, 32, 1099, &err));
        CHECK(!tlcp_session_cache_lookup(cache, &out, NULL, s.id, 32, 1100, &err));
        CHECK_EQ(tlcp_session_cache_count(cache), 0); /* an expired session is dropped when met */
        CHECK(!tlcp_session_cache_lookup(cache, &out, NULL, s.id, 32, 1000, &err));
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
                CHECK_OK(tlcp_session_cache_store(cache, &s, NULL, &err), &err);
        }
        CHECK_EQ(tlcp_session_cache_count(cache), 3);
        for (uint8_t tag = 1; tag <= 5; tag++)
                CHECK_EQ(tlcp_session_cache_lookup(cache, &out, NULL, make_session(tag, 0).id, 32, 1000, &err),
                         tag >= 3);
        struct tlcp_session newer = make_session(4, 1050);
        CHECK_OK(tlcp_session_cache_store(cache, &newer, NULL, &err), &err);
        CHECK_EQ(tlcp_session_cache_count(cache), 3);
        CHECK(tlcp_session_cache_lookup(cache, &out, NULL, newer.id, 32, 1120, &err));
        CHECK_EQ(out.created, 1050);
        tlcp_session_cache_remove(cache, newer.id, 32);
        CHECK(!tlcp_session_cache_lookup(cache, &out, NULL, newer.id, 32, 1000, &err));
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
                CHECK_OK(tlcp_session_cache_store(cache, &s, NULL, &err), &err);
        }
        CHECK_EQ(tlcp_session_cache_count(cache), 1000);
        for (unsigned i = 0; i < 1500; i++) {
                struct tlcp_session s = make_session(0, 1000);
                memcpy(s.id, &i, sizeof i);
                CHECK_EQ(tlcp_session_cache_lookup(cache, &out, NULL, s.id, 32, 1000, &err), i >= 500);
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
        CHECK_STATUS(tlcp_session_cache_store(cache, &s, NULL, &err), SMT_EINVAL);
        s.id_len = 33;
        CHECK_STATUS(tlcp_session_cache_store(cache, &s, NULL, &err), SMT_EINVAL);
        tlcp_session_cache_free(cache);
        tlcp_session_cache_free(NULL);
}

static bool same_der(const struct cert *a, const struct cert *b)
{
        const uint8_t *a_der, *b_der;
        size_t a_len, b_len;
        cert_der(a, &a_der, &a_len);
        cert_der(b, &b_der, &b_len);
        return a_len == b_len && memcmp(a_der, b_der, a_len) == 0;
}

/* The client's certificates stay with their session: every lookup hands out new copies (the caller frees
 * them, the cache keeps its own), replacing a session replaces them, and eviction or expiry frees them (the
 * ASan build reports any leak). */
static void test_keeps_client_certificates(void)
{
        struct handshake_fixture_pki pki = {0};
        handshake_fixture_pki_load(&pki);
        struct err err = {0};
        struct tlcp_session_cache *cache = new_cache(2, 100);
        struct tlcp_session s = make_session(1, 1000), out;
        struct tlcp_session_certificates client = {pki.client_sign, pki.client_enc}, got = {0};
        CHECK_OK(tlcp_session_cache_store(cache, &s, &client, &err), &err);
        for (int i = 0; i < 2; i++) {
                CHECK_EQ(tlcp_session_cache_lookup(cache, &out, &got, s.id, 32, 1010, &err), 1);
                CHECK(got.sign_cert != NULL && got.sign_cert != pki.client_sign && got.enc_cert != pki.client_enc);
                CHECK(same_der(got.sign_cert, pki.client_sign) && same_der(got.enc_cert, pki.client_enc));
                tlcp_session_certificates_cleanup(&got);
                CHECK(got.sign_cert == NULL && got.enc_cert == NULL);
        }
        /* The same ID again, from a client that sent only its signing certificate. */
        struct tlcp_session_certificates sign_only = {pki.client_sign, NULL};
        CHECK_OK(tlcp_session_cache_store(cache, &s, &sign_only, &err), &err);
        CHECK_EQ(tlcp_session_cache_lookup(cache, &out, &got, s.id, 32, 1010, &err), 1);
        CHECK(got.sign_cert != NULL && got.enc_cert == NULL);
        tlcp_session_certificates_cleanup(&got);
        /* Without certificates, and looked up without asking for them. */
        struct tlcp_session other = make_session(2, 1000);
        CHECK_OK(tlcp_session_cache_store(cache, &other, NULL, &err), &err);
        CHECK_EQ(tlcp_session_cache_lookup(cache, &out, &got, other.id, 32, 1010, &err), 1);
        CHECK(got.sign_cert == NULL && got.enc_cert == NULL);
        CHECK_EQ(tlcp_session_cache_lookup(cache, &out, NULL, s.id, 32, 1010, &err), 1);
        /* Evicted by a third session, expired at lookup, or left to tlcp_session_cache_free: all freed. */
        struct tlcp_session third = make_session(3, 1000);
        CHECK_OK(tlcp_session_cache_store(cache, &third, &client, &err), &err);
        CHECK_EQ(tlcp_session_cache_lookup(cache, &out, &got, s.id, 32, 1010, &err), 0);
        CHECK_OK(tlcp_session_cache_store(cache, &s, &client, &err), &err);
        CHECK_EQ(tlcp_session_cache_lookup(cache, &out, &got, s.id, 32, 1100, &err), 0);
        CHECK(got.sign_cert == NULL);
        tlcp_session_cache_free(cache);
        handshake_fixture_pki_free(&pki);
}

CHECK_MAIN(CHECK_TEST(test_store_and_lookup_copy_out), CHECK_TEST(test_lifetime),
           CHECK_TEST(test_size_limit_and_replace), CHECK_TEST(test_many_sessions),
           CHECK_TEST(test_refuses_bad_parameters), CHECK_TEST(test_keeps_client_certificates))
